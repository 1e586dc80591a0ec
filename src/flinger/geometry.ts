// Affine maps and the rectangle arithmetic the snapshot needs. Layers may only be drawn when
// their map keeps rectangles rectangles (scales, flips, quarter turns): the renderer and planes
// sample with a buffer Transform, not an arbitrary matrix.
import { Transform } from '../buffer/transform.js';
import type { Rect } from '../region/rect.js';
import type { Affine, FloatRect, Matrix2x2, Point } from './types.js';

export const IDENTITY: Affine = Object.freeze({ a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0 });

/** first then second: x -> second(first(x)). */
export function compose(second: Affine, first: Affine): Affine {
  return {
    a: second.a * first.a + second.c * first.b,
    b: second.b * first.a + second.d * first.b,
    c: second.a * first.c + second.c * first.d,
    d: second.b * first.c + second.d * first.d,
    tx: second.a * first.tx + second.c * first.ty + second.tx,
    ty: second.b * first.tx + second.d * first.ty + second.ty,
  };
}

export function translation(x: number, y: number): Affine {
  return { a: 1, b: 0, c: 0, d: 1, tx: x, ty: y };
}

/** A layer's own map into its parent: position after the 2x2 matrix (Android's convention). */
export function localTransform(position: Point, m: Matrix2x2): Affine {
  return { a: m.dsdx, b: m.dtdx, c: m.dtdy, d: m.dsdy, tx: position.x, ty: position.y };
}

export function invert(t: Affine): Affine | undefined {
  const det = t.a * t.d - t.b * t.c;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return undefined;
  const a = t.d / det;
  const b = -t.b / det;
  const c = -t.c / det;
  const d = t.a / det;
  return { a, b, c, d, tx: -(a * t.tx + c * t.ty), ty: -(b * t.tx + d * t.ty) };
}

export function isRectPreserving(t: Affine): boolean {
  return (t.b === 0 && t.c === 0) || (t.a === 0 && t.d === 0);
}

export function isInvertible(t: Affine): boolean {
  return invert(t) !== undefined;
}

export function mapPoint(t: Affine, x: number, y: number): Point {
  return { x: t.a * x + t.c * y + t.tx, y: t.b * x + t.d * y + t.ty };
}

/** The bounding box of a rectangle's image. */
export function mapRect(t: Affine, r: FloatRect): FloatRect {
  const x0 = t.a * r.left + t.c * r.top + t.tx;
  const x1 = t.a * r.right + t.c * r.top + t.tx;
  const x2 = t.a * r.left + t.c * r.bottom + t.tx;
  const x3 = t.a * r.right + t.c * r.bottom + t.tx;
  const y0 = t.b * r.left + t.d * r.top + t.ty;
  const y1 = t.b * r.right + t.d * r.top + t.ty;
  const y2 = t.b * r.left + t.d * r.bottom + t.ty;
  const y3 = t.b * r.right + t.d * r.bottom + t.ty;
  return {
    left: Math.min(x0, x1, x2, x3),
    top: Math.min(y0, y1, y2, y3),
    right: Math.max(x0, x1, x2, x3),
    bottom: Math.max(y0, y1, y2, y3),
  };
}

/** Edges rounded to the nearest pixel (how layer edges land on the display). */
export function roundRect(r: FloatRect): Rect {
  return { left: Math.round(r.left), top: Math.round(r.top), right: Math.round(r.right), bottom: Math.round(r.bottom) };
}

/** Edges rounded outward (damage: never smaller than what changed). */
export function roundOut(r: FloatRect): Rect {
  return { left: Math.floor(r.left), top: Math.floor(r.top), right: Math.ceil(r.right), bottom: Math.ceil(r.bottom) };
}

export function intersectFloat(a: FloatRect, b: FloatRect): FloatRect {
  return { left: Math.max(a.left, b.left), top: Math.max(a.top, b.top), right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom) };
}

export function isEmptyFloat(r: FloatRect): boolean {
  return !(r.right > r.left && r.bottom > r.top);
}

/** Everything: the bounds of layers that have no size of their own (color, container). */
export const HUGE_RECT: FloatRect = Object.freeze({ left: -(1 << 20), top: -(1 << 20), right: 1 << 20, bottom: 1 << 20 });

/**
 * The map of a buffer Transform over a w x h crop, in the renderer's convention (FLIP_H, then
 * FLIP_V, then a clockwise quarter turn when ROT_90 is set): crop-local coordinates -> the
 * transformed content's coordinates.
 */
export function transformAffine(t: Transform, w: number, h: number): Affine {
  let m: Affine = IDENTITY;
  if (t & Transform.FLIP_H) m = compose({ a: -1, b: 0, c: 0, d: 1, tx: w, ty: 0 }, m);
  if (t & Transform.FLIP_V) m = compose({ a: 1, b: 0, c: 0, d: -1, tx: 0, ty: h }, m);
  if (t & Transform.ROT_90) m = compose({ a: 0, b: 1, c: -1, d: 0, tx: h, ty: 0 }, m);
  return m;
}

/** The buffer Transform (renderer convention) whose linear part has the signs of `t` (rect-preserving only). */
export function transformOf(t: Affine): Transform {
  if (t.b === 0 && t.c === 0) return ((t.a < 0 ? Transform.FLIP_H : 0) | (t.d < 0 ? Transform.FLIP_V : 0)) as Transform;
  return (Transform.ROT_90 | (t.b < 0 ? Transform.FLIP_H : 0) | (t.c > 0 ? Transform.FLIP_V : 0)) as Transform;
}

export function affinesEqual(p: Affine, q: Affine): boolean {
  return p.a === q.a && p.b === q.b && p.c === q.c && p.d === q.d && p.tx === q.tx && p.ty === q.ty;
}
