// Pixel tests against committed golden PNGs (test/flinger/golden/). The scenes are built through
// the flinger's in-process API (the API the server maps the SDK onto). The match is exact: this is
// a software path. On a mismatch the test writes actual-NAME.png and diff-NAME.png next to the
// golden (both ignored by git). UPDATE_GOLDENS=1 rewrites the goldens.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decode } from 'fast-png';

import { PixelFormat, ScalingMode, Transform } from '../../src/buffer/index.js';
import { Transaction, encodePng } from '../../src/flinger/index.js';
import { checkGolden, pattern } from './golden-support.js';
import type { Harness } from './support.js';
import { harness } from './support.js';

async function screen(h: Harness): Promise<Uint8Array> {
  await h.frame();
  return h.display.readFramebuffer();
}

test('golden: the phone scene (status bar, app, translucent nav bar, translucent dialog)', async () => {
  const W = 180;
  const H = 400;
  const h = harness({ width: W, height: H });
  const c = h.client;
  const status = c.createLayer({ name: 'status', kind: 'buffer', initial: { z: 10 } });
  const app = c.createLayer({ name: 'app', kind: 'buffer', initial: { position: { x: 0, y: 14 }, z: 0 } });
  const nav = c.createLayer({ name: 'nav', kind: 'buffer', initial: { position: { x: 0, y: 386 }, z: 10, alpha: 0xa0 / 255 } });
  const dialog = c.createLayer({ name: 'dialog', kind: 'buffer', initial: { position: { x: 30, y: 130 }, z: 5, alpha: 0x60 / 255 } });
  const buffers = [pattern(W, 14, PixelFormat.RGBX_8888), pattern(W, 372, PixelFormat.RGBX_8888), pattern(W, 14), pattern(68, 68)];
  c.apply(
    new Transaction()
      .setBuffer(status.id, { buffer: buffers[0]! })
      .setBuffer(app.id, { buffer: buffers[1]! })
      .setBuffer(nav.id, { buffer: buffers[2]! })
      .setBuffer(dialog.id, { buffer: buffers[3]! }),
  );
  checkGolden('phone', W, H, await screen(h));
  h.dispose();
  for (const b of buffers) b.dispose();
});

test('golden: hierarchy (alpha multiplies, parent crop clips, negative z, relative z, hidden subtree)', async () => {
  const W = 96;
  const H = 64;
  const h = harness({ width: W, height: H });
  const c = h.client;
  c.createLayer({ name: 'background', kind: 'color', initial: { color: { r: 0.2, g: 0.2, b: 0.25 }, z: -100 } });
  const parent = c.createLayer({ name: 'parent', kind: 'color', initial: { color: { r: 0.9, g: 0.3, b: 0.1 }, crop: { left: 8, top: 8, right: 56, bottom: 56 }, alpha: 0.75 } });
  c.createLayer({ name: 'child', kind: 'color', parent: parent.id, initial: { color: { r: 0.1, g: 0.8, b: 0.3 }, alpha: 0.5, crop: { left: 32, top: 24, right: 90, bottom: 48 }, z: 1 } });
  c.createLayer({ name: 'under', kind: 'color', parent: parent.id, initial: { color: { r: 0.1, g: 0.3, b: 0.9 }, crop: { left: 2, top: 2, right: 24, bottom: 24 }, z: -1 } });
  const sibling = c.createLayer({ name: 'sibling', kind: 'color', initial: { color: { r: 1, g: 1, b: 0 }, crop: { left: 60, top: 4, right: 92, bottom: 60 }, z: 2 } });
  const hiddenParent = c.createLayer({ name: 'hidden', kind: 'container', initial: { hidden: true } });
  c.createLayer({ name: 'hidden-child', kind: 'color', parent: hiddenParent.id, initial: { color: { r: 1, g: 1, b: 1 } } });
  const rel = c.createLayer({ name: 'relative', kind: 'color', initial: { color: { r: 0.8, g: 0, b: 0.8 }, crop: { left: 44, top: 40, right: 70, bottom: 62 } } });
  c.apply(new Transaction().setRelativeLayer(rel.id, sibling.id, -1));
  checkGolden('hierarchy', W, H, await screen(h));
  h.dispose();
});

