// Appendix A scenarios C1, C2, C3, C5 and C6 (C4 belongs to the composer), plus the rules around them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PixelFormat } from '../../src/buffer/index.js';
import { MAX_PENDING_TRANSACTIONS, ROOT_LAYER, Transaction } from '../../src/flinger/index.js';
import type { OutputLayer, TransactionStats } from '../../src/flinger/index.js';
import { isStratumError } from '../../src/os/status.js';
import { Fence } from '../../src/queue/index.js';
import type { RGBA } from './support.js';
import { harness, screenPixel, solidBuffer } from './support.js';

const RED: RGBA = [255, 0, 0, 255];
const GREEN: RGBA = [0, 255, 0, 255];
const BLUE: RGBA = [0, 0, 255, 255];
const BLACK: RGBA = [0, 0, 0, 255];

function lastLayers(h: ReturnType<typeof harness>): readonly { layer: number; name: string; planeAlpha: number; blendMode: string; visibleRegion: [number, number, number, number][] }[] {
  const frame = h.flinger.dump().displays[0]?.lastFrame;
  assert.ok(frame, 'a frame was presented');
  return frame.layers;
}

test('C1: a layer that never had a buffer is not composited; after its first buffer it is; the last buffer stays', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'app', kind: 'buffer' });
  await h.frame();
  assert.deepEqual(lastLayers(h), []);
  assert.match(h.flinger.dumpText(), /buffer: none yet/);
  assert.deepEqual(screenPixel(h.display, 5, 5), BLACK);

  const buffer = solidBuffer(16, 16, RED);
  h.client.apply(new Transaction().setBuffer(layer.id, { buffer }).setPosition(layer.id, 4, 4));
  await h.frame();
  assert.deepEqual(lastLayers(h).map((l) => l.name), ['app']);
  assert.deepEqual(screenPixel(h.display, 5, 5), RED);
  assert.deepEqual(screenPixel(h.display, 3, 3), BLACK);

  // No new buffer: nothing asks for VSync, and when something else changes the old buffer is still shown.
  assert.equal(await h.frame(), false, 'an idle flinger asks for no VSync');
  const other = h.client.createLayer({ name: 'dot', kind: 'color', initial: { crop: { left: 40, top: 40, right: 42, bottom: 42 }, color: { r: 0, g: 0, b: 1 } } });
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 5, 5), RED);
  assert.deepEqual(screenPixel(h.display, 41, 41), BLUE);
  assert.equal(h.flinger.dump().layers.find((l) => l.id === layer.id)?.framesLatched, 1);
  h.client.destroyLayer(other.id);
  h.dispose();
  buffer.dispose();
});

test('C2: alpha multiplies down the tree, parent crop clips children, hidden hides the subtree, negative z draws under the parent', async () => {
  const h = harness();
  const parent = h.client.createLayer({ name: 'parent', kind: 'color', initial: { color: { r: 1, g: 0, b: 0 }, crop: { left: 0, top: 0, right: 20, bottom: 20 }, alpha: 0.5 } });
  const child = h.client.createLayer({ name: 'child', kind: 'color', parent: parent.id, initial: { color: { r: 0, g: 1, b: 0 }, alpha: 0.5, crop: { left: 10, top: 10, right: 40, bottom: 40 } } });
  const under = h.client.createLayer({ name: 'under', kind: 'color', parent: parent.id, initial: { color: { r: 0, g: 0, b: 1 }, z: -1, crop: { left: 0, top: 0, right: 5, bottom: 5 } } });
  await h.frame();
  const layers = lastLayers(h);
  assert.deepEqual(layers.map((l) => l.name), ['under', 'parent', 'child'], 'negative z below the parent, positive above');
  assert.equal(layers.find((l) => l.name === 'child')?.planeAlpha, 0.25);
  assert.equal(layers.find((l) => l.name === 'under')?.planeAlpha, 0.5);
  // The child's own crop reaches (40,40), the parent's crop stops it at (20,20).
  assert.deepEqual(layers.find((l) => l.name === 'child')?.visibleRegion, [[10, 10, 20, 20]]);
  assert.deepEqual(screenPixel(h.display, 25, 25), BLACK);

  h.client.apply(new Transaction().hide(parent.id));
  await h.frame();
  assert.deepEqual(lastLayers(h), [], 'a hidden parent hides its children');
  assert.deepEqual(screenPixel(h.display, 15, 15), BLACK);
  h.client.apply(new Transaction().show(parent.id).setLayer(under.id, 0));
  await h.frame();
  assert.deepEqual(lastLayers(h).map((l) => l.name), ['parent', 'child', 'under'], 'ties in z break by creation order');
  h.client.apply(new Transaction().setLayer(child.id, 1));
  await h.frame();
  assert.deepEqual(lastLayers(h).map((l) => l.name), ['parent', 'under', 'child']);
  h.dispose();
});

