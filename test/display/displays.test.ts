import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GraphicBuffer, PixelFormat, Transform, Usage } from '../../src/buffer/index.js';
import { HwcComposition, SoftwareComposer, bindComposerToFlinger } from '../../src/composer/index.js';
import { HeadlessDisplay, ManualVsyncSource, VirtualDisplay, projectionAffine } from '../../src/display/index.js';
import { Flinger, Transaction } from '../../src/flinger/index.js';
import { isStratumError } from '../../src/os/status.js';
import { BufferQueue } from '../../src/queue/index.js';
import { Renderer } from '../../src/render/index.js';
import { fillRect, screenPixel } from '../flinger/support.js';
import type { RGBA } from '../flinger/support.js';

function solid(w: number, h: number, color: RGBA, format: PixelFormat = PixelFormat.RGBX_8888): GraphicBuffer {
  const b = GraphicBuffer.allocate({ width: w, height: h, format, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE });
  fillRect(b, { left: 0, top: 0, right: w, bottom: h }, color);
  return b;
}

/** A flinger on a manually ticked primary, with a composer whose hotplug reaches the flinger. */
function world(): { primary: HeadlessDisplay; vsync: ManualVsyncSource; composer: SoftwareComposer; flinger: Flinger; frame(): Promise<void>; dispose(): void } {
  const vsync = new ManualVsyncSource(60, 0);
  const primary = new HeadlessDisplay({ width: 64, height: 48, vsync });
  const composer = new SoftwareComposer();
  const flinger = new Flinger({ renderer: new Renderer({ threads: 1 }), displays: [primary], clock: () => vsync.now, composition: (r) => new HwcComposition(r, { composer }), onError: (e) => { throw e; } });
  bindComposerToFlinger(composer, flinger);
  return {
    primary,
    vsync,
    composer,
    flinger,
    async frame() {
      vsync.tick();
      await flinger.settled();
    },
    dispose() {
      flinger.dispose();
      composer.dispose();
      primary.dispose();
    },
  };
}

function presented(flinger: Flinger, id: number): number {
  return flinger.dump().displays.find((d) => d.id === id)?.framesPresented ?? -1;
}

test('D1 + hotplug while a client animates: a connected display starts off with no VSync, shows the stack once on, and its output goes away on disconnect while the layers stay', async () => {
  const w = world();
  const c = w.flinger.createClient('app');
  const square = solid(8, 8, [250, 0, 0, 255]);
  const layer = c.createLayer({ name: 'square', kind: 'buffer' });
  c.apply(new Transaction().setBuffer(layer.id, { buffer: square }));
  await w.frame();
  const animate = async (i: number): Promise<void> => {
    c.apply(new Transaction().setPosition(layer.id, i * 2, 4));
    await w.frame();
    assert.deepEqual(screenPixel(w.primary, i * 2 + 1, 5), [250, 0, 0, 255], `frame ${i}: the primary keeps animating`);
  };

  const extVsync = new ManualVsyncSource(60, 0);
  const external = new HeadlessDisplay({ kind: 'external', width: 64, height: 48, vsync: extVsync });
  const vsyncs: number[] = [];
  w.composer.registerCallback({ onVsync: (id, t) => id === external.id && vsyncs.push(t) });
  const hwc = w.composer.hotplugConnect(external);
  assert.equal(external.powerMode, 'off');
  assert.ok(w.flinger.displays.includes(external), 'hotplug added the output');
  await animate(1);
  assert.equal(presented(w.flinger, external.id), 0, 'an off display gets no frames');
  assert.throws(() => hwc.setVsyncEnabled(true), (e: unknown) => isStratumError(e, 'INVALID_OPERATION'));
  extVsync.tick();
  assert.deepEqual(vsyncs, [], 'no VSync before it is enabled');

  hwc.setPowerMode('on');
  hwc.setVsyncEnabled(true);
  extVsync.tick();
  extVsync.tick();
  assert.equal(vsyncs.length, 2, 'VSync callbacks once enabled');
  await animate(2);
  assert.ok(presented(w.flinger, external.id) > 0);
  assert.deepEqual(screenPixel(external, 5, 5), [250, 0, 0, 255], 'the external display shows the same stack');

  w.composer.hotplugDisconnect(external.id);
  assert.ok(!w.flinger.displays.includes(external), 'disconnect removed the output');
  extVsync.tick();
  assert.equal(vsyncs.length, 2, 'no VSync after disconnect');
  await animate(3);
  assert.deepEqual(w.flinger.dump().layers.map((l) => l.name), ['square'], 'the layer stack is kept');
  // Plugging a display back in shows the kept stack again.
  const again = new HeadlessDisplay({ kind: 'external', width: 64, height: 48, vsync: new ManualVsyncSource(60, 0) });
  w.composer.hotplugConnect(again).setPowerMode('on');
  await animate(4);
  assert.deepEqual(screenPixel(again, 9, 5), [250, 0, 0, 255]);
  w.composer.hotplugDisconnect(again.id);
  w.dispose();
  external.dispose();
  again.dispose();
  square.dispose();
});

