// Model-based property tests: random sequences of producer and consumer calls, in every mode,
// run against the real queue (real memfds) and a small reference model that predicts each outcome.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { isStratumError } from '../../src/os/status.js';
import type { StatusCode } from '../../src/os/status.js';
import { SlotState } from '../../src/queue/index.js';
import type { BufferQueue } from '../../src/queue/index.js';
import { OWNER, makeQueue } from './support.js';

type Mode = 'sync' | 'mailbox' | 'non-blocking' | 'take-oldest-queued';

interface Config {
  readonly mode: Mode;
  readonly queueSize: number;
  readonly maxAcquired: number;
}

type Op =
  | { readonly kind: 'dequeue'; readonly big: boolean }
  | { readonly kind: 'queue'; readonly pick: number; readonly present: number }
  | { readonly kind: 'cancel'; readonly pick: number }
  | { readonly kind: 'acquire'; readonly present: number | undefined }
  | { readonly kind: 'release'; readonly pick: number }
  | { readonly kind: 'release-stale'; readonly pick: number }
  | { readonly kind: 'producer-disconnect' }
  | { readonly kind: 'producer-connect' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('dequeue' as const), big: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('queue' as const), pick: fc.nat(7), present: fc.constantFrom(10, 20, 30, 40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(7) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('acquire' as const), present: fc.option(fc.constantFrom(5, 10, 20, 25, 30, 40), { nil: undefined }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release-stale' as const), pick: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'producer-disconnect' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'producer-connect' as const }) },
);

interface ModelItem {
  readonly slot: number;
  readonly frame: number;
  readonly present: number;
}

/** The reference: what each slot is, what is queued and acquired, and the expected counts. */
class Model {
  readonly states: SlotState[] = new Array<SlotState>(64).fill(SlotState.FREE);
  queue: ModelItem[] = [];
  readonly acquired = new Map<number, number>();
  frameCounter = 0;
  hasQueued = false;
  producerConnected = true;
  readonly maxDequeued: number;
  readonly maxBufferCount: number;

  constructor(readonly config: Config) {
    this.maxDequeued = Math.max(1, config.queueSize - config.maxAcquired);
    const spare = config.mode === 'mailbox' || config.mode === 'non-blocking' ? 1 : 0;
    this.maxBufferCount = Math.min(config.queueSize, config.maxAcquired + this.maxDequeued + spare);
  }

  slotsIn(state: SlotState): number[] {
    return this.states.flatMap((s, i) => (s === state ? [i] : []));
  }

  get active(): number {
    return this.states.filter((s) => s !== SlotState.FREE).length;
  }
}

async function outcome<T>(fn: () => T | Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: StatusCode | 'OTHER'; error: unknown }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, code: isStratumError(error) ? error.code : 'OTHER', error };
  }
}

function expectFailure(result: Awaited<ReturnType<typeof outcome>>, codes: readonly StatusCode[], what: string): void {
  assert.ok(!result.ok, `${what}: expected ${codes.join('/')}, but it succeeded`);
  assert.ok((codes as readonly string[]).includes(result.code), `${what}: expected ${codes.join('/')}, got ${String(result.error)}`);
}

