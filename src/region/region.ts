// Regions: sets of integer pixels stored as y-x banded rectangles (the X11 / pixman / Android
// representation). A region is a list of bands sorted by y; each band covers rows [top, bottom)
// and holds sorted, disjoint, non-touching x spans. Bands never overlap, and two touching bands
// with the same spans are merged, so every set of pixels has exactly one representation: equality
// is structural and `rects()` is minimal in the banded sense.
import { StratumError } from '../os/status.js';
import type { Rect } from './rect.js';
import { EMPTY_RECT, isEmptyRect } from './rect.js';

interface Band {
  readonly top: number;
  readonly bottom: number;
  /** [x0, x1, x0, x1, ...]: half-open spans, sorted, disjoint and not touching. */
  readonly spans: readonly number[];
}

type BooleanOp = (inA: boolean, inB: boolean) => boolean;
const UNION: BooleanOp = (a, b) => a || b;
const INTERSECT: BooleanOp = (a, b) => a && b;
const SUBTRACT: BooleanOp = (a, b) => a && !b;
const XOR: BooleanOp = (a, b) => a !== b;

function checkRect(r: Rect): void {
  // Every region operation on rectangles comes here: the common valid case allocates nothing.
  if (Number.isSafeInteger(r.left) && Number.isSafeInteger(r.top) && Number.isSafeInteger(r.right) && Number.isSafeInteger(r.bottom)) return;
  for (const key of ['left', 'top', 'right', 'bottom'] as const) {
    if (!Number.isSafeInteger(r[key])) throw new StratumError('BAD_VALUE', `region rect ${key} must be an integer, got ${String(r[key])}`);
  }
}

export class Region implements Iterable<Rect> {
  static readonly EMPTY = new Region([]);

  private constructor(private readonly bands: readonly Band[]) {}

  static fromRect(r: Rect): Region {
    checkRect(r);
    if (isEmptyRect(r)) return Region.EMPTY;
    return new Region([{ top: r.top, bottom: r.bottom, spans: [r.left, r.right] }]);
  }

  /** The union of any rectangles (overlapping, unsorted and empty ones allowed). */
  static fromRects(rects: Iterable<Rect>): Region {
    // Union pairwise in a balanced way so many rects stay O(n log n)-ish.
    let parts: Region[] = [];
    for (const r of rects) parts.push(Region.fromRect(r));
    if (parts.length === 0) return Region.EMPTY;
    while (parts.length > 1) {
      const next: Region[] = [];
      for (let i = 0; i < parts.length; i += 2) {
        const a = parts[i];
        const b = parts[i + 1];
        if (a !== undefined) next.push(b === undefined ? a : a.union(b));
      }
      parts = next;
    }
    return parts[0] ?? Region.EMPTY;
  }

  get isEmpty(): boolean {
    return this.bands.length === 0;
  }

  /** True when the region is exactly one rectangle (or empty). */
  get isRect(): boolean {
    return this.bands.length === 0 || (this.bands.length === 1 && this.bands[0]!.spans.length === 2);
  }

  bounds(): Rect {
    if (this.bands.length === 0) return EMPTY_RECT;
    let left = Infinity;
    let right = -Infinity;
    for (const band of this.bands) {
      left = Math.min(left, band.spans[0]!);
      right = Math.max(right, band.spans[band.spans.length - 1]!);
    }
    return { left, top: this.bands[0]!.top, right, bottom: this.bands[this.bands.length - 1]!.bottom };
  }

  /** Number of pixels. */
  area(): number {
    let total = 0;
    for (const band of this.bands) {
      let width = 0;
      for (let i = 0; i < band.spans.length; i += 2) width += band.spans[i + 1]! - band.spans[i]!;
      total += width * (band.bottom - band.top);
    }
    return total;
  }

  /** The rectangles, band by band (top to bottom), left to right within a band. */
  rects(): Rect[] {
    // A plain loop (not a generator): clips are taken from regions several times every frame.
    const out: Rect[] = [];
    for (const band of this.bands) {
      for (let i = 0; i < band.spans.length; i += 2) {
        out.push({ left: band.spans[i]!, top: band.top, right: band.spans[i + 1]!, bottom: band.bottom });
      }
    }
    return out;
  }

  [Symbol.iterator](): Iterator<Rect> {
    return this.rects()[Symbol.iterator]();
  }

  get rectCount(): number {
    let n = 0;
    for (const band of this.bands) n += band.spans.length / 2;
    return n;
  }

  union(other: Region | Rect): Region {
    const b = toRegion(other);
    if (b === this || b.isEmpty) return this;
    if (this.isEmpty) return b;
    if (this.isRect && b.isRect && this.containsRect(b.bounds())) return this;
    return new Region(combine(this.bands, b.bands, UNION));
  }

  intersect(other: Region | Rect): Region {
    const b = toRegion(other);
    if (b.isEmpty || this.isEmpty) return Region.EMPTY;
    if (b === this) return this;
    if (this.isRect && b.isRect) {
      // Two rectangles: the common case of clips and footprints, without the band sweep.
      const p = this.bands[0]!;
      const q = b.bands[0]!;
      return Region.fromRect({
        left: Math.max(p.spans[0]!, q.spans[0]!),
        top: Math.max(p.top, q.top),
        right: Math.min(p.spans[1]!, q.spans[1]!),
        bottom: Math.min(p.bottom, q.bottom),
      });
    }
    return new Region(combine(this.bands, b.bands, INTERSECT));
  }

