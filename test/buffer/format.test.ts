import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_BUFFER_SIDE, PixelFormat, computeLayout, formatInfo, formatName, parsePixelFormat } from '../../src/buffer/index.js';
import type { PixelFormat as PixelFormatValue } from '../../src/buffer/index.js';
import { isStratumError } from '../../src/os/status.js';

test('packed formats: rows padded to the alignment, whole pixels per row, size in whole pages', () => {
  // A 1080x2400 phone screen: 4320 bytes per row padded to 4352 (stride 1088 pixels).
  assert.deepEqual(computeLayout(1080, 2400, PixelFormat.RGBA_8888), {
    stride: 1088,
    planes: [{ offset: 0, bytesPerRow: 4352, rows: 2400 }],
    size: 4352 * 2400,
  });
  assert.equal(computeLayout(1, 1, PixelFormat.BGRX_8888).size, 4096);
  assert.equal(computeLayout(3, 5, PixelFormat.RGB_565).stride, 32);
  // RGB_888 rows must hold whole 3-byte pixels: 64-byte alignment gives 192-byte rows.
  const rgb = computeLayout(5, 2, PixelFormat.RGB_888);
  assert.equal(rgb.planes[0]?.bytesPerRow, 192);
  assert.equal(rgb.stride, 64);
  const tight = computeLayout(5, 2, PixelFormat.RGB_888, 4);
  assert.deepEqual([tight.stride, tight.planes[0]?.bytesPerRow], [8, 24]);
});

test('NV12: a luma plane, then interleaved CbCr at half height rounded up, same pitch', () => {
  assert.deepEqual(computeLayout(333, 77, PixelFormat.NV12), {
    stride: 384,
    planes: [
      { offset: 0, bytesPerRow: 384, rows: 77 },
      { offset: 384 * 77, bytesPerRow: 384, rows: 39 },
    ],
    size: 45056,
  });
  // Odd width with the tightest alignment: ceil(3/2) CbCr pairs need 4 bytes per chroma row.
  const odd = computeLayout(3, 3, PixelFormat.NV12, 4);
  assert.deepEqual(odd.planes, [
    { offset: 0, bytesPerRow: 4, rows: 3 },
    { offset: 12, bytesPerRow: 4, rows: 2 },
  ]);
  for (const [w, h] of [
    [1, 1],
    [2, 2],
    [1919, 1081],
  ]) {
    const layout = computeLayout(w ?? 1, h ?? 1, PixelFormat.NV12, 4);
    const chroma = layout.planes[1];
    assert.ok(chroma !== undefined);
    assert.ok(chroma.bytesPerRow >= 2 * Math.ceil((w ?? 1) / 2), 'a chroma row holds every CbCr pair');
    assert.ok(chroma.offset + chroma.bytesPerRow * chroma.rows <= layout.size);
  }
});

test('format facts and names', () => {
  assert.equal(formatInfo(PixelFormat.RGB_888).bytesPerPixel, 3);
  assert.equal(formatInfo(PixelFormat.RGBA_8888).hasAlpha, true);
  assert.equal(formatInfo(PixelFormat.RGBX_8888).hasAlpha, false);
  assert.equal(formatInfo(PixelFormat.NV12).planar, true);
  assert.equal(parsePixelFormat('nv12'), PixelFormat.NV12);
  assert.equal(formatName(PixelFormat.BGRA_8888), 'BGRA_8888');
  assert.equal(formatName(99), 'UNKNOWN(99)');
});

test('bad sizes, formats and alignments are BAD_VALUE naming the value', () => {
  const bad = (pattern: RegExp) => (e: unknown) => isStratumError(e, 'BAD_VALUE') && pattern.test(e.message);
  assert.throws(() => computeLayout(0, 10, PixelFormat.RGBA_8888), bad(/width must be an integer in 1\.\.16384, got 0/));
  assert.throws(() => computeLayout(10, -4, PixelFormat.RGBA_8888), bad(/height .* got -4/));
  assert.throws(() => computeLayout(MAX_BUFFER_SIDE + 1, 10, PixelFormat.RGBA_8888), bad(/got 16385/));
  assert.throws(() => computeLayout(Number.NaN, 10, PixelFormat.RGBA_8888), bad(/got NaN/));
  assert.throws(() => computeLayout(10.5, 10, PixelFormat.RGBA_8888), bad(/got 10.5/));
  assert.throws(() => computeLayout(10, 10, 42 as PixelFormatValue), bad(/unknown pixel format 42/));
  assert.throws(() => computeLayout(10, 10, PixelFormat.RGBA_8888, 48), bad(/power of two .* got 48/));
  assert.throws(() => parsePixelFormat('YUYV'), bad(/unknown pixel format 'YUYV'/));
  // The largest buffer is accepted and its byte count is exact.
  assert.equal(computeLayout(MAX_BUFFER_SIDE, MAX_BUFFER_SIDE, PixelFormat.RGBA_8888).size, 16384 * 16384 * 4);
});
