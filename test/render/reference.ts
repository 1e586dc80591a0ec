// The reference renderer: slow, obvious, per-pixel code that states what a composition means.
// It shares only the numeric definitions of src/render/math.ts with the native kernels.
import { PixelFormat } from '../../src/buffer/format.js';
import { GraphicBuffer } from '../../src/buffer/graphic-buffer.js';
import type { Rect } from '../../src/region/rect.js';
import { mul255, quantizeAlpha, sourceMapping, yuvCoefficients } from '../../src/render/math.js';
import type { BufferLayer, PixelSource, RenderLayer } from '../../src/render/types.js';

type Rgba = [number, number, number, number];

interface Image {
  bytes: Uint8Array;
  width: number;
  height: number;
  format: number;
  strideBytes: number;
  chromaOffset: number;
}

function imageOf(source: PixelSource): Image {
  if (source instanceof GraphicBuffer) {
    const [luma, chroma] = source.layout.planes;
    if (!luma) throw new Error('reference: buffer without planes');
    return {
      bytes: source.bytes('read'),
      width: source.width,
      height: source.height,
      format: source.format,
      strideBytes: luma.bytesPerRow,
      chromaOffset: chroma?.offset ?? 0,
    };
  }
  const bytes = source.bytes instanceof Uint8Array ? source.bytes : new Uint8Array(source.bytes);
  const bpp = source.format === PixelFormat.RGB_565 ? 2 : source.format === PixelFormat.NV12 ? 1 : 4;
  const strideBytes = source.stride * bpp;
  return {
    bytes, width: source.width, height: source.height, format: source.format, strideBytes,
    chromaOffset: source.chromaOffset ?? strideBytes * source.height,
  };
}

