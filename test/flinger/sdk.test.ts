// The flinger behind the real server, driven only through the public client SDK over the socket:
// the phone-scene golden built by a client process's API calls, and the idle rule with one static
// client connected.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { PixelFormat, connect } from '../../src/client/index.js';
import type { StratumClient, SurfaceControl } from '../../src/client/index.js';
import { HeadlessDisplay } from '../../src/display/index.js';
import { Flinger } from '../../src/flinger/index.js';
import { Renderer } from '../../src/render/index.js';
import { startServer } from '../../src/server/index.js';
import type { StratumServer } from '../../src/server/index.js';
import { checkGolden, paintPattern } from './golden-support.js';

interface Rig {
  readonly display: HeadlessDisplay;
  readonly flinger: Flinger;
  readonly server: StratumServer;
  readonly client: StratumClient;
  close(): void;
}

async function rig(width: number, height: number): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-flinger-sdk-'));
  const display = new HeadlessDisplay({ width, height, refreshRate: 60 });
  const flinger = new Flinger({ displays: [display], renderer: new Renderer({ threads: 1 }) });
  const socketPath = join(dir, 'stratum.sock');
  const server = startServer({ socketPath, flinger, log: () => {} });
  const client = await connect({ socketPath, name: 'sdk-test' });
  return {
    display,
    flinger,
    server,
    client,
    close(): void {
      client.close();
      server.close();
      flinger.dispose();
      display.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function showPattern(surface: SurfaceControl): Promise<void> {
  const d = await surface.surface.dequeueBuffer();
  paintPattern(d.buffer);
  await surface.surface.queueBuffer(d);
}

/** Until every layer showed a buffer and nothing is pending. */
async function quiet(flinger: Flinger): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const dump = flinger.dump();
    if (dump.pendingTransactions === 0 && dump.layers.every((l) => l.kind !== 'buffer' || l.framesLatched > 0) && !flinger.busy) return;
    await sleep(10);
  }
  throw new Error('the flinger did not settle');
}

test('SDK golden: the phone scene built by a client over the socket matches the in-process golden', async () => {
  const r = await rig(180, 400);
  try {
    const c = r.client;
    const status = await c.createSurface({ name: 'status', width: 180, height: 14, format: PixelFormat.RGBX_8888 });
    const app = await c.createSurface({ name: 'app', width: 180, height: 372, format: PixelFormat.RGBX_8888 });
    const nav = await c.createSurface({ name: 'nav', width: 180, height: 14 });
    const dialog = await c.createSurface({ name: 'dialog', width: 68, height: 68 });
    const completed = new Promise<void>((resolve) => {
      void c
        .transaction()
        .setLayer(status, 10)
        .setPosition(app, 0, 14)
        .setLayer(app, 0)
        .setPosition(nav, 0, 386)
        .setLayer(nav, 10)
        .setAlpha(nav, 0xa0 / 255)
        .setPosition(dialog, 30, 130)
        .setLayer(dialog, 5)
        .setAlpha(dialog, 0x60 / 255)
        .addCompleteCallback(() => resolve())
        .apply();
    });
    await completed;
    for (const s of [status, app, nav, dialog]) await showPattern(s);
    await quiet(r.flinger);
    const shot = await c.screencap(r.display.id);
    checkGolden('phone', shot.width, shot.height, shot.rgba);
    // What is on screen is what the capture shows (no secure or skip-screenshot layers here).
    assert.deepEqual(Buffer.from(r.display.readFramebuffer()).equals(Buffer.from(shot.rgba)), true);
    const dump = await c.dump('text');
    assert.match(dump, /#\d+ dialog +DEVICE +PREMULTIPLIED/);
  } finally {
    r.close();
  }
});

test('idle: one static client connected over the socket costs the server process under 1% of a core for 5 s', async () => {
  const r = await rig(1080, 2400);
  try {
    const app = await r.client.createSurface({ name: 'static', width: 1080, height: 2400, format: PixelFormat.RGBX_8888 });
    await showPattern(app);
    await quiet(r.flinger);
    await sleep(50);
    const frames = r.flinger.frameCount;
    const before = process.cpuUsage();
    const start = performance.now();
    await sleep(5000);
    const wall = performance.now() - start;
    const used = process.cpuUsage(before);
    const cpuMs = (used.user + used.system) / 1000;
    assert.equal(r.flinger.frameCount, frames, 'no frame while idle');
    // Server and client share this process here, so this bounds the server's cost from above.
    assert.ok(cpuMs / wall < 0.01, `idle cost ${((100 * cpuMs) / wall).toFixed(3)}% of a core`);
  } finally {
    r.close();
  }
});
