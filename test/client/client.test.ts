// The SDK against a server with the real flinger (in this process, on a small display).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { connect, isStratumError } from '../../src/client/index.js';
import type { StratumClient, TransactionStats } from '../../src/client/index.js';
import { HeadlessDisplay } from '../../src/display/display.js';
import { Flinger } from '../../src/flinger/flinger.js';
import { startServer } from '../../src/server/index.js';
import type { StratumServer } from '../../src/server/index.js';
import { tempSocketPath } from '../server/helpers.js';

const RED = 0xff0000ff; // RGBA_8888 little-endian: r in the low byte
const GREEN = 0xff00ff00;

let server: StratumServer;
let flinger: Flinger;
let display: HeadlessDisplay;
let client: StratumClient;
const socket = tempSocketPath();

before(async () => {
  display = new HeadlessDisplay({ width: 48, height: 32, refreshRate: 120, name: 'test-panel' });
  flinger = new Flinger({ displays: [display] });
  server = startServer({ socketPath: socket.path, flinger, log: () => undefined });
  client = await connect({ socketPath: socket.path, name: 'sdk-test' });
});

after(() => {
  client.close();
  server.close();
  flinger.dispose();
  display.dispose();
  socket.cleanup();
});

function pixelAt(shot: { width: number; rgba: Uint8Array }, x: number, y: number): number {
  const i = (y * shot.width + x) * 4;
  return ((shot.rgba[i + 3]! << 24) | (shot.rgba[i + 2]! << 16) | (shot.rgba[i + 1]! << 8) | shot.rgba[i]!) >>> 0;
}

/** Applies `t` with commit and complete callbacks and resolves with both stats, in order. */
function applyAndWait(t: ReturnType<StratumClient['transaction']>): Promise<{ order: string[]; complete: TransactionStats }> {
  const order: string[] = [];
  return new Promise((resolve, reject) => {
    t.addCommitCallback(() => order.push('commit'))
      .addCompleteCallback((stats) => {
        order.push('complete');
        resolve({ order, complete: stats });
      })
      .apply()
      .catch(reject);
  });
}

test('display list and info come from the compositor', async () => {
  const displays = await client.listDisplays();
  assert.equal(displays.length, 1);
  assert.deepEqual(
    { name: displays[0]?.name, width: displays[0]?.width, height: displays[0]?.height, kind: displays[0]?.kind },
    { name: 'test-panel', width: 48, height: 32, kind: 'internal' },
  );
  assert.equal((await client.getDisplayInfo(display.id)).refreshRate, 120);
});

test('queued frames and transactions reach the screen; commit comes before complete with stats', async () => {
  const sc = await client.createSurface({ name: 'red-square', width: 8, height: 8, opaque: true });
  const d = await sc.surface.dequeueBuffer();
  d.buffer.pixels32().fill(RED);
  const queued = await sc.surface.queueBuffer(d);
  assert.equal(queued.frameNumber, 1);
  const { order, complete } = await applyAndWait(client.transaction().setPosition(sc, 10, 4).setLayer(sc, 5));
  assert.deepEqual(order, ['commit', 'complete']);
  assert.ok(complete.presentTime >= complete.latchTime && complete.latchTime > 0);
  const shot = await client.screencap();
  assert.equal(pixelAt(shot, 10, 4), RED);
  assert.equal(pixelAt(shot, 17, 11), RED);
  assert.notEqual(pixelAt(shot, 18, 4), RED);
  await sc.destroy();
  await applyAndWait(client.transaction());
  assert.notEqual(pixelAt(await client.screencap(), 10, 4), RED, 'a destroyed layer leaves the screen');
});

