// Pixel formats, their plane layouts and stride rules. Numbers are the values used on the wire.
import { StratumError } from '../os/status.js';

export const PixelFormat = {
  RGBA_8888: 1,
  RGBX_8888: 2,
  BGRA_8888: 3,
  BGRX_8888: 4,
  RGB_565: 5,
  RGB_888: 6,
  /** 4:2:0 semi-planar YUV: a Y plane, then one interleaved CbCr plane at half width and height. */
  NV12: 7,
} as const;

export type PixelFormat = (typeof PixelFormat)[keyof typeof PixelFormat];

export const MAX_BUFFER_SIDE = 16384;
export const DEFAULT_STRIDE_ALIGNMENT = 64;

interface FormatInfo {
  readonly name: keyof typeof PixelFormat;
  /** Bytes per pixel of the first plane. */
  readonly bytesPerPixel: number;
  readonly hasAlpha: boolean;
  readonly planar: boolean;
}

const formats = new Map<number, FormatInfo>([
  [PixelFormat.RGBA_8888, { name: 'RGBA_8888', bytesPerPixel: 4, hasAlpha: true, planar: false }],
  [PixelFormat.RGBX_8888, { name: 'RGBX_8888', bytesPerPixel: 4, hasAlpha: false, planar: false }],
  [PixelFormat.BGRA_8888, { name: 'BGRA_8888', bytesPerPixel: 4, hasAlpha: true, planar: false }],
  [PixelFormat.BGRX_8888, { name: 'BGRX_8888', bytesPerPixel: 4, hasAlpha: false, planar: false }],
  [PixelFormat.RGB_565, { name: 'RGB_565', bytesPerPixel: 2, hasAlpha: false, planar: false }],
  [PixelFormat.RGB_888, { name: 'RGB_888', bytesPerPixel: 3, hasAlpha: false, planar: false }],
  [PixelFormat.NV12, { name: 'NV12', bytesPerPixel: 1, hasAlpha: false, planar: true }],
]);

export function isPixelFormat(value: unknown): value is PixelFormat {
  return typeof value === 'number' && formats.has(value);
}

export function formatInfo(format: PixelFormat): FormatInfo {
  const info = formats.get(format);
  if (!info) throw new StratumError('BAD_VALUE', `unknown pixel format ${String(format)}`);
  return info;
}

export function formatName(format: number): string {
  return formats.get(format)?.name ?? `UNKNOWN(${format})`;
}

export function parsePixelFormat(name: string): PixelFormat {
  const value = (PixelFormat as Record<string, PixelFormat | undefined>)[name.toUpperCase()];
  if (value === undefined) {
    throw new StratumError('BAD_VALUE', `unknown pixel format '${name}' (known: ${Object.keys(PixelFormat).join(', ')})`);
  }
  return value;
}

export interface PlaneLayout {
  /** Byte offset of the plane's first row. */
  readonly offset: number;
  /** Bytes from one row to the next. */
  readonly bytesPerRow: number;
  readonly rows: number;
}

export interface BufferLayout {
  /** Row pitch of the first plane in pixels (for NV12, in luma samples = bytes). */
  readonly stride: number;
  readonly planes: readonly PlaneLayout[];
  /** Total bytes, a multiple of the page size. */
  readonly size: number;
}

const PAGE = 4096;

function checkSide(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > MAX_BUFFER_SIDE) {
    throw new StratumError('BAD_VALUE', `${name} must be an integer in 1..${MAX_BUFFER_SIDE}, got ${value}`);
  }
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/**
 * The layout of a buffer: rows are padded to `strideAlignment` bytes (a power of two, 4..4096),
 * the size is rounded up to whole pages. Every count is checked so no product overflows.
 */
export function computeLayout(
  width: number,
  height: number,
  format: PixelFormat,
  strideAlignment: number = DEFAULT_STRIDE_ALIGNMENT,
): BufferLayout {
  checkSide('width', width);
  checkSide('height', height);
  const info = formatInfo(format);
  if (!Number.isInteger(strideAlignment) || strideAlignment < 4 || strideAlignment > 4096 || (strideAlignment & (strideAlignment - 1)) !== 0) {
    throw new StratumError('BAD_VALUE', `stride alignment must be a power of two in 4..4096, got ${strideAlignment}`);
  }
  // Row pitch must hold whole pixels: align to lcm(alignment, bytesPerPixel).
  let bytesPerRow = alignUp(width * info.bytesPerPixel, strideAlignment);
  while (bytesPerRow % info.bytesPerPixel !== 0) bytesPerRow += strideAlignment;
  const stride = bytesPerRow / info.bytesPerPixel;
  const planes: PlaneLayout[] = [{ offset: 0, bytesPerRow, rows: height }];
  let end = bytesPerRow * height;
  if (info.planar) {
    // NV12: CbCr pairs at half resolution (rounded up), same pitch as the luma plane.
    const chromaRows = Math.ceil(height / 2);
    const offset = alignUp(end, strideAlignment);
    planes.push({ offset, bytesPerRow, rows: chromaRows });
    end = offset + bytesPerRow * chromaRows;
  }
  if (!Number.isSafeInteger(end)) throw new StratumError('BAD_VALUE', `buffer ${width}x${height} is too large`);
  return { stride, planes, size: alignUp(end, PAGE) };
}
