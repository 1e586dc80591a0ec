// Damage correctness: frames composed only inside their damage, one after another, must equal a
// full recomposition of the same state, byte for byte, whatever the scene and its updates.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { GraphicBuffer, PixelFormat, Transform, Usage } from '../../src/buffer/index.js';
import { Transaction } from '../../src/flinger/index.js';
import type { Rect } from '../../src/region/rect.js';
import { fillRect, harness } from './support.js';
import type { RGBA } from './support.js';

const W = 40;
const H = 32;

const arbColor = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 128, 255));
const premultiplied = ([r, g, b, a]: [number, number, number, number]): RGBA => [Math.min(r, a), Math.min(g, a), Math.min(b, a), a];
const arbRect = (maxW: number, maxH: number): fc.Arbitrary<Rect> =>
  fc.tuple(fc.integer({ min: 0, max: maxW - 1 }), fc.integer({ min: 0, max: maxH - 1 }), fc.integer({ min: 1, max: maxW }), fc.integer({ min: 1, max: maxH })).map(([x, y, w, h]) => ({
    left: x,
    top: y,
    right: Math.min(maxW, x + w),
    bottom: Math.min(maxH, y + h),
  }));

type Update =
  | { kind: 'move'; layer: number; x: number; y: number }
  | { kind: 'alpha'; layer: number; alpha: number }
  | { kind: 'hide'; layer: number; hidden: boolean }
  | { kind: 'z'; layer: number; z: number }
  | { kind: 'crop'; layer: number; crop: Rect | null }
  | { kind: 'paint'; layer: number; damage: Rect; color: RGBA }
  | { kind: 'transform'; layer: number; transform: Transform }
  | { kind: 'opaque'; layer: number; opaque: boolean };

const LAYERS = 5;
const arbUpdate: fc.Arbitrary<Update> = fc.oneof(
  fc.record({ kind: fc.constant('move' as const), layer: fc.nat(LAYERS - 1), x: fc.integer({ min: -10, max: W }), y: fc.integer({ min: -10, max: H }) }),
  fc.record({ kind: fc.constant('alpha' as const), layer: fc.nat(LAYERS - 1), alpha: fc.constantFrom(0, 0.25, 0.5, 1) }),
  fc.record({ kind: fc.constant('hide' as const), layer: fc.nat(LAYERS - 1), hidden: fc.boolean() }),
  fc.record({ kind: fc.constant('z' as const), layer: fc.nat(LAYERS - 1), z: fc.integer({ min: -2, max: 6 }) }),
  fc.record({ kind: fc.constant('crop' as const), layer: fc.nat(LAYERS - 1), crop: fc.option(arbRect(W, H), { nil: null }) }),
  fc.record({ kind: fc.constant('paint' as const), layer: fc.nat(LAYERS - 1), damage: arbRect(16, 16), color: arbColor.map(premultiplied) }),
  fc.record({ kind: fc.constant('transform' as const), layer: fc.nat(LAYERS - 1), transform: fc.constantFrom(Transform.NONE, Transform.FLIP_H, Transform.ROT_90, Transform.ROT_180, Transform.ROT_270) }),
  fc.record({ kind: fc.constant('opaque' as const), layer: fc.nat(LAYERS - 1), opaque: fc.boolean() }),
);

function newBuffer(): GraphicBuffer {
  return GraphicBuffer.allocate({ width: 16, height: 16, format: PixelFormat.RGBA_8888, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE });
}

