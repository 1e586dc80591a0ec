// Integer rectangles, half-open: [left, right) x [top, bottom). Empty when right <= left or bottom <= top.

export interface Rect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export const EMPTY_RECT: Rect = Object.freeze({ left: 0, top: 0, right: 0, bottom: 0 });

export function rect(left: number, top: number, right: number, bottom: number): Rect {
  return { left, top, right, bottom };
}

/** A rectangle from position and size. */
export function rectXYWH(x: number, y: number, width: number, height: number): Rect {
  return { left: x, top: y, right: x + width, bottom: y + height };
}

export function rectWidth(r: Rect): number {
  return Math.max(0, r.right - r.left);
}

export function rectHeight(r: Rect): number {
  return Math.max(0, r.bottom - r.top);
}

export function isEmptyRect(r: Rect): boolean {
  return r.right <= r.left || r.bottom <= r.top;
}

export function intersectRect(a: Rect, b: Rect): Rect {
  const r = {
    left: Math.max(a.left, b.left),
    top: Math.max(a.top, b.top),
    right: Math.min(a.right, b.right),
    bottom: Math.min(a.bottom, b.bottom),
  };
  return isEmptyRect(r) ? EMPTY_RECT : r;
}

/** The smallest rectangle holding both (an empty side is ignored). */
export function boundsOfRects(a: Rect, b: Rect): Rect {
  if (isEmptyRect(a)) return b;
  if (isEmptyRect(b)) return a;
  return {
    left: Math.min(a.left, b.left),
    top: Math.min(a.top, b.top),
    right: Math.max(a.right, b.right),
    bottom: Math.max(a.bottom, b.bottom),
  };
}

export function rectContains(outer: Rect, inner: Rect): boolean {
  return (
    isEmptyRect(inner) ||
    (inner.left >= outer.left && inner.top >= outer.top && inner.right <= outer.right && inner.bottom <= outer.bottom)
  );
}

export function rectsEqual(a: Rect, b: Rect): boolean {
  return a.left === b.left && a.top === b.top && a.right === b.right && a.bottom === b.bottom;
}

export function translateRect(r: Rect, dx: number, dy: number): Rect {
  return { left: r.left + dx, top: r.top + dy, right: r.right + dx, bottom: r.bottom + dy };
}

export function formatRect(r: Rect): string {
  return `[${r.left},${r.top} ${rectWidth(r)}x${rectHeight(r)}]`;
}
