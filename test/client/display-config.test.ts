// Rotation and modes of a display through the SDK: setDisplayRotation (through the window manager
// when the server has one, so windows are laid out again), getDisplayModes / setDisplayMode, and
// clear errors for an unknown display, an angle that is not a quarter turn, a mode the display lacks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { connect } from '../../src/client/index.js';
import type { DisplayRotation, StratumClient } from '../../src/client/index.js';
import { HeadlessDisplay } from '../../src/display/index.js';
import { Flinger } from '../../src/flinger/index.js';
import { isStratumError } from '../../src/os/status.js';
import type { StatusCode } from '../../src/os/status.js';
import { Renderer } from '../../src/render/index.js';
import { flingerCompositor, startServer } from '../../src/server/index.js';

async function withServer(options: { windowManager: boolean }, use: (client: StratumClient, display: HeadlessDisplay) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-display-config-'));
  const display = new HeadlessDisplay({ width: 64, height: 40, refreshRate: 60 });
  const flinger = new Flinger({ displays: [display], renderer: new Renderer({ threads: 1 }) });
  const socketPath = join(dir, 'stratum.sock');
  // A custom compositor means no window manager: rotation goes straight to the display.
  const server = startServer({ socketPath, log: () => {}, ...(options.windowManager ? { flinger } : { compositor: flingerCompositor(flinger) }) });
  const client = await connect({ socketPath, name: 'config' });
  try {
    await use(client, display);
  } finally {
    client.close();
    server.close();
    flinger.dispose();
    display.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rejectsWith(promise: Promise<unknown>, code: StatusCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStratumError(error), String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

test('setDisplayRotation without a window manager turns the display: display info and projection show it', async () => {
  await withServer({ windowManager: false }, async (client, display) => {
    await client.setDisplayRotation(display.id, 90);
    assert.equal((await client.getDisplayInfo(display.id)).rotation, 90);
    assert.equal(display.projection.orientation, 90);
    assert.deepEqual(display.projection.layerStackRect, { left: 0, top: 0, right: 40, bottom: 64 }, 'the stack fills the turned display');
    await client.setDisplayRotation(display.id, 0);
    assert.equal((await client.getDisplayInfo(display.id)).rotation, 0);
  });
});

test('setDisplayRotation with a window manager lays the windows out again for the new orientation', async () => {
  await withServer({ windowManager: true }, async (client, display) => {
    const window = await client.addWindow({ type: 'application', title: 'app' });
    assert.deepEqual([window.config.displayWidth, window.config.displayHeight, window.config.rotation], [64, 40, 0]);
    const configured = new Promise<void>((resolve) => window.onConfigured((config) => config.rotation === 270 && resolve()));
    await client.setDisplayRotation(display.id, 270);
    await configured;
    assert.deepEqual([window.config.displayWidth, window.config.displayHeight, window.config.rotation], [40, 64, 270]);
    assert.ok(window.config.frame.right - window.config.frame.left <= 40, 'the window fits the turned display');
    assert.equal((await client.getDisplayInfo(display.id)).rotation, 270);
    assert.match(await client.dump('text'), new RegExp(`display ${display.id}: 40x64 rotation 270 `));
  });
});

test('setDisplayRotation refuses an unknown display and an angle that is not a quarter turn', async () => {
  for (const windowManager of [false, true]) {
    await withServer({ windowManager }, async (client, display) => {
      await rejectsWith(client.setDisplayRotation(99, 90), 'NAME_NOT_FOUND', /display 99 does not exist/);
      await rejectsWith(client.setDisplayRotation(display.id, 45 as DisplayRotation), 'BAD_VALUE', /rotation must be 0, 90, 180 or 270, got 45/);
      assert.equal((await client.getDisplayInfo(display.id)).rotation, 0, 'nothing turned');
    });
  }
});

test('getDisplayModes lists the modes with the active one; setDisplayMode switches the refresh rate', async () => {
  await withServer({ windowManager: true }, async (client, display) => {
    const modes = await client.getDisplayModes(display.id);
    assert.deepEqual(
      modes.map((m) => [m.width, m.height, m.refreshRate, m.active, m.varying !== undefined]),
      [
        [64, 40, 60, true, false],
        [64, 40, 90, false, false],
        [64, 40, 120, false, false],
        [64, 40, 60, false, true],
      ],
    );
    const fast = modes.find((m) => m.refreshRate === 120 && !m.varying);
    assert.ok(fast);
    await client.setDisplayMode(display.id, fast.id);
    assert.equal((await client.getDisplayInfo(display.id)).refreshRate, 120);
    assert.equal(display.activeMode.id, fast.id);
    assert.deepEqual((await client.getDisplayModes(display.id)).filter((m) => m.active).map((m) => m.id), [fast.id]);
  });
});

test('display modes: unknown display and unknown mode are refused, the mode stays', async () => {
  await withServer({ windowManager: false }, async (client, display) => {
    await rejectsWith(client.getDisplayModes(42), 'NAME_NOT_FOUND', /display 42 does not exist/);
    await rejectsWith(client.setDisplayMode(42, 1), 'NAME_NOT_FOUND', /display 42 does not exist/);
    await rejectsWith(client.setDisplayMode(display.id, 77), 'BAD_VALUE', /has no mode 77/);
    assert.equal((await client.getDisplayInfo(display.id)).refreshRate, 60);
  });
});