async function runScenario(config: Config, ops: readonly Op[]): Promise<void> {
  const h = makeQueue({ queueSize: config.queueSize, maxAcquired: config.maxAcquired });
  const { queue } = h;
  const { producer, consumer } = queue;
  const setMode = (): void => {
    producer.setAsyncMode(config.mode === 'mailbox');
    producer.setWhenFull(config.mode === 'non-blocking' ? 'fail' : config.mode === 'take-oldest-queued' ? 'take-oldest-queued' : 'wait');
    // A 0 ms timeout makes a sync dequeue with no free slot fail at once, so the run stays sequential.
    producer.setDequeueTimeout(0);
  };
  setMode();
  const model = new Model(config);
  assert.equal(producer.maxBufferCount, model.maxBufferCount);
  const producerBuffers = new Map<number, number>();
  const consumerBuffers = new Map<number, number>();
  let lastAcquiredFrame = 0;
  const releasedFrames = new Set<number>();

  for (const op of ops) {
    const what = `${op.kind} ${JSON.stringify(op)}`;
    switch (op.kind) {
      case 'dequeue': {
        const size = op.big ? { width: 96, height: 48 } : {};
        const result = await outcome(() => producer.dequeue(size));
        if (!model.producerConnected) {
          expectFailure(result, ['NO_INIT'], what);
          break;
        }
        const dequeued = model.slotsIn(SlotState.DEQUEUED).length;
        if (model.hasQueued && dequeued >= model.maxDequeued) {
          expectFailure(result, ['INVALID_OPERATION'], what);
          break;
        }
        if (model.active < model.maxBufferCount) {
          assert.ok(result.ok, `${what}: a slot is free, yet ${result.ok ? '' : String(result.error)}`);
          const { slot, buffer } = result.value;
          assert.equal(model.states[slot], SlotState.FREE, `${what}: dequeued slot ${slot} was not free`);
          model.states[slot] = SlotState.DEQUEUED;
          producerBuffers.set(slot, buffer.id);
          break;
        }
        if (config.mode === 'take-oldest-queued' && model.queue.length > 0) {
          assert.ok(result.ok, `${what}: the oldest queued frame should be taken back`);
          const oldest = model.queue.shift()!;
          assert.equal(result.value.slot, oldest.slot);
          model.states[oldest.slot] = SlotState.DEQUEUED;
          producerBuffers.set(oldest.slot, result.value.buffer.id);
          break;
        }
        expectFailure(result, [config.mode === 'sync' || config.mode === 'mailbox' ? 'TIMED_OUT' : 'WOULD_BLOCK'], what);
        break;
      }
      case 'queue': {
        const candidates = model.slotsIn(SlotState.DEQUEUED);
        const slot = candidates.length > 0 ? candidates[op.pick % candidates.length]! : op.pick;
        const result = await outcome(() => producer.queue(slot, { desiredPresentTime: op.present }));
        if (!model.producerConnected) {
          expectFailure(result, ['NO_INIT'], what);
          break;
        }
        if (candidates.length === 0) {
          expectFailure(result, ['BAD_VALUE'], what);
          break;
        }
        assert.ok(result.ok, `${what}: ${result.ok ? '' : String(result.error)}`);
        model.frameCounter += 1;
        model.hasQueued = true;
        assert.equal(result.value.frameNumber, model.frameCounter, 'frame numbers grow by exactly 1');
        model.states[slot] = SlotState.QUEUED;
        producerBuffers.delete(slot);
        const item = { slot, frame: model.frameCounter, present: op.present };
        const last = model.queue[model.queue.length - 1];
        if (config.mode === 'mailbox' && last) {
          model.states[last.slot] = SlotState.FREE;
          model.queue[model.queue.length - 1] = item;
          assert.equal(result.value.bufferReplaced, true);
        } else {
          model.queue.push(item);
          assert.equal(result.value.bufferReplaced, false);
        }
        break;
      }
      case 'cancel': {
        const candidates = model.slotsIn(SlotState.DEQUEUED);
        const slot = candidates.length > 0 ? candidates[op.pick % candidates.length]! : op.pick;
        const result = await outcome(() => producer.cancel(slot));
        if (!model.producerConnected) expectFailure(result, ['NO_INIT'], what);
        else if (candidates.length === 0) expectFailure(result, ['BAD_VALUE'], what);
        else {
          assert.ok(result.ok, what);
          model.states[slot] = SlotState.FREE;
          producerBuffers.delete(slot);
        }
        break;
      }
      case 'acquire': {
        const result = await outcome(() => consumer.acquire(op.present === undefined ? {} : { presentTime: op.present }));
        if (model.acquired.size >= config.maxAcquired + 1) {
          expectFailure(result, ['INVALID_OPERATION'], what);
          break;
        }
        if (model.queue.length === 0) {
          expectFailure(result, ['NO_BUFFER_AVAILABLE'], what);
          break;
        }
        let dropped = 0;
        if (op.present !== undefined) {
          const when = op.present;
          while (model.queue.length > 1 && model.queue[1]!.present <= when && model.queue[1]!.present >= when - 1000) {
            const head = model.queue.shift()!;
            model.states[head.slot] = SlotState.FREE;
            dropped += 1;
          }
          if (model.queue[0]!.present > when) {
            expectFailure(result, ['PRESENT_LATER'], what);
            break;
          }
        }
        assert.ok(result.ok, `${what}: ${result.ok ? '' : String(result.error)}`);
        const head = model.queue.shift()!;
        const frame = result.value;
        assert.equal(frame.frameNumber, head.frame);
        assert.equal(frame.slot, head.slot);
        assert.equal(frame.droppedFrames, dropped);
        assert.ok(frame.frameNumber > lastAcquiredFrame, 'acquired frame numbers are monotonic');
        lastAcquiredFrame = frame.frameNumber;
        model.states[head.slot] = SlotState.ACQUIRED;
        model.acquired.set(head.slot, head.frame);
        consumerBuffers.set(head.slot, frame.buffer.id);
        break;
      }
      case 'release':
      case 'release-stale': {
        const candidates = [...model.acquired.keys()];
        if (candidates.length === 0) {
          const result = await outcome(() => consumer.release(op.pick, 0));
          expectFailure(result, ['BAD_VALUE', 'STALE_BUFFER_SLOT'], what);
          break;
        }
        const slot = candidates[op.pick % candidates.length]!;
        const frame = model.acquired.get(slot)!;
        if (op.kind === 'release-stale') {
          expectFailure(await outcome(() => consumer.release(slot, frame + 1)), ['STALE_BUFFER_SLOT'], what);
          break;
        }
        const result = await outcome(() => consumer.release(slot, frame));
        assert.ok(result.ok, `${what}: ${result.ok ? '' : String(result.error)}`);
        assert.ok(!releasedFrames.has(frame), `frame ${frame} released once`);
        releasedFrames.add(frame);
        model.acquired.delete(slot);
        model.states[slot] = SlotState.FREE;
        consumerBuffers.delete(slot);
        break;
      }
      case 'producer-disconnect': {
        producer.disconnect();
        if (model.producerConnected) {
          for (const slot of model.slotsIn(SlotState.DEQUEUED)) model.states[slot] = SlotState.FREE;
          producerBuffers.clear();
          model.producerConnected = false;
        }
        break;
      }
      case 'producer-connect': {
        const result = await outcome(() => producer.connect());
        if (model.producerConnected) expectFailure(result, ['BAD_VALUE'], what);
        else {
          assert.ok(result.ok, what);
          model.producerConnected = true;
          model.hasQueued = false;
          assert.equal(result.value.nextFrameNumber, model.frameCounter + 1);
        }
        break;
      }
    }
    checkInvariants(queue, model, h.allocator.usage(OWNER).buffers, producerBuffers, consumerBuffers);
  }

  // Drain: every acquired frame is released exactly once, then teardown frees every buffer.
  for (const [slot, frame] of model.acquired) {
    consumer.release(slot, frame);
    assert.ok(!releasedFrames.has(frame));
    releasedFrames.add(frame);
  }
  h.teardown();
}

