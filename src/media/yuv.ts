// RGBA_8888 -> I420 (planar YUV 4:2:0, BT.601 limited range) through the native kernel
// (native/yuv.cc). Every check lives here; the kernel only loops over pixels.
import { native } from '../os/addon.js';
import { StratumError } from '../os/status.js';

interface YuvNative {
  rgbaToI420(src: ArrayBuffer, srcOffset: number, srcStrideBytes: number, width: number, height: number, dst: ArrayBuffer, dstOffset: number): void;
  rgbaToI420Async(src: ArrayBuffer, srcOffset: number, srcStrideBytes: number, width: number, height: number, dst: ArrayBuffer, dstOffset: number): Promise<void>;
}

function yuvNative(): YuvNative {
  const addon = native as unknown as Partial<YuvNative>;
  if (typeof addon.rgbaToI420 !== 'function' || typeof addon.rgbaToI420Async !== 'function') {
    throw new StratumError('NO_INIT', 'the native addon has no YUV kernel; rebuild it (node scripts/build-native.mjs)');
  }
  return addon as YuvNative;
}

/** Bytes of one I420 frame: Y plane then U then V (each chroma plane a quarter of Y). */
export function i420Size(width: number, height: number): number {
  return width * height * 3 / 2;
}

export interface RgbaImage {
  /** The memory holding the pixels (e.g. a mapped GraphicBuffer). */
  readonly buffer: ArrayBuffer;
  /** Byte offset of the first pixel. Default 0. */
  readonly offset?: number;
  /** Bytes from one row to the next. */
  readonly strideBytes: number;
  readonly width: number;
  readonly height: number;
}

/** Converts `src` into `dst` (i420Size bytes at dst.byteOffset) on this thread. Width and height must be even. */
export function rgbaToI420(src: RgbaImage, dst: Uint8Array): void {
  const out = checkConversion(src, dst);
  yuvNative().rgbaToI420(src.buffer, src.offset ?? 0, src.strideBytes, src.width, src.height, out, dst.byteOffset);
}

/**
 * The same conversion on the libuv threadpool: this thread never touches the pixels. Both buffers
 * are read and written until the Promise settles: keep the source's memory mapped (pin a
 * GraphicBuffer) and leave `dst` alone until then. Bad arguments throw at once, as rgbaToI420.
 */
export function rgbaToI420Async(src: RgbaImage, dst: Uint8Array): Promise<void> {
  const out = checkConversion(src, dst);
  return yuvNative().rgbaToI420Async(src.buffer, src.offset ?? 0, src.strideBytes, src.width, src.height, out, dst.byteOffset);
}

/** Throws BAD_VALUE naming what is wrong; returns the memory `dst` views. */
function checkConversion(src: RgbaImage, dst: Uint8Array): ArrayBuffer {
  const { width, height, strideBytes } = src;
  const offset = src.offset ?? 0;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2 || width % 2 !== 0 || height % 2 !== 0) {
    throw new StratumError('BAD_VALUE', `YUV 4:2:0 needs an even width and height of at least 2, got ${width}x${height}`);
  }
  if (!Number.isInteger(strideBytes) || strideBytes < width * 4) throw new StratumError('BAD_VALUE', `stride ${strideBytes} bytes is less than a row of ${width} RGBA pixels`);
  if (!Number.isInteger(offset) || offset < 0 || offset + strideBytes * (height - 1) + width * 4 > src.buffer.byteLength) {
    throw new StratumError('BAD_VALUE', `a ${width}x${height} image with stride ${strideBytes} at offset ${offset} does not fit in ${src.buffer.byteLength} bytes`);
  }
  if (dst.byteLength < i420Size(width, height)) throw new StratumError('BAD_VALUE', `the I420 output needs ${i420Size(width, height)} bytes, got ${dst.byteLength}`);
  if (!(dst.buffer instanceof ArrayBuffer)) throw new StratumError('BAD_VALUE', 'the I420 output must be backed by an ArrayBuffer');
  return dst.buffer;
}
