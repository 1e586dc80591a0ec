import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GraphicBuffer, PixelFormat, Usage } from '../../src/buffer/index.js';
import { HwcComposition, SoftwareComposer } from '../../src/composer/index.js';
import { ClientComposition, Transaction } from '../../src/flinger/index.js';
import type { LayerHandle } from '../../src/flinger/index.js';
import { fillRect, harness } from '../flinger/support.js';
import type { Harness, RGBA } from '../flinger/support.js';
import { CountingRenderer } from './support.js';

/** A small deterministic PRNG (mulberry32) so a failing sequence can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function buffer(w: number, h: number, color: RGBA, format: PixelFormat): GraphicBuffer {
  const b = GraphicBuffer.allocate({ width: w, height: h, format, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE });
  fillRect(b, { left: 0, top: 0, right: w, bottom: h }, color);
  // A marker so misplaced or mis-scaled content shows.
  fillRect(b, { left: 0, top: 0, right: Math.max(1, w >> 2), bottom: Math.max(1, h >> 2) }, [255, 255, 255, 255]);
  return b;
}

test('the HWC engine gives the same pixels as composing everything with the renderer, frame after frame (random scenes and changes)', async () => {
  for (const seed of [1, 2, 3]) {
    const random = prng(seed);
    const W = 96;
    const H = 80;
    const hwc = harness({ width: W, height: H }, { composition: (r) => new HwcComposition(r, { composer: new SoftwareComposer({ planes: 3 }) }) });
    const all = harness({ width: W, height: H }, { composition: (r) => new ClientComposition(r) });
    const buffers: GraphicBuffer[] = [];
    const scenes = [hwc, all].map((h) => ({ h, layers: [] as LayerHandle[] }));
    const count = 8;
    const specs = Array.from({ length: count }, () => ({
      x: Math.floor(random() * 70) - 8,
      y: Math.floor(random() * 60) - 8,
      w: 8 + Math.floor(random() * 40),
      h: 8 + Math.floor(random() * 30),
      alpha: random() < 0.5 ? 1 : 0.3 + random() * 0.6,
      format: random() < 0.5 ? PixelFormat.RGBX_8888 : PixelFormat.RGBA_8888,
      scale: random() < 0.25 ? 2 : 1,
      color: [Math.floor(random() * 200), Math.floor(random() * 200), Math.floor(random() * 200), 200] as RGBA,
      kind: random() < 0.2 ? ('color' as const) : ('buffer' as const),
    }));
    for (const [i, s] of specs.entries()) {
      const b = buffer(s.w, s.h, s.color, s.format);
      buffers.push(b);
      for (const scene of scenes) {
        const l = scene.h.client.createLayer({
          name: `l${i}`,
          kind: s.kind,
          initial: {
            position: { x: s.x, y: s.y },
            z: i,
            alpha: s.alpha,
            matrix: { dsdx: s.scale, dtdx: 0, dtdy: 0, dsdy: s.scale },
            ...(s.kind === 'color' ? { color: { r: s.color[0] / 255, g: s.color[1] / 255, b: s.color[2] / 255 }, crop: { left: 0, top: 0, right: s.w, bottom: s.h } } : {}),
          },
        });
        scene.layers.push(l);
        if (s.kind === 'buffer') scene.h.client.apply(new Transaction().setBuffer(l.id, { buffer: b }));
      }
    }
    const compare = async (step: string): Promise<void> => {
      await hwc.frame();
      await all.frame();
      assert.deepEqual(Buffer.from(hwc.display.readFramebuffer()), Buffer.from(all.display.readFramebuffer()), `seed ${seed}, ${step}: pixels differ`);
    };
    await compare('first frame');
    for (let step = 0; step < 14; step++) {
      const i = Math.floor(random() * count);
      const what = random();
      const changes =
        what < 0.5
          ? { position: { x: Math.floor(random() * 70) - 8, y: Math.floor(random() * 60) - 8 } }
          : what < 0.7
            ? { alpha: random() < 0.5 ? 1 : 0.25 + random() * 0.5 }
            : what < 0.85
              ? { hidden: random() < 0.5 }
              : { z: Math.floor(random() * 10) };
      for (const scene of scenes) scene.h.client.apply({ layers: [{ layer: scene.layers[i]!.id, changes }] });
      await compare(`step ${step} layer ${i} ${JSON.stringify(changes)}`);
    }
    hwc.dispose();
    all.dispose();
    for (const b of buffers) b.dispose();
  }
});

async function phoneWithOverlay(): Promise<{ h: Harness; renderer: CountingRenderer; engine: () => HwcComposition; overlay: LayerHandle; app: LayerHandle; buffers: GraphicBuffer[] }> {
  const renderer = new CountingRenderer();
  let engine: HwcComposition | undefined;
  const h = harness({ width: 180, height: 400 }, { renderer, composition: (r) => (engine = new HwcComposition(r)) });
  const c = h.client;
  const buffers = [
    buffer(180, 14, [30, 30, 30, 255], PixelFormat.RGBX_8888),
    buffer(180, 372, [200, 200, 220, 255], PixelFormat.RGBX_8888),
    buffer(180, 14, [10, 10, 10, 200], PixelFormat.RGBA_8888),
    buffer(68, 68, [100, 40, 40, 220], PixelFormat.RGBA_8888),
    buffer(40, 40, [0, 120, 0, 160], PixelFormat.RGBA_8888),
    buffer(60, 30, [0, 0, 150, 255], PixelFormat.RGBX_8888),
  ];
  const wallpaper = c.createLayer({ name: 'wallpaper', kind: 'buffer', initial: { z: -1 } });
  const status = c.createLayer({ name: 'status', kind: 'buffer', initial: { z: 10 } });
  const app = c.createLayer({ name: 'app', kind: 'buffer', initial: { position: { x: 0, y: 14 }, z: 0 } });
  const nav = c.createLayer({ name: 'nav', kind: 'buffer', initial: { position: { x: 0, y: 386 }, z: 10, alpha: 0.6 } });
  const dialog = c.createLayer({ name: 'dialog', kind: 'buffer', initial: { position: { x: 30, y: 130 }, z: 5, alpha: 0.4 } });
  const overlay = c.createLayer({ name: 'overlay', kind: 'buffer', initial: { position: { x: 10, y: 40 }, z: 20 } });
  c.apply(
    new Transaction()
      .setBuffer(wallpaper.id, { buffer: buffers[5]! })
      .setBuffer(status.id, { buffer: buffers[0]! })
      .setBuffer(app.id, { buffer: buffers[1]! })
      .setBuffer(nav.id, { buffer: buffers[2]! })
      .setBuffer(dialog.id, { buffer: buffers[3]! })
      .setBuffer(overlay.id, { buffer: buffers[4]! }),
  );
  await h.frame();
  return { h, renderer, engine: () => engine!, overlay, app, buffers };
}

test('client target reuse: frames where only a DEVICE layer moves cost the renderer nothing; a CLIENT change redraws only its damage', async () => {
  const { h, renderer, engine, overlay, app, buffers } = await phoneWithOverlay();
  const first = engine().lastFrame(h.display.id);
  assert.ok(first && first.clientLayers > 0 && first.planeLayers > 0, 'the scene needs both planes and the client target');
  const dump = h.flinger.dump().displays[0]!.lastFrame!;
  const types = Object.fromEntries(dump.layers.map((l) => [l.name, l.compositionType]));
  assert.equal(types.overlay, 'DEVICE', 'the top layer is on a plane');
  assert.match(h.flinger.dumpText(), /no plane: (too many layers|occluded by client content)/);
  const base = renderer.calls;
  for (let i = 1; i <= 5; i++) {
    h.client.apply(new Transaction().setPosition(overlay.id, 10 + i * 7, 40 + i * 11));
    await h.frame();
    const stats = engine().lastFrame(h.display.id);
    assert.equal(stats?.clientTargetReused, true, `frame ${i}: the client target was reused`);
    assert.ok((stats?.scanoutPixels ?? 0) > 0, 'the device redrew the moved plane');
  }
  assert.equal(renderer.calls - base, 0, 'the renderer did no work while only the overlay moved');
  // New content in a plane layer only (buffer + damage): presented without a new validate.
  fillRect(buffers[4]!, { left: 0, top: 0, right: 4, bottom: 4 }, [255, 255, 255, 255]);
  h.client.apply(new Transaction().setBuffer(overlay.id, { buffer: buffers[4]! }).setSurfaceDamage(overlay.id, [{ left: 0, top: 0, right: 4, bottom: 4 }]));
  await h.frame();
  assert.equal(engine().lastFrame(h.display.id)?.validated, false, 'buffer and damage changes need no validate');
  assert.equal(renderer.calls - base, 0);
  // New content in a CLIENT layer: one renderer call, limited to the damage.
  fillRect(buffers[1]!, { left: 0, top: 0, right: 10, bottom: 10 }, [255, 0, 0, 255]);
  h.client.apply(new Transaction().setBuffer(app.id, { buffer: buffers[1]! }).setSurfaceDamage(app.id, [{ left: 0, top: 0, right: 10, bottom: 10 }]));
  await h.frame();
  assert.equal(renderer.calls - base, 1);
  const stats = engine().lastFrame(h.display.id);
  assert.ok(stats && stats.rendererPixels > 0 && stats.rendererPixels <= 4 * 100, `renderer pixels ${stats?.rendererPixels} stay within the damage`);
  const capture = await h.flinger.capture();
  assert.deepEqual(Buffer.from(h.display.readFramebuffer()), Buffer.from(capture.rgba), 'the screen equals a fresh composition');
  h.dispose();
  for (const b of buffers) b.dispose();
});

test('planning off: every layer CLIENT, and the renderer redraws the moving overlay every frame', async () => {
  const renderer = new CountingRenderer();
  const h = harness({ width: 64, height: 64 }, { renderer, composition: (r) => new HwcComposition(r, { planning: false }) });
  const b = buffer(16, 16, [0, 100, 0, 255], PixelFormat.RGBX_8888);
  const l = h.client.createLayer({ name: 'square', kind: 'buffer' });
  h.client.apply(new Transaction().setBuffer(l.id, { buffer: b }));
  await h.frame();
  const base = renderer.calls;
  h.client.apply(new Transaction().setPosition(l.id, 20, 20));
  await h.frame();
  assert.equal(renderer.calls - base, 1);
  assert.equal(h.flinger.dump().displays[0]?.lastFrame?.layers[0]?.compositionType, 'CLIENT');
  assert.equal(h.flinger.dump().displays[0]?.lastFrame?.layers[0]?.compositionRefusal, 'client requested');
  h.dispose();
  b.dispose();
});
