// Turns layers into a plan: validated, clipped, and flattened into the Int32Array the native
// kernels execute (layout below, mirrored in native/render_kernels.h).
import { PixelFormat, formatName, isPixelFormat } from '../buffer/format.js';
import { GraphicBuffer } from '../buffer/graphic-buffer.js';
import { Transform, isTransform } from '../buffer/transform.js';
import { StratumError } from '../os/status.js';
import type { Rect } from '../region/rect.js';
import { clipDisjoint, intersectAreas } from './clip.js';
import { quantizeAlpha, mul255, sourceMapping, yuvCoefficients } from './math.js';
import type { YuvCoefficients } from './math.js';
import type { BufferLayer, FloatRect, PixelSource, PremultipliedColor, RenderLayer, RenderTarget, YuvConversion } from './types.js';

/** Op kinds and the header layout of one op in the plan (mirrored in native/render_kernels.h). */
export const OpKind = { FILL: 0, SOLID_OVER: 1, BUFFER: 2 } as const;
export const BlendCode = { none: 0, premultiplied: 1, coverage: 2 } as const;
export const FilterCode = { nearest: 0, bilinear: 1 } as const;
export const OP_HEADER_INTS = 32;
export const MAX_RECTS_PER_OP = 65536;
/** Destination rectangles may reach this far outside the target (they are clipped). */
export const MAX_COORDINATE = 1 << 20;

const H = {
  kind: 0, rectCount: 1, color: 2, alpha: 3, buffer: 4, format: 5, strideBytes: 6, width: 7, height: 8,
  offset: 9, chromaOffset: 10, chromaStrideBytes: 11, filter: 12, blend: 13,
  dstLeft: 14, dstTop: 15, ox: 16, oy: 17, dxx: 18, dxy: 19, dyx: 20, dyy: 21,
  yOffset: 22, yScale: 23, rv: 24, gu: 25, gv: 26, bu: 27,
} as const;

/** Memory of one image as the kernels see it. */
export interface ImageMemory {
  readonly buffer: ArrayBuffer;
  /** Byte offset of the first plane inside `buffer`. */
  readonly offset: number;
  readonly strideBytes: number;
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  /** NV12: byte offset of the CbCr plane inside `buffer`. */
  readonly chromaOffset: number;
}

export interface Plan {
  readonly target: ImageMemory;
  readonly sources: readonly ArrayBuffer[];
  /** Shares memory with the next plan built: run it at once, or copy it (`ops.slice()`) to keep it. */
  readonly ops: Int32Array;
  readonly opCount: number;
  readonly pixels: number;
}

const BYTES_PER_PIXEL: Partial<Record<PixelFormat, number>> = {
  [PixelFormat.RGBA_8888]: 4,
  [PixelFormat.RGBX_8888]: 4,
  [PixelFormat.BGRA_8888]: 4,
  [PixelFormat.BGRX_8888]: 4,
  [PixelFormat.RGB_565]: 2,
  [PixelFormat.NV12]: 1,
};

// Array.isArray narrows readonly arrays to any[]; this keeps the element type.
function isArray(value: unknown): boolean {
  return Array.isArray(value);
}

function bad(message: string): never {
  throw new StratumError('BAD_VALUE', message);
}

