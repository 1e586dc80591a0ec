import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PixelFormat, Transform } from '../../src/buffer/index.js';
import { Composition, DEFAULT_PLANE_LIMITS, Refusal, SoftwareComposer } from '../../src/composer/index.js';
import type { ComposerDisplay, ComposerLayerId } from '../../src/composer/index.js';
import { HeadlessDisplay, ManualVsyncSource } from '../../src/display/index.js';
import { isStratumError } from '../../src/os/status.js';
import { Fence } from '../../src/queue/index.js';
import { Region } from '../../src/region/region.js';
import { bufferLayer, solid } from './support.js';

const W = 200;
const H = 40;

function setup(options: ConstructorParameters<typeof SoftwareComposer>[0] = {}): { composer: SoftwareComposer; display: HeadlessDisplay; hwc: ComposerDisplay; dispose(): void } {
  const display = new HeadlessDisplay({ width: W, height: H, vsync: new ManualVsyncSource(60) });
  const composer = new SoftwareComposer(options);
  const hwc = composer.attachDisplay(display);
  return {
    composer,
    display,
    hwc,
    dispose() {
      composer.dispose();
      display.dispose();
    },
  };
}

/** `count` 16x16 opaque layers side by side, none overlapping. */
function sideBySide(hwc: ComposerDisplay, count: number): ComposerLayerId[] {
  const ids: ComposerLayerId[] = [];
  for (let i = 0; i < count; i++) {
    const id = hwc.createLayer();
    hwc.setLayer(id, bufferLayer(solid(16, 16, [10 * i, 100, 200, 255]), { left: i * 18, top: 0, right: i * 18 + 16, bottom: 16 }, i));
    ids.push(id);
  }
  return ids;
}

function typesInZOrder(hwc: ComposerDisplay, ids: readonly ComposerLayerId[]): string[] {
  const types = hwc.compositionTypes();
  return ids.map((id) => types.get(id) ?? '?');
}

test('plane assignment with 2, 4, 6 and 10 layers on 4 planes: excess layers go CLIENT from the bottom, the client target takes a plane', () => {
  const expected: Record<number, { strategy: string; device: number }> = {
    2: { strategy: 'planes-only', device: 2 },
    4: { strategy: 'planes-only', device: 4 },
    6: { strategy: 'planes+client', device: 3 },
    10: { strategy: 'planes+client', device: 3 },
  };
  for (const count of [2, 4, 6, 10]) {
    const s = setup();
    const ids = sideBySide(s.hwc, count);
    const result = s.hwc.validate();
    const want = expected[count]!;
    assert.equal(result.strategy, want.strategy, `${count} layers`);
    const types = typesInZOrder(s.hwc, ids);
    const clientCount = count - want.device;
    assert.deepEqual(types, [...Array<string>(clientCount).fill('CLIENT'), ...Array<string>(want.device).fill('DEVICE')], `${count} layers: bottom ones CLIENT`);
    assert.equal(result.changedTypes.size, clientCount, 'every change is DEVICE -> CLIENT');
    for (const t of result.changedTypes.values()) assert.equal(t, Composition.CLIENT);
    const dump = s.hwc.dump();
    assert.equal(dump.clientTargetPlane, clientCount > 0 ? 0 : null);
    for (const l of dump.layers) {
      if (l.composition === 'CLIENT') assert.equal(l.refusal, Refusal.TOO_MANY_LAYERS);
      else assert.equal(typeof l.plane, 'number');
    }
    const planes = dump.layers.filter((l) => l.composition === 'DEVICE').map((l) => l.plane);
    assert.equal(new Set(planes).size, planes.length, 'one layer per plane');
    if (clientCount > 0) assert.ok(!planes.includes(0), 'plane 0 holds the client target');
    s.dispose();
  }
});

