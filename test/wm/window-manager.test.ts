// The window manager on a real flinger: z-order policy, layout and insets, focus, hit-testing,
// key routing, gestures, rotation, transitions, slow apps and bad requests.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import { Transform } from '../../src/buffer/index.js';
import { HeadlessDisplay, ManualVsyncSource } from '../../src/display/index.js';
import { isStratumError } from '../../src/os/status.js';
import type { WindowHandle, WindowType } from '../../src/wm/index.js';
import { WINDOW_TYPES, WindowFlag } from '../../src/wm/index.js';
import { drawWindow, wmHarness } from './support.js';
import type { WmHarness } from './support.js';

const ROT_90_MATRIX = { dsdx: 0, dtdx: 1, dtdy: -1, dsdy: 0 };

let current: WmHarness | undefined;
afterEach(() => {
  current?.dispose();
  current = undefined;
});

function setup(...args: Parameters<typeof wmHarness>): WmHarness {
  current = wmHarness(...args);
  return current;
}

function frameOf(h: WmHarness, id: number): { left: number; top: number; right: number; bottom: number } {
  return h.wm.window(id).frame;
}

function tap(h: WmHarness, x: number, y: number, kind: 'touch' | 'pointer' = 'touch'): number | null {
  const down = h.wm.injectInput({ kind, action: 'down', x, y });
  h.wm.injectInput({ kind, action: 'up', x, y });
  return down.window;
}

function containerProps(h: WmHarness, handle: WindowHandle) {
  const layer = h.flinger.dump().layers.find((l) => l.id === handle.layers.container);
  assert.ok(layer, `container ${handle.layers.container} exists`);
  return layer.properties;
}

/** Bars of 20 (status) and 30 (navigation) on a 200x400 display. */
function withBars(h: WmHarness): { status: WindowHandle; nav: WindowHandle } {
  const system = h.app('systemui');
  const status = system.session.addWindow({ type: 'status-bar', title: 'status', height: 20 });
  const nav = system.session.addWindow({ type: 'navigation-bar', title: 'nav', height: 30 });
  return { status, nav };
}

describe('z-order policy', () => {
  it('stacks every type in policy order whatever the order of adding, as composed on screen', async () => {
    const h = setup();
    const app = h.app('app');
    const handles = new Map<WindowType, WindowHandle>();
    for (const type of [...WINDOW_TYPES].reverse()) {
      const handle = app.session.addWindow({ type, title: type, width: 40, height: 40, flags: WindowFlag.NOT_FOCUSABLE });
      handles.set(type, handle);
      const f = handle.config.frame;
      await drawWindow(handle.producer, f.right - f.left, f.bottom - f.top, [10, 20, 30, 255]);
    }
    await h.frames(2);
    const shown = h.flinger.dump().displays[0]?.lastFrame?.layers.map((l) => l.name);
    // lastFrame lists bottom to top.
    assert.deepEqual(shown, [...WINDOW_TYPES]);
    assert.deepEqual(h.wm.windows().map((w) => w.type), [...WINDOW_TYPES].reverse());
  });

  it('puts the most recently focused window on top of its type, and never above a higher type', () => {
    const h = setup();
    withBars(h);
    const a = h.app('a').session.addWindow({ type: 'application', title: 'A' });
    const b = h.app('b').session.addWindow({ type: 'application', title: 'B' });
    const dialog = h.app('c').session.addWindow({ type: 'dialog', title: 'D', width: 100, height: 50 });
    const order = (): string[] => h.wm.windows().map((w) => w.title);
    assert.deepEqual(order(), ['nav', 'status', 'D', 'B', 'A']);
    h.wm.focusWindow(h.display.id, a.id);
    assert.deepEqual(order(), ['nav', 'status', 'D', 'A', 'B']);
    assert.ok(h.wm.window(dialog.id).z > h.wm.window(a.id).z);
    assert.ok(h.wm.window(a.id).z > h.wm.window(b.id).z);
    assert.equal(h.wm.focusedWindow(), a.id);
  });
});