function checkInteger(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    bad(`${what} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

/** The memory behind a source or target, checked against its claimed size and layout. */
export function imageMemory(source: PixelSource, what: string): ImageMemory {
  if (source instanceof GraphicBuffer) {
    if (source.disposed) bad(`${what}: buffer ${source.id} has been disposed`);
    const planes = source.layout.planes;
    return checkedImage(what, {
      buffer: source.map(what === 'target' ? 'read-write' : 'read'),
      offset: planes[0]?.offset ?? 0,
      strideBytes: planes[0]?.bytesPerRow ?? 0,
      width: source.width,
      height: source.height,
      format: source.format,
      chromaOffset: planes[1]?.offset ?? 0,
    });
  }
  if (typeof source !== 'object' || source === null) bad(`${what} must be a GraphicBuffer or {bytes, width, height, format, stride}`);
  const bytes: unknown = source.bytes;
  let buffer: ArrayBuffer;
  let base = 0;
  if (bytes instanceof ArrayBuffer) buffer = bytes;
  else if (bytes instanceof Uint8Array && bytes.buffer instanceof ArrayBuffer) {
    buffer = bytes.buffer;
    base = bytes.byteOffset;
  } else bad(`${what}.bytes must be an ArrayBuffer or a Uint8Array over one`);
  if (!isPixelFormat(source.format)) bad(`${what}: unknown pixel format ${String(source.format)}`);
  const bpp = BYTES_PER_PIXEL[source.format];
  const width = checkInteger(`${what}.width`, source.width, 1, 16384);
  const height = checkInteger(`${what}.height`, source.height, 1, 16384);
  const stride = checkInteger(`${what}.stride`, source.stride, width, 65536);
  const strideBytes = stride * (bpp ?? 1);
  const chroma = source.chromaOffset === undefined ? strideBytes * height : checkInteger(`${what}.chromaOffset`, source.chromaOffset, 0, 2 ** 31);
  return checkedImage(what, {
    buffer, offset: base, strideBytes, width, height, format: source.format, chromaOffset: base + chroma,
  });
}

function checkedImage(what: string, image: ImageMemory): ImageMemory {
  const bpp = BYTES_PER_PIXEL[image.format];
  if (bpp === undefined) bad(`${what}: the renderer cannot read ${formatName(image.format)}`);
  const length = image.buffer.byteLength;
  const needed = image.offset + image.strideBytes * (image.height - 1) + image.width * bpp;
  if (image.strideBytes < image.width * bpp) bad(`${what}: row pitch ${image.strideBytes} bytes is shorter than a row`);
  if (bpp === 4 && image.offset % 4 !== 0) bad(`${what}: 4-byte pixels must start at a multiple of 4 bytes, got offset ${image.offset}`);
  if (image.format === PixelFormat.NV12 && image.strideBytes < 2 * Math.ceil(image.width / 2)) {
    bad(`${what}: NV12 row pitch ${image.strideBytes} is shorter than a CbCr row (${2 * Math.ceil(image.width / 2)} bytes)`);
  }
  if (needed > length) bad(`${what}: ${image.width}x${image.height} ${formatName(image.format)} needs ${needed} bytes, memory holds ${length}`);
  if (image.format === PixelFormat.NV12) {
    const chromaNeeded = image.chromaOffset + image.strideBytes * (Math.ceil(image.height / 2) - 1) + 2 * Math.ceil(image.width / 2);
    if (image.chromaOffset < needed || chromaNeeded > length) {
      bad(`${what}: NV12 chroma plane at ${image.chromaOffset} overlaps the luma plane or runs past ${length} bytes`);
    }
  }
  if (length > 2 ** 31 - 1) bad(`${what}: memory of ${length} bytes is larger than the renderer addresses`);
  return image;
}

function isCoordinate(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= -MAX_COORDINATE && value <= MAX_COORDINATE;
}

function isValidRect(r: Rect): boolean {
  return typeof r === 'object' && r !== null && isCoordinate(r.left) && isCoordinate(r.top) && isCoordinate(r.right) && isCoordinate(r.bottom);
}

// Plans are built every frame: the checks run without building a message, which is only made
// (by the slow path below) for a rectangle that fails them.
function checkRect(what: string, r: Rect, suffix = ''): Rect {
  if (isValidRect(r)) return r;
  const name = what + suffix;
  if (typeof r !== 'object' || r === null) bad(`${name} must be a Rect`);
  for (const key of ['left', 'top', 'right', 'bottom'] as const) checkInteger(`${name}.${key}`, r[key], -MAX_COORDINATE, MAX_COORDINATE);
  return r;
}

function checkRects(what: string, rects: readonly Rect[], suffix = ''): readonly Rect[] {
  if (!isArray(rects)) bad(`${what}${suffix} must be an array of Rect`);
  if (rects.length > MAX_RECTS_PER_OP) bad(`${what}${suffix} has ${rects.length} rectangles, more than ${MAX_RECTS_PER_OP}`);
  for (let i = 0; i < rects.length; i++) {
    const r = rects[i]!;
    if (!isValidRect(r)) checkRect(`${what}${suffix}[${i}]`, r);
  }
  return rects;
}

function isChannel(v: unknown, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

/** `layer`.color as a packed word. */
function checkColor(layer: string, c: PremultipliedColor): number {
  // The valid case first, building no message: colours are checked for every layer of every frame.
  if (typeof c === 'object' && c !== null && isChannel(c.a, 255) && isChannel(c.r, c.a) && isChannel(c.g, c.a) && isChannel(c.b, c.a)) {
    return packRGBA(c.r, c.g, c.b, c.a);
  }
  const what = `${layer}.color`;
  if (typeof c !== 'object' || c === null) bad(`${what} must be {r, g, b, a}`);
  const a = checkInteger(`${what}.a`, c.a, 0, 255);
  const r = checkInteger(`${what}.r`, c.r, 0, a);
  const g = checkInteger(`${what}.g`, c.g, 0, a);
  const b = checkInteger(`${what}.b`, c.b, 0, a);
  return packRGBA(r, g, b, a);
}

/** RGBA_8888 bytes (r first in memory) as a little-endian 32-bit word, signed for Int32Array. */
export function packRGBA(r: number, g: number, b: number, a: number): number {
  return (r | (g << 8) | (b << 16) | (a << 24)) | 0;
}

function checkPlaneAlpha(what: string, alpha: number | undefined): number {
  if (alpha === undefined) return 255;
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) bad(`${what}.planeAlpha must be a number in 0..1, got ${String(alpha)}`);
  return quantizeAlpha(alpha);
}

function checkCrop(what: string, crop: FloatRect | undefined, width: number, height: number): FloatRect {
  if (crop === undefined) return { left: 0, top: 0, right: width, bottom: height };
  if (typeof crop !== 'object' || crop === null) bad(`${what}.crop must be {left, top, right, bottom}`);
  const { left, top, right, bottom } = crop;
  if (!(Number.isFinite(left) && Number.isFinite(top) && Number.isFinite(right) && Number.isFinite(bottom))) {
    for (const [key, v] of Object.entries({ left, top, right, bottom })) {
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${what}.crop.${key} must be a finite number, got ${String(v)}`);
    }
  }
  if (!(left >= 0 && top >= 0 && right <= width && bottom <= height && right > left && bottom > top)) {
    bad(`${what}.crop [${left},${top},${right},${bottom}] must be non-empty and inside the ${width}x${height} buffer`);
  }
  return crop;
}

