// Shared set-up for queue tests: a queue whose buffers come from a real BufferAllocator (real memfds).
import assert from 'node:assert/strict';

import { BufferAllocator } from '../../src/buffer/index.js';
import { isStratumError } from '../../src/os/status.js';
import type { StatusCode } from '../../src/os/status.js';
import { BufferQueue } from '../../src/queue/index.js';
import type { BufferQueueOptions, ConsumerListener, ProducerListener } from '../../src/queue/index.js';

export const OWNER = 'client-1';

export interface Harness {
  readonly allocator: BufferAllocator;
  readonly queue: BufferQueue;
  /** Frees everything and checks that no buffer is left accounted to the owner. */
  teardown(): void;
}

export function makeQueue(
  options: Partial<BufferQueueOptions> = {},
  listeners: { consumer?: ConsumerListener; producer?: ProducerListener; connectProducer?: boolean } = {},
): Harness {
  const allocator = new BufferAllocator();
  const queue = new BufferQueue({ allocate: (spec) => allocator.allocate(OWNER, spec), defaultWidth: 64, defaultHeight: 32, ...options });
  queue.consumer.connect(listeners.consumer ?? {});
  if (listeners.connectProducer !== false) queue.producer.connect({ listener: listeners.producer ?? {}, label: 'test-producer' });
  return {
    allocator,
    queue,
    teardown() {
      queue.consumer.disconnect();
      assert.deepEqual(allocator.usage(OWNER), { bytes: 0, buffers: 0 }, 'every buffer is freed when the queue is torn down');
    },
  };
}

/** Asserts that `fn` throws (or rejects with) a StratumError with this code, whose message matches `pattern`. */
export async function expectStatus(code: StatusCode, fn: () => unknown, pattern?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected ${code}, but the call succeeded`);
  assert.ok(isStratumError(caught, code), `expected ${code}, got ${caught instanceof Error ? caught.message : typeof caught}`);
  if (pattern) assert.match(caught.message, pattern);
}

/** Whether a promise has settled after the current turn's callbacks ran. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