test('C2: relative z draws a layer among another layer\'s children, and not at all once that layer is gone', async () => {
  const h = harness();
  const a = h.client.createLayer({ name: 'a', kind: 'color', initial: { z: 1, crop: { left: 0, top: 0, right: 10, bottom: 10 } } });
  const b = h.client.createLayer({ name: 'b', kind: 'color', initial: { z: 2, crop: { left: 5, top: 0, right: 15, bottom: 10 } } });
  const c = h.client.createLayer({ name: 'c', kind: 'color', initial: { z: 3, crop: { left: 8, top: 0, right: 20, bottom: 10 } } });
  await h.frame();
  assert.deepEqual(lastLayers(h).map((l) => l.name), ['a', 'b', 'c']);
  h.client.apply(new Transaction().setRelativeLayer(c.id, a.id, -1));
  await h.frame();
  assert.deepEqual(lastLayers(h).map((l) => l.name), ['c', 'a', 'b']);
  h.client.destroyLayer(a.id);
  await h.frame();
  assert.deepEqual(lastLayers(h).map((l) => l.name), ['b']);
  assert.equal(h.flinger.dump().displays[0]?.lastFrame?.skipped[String(c.id)], 'relative parent gone');
  h.client.apply(new Transaction().setLayer(c.id, 0));
  await h.frame();
  assert.deepEqual(lastLayers(h).map((l) => l.name), ['c', 'b']);
  void b;
  h.dispose();
});

test('C3: an opaque full-screen layer on top drops the layers below; a translucent one keeps them with full visible and covered regions', async () => {
  const h = harness();
  const low = h.client.createLayer({ name: 'low', kind: 'color', initial: { crop: { left: 0, top: 0, right: 32, bottom: 32 }, color: { r: 0, g: 0, b: 1 } } });
  const top = h.client.createLayer({ name: 'top', kind: 'color', initial: { z: 1, color: { r: 1, g: 0, b: 0 } } });
  await h.frame();
  assert.deepEqual(lastLayers(h).map((l) => l.name), ['top']);
  assert.equal(h.flinger.dump().displays[0]?.lastFrame?.skipped[String(low.id)], 'occluded');

  h.client.apply(new Transaction().setAlpha(top.id, 0.5));
  await h.frame();
  const frame = h.flinger.dump().displays[0]?.lastFrame;
  assert.deepEqual(frame?.layers.map((l) => l.name), ['low', 'top']);
  assert.deepEqual(frame?.layers[0]?.visibleRegion, [[0, 0, 32, 32]]);
  const snapshotLayers: OutputLayer[] = [];
  const off = h.flinger.onPresent((info) => snapshotLayers.push(...info.layers));
  h.client.apply(new Transaction().setAlpha(top.id, 0.6));
  await h.frame();
  off();
  const lowOut = snapshotLayers.find((l) => l.name === 'low');
  assert.deepEqual(lowOut?.coveredRegion.toJSON(), [[0, 0, 32, 32]], 'covered = the overlap with the layer above');
  assert.deepEqual(snapshotLayers.find((l) => l.name === 'top')?.coveredRegion.toJSON(), []);
  // A buffer with an opaque format occludes like an opaque flag does.
  const buffer = solidBuffer(64, 48, GREEN, PixelFormat.RGBX_8888);
  const opaqueBuffer = h.client.createLayer({ name: 'rgbx', kind: 'buffer', initial: { z: 5 } });
  h.client.apply(new Transaction().setBuffer(opaqueBuffer.id, { buffer }));
  await h.frame();
  assert.deepEqual(lastLayers(h).map((l) => l.name), ['rgbx']);
  h.dispose();
  buffer.dispose();
});

