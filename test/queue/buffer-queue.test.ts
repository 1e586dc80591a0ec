// Appendix A scenarios (A1-A11) of the Android/OpenHarmony reference sheet, then edge cases.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PixelFormat, ScalingMode, Transform, Usage } from '../../src/buffer/index.js';
import { rect } from '../../src/region/rect.js';
import { BufferQueue, Fence, NO_FENCE, SlotState, monotonicNow } from '../../src/queue/index.js';
import type { FrameInfo, QueueInput } from '../../src/queue/index.js';
import { OWNER, activeTimeouts, expectStatus, isSettled, makeQueue } from './support.js';

describe('Appendix A', () => {
  test('A1 default queue (maxDequeued 1 / maxAcquired 1 / sync => 2 slots): blocks, WOULD_BLOCK, TIMED_OUT, INVALID_OPERATION', async () => {
    const h = makeQueue({ maxDequeued: 1, maxAcquired: 1 });
    const { producer } = h.queue;
    assert.equal(producer.maxBufferCount, 2);
    // Before the first queue the max-dequeued check is skipped: both slots can be dequeued.
    const a = await producer.dequeue();
    const b = await producer.dequeue();
    assert.notEqual(a.slot, b.slot);
    // Sync: a third dequeue waits until a slot comes back.
    producer.setDequeueTimeout(Infinity);
    const waiting = producer.dequeue();
    assert.equal(await isSettled(waiting), false, 'sync dequeue waits while no slot is free');
    assert.equal(h.queue.dump().counts.waitingDequeues, 1);
    producer.cancel(a.slot);
    const c = await waiting;
    assert.equal(c.slot, a.slot, 'the cancelled slot goes to the waiting dequeue');
    // Timeout set: TIMED_OUT.
    producer.setDequeueTimeout(15);
    await expectStatus('TIMED_OUT', () => producer.dequeue(), /within 15 ms/);
    // Non-blocking: WOULD_BLOCK at once (Android gives non-blocking queues one spare slot).
    producer.setWhenFull('fail');
    assert.equal(producer.maxBufferCount, 3);
    await producer.dequeue();
    await expectStatus('WOULD_BLOCK', () => producer.dequeue(), /no free slot/);
    h.teardown();

    // After a queue, holding more than maxDequeued is INVALID_OPERATION.
    const h2 = makeQueue({ maxDequeued: 1, maxAcquired: 1 });
    const first = await h2.queue.producer.dequeue();
    h2.queue.producer.queue(first.slot);
    await h2.queue.producer.dequeue();
    await expectStatus('INVALID_OPERATION', () => h2.queue.producer.dequeue(), /max dequeued 1/);
    h2.teardown();
  });

  test('A2 async mode: three queues without acquire keep one frame, replaced twice, damage merged', async () => {
    const available: FrameInfo[] = [];
    const replaced: FrameInfo[] = [];
    const h = makeQueue({}, { consumer: { onFrameAvailable: (f) => available.push(f), onFrameReplaced: (f) => replaced.push(f) } });
    const { producer, consumer } = h.queue;
    producer.setAsyncMode(true);
    const damages = [rect(0, 0, 10, 10), rect(20, 0, 30, 5), rect(5, 20, 15, 30)];
    const outputs = [];
    for (const damage of damages) {
      const d = await producer.dequeue();
      outputs.push(producer.queue(d.slot, { damage: [damage] }));
      assert.equal(consumer.pendingFrames, 1);
    }
    assert.deepEqual(outputs.map((o) => o.bufferReplaced), [false, true, true]);
    assert.equal(available.length, 1);
    assert.equal(replaced.length, 2);
    const frame = consumer.acquire();
    assert.equal(frame.frameNumber, 3);
    assert.deepEqual(frame.damage, damages, 'the survivor carries the union of all three damages');
    assert.equal(h.queue.dump().counts.QUEUED, 0);
    assert.equal(h.queue.dump().counts.ACQUIRED, 1);
    consumer.release(frame.slot, frame.frameNumber);
    h.teardown();
  });

  test('A3 frame numbers +1 per queue; buffer age 0 when fresh, 2 with double and 3 with triple buffering', async () => {
    for (const [options, expectedAge] of [
      [{ maxDequeued: 1, maxAcquired: 1 }, 2],
      [{ queueSize: 3, maxAcquired: 1 }, 3],
    ] as const) {
      const h = makeQueue(options);
      const { producer, consumer } = h.queue;
      const ages: number[] = [];
      const produce = async (): Promise<void> => {
        const d = await producer.dequeue();
        ages.push(d.bufferAge);
        const expectedNext = producer.nextFrameNumber;
        const out = producer.queue(d.slot);
        assert.equal(out.frameNumber, expectedNext, 'frame numbers grow by exactly 1');
        assert.equal(out.nextFrameNumber, out.frameNumber + 1);
      };
      // The display holds the frame on screen until the next one is acquired.
      for (let i = 0; i < expectedAge - 1; i += 1) await produce();
      let onScreen = consumer.acquire();
      for (let i = 0; i < 8; i += 1) {
        await produce();
        const next = consumer.acquire();
        assert.equal(next.frameNumber, onScreen.frameNumber + 1);
        consumer.release(onScreen.slot, onScreen.frameNumber);
        onScreen = next;
      }
      consumer.release(onScreen.slot, onScreen.frameNumber);
      assert.deepEqual(ages.slice(0, expectedAge), new Array<number>(expectedAge).fill(0), 'fresh buffers have age 0');
      assert.ok(ages.slice(expectedAge).every((age) => age === expectedAge), `steady-state ages ${ages.join(',')} are all ${expectedAge}`);
      h.teardown();
    }
  });

  test('A4 queue with crop outside the buffer, unknown scaling mode, null fence or an undequeued slot is BAD_VALUE', async () => {
    const h = makeQueue();
    const { producer } = h.queue;
    const d = await producer.dequeue({ width: 100, height: 50 });
    const bad: [QueueInput, RegExp][] = [
      [{ crop: rect(0, 0, 101, 50) }, /crop .* does not lie inside the 100x50 buffer/],
      [{ crop: rect(-1, 0, 10, 10) }, /crop/],
      [{ scalingMode: 7 as ScalingMode }, /scaling mode 7/],
      [{ fence: null as unknown as Fence }, /acquire fence null is not a Fence/],
      [{ transform: 9 as Transform }, /transform 9/],
    ];
    for (const [input, pattern] of bad) await expectStatus('BAD_VALUE', () => producer.queue(d.slot, input), pattern);
    const other = d.slot === 0 ? 1 : 0;
    await expectStatus('BAD_VALUE', () => producer.queue(other), new RegExp(`slot ${other} which is FREE, not dequeued`));
    await expectStatus('BAD_VALUE', () => producer.queue(64), /slot 64 is outside 0..63/);
    assert.equal(h.queue.slotState(d.slot), SlotState.DEQUEUED, 'a rejected queue leaves the slot dequeued');
    assert.equal(producer.nextFrameNumber, 1, 'and uses no frame number');
    const ok = producer.queue(d.slot, { crop: rect(10, 10, 100, 50), scalingMode: ScalingMode.SCALE_CROP, transform: Transform.ROT_90 });
    assert.equal(ok.frameNumber, 1);
    const frame = h.queue.consumer.acquire();
    assert.deepEqual(frame.crop, rect(10, 10, 100, 50));
    assert.equal(frame.transform, Transform.ROT_90);
    assert.equal(frame.scalingMode, ScalingMode.SCALE_CROP);
    h.teardown();
  });

  test('A5 the consumer may hold maxAcquired + 1 buffers; one more acquire is INVALID_OPERATION', async () => {
    const h = makeQueue({ queueSize: 4, maxAcquired: 1 });
    const { producer, consumer } = h.queue;
    for (let i = 0; i < 3; i += 1) producer.queue((await producer.dequeue()).slot);
    const first = consumer.acquire();
    const second = consumer.acquire();
    await expectStatus('INVALID_OPERATION', () => consumer.acquire(), /already holds 2 buffers \(max acquired 1 \+ 1\)/);
    consumer.release(first.slot, first.frameNumber);
    const third = consumer.acquire();
    assert.equal(third.frameNumber, 3);
    consumer.release(second.slot, second.frameNumber);
    consumer.release(third.slot, third.frameNumber);
    h.teardown();
  });

  test('A6 timed acquire: due frames dropped for the newest due one, PRESENT_LATER, more than 1 s ahead is due now', async () => {
    const released: number[] = [];
    const h = makeQueue({ queueSize: 4, maxAcquired: 1 }, { producer: { onBufferReleased: (slot) => released.push(slot) } });
    const { producer, consumer } = h.queue;
    const slots: number[] = [];
    for (const t of [10, 20, 30]) {
      const d = await producer.dequeue();
      slots.push(d.slot);
      producer.queue(d.slot, { desiredPresentTime: t });
    }
    const frame = consumer.acquire({ presentTime: 25 });
    assert.equal(frame.frameNumber, 2);
    assert.equal(frame.presentTime, 20);
    assert.equal(frame.droppedFrames, 1);
    assert.deepEqual(released, [slots[0]], 'the dropped frame went back to the producer');
    assert.equal(h.queue.slotState(slots[0]!), SlotState.FREE);
    consumer.release(frame.slot, frame.frameNumber);
    // Frame 3 (t=30) is still queued: at present time 5 it is not due.
    await expectStatus('PRESENT_LATER', () => consumer.acquire({ presentTime: 5 }), /frame 3 is due at 30/);
    assert.equal(consumer.pendingFrames, 1, 'PRESENT_LATER leaves the frame queued');
    assert.equal(consumer.acquire({ presentTime: 30 }).frameNumber, 3);
    const third = h.queue.dump().slots.find((s) => s.state === SlotState.ACQUIRED);
    assert.ok(third);
    consumer.release(third.slot, 3);
    // 5 s in the future is garbage: shown now.
    const now = monotonicNow();
    producer.queue((await producer.dequeue()).slot, { desiredPresentTime: now + 5000 });
    const late = consumer.acquire({ presentTime: now });
    assert.equal(late.frameNumber, 4);
    consumer.release(late.slot, late.frameNumber);
    h.teardown();
  });

  test('A7 release with a wrong frame number is STALE_BUFFER_SLOT; of a non-acquired slot BAD_VALUE', async () => {
    const h = makeQueue();
    const { producer, consumer } = h.queue;
    producer.queue((await producer.dequeue()).slot);
    const frame = consumer.acquire();
    await expectStatus('STALE_BUFFER_SLOT', () => consumer.release(frame.slot, frame.frameNumber + 1), /frame 2, but the slot holds frame 1/);
    consumer.release(frame.slot, frame.frameNumber);
    await expectStatus('BAD_VALUE', () => consumer.release(frame.slot, frame.frameNumber), /which is FREE, not acquired/);
    const d = await producer.dequeue();
    await expectStatus('BAD_VALUE', () => consumer.release(d.slot, h.queue.dump().slots.find((s) => s.slot === d.slot)?.frameNumber ?? 0), /DEQUEUED, not acquired/);
    await expectStatus('BAD_VALUE', () => consumer.release(0, -1), /frame number -1/);
    h.teardown();
  });

  test('A8 a buffer crosses once per slot: resent only after reallocation or release-all', async () => {
    const h = makeQueue();
    const { producer, consumer } = h.queue;
    // What a server would keep per client: the buffer id it last sent for each slot.
    const sent = new Map<number, number>();
    let transfers = 0;
    const cycle = async (request = {}): Promise<void> => {
      const d = await producer.dequeue(request);
      if (d.releaseAllBuffers) sent.clear();
      if (d.needsReallocation || !sent.has(d.slot)) {
        transfers += 1;
        sent.set(d.slot, d.buffer.id);
      }
      assert.equal(sent.get(d.slot), d.buffer.id, 'the cached buffer for a slot is the one dequeued');
      producer.queue(d.slot);
      const f = consumer.acquire();
      consumer.release(f.slot, f.frameNumber);
    };
    for (let i = 0; i < 10; i += 1) await cycle();
    assert.equal(transfers, 1, 'the same slot is reused without sending its buffer again');
    await cycle({ width: 128, height: 128 });
    assert.equal(transfers, 2, 'a reallocation forces a resend');
    producer.disconnect();
    producer.connect();
    const d = await producer.dequeue({ width: 128, height: 128 });
    assert.equal(d.releaseAllBuffers, true, 'after a reconnect the producer must drop its whole cache');
    assert.equal(d.needsReallocation, true);
    producer.cancel(d.slot);
    const again = await producer.dequeue({ width: 128, height: 128 });
    assert.equal(again.releaseAllBuffers, false);
    assert.equal(again.needsReallocation, false);
    producer.cancel(again.slot);
    h.teardown();
  });

  test('A9 producer gone mid-frame: buffers released + disconnect, queued frames stay acquirable and stale, nothing leaks', async () => {
    const events: string[] = [];
    const h = makeQueue({}, { consumer: { onBuffersReleased: (slots) => events.push(`released ${slots.length}`), onProducerDisconnected: () => events.push('disconnect') } });
    const { producer, consumer } = h.queue;
    const queued = await producer.dequeue();
    producer.queue(queued.slot);
    const drawing = await producer.dequeue();
    assert.equal(h.allocator.usage(OWNER).buffers, 2);
    producer.disconnect();
    assert.deepEqual(events, ['released 1', 'disconnect']);
    assert.equal(h.queue.slotState(drawing.slot), SlotState.FREE);
    assert.equal(h.allocator.usage(OWNER).buffers, 1, 'the dequeued buffer was freed at once');
    const frame = consumer.acquire();
    assert.equal(frame.isStale, true);
    assert.equal(frame.bufferIsNew, true, 'the consumer must take the buffer anew');
    assert.equal(frame.slot, queued.slot);
    consumer.release(frame.slot, frame.frameNumber);
    assert.deepEqual(h.allocator.usage(OWNER), { bytes: 0, buffers: 0 }, 'no shared memory left after the consumer released');
    producer.disconnect();
    assert.deepEqual(events, ['released 1', 'disconnect'], 'a second disconnect is harmless and silent');
    h.teardown();
  });

  test('A10 consumer disconnect: every producer op fails ABANDONED; disconnect is idempotent', async () => {
    const h = makeQueue({ maxDequeued: 1, maxAcquired: 1 });
    const { producer, consumer } = h.queue;
    const d = await producer.dequeue();
    await producer.dequeue();
    producer.setDequeueTimeout(Infinity);
    const waiting = producer.dequeue();
    consumer.disconnect();
    await expectStatus('ABANDONED', () => waiting, /abandoned while dequeue waited/);
    assert.equal(h.queue.abandoned, true);
    assert.deepEqual(h.allocator.usage(OWNER), { bytes: 0, buffers: 0 });
    const ops: [string, () => unknown][] = [
      ['dequeue', () => producer.dequeue()],
      ['queue', () => producer.queue(d.slot)],
      ['cancel', () => producer.cancel(d.slot)],
      ['detach', () => producer.detach(d.slot)],
      ['attach', () => producer.attach(d.buffer)],
      ['connect', () => producer.connect()],
      ['setAsyncMode', () => producer.setAsyncMode(true)],
      ['setMaxDequeued', () => producer.setMaxDequeued(2)],
    ];
    for (const [name, op] of ops) await expectStatus('ABANDONED', op, new RegExp(`abandoned.*${name === 'dequeue' ? 'dequeue' : ''}`));
    consumer.disconnect();
    producer.disconnect();
    await expectStatus('ABANDONED', () => consumer.connect(), /abandoned/);
    h.teardown();
  });

  test('A11 OpenHarmony parity: sizes, no consumer, take back oldest queued, negative damage, state machine edges', async () => {
    const h = makeQueue();
    const { queue } = h;
    await expectStatus('BAD_VALUE', () => queue.consumer.setQueueSize(0), /queue size must be an integer in 1..64, got 0/);
    await expectStatus('BAD_VALUE', () => queue.consumer.setQueueSize(65), /got 65/);
    await expectStatus('BAD_VALUE', () => makeQueue({ queueSize: 65 }), /got 65/);
    queue.consumer.setQueueSize(64);
    queue.consumer.setQueueSize(3);

    // Request with no consumer: connect and dequeue fail NO_INIT.
    const orphan = new BufferQueue({ allocate: (spec) => h.allocator.allocate(OWNER, spec) });
    await expectStatus('NO_INIT', () => orphan.producer.connect(), /no consumer is connected/);
    await expectStatus('NO_INIT', () => orphan.producer.dequeue(), /no producer is connected/);

    // No-block mode with a full queue takes back the oldest queued (never acquired) frame.
    const { producer, consumer } = queue;
    producer.setWhenFull('take-oldest-queued');
    const slots: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const d = await producer.dequeue();
      slots.push(d.slot);
      producer.queue(d.slot);
    }
    const stolen = await producer.dequeue();
    assert.equal(stolen.slot, slots[0], 'the oldest queued buffer is taken back');
    assert.equal(consumer.pendingFrames, 2);
    assert.equal(consumer.acquire().frameNumber, 2);
    producer.cancel(stolen.slot);

    // Flush with a negative damage size is rejected.
    const d = await producer.dequeue();
    await expectStatus('BAD_VALUE', () => producer.queue(d.slot, { damage: [rect(10, 10, 5, 20)] }), /damage\[0\] .* negative width or height/);

    // RELEASED -> REQUESTED -> FLUSHED -> ACQUIRED -> RELEASED, and cancel / attach edges.
    assert.equal(queue.slotState(d.slot), SlotState.DEQUEUED);
    producer.queue(d.slot);
    assert.equal(queue.slotState(d.slot), SlotState.QUEUED);
    await expectStatus('BAD_VALUE', () => consumer.release(d.slot, 4), /QUEUED, not acquired/);
    await expectStatus('BAD_VALUE', () => producer.cancel(d.slot), /QUEUED, not dequeued/);
    const held = h.queue.dump().slots.find((s) => s.state === SlotState.ACQUIRED);
    assert.ok(held);
    consumer.release(held.slot, held.frameNumber);
    const f3 = consumer.acquire();
    const f4 = consumer.acquire();
    assert.equal(queue.slotState(f4.slot), SlotState.ACQUIRED);
    consumer.release(f4.slot, f4.frameNumber);
    assert.equal(queue.slotState(f4.slot), SlotState.FREE);
    await expectStatus('NO_BUFFER_AVAILABLE', () => consumer.acquire(), /no frame is queued/);
    const detached = consumer.detach(f3.slot);
    assert.equal(queue.slotState(f3.slot), SlotState.FREE);
    const attachedSlot = producer.attach(detached);
    assert.equal(queue.slotState(attachedSlot), SlotState.DEQUEUED, 'producer attach enters DEQUEUED');
    producer.queue(attachedSlot);
    const back = consumer.acquire();
    const out = consumer.detach(back.slot);
    const consumerSlot = consumer.attach(out);
    assert.equal(queue.slotState(consumerSlot), SlotState.ACQUIRED, 'consumer attach enters ACQUIRED');
    await expectStatus('STALE_BUFFER_SLOT', () => consumer.release(consumerSlot, back.frameNumber), /holds frame 0/);
    consumer.discardFreeBuffers();
    consumer.release(consumerSlot, 0);
    const next = await producer.dequeue();
    assert.equal(next.slot, consumerSlot);
    assert.equal(next.needsReallocation, true, 'a consumer-attached buffer is new to the producer');
    producer.cancel(next.slot);
    h.teardown();
  });
});

