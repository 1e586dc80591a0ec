// Damage waiting to be sent to one page for one display. While the page keeps up, each frame's
// damage goes out as it comes; while it lags, damage accumulates here and is merged, so what a slow
// page costs is bounded by the display size, never by the number of frames it missed.
import type { Rect } from '../region/rect.js';
import { boundsOfRects, intersectRect, isEmptyRect, rectHeight, rectWidth } from '../region/rect.js';

/** Beyond this many separate rects the whole set is merged into its bounds. */
export const MAX_PENDING_RECTS = 8;

function area(r: Rect): number {
  return rectWidth(r) * rectHeight(r);
}

export class PendingDamage {
  private rects: Rect[] = [];

  constructor(private bounds: Rect) {}

  get isEmpty(): boolean {
    return this.rects.length === 0;
  }

  /** The display changed size: everything is damaged. */
  reset(bounds: Rect): void {
    this.bounds = bounds;
    this.rects = isEmptyRect(bounds) ? [] : [bounds];
  }

  add(damage: Rect): void {
    let merged = intersectRect(damage, this.bounds);
    if (isEmptyRect(merged)) return;
    // Fold in every pending rect the new one touches, or whose merge wastes little area.
    let changed = true;
    while (changed) {
      changed = false;
      for (let i = 0; i < this.rects.length; i++) {
        const other = this.rects[i];
        if (other === undefined) continue;
        const bounds = boundsOfRects(merged, other);
        const overlaps = !isEmptyRect(intersectRect(merged, other));
        if (overlaps || area(bounds) <= area(merged) + area(other)) {
          merged = bounds;
          this.rects.splice(i, 1);
          changed = true;
          break;
        }
      }
    }
    this.rects.push(merged);
    if (this.rects.length > MAX_PENDING_RECTS) {
      this.rects = [this.rects.reduce((a, b) => boundsOfRects(a, b))];
    }
  }

  /** Returns the pending rects and leaves nothing pending. */
  take(): Rect[] {
    const rects = this.rects;
    this.rects = [];
    return rects;
  }
}
