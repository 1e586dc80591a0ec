// The viewer's adapter over a real flinger and headless display, ticked by hand.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decode } from 'fast-png';
import { HeadlessDisplay, ManualVsyncSource } from '../../src/display/index.js';
import type { FlingerClient } from '../../src/flinger/index.js';
import { Flinger, Transaction } from '../../src/flinger/index.js';
import { rect } from '../../src/region/rect.js';
import type { ViewerFrame } from '../../src/viewer/backend.js';
import { FlingerViewerBackend } from '../../src/viewer/flinger-backend.js';
import { ViewerServer } from '../../src/viewer/server.js';
import { ViewerClient } from './ws-client.js';

let vsync: ManualVsyncSource;
let display: HeadlessDisplay;
let flinger: Flinger;
let client: FlingerClient;
let backend: FlingerViewerBackend;

async function frame(): Promise<void> {
  vsync.tick();
  await flinger.settled();
}

before(() => {
  vsync = new ManualVsyncSource(60, 1000);
  display = new HeadlessDisplay({ name: 'phone', width: 40, height: 30, vsync });
  flinger = new Flinger({ displays: [display], clock: () => vsync.now, onError: (e) => { throw e; } });
  client = flinger.createClient('viewer-test');
  backend = new FlingerViewerBackend(flinger);
});

after(() => {
  backend.dispose();
  flinger.dispose();
  display.dispose();
});

test('displays, frames with damage and a shadow that equals the capture', async () => {
  assert.deepEqual(backend.displays(), [{ id: display.id, name: 'phone', kind: 'internal', width: 40, height: 30, refreshHz: 60 }]);
  const frames: ViewerFrame[] = [];
  const unsubscribe = backend.onFrame(display.id, (f) => frames.push({ ...f, rgba: f.rgba.slice() }));

  const background = client.createLayer({ name: 'background', kind: 'color', initial: { color: { r: 0, g: 0, b: 1 }, crop: rect(0, 0, 40, 30) } });
  const square = client.createLayer({ name: 'square', kind: 'color', initial: { color: { r: 1, g: 0, b: 0 }, crop: rect(0, 0, 4, 4), position: { x: 2, y: 3 }, z: 1 } });
  client.apply(new Transaction().show(background.id).show(square.id));
  await frame();
  assert.equal(frames.length, 1);
  const capture = await flinger.capture(display.id);
  assert.deepEqual(Buffer.from(backend.latestFrame(display.id)?.rgba ?? []), Buffer.from(capture.rgba));
  const red = (3 * 40 + 2) * 4;
  assert.deepEqual([...(frames[0]?.rgba.subarray(red, red + 4) ?? [])], [255, 0, 0, 255]);

  client.apply(new Transaction().setPosition(square.id, 30, 20));
  await frame();
  const moved = frames[1];
  assert.ok(moved);
  // The damage covers the old and the new place of the square, not the whole display.
  const area = moved.damage.reduce((n, r) => n + (r.right - r.left) * (r.bottom - r.top), 0);
  assert.equal(area, 2 * 16);
  assert.ok(moved.frameNumber > (frames[0]?.frameNumber ?? 0));
  assert.deepEqual(Buffer.from(moved.rgba), Buffer.from((await flinger.capture(display.id)).rgba));
  unsubscribe();
});

test('a display whose kind changes after it was announced is announced again (a virtual display that becomes simulated)', () => {
  const simulated = new Set<number>();
  const kinds = new FlingerViewerBackend(flinger, { kindOf: (d) => (simulated.has(d.id) ? 'simulated' : d.kind) });
  let announced = 0;
  kinds.onDisplaysChanged(() => announced++);
  kinds.displaysChanged();
  assert.equal(announced, 0, 'nothing changed since the backend was made');
  simulated.add(display.id);
  kinds.displaysChanged();
  assert.equal(announced, 1);
  assert.equal(kinds.displays()[0]?.kind, 'simulated');
  kinds.dispose();
});

test('dump shows the layer tree and each output layer with its composition type', () => {
  const dump = backend.dump();
  assert.deepEqual(dump.layers.map((l) => l.name), ['background', 'square']);
  const outputs = dump.outputLayers[display.id] ?? [];
  assert.deepEqual(outputs.map((o) => [o.name, o.compositionType]), [['background', 'SOLID_COLOR'], ['square', 'SOLID_COLOR']]);
  assert.deepEqual(outputs[1]?.displayFrame, rect(30, 20, 34, 24));
  assert.match(dump.text ?? '', /square/);
});

test('the viewer streams the flinger: a page sees what the display shows', async () => {
  const viewer = await ViewerServer.start(backend);
  const page = await ViewerClient.open(`ws://127.0.0.1:${viewer.port}/ws?token=${viewer.token}`);
  try {
    const first = await page.nextFrame();
    assert.deepEqual(first.rects.map((r) => r.rect), [rect(0, 0, 40, 30)]);
    assert.deepEqual(Buffer.from(first.rects[0]?.rgba ?? []), Buffer.from((await flinger.capture(display.id)).rgba));
    page.ack(first);
    const layer = client.layers[1];
    assert.ok(layer !== undefined);
    client.apply(new Transaction().setColor(layer, { r: 0, g: 1, b: 0 }));
    await frame();
    const update = await page.nextFrame();
    assert.deepEqual(update.rects.map((r) => r.rect), [rect(30, 20, 34, 24)]);
    assert.deepEqual([...(update.rects[0]?.rgba.subarray(0, 4) ?? [])], [0, 255, 0, 255]);
    const png = decode(new Uint8Array(await (await fetch(`http://127.0.0.1:${viewer.port}/capture/${display.id}.png?token=${viewer.token}`)).arrayBuffer()));
    assert.deepEqual(Buffer.from(png.data as Uint8Array), Buffer.from((await flinger.capture(display.id)).rgba));
  } finally {
    page.close();
    await viewer.close();
  }
});