test('every refusal reason: scaling, rotation, format, plane alpha, too big, occluded by client content, client requested', () => {
  const s = setup({ planes: 4, planeLimits: { ...DEFAULT_PLANE_LIMITS, scaling: false, planeAlpha: false, maxWidth: 64, maxHeight: 64 } });
  const h = s.hwc;
  const layer = (state: Parameters<typeof bufferLayer>): ComposerLayerId => {
    const id = h.createLayer();
    h.setLayer(id, bufferLayer(...state));
    return id;
  };
  const rgba = solid(16, 16, [200, 0, 0, 255]);
  const scaled = layer([rgba, { left: 0, top: 0, right: 32, bottom: 32 }, 1]);
  const rotated = layer([rgba, { left: 40, top: 0, right: 56, bottom: 16 }, 2, { transform: Transform.ROT_90 }]);
  const format = layer([solid(16, 16, [0, 0, 0, 255], PixelFormat.RGB_565), { left: 60, top: 0, right: 76, bottom: 16 }, 3]);
  const alpha = layer([rgba, { left: 80, top: 0, right: 96, bottom: 16 }, 4, { planeAlpha: 0.5 }]);
  const big = solid(100, 10, [0, 200, 0, 255]);
  const tooBig = layer([big, { left: 100, top: 20, right: 200, bottom: 30 }, 5]);
  // Below the CLIENT (too big) layer and overlapping it: it cannot sit on a plane above the client target.
  const under = layer([solid(20, 20, [0, 0, 200, 255]), { left: 150, top: 15, right: 170, bottom: 35 }, 0]);
  const requested = layer([rgba, { left: 0, top: 24, right: 16, bottom: 40 }, 6, { compositionType: Composition.CLIENT }]);
  const fine = layer([rgba, { left: 20, top: 24, right: 36, bottom: 40 }, 7]);
  h.validate();
  const refusals = new Map(h.dump().layers.map((l) => [l.layer, l.refusal]));
  assert.equal(refusals.get(scaled), Refusal.SCALING);
  assert.equal(refusals.get(rotated), Refusal.ROTATION);
  assert.equal(refusals.get(format), Refusal.FORMAT);
  assert.equal(refusals.get(alpha), Refusal.ALPHA);
  assert.equal(refusals.get(tooBig), Refusal.SIZE);
  assert.equal(refusals.get(under), Refusal.OCCLUDED_BY_CLIENT);
  assert.equal(refusals.get(requested), Refusal.REQUESTED_CLIENT);
  assert.equal(refusals.get(fine), null);
  assert.equal(h.compositionTypes().get(fine), Composition.DEVICE);
  s.dispose();
});

test('C4: more layers than planes -> excess CLIENT in one client target; validate -> changes -> accept -> present with fences; CLIENT never turned into DEVICE', async () => {
  const s = setup();
  const h = s.hwc;
  const ids = sideBySide(h, 6);
  // A layer the compositor wants CLIENT stays CLIENT although planes are free for it.
  h.setLayer(ids[5]!, { compositionType: Composition.CLIENT });
  assert.throws(() => h.acceptChanges(), (e: unknown) => isStratumError(e, 'INVALID_OPERATION'), 'accept before validate');
  await assert.rejects(h.present(), (e: unknown) => isStratumError(e, 'INVALID_OPERATION') && /NOT_VALIDATED/.test(String(e)));
  const { changedTypes } = h.validate();
  for (const [id, type] of changedTypes) {
    assert.equal(type, Composition.CLIENT);
    assert.notEqual(h.layerState(id).compositionType, Composition.CLIENT, 'only DEVICE -> CLIENT is reported as a change');
  }
  await assert.rejects(h.present(), (e: unknown) => isStratumError(e, 'INVALID_OPERATION'), 'present before accept');
  h.acceptChanges();
  const types = typesInZOrder(h, ids);
  assert.equal(types[5], 'CLIENT');
  // The top layer is CLIENT, so everything it overlaps below must be too; here nothing overlaps, so planes stay used.
  assert.equal(types.filter((t) => t === 'DEVICE').length, 3);
  await assert.rejects(h.present(), (e: unknown) => isStratumError(e, 'INVALID_OPERATION') && /client target/.test(String(e)));
  const ct = solid(W, H, [0, 0, 0, 255]);
  h.setClientTarget(ct, Fence.signalled());
  const first = await h.present();
  assert.ok(first.presentFence.signalled);
  assert.equal(first.scanout.planesUsed, 4, '3 overlay layers + the client target');
  assert.equal(first.releaseFences.size, 0, 'nothing replaced yet');

  // Only a buffer and its damage change: present needs no validate, and the replaced buffer gets a release fence.
  const device = ids.find((id) => h.compositionTypes().get(id) === Composition.DEVICE)!;
  h.setLayer(device, { buffer: solid(16, 16, [1, 2, 3, 255]), surfaceDamage: Region.fromRect({ left: 0, top: 0, right: 4, bottom: 4 }) });
  assert.equal(h.needsValidate, false);
  const second = await h.present();
  assert.equal(second.releaseFences.get(device), second.presentFence);
  assert.equal(h.dump().skippedValidates, 1);

  // A geometry change needs validate again.
  h.setLayer(device, { displayFrame: { left: 1, top: 1, right: 17, bottom: 17 }, visibleRegion: Region.fromRect({ left: 1, top: 1, right: 17, bottom: 17 }) });
  assert.equal(h.needsValidate, true);
  await assert.rejects(h.present(), (e: unknown) => isStratumError(e, 'INVALID_OPERATION'));
  assert.equal(h.validate().changedTypes.size, 2, 'the same two layers go CLIENT again');
  h.acceptChanges();
  await h.present();
  s.dispose();
});