/** Validates everything and flattens the layers into a plan. */
export function buildPlan(target: RenderTarget, layers: readonly RenderLayer[], clip?: readonly Rect[]): Plan {
  // A getter on a caller's object could build another plan while this one is being built: that
  // inner plan gets arrays of its own instead of the scratch this one is writing.
  if (scratchInUse) return flattenPlan(target, layers, clip, new Int32Array(OP_HEADER_INTS * 4), new Int32Array(OP_HEADER_INTS));
  scratchInUse = true;
  try {
    return flattenPlan(target, layers, clip, scratchWords, scratchHeader);
  } finally {
    scratchInUse = false;
  }
}

function flattenPlan(
  target: RenderTarget,
  layers: readonly RenderLayer[],
  clip: readonly Rect[] | undefined,
  initialWords: Int32Array<ArrayBuffer>,
  header: Int32Array,
): Plan {
  const image = imageMemory(target, 'target');
  if (image.format !== PixelFormat.RGBA_8888) bad(`target must be RGBA_8888, got ${formatName(image.format)}`);
  if (!isArray(layers)) bad('layers must be an array');
  const bounds: Rect = { left: 0, top: 0, right: image.width, bottom: image.height };
  // Disjoint: every area below is cut from it.
  const frame = clip === undefined ? [bounds] : intersectAreas(checkRects('clip', clip), [bounds]);
  const sources: ArrayBuffer[] = [];
  let words = initialWords;
  let length = 0;
  let opCount = 0;
  let pixels = 0;
  for (let index = 0; index < layers.length; index++) {
    const layer = layers[index];
    const names = namesOf(index);
    const what = names.layer;
    if (typeof layer !== 'object' || layer === null) bad(`${what} must be a layer object`);
    const dst = checkRect(what, layer.dst, '.dst');
    let area = clipDisjoint(frame, dst);
    if (layer.clip !== undefined) {
      const own = checkRects(what, layer.clip, '.clip');
      area = own.length === 1 ? clipDisjoint(area, own[0]!) : intersectAreas(area, own);
    }
    header.fill(0);
    header[H.dstLeft] = dst.left;
    header[H.dstTop] = dst.top;
    switch (layer.kind) {
      case 'clear': {
        header[H.kind] = OpKind.FILL;
        header[H.color] = layer.color === undefined ? 0 : checkColor(what, layer.color);
        break;
      }
      case 'color': {
        const c = checkColor(what, layer.color);
        const alpha = checkPlaneAlpha(what, layer.planeAlpha);
        header[H.kind] = OpKind.SOLID_OVER;
        header[H.color] = packRGBA(mul255(c & 0xff, alpha), mul255((c >>> 8) & 0xff, alpha), mul255((c >>> 16) & 0xff, alpha), mul255(c >>> 24, alpha));
        // A colour that became fully transparent draws nothing.
        if (header[H.color] === 0) area = [];
        break;
      }
      case 'buffer': {
        encodeBufferLayer(names, layer, header, image, sources);
        if (header[H.alpha] === 0) area = [];
        break;
      }
      default:
        bad(`${what}.kind must be 'buffer', 'color' or 'clear', got ${String((layer as { kind: unknown }).kind)}`);
    }
    if (area.length === 0) continue;
    header[H.rectCount] = area.length;
    const needed = length + OP_HEADER_INTS + 4 * area.length;
    if (needed > words.length) {
      const grown = new Int32Array(Math.max(needed, 2 * words.length));
      grown.set(words.subarray(0, length));
      words = grown;
    }
    words.set(header, length);
    length += OP_HEADER_INTS;
    for (const r of area) {
      words[length++] = r.left;
      words[length++] = r.top;
      words[length++] = r.right;
      words[length++] = r.bottom;
      pixels += (r.right - r.left) * (r.bottom - r.top);
    }
    opCount++;
  }
  if (initialWords === scratchWords && words.length <= MAX_SCRATCH_WORDS) scratchWords = words;
  // A view of the scratch array, valid until the next plan is built: a plan drawn inline uses it
  // as is, one handed to the render pool takes a copy (Renderer.compose).
  const ops = words.subarray(0, length);
  return { target: image, sources, ops, opCount, pixels };
}

