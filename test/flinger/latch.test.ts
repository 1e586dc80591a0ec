// Latching from a layer's BufferQueue: one buffer per layer per VSync, the queue's timed-acquire
// rules, acquire fences, release of the previous buffer, and VSync on demand.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PixelFormat, ScalingMode } from '../../src/buffer/index.js';
import type { BufferProducer, Fence as FenceType } from '../../src/queue/index.js';
import { Fence } from '../../src/queue/index.js';
import { Transaction } from '../../src/flinger/index.js';
import type { RGBA } from './support.js';
import { fillRect, harness, screenPixel, solidBuffer } from './support.js';

async function produce(producer: BufferProducer, color: RGBA, input: { timestamp?: number; desiredPresentTime?: number; fence?: FenceType; damage?: { left: number; top: number; right: number; bottom: number }[] } = {}, size = 8): Promise<number> {
  const d = await producer.dequeue({ width: size, height: size, format: PixelFormat.RGBA_8888 });
  await d.fence.wait();
  fillRect(d.buffer, { left: 0, top: 0, right: size, bottom: size }, color);
  return producer.queue(d.slot, input).frameNumber;
}

test('C1 through the queue: nothing before the first frame, then each VSync latches the newest due frame and keeps it', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'app', kind: 'buffer', queue: { width: 8, height: 8, queueSize: 4 } });
  const producer = layer.producer;
  assert.ok(producer);
  producer.connect({ label: 'test-app' });
  assert.equal(h.vsync.requested, true, 'creating a layer asks for a frame');
  await h.frame();
  assert.equal(await h.frame(), false, 'nothing queued: no VSync asked for');

  await produce(producer, [255, 0, 0, 255]);
  assert.equal(h.vsync.requested, true, 'a queued frame asks for a VSync');
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), [255, 0, 0, 255]);
  // Two auto-timestamped frames queued between two VSyncs: one latch per VSync, in order.
  await produce(producer, [0, 255, 0, 255]);
  await produce(producer, [0, 0, 255, 255]);
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), [0, 255, 0, 255], 'at most one buffer per layer per VSync');
  assert.equal(h.vsync.requested, true, 'the frame still queued asks for the next VSync');
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), [0, 0, 255, 255]);
  // Timestamped frames that are both due: the older is dropped (the queue's timed-acquire rule).
  await produce(producer, [255, 255, 0, 255], { timestamp: h.vsync.now + 1 });
  await produce(producer, [0, 255, 255, 255], { timestamp: h.vsync.now + 2 });
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), [0, 255, 255, 255], 'a due frame is dropped when a newer one is due too');
  const dump = h.flinger.dump().layers[0];
  assert.equal(dump?.framesLatched, 4);
  assert.equal(dump?.framesDropped, 1);
  assert.equal(await h.frame(), false);
  assert.deepEqual(screenPixel(h.display, 1, 1), [0, 255, 255, 255], 'the last buffer stays on screen');
  assert.match(h.flinger.dumpText(), /queue app#\d+: size 4, producer test-app/);
  h.dispose();
});

test('a frame with a future present time waits (PRESENT_LATER) and is latched on its VSync', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'app', kind: 'buffer', queue: { width: 8, height: 8 } });
  const producer = layer.producer!;
  producer.connect();
  await produce(producer, [255, 0, 0, 255]);
  await h.frame();
  const due = h.vsync.now + 5 * h.vsync.period;
  await produce(producer, [0, 255, 0, 255], { desiredPresentTime: due });
  let frames = 0;
  let before = h.vsync.now;
  while (screenPixel(h.display, 1, 1)[1] !== 255 && frames < 100) {
    before = h.vsync.now;
    await h.frame();
    frames++;
  }
  assert.ok(h.vsync.now >= due, 'not shown before its time');
  assert.ok(before < due, 'shown on the first VSync at or after its time');
  h.dispose();
});