test('golden: buffer transforms, buffer crop, scaling modes and matrix scale', async () => {
  const W = 160;
  const H = 120;
  const h = harness({ width: W, height: H });
  const c = h.client;
  const src = pattern(16, 12);
  const transforms = [Transform.NONE, Transform.FLIP_H, Transform.FLIP_V, Transform.ROT_90, Transform.ROT_180, Transform.ROT_270, Transform.FLIP_H_ROT_90, Transform.FLIP_V_ROT_90];
  const tx = new Transaction();
  transforms.forEach((t, i) => {
    const l = c.createLayer({ name: `t${t}`, kind: 'buffer', initial: { position: { x: 4 + (i % 4) * 24, y: 4 + Math.floor(i / 4) * 24 }, bufferTransform: t } });
    tx.setBuffer(l.id, { buffer: src });
  });
  const modes: [string, number, object][] = [
    ['scale-to-window', ScalingMode.SCALE_TO_WINDOW, { position: { x: 100, y: 4 } }],
    ['scale-crop', ScalingMode.SCALE_CROP, { position: { x: 100, y: 40 } }],
    ['no-scale-crop', ScalingMode.NO_SCALE_CROP, { position: { x: 100, y: 76 } }],
  ];
  for (const [name, mode, initial] of modes) {
    const l = c.createLayer({ name, kind: 'buffer', initial: { ...initial, size: { width: 40, height: 20 }, scalingMode: mode as ScalingMode } });
    tx.setBuffer(l.id, { buffer: src });
  }
  const cropped = c.createLayer({ name: 'buffer-crop', kind: 'buffer', initial: { position: { x: 4, y: 56 }, bufferCrop: { left: 8, top: 0, right: 16, bottom: 6 }, matrix: { dsdx: 4, dtdx: 0, dtdy: 0, dsdy: 4 } } });
  tx.setBuffer(cropped.id, { buffer: src });
  const turned = c.createLayer({ name: 'matrix-turn', kind: 'buffer', initial: { position: { x: 90, y: 100 }, matrix: { dsdx: 0, dtdx: 1, dtdy: -1, dsdy: 0 } } });
  tx.setBuffer(turned.id, { buffer: src });
  c.apply(tx);
  checkGolden('transforms', W, H, await screen(h));
  h.dispose();
  src.dispose();
});

test('golden: a display turned 90 degrees with a scaled projection', async () => {
  const h = harness({ width: 60, height: 100 });
  h.display.setProjection({ orientation: 90, layerStackRect: { left: 0, top: 0, right: 50, bottom: 30 }, displayRect: { left: 0, top: 0, right: 100, bottom: 60 } });
  const src = pattern(16, 12);
  const l = h.client.createLayer({ name: 'app', kind: 'buffer', initial: { position: { x: 4, y: 4 } } });
  h.client.createLayer({ name: 'bar', kind: 'color', initial: { color: { r: 0.3, g: 0.9, b: 0.9 }, crop: { left: 0, top: 0, right: 50, bottom: 3 } } });
  h.client.apply(new Transaction().setBuffer(l.id, { buffer: src }));
  checkGolden('projection-rot90', 60, 100, await screen(h));
  h.dispose();
  src.dispose();
});

test('golden: capture shows secure layers black and leaves skip-screenshot layers out, the screen shows both', async () => {
  const h = harness({ width: 64, height: 48 });
  const c = h.client;
  const bg = pattern(64, 48);
  const back = c.createLayer({ name: 'wallpaper', kind: 'buffer' });
  const secure = c.createLayer({ name: 'bank', kind: 'color', initial: { color: { r: 0, g: 1, b: 0 }, crop: { left: 4, top: 4, right: 30, bottom: 30 }, secure: true, z: 1 } });
  c.createLayer({ name: 'bank-child', kind: 'color', parent: secure.id, initial: { color: { r: 1, g: 1, b: 1 }, crop: { left: 8, top: 8, right: 14, bottom: 14 }, z: 1 } });
  c.createLayer({ name: 'overlay', kind: 'color', initial: { color: { r: 1, g: 0, b: 1 }, crop: { left: 34, top: 10, right: 60, bottom: 40 }, skipScreenshot: true, z: 2 } });
  c.apply(new Transaction().setBuffer(back.id, { buffer: bg }));
  const onScreen = await screen(h);
  checkGolden('capture-screen', 64, 48, onScreen);
  const capture = await h.flinger.capture();
  checkGolden('capture', 64, 48, capture.rgba);
  assert.deepEqual(capture.layers.map((l) => l.name), ['wallpaper', 'bank', 'bank-child']);
  const png = decode(encodePng(capture.width, capture.height, capture.rgba));
  assert.deepEqual([png.width, png.height, png.channels], [64, 48, 4]);
  h.dispose();
  bg.dispose();
});