test('the planner tries the previous assignment first, and solid colors and the cursor need no overlay plane', () => {
  const s = setup();
  const h = s.hwc;
  const ids = sideBySide(h, 3);
  const fill = h.createLayer();
  h.setLayer(fill, { ...bufferLayer(solid(1, 1, [0, 0, 0, 255]), { left: 0, top: 20, right: 200, bottom: 40 }, -1), buffer: null, compositionType: Composition.SOLID_COLOR, color: { r: 1, g: 0, b: 0 } });
  const cursor = h.createLayer();
  h.setLayer(cursor, bufferLayer(solid(8, 8, [255, 255, 255, 255]), { left: 100, top: 4, right: 108, bottom: 12 }, 10, { compositionType: Composition.CURSOR }));
  assert.equal(h.validate().strategy, 'planes-only');
  const dump = h.dump();
  assert.equal(dump.layers.find((l) => l.layer === fill)?.composition, 'SOLID_COLOR');
  assert.equal(dump.layers.find((l) => l.layer === fill)?.plane, null);
  assert.equal(dump.layers.find((l) => l.layer === cursor)?.plane, 'cursor');
  // Move a layer: same layers, still fits -> the previous assignment is reused.
  h.setLayer(ids[0]!, { displayFrame: { left: 2, top: 0, right: 18, bottom: 16 }, visibleRegion: Region.fromRect({ left: 2, top: 0, right: 18, bottom: 16 }) });
  assert.equal(h.validate().strategy, 'previous');
  // Bad values are refused with the field named.
  assert.throws(() => h.setLayer(ids[0]!, { planeAlpha: 2 }), (e: unknown) => isStratumError(e, 'BAD_VALUE') && /planeAlpha/.test(String(e)));
  assert.throws(() => h.setLayer(999, {}), (e: unknown) => isStratumError(e, 'NAME_NOT_FOUND'));
  assert.throws(() => new SoftwareComposer({ planes: 0 }), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
  s.dispose();
});

test('scan-out composes planes over the client target into the framebuffer: the top plane shows, the device works only inside damage', async () => {
  const s = setup({ planes: 2 });
  const h = s.hwc;
  const bottom = h.createLayer();
  h.setLayer(bottom, bufferLayer(solid(W, H, [0, 0, 255, 255]), { left: 0, top: 0, right: W, bottom: H }, 0, { compositionType: Composition.CLIENT, blendMode: 'NONE' }));
  const top = h.createLayer();
  h.setLayer(top, bufferLayer(solid(10, 10, [255, 0, 0, 255]), { left: 5, top: 5, right: 15, bottom: 15 }, 1));
  h.validate();
  h.acceptChanges();
  const ct = solid(W, H, [0, 0, 255, 255]);
  h.setClientTarget(ct);
  const r = await h.present();
  assert.equal(r.scanout.pixels, W * H + 100);
  const fb = s.display.readFramebuffer();
  const at = (x: number, y: number): number[] => [...fb.subarray((y * W + x) * 4, (y * W + x) * 4 + 4)];
  assert.deepEqual(at(7, 7), [255, 0, 0, 255]);
  assert.deepEqual(at(50, 20), [0, 0, 255, 255]);
  // Nothing changed: nothing scanned.
  h.setClientTarget(ct, undefined, Region.EMPTY);
  assert.equal((await h.present()).scanout.pixels, 0);
  s.dispose();
});

test('layers of equal z are drawn in creation order, and a field given as undefined changes nothing (no new validate)', async () => {
  const s = setup({ planes: 4 });
  const h = s.hwc;
  const area = { left: 0, top: 0, right: 20, bottom: 20 };
  const first = h.createLayer();
  const second = h.createLayer();
  // Set in reverse order: the draw order must come from the ids, not from the order of the calls.
  h.setLayer(second, bufferLayer(solid(20, 20, [0, 255, 0, 255]), area, 5));
  h.setLayer(first, bufferLayer(solid(20, 20, [255, 0, 0, 255]), area, 5));
  h.validate();
  h.acceptChanges();
  await h.present();
  const fb = s.display.readFramebuffer();
  assert.deepEqual([...fb.subarray(0, 4)], [0, 255, 0, 255], 'the later layer is on top');

  h.setLayer(first, { planeAlpha: undefined, z: undefined });
  assert.equal(h.needsValidate, false);
  await h.present();
  s.dispose();
});
