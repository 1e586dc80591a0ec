// Transaction: an atomic batch of layer changes (every layer property, buffers included), applied
// together by the compositor on a VSync, with commit and complete callbacks carrying stats.
import type { ScalingMode, Transform } from '../buffer/transform.js';
import { StratumError } from '../os/status.js';
import type { Rect } from '../region/rect.js';
import { LayerFlag, NO_PARENT } from '../protocol/index.js';
import type { EventMessage, RequestArgs } from '../protocol/index.js';
import type { DequeuedBuffer, SurfaceControl, SurfaceLink } from './surface.js';

type WireChange = RequestArgs<'applyTransaction'>['changes'][number];
type Change = { -readonly [K in keyof Omit<WireChange, 'surface'>]: Omit<WireChange, 'surface'>[K] };

export interface SurfaceStats {
  readonly surface: SurfaceControl;
  /** Frame number of the buffer this transaction put on screen for the surface (0 if none). */
  readonly frameNumber: number;
  /** When that buffer's acquire fence signalled (CLOCK_MONOTONIC ms); -1 if no buffer. */
  readonly acquireTime: number;
  /** When the buffer it replaced was released; -1 if not yet. */
  readonly previousReleaseTime: number;
}

export interface TransactionStats {
  /** When the transaction was applied and its buffers latched (CLOCK_MONOTONIC ms). */
  readonly latchTime: number;
  /** When the frame reached the display; -1 in commit callbacks. */
  readonly presentTime: number;
  /** Surfaces of the transaction that still exist (destroyed ones are left out). */
  readonly surfaces: readonly SurfaceStats[];
}

export type TransactionCallback = (stats: TransactionStats) => void;

/** What a Transaction needs from the connection. */
export interface TransactionLink extends SurfaceLink {
  readonly callbacks: CallbackRegistry;
}

/** Per connection: callback ids sent with transactions, and the events that fire them. */
export class CallbackRegistry {
  readonly #callbacks = new Map<number, { fns: TransactionCallback[]; surfaces: Map<number, SurfaceControl> }>();
  #nextId = 1;

  constructor(private readonly link: SurfaceLink) {
    link.onObjectEvent(0, (event) => this.#onEvent(event));
  }

  register(fns: TransactionCallback[], surfaces: Map<number, SurfaceControl>): number {
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    this.#callbacks.set(id, { fns, surfaces });
    return id;
  }

  forget(id: number): void {
    this.#callbacks.delete(id);
  }

  #onEvent(event: EventMessage): void {
    if (event.name !== 'transactionCommitted' && event.name !== 'transactionCompleted') return;
    const entry = this.#callbacks.get(event.args.callbackId);
    if (!entry) return;
    this.#callbacks.delete(event.args.callbackId);
    const stats: TransactionStats =
      event.name === 'transactionCommitted'
        ? { latchTime: event.args.latchTime, presentTime: -1, surfaces: [] }
        : {
            latchTime: event.args.latchTime,
            presentTime: event.args.presentTime,
            surfaces: event.args.surfaces.flatMap((s) => {
              const surface = entry.surfaces.get(s.surface);
              return surface ? [{ surface, frameNumber: s.frameNumber, acquireTime: s.acquireTime, previousReleaseTime: s.previousReleaseTime }] : [];
            }),
          };
    for (const fn of entry.fns) {
      try {
        fn(stats);
      } catch (error) {
        this.link.reportError(new StratumError('INVALID_OPERATION', `a transaction callback threw: ${String(error)}`));
      }
    }
  }
}

const EMPTY_RECT: Rect = { left: 0, top: 0, right: 0, bottom: 0 };

export class Transaction {
  #changes = new Map<SurfaceControl, Change>();
  #buffers = new Map<SurfaceControl, DequeuedBuffer>();
  #desiredPresentTime: number | undefined;
  #commitCallbacks: TransactionCallback[] = [];
  #completeCallbacks: TransactionCallback[] = [];

  /** @internal StratumClient.transaction(). */
  constructor(private readonly link: TransactionLink) {}