function checkInvariants(queue: BufferQueue, model: Model, allocated: number, producerBuffers: Map<number, number>, consumerBuffers: Map<number, number>): void {
  const dump = queue.dump();
  const actual = new Array<SlotState>(64).fill(SlotState.FREE);
  for (const slot of dump.slots) actual[slot.slot] = slot.state;
  assert.deepEqual(actual, model.states, 'each slot is in the state the model predicts');
  assert.deepEqual(
    dump.queue.map((f) => f.frameNumber),
    model.queue.map((i) => i.frame),
    'the FIFO holds the predicted frames',
  );
  for (let i = 1; i < dump.queue.length; i += 1) assert.ok(dump.queue[i]!.frameNumber > dump.queue[i - 1]!.frameNumber);
  assert.ok(dump.counts.ACQUIRED <= model.config.maxAcquired + 1, 'acquired within max acquired + 1');
  assert.ok(model.queue.length + dump.counts.ACQUIRED + dump.counts.DEQUEUED <= model.maxBufferCount, 'busy slots within the count');
  assert.ok(allocated <= model.config.queueSize, `${allocated} buffers allocated for a queue of ${model.config.queueSize}`);
  assert.equal(allocated, dump.counts.buffers, 'the allocator and the queue agree on live buffers');
  const producerIds = new Set(producerBuffers.values());
  for (const id of consumerBuffers.values()) assert.ok(!producerIds.has(id), `buffer ${id} is owned by both sides`);
}