test('C5: blend mode: opaque with alpha 1 -> NONE, alpha below 1 -> PREMULTIPLIED, non-premultiplied -> COVERAGE', async () => {
  const h = harness();
  const buffer = solidBuffer(8, 8, [128, 0, 0, 128]);
  const make = (name: string, x: number, initial: object): number => {
    const layer = h.client.createLayer({ name, kind: 'buffer', initial: { position: { x, y: 0 }, ...initial } });
    h.client.apply(new Transaction().setBuffer(layer.id, { buffer }));
    return layer.id;
  };
  make('opaque', 0, { opaque: true });
  make('opaque-alpha', 10, { opaque: true, alpha: 0.5 });
  make('translucent', 20, {});
  make('straight', 30, { nonPremultiplied: true });
  make('straight-opaque', 40, { nonPremultiplied: true, opaque: true });
  await h.frame();
  const modes = Object.fromEntries(lastLayers(h).map((l) => [l.name, l.blendMode]));
  assert.deepEqual(modes, { opaque: 'NONE', 'opaque-alpha': 'PREMULTIPLIED', translucent: 'PREMULTIPLIED', straight: 'COVERAGE', 'straight-opaque': 'NONE' });
  // What the user sees: NONE shows the buffer's color as is, PREMULTIPLIED adds it over black.
  assert.deepEqual(screenPixel(h.display, 1, 1), [128, 0, 0, 255]);
  assert.deepEqual(screenPixel(h.display, 21, 1), [128, 0, 0, 255]);
  assert.deepEqual(screenPixel(h.display, 31, 1), [64, 0, 0, 255], 'coverage multiplies straight color by its alpha');
  h.dispose();
  buffer.dispose();
});

test('C6: merge is later-wins per field, and a buffer merged over is released at once', () => {
  const released: string[] = [];
  const a = solidBuffer(4, 4, RED);
  const b = solidBuffer(4, 4, GREEN);
  const first = new Transaction().setPosition(1, 1, 1).setAlpha(1, 0.5).setBuffer(1, { buffer: a, onRelease: () => released.push('a') });
  const second = new Transaction().setPosition(1, 9, 9).setBuffer(1, { buffer: b, onRelease: () => released.push('b') }).setLayer(2, 3);
  first.merge(second);
  assert.deepEqual(released, ['a'], 'the overridden buffer went back during merge');
  assert.ok(second.isEmpty, 'the merged transaction is cleared');
  const data = first.toData();
  const one = data.layers.find((l) => l.layer === 1)?.changes;
  assert.deepEqual(one?.position, { x: 9, y: 9 });
  assert.equal(one?.alpha, 0.5);
  assert.equal(one?.buffer?.buffer, b);
  assert.equal(data.layers.find((l) => l.layer === 2)?.changes.z, 3);
  // Merge order matters: the other way round, the first one's fields win.
  const x = new Transaction().setPosition(1, 1, 1);
  const y = new Transaction().setPosition(1, 2, 2);
  assert.deepEqual(y.merge(x).toData().layers[0]?.changes.position, { x: 1, y: 1 });
  // relative z and z replace each other.
  const r = new Transaction().setRelativeLayer(1, 2, 5).merge(new Transaction().setLayer(1, 7)).toData().layers[0]?.changes;
  assert.deepEqual([r?.z, r?.relativeZ], [7, undefined]);
  a.dispose();
  b.dispose();
});

