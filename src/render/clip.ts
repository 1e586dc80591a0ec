// Clip lists -> disjoint rectangles, so a blend never runs twice over one pixel.
import type { Rect } from '../region/rect.js';
import { intersectRect, isEmptyRect } from '../region/rect.js';

/**
 * The area covered by `rects` (overlaps allowed) as disjoint rectangles, in y-x bands: each
 * band between two consecutive edges holds the merged x-spans of the rectangles crossing it.
 */
export function disjointRects(rects: readonly Rect[]): Rect[] {
  // Plans are built every frame and most clips are one rectangle: no band sweep (or filtering) for them.
  const live = rects.length <= 1 ? rects : rects.filter((r) => !isEmptyRect(r));
  if (live.length <= 1) {
    const only = live[0];
    return only === undefined || isEmptyRect(only) ? [] : [{ left: only.left, top: only.top, right: only.right, bottom: only.bottom }];
  }
  const ys = [...new Set(live.flatMap((r) => [r.top, r.bottom]))].sort((a, b) => a - b);
  const out: Rect[] = [];
  for (let i = 0; i + 1 < ys.length; i++) {
    const top = ys[i]!;
    const bottom = ys[i + 1]!;
    const spans = live
      .filter((r) => r.top <= top && r.bottom >= bottom)
      .map((r) => [r.left, r.right] as const)
      .sort((a, b) => a[0] - b[0]);
    let current: [number, number] | undefined;
    for (const [l, r] of spans) {
      if (current && l <= current[1]) {
        current[1] = Math.max(current[1], r);
        continue;
      }
      if (current) out.push({ left: current[0], top, right: current[1], bottom });
      current = [l, r];
    }
    if (current) out.push({ left: current[0], top, right: current[1], bottom });
  }
  return out;
}

/** The intersection of two areas given as rectangle lists (each may overlap itself). */
export function intersectAreas(a: readonly Rect[], b: readonly Rect[]): Rect[] {
  const pieces: Rect[] = [];
  for (const ra of a) {
    for (const rb of b) {
      const r = intersectRect(ra, rb);
      if (!isEmptyRect(r)) pieces.push(r);
    }
  }
  return disjointRects(pieces);
}

/** `disjoint` (rectangles that do not overlap) cut to one rectangle: still disjoint, no sweep needed. */
export function clipDisjoint(disjoint: readonly Rect[], r: Rect): Rect[] {
  const out: Rect[] = [];
  for (const piece of disjoint) {
    const cut = intersectRect(piece, r);
    if (!isEmptyRect(cut)) out.push(cut);
  }
  return out;
}
