// The window manager across processes: a real app process adds a window through the SDK, draws
// into its Surface, and receives injected input in window space, in order, with timestamps; its
// SurfaceControl parents children but cannot move the window; when it dies its windows go.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'node:test';

import { connect } from '../../src/client/index.js';
import type { StratumClient } from '../../src/client/index.js';
import { wireNow } from '../../src/protocol/index.js';
import { startServer } from '../../src/server/index.js';
import type { StratumServer } from '../../src/server/index.js';
import { WindowManager } from '../../src/wm/index.js';
import type { Child } from '../server/helpers.js';
import { spawnFixture, tempSocketPath, until } from '../server/helpers.js';
import { harness } from '../flinger/support.js';
import type { Harness } from '../flinger/support.js';

const appFixture = fileURLToPath(new URL('./fixtures/window-app.ts', import.meta.url));

interface Running {
  readonly h: Harness;
  readonly wm: WindowManager;
  readonly server: StratumServer;
  readonly socketPath: string;
  readonly children: Child[];
  readonly clients: StratumClient[];
  readonly cleanup: () => void;
}

let running: Running | undefined;
afterEach(() => {
  if (!running) return;
  for (const c of running.clients) c.close();
  for (const child of running.children) child.process.kill('SIGKILL');
  running.server.close();
  running.wm.dispose();
  running.h.dispose();
  running.cleanup();
  running = undefined;
});

function start(): Running {
  const h = harness({ width: 200, height: 400 });
  const wm = new WindowManager(h.flinger, { animations: false });
  const { path, cleanup } = tempSocketPath();
  const server = startServer({ socketPath: path, flinger: h.flinger, windowManager: wm, log: () => undefined });
  running = { h, wm, server, socketPath: path, children: [], clients: [], cleanup };
  return running;
}

async function app(r: Running, title: string, place: [number, number, number, number]): Promise<{ child: Child; window: number; ready: Record<string, unknown> }> {
  const child = spawnFixture(appFixture, [r.socketPath, title, ...place.map(String)]);
  r.children.push(child);
  const line = await child.waitFor(/"ready"/);
  const ready = JSON.parse(line) as Record<string, unknown>;
  return { child, window: Number(ready.ready), ready };
}

interface Received {
  readonly input: { kind: string; action: string; x: number; y: number; rawX: number; rawY: number; eventTime: number; sequence: number };
  readonly receivedAt: number;
}

function inputs(child: Child): Received[] {
  return child.lines.filter((l) => l.includes('"input"')).map((l) => JSON.parse(l) as Received);
}