test('an unsignalled acquire fence keeps the old buffer on screen until it signals; the replaced buffer goes back with a fence', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'app', kind: 'buffer', queue: { width: 8, height: 8 } });
  const producer = layer.producer!;
  const released: number[] = [];
  producer.connect({ listener: { onBufferReleased: (slot) => released.push(slot) } });
  await produce(producer, [255, 0, 0, 255]);
  await h.frame();
  const gpu = new Fence('gpu');
  await produce(producer, [0, 255, 0, 255], { fence: gpu });
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), [255, 0, 0, 255], 'not shown before its fence signals');
  assert.equal(h.vsync.requested, false, 'a fence wait asks for no VSync');
  gpu.signal();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(h.vsync.requested, true);
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), [0, 255, 0, 255]);
  assert.equal(released.length, 1, 'the first buffer went back to the producer');
  h.dispose();
});

test('queued damage limits the frame damage; FREEZE shows only buffers of the window size', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'app', kind: 'buffer', queue: { width: 16, height: 16 } });
  const producer = layer.producer!;
  producer.connect();
  await produce(producer, [10, 10, 10, 255], {}, 16);
  await h.frame();
  const damages: string[] = [];
  h.flinger.onPresent((info) => damages.push(info.damage.toString()));
  await produce(producer, [10, 10, 10, 255], { damage: [{ left: 2, top: 3, right: 6, bottom: 5 }] }, 16);
  await h.frame();
  assert.deepEqual(damages, ['[2,3 4x2]']);

  h.client.apply(new Transaction().setSize(layer.id, { width: 16, height: 16 }).setScalingMode(layer.id, ScalingMode.FREEZE));
  await h.frame();
  await produce(producer, [0, 200, 0, 255], {}, 8);
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), [10, 10, 10, 255], 'an 8x8 buffer is not shown in a frozen 16x16 window');
  assert.equal(h.flinger.dump().layers[0]?.framesDropped, 1);
  await produce(producer, [0, 0, 200, 255], {}, 16);
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), [0, 0, 200, 255]);
  h.dispose();
});

test('a destroyed layer abandons its queue: the producer hears ABANDONED', async () => {
  const h = harness();
  const layer = h.client.createLayer({ name: 'app', kind: 'buffer', queue: { width: 8, height: 8 } });
  const producer = layer.producer!;
  producer.connect();
  await produce(producer, [255, 0, 0, 255]);
  await h.frame();
  h.client.destroyLayer(layer.id);
  await h.frame();
  assert.deepEqual(screenPixel(h.display, 1, 1), [0, 0, 0, 255]);
  await assert.rejects(producer.dequeue(), (e: unknown) => e instanceof Error && /ABANDONED/.test(e.message));
  h.dispose();
});

test('destroying a layer while a capture reads its buffer: the buffer goes back with a fence that signals when the capture is done, and the queue is freed after it', async () => {
  const h = harness({ width: 256, height: 256 });
  const layer = h.client.createLayer({ name: 'app', kind: 'buffer', queue: { width: 256, height: 256 } });
  const producer = layer.producer!;
  producer.connect();
  await produce(producer, [0, 0, 255, 255], {}, 256);
  const mine = h.client.createLayer({ name: 'mine', kind: 'buffer' });
  const own = solidBuffer(64, 64, [255, 0, 0, 255]);
  const fences: FenceType[] = [];
  h.client.apply(new Transaction().setBuffer(mine.id, { buffer: own, onRelease: (f) => fences.push(f) }));
  await h.frame();
  const capture = h.flinger.capture();
  h.client.destroyLayer(layer.id);
  h.client.destroyLayer(mine.id);
  assert.equal(fences.length, 1);
  assert.equal(fences[0]?.signalled, false, 'the capture still reads the buffer');
  assert.equal(producer.connected, true, 'the queue is not torn down under the capture');
  const shot = await capture;
  assert.deepEqual([...shot.rgba.subarray(0, 4)], [255, 0, 0, 255]);
  assert.equal(fences[0]?.signalled, true);
  await assert.rejects(producer.dequeue(), (e: unknown) => e instanceof Error && /ABANDONED/.test(e.message));
  h.dispose();
  own.dispose();
});