test('damage-only frames equal a full recomposition, byte for byte, after any sequence of updates', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(arbColor.map(premultiplied), { minLength: LAYERS, maxLength: LAYERS }), fc.array(fc.array(arbUpdate, { maxLength: 3 }), { minLength: 1, maxLength: 8 }), async (colors, frames) => {
      const h = harness({ width: W, height: H });
      const live: GraphicBuffer[] = [];
      try {
        // Layers 0, 2, 4: buffer layers holding 16x16 pictures; 1, 3: color layers (3 is a child of 0).
        const ids: number[] = [];
        const shown = new Map<number, GraphicBuffer>();
        for (let i = 0; i < LAYERS; i++) {
          const isBuffer = i % 2 === 0;
          const layer = h.client.createLayer({
            name: `l${i}`,
            kind: isBuffer ? 'buffer' : 'color',
            ...(i === 3 ? { parent: ids[0] } : {}),
            initial: { position: { x: i * 5, y: i * 3 }, z: i, ...(isBuffer ? {} : { crop: { left: 0, top: 0, right: 12, bottom: 10 }, color: { r: colors[i]![0] / 255, g: colors[i]![1] / 255, b: colors[i]![2] / 255 } }) },
          });
          ids.push(layer.id);
          if (isBuffer) {
            const buffer = newBuffer();
            live.push(buffer);
            fillRect(buffer, { left: 0, top: 0, right: 16, bottom: 16 }, colors[i]!);
            fillRect(buffer, { left: 2, top: 2, right: 6, bottom: 5 }, [255, 255, 255, 255]);
            shown.set(i, buffer);
            h.client.apply(new Transaction().setBuffer(layer.id, { buffer }));
          }
        }
        await h.frame();
        for (const updates of frames) {
          const tx = new Transaction();
          // Damage is relative to the buffer on screen: repaints within one transaction add up.
          const painted = new Map<number, Rect[]>();
          for (const u of updates) {
            const id = ids[u.layer]!;
            switch (u.kind) {
              case 'move': tx.setPosition(id, u.x, u.y); break;
              case 'alpha': tx.setAlpha(id, u.alpha); break;
              case 'hide': if (u.hidden) tx.hide(id); else tx.show(id); break;
              case 'z': tx.setLayer(id, u.z); break;
              case 'crop': tx.setCrop(id, u.crop); break;
              case 'opaque': tx.setOpaque(id, u.opaque); break;
              case 'transform': if (u.layer % 2 === 0) tx.setBufferTransform(id, u.transform); break;
              case 'paint': {
                const old = shown.get(u.layer);
                if (!old) break;
                // A new buffer: the old picture with only the damaged rect repainted (truthful damage).
                const next = newBuffer();
                live.push(next);
                next.bytes().set(old.bytes());
                fillRect(next, u.damage, u.color);
                shown.set(u.layer, next);
                painted.set(u.layer, [...(painted.get(u.layer) ?? []), u.damage]);
                tx.setBuffer(id, { buffer: next }).setSurfaceDamage(id, painted.get(u.layer) ?? []);
                break;
              }
            }
          }
          h.client.apply(tx);
          await h.frame();
          const full = await h.flinger.capture(h.display.id, { includeSecure: true, includeSkipScreenshot: true });
          assert.deepEqual(Buffer.from(h.display.readFramebuffer()).equals(Buffer.from(full.rgba)), true, `framebuffer differs from a full recomposition after ${JSON.stringify(updates)}`);
        }
      } finally {
        h.dispose();
        for (const b of live) b.dispose();
      }
    }),
    { numRuns: 60 },
  );
});

test('a frame whose only change is a small damaged rect redraws only that rect', async () => {
  const h = harness({ width: W, height: H });
  const layer = h.client.createLayer({ name: 'app', kind: 'buffer' });
  const a = newBuffer();
  fillRect(a, { left: 0, top: 0, right: 16, bottom: 16 }, [10, 20, 30, 255]);
  h.client.apply(new Transaction().setBuffer(layer.id, { buffer: a }).setPosition(layer.id, 8, 8));
  await h.frame();
  const b = newBuffer();
  b.bytes().set(a.bytes());
  fillRect(b, { left: 4, top: 4, right: 8, bottom: 6 }, [200, 0, 0, 255]);
  const damages: string[] = [];
  const off = h.flinger.onPresent((info) => damages.push(info.damage.toString()));
  h.client.apply(new Transaction().setBuffer(layer.id, { buffer: b }).setSurfaceDamage(layer.id, [{ left: 4, top: 4, right: 8, bottom: 6 }]));
  await h.frame();
  off();
  assert.deepEqual(damages, ['[12,12 4x2]']);
  assert.match(h.flinger.dumpText(), /damage \[12,12 4x2\]/);
  h.dispose();
  a.dispose();
  b.dispose();
});
