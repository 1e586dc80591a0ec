import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rect } from '../../src/region/rect.js';
import type { ViewerFrame } from '../../src/viewer/backend.js';
import { decodeFrameMessage, encodeFrameMessage, frameMessageBytes } from '../../src/viewer/frame-message.js';

test('a frame message carries exactly the damaged rows of the framebuffer', () => {
  const width = 7;
  const height = 5;
  const stride = 32; // padded rows: the encoder must honour the stride
  const rgba = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgba.set([x, y, x * y, 255], y * stride + x * 4);
  const frame: ViewerFrame = { width, height, stride, rgba, damage: [], frameNumber: 42, presentTime: 1234.5 };
  const rects = [rect(1, 1, 4, 3), rect(6, 4, 7, 5)];
  const message = encodeFrameMessage(3, 9, frame, rects);
  assert.equal(message.byteLength, frameMessageBytes(rects));
  const decoded = decodeFrameMessage(message);
  assert.equal(decoded.displayId, 3);
  assert.equal(decoded.seq, 9);
  assert.equal(decoded.frameNumber, 42);
  assert.equal(decoded.presentTime, 1234.5);
  assert.deepEqual([decoded.width, decoded.height], [7, 5]);
  assert.deepEqual(decoded.rects.map((r) => r.rect), rects);
  const first = decoded.rects[0];
  assert.ok(first);
  assert.deepEqual([...first.rgba.subarray(0, 4)], [1, 1, 1, 255]); // pixel (1,1)
  assert.deepEqual([...first.rgba.subarray(first.rgba.length - 4)], [3, 2, 6, 255]); // pixel (3,2)
  assert.deepEqual([...(decoded.rects[1]?.rgba ?? [])], [6, 4, 24, 255]);
});