test('C6: desired present time 500 ms ahead waits for its VSync, 2 s ahead applies at once', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'l', kind: 'color', initial: { crop: { left: 0, top: 0, right: 4, bottom: 4 } } });
  await h.frame();
  const start = h.vsync.now;
  let appliedAt = -1;
  h.client.apply(new Transaction().setPosition(layer.id, 10, 0).setDesiredPresentTime(start + 500), { onCommit: (s) => (appliedAt = s.latchTime) });
  let frames = 0;
  let before = h.vsync.now;
  while (appliedAt < 0 && frames < 200) {
    before = h.vsync.now;
    await h.frame();
    frames++;
  }
  assert.ok(appliedAt >= start + 500, `applied at ${appliedAt - start} ms, not before 500`);
  assert.ok(before < start + 500, 'applied on the first VSync at or after its time');
  const far = h.vsync.now + 2000;
  let farAt = -1;
  h.client.apply(new Transaction().setPosition(layer.id, 20, 0).setDesiredPresentTime(far), { onCommit: (s) => (farAt = s.latchTime) });
  await h.frame();
  assert.equal(farAt, h.vsync.now, 'more than 1 s ahead counts as now');
  h.dispose();
});

test('C6: transactions of one client apply in order: a later ready one waits behind an earlier one', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'l', kind: 'color', initial: { crop: { left: 0, top: 0, right: 4, bottom: 4 } } });
  const order: string[] = [];
  h.client.apply(new Transaction().setAlpha(layer.id, 0.5).setDesiredPresentTime(h.vsync.now + 100), { onCommit: () => order.push('first') });
  h.client.apply(new Transaction().setAlpha(layer.id, 0.7), { onCommit: () => order.push('second') });
  await h.frame();
  assert.deepEqual(order, []);
  await h.frames(8);
  assert.deepEqual(order, ['first', 'second']);
  assert.equal(h.flinger.dump().layers[0]?.properties.alpha, 0.7);
  // Another client is not held up.
  const other = h.flinger.createClient('other');
  const mine = other.createLayer({ name: 'm', kind: 'color' });
  h.client.apply(new Transaction().setAlpha(layer.id, 0.1).setDesiredPresentTime(h.vsync.now + 200));
  let otherDone = false;
  other.apply(new Transaction().setAlpha(mine.id, 0.3), { onCommit: () => (otherDone = true) });
  await h.frame();
  assert.ok(otherDone);
  h.dispose();
});

