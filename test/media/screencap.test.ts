// screencap from a live server through the CLI: exactly the displayed pixels, secure layers black.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decode } from 'fast-png';
import { cli } from '../cli/support.js';
import type { MediaRig } from './support.js';
import { startRig } from './support.js';

const WIDTH = 320;
const HEIGHT = 240;
const SECURE = { left: 40, top: 60, right: 140, bottom: 120 };

let rig: MediaRig;
before(async () => {
  rig = await startRig(WIDTH, HEIGHT, false);
  const secure = await rig.client.createSurface({ name: 'secure', width: SECURE.right - SECURE.left, height: SECURE.bottom - SECURE.top, secure: true, opaque: true });
  await rig.client.transaction().setPosition(secure, SECURE.left, SECURE.top).setLayer(secure, 10).apply();
  const d = await secure.surface.dequeueBuffer();
  d.buffer.pixels32().fill(0xff0000ff);
  await secure.surface.queueBuffer(d);
  // Until the secure layer is on screen (the internal display is secure: it shows the red).
  for (let i = 0; i < 100; i++) {
    const fb = rig.display.readFramebuffer();
    if (fb[(SECURE.top * WIDTH + SECURE.left) * 4] === 0xff && fb[(SECURE.top * WIDTH + SECURE.left) * 4 + 2] === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
});
after(async () => {
  await rig.close();
});

test('screencap --raw and PNG give the displayed pixels with the secure layer black', { timeout: 30_000 }, async () => {
  const shown = rig.display.readFramebuffer();
  const raw = await cli('screencap', '--raw', '--socket', rig.socketPath);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(raw.stdoutBytes.length, WIDTH * HEIGHT * 4);
  const png = await cli('screencap', '--socket', rig.socketPath);
  const decoded = decode(png.stdoutBytes);
  assert.deepEqual([decoded.width, decoded.height], [WIDTH, HEIGHT]);
  assert.deepEqual(Buffer.from(decoded.data as Uint8Array), raw.stdoutBytes);
  let secureChecked = 0;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const at = (y * WIDTH + x) * 4;
      const inSecure = x >= SECURE.left && x < SECURE.right && y >= SECURE.top && y < SECURE.bottom;
      const got = [...raw.stdoutBytes.subarray(at, at + 4)];
      if (inSecure) {
        assert.deepEqual(got, [0, 0, 0, 255], `secure pixel ${x},${y}`);
        assert.deepEqual([...shown.subarray(at, at + 4)], [255, 0, 0, 255], 'the display itself shows the secure content');
        secureChecked += 1;
      } else {
        assert.deepEqual(got, [...shown.subarray(at, at + 4)], `pixel ${x},${y}`);
      }
    }
  }
  assert.equal(secureChecked, 100 * 60);
});