describe('layout', () => {
  it('gives the bars their insets and applications the rest, and tells each app its frame', () => {
    const h = setup();
    const app = h.app('app');
    const win = app.session.addWindow({ type: 'application', title: 'main' });
    assert.deepEqual(win.config.frame, { left: 0, top: 0, right: 200, bottom: 400 });
    withBars(h);
    assert.deepEqual(h.wm.insets(), { left: 0, top: 20, right: 0, bottom: 30 });
    assert.deepEqual(frameOf(h, win.id), { left: 0, top: 20, right: 200, bottom: 370 });
    const configured = app.events.filter((e) => e.type === 'configured');
    const last = configured[configured.length - 1];
    assert.ok(last?.type === 'configured');
    assert.deepEqual(last.config.frame, { left: 0, top: 20, right: 200, bottom: 370 });
    assert.deepEqual(last.config.insets, { left: 0, top: 20, right: 0, bottom: 30 });
  });

  it('clamps what an app asks to its area, and LAYOUT_FULLSCREEN uses the whole display', () => {
    const h = setup();
    withBars(h);
    const app = h.app('app');
    const big = app.session.addWindow({ type: 'dialog', title: 'big', width: 500, height: 60 });
    assert.deepEqual(frameOf(h, big.id), { left: 0, top: 165, right: 200, bottom: 225 });
    const placed = app.session.addWindow({ type: 'application', title: 'placed', width: 50, height: 50, x: -40, y: 390 });
    assert.deepEqual(frameOf(h, placed.id), { left: 0, top: 320, right: 50, bottom: 370 });
    const full = app.session.addWindow({ type: 'application', title: 'full', flags: WindowFlag.LAYOUT_FULLSCREEN });
    assert.deepEqual(frameOf(h, full.id), { left: 0, top: 0, right: 200, bottom: 400 });
    const config = app.session.relayout(placed.id, { width: 80, height: 30, x: 10, y: 40 });
    assert.deepEqual(config.frame, { left: 10, top: 40, right: 90, bottom: 70 });
    // Back to the policy size: fill the content area.
    assert.deepEqual(app.session.relayout(placed.id, { width: 0, height: 0, x: 0, y: 20 }).frame, { left: 0, top: 20, right: 200, bottom: 370 });
  });

  it('gives the space back when a bar hides, and bars cannot take more than a quarter of the display', () => {
    const h = setup();
    const { status } = withBars(h);
    const win = h.app('app').session.addWindow({ type: 'application', title: 'main' });
    h.wm.setVisible(status.id, false);
    assert.deepEqual(frameOf(h, win.id), { left: 0, top: 0, right: 200, bottom: 370 });
    h.wm.setVisible(status.id, true);
    h.wm.relayout(status.id, { height: 300 });
    assert.deepEqual(frameOf(h, status.id), { left: 0, top: 0, right: 200, bottom: 100 });
  });

  it('places window layers where the frame says and clips app content to it', async () => {
    const h = setup();
    withBars(h);
    const win = h.app('app').session.addWindow({ type: 'application', title: 'main' });
    // The app draws a buffer larger than its frame: only the frame shows.
    await drawWindow(win.producer, 200, 400, [200, 0, 0, 255]);
    await h.frames(2);
    const out = h.flinger.dump().displays[0]?.lastFrame?.layers.find((l) => l.name === 'main');
    assert.deepEqual(out?.displayFrame, { left: 0, top: 20, right: 200, bottom: 370 });
  });
});

