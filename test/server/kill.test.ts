// SIGKILL a client at 20 points of its life; after each, the server's open fds and allocated bytes
// are back at their baseline, its layers are gone, and a second client's frames keep flowing.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { HeadlessDisplay } from '../../src/display/display.js';
import { Flinger } from '../../src/flinger/flinger.js';
import { startServer } from '../../src/server/index.js';
import type { ClientClosedEvent } from '../../src/server/index.js';
import { clientFixture, openFdCount, spawnFixture, tempSocketPath, until } from './helpers.js';
import type { Child } from './helpers.js';

test('a client SIGKILLed at any of 20 points is cleaned up completely and others keep flowing', { timeout: 180_000 }, async () => {
  const socket = tempSocketPath();
  const display = new HeadlessDisplay({ width: 64, height: 64, refreshRate: 120 });
  const flinger = new Flinger({ displays: [display] });
  const server = startServer({ socketPath: socket.path, flinger, log: () => undefined });
  const closedEvents: ClientClosedEvent[] = [];
  server.onClientClosed((event) => closedEvents.push(event));
  const steady = spawnFixture(clientFixture, ['steady', socket.path]);
  const victims: Child[] = [];
  try {
    await steady.waitFor(/^steady$/);
    const steadyClient = (): number => server.clients().find((c) => c.name === 'fixture-steady')?.messagesIn ?? 0;
    // Let the steady client's queue settle (all its slots allocated) before taking the baseline.
    const warm = steadyClient();
    await until(() => steadyClient() > warm + 40, 'the steady client to run');
    const baselineFds = openFdCount();
    const baselineBytes = server.allocator.totals().bytes;
    const baselineLayers = flinger.dump().layers.length;
    // Victims start ahead (process start-up is slow) and connect only when told to.
    const POINTS = 20;
    const AHEAD = 3;
    const startVictim = (point: number): void => {
      if (point <= POINTS) victims[point] = spawnFixture(clientFixture, ['kill', socket.path, String(point)]);
    };
    for (let point = 1; point <= AHEAD; point++) startVictim(point);
    for (let point = 1; point <= POINTS; point++) {
      const victim = victims[point];
      assert.ok(victim);
      startVictim(point + AHEAD);
      await victim.waitFor(/^ready$/);
      victim.tell('go');
      await victim.waitFor(new RegExp(`^at ${point}$`));
      const before = closedEvents.length;
      assert.ok(flinger.dump().layers.length > baselineLayers || point === 1, `point ${point}: the victim has layers on the server`);
      victim.process.kill('SIGKILL');
      await victim.exited;
      await until(() => closedEvents.length > before, `the server to notice the death at point ${point}`);
      const flowing = steadyClient();
      await until(() => steadyClient() > flowing + 6, `the steady client's frames to keep flowing after point ${point}`);
      await flinger.settled();
      assert.equal(flinger.dump().layers.length, baselineLayers, `point ${point}: the victim's layers are gone`);
      assert.equal(server.allocator.totals().bytes, baselineBytes, `point ${point}: allocated bytes back to baseline`);
      assert.equal(openFdCount(), baselineFds, `point ${point}: open fds back to baseline`);
    }
    assert.equal(server.clients().length, 1, 'only the steady client is left');
  } finally {
    for (const victim of victims) victim?.process.kill('SIGKILL');
    steady.process.kill('SIGKILL');
    await steady.exited;
    server.close();
    flinger.dispose();
    display.dispose();
    socket.cleanup();
  }
});