test('setBuffer shows a dequeued buffer with the transaction and gives it back through buffer-released', async () => {
  const sc = await client.createSurface({ name: 'blast', width: 4, height: 4, opaque: true });
  const released: number[] = [];
  sc.surface.onBufferReleased((e) => released.push(e.slot));
  const first = await sc.surface.dequeueBuffer();
  first.buffer.pixels32().fill(GREEN);
  const { complete } = await applyAndWait(client.transaction().setBuffer(sc, first).setPosition(sc, 0, 0).setLayer(sc, 9));
  assert.equal(complete.surfaces.length, 1);
  assert.equal(complete.surfaces[0]?.surface, sc);
  assert.equal(complete.surfaces[0]?.frameNumber, 1);
  assert.equal(pixelAt(await client.screencap(), 1, 1), GREEN);
  // A second buffer replaces the first, which comes back to the producer.
  const second = await sc.surface.dequeueBuffer();
  second.buffer.pixels32().fill(RED);
  await applyAndWait(client.transaction().setBuffer(sc, second));
  assert.equal(pixelAt(await client.screencap(), 1, 1), RED);
  await client.sync();
  assert.ok(released.length >= 1, 'the replaced buffer was released');
  // The same buffer objects come back: mapped once, reused.
  const again = await sc.surface.dequeueBuffer();
  assert.ok(again.buffer === first.buffer || again.buffer === second.buffer || sc.surface.buffersReceived <= 3);
  await sc.surface.cancelBuffer(again);
  await sc.destroy();
});

test('merge: later wins per field, a buffer merged over is given back', async () => {
  const sc = await client.createSurface({ name: 'merge', width: 4, height: 4, opaque: true });
  const a = await sc.surface.dequeueBuffer();
  const b = await sc.surface.dequeueBuffer();
  a.buffer.pixels32().fill(RED);
  b.buffer.pixels32().fill(GREEN);
  const t1 = client.transaction().setPosition(sc, 1, 1).setBuffer(sc, a).setLayer(sc, 20);
  const t2 = client.transaction().setPosition(sc, 30, 20).setBuffer(sc, b);
  t1.merge(t2);
  await applyAndWait(t1);
  const shot = await client.screencap();
  assert.equal(pixelAt(shot, 31, 21), GREEN);
  assert.notEqual(pixelAt(shot, 1, 1), RED);
  // Slot a was cancelled by the merge: it can be dequeued again at once.
  const c = await sc.surface.dequeueBuffer();
  assert.equal(c.buffer, a.buffer);
  await sc.surface.cancelBuffer(c);
  await sc.destroy();
});

test('bad transactions are refused with the flinger\'s reason; callbacks are not kept', async () => {
  const sc = await client.createSurface({ name: 'bad', kind: 'color' });
  await assert.rejects(client.transaction().setAlpha(sc, 2).apply(), (e: unknown) => isStratumError(e, 'BAD_VALUE') && /alpha/.test(e.message));
  await assert.rejects(client.transaction().setBuffer(sc, { slot: 0, buffer: undefined as never, bufferAge: 0, needsReallocation: false, releaseAllBuffers: false }).apply(), (e: unknown) => isStratumError(e, 'INVALID_OPERATION') && /no buffer queue/.test(e.message));
  await sc.destroy();
});

test('dump as text and JSON names the client\'s layers; buffers are mapped once and reused', async () => {
  const sc = await client.createSurface({ name: 'dumped-layer', width: 4, height: 4 });
  const buffers = new Set<unknown>();
  for (let i = 0; i < 12; i++) {
    const d = await sc.surface.dequeueBuffer();
    buffers.add(d.buffer);
    await sc.surface.queueBuffer(d);
  }
  assert.ok(buffers.size <= 3, `${buffers.size} buffer objects for a 3-slot queue`);
  assert.equal(sc.surface.buffersReceived, buffers.size);
  const text = await client.dump();
  assert.match(text, /dumped-layer/);
  const json = JSON.parse(await client.dump('json')) as { layers: { name: string }[] };
  assert.ok(json.layers.some((l) => l.name === 'dumped-layer'));
  await sc.destroy();
});