describe('focus', () => {
  it('moves on a tap to a focusable window with lost/gained events, not on a tap on a bar', () => {
    const h = setup();
    withBars(h);
    const a = h.app('a');
    const b = h.app('b');
    const wa = a.session.addWindow({ type: 'application', title: 'A', width: 100, height: 100, x: 0, y: 20 });
    const wb = b.session.addWindow({ type: 'application', title: 'B', width: 100, height: 100, x: 100, y: 20 });
    assert.equal(h.wm.focusedWindow(), wb.id);
    assert.equal(tap(h, 50, 50), wa.id);
    assert.equal(h.wm.focusedWindow(), wa.id);
    assert.deepEqual(a.focusEvents(wa.id), [true, false, true]);
    assert.deepEqual(b.focusEvents(wb.id), [true, false]);
    // The status bar takes the touch but not focus.
    assert.equal(tap(h, 50, 5), h.wm.windows().find((w) => w.type === 'status-bar')?.id);
    assert.equal(h.wm.focusedWindow(), wa.id);
  });

  it('keeps one focused window per display, with layout and input per display', () => {
    const h = setup();
    const second = new HeadlessDisplay({ width: 300, height: 100, layerStack: 1, vsync: new ManualVsyncSource() });
    h.flinger.addDisplay(second);
    try {
      const a = h.app('a');
      const onFirst = a.session.addWindow({ type: 'application', title: 'first' });
      const onSecond = a.session.addWindow({ type: 'application', title: 'second', display: second.id });
      assert.deepEqual(frameOf(h, onSecond.id), { left: 0, top: 0, right: 300, bottom: 100 });
      assert.equal(containerProps(h, onSecond).layerStack, 1);
      assert.equal(h.wm.focusedWindow(h.display.id), onFirst.id);
      assert.equal(h.wm.focusedWindow(second.id), onSecond.id);
      assert.equal(h.wm.injectInput({ kind: 'key', action: 'down', key: 'z', display: second.id }).window, onSecond.id);
      assert.equal(h.wm.injectInput({ kind: 'key', action: 'down', key: 'z' }).window, onFirst.id);
      assert.equal(h.wm.windowAt(250, 50, second.id), onSecond.id);
      assert.equal(h.wm.windowAt(250, 50), null);
    } finally {
      h.flinger.removeDisplay(second.id);
      second.dispose();
    }
  });

  it('moves to the next window when the focused one is removed, and when its app dies', () => {
    const h = setup();
    const a = h.app('a');
    const b = h.app('b');
    const c = h.app('c');
    const wa = a.session.addWindow({ type: 'application', title: 'A' });
    const wb = b.session.addWindow({ type: 'application', title: 'B' });
    const wc = c.session.addWindow({ type: 'application', title: 'C' });
    assert.equal(h.wm.focusedWindow(), wc.id);
    c.session.removeWindow(wc.id);
    assert.equal(h.wm.focusedWindow(), wb.id);
    assert.deepEqual(b.focusEvents(wb.id), [true, false, true]);
    b.session.dispose();
    assert.equal(h.wm.focusedWindow(), wa.id);
    assert.deepEqual(a.focusEvents(wa.id), [true, false, true]);
    assert.deepEqual(h.wm.windows().map((w) => w.title), ['A']);
  });

  it('takes every window of a dead app off the screen and out of the flinger', async () => {
    const h = setup();
    const a = h.app('a');
    const w1 = a.session.addWindow({ type: 'application', title: 'A1' });
    const w2 = a.session.addWindow({ type: 'dialog', title: 'A2', width: 50, height: 50 });
    await drawWindow(w1.producer, 200, 400, [0, 0, 255, 255]);
    await drawWindow(w2.producer, 50, 50, [0, 255, 0, 255]);
    await h.frames(2);
    assert.equal(h.flinger.dump().displays[0]?.lastFrame?.layers.length, 2);
    a.session.dispose();
    await h.frames(2);
    const ids = new Set(h.flinger.dump().layers.map((l) => l.id));
    for (const layer of [w1.layers.container, w1.layers.surface, w2.layers.container, w2.layers.surface]) assert.ok(!ids.has(layer), `layer ${layer} is gone`);
    assert.equal(h.flinger.dump().displays[0]?.lastFrame?.layers.length, 0);
    assert.equal(h.wm.focusedWindow(), null);
    assert.throws(() => a.session.addWindow({ type: 'application', title: 'late' }), (e: unknown) => isStratumError(e, 'DEAD_OBJECT'));
  });
});

