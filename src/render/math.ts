// The renderer's numeric definitions, each stated once: the native kernels and the reference
// renderer in test/ both follow them (docs/renderer.md explains every one).
import { Transform } from '../buffer/transform.js';
import type { Rect } from '../region/rect.js';
import type { FloatRect, YuvConversion } from './types.js';

/** Sub-pixel precision of source positions: 16.16 fixed point. */
export const FIXED_ONE = 65536;
/** Bilinear weights have 7 bits: a fraction f in 0..127 weighs the right/lower texel f/128. */
export const BILINEAR_BITS = 7;

/** round(alpha * 255) for alpha in 0..1. */
export function quantizeAlpha(alpha: number): number {
  return Math.round(alpha * 255);
}

/** x * y / 255 rounded as pixman does: t = x*y + 0x80; (t + (t >> 8)) >> 8. */
export function mul255(x: number, y: number): number {
  const t = x * y + 0x80;
  return (t + (t >> 8)) >> 8;
}

/**
 * Where the centre of destination pixel (dst.left + i, dst.top + j) samples the source, in 16.16
 * fixed point: x = ox + i*dxx + j*dxy, y = oy + i*dyx + j*dyy. Exactly one of dxx/dxy and one of
 * dyx/dyy is nonzero (transforms are flips and quarter turns).
 */
export interface SourceMapping {
  readonly ox: number;
  readonly oy: number;
  readonly dxx: number;
  readonly dxy: number;
  readonly dyx: number;
  readonly dyy: number;
}

// One source axis: the crop extent [c0, c1] is walked by a destination axis of `n` pixels,
// forwards or backwards. Positions are pixel centres: c0 + (k + 0.5) * (c1 - c0) / n.
function axis(c0: number, c1: number, n: number, reversed: boolean): { origin: number; step: number } {
  // At least one unit, so a vanishingly thin crop still walks its axis (and the kernels can tell axes apart).
  const step = Math.max(1, Math.round(((c1 - c0) * FIXED_ONE) / n));
  const half = (0.5 * (c1 - c0) * FIXED_ONE) / n;
  return reversed
    ? { origin: Math.round(c1 * FIXED_ONE - half), step: -step }
    : { origin: Math.round(c0 * FIXED_ONE + half), step };
}

/**
 * The transform is applied to the crop (FLIP_H, FLIP_V, then a 90-degree clockwise turn when
 * ROT_90 is set), and the result is scaled onto `dst`.
 */
export function sourceMapping(crop: FloatRect, dst: Rect, transform: Transform): SourceMapping {
  const rotated = (transform & Transform.ROT_90) !== 0;
  const flipH = (transform & Transform.FLIP_H) !== 0;
  const flipV = (transform & Transform.FLIP_V) !== 0;
  const dstW = dst.right - dst.left;
  const dstH = dst.bottom - dst.top;
  if (!rotated) {
    const x = axis(crop.left, crop.right, dstW, flipH);
    const y = axis(crop.top, crop.bottom, dstH, flipV);
    return { ox: x.origin, oy: y.origin, dxx: x.step, dxy: 0, dyx: 0, dyy: y.step };
  }
  // A clockwise quarter turn: destination y walks source x, destination x walks source y backwards.
  const x = axis(crop.left, crop.right, dstH, flipH);
  const y = axis(crop.top, crop.bottom, dstW, !flipV);
  return { ox: x.origin, oy: y.origin, dxx: 0, dxy: x.step, dyx: y.step, dyy: 0 };
}

/**
 * Integer YUV -> RGB coefficients in 16.16: with y' = (Y - yOffset) * yScale, u = Cb - 128, v = Cr - 128:
 * R = (y' + rv*v + 32768) >> 16, G = (y' - gu*u - gv*v + 32768) >> 16, B = (y' + bu*u + 32768) >> 16,
 * each clamped to 0..255.
 */
export interface YuvCoefficients {
  readonly yOffset: number;
  readonly yScale: number;
  readonly rv: number;
  readonly gu: number;
  readonly gv: number;
  readonly bu: number;
}

export function yuvCoefficients(conversion: YuvConversion): YuvCoefficients {
  const [kr, kb] = conversion.matrix === 'bt709' ? [0.2126, 0.0722] : [0.299, 0.114];
  const kg = 1 - kr - kb;
  const full = conversion.range === 'full';
  const ys = full ? 1 : 255 / 219;
  const cs = full ? 1 : 255 / 224;
  const fixed = (v: number): number => Math.round(v * FIXED_ONE);
  return {
    yOffset: full ? 0 : 16,
    yScale: fixed(ys),
    rv: fixed(2 * (1 - kr) * cs),
    gu: fixed(((2 * kb * (1 - kb)) / kg) * cs),
    gv: fixed(((2 * kr * (1 - kr)) / kg) * cs),
    bu: fixed(2 * (1 - kb) * cs),
  };
}
