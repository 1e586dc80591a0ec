// External displays plugged in and out through the SDK while a client animates: a new display is
// listed but off (no frames) until powered, then shows the stack; unplugging removes its output,
// keeps the layers, and every connection hears both events.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { connect } from '../../src/client/index.js';
import { HeadlessDisplay } from '../../src/display/index.js';
import { Flinger } from '../../src/flinger/index.js';
import { isStratumError } from '../../src/os/status.js';
import { Renderer } from '../../src/render/index.js';
import { startServer } from '../../src/server/index.js';

async function until(check: () => boolean, what: string): Promise<void> {
  // Bounded generously: a loaded machine may take seconds to deliver a frame; a passing run waits no longer.
  for (let i = 0; i < 2000; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('hotplug through the SDK while a client animates: starts off, shows the stack once on, unplug keeps the layers, every client is told', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-hotplug-'));
  const primary = new HeadlessDisplay({ width: 48, height: 32, refreshRate: 120 });
  const flinger = new Flinger({ displays: [primary], renderer: new Renderer({ threads: 1 }) });
  const socketPath = join(dir, 'stratum.sock');
  const server = startServer({ socketPath, flinger, log: () => {} });
  const app = await connect({ socketPath, name: 'app' });
  const tool = await connect({ socketPath, name: 'tool' });
  let animating = true;
  const applyErrors: unknown[] = [];
  try {
    const events: [number, boolean][] = [];
    app.onDisplayHotplug((display, connected) => events.push([display, connected]));
    const square = await app.createSurface({ name: 'square', kind: 'color', width: 8, height: 8 });
    // Animate: move the square every frame, paced by the Choreographer.
    let x = 0;
    const tick = (): void => {
      if (!animating) return;
      x = (x + 1) % 40;
      app
        .transaction()
        .setPosition(square, x, 4)
        .setColor(square, { r: 1, g: 0, b: 0 })
        .setCrop(square, { left: 0, top: 0, right: 8, bottom: 8 })
        .apply()
        // Closing the connection at the end rejects a transaction still in flight: expected then, a failure before.
        .catch((error: unknown) => {
          if (animating || !isStratumError(error, 'DISCONNECTED')) applyErrors.push(error);
        });
      app.choreographer.postFrameCallback(tick);
    };
    app.choreographer.postFrameCallback(tick);
    await until(() => app.choreographer.frames > 3, 'the animation to run');

    const external = await tool.connectDisplay({ name: 'hdmi', width: 48, height: 32 });
    await until(() => events.length === 1, 'the connect event');
    assert.deepEqual(events[0], [external, true]);
    const listed = (await tool.listDisplays()).find((d) => d.id === external);
    assert.equal(listed?.kind, 'external');
    const presented = (): number => flinger.dump().displays.find((d) => d.id === external)?.framesPresented ?? -1;
    const framesBefore = app.choreographer.frames;
    await until(() => app.choreographer.frames > framesBefore + 3, 'more animation frames');
    assert.equal(presented(), 0, 'an unpowered display gets no frames');

    await tool.setDisplayPowerMode(external, 'on');
    await until(() => presented() > 2, 'frames on the powered display');
    const dump = flinger.dump();
    assert.equal(dump.displays.find((d) => d.id === external)?.powerMode, 'on');

    await tool.disconnectDisplay(external);
    await until(() => events.length === 2, 'the disconnect event');
    assert.deepEqual(events[1], [external, false]);
    assert.ok(!(await tool.listDisplays()).some((d) => d.id === external));
    assert.ok(flinger.dump().layers.some((l) => l.name === 'square'), 'the layer stack is kept');
    const after = app.choreographer.frames;
    await until(() => app.choreographer.frames > after + 3, 'the primary to keep animating');

    await assert.rejects(tool.disconnectDisplay(primary.id), (e: unknown) => isStratumError(e, 'INVALID_OPERATION'));
    await assert.rejects(tool.disconnectDisplay(9999), (e: unknown) => isStratumError(e, 'NAME_NOT_FOUND'));
    await assert.rejects(tool.connectDisplay({ width: 0, height: 10 }), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
    assert.deepEqual(applyErrors, [], 'every animation transaction was applied');
  } finally {
    animating = false;
    app.close();
    tool.close();
    server.close();
    flinger.dispose();
    primary.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