  #change(sc: SurfaceControl): Change {
    if (sc.destroyed) throw new StratumError('DEAD_OBJECT', `surface ${sc.id} (${sc.name}) was destroyed`);
    let change = this.#changes.get(sc);
    if (!change) {
      change = {};
      this.#changes.set(sc, change);
    }
    return change;
  }

  setPosition(sc: SurfaceControl, x: number, y: number): this {
    this.#change(sc).position = { x, y };
    return this;
  }

  /** x' = dsdx*x + dtdy*y, y' = dtdx*x + dsdy*y. */
  setMatrix(sc: SurfaceControl, dsdx: number, dtdx: number, dtdy: number, dsdy: number): this {
    this.#change(sc).matrix = { dsdx, dtdx, dtdy, dsdy };
    return this;
  }

  /** z among siblings; clears a relative z. */
  setLayer(sc: SurfaceControl, z: number): this {
    const change = this.#change(sc);
    change.z = z;
    delete change.relativeZ;
    return this;
  }

  setRelativeLayer(sc: SurfaceControl, relativeTo: SurfaceControl, z: number): this {
    const change = this.#change(sc);
    change.relativeZ = { relativeTo: relativeTo.id, z };
    delete change.z;
    return this;
  }

  setLayerStack(sc: SurfaceControl, layerStack: number): this {
    this.#change(sc).layerStack = layerStack;
    return this;
  }

  /** A new parent; 'root' = top level of the layer stack; null = offscreen (kept, not drawn). */
  reparent(sc: SurfaceControl, parent: SurfaceControl | 'root' | null): this {
    this.#change(sc).parent = parent === 'root' ? 0 : parent === null ? NO_PARENT : parent.id;
    return this;
  }

  /** In layer space; null removes the crop. */
  setCrop(sc: SurfaceControl, crop: Rect | null): this {
    this.#change(sc).crop = crop ?? EMPTY_RECT;
    return this;
  }

  /** Source rectangle in the buffer; null = the queued frame's crop or the whole buffer. */
  setBufferCrop(sc: SurfaceControl, crop: Rect | null): this {
    this.#change(sc).bufferCrop = crop ?? EMPTY_RECT;
    return this;
  }

  setBufferTransform(sc: SurfaceControl, transform: Transform): this {
    this.#change(sc).bufferTransform = transform;
    return this;
  }

  setScalingMode(sc: SurfaceControl, mode: ScalingMode): this {
    this.#change(sc).scalingMode = mode;
    return this;
  }

  /** The layer's window size for the scaling mode; null = the buffer's own size. */
  setSize(sc: SurfaceControl, size: { width: number; height: number } | null): this {
    this.#change(sc).size = size ?? { width: 0, height: 0 };
    return this;
  }

  setAlpha(sc: SurfaceControl, alpha: number): this {
    this.#change(sc).alpha = alpha;
    return this;
  }

  /** Fill of a color layer, channels 0..1. */
  setColor(sc: SurfaceControl, color: { r: number; g: number; b: number }): this {
    this.#change(sc).color = { r: color.r, g: color.g, b: color.b };
    return this;
  }

  /** Sets the LayerFlag bits of `mask` to those of `flags`. */
  setFlags(sc: SurfaceControl, flags: number, mask: number): this {
    const change = this.#change(sc);
    const prior = change.flags ?? { flags: 0, mask: 0 };
    change.flags = { flags: (prior.flags & ~mask) | (flags & mask), mask: prior.mask | mask };
    return this;
  }

  show(sc: SurfaceControl): this {
    return this.setFlags(sc, 0, LayerFlag.HIDDEN);
  }

  hide(sc: SurfaceControl): this {
    return this.setFlags(sc, LayerFlag.HIDDEN, LayerFlag.HIDDEN);
  }

  setOpaque(sc: SurfaceControl, opaque: boolean): this {
    return this.setFlags(sc, opaque ? LayerFlag.OPAQUE : 0, LayerFlag.OPAQUE);
  }

  setSecure(sc: SurfaceControl, secure: boolean): this {
    return this.setFlags(sc, secure ? LayerFlag.SECURE : 0, LayerFlag.SECURE);
  }

  setSkipScreenshot(sc: SurfaceControl, skip: boolean): this {
    return this.setFlags(sc, skip ? LayerFlag.SKIP_SCREENSHOT : 0, LayerFlag.SKIP_SCREENSHOT);
  }

  /** Buffer pixels are not premultiplied by alpha (blended with COVERAGE). */
  setNonPremultiplied(sc: SurfaceControl, nonPremultiplied: boolean): this {
    return this.setFlags(sc, nonPremultiplied ? LayerFlag.NON_PREMULTIPLIED : 0, LayerFlag.NON_PREMULTIPLIED);
  }

  /** Where the layer has content (layer space); null = everywhere. */
  setVisibleRegionHint(sc: SurfaceControl, rects: readonly Rect[] | null): this {
    this.#change(sc).visibleRegionHint = [...(rects ?? [])];
    return this;
  }

  /** What changed in the buffer set by this transaction (buffer pixels); null = all. */
  setSurfaceDamage(sc: SurfaceControl, rects: readonly Rect[] | null): this {
    this.#change(sc).surfaceDamage = [...(rects ?? [])];
    return this;
  }

  /**
   * Shows a dequeued buffer of `sc`'s own surface from the frame this transaction applies (instead
   * of queueing it). It comes back through the surface's buffer-released event.
   */
  setBuffer(sc: SurfaceControl, dequeued: DequeuedBuffer): this {
    const change = this.#change(sc);
    const previous = this.#buffers.get(sc);
    if (previous && previous.slot !== dequeued.slot) this.#cancel(sc, previous);
    change.buffer = { slot: dequeued.slot };
    this.#buffers.set(sc, dequeued);
    return this;
  }

  /** Do not apply before this CLOCK_MONOTONIC time (ms); more than 1 s ahead counts as now. */
  setDesiredPresentTime(time: number): this {
    this.#desiredPresentTime = time;
    return this;
  }

  /** Called when the transaction was applied and its buffers latched (always before complete). */
  addCommitCallback(callback: TransactionCallback): this {
    this.#commitCallbacks.push(callback);
    return this;
  }

  /** Called after the frame showing the transaction was presented, with per-surface stats. */
  addCompleteCallback(callback: TransactionCallback): this {
    this.#completeCallbacks.push(callback);
    return this;
  }

  /**
   * Folds `other` into this one (later wins per field) and empties it, as if it had been applied.
   * A buffer merged over is given back to its surface at once (cancelled).
   */
  merge(other: Transaction): this {
    if (other === this) return this;
    for (const [sc, change] of other.#changes) {
      const mine = this.#change(sc);
      const flags = mine.flags;
      Object.assign(mine, change);
      if (change.z !== undefined) delete mine.relativeZ;
      if (change.relativeZ !== undefined) delete mine.z;
      if (flags && change.flags) {
        mine.flags = { flags: (flags.flags & ~change.flags.mask) | (change.flags.flags & change.flags.mask), mask: flags.mask | change.flags.mask };
      }
    }
    for (const [sc, buffer] of other.#buffers) {
      const previous = this.#buffers.get(sc);
      if (previous && previous.slot !== buffer.slot) this.#cancel(sc, previous);
      this.#buffers.set(sc, buffer);
    }
    if (other.#desiredPresentTime !== undefined) this.#desiredPresentTime = other.#desiredPresentTime;
    this.#commitCallbacks.push(...other.#commitCallbacks);
    this.#completeCallbacks.push(...other.#completeCallbacks);
    other.#clear();
    return this;
  }

  /** Sends the transaction; resolves once the server accepted it (every field checked). The transaction is emptied. */
  async apply(): Promise<void> {
    const surfaces = new Map<number, SurfaceControl>();
    const changes: WireChange[] = [];
    for (const [sc, change] of this.#changes) {
      surfaces.set(sc.id, sc);
      changes.push({ surface: sc.id, ...change });
    }
    for (const [sc, dequeued] of this.#buffers) sc.surface.takeDequeued(dequeued.slot);
    const registry = this.link.callbacks;
    const commitId = this.#commitCallbacks.length > 0 ? registry.register(this.#commitCallbacks, surfaces) : undefined;
    const completeId = this.#completeCallbacks.length > 0 ? registry.register(this.#completeCallbacks, surfaces) : undefined;
    const desiredPresentTime = this.#desiredPresentTime;
    this.#clear();
    try {
      await this.link.request('applyTransaction', 0, {
        changes,
        ...(desiredPresentTime !== undefined ? { desiredPresentTime } : {}),
        ...(commitId !== undefined ? { commitCallbackId: commitId } : {}),
        ...(completeId !== undefined ? { completeCallbackId: completeId } : {}),
      });
    } catch (error) {
      if (commitId !== undefined) registry.forget(commitId);
      if (completeId !== undefined) registry.forget(completeId);
      throw error;
    }
  }

  #cancel(sc: SurfaceControl, dequeued: DequeuedBuffer): void {
    sc.surface.cancelBuffer(dequeued).catch((error: unknown) => {
      this.link.reportError(error instanceof StratumError ? error : new StratumError('INVALID_OPERATION', String(error)));
    });
  }

  #clear(): void {
    this.#changes = new Map();
    this.#buffers = new Map();
    this.#desiredPresentTime = undefined;
    this.#commitCallbacks = [];
    this.#completeCallbacks = [];
  }
}
