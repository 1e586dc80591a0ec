// VSync on demand: a flinger showing static content runs no timers and costs (almost) no CPU.
// The one CPU-usage test of this area (it takes 5 s of wall time, mostly asleep).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { HeadlessDisplay } from '../../src/display/index.js';
import { Flinger, Transaction } from '../../src/flinger/index.js';
import { Renderer } from '../../src/render/index.js';
import { solidBuffer } from './support.js';

test('idle: with one client and a static layer on a real 60 Hz display, 5 s cost under 1% of a core', async () => {
  const display = new HeadlessDisplay({ width: 1080, height: 2400, refreshRate: 60 });
  const flinger = new Flinger({ displays: [display], renderer: new Renderer() });
  const client = flinger.createClient('static-app');
  const layer = client.createLayer({ name: 'app', kind: 'buffer' });
  const buffer = solidBuffer(1080, 2400, [30, 60, 90, 255]);
  let presented = 0;
  flinger.onPresent(() => presented++);
  client.apply(new Transaction().setBuffer(layer.id, { buffer }));
  while (presented === 0) await sleep(20);
  await flinger.settled();
  await sleep(50);
  assert.equal(flinger.busy, false, 'nothing pending: no VSync requested, no frame in flight');
  const framesBefore = flinger.frameCount;
  const before = process.cpuUsage();
  const wallStart = performance.now();
  await sleep(5000);
  const wall = performance.now() - wallStart;
  const used = process.cpuUsage(before);
  const cpuMs = (used.user + used.system) / 1000;
  assert.equal(flinger.frameCount, framesBefore, 'no frame ran while idle');
  assert.ok(cpuMs / wall < 0.01, `idle cost ${((100 * cpuMs) / wall).toFixed(3)}% of a core (${cpuMs.toFixed(1)} ms CPU in ${wall.toFixed(0)} ms)`);
  flinger.dispose();
  display.dispose();
  buffer.dispose();
});