describe('input', () => {
  it('hit-tests half-open window edges and gives window coordinates', () => {
    const h = setup();
    const { status, nav } = withBars(h);
    const app = h.app('app');
    const win = app.session.addWindow({ type: 'application', title: 'main' });
    assert.equal(h.wm.windowAt(0, 20), win.id);
    assert.equal(h.wm.windowAt(199, 369), win.id);
    assert.equal(h.wm.windowAt(0, 19.5), status.id);
    assert.equal(h.wm.windowAt(199, 370), nav.id);
    assert.equal(h.wm.windowAt(200, 100), null);
    assert.equal(h.wm.windowAt(-0.5, 100), null);
    tap(h, 10, 25);
    const [down, up] = app.inputs(win.id);
    assert.ok(down?.kind === 'touch' && up?.kind === 'touch');
    assert.deepEqual([down.action, down.x, down.y, down.rawX, down.rawY], ['down', 10, 5, 10, 25]);
    assert.equal(up.action, 'up');
  });

  it('honours a touchable region and lets untouchable windows pass touches through', () => {
    const h = setup();
    const below = h.app('below').session.addWindow({ type: 'application', title: 'below' });
    const app = h.app('overlay');
    const overlay = app.session.addWindow({ type: 'system-overlay', title: 'overlay', width: 100, height: 100, x: 0, y: 0 });
    app.session.relayout(overlay.id, { touchableRegion: [{ left: 0, top: 0, right: 50, bottom: 50 }] });
    assert.equal(h.wm.windowAt(10, 10), overlay.id);
    assert.equal(h.wm.windowAt(60, 60), below.id);
    const ghost = app.session.addWindow({ type: 'system-overlay', title: 'ghost', flags: WindowFlag.NOT_TOUCHABLE });
    assert.equal(h.wm.windowAt(10, 10), overlay.id, `${ghost.id} takes no touches`);
    const toast = app.session.addWindow({ type: 'toast', title: 'toast' });
    const f = frameOf(h, toast.id);
    assert.notEqual(h.wm.windowAt(f.left + 1, f.top + 1), toast.id);
  });

  it('hit-tests through a rotated window and gives coordinates in its own space', async () => {
    const h = setup();
    const under = h.app('under').session.addWindow({ type: 'application', title: 'under' });
    const app = h.app('rotated');
    const win = app.session.addWindow({ type: 'dialog', title: 'rot', width: 100, height: 40, x: 50, y: 100 });
    h.wm.setWindowTransform(win.id, ROT_90_MATRIX);
    // Window space (x, y) lands at display (50 - y, 100 + x): it covers x in (10, 50], y in [100, 200).
    assert.equal(h.wm.windowAt(49.5, 100), win.id);
    assert.equal(h.wm.windowAt(10.5, 199.5), win.id);
    assert.equal(h.wm.windowAt(50.5, 150), under.id);
    assert.equal(h.wm.windowAt(10, 150), under.id);
    assert.equal(h.wm.windowAt(30, 200), under.id);
    h.wm.injectInput({ kind: 'touch', action: 'down', x: 45, y: 110 });
    const [down] = app.inputs(win.id);
    assert.ok(down?.kind === 'touch');
    assert.deepEqual([down.x, down.y], [10, 5]);
    // What is drawn agrees with what is hit.
    await drawWindow(win.producer, 100, 40, [0, 200, 0, 255]);
    await h.frames(2);
    const out = h.flinger.dump().displays[0]?.lastFrame?.layers.find((l) => l.name === 'rot');
    assert.deepEqual(out?.displayFrame, { left: 10, top: 100, right: 50, bottom: 200 });
  });

  it('hit-tests through a scaled window', async () => {
    const h = setup();
    const app = h.app('scaled');
    const win = app.session.addWindow({ type: 'dialog', title: 'big', width: 50, height: 40, x: 20, y: 100 });
    h.wm.setWindowTransform(win.id, { dsdx: 2, dtdx: 0, dtdy: 0, dsdy: 2 });
    assert.equal(h.wm.windowAt(119.5, 179.5), win.id);
    assert.equal(h.wm.windowAt(120, 150), null);
    assert.equal(h.wm.windowAt(19.5, 150), null);
    h.wm.injectInput({ kind: 'pointer', action: 'down', x: 119, y: 179 });
    const [down] = app.inputs(win.id);
    assert.ok(down?.kind === 'pointer');
    assert.deepEqual([down.x, down.y], [49.5, 39.5]);
    await drawWindow(win.producer, 50, 40, [0, 0, 200, 255]);
    await h.frames(2);
    const out = h.flinger.dump().displays[0]?.lastFrame?.layers.find((l) => l.name === 'big');
    assert.deepEqual(out?.displayFrame, { left: 20, top: 100, right: 120, bottom: 180 });
  });

  it('sends keys to the focused window only', () => {
    const h = setup();
    const a = h.app('a');
    const b = h.app('b');
    const wa = a.session.addWindow({ type: 'application', title: 'A', width: 100, height: 100, x: 0, y: 0 });
    const wb = b.session.addWindow({ type: 'application', title: 'B', width: 100, height: 100, x: 100, y: 0 });
    assert.equal(h.wm.injectInput({ kind: 'key', action: 'down', key: 'x' }).window, wb.id);
    tap(h, 10, 10);
    h.wm.injectText('hi');
    const keys = (app: typeof a, id: number): string[] => app.inputs(id).flatMap((e) => (e.kind === 'key' ? [`${e.action}:${e.key}`] : []));
    assert.deepEqual(keys(b, wb.id), ['down:x']);
    assert.deepEqual(keys(a, wa.id), ['down:h', 'up:h', 'down:i', 'up:i']);
    h.wm.focusWindow(h.display.id, null);
    assert.deepEqual(h.wm.injectInput({ kind: 'key', action: 'down', key: 'q' }), { window: null, dropped: 'no window has focus' });
  });

  it('keeps a gesture with the window it started in, even after it leaves it', () => {
    const h = setup();
    const a = h.app('a');
    const b = h.app('b');
    const wa = a.session.addWindow({ type: 'application', title: 'A', width: 100, height: 100, x: 0, y: 0 });
    const wb = b.session.addWindow({ type: 'application', title: 'B', width: 100, height: 100, x: 100, y: 0 });
    h.wm.injectInput({ kind: 'touch', action: 'down', x: 50, y: 50 });
    h.wm.injectInput({ kind: 'touch', action: 'move', x: 150, y: 50 });
    h.wm.injectInput({ kind: 'touch', action: 'up', x: 180, y: 60 });
    const got = a.inputs(wa.id).map((e) => (e.kind === 'touch' ? `${e.action}@${e.x},${e.y}` : ''));
    assert.deepEqual(got, ['down@50,50', 'move@150,50', 'up@180,60']);
    assert.deepEqual(b.inputs(wb.id), []);
    // The next gesture starts fresh.
    assert.equal(tap(h, 150, 50), wb.id);
    // A move with no gesture is a hover for a mouse and nothing for a finger.
    assert.equal(h.wm.injectInput({ kind: 'pointer', action: 'move', x: 20, y: 20 }).window, wa.id);
    assert.equal(a.inputs(wa.id).at(-1)?.kind === 'pointer' && a.inputs(wa.id).at(-1)?.action, 'hover');
    assert.equal(h.wm.injectInput({ kind: 'touch', action: 'move', x: 20, y: 20 }).window, null);
  });

  it('cancels a gesture whose window is hidden or whose display rotates under it', async () => {
    const h = setup();
    const a = h.app('a');
    const w = a.session.addWindow({ type: 'application', title: 'A' });
    h.wm.injectInput({ kind: 'touch', action: 'down', x: 10, y: 20 });
    h.wm.injectInput({ kind: 'touch', action: 'move', x: 12, y: 24 });
    h.wm.setVisible(w.id, false);
    const last = a.inputs(w.id).at(-1);
    assert.ok(last?.kind === 'touch');
    assert.deepEqual([last.action, last.x, last.y], ['cancel', 12, 24]);
    assert.equal(h.wm.injectInput({ kind: 'touch', action: 'up', x: 12, y: 24 }).window, null, 'the gesture is over');
    h.wm.setVisible(w.id, true);
    h.wm.injectInput({ kind: 'touch', action: 'down', x: 30, y: 40, pointerId: 200 });
    await h.wm.rotateDisplay(h.display.id, 90);
    const cancel = a.inputs(w.id).at(-1);
    assert.ok(cancel?.kind === 'touch');
    assert.deepEqual([cancel.action, cancel.pointerId, cancel.x, cancel.y], ['cancel', 200, 30, 40]);
  });

  it('numbers and timestamps events in order per window', () => {
    const h = setup();
    const a = h.app('a');
    const w = a.session.addWindow({ type: 'application', title: 'A' });
    for (let i = 0; i < 5; i++) h.wm.injectInput({ kind: 'touch', action: i === 0 ? 'down' : i === 4 ? 'up' : 'move', x: 10 + i, y: 10, eventTime: 1000 + i });
    const got = a.inputs(w.id);
    assert.deepEqual(got.map((e) => e.sequence), [1, 2, 3, 4, 5]);
    assert.deepEqual(got.map((e) => e.eventTime), [1000, 1001, 1002, 1003, 1004]);
  });

  it('does not let a slow app delay another app\'s input', async () => {
    const h = setup();
    let release: () => void = () => undefined;
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = h.app('slow', (event) => (event.type === 'input' ? stuck : undefined));
    const fast = h.app('fast');
    const ws = slow.session.addWindow({ type: 'application', title: 'S', width: 100, height: 100, x: 0, y: 0 });
    const wf = fast.session.addWindow({ type: 'application', title: 'F', width: 100, height: 100, x: 100, y: 0 });
    for (let i = 0; i < 10; i++) {
      tap(h, 50, 50);
      tap(h, 150, 50);
    }
    // The slow app is still working on its first event; the other got all twenty.
    assert.equal(slow.inputs(ws.id).length, 1);
    assert.equal(fast.inputs(wf.id).length, 20);
    assert.ok(h.wm.dump().displays[0]?.windows.some((w) => w.id === ws.id && w.pendingEvents >= 19));
    release();
    await new Promise((resolve) => setImmediate(resolve));
    const late = slow.inputs(ws.id);
    assert.equal(late.length, 20);
    assert.deepEqual(late.map((e) => e.sequence), Array.from({ length: 20 }, (_, i) => i + 1));
  });
});

