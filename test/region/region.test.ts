import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { isStratumError } from '../../src/os/status.js';
import type { Rect } from '../../src/region/index.js';
import { Region, rect } from '../../src/region/index.js';

// The model: a bitmap over a small grid. Coordinates stay inside it, translation included.
const SIZE = 24;
const OFFSET = 8;

function bitmapOf(region: Region): Uint8Array {
  const bits = new Uint8Array((SIZE + 2 * OFFSET) ** 2);
  for (const r of region) {
    for (let y = r.top; y < r.bottom; y++) for (let x = r.left; x < r.right; x++) bits[(y + OFFSET) * (SIZE + 2 * OFFSET) + x + OFFSET] = 1;
  }
  return bits;
}

function bitmapOfRects(rects: readonly Rect[]): Uint8Array {
  const bits = new Uint8Array((SIZE + 2 * OFFSET) ** 2);
  for (const r of rects) {
    for (let y = r.top; y < r.bottom; y++) for (let x = r.left; x < r.right; x++) bits[(y + OFFSET) * (SIZE + 2 * OFFSET) + x + OFFSET] = 1;
  }
  return bits;
}

function map2(a: Uint8Array, b: Uint8Array, f: (x: number, y: number) => number): Uint8Array {
  return a.map((v, i) => f(v, b[i]!));
}

const arbRect = fc
  .tuple(fc.integer({ min: 0, max: SIZE }), fc.integer({ min: 0, max: SIZE }), fc.integer({ min: 0, max: SIZE }), fc.integer({ min: 0, max: SIZE }))
  .map(([x0, y0, x1, y1]) => rect(Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)));
const arbRects = fc.array(arbRect, { maxLength: 6 });

/** The banded invariants: sorted non-overlapping bands, sorted disjoint non-touching spans, no mergeable neighbours. */
function assertCanonical(region: Region): void {
  const rects = region.rects();
  const bands = new Map<string, Rect[]>();
  for (const r of rects) {
    assert.ok(r.left < r.right && r.top < r.bottom, 'no empty rects');
    const key = `${r.top},${r.bottom}`;
    bands.set(key, [...(bands.get(key) ?? []), r]);
  }
  const ordered = [...bands.values()];
  for (let i = 0; i < ordered.length; i++) {
    const row = ordered[i]!;
    for (let j = 1; j < row.length; j++) assert.ok(row[j - 1]!.right < row[j]!.left, 'spans in a band are sorted and do not touch');
    if (i > 0) {
      const prev = ordered[i - 1]!;
      assert.ok(prev[0]!.bottom <= row[0]!.top, 'bands are sorted and disjoint');
      if (prev[0]!.bottom === row[0]!.top) {
        const same = prev.length === row.length && prev.every((r, k) => r.left === row[k]!.left && r.right === row[k]!.right);
        assert.ok(!same, 'touching bands with equal spans are merged');
      }
    }
  }
}

test('union, intersect, subtract and xor match a bitmap model, and results are canonical', () => {
  fc.assert(
    fc.property(arbRects, arbRects, (ra, rb) => {
      const a = Region.fromRects(ra);
      const b = Region.fromRects(rb);
      const ma = bitmapOfRects(ra);
      const mb = bitmapOfRects(rb);
      assert.deepEqual(bitmapOf(a), ma);
      const cases: [Region, Uint8Array][] = [
        [a.union(b), map2(ma, mb, (x, y) => x | y)],
        [a.intersect(b), map2(ma, mb, (x, y) => x & y)],
        [a.subtract(b), map2(ma, mb, (x, y) => x & (1 - y))],
        [a.xor(b), map2(ma, mb, (x, y) => x ^ y)],
      ];
      for (const [region, model] of cases) {
        assert.deepEqual(bitmapOf(region), model);
        assertCanonical(region);
        assert.equal(region.area(), model.reduce((s, v) => s + v, 0));
      }
    }),
    { numRuns: 400 },
  );
});

test('equal pixel sets have equal representations, whatever rects built them', () => {
  fc.assert(
    fc.property(arbRects, (rs) => {
      const a = Region.fromRects(rs);
      const b = Region.fromRects([...rs].reverse());
      const c = Region.fromRects(a.rects());
      assert.ok(a.equals(b));
      assert.ok(a.equals(c));
      assert.deepEqual(a.toJSON(), c.toJSON());
    }),
    { numRuns: 200 },
  );
});