const configArb = (mode: Mode): fc.Arbitrary<Config> =>
  fc.record({ mode: fc.constant(mode), queueSize: fc.integer({ min: 1, max: 5 }), maxAcquired: fc.integer({ min: 1, max: 2 }) });

for (const mode of ['sync', 'mailbox', 'non-blocking', 'take-oldest-queued'] as const) {
  test(`model: random producer/consumer sequences in ${mode} mode keep every invariant`, async () => {
    await fc.assert(
      fc.asyncProperty(configArb(mode), fc.array(opArb, { minLength: 1, maxLength: 60 }), (config, ops) => runScenario(config, ops)),
      { numRuns: 60 },
    );
  });
}

test('a long run leaks no fd: every buffer is closed once the queue is torn down', async () => {
  const { readdirSync } = await import('node:fs');
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const before = fds();
  const h = makeQueue({ queueSize: 4 });
  const { producer, consumer } = h.queue;
  producer.setAsyncMode(true);
  for (let i = 0; i < 2000; i += 1) {
    const d = await producer.dequeue(i % 100 === 0 ? { width: 32 + (i % 7), height: 32 } : {});
    producer.queue(d.slot);
    if (i % 3 === 0) {
      const f = consumer.acquire();
      consumer.release(f.slot, f.frameNumber);
    }
  }
  assert.ok(fds() > before, 'the queue holds buffers while alive');
  h.teardown();
  assert.equal(fds(), before, 'every fd is closed after teardown');
});

type SharedOp = 'dequeue' | 'queue' | 'acquire' | 'release';

test('model: random sequences in shared-buffer mode use one SHARED buffer and keep counts', async () => {
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.array(fc.constantFrom<SharedOp>('dequeue', 'queue', 'acquire', 'release'), { maxLength: 40 }), async (autoRefresh, ops) => {
      const h = makeQueue();
      const { producer, consumer } = h.queue;
      producer.setSharedBufferMode(true);
      producer.setAutoRefresh(autoRefresh);
      let slot: number | undefined;
      let dequeues = 0;
      let acquires = 0;
      let queued = false;
      let frameCounter = 0;
      let lastAcquired = 0;
      for (const op of ops) {
        if (op === 'dequeue') {
          const d = await producer.dequeue();
          slot ??= d.slot;
          assert.equal(d.slot, slot, 'every dequeue returns the shared slot');
          dequeues += 1;
        } else if (op === 'queue') {
          const result = await outcome(() => producer.queue(slot ?? 0));
          if (dequeues === 0) expectFailure(result, ['BAD_VALUE'], 'queue without a dequeue');
          else {
            assert.ok(result.ok);
            frameCounter += 1;
            assert.equal(result.value.frameNumber, frameCounter);
            assert.equal(result.value.bufferReplaced, queued, 'a waiting shared frame is replaced');
            dequeues -= 1;
            queued = true;
          }
        } else if (op === 'acquire') {
          const result = await outcome(() => consumer.acquire());
          if (queued || (autoRefresh && frameCounter > 0)) {
            assert.ok(result.ok, result.ok ? '' : String(result.error));
            assert.equal(result.value.slot, slot);
            assert.equal(result.value.queuedBuffer, queued);
            assert.ok(result.value.frameNumber >= lastAcquired);
            lastAcquired = result.value.frameNumber;
            queued = false;
            acquires += 1;
          } else expectFailure(result, ['NO_BUFFER_AVAILABLE'], 'acquire with nothing queued');
        } else {
          const result = await outcome(() => consumer.release(slot ?? 0, lastAcquired));
          if (acquires === 0) expectFailure(result, ['BAD_VALUE'], 'release without an acquire');
          else {
            assert.ok(result.ok);
            acquires -= 1;
          }
        }
        const dump = h.queue.dump();
        assert.ok(dump.counts.buffers <= 1, 'shared mode allocates one buffer');
        assert.ok(dump.slots.every((s) => s.state === SlotState.SHARED));
        assert.equal(dump.queue.length, queued ? 1 : 0);
      }
      h.teardown();
    }),
    { numRuns: 60 },
  );
});