test('D2: projection (0,0,200,100) -> (20,10,420,210) maps (100,50) to (220,110), and a layer drawn there lands there', async () => {
  const p = { orientation: 0 as const, layerStackRect: { left: 0, top: 0, right: 200, bottom: 100 }, displayRect: { left: 20, top: 10, right: 420, bottom: 210 } };
  const t = projectionAffine(p, 440, 220);
  assert.deepEqual([t.a * 100 + t.c * 50 + t.tx, t.b * 100 + t.d * 50 + t.ty], [220, 110]);
  const vsync = new ManualVsyncSource(60, 0);
  const display = new HeadlessDisplay({ width: 440, height: 220, vsync });
  display.setProjection(p);
  const flinger = new Flinger({ renderer: new Renderer({ threads: 1 }), displays: [display], clock: () => vsync.now });
  const c = flinger.createClient('app');
  c.createLayer({ name: 'dot', kind: 'color', initial: { color: { r: 0, g: 1, b: 0 }, crop: { left: 100, top: 50, right: 101, bottom: 51 } } });
  vsync.tick();
  await flinger.settled();
  // One stack pixel becomes 2x2 display pixels at (220,110).
  assert.deepEqual(screenPixel(display, 220, 110), [0, 255, 0, 255]);
  assert.deepEqual(screenPixel(display, 221, 111), [0, 255, 0, 255]);
  assert.deepEqual(screenPixel(display, 222, 110), [0, 0, 0, 255]);
  flinger.dispose();
  display.dispose();
});

test('rotating a display sends the rotation to producers as their transform hint and redraws', () => {
  const w = world();
  const c = w.flinger.createClient('app');
  const layer = c.createLayer({ name: 'app', kind: 'buffer', queue: { width: 16, height: 16 } });
  const producer = layer.producer;
  assert.ok(producer);
  assert.equal(producer.connect().transformHint, Transform.NONE);
  producer.disconnect();
  w.primary.setOrientation(90);
  assert.equal(w.primary.transformHint, Transform.ROT_90);
  assert.equal(producer.connect().transformHint, Transform.ROT_90);
  producer.disconnect();
  assert.equal(w.flinger.busy, true, 'a projection change asks for a frame');
  w.primary.setOrientation(0);
  assert.equal(producer.connect().transformHint, Transform.NONE);
  producer.disconnect();
  w.dispose();
});