test('C6: commit comes before complete; stats carry latch time, acquire time, present fence and previous release fence', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'l', kind: 'buffer' });
  const a = solidBuffer(4, 4, RED);
  const b = solidBuffer(4, 4, GREEN);
  const events: [string, TransactionStats][] = [];
  const releases: Fence[] = [];
  const acquire = new Fence('gpu-a');
  h.client.apply(new Transaction().setBuffer(layer.id, { buffer: a, acquireFence: acquire, frameNumber: 1, onRelease: (f) => releases.push(f) }), {
    onCommit: (s) => events.push(['commit', s]),
    onComplete: (s) => events.push(['complete', s]),
  });
  await h.frame();
  assert.equal(events.length, 0, 'an unsignalled acquire fence holds the transaction');
  assert.equal(h.vsync.requested, false, 'waiting on a fence asks for no VSync');
  acquire.signal(1234.5);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(h.vsync.requested, true, 'the fence signal asks for a VSync');
  await h.frame();
  assert.deepEqual(events.map((e) => e[0]), ['commit', 'complete']);
  const [, commit] = events[0]!;
  const [, complete] = events[1]!;
  assert.equal(commit.latchTime, h.vsync.now);
  assert.equal(commit.presentTime, -1);
  assert.equal(commit.presentFence, null);
  assert.equal(complete.latchTime, h.vsync.now);
  assert.ok(complete.presentFence?.signalled);
  assert.equal(complete.presentTime, complete.presentFence?.signalTime);
  assert.deepEqual(complete.surfaces.map((s) => [s.layer, s.acquireTime, s.frameNumber, s.previousReleaseFence]), [[layer.id, 1234.5, 1, null]]);

  events.length = 0;
  h.client.apply(new Transaction().setBuffer(layer.id, { buffer: b, frameNumber: 2, onRelease: (f) => releases.push(f) }), { onComplete: (s) => events.push(['complete', s]) });
  await h.frame();
  const stats = events[0]![1];
  assert.equal(releases.length, 1, 'the replaced buffer went back');
  assert.equal(stats.surfaces[0]?.previousReleaseFence, releases[0]);
  assert.ok(releases[0]?.signalled);

  // A destroyed layer is left out of the stats; the callback still fires.
  events.length = 0;
  h.client.apply(new Transaction().setAlpha(layer.id, 0.5).destroy(layer.id), { onComplete: (s) => events.push(['complete', s]) });
  await h.frame();
  assert.equal(events.length, 1);
  assert.deepEqual(events[0]![1].surfaces, []);
  assert.equal(releases.length, 2, 'destroying the layer released its buffer');
  h.dispose();
  a.dispose();
  b.dispose();
});

test('two buffers for one layer before a frame: the first is dropped and released', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'l', kind: 'buffer' });
  const a = solidBuffer(4, 4, RED);
  const b = solidBuffer(4, 4, GREEN);
  const released: string[] = [];
  h.client.apply(new Transaction().setBuffer(layer.id, { buffer: a, onRelease: () => released.push('a') }));
  h.client.apply(new Transaction().setBuffer(layer.id, { buffer: b, onRelease: () => released.push('b') }));
  await h.frame();
  assert.deepEqual(released, ['a']);
  assert.deepEqual(screenPixel(h.display, 1, 1), GREEN);
  const dump = h.flinger.dump().layers[0];
  assert.deepEqual([dump?.framesLatched, dump?.framesDropped], [2, 1]);
  h.dispose();
  a.dispose();
  b.dispose();
});

test('bad transactions are refused at apply with an error naming the field; other clients\' layers are off limits', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'l', kind: 'color' });
  const container = h.client.createLayer({ name: 'c', kind: 'container' });
  const cases: [object, RegExp, string][] = [
    [{ alpha: 2 }, /alpha must be a number in 0\.\.1/, 'BAD_VALUE'],
    [{ position: { x: Number.NaN, y: 0 } }, /position\.x/, 'BAD_VALUE'],
    [{ crop: { left: 5, top: 0, right: 1, bottom: 4 } }, /crop .* negative/, 'BAD_VALUE'],
    [{ bufferTransform: 9 }, /bufferTransform/, 'BAD_VALUE'],
    [{ z: 1.5 }, /z must be a 32-bit integer/, 'BAD_VALUE'],
    [{ color: { r: 0, g: 2, b: 0 } }, /color\.g/, 'BAD_VALUE'],
    [{ wobble: true }, /no property 'wobble'/, 'BAD_VALUE'],
    [{ parent: 999 }, /parent 999 does not exist/, 'NAME_NOT_FOUND'],
    [{ relativeZ: { relativeTo: layer.id, z: 1 } }, /relative to itself/, 'BAD_VALUE'],
  ];
  for (const [changes, message, code] of cases) {
    assert.throws(() => h.client.apply({ layers: [{ layer: layer.id, changes }] }), (e: unknown) => isStratumError(e) && e.code === code && message.test(e.message), JSON.stringify(changes));
  }
  const buffer = solidBuffer(2, 2, RED);
  assert.throws(() => h.client.apply(new Transaction().setBuffer(layer.id, { buffer })), (e: unknown) => isStratumError(e, 'INVALID_OPERATION') && /is a color layer and cannot take a buffer/.test(e.message));
  h.client.apply(new Transaction().reparent(layer.id, container.id));
  await h.frame();
  assert.throws(() => h.client.apply(new Transaction().reparent(container.id, layer.id)), (e: unknown) => isStratumError(e, 'BAD_VALUE'), 'a cycle is refused');
  const stranger = h.flinger.createClient('stranger');
  assert.throws(() => stranger.apply(new Transaction().setAlpha(layer.id, 0.5)), (e: unknown) => isStratumError(e, 'PERMISSION_DENIED'));
  const wm = h.flinger.createClient('wm', { privileged: true });
  wm.apply(new Transaction().setAlpha(layer.id, 0.5));
  assert.throws(() => h.client.apply({ layers: [{ layer: 4242, changes: {} }] }), (e: unknown) => isStratumError(e, 'NAME_NOT_FOUND'));
  assert.equal(h.flinger.dump().pendingTransactions, 1, 'refused transactions left nothing behind');
  h.dispose();
  buffer.dispose();
});

