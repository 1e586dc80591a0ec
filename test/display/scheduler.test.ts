import assert from 'node:assert/strict';
import { test } from 'node:test';

import { VsyncScheduler } from '../../src/display/index.js';
import type { AppVsyncEvent, VsyncTick } from '../../src/display/index.js';
import { isStratumError } from '../../src/os/status.js';

test('the scheduler wakes only receivers that asked, with one upstream request per VSync and the phase offsets in the event', () => {
  const upstream: ((tick: VsyncTick) => void)[] = [];
  let cancels = 0;
  const scheduler = new VsyncScheduler(
    (cb) => {
      upstream.push(cb);
      return () => cancels++;
    },
    { appOffset: 1, compositorOffset: 2 },
  );
  const a = {};
  const b = {};
  const c = {};
  const got: [object, AppVsyncEvent][] = [];
  scheduler.requestNextVsync(a, (e) => got.push([a, e]));
  scheduler.requestNextVsync(b, (e) => got.push([b, e]));
  scheduler.requestNextVsync(a, (e) => got.push([a, e])); // again before the VSync: still one event
  assert.equal(upstream.length, 1, 'one upstream request for every waiting receiver');
  upstream[0]!({ display: 1, vsyncId: 7, timestamp: 100, period: 10 });
  assert.deepEqual(got.map(([r]) => r), [a, b]);
  assert.deepEqual(got[0]![1], { display: 1, vsyncId: 7, frameTime: 101, deadline: 112, expectedPresentTime: 110, period: 10 });
  assert.equal(scheduler.wakeups(c), 0);
  assert.equal(scheduler.wakeups(a), 1);
  // Nobody waiting: no upstream request; a cancelled last receiver withdraws it.
  const cancel = scheduler.requestNextVsync(c, () => assert.fail('cancelled'));
  assert.equal(upstream.length, 2);
  cancel();
  assert.equal(cancels, 1);
  assert.equal(scheduler.waiting, 0);
  assert.throws(() => new VsyncScheduler(() => () => {}, { appOffset: -1 }), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
  scheduler.dispose();
  assert.throws(() => scheduler.requestNextVsync(a, () => {}), (e: unknown) => isStratumError(e, 'DEAD_OBJECT'));
});
