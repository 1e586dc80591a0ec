// The native RGBA -> I420 kernel against a TypeScript reference of the same arithmetic (exact).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StratumError } from '../../src/os/status.js';
import { i420Size, rgbaToI420, rgbaToI420Async } from '../../src/media/yuv.js';

/** BT.601 limited range; chroma from the rounded 2x2 RGB average. */
function referenceI420(src: Uint8Array, offset: number, stride: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(i420Size(width, height));
  const px = (x: number, y: number, c: number): number => src[offset + y * stride + x * 4 + c] ?? 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = ((66 * px(x, y, 0) + 129 * px(x, y, 1) + 25 * px(x, y, 2) + 128) >> 8) + 16;
  }
  const cw = width / 2;
  const u = width * height;
  const v = u + cw * (height / 2);
  for (let cy = 0; cy < height / 2; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      const avg = (c: number): number => (px(2 * cx, 2 * cy, c) + px(2 * cx + 1, 2 * cy, c) + px(2 * cx, 2 * cy + 1, c) + px(2 * cx + 1, 2 * cy + 1, c) + 2) >> 2;
      const r = avg(0);
      const g = avg(1);
      const b = avg(2);
      out[u + cy * cw + cx] = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
      out[v + cy * cw + cx] = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
    }
  }
  return out;
}

function randomBytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

test('the kernel equals the reference on random pixels, with row padding and an offset', () => {
  for (const [width, height, pad, offset] of [[2, 2, 0, 0], [64, 48, 0, 0], [130, 66, 24, 12], [1280, 720, 0, 0], [6, 10, 4, 4]] as const) {
    const stride = width * 4 + pad;
    const src = randomBytes(offset + stride * height, width * 7919 + height);
    const dst = new Uint8Array(i420Size(width, height));
    rgbaToI420({ buffer: src.buffer, offset, strideBytes: stride, width, height }, dst);
    assert.deepEqual(dst, referenceI420(src, offset, stride, width, height), `${width}x${height} pad ${pad} offset ${offset}`);
  }
});

test('the threadpool conversion gives the same bytes, several at once into one buffer at offsets', async () => {
  const width = 640;
  const height = 360;
  const stride = width * 4 + 32;
  const frameBytes = i420Size(width, height);
  const sources = [1, 2, 3].map((seed) => randomBytes(stride * height, seed));
  const out = new Uint8Array(frameBytes * 3 + 8);
  await Promise.all(sources.map((src, i) => rgbaToI420Async({ buffer: src.buffer, strideBytes: stride, width, height }, out.subarray(8 + i * frameBytes, 8 + (i + 1) * frameBytes))));
  sources.forEach((src, i) => assert.deepEqual(out.subarray(8 + i * frameBytes, 8 + (i + 1) * frameBytes), referenceI420(src, 0, stride, width, height), `frame ${i}`));
  assert.deepEqual([...out.subarray(0, 8)], [0, 0, 0, 0, 0, 0, 0, 0], 'nothing written before the offset');
});

test('extremes: black is Y 16, white Y 235, chroma of greys 128', () => {
  const src = new Uint8Array(4 * 4 * 2);
  src.fill(255, 16); // second row white (alpha too)
  const dst = new Uint8Array(i420Size(4, 2));
  rgbaToI420({ buffer: src.buffer, strideBytes: 16, width: 4, height: 2 }, dst);
  assert.deepEqual([...dst.subarray(0, 8)], [16, 16, 16, 16, 235, 235, 235, 235]);
  assert.deepEqual([...dst.subarray(8)], [128, 128, 128, 128]);
});

test('bad sizes and buffers are refused with BAD_VALUE naming the problem', () => {
  const src = new Uint8Array(64);
  const dst = new Uint8Array(64);
  const bad = (f: () => void, pattern: RegExp): void => assert.throws(f, (e: unknown) => e instanceof StratumError && e.code === 'BAD_VALUE' && pattern.test(e.message));
  bad(() => rgbaToI420({ buffer: src.buffer, strideBytes: 12, width: 3, height: 2 }, dst), /even width and height/);
  bad(() => rgbaToI420({ buffer: src.buffer, strideBytes: 4, width: 2, height: 2 }, dst), /stride 4 bytes/);
  bad(() => rgbaToI420({ buffer: src.buffer, strideBytes: 16, width: 4, height: 6 }, dst), /does not fit in 64 bytes/);
  bad(() => rgbaToI420({ buffer: src.buffer, strideBytes: 8, width: 2, height: 2 }, new Uint8Array(5)), /needs 6 bytes/);
  // The threadpool form refuses the same way, at once (no Promise to reject).
  bad(() => void rgbaToI420Async({ buffer: src.buffer, strideBytes: 12, width: 3, height: 2 }, dst), /even width and height/);
  bad(() => void rgbaToI420Async({ buffer: src.buffer, strideBytes: 16, width: 4, height: 6 }, dst), /does not fit in 64 bytes/);
  bad(() => void rgbaToI420Async({ buffer: src.buffer, strideBytes: 8, width: 2, height: 2 }, new Uint8Array(5)), /needs 6 bytes/);
});