test('layer stacks: two displays on one stack show the same pixels, a display on another stack shows its own', async () => {
  const w = world();
  const c = w.flinger.createClient('app');
  c.createLayer({ name: 'main', kind: 'color', initial: { color: { r: 1, g: 0, b: 0 }, crop: { left: 0, top: 0, right: 30, bottom: 30 } } });
  c.createLayer({ name: 'other', kind: 'color', initial: { color: { r: 0, g: 0, b: 1 }, crop: { left: 0, top: 0, right: 30, bottom: 30 }, layerStack: 7 } });
  const mirror = new HeadlessDisplay({ kind: 'external', width: 64, height: 48, vsync: new ManualVsyncSource(60, 0) });
  const own = new HeadlessDisplay({ kind: 'external', width: 64, height: 48, layerStack: 7, vsync: new ManualVsyncSource(60, 0) });
  w.composer.hotplugConnect(mirror).setPowerMode('on');
  w.composer.hotplugConnect(own).setPowerMode('on');
  await w.frame();
  assert.deepEqual(Buffer.from(mirror.readFramebuffer()), Buffer.from(w.primary.readFramebuffer()));
  assert.deepEqual(screenPixel(own, 5, 5), [0, 0, 255, 255]);
  assert.deepEqual(screenPixel(w.primary, 5, 5), [255, 0, 0, 255]);
  // Switching a display's stack redraws it with the other stack.
  own.layerStack = 0;
  await w.frame();
  assert.deepEqual(screenPixel(own, 5, 5), [255, 0, 0, 255]);
  w.dispose();
  mirror.dispose();
  own.dispose();
});

test('modes and power: 60/90/120 Hz and a varying 58-62 Hz rate, resolution switch, doze composes, off does not', async () => {
  const w = world();
  const rates = w.primary.modes.map((m) => (m.varying ? `${m.varying.min}-${m.varying.max}` : m.refreshRate));
  assert.deepEqual(rates, [60, 90, 120, '58-62']);
  w.primary.setActiveMode(w.primary.modes.find((m) => m.refreshRate === 120)!.id);
  assert.ok(Math.abs(w.primary.period - 1000 / 120) < 1e-9);
  w.primary.setActiveMode(w.primary.modes.find((m) => m.varying)!.id);
  const c = w.flinger.createClient('app');
  const color = c.createLayer({ name: 'c', kind: 'color', initial: { color: { r: 0, g: 1, b: 0 } } });
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    c.apply(new Transaction().setAlpha(color.id, 1 - i / 20));
    await w.frame();
    times.push(w.vsync.now);
  }
  const periods = times.slice(1).map((t, i) => t - times[i]!);
  for (const p of periods) assert.ok(p >= 1000 / 62 - 1e-9 && p <= 1000 / 58 + 1e-9, `period ${p} ms is within 58..62 Hz`);
  assert.ok(new Set(periods.map((p) => p.toFixed(6))).size > 3, 'the rate varies');
  assert.throws(() => w.primary.setActiveMode(99), (e: unknown) => isStratumError(e, 'BAD_VALUE'));

  const big = new HeadlessDisplay({ width: 64, height: 48, modes: [{ width: 64, height: 48, refreshRate: 60 }, { width: 32, height: 24, refreshRate: 60 }], vsync: new ManualVsyncSource(60, 0) });
  big.setActiveMode(2);
  assert.deepEqual([big.width, big.height, big.framebuffer.width, big.framebuffer.height], [32, 24, 32, 24]);
  big.dispose();

  w.primary.setPowerMode('doze');
  c.apply(new Transaction().setColor(color.id, { r: 1, g: 0, b: 0 }).setAlpha(color.id, 1));
  await w.frame();
  assert.deepEqual(screenPixel(w.primary, 1, 1), [255, 0, 0, 255], 'doze still composes');
  w.primary.setPowerMode('off');
  const before = presented(w.flinger, w.primary.id);
  c.apply(new Transaction().setColor(color.id, { r: 0, g: 0, b: 1 }));
  await w.frame();
  assert.equal(presented(w.flinger, w.primary.id), before, 'off: no frame');
  assert.throws(() => w.primary.setPowerMode('sleep' as 'off'), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
  w.dispose();
});

/** A consumer's acquired buffer as tightly packed RGBA. */
function readBuffer(b: GraphicBuffer): Uint8Array {
  const out = new Uint8Array(b.width * b.height * 4);
  const src = b.bytes('read');
  for (let y = 0; y < b.height; y++) out.set(src.subarray(y * b.stride * 4, y * b.stride * 4 + b.width * 4), y * b.width * 4);
  return out;
}

