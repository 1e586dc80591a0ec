// Transaction: a builder of TransactionData with Android's setter names and merge rule (later
// wins per field; a buffer merged over is released at once). The data it builds is what
// FlingerClient.apply takes, and what the protocol carries.
import type { ScalingMode, Transform } from '../buffer/index.js';
import { StratumError } from '../os/status.js';
import { NO_FENCE } from '../queue/fence.js';
import type { Rect } from '../region/rect.js';
import type {
  BufferSubmission,
  Color,
  LayerChanges,
  LayerId,
  LayerStack,
  Matrix2x2,
  Size,
  TransactionData,
} from './types.js';

type MutableChanges = { -readonly [K in keyof LayerChanges]: LayerChanges[K] };

export class Transaction {
  readonly #layers = new Map<LayerId, MutableChanges>();
  readonly #destroy = new Set<LayerId>();
  #desiredPresentTime: number | undefined;

  #changes(layer: LayerId): MutableChanges {
    if (!Number.isInteger(layer) || layer < 1) throw new StratumError('BAD_VALUE', `layer id must be a positive integer, got ${String(layer)}`);
    let changes = this.#layers.get(layer);
    if (!changes) {
      changes = {};
      this.#layers.set(layer, changes);
    }
    return changes;
  }

  #set<K extends keyof MutableChanges>(layer: LayerId, key: K, value: MutableChanges[K]): this {
    this.#changes(layer)[key] = value;
    return this;
  }

  setPosition(layer: LayerId, x: number, y: number): this {
    return this.#set(layer, 'position', { x, y });
  }

  setMatrix(layer: LayerId, dsdx: number, dtdx: number, dtdy: number, dsdy: number): this {
    const matrix: Matrix2x2 = { dsdx, dtdx, dtdy, dsdy };
    return this.#set(layer, 'matrix', matrix);
  }

  /** z among siblings; clears a relative z. */
  setLayer(layer: LayerId, z: number): this {
    const changes = this.#changes(layer);
    delete changes.relativeZ;
    changes.z = z;
    return this;
  }

  /** z within `relativeTo`'s children instead of the parent's. */
  setRelativeLayer(layer: LayerId, relativeTo: LayerId, z: number): this {
    const changes = this.#changes(layer);
    delete changes.z;
    changes.relativeZ = { relativeTo, z };
    return this;
  }

  setLayerStack(layer: LayerId, stack: LayerStack): this {
    return this.#set(layer, 'layerStack', stack);
  }

  /** The window size the scaling mode fills; null = the buffer's size. */
  setSize(layer: LayerId, size: Size | null): this {
    return this.#set(layer, 'size', size);
  }

  setCrop(layer: LayerId, crop: Rect | null): this {
    return this.#set(layer, 'crop', crop);
  }

  setBufferCrop(layer: LayerId, crop: Rect | null): this {
    return this.#set(layer, 'bufferCrop', crop);
  }

  setBufferTransform(layer: LayerId, transform: Transform | null): this {
    return this.#set(layer, 'bufferTransform', transform);
  }

  setScalingMode(layer: LayerId, mode: ScalingMode | null): this {
    return this.#set(layer, 'scalingMode', mode);
  }

  setAlpha(layer: LayerId, alpha: number): this {
    return this.#set(layer, 'alpha', alpha);
  }

  setColor(layer: LayerId, color: Color): this {
    return this.#set(layer, 'color', color);
  }

  setNonPremultiplied(layer: LayerId, nonPremultiplied: boolean): this {
    return this.#set(layer, 'nonPremultiplied', nonPremultiplied);
  }

  setVisibleRegionHint(layer: LayerId, rects: readonly Rect[] | null): this {
    return this.#set(layer, 'visibleRegionHint', rects);
  }

  setSurfaceDamage(layer: LayerId, rects: readonly Rect[] | null): this {
    return this.#set(layer, 'surfaceDamage', rects);
  }

  show(layer: LayerId): this {
    return this.#set(layer, 'hidden', false);
  }

  hide(layer: LayerId): this {
    return this.#set(layer, 'hidden', true);
  }

  setOpaque(layer: LayerId, opaque: boolean): this {
    return this.#set(layer, 'opaque', opaque);
  }

  setSecure(layer: LayerId, secure: boolean): this {
    return this.#set(layer, 'secure', secure);
  }

  setSkipScreenshot(layer: LayerId, skip: boolean): this {
    return this.#set(layer, 'skipScreenshot', skip);
  }

  /** ROOT_LAYER = top level; null = offscreen (kept, not drawn). */
  reparent(layer: LayerId, parent: LayerId | null): this {
    return this.#set(layer, 'parent', parent);
  }

  /** Shows `buffer` from the frame this transaction applies; a buffer set earlier in this transaction is released at once. */
  setBuffer(layer: LayerId, buffer: BufferSubmission | null): this {
    const changes = this.#changes(layer);
    const previous = changes.buffer;
    changes.buffer = buffer;
    if (previous && previous !== buffer) previous.onRelease?.(NO_FENCE);
    return this;
  }

  destroy(layer: LayerId): this {
    this.#changes(layer);
    this.#layers.delete(layer);
    this.#destroy.add(layer);
    return this;
  }

  /** Monotonic ms; more than 1 s ahead of the frame counts as now. */
  setDesiredPresentTime(time: number | undefined): this {
    if (time !== undefined && !Number.isFinite(time)) throw new StratumError('BAD_VALUE', `desired present time must be finite, got ${time}`);
    this.#desiredPresentTime = time;
    return this;
  }

  /**
   * Folds `other` into this one (later wins per field) and clears `other`, as if it had been
   * applied. A buffer of ours that `other` overrides is released now with no fence.
   */
  merge(other: Transaction): this {
    if (other === this) return this;
    for (const [layer, changes] of other.#layers) {
      if (this.#destroy.has(layer)) continue;
      const mine = this.#changes(layer);
      if ('buffer' in changes) this.setBuffer(layer, changes.buffer ?? null);
      if ('z' in changes) delete mine.relativeZ;
      if ('relativeZ' in changes) delete mine.z;
      for (const key of Object.keys(changes) as (keyof MutableChanges)[]) {
        if (key === 'buffer') continue;
        (mine as Record<string, unknown>)[key] = changes[key];
      }
    }
    for (const layer of other.#destroy) this.destroy(layer);
    if (other.#desiredPresentTime !== undefined) this.#desiredPresentTime = other.#desiredPresentTime;
    other.clear();
    return this;
  }

  /** Forgets everything without releasing buffers (their ownership moved on). */
  clear(): void {
    this.#layers.clear();
    this.#destroy.clear();
    this.#desiredPresentTime = undefined;
  }

  get isEmpty(): boolean {
    return this.#layers.size === 0 && this.#destroy.size === 0;
  }

  toData(): TransactionData {
    const data: TransactionData = {
      layers: [...this.#layers].map(([layer, changes]) => ({ layer, changes: { ...changes } })),
      ...(this.#destroy.size > 0 ? { destroy: [...this.#destroy] } : {}),
      ...(this.#desiredPresentTime !== undefined ? { desiredPresentTime: this.#desiredPresentTime } : {}),
    };
    return data;
  }
}
