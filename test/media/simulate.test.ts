// Simulated secondary displays: a virtual display mirroring the primary, shown by an overlay on
// the primary (the closed loop), created through the SDK; its nested copies appear, and removing
// it leaves nothing behind.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MediaRig } from './support.js';
import { startRig } from './support.js';

const WIDTH = 640;
const HEIGHT = 480;
/** The animation's box color in frame 0 (x 0..128, y 200..328). */
const BOX = [0xe0, 0x40, 0x20] as const;

let rig: MediaRig;
before(async () => {
  rig = await startRig(WIDTH, HEIGHT, false);
});
after(async () => {
  await rig.close();
});

function pixel(rgba: Uint8Array, x: number, y: number): number[] {
  const at = (y * WIDTH + x) * 4;
  return [rgba[at] ?? -1, rgba[at + 1] ?? -1, rgba[at + 2] ?? -1];
}

function near(actual: number[], expected: readonly number[]): boolean {
  return actual.every((v, i) => Math.abs(v - (expected[i] ?? 0)) <= 24);
}

/** Captures until `ok` holds (the loop deepens one level per frame), at most ~3 s. */
async function captureUntil(ok: (rgba: Uint8Array) => boolean): Promise<Uint8Array> {
  let shot = (await rig.client.screencap()).rgba;
  for (let i = 0; i < 60 && !ok(shot); i++) {
    await new Promise((r) => setTimeout(r, 50));
    shot = (await rig.client.screencap()).rgba;
  }
  return shot;
}

test('a simulated display mirroring the primary shows it, and itself inside itself; removing it cleans up', { timeout: 30_000 }, async () => {
  const displaysBefore = rig.flinger.displays.length;
  const layersBefore = rig.flinger.dump().layers.length;
  const simulated = await rig.client.createVirtualDisplay({ width: 320, height: 240, density: 240, sink: 'overlay', mirror: rig.display.id });
  assert.equal(rig.flinger.displays.length, displaysBefore + 1);
  // The overlay: 320x240 at the bottom-right with a 16 px margin -> (304, 224); it shows the
  // primary at half size, so the box (0..128, 200..328) lands at (304..368, 324..388) ...
  const firstCopy = [336, 356] as const;
  // ... and the overlay's own copy at (304 + 152, 224 + 112), whose box is at (472..488, 386..418).
  const nestedCopy = [480, 402] as const;
  const shot = await captureUntil((rgba) => near(pixel(rgba, ...firstCopy), BOX) && near(pixel(rgba, ...nestedCopy), BOX));
  assert.ok(near(pixel(shot, 64, 264), BOX), 'the primary content itself');
  assert.ok(near(pixel(shot, ...firstCopy), BOX), `the mirrored copy in the overlay: ${pixel(shot, ...firstCopy).join(',')}`);
  assert.ok(near(pixel(shot, ...nestedCopy), BOX), `the nested copy inside the overlay: ${pixel(shot, ...nestedCopy).join(',')}`);
  assert.ok(!near(pixel(shot, 336, 200), BOX), 'above the overlay: the gradient, no box');

  await simulated.destroy();
  await rig.client.sync();
  assert.equal(rig.flinger.displays.length, displaysBefore);
  const cleared = await captureUntil((rgba) => !near(pixel(rgba, ...firstCopy), BOX));
  assert.ok(!near(pixel(cleared, ...firstCopy), BOX), 'the overlay is gone from the screen');
  await rig.flinger.settled();
  assert.equal(rig.flinger.dump().layers.length, layersBefore, 'the overlay layer is destroyed');
});