test('reparent to null takes a subtree offscreen; ROOT_LAYER brings it back; a disposed client\'s layers go away', async () => {
  const h = harness();
  const parent = h.client.createLayer({ name: 'p', kind: 'color', initial: { crop: { left: 0, top: 0, right: 8, bottom: 8 } } });
  h.client.createLayer({ name: 'kid', kind: 'color', parent: parent.id, initial: { z: 1, crop: { left: 0, top: 0, right: 4, bottom: 4 }, color: { r: 0, g: 1, b: 0 } } });
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), GREEN);
  h.client.apply(new Transaction().reparent(parent.id, null));
  await h.frame();
  assert.deepEqual(lastLayers(h), []);
  assert.match(h.flinger.dumpText(), /offscreen:/);
  h.client.apply(new Transaction().reparent(parent.id, ROOT_LAYER));
  await h.frame();
  assert.equal(lastLayers(h).length, 2);
  h.client.dispose();
  await h.frame();
  assert.deepEqual(lastLayers(h), []);
  assert.deepEqual(screenPixel(h.display, 1, 1), BLACK);
  assert.throws(() => h.client.createLayer({ name: 'x', kind: 'color' }), (e: unknown) => isStratumError(e, 'DEAD_OBJECT'));
  h.dispose();
});

test('the visible region hint limits what a layer draws and what it occludes; a skewing matrix is not drawn and says why', async () => {
  const h = harness();
  h.client.createLayer({ name: 'low', kind: 'color', initial: { color: { r: 0, g: 0, b: 1 }, crop: { left: 0, top: 0, right: 32, bottom: 32 } } });
  const top = h.client.createLayer({ name: 'top', kind: 'color', initial: { z: 1, color: { r: 1, g: 0, b: 0 }, crop: { left: 0, top: 0, right: 32, bottom: 32 }, visibleRegionHint: [{ left: 0, top: 0, right: 16, bottom: 32 }] } });
  await h.frame();
  const layers = lastLayers(h);
  assert.deepEqual(layers.map((l) => [l.name, l.visibleRegion]), [['low', [[16, 0, 32, 32]]], ['top', [[0, 0, 16, 32]]]]);
  assert.deepEqual(screenPixel(h.display, 20, 5), BLUE, 'outside the hint the layer below shows');
  assert.deepEqual(screenPixel(h.display, 5, 5), RED);
  h.client.apply(new Transaction().setMatrix(top.id, 1, 0.5, 0, 1));
  await h.frame();
  assert.equal(h.flinger.dump().displays[0]?.lastFrame?.skipped[String(top.id)], 'unsupported transform');
  assert.deepEqual(screenPixel(h.display, 5, 5), BLUE);
  h.dispose();
});

