import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Fence, NO_FENCE } from '../../src/queue/fence.js';

test('a pending fence resolves every waiter with its signal time, once', async () => {
  const fence = new Fence('render-done');
  assert.equal(fence.signalled, false);
  assert.equal(fence.signalTime, undefined);
  assert.equal(String(fence), 'render-done(pending)');
  const waiters = [fence.wait(), fence.wait()];
  fence.signal(42.5);
  assert.deepEqual(await Promise.all(waiters), [42.5, 42.5]);
  assert.equal(fence.signalled, true);
  assert.equal(await fence.wait(), 42.5, 'waiting on a signalled fence resolves at once');
  assert.throws(() => fence.signal(50), /INVALID_OPERATION: render-done already signalled at 42.5/);
  assert.throws(() => new Fence('x').signal(Number.NaN), /BAD_VALUE: x: signal time NaN/);
});

test('NO_FENCE is shared and already signalled; merge waits for the latest', async () => {
  assert.equal(NO_FENCE.signalled, true);
  assert.equal(NO_FENCE.signalTime, 0);
  assert.throws(() => NO_FENCE.signal(), /already signalled/);
  const a = new Fence('a');
  const b = Fence.signalled(7, 'b');
  const merged = Fence.merge('a+b', a, b);
  assert.equal(merged.signalled, false);
  a.signal(3);
  assert.equal(await merged.wait(), 7);
  const done = Fence.merge('done', b, NO_FENCE);
  assert.equal(done.signalled, true);
  assert.equal(done.signalTime, 7);
});