describe('rotation', () => {
  it('re-lays out windows, updates transform hints and maps input through the rotated display', async () => {
    const h = setup();
    withBars(h);
    const app = h.app('app');
    const win = app.session.addWindow({ type: 'application', title: 'main' });
    assert.equal(await drawWindow(win.producer, 200, 350, [50, 50, 50, 255]), Transform.NONE);
    // An app's own buffer layer under its window, and one off any window on the same display.
    const own = h.flinger.createClient('app-own');
    const childProducer = own.createLayer({ name: 'child', kind: 'buffer', parent: win.layers.surface }).producer;
    const freeProducer = own.createLayer({ name: 'free', kind: 'buffer' }).producer;
    assert.ok(childProducer && freeProducer);
    await h.wm.rotateDisplay(h.display.id, 90);
    assert.equal(await drawWindow(childProducer, 8, 8, [1, 1, 1, 255]), Transform.ROT_90);
    assert.equal(await drawWindow(freeProducer, 8, 8, [1, 1, 1, 255]), Transform.ROT_90);
    assert.equal(h.wm.rotation(), 90);
    assert.deepEqual(frameOf(h, win.id), { left: 0, top: 20, right: 400, bottom: 170 });
    const last = app.events.filter((e) => e.type === 'configured').at(-1);
    assert.ok(last?.type === 'configured');
    assert.deepEqual([last.config.rotation, last.config.transformHint, last.config.displayWidth, last.config.displayHeight], [90, Transform.ROT_90, 400, 200]);
    // The producer hears the new hint from its queue too.
    assert.equal(await drawWindow(win.producer, 400, 150, [50, 50, 50, 255]), Transform.ROT_90);
    // Panel pixel (150, 300) is logical (300, 50): window (300, 30).
    h.wm.injectInput({ kind: 'touch', action: 'down', x: 150, y: 300 });
    const down = app.inputs(win.id).at(-1);
    assert.ok(down?.kind === 'touch');
    assert.deepEqual([down.x, down.y], [300, 30]);
    await h.frames(2);
    const out = h.flinger.dump().displays[0]?.lastFrame?.layers.find((l) => l.name === 'main');
    // Logical (0,20)-(400,170) on a 90-degree panel: x = 200 - y, y = x.
    assert.deepEqual(out?.displayFrame, { left: 30, top: 0, right: 180, bottom: 400 });
    await h.wm.rotateDisplay(h.display.id, 0);
    assert.deepEqual(frameOf(h, win.id), { left: 0, top: 20, right: 200, bottom: 370 });
  });

  it('cross-fades a screenshot of the old screen when animations are on', async () => {
    const h = setup({ width: 40, height: 80 }, { animations: true, rotationDuration: 100 });
    const app = h.app('app');
    const win = app.session.addWindow({ type: 'application', title: 'main' });
    await drawWindow(win.producer, 40, 80, [0, 100, 0, 255]);
    await stepVsyncs(h, 20);
    await h.wm.rotateDisplay(h.display.id, 90);
    const alphas: number[] = [];
    for (let i = 0; i < 20; i++) {
      await stepVsyncs(h, 1);
      const shot = h.flinger.dump().layers.find((l) => l.name.startsWith('RotationScreenshot'));
      if (!shot) break;
      alphas.push(shot.properties.alpha);
    }
    assert.ok(alphas.length >= 3, `the fade ran over several frames: ${alphas.join(', ')}`);
    for (let i = 1; i < alphas.length; i++) assert.ok((alphas[i] ?? 0) < (alphas[i - 1] ?? 0), `alpha falls: ${alphas.join(', ')}`);
    assert.equal(h.flinger.dump().layers.find((l) => l.name.startsWith('RotationScreenshot')), undefined);
    assert.equal(h.wm.dump().activeAnimations, 0);
  });
});