test('translate, bounds, contains and containsRect agree with the model', () => {
  fc.assert(
    fc.property(arbRects, fc.integer({ min: -OFFSET, max: OFFSET }), fc.integer({ min: -OFFSET, max: OFFSET }), arbRect, (rs, dx, dy, probe) => {
      const a = Region.fromRects(rs);
      const moved = a.translate(dx, dy);
      const model = bitmapOfRects(rs.map((r) => rect(r.left + dx, r.top + dy, r.right + dx, r.bottom + dy)));
      assert.deepEqual(bitmapOf(moved), model);
      const w = SIZE + 2 * OFFSET;
      let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
      for (let i = 0; i < model.length; i++) {
        if (!model[i]) continue;
        const x = (i % w) - OFFSET;
        const y = Math.floor(i / w) - OFFSET;
        left = Math.min(left, x); right = Math.max(right, x + 1); top = Math.min(top, y); bottom = Math.max(bottom, y + 1);
        assert.ok(moved.contains(x, y));
      }
      const b = moved.bounds();
      if (moved.isEmpty) assert.deepEqual(b, { left: 0, top: 0, right: 0, bottom: 0 });
      else assert.deepEqual(b, { left, top, right, bottom });
      let inside = true;
      for (let y = probe.top; y < probe.bottom; y++) for (let x = probe.left; x < probe.right; x++) if (!moved.contains(x, y)) inside = false;
      assert.equal(moved.containsRect(probe), inside);
      assert.equal(moved.intersects(probe), !moved.intersect(probe).isEmpty);
    }),
    { numRuns: 300 },
  );
});

test('contains is false outside every band and span', () => {
  const r = Region.fromRects([rect(0, 0, 4, 4), rect(10, 0, 14, 4), rect(0, 10, 4, 12)]);
  assert.equal(r.contains(5, 1), false);
  assert.equal(r.contains(12, 3), true);
  assert.equal(r.contains(2, 6), false);
  assert.equal(r.contains(2, 11), true);
  assert.equal(r.contains(2, 12), false);
  assert.equal(r.rectCount, 3);
  assert.equal(r.toString(), '[0,0 4x4] [10,0 4x4] [0,10 4x2]');
});

test('a union of two overlapping rects splits into bands; removing the overlap gives back one rect', () => {
  const a = rect(0, 0, 10, 10);
  const b = rect(5, 5, 15, 15);
  const u = Region.fromRect(a).union(b);
  assert.deepEqual(u.toJSON(), [
    [0, 0, 10, 5],
    [0, 5, 15, 10],
    [5, 10, 15, 15],
  ]);
  assert.ok(u.subtract(rect(10, 5, 15, 15)).subtract(rect(5, 10, 10, 15)).equals(Region.fromRect(a)));
  assert.ok(Region.fromRect(a).isRect);
  assert.ok(!u.isRect);
});

test('non-integer coordinates are rejected with BAD_VALUE', () => {
  assert.throws(() => Region.fromRect(rect(0, 0, 1.5, 2)), (e: unknown) => isStratumError(e, 'BAD_VALUE') && /right/.test(e.message));
  assert.throws(() => Region.EMPTY.translate(0.5, 0), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
});

test('subtracting one rectangle: exactly covering, 1 px short on a side, and touching each edge', () => {
  const shapes = [Region.fromRect(rect(10, 10, 30, 20)), Region.fromRects([rect(10, 10, 20, 15), rect(15, 15, 30, 20)])];
  for (const a of shapes) {
    const box = a.bounds();
    const cutters: Rect[] = [
      box,
      rect(box.left - 1, box.top - 1, box.right + 1, box.bottom + 1),
      rect(box.left + 1, box.top, box.right, box.bottom),
      rect(box.left, box.top + 1, box.right, box.bottom),
      rect(box.left, box.top, box.right - 1, box.bottom),
      rect(box.left, box.top, box.right, box.bottom - 1),
      rect(box.left - 5, box.top, box.left, box.bottom),
      rect(box.right, box.top, box.right + 5, box.bottom),
      rect(box.left, box.top - 5, box.right, box.top),
      rect(box.left, box.bottom, box.right, box.bottom + 5),
      rect(box.left - 5, box.top, box.left + 1, box.bottom),
      rect(box.right - 1, box.top, box.right + 5, box.bottom),
    ];
    for (const c of cutters) {
      const expected = new Set<string>();
      for (const r of a.rects()) for (let y = r.top; y < r.bottom; y++) for (let x = r.left; x < r.right; x++) {
        if (!(x >= c.left && x < c.right && y >= c.top && y < c.bottom)) expected.add(`${x},${y}`);
      }
      const got = new Set<string>();
      for (const r of a.subtract(Region.fromRect(c)).rects()) for (let y = r.top; y < r.bottom; y++) for (let x = r.left; x < r.right; x++) got.add(`${x},${y}`);
      assert.deepEqual(got, expected, `${a.toString()} minus [${c.left},${c.top},${c.right},${c.bottom}]`);
    }
  }
});