describe('BufferQueue', () => {
  test('dequeue reuses matching buffers, reallocates others, and validates the request', async () => {
    const h = makeQueue({ consumerUsage: Usage.RENDERER_TEXTURE });
    const { producer } = h.queue;
    const d = await producer.dequeue();
    assert.equal(d.buffer.width, 64, 'omitted size = the default size');
    assert.equal(d.buffer.height, 32);
    assert.equal(d.buffer.format, PixelFormat.RGBA_8888);
    assert.equal(d.buffer.usage & Usage.RENDERER_TEXTURE, Usage.RENDERER_TEXTURE, 'consumer usage is ORed in');
    assert.equal(d.needsReallocation, true);
    assert.equal(d.fence, NO_FENCE);
    producer.cancel(d.slot);
    const same = await producer.dequeue();
    assert.equal(same.buffer, d.buffer);
    assert.equal(same.needsReallocation, false);
    producer.cancel(same.slot);
    await expectStatus('BAD_VALUE', () => producer.dequeue({ width: 10 }), /10x0: width and height must both be 0/);
    await expectStatus('BAD_VALUE', () => producer.dequeue({ width: 10, height: 10, format: 99 as PixelFormat }), /format 99/);
    await expectStatus('BAD_VALUE', () => producer.dequeue({ width: 10, height: 10, usage: 1 << 30 }), /usage 1073741824 has unknown bits/);
    await expectStatus('BAD_VALUE', () => producer.dequeue({ width: 20000, height: 10 }), /dequeue width must be an integer in 1..16384, got 20000/);
    await expectStatus('BAD_VALUE', () => producer.dequeue({ timeout: -1 }), /dequeue timeout -1/);
    assert.equal(h.allocator.usage(OWNER).buffers, 1, 'failed dequeues allocate nothing');
    h.teardown();
  });

  test('allocation failure (owner quota) surfaces as NO_MEMORY and leaves the slot free', async () => {
    const h = makeQueue();
    h.allocator.setLimits(OWNER, { maxBytes: 1 << 30, maxBuffers: 1 });
    const { producer } = h.queue;
    const d = await producer.dequeue();
    await expectStatus('NO_MEMORY', () => producer.dequeue(), /client-1 already holds 1 buffers/);
    producer.cancel(d.slot);
    assert.equal(h.queue.dump().counts.DEQUEUED, 0);
    h.teardown();
  });

  test('release fences reach the next dequeue of the slot; acquire fences reach the consumer', async () => {
    const h = makeQueue({ queueSize: 1, maxAcquired: 1 });
    const { producer, consumer } = h.queue;
    const acquireFence = new Fence('gpu-done');
    const d = await producer.dequeue();
    producer.queue(d.slot, { fence: acquireFence });
    const f = consumer.acquire();
    assert.equal(f.fence, acquireFence);
    const releaseFence = new Fence('composition-done');
    consumer.release(f.slot, f.frameNumber, releaseFence);
    const again = await producer.dequeue();
    assert.equal(again.fence, releaseFence);
    assert.equal(again.bufferAge, 1);
    releaseFence.signal(5);
    assert.equal(await again.fence.wait(), 5);
    producer.cancel(again.slot);
    h.teardown();
  });

  test('a waiting dequeue holds a timer only while it waits', async () => {
    const h = makeQueue({ maxDequeued: 1, maxAcquired: 1 });
    const { producer } = h.queue;
    const before = activeTimeouts();
    const a = await producer.dequeue();
    await producer.dequeue();
    const waiting = producer.dequeue({ timeout: 60_000 });
    assert.equal(activeTimeouts(), before + 1);
    producer.cancel(a.slot);
    await waiting;
    assert.equal(activeTimeouts(), before, 'the timeout is cleared once served');
    const late = producer.dequeue({ timeout: 60_000 });
    producer.disconnect();
    await expectStatus('NO_INIT', () => late, /producer disconnected while dequeue waited/);
    assert.equal(activeTimeouts(), before, 'and when the producer leaves');
    h.teardown();
  });

  test('waiting dequeues are served in order and see a grown queue size', async () => {
    const h = makeQueue({ queueSize: 1, maxAcquired: 1, maxDequeued: 1 });
    const { producer, consumer } = h.queue;
    await producer.dequeue();
    const first = producer.dequeue({ timeout: Infinity });
    const second = producer.dequeue({ timeout: Infinity });
    consumer.setQueueSize(3);
    producer.setMaxDequeued(3);
    const [r1, r2] = await Promise.all([first, second]);
    assert.notEqual(r1.slot, r2.slot);
    assert.equal(h.queue.dump().counts.DEQUEUED, 3);
    h.teardown();
  });

  test('shared-buffer mode: one SHARED slot for both sides, auto-refresh re-acquires it', async () => {
    const h = makeQueue();
    const { producer, consumer } = h.queue;
    producer.setSharedBufferMode(true);
    producer.setAutoRefresh(true);
    const d = await producer.dequeue();
    assert.equal(h.queue.slotState(d.slot), SlotState.SHARED);
    await expectStatus('BAD_VALUE', () => producer.cancel(d.slot), /shared-buffer mode/);
    await expectStatus('BAD_VALUE', () => producer.dequeue({ width: 8, height: 8 }), /cannot be reallocated/);
    await expectStatus('NO_BUFFER_AVAILABLE', () => consumer.acquire(), /no frame/);
    producer.queue(d.slot, { damage: [rect(0, 0, 4, 4)] });
    const f1 = consumer.acquire();
    assert.equal(f1.slot, d.slot);
    assert.equal(f1.queuedBuffer, true);
    const again = await producer.dequeue();
    assert.equal(again.slot, d.slot, 'every dequeue returns the shared slot, even while acquired');
    assert.equal(again.buffer, d.buffer);
    consumer.release(f1.slot, f1.frameNumber);
    const refresh = consumer.acquire();
    assert.equal(refresh.autoRefresh, true);
    assert.equal(refresh.queuedBuffer, false);
    assert.equal(refresh.buffer, d.buffer);
    consumer.release(refresh.slot, refresh.frameNumber);
    await expectStatus('BAD_VALUE', () => consumer.release(refresh.slot, refresh.frameNumber), /not acquired/);
    await expectStatus('BAD_VALUE', () => consumer.detach(d.slot), /shared-buffer mode/);
    producer.queue(again.slot);
    assert.equal(h.queue.dump().counts.buffers, 1, 'shared mode uses one buffer');
    producer.setSharedBufferMode(false);
    assert.equal(h.queue.slotState(d.slot), SlotState.QUEUED);
    const last = consumer.acquire();
    consumer.release(last.slot, last.frameNumber);
    h.teardown();
  });

  test('user data: string keys, at most 1000, named in errors; name and unique id', () => {
    const h = makeQueue({ name: 'layer#7' });
    const { queue } = h;
    assert.equal(queue.name, 'layer#7');
    const other = makeQueue();
    assert.notEqual(queue.id, other.queue.id);
    other.teardown();
    assert.equal(queue.setUserData('a', '1'), true);
    assert.equal(queue.setUserData('a', '1'), false, 'the same value again changes nothing');
    assert.equal(queue.getUserData('a'), '1');
    for (let i = 1; i < 1000; i += 1) queue.setUserData(`k${i}`, 'v');
    assert.throws(() => queue.setUserData('one-too-many', 'v'), /LIMIT_EXCEEDED.*1000 user-data keys.*'one-too-many'/);
    queue.setUserData('a', '2');
    assert.equal(queue.deleteUserData('a'), true);
    queue.setUserData('fits-again', 'v');
    assert.throws(() => queue.setUserData('', 'v'), /BAD_VALUE: user-data key "" must be a non-empty string/);
    assert.equal(queue.dump().userDataKeys, 1000);
    h.teardown();
  });

  test('counts and limits are validated with the bad value named', async () => {
    const h = makeQueue();
    const { producer, consumer } = h.queue;
    await expectStatus('BAD_VALUE', () => makeQueue({ maxAcquired: 0 }), /max acquired buffers must be an integer in 1..62, got 0/);
    await expectStatus('BAD_VALUE', () => producer.setMaxDequeued(0), /got 0/);
    await expectStatus('INVALID_OPERATION', () => consumer.setMaxAcquired(2), /no producer is connected/);
    await expectStatus('BAD_VALUE', () => consumer.setDefaultBufferSize(0, 10), /default width must be an integer in 1..16384, got 0/);
    await expectStatus('BAD_VALUE', () => consumer.setTransformHint(8 as Transform), /transform 8/);
    await expectStatus('BAD_VALUE', () => producer.setWhenFull('never' as 'wait'), /when-full policy never/);
    await producer.dequeue();
    await producer.dequeue();
    await expectStatus('BAD_VALUE', () => producer.setMaxDequeued(1), /max dequeued 1 is below the 2 buffers dequeued now/);
    await expectStatus('INVALID_OPERATION', () => consumer.connect(), /already connected/);
    await expectStatus('BAD_VALUE', () => producer.connect(), /producer 'test-producer' is already connected/);
    h.teardown();
  });

  test('discardFreeBuffers and a shrinking queue free FREE buffers and tell the producer', async () => {
    const discarded: number[][] = [];
    const h = makeQueue({ queueSize: 4 }, { producer: { onBuffersDiscarded: (slots) => discarded.push([...slots]) } });
    const { producer, consumer } = h.queue;
    const held = [await producer.dequeue(), await producer.dequeue(), await producer.dequeue()];
    for (const d of held) producer.cancel(d.slot);
    assert.equal(h.allocator.usage(OWNER).buffers, 3);
    consumer.setQueueSize(2);
    assert.equal(h.allocator.usage(OWNER).buffers, 2);
    consumer.discardFreeBuffers();
    assert.equal(h.allocator.usage(OWNER).buffers, 0);
    assert.equal(discarded.length, 2);
    h.teardown();
  });

  test('dump describes slots, counts, frame numbers and modes', async () => {
    const h = makeQueue({ name: 'dumped' });
    const { producer } = h.queue;
    const d = await producer.dequeue();
    producer.queue(d.slot, { desiredPresentTime: 100 });
    await producer.dequeue();
    const dump = h.queue.dump();
    assert.equal(dump.name, 'dumped');
    assert.equal(dump.frameCounter, 1);
    assert.deepEqual(dump.queue, [{ slot: d.slot, frameNumber: 1, presentTime: 100, isAutoTimestamp: false }]);
    assert.equal(dump.counts.QUEUED, 1);
    assert.equal(dump.counts.DEQUEUED, 1);
    assert.equal(dump.counts.buffers, 2);
    assert.equal(dump.slots.length, 2);
    assert.deepEqual(dump.slots[0]?.buffer && { w: dump.slots[0].buffer.width, f: dump.slots[0].buffer.format }, { w: 64, f: 'RGBA_8888' });
    assert.equal(dump.producer, 'test-producer');
    assert.doesNotThrow(() => JSON.stringify(dump));
    h.teardown();
  });

  test('listeners run after the state change: a consumer may acquire and release from onFrameAvailable', async () => {
    const released: [number, string][] = [];
    let inner = 0;
    const h = makeQueue(
      {},
      {
        consumer: {
          onFrameAvailable: (info) => {
            const frame = h.queue.consumer.acquire();
            assert.equal(frame.frameNumber, info.frameNumber);
            inner += 1;
            h.queue.consumer.release(frame.slot, frame.frameNumber, Fence.signalled(1, 'composed'));
          },
        },
        producer: { onBufferReleased: (slot, fence) => released.push([slot, fence.label]) },
      },
    );
    const d = await h.queue.producer.dequeue();
    const out = h.queue.producer.queue(d.slot);
    assert.equal(out.pendingFrames, 1, 'the output describes the queue as the frame entered it');
    assert.equal(h.queue.consumer.pendingFrames, 0, 'then the listener took the frame');
    assert.equal(inner, 1);
    assert.deepEqual(released, [[d.slot, 'composed']]);
    assert.equal(h.queue.slotState(d.slot), SlotState.FREE);
    assert.equal(h.queue.dump().dequeueTimeout, 3000, 'the dequeue timeout defaults to 3000 ms');
    h.teardown();
  });

  test('buffers reclaimed outside the queue (releaseOwner) are never handed out again', async () => {
    const h = makeQueue();
    const { producer, consumer } = h.queue;
    producer.queue((await producer.dequeue()).slot);
    const spare = await producer.dequeue();
    producer.cancel(spare.slot);
    h.allocator.releaseOwner(OWNER);
    await expectStatus('NO_BUFFER_AVAILABLE', () => consumer.acquire(), /no frame is queued/);
    const d = await producer.dequeue();
    assert.equal(d.buffer.disposed, false);
    assert.equal(d.needsReallocation, true);
    producer.cancel(d.slot);
    assert.equal(h.allocator.usage(OWNER).buffers, 1);
    h.teardown();
  });

  test('damage is clipped to the buffer; omitted damage is the whole buffer', async () => {
    const h = makeQueue();
    const { producer, consumer } = h.queue;
    producer.queue((await producer.dequeue()).slot, { damage: [rect(60, 30, 100, 100)] });
    producer.queue((await producer.dequeue()).slot);
    const a = consumer.acquire();
    assert.deepEqual(a.damage, [rect(60, 30, 64, 32)]);
    consumer.release(a.slot, a.frameNumber);
    const b = consumer.acquire();
    assert.deepEqual(b.damage, [rect(0, 0, 64, 32)]);
    consumer.release(b.slot, b.frameNumber);
    h.teardown();
  });
});

test('tryDequeue takes a free slot at once, answers undefined where dequeue would wait, throws where it would fail', async () => {
  const h = makeQueue({ maxDequeued: 1, maxAcquired: 1 });
  const { producer } = h.queue;
  producer.setDequeueTimeout(Infinity);
  const a = producer.tryDequeue();
  assert.ok(a, 'a free slot is taken synchronously');
  const b = producer.tryDequeue();
  assert.ok(b && b.slot !== a.slot);
  assert.equal(producer.tryDequeue(), undefined, 'no free slot: undefined, not a wait');
  const waiting = producer.dequeue();
  producer.cancel(a.slot);
  assert.equal((await waiting).slot, a.slot, 'a freed slot goes to the dequeue that waited');
  producer.setWhenFull('fail');
  assert.ok(producer.tryDequeue(), 'non-blocking queues get one spare slot');
  await expectStatus('WOULD_BLOCK', () => producer.tryDequeue(), /no free slot/);
  h.teardown();
});
