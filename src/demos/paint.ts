// Software drawing for the demo apps, straight into a mapped buffer: RGBA_8888 pixels seen as
// 32-bit words (little-endian, so 0xAABBGGRR), premultiplied alpha. Every function clips to the
// target and returns nothing it did not draw.
import type { Rect } from '../region/rect.js';
import { intersectRect, isEmptyRect, rect } from '../region/rect.js';
import { GLYPH_HEIGHT, GLYPH_SPACING, GLYPH_WIDTH, glyph, isGlyphPixelSet, textWidth } from './font.js';

export interface PixelTarget {
  readonly pixels: Uint32Array;
  readonly width: number;
  readonly height: number;
  /** Row pitch in pixels. */
  readonly stride: number;
}

export type Rgb = readonly [number, number, number];

/** A premultiplied RGBA pixel from straight components (0..255, alpha 0..1). */
export function pack(r: number, g: number, b: number, alpha = 1): number {
  const a = Math.round(alpha * 255);
  const pm = (c: number): number => Math.round((c * a) / 255) & 0xff;
  return ((a << 24) | (pm(b) << 16) | (pm(g) << 8) | pm(r)) >>> 0;
}

export function unpack(pixel: number): [number, number, number, number] {
  return [pixel & 0xff, (pixel >>> 8) & 0xff, (pixel >>> 16) & 0xff, pixel >>> 24];
}

function clip(target: PixelTarget, r: Rect): Rect {
  return intersectRect(r, rect(0, 0, target.width, target.height));
}

export function fillRect(target: PixelTarget, r: Rect, color: number): Rect {
  const c = clip(target, r);
  if (isEmptyRect(c)) return c;
  for (let y = c.top; y < c.bottom; y++) target.pixels.fill(color, y * target.stride + c.left, y * target.stride + c.right);
  return c;
}

export function fillCircle(target: PixelTarget, cx: number, cy: number, radius: number, color: number): Rect {
  const c = clip(target, rect(Math.floor(cx - radius), Math.floor(cy - radius), Math.ceil(cx + radius), Math.ceil(cy + radius)));
  const r2 = radius * radius;
  for (let y = c.top; y < c.bottom; y++) {
    const dy = y + 0.5 - cy;
    for (let x = c.left; x < c.right; x++) {
      const dx = x + 0.5 - cx;
      if (dx * dx + dy * dy <= r2) target.pixels[y * target.stride + x] = color;
    }
  }
  return c;
}

/** Top-to-bottom blend of two opaque colors, with a slight left-to-right shift of hue. */
export function fillGradient(target: PixelTarget, top: Rgb, bottom: Rgb): void {
  const { width, height, stride, pixels } = target;
  for (let y = 0; y < height; y++) {
    const t = height > 1 ? y / (height - 1) : 0;
    for (let x = 0; x < width; x++) {
      const s = width > 1 ? x / (width - 1) : 0;
      const mix = (i: 0 | 1 | 2): number => top[i] + (bottom[i] - top[i]) * t;
      pixels[y * stride + x] = pack(mix(0), mix(1) * (0.85 + 0.15 * s), mix(2));
    }
  }
}

/** Draws `text` with its top-left at (x, y), each font pixel a `scale` x `scale` square. */
export function drawText(target: PixelTarget, text: string, x: number, y: number, scale: number, color: number): Rect {
  let penX = x;
  for (const char of text) {
    const g = glyph(char);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (isGlyphPixelSet(g, gx, gy)) fillRect(target, rect(penX + gx * scale, y + gy * scale, penX + (gx + 1) * scale, y + (gy + 1) * scale), color);
      }
    }
    penX += (GLYPH_WIDTH + GLYPH_SPACING) * scale;
  }
  return clip(target, rect(x, y, x + textWidth(text, scale), y + GLYPH_HEIGHT * scale));
}

/** Draws an outlined rectangle `thickness` pixels wide. */
export function strokeRect(target: PixelTarget, r: Rect, thickness: number, color: number): void {
  fillRect(target, rect(r.left, r.top, r.right, r.top + thickness), color);
  fillRect(target, rect(r.left, r.bottom - thickness, r.right, r.bottom), color);
  fillRect(target, rect(r.left, r.top, r.left + thickness, r.bottom), color);
  fillRect(target, rect(r.right - thickness, r.top, r.right, r.bottom), color);
}

/** A filled triangle pointing left (the navigation bar's back button). */
export function fillLeftTriangle(target: PixelTarget, cx: number, cy: number, size: number, color: number): void {
  const half = size / 2;
  for (let y = Math.floor(cy - half); y < Math.ceil(cy + half); y++) {
    const t = 1 - Math.abs(y + 0.5 - cy) / half; // 1 at the middle row, 0 at the ends
    if (t <= 0) continue;
    const left = Math.round(cx - half);
    fillRect(target, rect(left + Math.round((1 - t) * size), y, Math.round(cx + half), y + 1), color);
  }
}

export interface Nv12Target {
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly luma: { readonly offset: number; readonly bytesPerRow: number };
  readonly chroma: { readonly offset: number; readonly bytesPerRow: number };
}

/** BT.601 limited-range YCbCr of an RGB color. */
export function rgbToYcbcr([r, g, b]: Rgb): [number, number, number] {
  const y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255;
  const cb = 128 + (-37.797 * r - 74.203 * g + 112 * b) / 255;
  const cr = 128 + (112 * r - 93.786 * g - 18.214 * b) / 255;
  return [Math.round(y), Math.round(cb), Math.round(cr)];
}

const BARS: readonly Rgb[] = [
  [192, 192, 192],
  [192, 192, 0],
  [0, 192, 192],
  [0, 192, 0],
  [192, 0, 192],
  [192, 0, 0],
  [0, 0, 192],
];

/** Color bars scrolled by `frame` columns, with a moving bright line, like a test video. */
export function drawNv12Bars(target: Nv12Target, frame: number): void {
  const { bytes, width, height, luma, chroma } = target;
  const barWidth = Math.max(1, Math.ceil(width / BARS.length));
  const colors = BARS.map(rgbToYcbcr);
  const lineY = frame % height;
  for (let y = 0; y < height; y++) {
    const row = luma.offset + y * luma.bytesPerRow;
    for (let x = 0; x < width; x++) {
      const bar = colors[Math.floor(((x + frame * 4) % (barWidth * BARS.length)) / barWidth)] ?? [16, 128, 128];
      bytes[row + x] = Math.abs(y - lineY) < 4 ? 235 : bar[0];
    }
  }
  for (let y = 0; y < Math.ceil(height / 2); y++) {
    const row = chroma.offset + y * chroma.bytesPerRow;
    for (let x = 0; x < Math.ceil(width / 2); x++) {
      const bar = colors[Math.floor(((x * 2 + frame * 4) % (barWidth * BARS.length)) / barWidth)] ?? [16, 128, 128];
      bytes[row + x * 2] = bar[1];
      bytes[row + x * 2 + 1] = bar[2];
    }
  }
}