describe('windows through the SDK', () => {
  it('an app process gets its window, its layout and focus, and injected taps in window space, in order, with timestamps', async () => {
    const r = start();
    const a = await app(r, 'alpha', [0, 0, 100, 100]);
    assert.deepEqual(a.ready.config && (a.ready.config as { frame: unknown }).frame, { left: 0, top: 0, right: 100, bottom: 100 });
    assert.equal(a.ready.focused, true);
    assert.equal(a.ready.windowLayerRefused, 'PERMISSION_DENIED');
    const injector = await connect({ socketPath: r.socketPath, name: 'injector' });
    r.clients.push(injector);
    const t0 = wireNow();
    const down = await injector.injectInput({ kind: 'touch', action: 'down', x: 30, y: 40, eventTime: t0 });
    await injector.injectInput({ kind: 'touch', action: 'move', x: 130, y: 40, eventTime: t0 + 1 });
    await injector.injectInput({ kind: 'touch', action: 'up', x: 150, y: 60, eventTime: t0 + 2 });
    assert.deepEqual(down, { window: a.window, dropped: '' });
    await until(() => inputs(a.child).length === 3, 'three input events in the app');
    const got = inputs(a.child);
    assert.deepEqual(got.map((e) => [e.input.action, e.input.x, e.input.y, e.input.sequence]), [
      ['down', 30, 40, 1],
      ['move', 130, 40, 2],
      ['up', 150, 60, 3],
    ]);
    for (const [i, e] of got.entries()) {
      assert.ok(Math.abs(e.input.eventTime - (t0 + i)) < 1e-6, 'eventTime survives the trip');
      assert.ok(e.receivedAt >= e.input.eventTime, 'received after it happened (one clock for all processes)');
    }
    // `stratum dump` shows the windows.
    assert.match(await injector.dump(), /#\d+ application 'alpha' \(alpha\(pid \d+\)\) frame \[0,0,100,100\]/);
    const json = JSON.parse(await injector.dump('json')) as { windowManager?: { displays: { windows: { title: string }[] }[] } };
    assert.deepEqual(json.windowManager?.displays[0]?.windows.map((w) => w.title), ['alpha']);
    const miss = await injector.injectInput({ kind: 'touch', action: 'down', x: 150, y: 300 });
    assert.equal(miss.window, null);
    assert.match(miss.dropped, /no touchable window/);
    // The app's child layer sits under the window; the window layer did not move.
    const dump = r.h.flinger.dump();
    const childLayer = dump.layers.find((l) => l.id === Number(a.ready.childLayer));
    assert.equal(childLayer?.parent, r.wm.window(a.window).layers.surface);
    assert.deepEqual(dump.layers.find((l) => l.id === r.wm.window(a.window).layers.container)?.properties.position, { x: 0, y: 0 });
  });

  it('a stopped app process does not hold back another app\'s input, and gets its own in order when it runs again', async () => {
    const r = start();
    const a = await app(r, 'alpha', [0, 0, 100, 100]);
    const b = await app(r, 'beta', [100, 0, 100, 100]);
    b.child.process.kill('SIGSTOP');
    try {
      for (let i = 0; i < 50; i++) {
        for (const x of [150, 50]) {
          r.wm.injectInput({ kind: 'touch', action: 'down', x, y: 10 });
          r.wm.injectInput({ kind: 'touch', action: 'up', x, y: 10 });
        }
      }
      await until(() => inputs(a.child).length === 100, 'alpha gets all its taps while beta is stopped');
      assert.equal(inputs(b.child).length, 0);
    } finally {
      b.child.process.kill('SIGCONT');
    }
    await until(() => inputs(b.child).length === 100, 'beta gets its taps once it runs');
    assert.deepEqual(inputs(b.child).map((e) => e.input.sequence), Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('keys follow focus between app processes, and a dead app\'s windows disappear with focus moving on', async () => {
    const r = start();
    const a = await app(r, 'alpha', [0, 0, 100, 100]);
    const b = await app(r, 'beta', [100, 0, 100, 100]);
    await until(() => a.child.lines.some((l) => l.includes('"focus":false')), 'alpha loses focus to beta');
    const injector = await connect({ socketPath: r.socketPath, name: 'injector' });
    r.clients.push(injector);
    assert.equal((await injector.injectInput({ kind: 'key', action: 'down', key: 'k' })).window, b.window);
    await injector.injectInput({ kind: 'pointer', action: 'down', x: 10, y: 10 });
    await injector.injectInput({ kind: 'pointer', action: 'up', x: 10, y: 10 });
    assert.equal((await injector.injectInput({ kind: 'key', action: 'down', key: 'j' })).window, a.window);
    await until(() => inputs(a.child).some((e) => e.input.kind === 'key'), 'alpha gets its key');
    assert.deepEqual(inputs(b.child).filter((e) => e.input.kind === 'key').length, 1);
    const layers = r.wm.window(a.window).layers;
    const alphaBytes = r.server.clients().find((c) => c.name === 'alpha')?.bufferBytes ?? 0;
    const bytesBefore = r.server.allocator.totals().bytes;
    assert.ok(alphaBytes > 0, 'the window\'s buffers are charged to the app');
    a.child.process.kill('SIGKILL');
    await until(() => r.wm.windows().length === 1, 'the dead app\'s window is removed');
    await until(() => r.server.allocator.totals().bytes === bytesBefore - alphaBytes, 'the dead app\'s buffers are freed');
    assert.equal(r.wm.focusedWindow(), b.window);
    await until(() => b.child.lines.filter((l) => l.includes('"focus"')).at(-1)?.includes('"focus":true') === true, 'beta regains focus');
    const ids = new Set(r.h.flinger.dump().layers.map((l) => l.id));
    assert.ok(!ids.has(layers.container) && !ids.has(layers.surface), 'its layers are gone');
  });
});