test('stats carry the transform hint of the display showing the layer', async () => {
  const h = harness({ width: 48, height: 64 });
  h.display.setProjection({ orientation: 90, layerStackRect: { left: 0, top: 0, right: 64, bottom: 48 }, displayRect: { left: 0, top: 0, right: 64, bottom: 48 } });
  const layer = h.client.createLayer({ name: 'l', kind: 'color' });
  let hint = -1;
  h.client.apply(new Transaction().setAlpha(layer.id, 0.5), { onComplete: (s) => (hint = s.surfaces[0]?.transformHint ?? -2) });
  await h.frame();
  assert.equal(hint, h.display.transformHint);
  assert.notEqual(hint, 0);
  h.dispose();
});

test('a client may have at most MAX_PENDING_TRANSACTIONS waiting; more is LIMIT_EXCEEDED', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'l', kind: 'color' });
  const later = h.vsync.now + 900;
  for (let i = 0; i < MAX_PENDING_TRANSACTIONS; i++) h.client.apply(new Transaction().setAlpha(layer.id, 0.5).setDesiredPresentTime(later));
  assert.throws(() => h.client.apply(new Transaction().setAlpha(layer.id, 0.5)), (e: unknown) => isStratumError(e, 'LIMIT_EXCEEDED') && /256 transactions/.test(e.message));
  h.client.dispose();
  assert.equal(h.flinger.dump().pendingTransactions, 0);
  await h.frame();
  h.dispose();
});

test('dump is plain data: displays with the last frame\'s output layers, layers with properties, buffer and queue state', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'app', kind: 'buffer', queue: { width: 8, height: 8 } });
  const buffer = solidBuffer(8, 8, RED);
  h.client.apply(new Transaction().setBuffer(layer.id, { buffer, frameNumber: 7 }).setPosition(layer.id, 2, 3));
  await h.frame();
  const dump = h.flinger.dump();
  const plain = (value: unknown, path: string): void => {
    if (value === null || ['number', 'string', 'boolean', 'undefined'].includes(typeof value)) return;
    assert.ok(Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype, `${path} is not plain data`);
    for (const [k, v] of Object.entries(value as object)) plain(v, `${path}.${k}`);
  };
  plain(dump, 'dump');
  const display = dump.displays[0];
  assert.equal(display?.framesPresented, 1, 'layer creation and its first transaction share one frame');
  assert.deepEqual(display?.lastFrame?.layers[0]?.displayFrame, { left: 2, top: 3, right: 10, bottom: 11 });
  assert.deepEqual(display?.lastFrame?.layers[0]?.visibleRegion, [[2, 3, 10, 11]]);
  const l = dump.layers[0];
  assert.deepEqual([l?.buffer?.frameNumber, l?.buffer?.width, l?.framesLatched, l?.queue?.queueSize], [7, 8, 1, 3]);
  assert.deepEqual(l?.properties.position, { x: 2, y: 3 });
  const text = h.flinger.dumpText();
  assert.match(text, /Display \d+ "headless-\d+".* 64x48 @ 60 Hz/);
  assert.match(text, /buffer: id \d+ 8x8 RGBA_8888 frame 7; latched 1, dropped 0/);
  h.dispose();
  buffer.dispose();
});

test('a shown buffer freed by its owner is left out of the frame instead of failing it', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'app', kind: 'buffer' });
  const buffer = solidBuffer(8, 8, RED);
  h.client.apply(new Transaction().setBuffer(layer.id, { buffer }));
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), RED);
  buffer.dispose();
  h.client.createLayer({ name: 'other', kind: 'color', initial: { crop: { left: 30, top: 30, right: 32, bottom: 32 } } });
  await h.frame();
  assert.equal(h.flinger.dump().displays[0]?.lastFrame?.skipped[String(layer.id)], 'buffer disposed');
  assert.deepEqual(screenPixel(h.display, 1, 1), BLACK);
  h.dispose();
});
