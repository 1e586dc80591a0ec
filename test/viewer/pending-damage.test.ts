import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rect } from '../../src/region/rect.js';
import { MAX_PENDING_RECTS, PendingDamage } from '../../src/viewer/pending-damage.js';

const screen = rect(0, 0, 100, 100);

test('separate damage stays separate and is clipped to the display', () => {
  const pending = new PendingDamage(screen);
  pending.add(rect(0, 0, 10, 10));
  pending.add(rect(50, 50, 60, 60));
  pending.add(rect(90, 90, 150, 150));
  assert.deepEqual(pending.take(), [rect(0, 0, 10, 10), rect(50, 50, 60, 60), rect(90, 90, 100, 100)]);
  assert.equal(pending.isEmpty, true);
  assert.deepEqual(pending.take(), []);
});

test('overlapping and adjacent damage merges into one rect', () => {
  const pending = new PendingDamage(screen);
  pending.add(rect(0, 0, 10, 10));
  pending.add(rect(5, 5, 15, 15));
  pending.add(rect(15, 0, 20, 15)); // touches: bounds waste nothing
  assert.deepEqual(pending.take(), [rect(0, 0, 20, 15)]);
});

test('many frames of damage stay bounded however long the page lags', () => {
  const pending = new PendingDamage(screen);
  for (let i = 0; i < 1000; i++) pending.add(rect((i * 7) % 95, (i * 13) % 95, ((i * 7) % 95) + 3, ((i * 13) % 95) + 3));
  const rects = pending.take();
  assert.ok(rects.length <= MAX_PENDING_RECTS, `${rects.length} rects pending`);
});

test('reset damages the whole (new) display; empty damage is ignored', () => {
  const pending = new PendingDamage(screen);
  pending.add(rect(5, 5, 5, 50));
  assert.equal(pending.isEmpty, true);
  pending.reset(rect(0, 0, 30, 40));
  assert.deepEqual(pending.take(), [rect(0, 0, 30, 40)]);
});