test('D3: a virtual display mirroring the primary gets the primary\'s capture on the primary\'s VSync (secure black, skip-screenshot absent); one with its own stack shows only that', async () => {
  const w = world();
  const c = w.flinger.createClient('app');
  const wallpaper = solid(64, 48, [40, 80, 120, 255]);
  const back = c.createLayer({ name: 'wallpaper', kind: 'buffer' });
  c.createLayer({ name: 'bank', kind: 'color', initial: { color: { r: 0, g: 1, b: 0 }, crop: { left: 4, top: 4, right: 30, bottom: 30 }, secure: true, z: 1 } });
  c.createLayer({ name: 'toast', kind: 'color', initial: { color: { r: 1, g: 0, b: 1 }, crop: { left: 34, top: 10, right: 60, bottom: 40 }, skipScreenshot: true, z: 2 } });
  c.createLayer({ name: 'cast-only', kind: 'color', initial: { color: { r: 1, g: 1, b: 0 }, layerStack: 5, crop: { left: 0, top: 0, right: 10, bottom: 10 } } });
  c.apply(new Transaction().setBuffer(back.id, { buffer: wallpaper }));

  const queue = new BufferQueue({ allocate: (spec) => GraphicBuffer.allocate(spec), name: 'recorder' });
  queue.consumer.connect({});
  const mirror = new VirtualDisplay({ width: 64, height: 48, output: queue.producer });
  const ownQueue = new BufferQueue({ allocate: (spec) => GraphicBuffer.allocate(spec), name: 'cast' });
  ownQueue.consumer.connect({});
  const own = new VirtualDisplay({ width: 64, height: 48, output: ownQueue.producer, layerStack: 5 });
  w.flinger.addDisplay(mirror);
  w.flinger.addDisplay(own);
  await w.frame();
  assert.equal(mirror.vsync.requested, false, 'a virtual display asks for no VSync of its own');

  const frame = queue.consumer.acquire();
  const capture = await w.flinger.capture(w.primary.id);
  assert.deepEqual(Buffer.from(readBuffer(frame.buffer)), Buffer.from(capture.rgba), 'the virtual display shows what a capture of the primary shows');
  assert.deepEqual(screenPixel(w.primary, 10, 10), [0, 255, 0, 255], 'the (secure) primary shows the secure layer');
  assert.deepEqual(screenPixel(w.primary, 40, 20), [255, 0, 255, 255], 'and the skip-screenshot layer');
  queue.consumer.release(frame.slot, frame.frameNumber);

  const ownFrame = ownQueue.consumer.acquire();
  const pixels = readBuffer(ownFrame.buffer);
  assert.deepEqual([...pixels.subarray(0, 4)], [255, 255, 0, 255]);
  assert.deepEqual([...pixels.subarray((20 * 64 + 20) * 4, (20 * 64 + 20) * 4 + 4)], [0, 0, 0, 255]);
  ownQueue.consumer.release(ownFrame.slot, ownFrame.frameNumber);

  // The consumer holding every buffer drops frames instead of stalling the compositor.
  const held = [];
  c.apply(new Transaction().setPosition(back.id, 1, 0));
  await w.frame();
  for (;;) {
    try {
      held.push(queue.consumer.acquire());
    } catch {
      break;
    }
  }
  for (let i = 0; i < 4; i++) {
    c.apply(new Transaction().setPosition(back.id, i + 2, 0));
    await w.frame();
  }
  assert.ok(mirror.framesDropped > 0 || held.length > 0);
  assert.ok(presented(w.flinger, w.primary.id) >= 6, 'the primary never stalled');
  assert.ok(w.composer.hasDisplay(mirror.id));
  w.flinger.removeDisplay(mirror.id);
  w.flinger.removeDisplay(own.id);
  assert.ok(!w.composer.hasDisplay(mirror.id), 'a display the flinger dropped leaves the composer too');
  w.dispose();
  mirror.dispose();
  own.dispose();
  queue.consumer.disconnect();
  ownQueue.consumer.disconnect();
  wallpaper.dispose();
});