function inside(rects: readonly Rect[], x: number, y: number): boolean {
  return rects.some((r) => x >= r.left && x < r.right && y >= r.top && y < r.bottom);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** A texel as premultiplied RGBA, after the layer's blend mode says what its alpha means. */
function texel(image: Image, layer: BufferLayer, x: number, y: number): Rgba {
  const b = image.bytes;
  const row = y * image.strideBytes;
  let px: Rgba;
  switch (image.format) {
    case PixelFormat.RGBA_8888:
    case PixelFormat.RGBX_8888: {
      const o = row + x * 4;
      px = [b[o]!, b[o + 1]!, b[o + 2]!, image.format === PixelFormat.RGBX_8888 ? 255 : b[o + 3]!];
      break;
    }
    case PixelFormat.BGRA_8888:
    case PixelFormat.BGRX_8888: {
      const o = row + x * 4;
      px = [b[o + 2]!, b[o + 1]!, b[o]!, image.format === PixelFormat.BGRX_8888 ? 255 : b[o + 3]!];
      break;
    }
    case PixelFormat.RGB_565: {
      const v = b[row + x * 2]! | (b[row + x * 2 + 1]! << 8);
      const r = v >> 11, g = (v >> 5) & 63, bl = v & 31;
      return [(r << 3) | (r >> 2), (g << 2) | (g >> 4), (bl << 3) | (bl >> 2), 255];
    }
    case PixelFormat.NV12: {
      const k = yuvCoefficients(layer.yuv ?? { matrix: 'bt601', range: 'limited' });
      const c = image.chromaOffset + (y >> 1) * image.strideBytes + (x >> 1) * 2;
      const yy = (b[row + x]! - k.yOffset) * k.yScale;
      const u = b[c]! - 128, v = b[c + 1]! - 128;
      const channel = (sum: number): number => clamp(Math.floor((sum + 32768) / 65536), 0, 255);
      return [channel(yy + k.rv * v), channel(yy - k.gu * u - k.gv * v), channel(yy + k.bu * u), 255];
    }
    default:
      throw new Error(`reference: format ${image.format}`);
  }
  const blend = layer.blend ?? 'premultiplied';
  if (blend === 'none') return [px[0], px[1], px[2], 255];
  if (blend === 'coverage') return [mul255(px[0], px[3]), mul255(px[1], px[3]), mul255(px[2], px[3]), px[3]];
  return px;
}

function sample(image: Image, layer: BufferLayer, x: number, y: number): Rgba {
  const crop = layer.crop ?? { left: 0, top: 0, right: image.width, bottom: image.height };
  const m = sourceMapping(crop, layer.dst, layer.transform ?? 0);
  const i = x - layer.dst.left;
  const j = y - layer.dst.top;
  const px = m.ox + i * m.dxx + j * m.dxy;
  const py = m.oy + i * m.dyx + j * m.dyy;
  if ((layer.filter ?? 'nearest') === 'nearest') {
    return texel(image, layer, clamp(Math.floor(px / 65536), 0, image.width - 1), clamp(Math.floor(py / 65536), 0, image.height - 1));
  }
  // Bilinear: texel centres sit at +0.5; weights are the top 7 bits of the fraction.
  const fx = px - 32768, fy = py - 32768;
  const x0 = Math.floor(fx / 65536), y0 = Math.floor(fy / 65536);
  const wx = Math.floor(fx / 512) & 127, wy = Math.floor(fy / 512) & 127;
  const xl = clamp(x0, 0, image.width - 1), xr = clamp(x0 + 1, 0, image.width - 1);
  const yt = clamp(y0, 0, image.height - 1), yb = clamp(y0 + 1, 0, image.height - 1);
  const t00 = texel(image, layer, xl, yt), t01 = texel(image, layer, xr, yt);
  const t10 = texel(image, layer, xl, yb), t11 = texel(image, layer, xr, yb);
  const out: Rgba = [0, 0, 0, 0];
  for (let c = 0; c < 4; c++) {
    const top = t00[c]! * (128 - wx) + t01[c]! * wx;
    const bottom = t10[c]! * (128 - wx) + t11[c]! * wx;
    out[c] = (top * (128 - wy) + bottom * wy + 8192) >> 14;
  }
  return out;
}

function over(dst: Uint8Array, o: number, s: Rgba): void {
  const inverse = 255 - s[3];
  for (let c = 0; c < 4; c++) dst[o + c] = Math.min(255, s[c]! + mul255(dst[o + c]!, inverse));
}

/** The premultiplied colour a colour or buffer layer offers at target pixel (x, y), before plane alpha. */
function sourcePixel(layer: RenderLayer): (x: number, y: number) => Rgba {
  switch (layer.kind) {
    case 'buffer': {
      const image = imageOf(layer.source);
      return (x, y) => sample(image, layer, x, y);
    }
    case 'color': {
      const c: Rgba = [layer.color.r, layer.color.g, layer.color.b, layer.color.a];
      return () => c;
    }
    case 'clear':
      return () => [0, 0, 0, 0];
  }
}

/** Draws `layers` into an RGBA_8888 image given as bytes + size + row pitch, pixel by pixel. */
export function referenceCompose(
  target: { bytes: Uint8Array; width: number; height: number; strideBytes: number },
  layers: readonly RenderLayer[],
  clip?: readonly Rect[],
): void {
  const frame = clip ?? [{ left: 0, top: 0, right: target.width, bottom: target.height }];
  for (const layer of layers) {
    const source = sourcePixel(layer);
    for (let y = 0; y < target.height; y++) {
      for (let x = 0; x < target.width; x++) {
        if (!inside([layer.dst], x, y) || !inside(frame, x, y)) continue;
        if (layer.clip && !inside(layer.clip, x, y)) continue;
        const o = y * target.strideBytes + x * 4;
        if (layer.kind === 'clear') {
          const c = layer.color ?? { r: 0, g: 0, b: 0, a: 0 };
          target.bytes.set([c.r, c.g, c.b, c.a], o);
          continue;
        }
        const alpha = quantizeAlpha(layer.planeAlpha ?? 1);
        const s = source(x, y);
        over(target.bytes, o, [mul255(s[0], alpha), mul255(s[1], alpha), mul255(s[2], alpha), mul255(s[3], alpha)]);
      }
    }
  }
}
