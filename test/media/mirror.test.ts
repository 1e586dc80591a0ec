// Mirroring for recordings and simulated displays: letterboxed, and re-projected (not recreated)
// when the source rotates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeadlessDisplay, ManualVsyncSource } from '../../src/display/index.js';
import { followDisplay, letterbox } from '../../src/media/mirror.js';

test('letterbox keeps the aspect ratio, centered', () => {
  assert.deepEqual(letterbox({ width: 1080, height: 2400 }, 1280, 720), { left: 478, top: 0, right: 802, bottom: 720 });
  assert.deepEqual(letterbox({ width: 2400, height: 1080 }, 1280, 720), { left: 0, top: 72, right: 1280, bottom: 648 });
  assert.deepEqual(letterbox({ width: 1280, height: 720 }, 1280, 720), { left: 0, top: 0, right: 1280, bottom: 720 });
});

test('a mirror follows its source through a rotation and a stack change, and stops when told', () => {
  const phone = new HeadlessDisplay({ width: 1080, height: 2400, vsync: new ManualVsyncSource(60) });
  const recorder = new HeadlessDisplay({ kind: 'virtual', width: 1280, height: 720, layerStack: 7, vsync: new ManualVsyncSource(60) });
  const stop = followDisplay(phone, recorder);
  assert.equal(recorder.layerStack, phone.layerStack);
  assert.deepEqual(recorder.projection.displayRect, { left: 478, top: 0, right: 802, bottom: 720 });
  phone.setOrientation(90);
  assert.deepEqual(recorder.projection.layerStackRect, { left: 0, top: 0, right: 2400, bottom: 1080 });
  assert.deepEqual(recorder.projection.displayRect, { left: 0, top: 72, right: 1280, bottom: 648 });
  phone.layerStack = 3;
  assert.equal(recorder.layerStack, 3);
  stop();
  phone.setOrientation(0);
  assert.deepEqual(recorder.projection.displayRect, { left: 0, top: 72, right: 1280, bottom: 648 }, 'no longer following');
  phone.dispose();
  recorder.dispose();
});