  subtract(other: Region | Rect): Region {
    const b = toRegion(other);
    if (b.isEmpty || this.isEmpty) return this;
    if (b === this) return Region.EMPTY;
    if (b.isRect) {
      // A rectangle taken away (an opaque layer over the damage): all of it, or none of it, often.
      const box = this.bounds();
      const q = b.bands[0]!;
      if (box.left >= q.spans[0]! && box.right <= q.spans[1]! && box.top >= q.top && box.bottom <= q.bottom) return Region.EMPTY;
      if (box.right <= q.spans[0]! || box.left >= q.spans[1]! || box.bottom <= q.top || box.top >= q.bottom) return this;
    }
    return new Region(combine(this.bands, b.bands, SUBTRACT));
  }

  xor(other: Region | Rect): Region {
    const b = toRegion(other);
    if (b === this) return Region.EMPTY;
    if (b.isEmpty) return this;
    if (this.isEmpty) return b;
    return new Region(combine(this.bands, b.bands, XOR));
  }

  translate(dx: number, dy: number): Region {
    if (!Number.isSafeInteger(dx) || !Number.isSafeInteger(dy)) throw new StratumError('BAD_VALUE', `region translate needs integers, got ${dx},${dy}`);
    if ((dx === 0 && dy === 0) || this.isEmpty) return this;
    return new Region(this.bands.map((b) => ({ top: b.top + dy, bottom: b.bottom + dy, spans: b.spans.map((x) => x + dx) })));
  }

  /** True when pixel (x, y) is in the region. */
  contains(x: number, y: number): boolean {
    for (const band of this.bands) {
      if (y < band.top) return false;
      if (y >= band.bottom) continue;
      for (let i = 0; i < band.spans.length; i += 2) {
        if (x < band.spans[i]!) return false;
        if (x < band.spans[i + 1]!) return true;
      }
      return false;
    }
    return false;
  }

  /** True when every pixel of `r` is in the region. */
  containsRect(r: Rect): boolean {
    if (isEmptyRect(r)) return true;
    if (this.isRect && !this.isEmpty) {
      const band = this.bands[0]!;
      return r.left >= band.spans[0]! && r.right <= band.spans[1]! && r.top >= band.top && r.bottom <= band.bottom;
    }
    return Region.fromRect(r).subtract(this).isEmpty;
  }

  intersects(other: Region | Rect): boolean {
    return !this.intersect(other).isEmpty;
  }

  equals(other: Region): boolean {
    if (other === this) return true;
    if (this.bands.length !== other.bands.length) return false;
    for (let i = 0; i < this.bands.length; i++) {
      const a = this.bands[i]!;
      const b = other.bands[i]!;
      if (a.top !== b.top || a.bottom !== b.bottom || a.spans.length !== b.spans.length) return false;
      for (let j = 0; j < a.spans.length; j++) if (a.spans[j] !== b.spans[j]) return false;
    }
    return true;
  }

  /** Plain data: the rectangles as [left, top, right, bottom] tuples. */
  toJSON(): [number, number, number, number][] {
    return this.rects().map((r) => [r.left, r.top, r.right, r.bottom]);
  }

  toString(): string {
    if (this.isEmpty) return '(empty)';
    return this.rects()
      .map((r) => `[${r.left},${r.top} ${r.right - r.left}x${r.bottom - r.top}]`)
      .join(' ');
  }
}

function toRegion(value: Region | Rect): Region {
  return value instanceof Region ? value : Region.fromRect(value);
}

function spansEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Combines two sorted span lists with a boolean op; the result is normalized (merged touching spans). */
function combineSpans(a: readonly number[], b: readonly number[], op: BooleanOp): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  let inA = false;
  let inB = false;
  let inside = false;
  while (i < a.length || j < b.length) {
    const xa = i < a.length ? a[i]! : Infinity;
    const xb = j < b.length ? b[j]! : Infinity;
    const x = Math.min(xa, xb);
    if (xa === x) {
      inA = !inA;
      i++;
    }
    if (xb === x) {
      inB = !inB;
      j++;
    }
    const now = op(inA, inB);
    if (now !== inside) {
      // Close-then-reopen at the same x would leave touching spans: merge them instead.
      if (now && out.length > 0 && out[out.length - 1] === x) out.pop();
      else out.push(x);
      inside = now;
    }
  }
  return out;
}

function combine(a: readonly Band[], b: readonly Band[], op: BooleanOp): Band[] {
  const ys: number[] = [];
  for (const band of a) ys.push(band.top, band.bottom);
  for (const band of b) ys.push(band.top, band.bottom);
  ys.sort((p, q) => p - q);
  const out: Band[] = [];
  let ia = 0;
  let ib = 0;
  const none: readonly number[] = [];
  for (let k = 0; k + 1 < ys.length; k++) {
    const y0 = ys[k]!;
    const y1 = ys[k + 1]!;
    if (y0 === y1) continue;
    while (ia < a.length && a[ia]!.bottom <= y0) ia++;
    while (ib < b.length && b[ib]!.bottom <= y0) ib++;
    const bandA = ia < a.length && a[ia]!.top <= y0 ? a[ia]!.spans : none;
    const bandB = ib < b.length && b[ib]!.top <= y0 ? b[ib]!.spans : none;
    const spans = combineSpans(bandA, bandB, op);
    if (spans.length === 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.bottom === y0 && spansEqual(last.spans, spans)) {
      out[out.length - 1] = { top: last.top, bottom: y1, spans: last.spans };
    } else {
      out.push({ top: y0, bottom: y1, spans });
    }
  }
  return out;
}
