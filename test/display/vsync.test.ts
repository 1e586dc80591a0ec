import assert from 'node:assert/strict';
import { test } from 'node:test';

import { HeadlessDisplay, ManualVsyncSource, SoftwareVsyncSource, projectionAffine } from '../../src/display/index.js';
import { isStratumError } from '../../src/os/status.js';

test('the software VSync lands every VSync on the absolute grid, however late the timer fires, and runs no timer unasked', async () => {
  const source = new SoftwareVsyncSource(240);
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t = await new Promise<number>((resolve) => {
      source.setCallback(resolve);
      source.requestVsync();
      assert.equal(source.requested, true);
    });
    times.push(t);
    assert.equal(source.requested, false, 'one request, one VSync: nothing stays armed');
    // Burn some time so the next request comes late in the period: the grid must not move.
    const until = performance.now() + (i % 3) * 2;
    while (performance.now() < until) { /* spin */ }
  }
  const period = 1000 / 240;
  for (let i = 1; i < times.length; i++) {
    const steps = (times[i]! - times[0]!) / period;
    assert.ok(Math.abs(steps - Math.round(steps)) < 1e-6, `VSync ${i} is ${steps} periods after the first: off the grid`);
    assert.ok(times[i]! > times[i - 1]!, 'strictly increasing');
  }
  source.dispose();
  assert.throws(() => source.requestVsync(), (e: unknown) => isStratumError(e, 'INVALID_OPERATION'));
});

test('the next software VSync is the next grid point, never the one just delivered', () => {
  let now = 1000;
  const source = new SoftwareVsyncSource(50, () => now);
  assert.equal(source.nextVsyncTime(), 1000);
  now = 1001;
  assert.equal(source.nextVsyncTime(), 1020);
  now = 1059.9;
  assert.equal(source.nextVsyncTime(), 1060);
  source.setRefreshRate(100);
  assert.equal(source.period, 10);
  assert.throws(() => source.setRefreshRate(0), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
  source.dispose();
});

test('the manual source delivers only requested VSyncs, one period apart', () => {
  const source = new ManualVsyncSource(60, 0);
  const got: number[] = [];
  source.setCallback((t) => got.push(t));
  assert.equal(source.tick(), false);
  source.requestVsync();
  source.requestVsync();
  assert.equal(source.tick(), true);
  assert.equal(source.tick(), false);
  assert.deepEqual(got, [2000 / 60]);
  assert.equal(source.skipped, 2);
  assert.throws(() => source.tick(0), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
});

test('the headless display defaults to 1080x2400 at 60 Hz with a black framebuffer readable at any time', () => {
  const display = new HeadlessDisplay({ vsync: new ManualVsyncSource(60, 0) });
  assert.deepEqual([display.width, display.height, display.refreshRate], [1080, 2400, 60]);
  const fb = display.readFramebuffer();
  assert.equal(fb.length, 1080 * 2400 * 4);
  assert.deepEqual([...fb.subarray(0, 4)], [0, 0, 0, 255]);
  display.dispose();
  const small = new HeadlessDisplay({ width: 320, height: 200, refreshRate: 90 });
  assert.deepEqual([small.width, small.height, small.refreshRate], [320, 200, 90]);
  assert.ok(Math.abs(small.period - 1000 / 90) < 1e-9);
  small.dispose();
  assert.throws(() => new HeadlessDisplay({ width: 0 }), (e: unknown) => isStratumError(e, 'BAD_VALUE') && /width/.test(e.message));
  assert.throws(() => new HeadlessDisplay({ refreshRate: -5 }), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
});

test('D2 projection: stack rect (0,0,200,100) onto (20,10,420,210) maps (100,50) to (220,110)', () => {
  const t = projectionAffine({ orientation: 0, layerStackRect: { left: 0, top: 0, right: 200, bottom: 100 }, displayRect: { left: 20, top: 10, right: 420, bottom: 210 } }, 1000, 1000);
  assert.deepEqual([t.a * 100 + t.c * 50 + t.tx, t.b * 100 + t.d * 50 + t.ty], [220, 110]);
  const turned = projectionAffine({ orientation: 90, layerStackRect: { left: 0, top: 0, right: 100, bottom: 50 }, displayRect: { left: 0, top: 0, right: 100, bottom: 50 } }, 50, 100);
  // A quarter turn clockwise: the stack's top-left corner lands at the panel's top-right.
  assert.deepEqual([turned.a * 0 + turned.c * 0 + turned.tx, turned.b * 0 + turned.d * 0 + turned.ty], [50, 0]);
});