// Plans are built every frame: one op header at a time is filled here, and the ops are written
// into a reused scratch array (the plan's ops are a view of it), so building allocates little.
const scratchHeader = new Int32Array(OP_HEADER_INTS);
let scratchWords = new Int32Array(1024);
let scratchInUse = false;
const MAX_SCRATCH_WORDS = 1 << 16;

// Layer names for error messages, made once per index rather than once per layer per frame.
interface LayerNames {
  readonly layer: string;
  readonly source: string;
}
const layerNames: LayerNames[] = [];
function namesOf(index: number): LayerNames {
  const cached = layerNames[index];
  if (cached !== undefined) return cached;
  const names = { layer: `layers[${index}]`, source: `layers[${index}].source` };
  if (index < 256) layerNames[index] = names;
  return names;
}

const yuvCache = new Map<string, YuvCoefficients>();
function cachedYuvCoefficients(conversion: YuvConversion): YuvCoefficients {
  const key = `${conversion.matrix}/${conversion.range}`;
  let k = yuvCache.get(key);
  if (k === undefined) {
    k = yuvCoefficients(conversion);
    yuvCache.set(key, k);
  }
  return k;
}

// Non-NV12 sources carry the default coefficients, unused by their kernels.
const DEFAULT_YUV_COEFFICIENTS = yuvCoefficients({ matrix: 'bt601', range: 'limited' });

function encodeBufferLayer(names: LayerNames, layer: BufferLayer, header: Int32Array, target: ImageMemory, sources: ArrayBuffer[]): void {
  const what = names.layer;
  const image = imageMemory(layer.source, names.source);
  if (image.buffer === target.buffer) bad(`${what}.source is the target's own memory; draw from a copy`);
  const crop = checkCrop(what, layer.crop, image.width, image.height);
  const transform = layer.transform ?? Transform.NONE;
  if (!isTransform(transform)) bad(`${what}.transform must be one of 0..7, got ${String(transform)}`);
  const filter = layer.filter ?? 'nearest';
  if (!(filter in FilterCode)) bad(`${what}.filter must be 'nearest' or 'bilinear', got ${String(filter)}`);
  const blend = layer.blend ?? 'premultiplied';
  if (!(blend in BlendCode)) bad(`${what}.blend must be 'none', 'premultiplied' or 'coverage', got ${String(blend)}`);
  if (layer.yuv !== undefined && image.format !== PixelFormat.NV12) bad(`${what}.yuv applies to NV12 sources only`);
  const yuv = layer.yuv;
  if (yuv !== undefined && (!(yuv.matrix === 'bt601' || yuv.matrix === 'bt709') || !(yuv.range === 'limited' || yuv.range === 'full'))) {
    bad(`${what}.yuv must be {matrix: 'bt601'|'bt709', range: 'limited'|'full'}`);
  }
  const dst = layer.dst;
  if (dst.right <= dst.left || dst.bottom <= dst.top) {
    header[H.alpha] = 0;
    return;
  }
  const m = sourceMapping(crop, dst, transform);
  let index = sources.indexOf(image.buffer);
  if (index < 0) index = sources.push(image.buffer) - 1;
  const k = yuv === undefined ? DEFAULT_YUV_COEFFICIENTS : cachedYuvCoefficients(yuv);
  header[H.kind] = OpKind.BUFFER;
  header[H.alpha] = checkPlaneAlpha(what, layer.planeAlpha);
  header[H.buffer] = index;
  header[H.format] = image.format;
  header[H.strideBytes] = image.strideBytes;
  header[H.width] = image.width;
  header[H.height] = image.height;
  header[H.offset] = image.offset;
  header[H.chromaOffset] = image.chromaOffset;
  header[H.chromaStrideBytes] = image.strideBytes;
  header[H.filter] = FilterCode[filter];
  header[H.blend] = BlendCode[blend];
  header[H.ox] = m.ox;
  header[H.oy] = m.oy;
  header[H.dxx] = m.dxx;
  header[H.dxy] = m.dxy;
  header[H.dyx] = m.dyx;
  header[H.dyy] = m.dyy;
  header[H.yOffset] = k.yOffset;
  header[H.yScale] = k.yScale;
  header[H.rv] = k.rv;
  header[H.gu] = k.gu;
  header[H.gv] = k.gv;
  header[H.bu] = k.bu;
}