/** Exact VSync steps (virtual time), for animations whose frames must be reproducible. */
async function stepVsyncs(h: WmHarness, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    h.vsync.tick();
    await h.flinger.settled();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('transitions', () => {
  it('fades and scales a window in over VSyncs and ends exactly at its final state', async () => {
    const h = setup({ width: 100, height: 200 }, { animations: true, transitionDuration: 100 });
    const win = h.app('app').session.addWindow({ type: 'dialog', title: 'D', width: 60, height: 40 });
    const frame = frameOf(h, win.id);
    const first = containerProps(h, win);
    assert.equal(first.hidden, true, 'not on screen before the first VSync');
    const alphas: number[] = [];
    const scales: number[] = [];
    for (let i = 0; i < 30 && h.wm.dump().activeAnimations > 0; i++) {
      await stepVsyncs(h, 1);
      const p = containerProps(h, win);
      alphas.push(p.alpha);
      scales.push(p.matrix.dsdx);
    }
    assert.ok(alphas.length >= 4, `several frames: ${alphas.join(', ')}`);
    for (let i = 1; i < alphas.length; i++) {
      assert.ok((alphas[i] ?? 0) > (alphas[i - 1] ?? 0), `alpha rises: ${alphas.join(', ')}`);
      assert.ok((scales[i] ?? 0) > (scales[i - 1] ?? 0), `scale rises: ${scales.join(', ')}`);
    }
    await stepVsyncs(h, 2);
    const end = containerProps(h, win);
    assert.equal(end.alpha, 1);
    assert.deepEqual(end.matrix, { dsdx: 1, dtdx: 0, dtdy: 0, dsdy: 1 });
    assert.deepEqual(end.position, { x: frame.left, y: frame.top });
    assert.equal(end.hidden, false);
  });

  it('fades a removed window out, then destroys its layers; turning animations off finishes at once', async () => {
    const h = setup({ width: 100, height: 200 }, { animations: true, transitionDuration: 100 });
    const app = h.app('app');
    const win = app.session.addWindow({ type: 'dialog', title: 'D', width: 60, height: 40 });
    h.wm.setAnimationsEnabled(false);
    await stepVsyncs(h, 1);
    assert.equal(containerProps(h, win).alpha, 1);
    h.wm.setAnimationsEnabled(true);
    app.session.removeWindow(win.id);
    assert.deepEqual(h.wm.windows(), [], 'gone from the window list at once');
    const alphas: number[] = [];
    for (let i = 0; i < 30; i++) {
      await stepVsyncs(h, 1);
      const layer = h.flinger.dump().layers.find((l) => l.id === win.layers.container);
      if (!layer) break;
      alphas.push(layer.properties.alpha);
    }
    assert.ok(alphas.length >= 3, `several frames: ${alphas.join(', ')}`);
    for (let i = 1; i < alphas.length; i++) assert.ok((alphas[i] ?? 0) < (alphas[i - 1] ?? 1), `alpha falls: ${alphas.join(', ')}`);
    assert.equal(h.flinger.dump().layers.find((l) => l.id === win.layers.surface), undefined);
  });
});

describe('ownership and bad requests', () => {
  it('lets an app parent layers under its window but never change the window layer itself', async () => {
    const h = setup();
    const win = h.app('app').session.addWindow({ type: 'application', title: 'main' });
    const appLayers = h.flinger.createClient('app-own');
    const child = appLayers.createLayer({ name: 'child', kind: 'color', parent: win.layers.surface, initial: { color: { r: 1, g: 0, b: 0 }, size: { width: 10, height: 10 }, crop: { left: 0, top: 0, right: 10, bottom: 10 } } });
    appLayers.apply({ layers: [{ layer: child.id, changes: { position: { x: 5, y: 5 } } }] });
    for (const layer of [win.layers.container, win.layers.surface]) {
      assert.throws(() => appLayers.apply({ layers: [{ layer, changes: { position: { x: 50, y: 50 } } }] }), (e: unknown) => isStratumError(e, 'PERMISSION_DENIED'));
    }
    await h.frames(2);
    assert.ok(h.flinger.dump().displays[0]?.lastFrame?.layers.some((l) => l.name === 'child'));
  });

  it('refuses bad specs, bad input and other apps\' windows with clear errors', () => {
    const h = setup();
    const a = h.app('a');
    const b = h.app('b');
    const w = a.session.addWindow({ type: 'application', title: 'A' });
    const bad = (fn: () => unknown, code: 'BAD_VALUE' | 'PERMISSION_DENIED' | 'NAME_NOT_FOUND', pattern: RegExp): void => {
      assert.throws(fn, (e: unknown) => isStratumError(e, code) && pattern.test(e.message));
    };
    bad(() => a.session.addWindow({ type: 'popup' as WindowType, title: 'x' }), 'BAD_VALUE', /window type/);
    bad(() => a.session.addWindow({ type: 'application', title: '' }), 'BAD_VALUE', /title/);
    bad(() => a.session.addWindow({ type: 'application', title: 'x', width: -1 }), 'BAD_VALUE', /width/);
    bad(() => a.session.addWindow({ type: 'application', title: 'x', flags: 0x1000 }), 'BAD_VALUE', /flags/);
    bad(() => a.session.addWindow({ type: 'application', title: 'x', display: 999 }), 'NAME_NOT_FOUND', /display 999/);
    bad(() => b.session.relayout(w.id, { width: 10 }), 'PERMISSION_DENIED', /another app/);
    bad(() => b.session.removeWindow(w.id), 'PERMISSION_DENIED', /another app/);
    bad(() => a.session.relayout(12345, {}), 'NAME_NOT_FOUND', /window 12345/);
    bad(() => a.session.relayout(w.id, { touchableRegion: [{ left: 0, top: 0, right: 0.5, bottom: 1 }] }), 'BAD_VALUE', /touchableRegion\[0\]\.right/);
    bad(() => h.wm.injectInput({ kind: 'wheel' } as never), 'BAD_VALUE', /input kind/);
    bad(() => h.wm.injectInput({ kind: 'touch', action: 'down', x: Number.NaN, y: 0 }), 'BAD_VALUE', /x must be/);
    bad(() => h.wm.injectInput({ kind: 'key', action: 'down', key: '' }), 'BAD_VALUE', /key must be/);
    bad(() => h.wm.setWindowTransform(w.id, { dsdx: 0, dtdx: 0, dtdy: 0, dsdy: 0 }), 'BAD_VALUE', /invertible/);
    // Nothing else was disturbed.
    assert.deepEqual(h.wm.windows().map((x) => x.title), ['A']);
  });

  it('shows windows in dump and dumpText', () => {
    const h = setup();
    withBars(h);
    const w = h.app('notes').session.addWindow({ type: 'application', title: 'Notes' });
    const dump = h.wm.dump();
    assert.equal(dump.displays[0]?.focused, w.id);
    assert.deepEqual(dump.displays[0]?.windows.map((x) => x.title), ['nav', 'status', 'Notes']);
    assert.match(h.wm.dumpText(), /#\d+ application 'Notes' \(notes\) frame \[0,20,200,370\] .*FOCUSED/);
  });
});
