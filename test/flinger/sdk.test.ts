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

/** Applies and waits for the frame that shows it. */
function applied(tx: ReturnType<StratumClient['transaction']>): Promise<void> {
  return new Promise((resolve) => {
    void tx.addCompleteCallback(() => resolve()).apply();
  });
}

test('SDK golden: the hierarchy scene through the socket matches the in-process golden', async () => {
  const r = await rig(96, 64);
  try {
    const c = r.client;
    const background = await c.createSurface({ name: 'background', kind: 'color' });
    const parent = await c.createSurface({ name: 'parent', kind: 'color' });
    const child = await c.createSurface({ name: 'child', kind: 'color', parent });
    const under = await c.createSurface({ name: 'under', kind: 'color', parent });
    const sibling = await c.createSurface({ name: 'sibling', kind: 'color' });
    const hidden = await c.createSurface({ name: 'hidden', kind: 'container', hidden: true });
    await c.createSurface({ name: 'hidden-child', kind: 'color', parent: hidden });
    const relative = await c.createSurface({ name: 'relative', kind: 'color' });
    await applied(
      c
        .transaction()
        .setColor(background, { r: 0.2, g: 0.2, b: 0.25 })
        .setLayer(background, -100)
        .setColor(parent, { r: 0.9, g: 0.3, b: 0.1 })
        .setCrop(parent, { left: 8, top: 8, right: 56, bottom: 56 })
        .setAlpha(parent, 0.75)
        .setColor(child, { r: 0.1, g: 0.8, b: 0.3 })
        .setAlpha(child, 0.5)
        .setCrop(child, { left: 32, top: 24, right: 90, bottom: 48 })
        .setLayer(child, 1)
        .setColor(under, { r: 0.1, g: 0.3, b: 0.9 })
        .setCrop(under, { left: 2, top: 2, right: 24, bottom: 24 })
        .setLayer(under, -1)
        .setColor(sibling, { r: 1, g: 1, b: 0 })
        .setCrop(sibling, { left: 60, top: 4, right: 92, bottom: 60 })
        .setLayer(sibling, 2)
        .setColor(relative, { r: 0.8, g: 0, b: 0.8 })
        .setCrop(relative, { left: 44, top: 40, right: 70, bottom: 62 })
        .setRelativeLayer(relative, sibling, -1),
    );
    await quiet(r.flinger);
    const shot = await c.screencap(r.display.id);
    checkGolden('hierarchy', shot.width, shot.height, shot.rgba);
  } finally {
    r.close();
  }
});

test('SDK golden: screencap shows secure layers black and leaves skip-screenshot layers out; the screen shows both', async () => {
  const r = await rig(64, 48);
  try {
    const c = r.client;
    const wallpaper = await c.createSurface({ name: 'wallpaper', width: 64, height: 48 });
    const bank = await c.createSurface({ name: 'bank', kind: 'color', secure: true });
    const bankChild = await c.createSurface({ name: 'bank-child', kind: 'color', parent: bank });
    const overlay = await c.createSurface({ name: 'overlay', kind: 'color', skipScreenshot: true });
    await applied(
      c
        .transaction()
        .setColor(bank, { r: 0, g: 1, b: 0 })
        .setCrop(bank, { left: 4, top: 4, right: 30, bottom: 30 })
        .setLayer(bank, 1)
        .setColor(bankChild, { r: 1, g: 1, b: 1 })
        .setCrop(bankChild, { left: 8, top: 8, right: 14, bottom: 14 })
        .setLayer(bankChild, 1)
        .setColor(overlay, { r: 1, g: 0, b: 1 })
        .setCrop(overlay, { left: 34, top: 10, right: 60, bottom: 40 })
        .setLayer(overlay, 2),
    );
    await showPattern(wallpaper);
    await quiet(r.flinger);
    checkGolden('capture-screen', 64, 48, r.display.readFramebuffer());
    const shot = await c.screencap(r.display.id);
    checkGolden('capture', shot.width, shot.height, shot.rgba);
  } finally {
    r.close();
  }
});
