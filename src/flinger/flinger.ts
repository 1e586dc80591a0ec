// The Flinger: layers from many clients, transactions, and the frame that runs on VSync —
// apply ready transactions, latch at most one buffer per layer, snapshot each display, compose
// the damage, present, release, call back. VSync is on demand: the flinger asks its pacesetter
// display for a VSync only while something is pending, so an idle server runs no timers at all.
import { Usage } from '../buffer/index.js';
import type { Transform } from '../buffer/transform.js';
import { GraphicBuffer } from '../buffer/graphic-buffer.js';
import type { DisplayChange, HeadlessDisplay, Projection } from '../display/display.js';
import { StratumError, isStratumError } from '../os/status.js';
import { BufferQueue } from '../queue/buffer-queue.js';
import { Fence, NO_FENCE, monotonicNow } from '../queue/fence.js';
import type { AcquiredFrame, AllocateBuffer } from '../queue/types.js';
import { Renderer } from '../render/index.js';
import { rectsEqual } from '../region/rect.js';
import { Region } from '../region/region.js';
import type { CompositionEngine, RenderBackend } from './composition.js';
import { HwcComposition } from '../composer/engine.js';
import { captureDisplay } from './capture.js';
import type { CaptureOptions, CaptureResult } from './capture.js';
import { dumpText } from './dump.js';
import type { LatchedBuffer } from './layer.js';
import { Layer, applyProperties, checkChanges } from './layer.js';
import type { Snapshot } from './snapshot.js';
import { buildSnapshot, refreshSnapshot } from './snapshot.js';
import { Transaction } from './transaction.js';
import type {
  ApplyOptions,
  BufferSubmission,
  ClientId,
  DisplayDump,
  DisplayId,
  FlingerDump,
  LayerChanges,
  LayerDump,
  LayerHandle,
  LayerId,
  LayerSpec,
  OutputLayer,
  SurfaceStats,
  TransactionData,
  TransactionId,
  TransactionStats,
  VsyncEvent,
} from './types.js';
import { MAX_LAYERS, MAX_PENDING_TRANSACTIONS, MAX_PRESENT_AHEAD_MS, ROOT_LAYER } from './types.js';

export interface FlingerOptions {
  /** Displays to start with; the first is the pacesetter whose VSync drives frames. Default: one HeadlessDisplay. */
  readonly displays?: readonly HeadlessDisplay[];
  /** Draws CLIENT layers. Default: a src/render Renderer. */
  readonly renderer?: RenderBackend;
  /** The composition step. Default: HwcComposition (composer planning: overlay planes + a cached client target); ClientComposition composes everything with the renderer. */
  readonly composition?: (renderer: RenderBackend) => CompositionEngine;
  /** Time source for present times (monotonic ms). Tests driving a ManualVsyncSource pass its clock. */
  readonly clock?: () => number;
  /** Called with errors a frame could not recover from (default: console.error). */
  readonly onError?: (error: unknown) => void;
}

export interface ClientOptions {
  /** May change layers of other clients (the window manager). */
  readonly privileged?: boolean;
  /** Allocates the buffers of this client's layer queues (the server passes its accounting allocator). */
  readonly allocate?: AllocateBuffer;
}

/** What a display presented: given to onPresent listeners (viewer, recorder, benches). */
export interface PresentInfo {
  readonly display: HeadlessDisplay;
  readonly frame: number;
  readonly vsyncTime: number;
  readonly presentTime: number;
  /** What changed on screen this frame. */
  readonly damage: Region;
  readonly layers: readonly OutputLayer[];
  readonly pixelsComposed: number;
}

interface PendingTransaction {
  readonly id: TransactionId;
  readonly client: ClientState;
  readonly data: TransactionData;
  readonly options: ApplyOptions;
  readonly fences: readonly Fence[];
  fenceWatch: boolean;
}

interface AppliedTransaction {
  readonly tx: PendingTransaction;
  /** Layer -> fence of the buffer this transaction replaced. */
  readonly replaced: Map<LayerId, Fence | null>;
}

interface ClientState {
  readonly id: ClientId;
  readonly name: string;
  readonly privileged: boolean;
  readonly allocate: AllocateBuffer;
  readonly layers: Set<LayerId>;
  readonly pending: PendingTransaction[];
  disposed: boolean;
}

/** What a display's snapshot geometry depends on besides the layers. */
interface DisplaySetup {
  readonly width: number;
  readonly height: number;
  readonly layerStack: number;
  readonly projection: Projection;
}

function sameSetup(a: DisplaySetup, b: DisplaySetup): boolean {
  if (a.width !== b.width || a.height !== b.height || a.layerStack !== b.layerStack) return false;
  const p = a.projection;
  const q = b.projection;
  return p === q || (p.orientation === q.orientation && rectsEqual(p.layerStackRect, q.layerStackRect) && rectsEqual(p.displayRect, q.displayRect));
}

interface DisplayHistory {
  readonly snapshot: Snapshot;
  readonly setup: DisplaySetup;
  readonly frame: number;
  readonly vsyncTime: number;
  readonly presentTime: number;
  readonly damage: Region;
  readonly geometryGeneration: number;
}

const defaultAllocate: AllocateBuffer = (spec) => GraphicBuffer.allocate(spec);

export class Flinger {
  readonly #displays: HeadlessDisplay[] = [];
  readonly #layers = new Map<LayerId, Layer>();
  readonly #clients = new Map<ClientId, ClientState>();
  readonly #history = new Map<DisplayId, DisplayHistory>();
  readonly #displayWatch = new Map<DisplayId, () => void>();
  readonly #framesPresented = new Map<DisplayId, number>();
  readonly #waitingAcquire = new Map<LayerId, AcquiredFrame>();
  readonly #renderer: RenderBackend;
  readonly #engine: CompositionEngine;
  readonly #clock: () => number;
  readonly #onError: (error: unknown) => void;
  #vsyncListeners: ((event: VsyncEvent) => void)[] = [];
  #presentListeners = new Set<(info: PresentInfo) => void>();
  #nextLayerId = 1;
  #nextClientId = 1;
  #nextTransactionId = 1;
  #frameCount = 0;
  #vsyncCount = 0;
  #vsyncsMissed = 0;
  #inFlight = false;
  #again = false;
  /** Bumped by every change that can move, resize, reorder, show or hide anything (not by new buffer content). */
  #geometryGeneration = 0;
  /** When work was still pending at the end of a frame: the VSync the next frame should land on. */
  #wantedVsync: number | undefined;
  #settleWaiters: (() => void)[] = [];
  /** Signals when the last frame's composition finished: buffers replaced after it are free. */
  #lastFrameDone: Fence = NO_FENCE;
  /** Compositions in flight (the frame, captures): their fences signal when they stop reading buffers. */
  readonly #readers = new Set<Fence>();
  /** Work that must wait until nothing reads layer buffers (freeing a destroyed layer's queue). */
  #afterReaders: (() => void)[] = [];
  #disposed = false;

  constructor(options: FlingerOptions = {}) {
    this.#renderer = options.renderer ?? new Renderer();
    this.#engine = (options.composition ?? ((r) => new HwcComposition(r)))(this.#renderer);
    this.#clock = options.clock ?? monotonicNow;
    this.#onError = options.onError ?? ((error) => console.error('flinger frame failed:', error));
    for (const display of options.displays ?? []) this.addDisplay(display);
  }

  // ---- displays ---------------------------------------------------------------------------

  get displays(): readonly HeadlessDisplay[] {
    return this.#displays;
  }

  /** The display whose VSync drives frames (the first added). */
  get primaryDisplay(): HeadlessDisplay {
    const display = this.#displays[0];
    if (!display) throw new StratumError('NO_INIT', 'the flinger has no display');
    return display;
  }

  display(id: DisplayId): HeadlessDisplay {
    const display = this.#displays.find((d) => d.id === id);
    if (!display) throw new StratumError('NAME_NOT_FOUND', `no display ${id}`);
    return display;
  }

  addDisplay(display: HeadlessDisplay): void {
    if (this.#displays.includes(display)) throw new StratumError('INVALID_OPERATION', `display ${display.id} is already added`);
    this.#displays.push(display);
    if (this.#displays.length === 1) display.vsync.setCallback((t) => this.#onVsync(t));
    // Power, mode, projection and stack changes redraw the display; a rotation re-hints its producers.
    this.#displayWatch.set(display.id, display.onChange((change) => this.#onDisplayChange(display, change)));
    this.#scheduleFrame();
  }

  #onDisplayChange(display: HeadlessDisplay, change: DisplayChange): void {
    if (change === 'projection') {
      for (const layer of this.#layers.values()) {
        if (layer.queue && !layer.queue.abandoned && this.#rootStack(layer) === display.layerStack) layer.queue.consumer.setTransformHint(display.transformHint);
      }
    }
    if (this.#displays.includes(display)) this.invalidateDisplay(display.id);
  }

  /** How the producer of a layer should pre-rotate: the rotation of the first display showing its stack. */
  #transformHintOf(layer: Layer): Transform {
    const stack = this.#rootStack(layer);
    return this.#displays.find((d) => d.layerStack === stack)?.transformHint ?? 0;
  }

  /** The layer stack of a layer's root (null when offscreen). */
  #rootStack(layer: Layer): number | null {
    let at: Layer | undefined = layer;
    while (at && at.parent !== ROOT_LAYER) at = at.parent === null ? undefined : this.#layers.get(at.parent);
    return at ? at.props.layerStack : null;
  }

  /** Removes a display (its framebuffer stays the caller's). The pacesetter moves to the next one. */
  removeDisplay(id: DisplayId): void {
    const index = this.#displays.findIndex((d) => d.id === id);
    if (index < 0) throw new StratumError('NAME_NOT_FOUND', `no display ${id}`);
    const [display] = this.#displays.splice(index, 1);
    this.#history.delete(id);
    this.#displayWatch.get(id)?.();
    this.#displayWatch.delete(id);
    this.#engine.displayRemoved?.(id);
    if (index === 0 && display) {
      display.vsync.cancelVsync();
      display.vsync.setCallback(undefined);
      const next = this.#displays[0];
      if (next) next.vsync.setCallback((t) => this.#onVsync(t));
    }
    this.#scheduleFrame();
  }

  /** Forces a full recomposition of a display on the next frame (projection, power or stack changed outside). */
  invalidateDisplay(id: DisplayId): void {
    this.#history.delete(this.display(id).id);
    this.#scheduleFrame();
  }

  // ---- clients and layers -------------------------------------------------------------------

  createClient(name: string, options: ClientOptions = {}): FlingerClient {
    if (typeof name !== 'string' || name.length === 0 || name.length > 256) throw new StratumError('BAD_VALUE', 'client name must be a string of 1..256 characters');
    const state: ClientState = {
      id: this.#nextClientId++,
      name,
      privileged: options.privileged ?? false,
      allocate: options.allocate ?? defaultAllocate,
      layers: new Set(),
      pending: [],
      disposed: false,
    };
    this.#clients.set(state.id, state);
    return new FlingerClient(this, state);
  }

  /** @internal FlingerClient.createLayer. */
  createLayerFor(client: ClientState, spec: LayerSpec): LayerHandle {
    this.#checkClient(client);
    if (typeof spec !== 'object' || spec === null) throw new StratumError('BAD_VALUE', 'layer spec must be an object');
    if (typeof spec.name !== 'string' || spec.name.length === 0 || spec.name.length > 256) throw new StratumError('BAD_VALUE', 'layer name must be a string of 1..256 characters');
    if (!['buffer', 'color', 'container'].includes(spec.kind)) throw new StratumError('BAD_VALUE', `layer kind must be 'buffer', 'color' or 'container', got ${String(spec.kind)}`);
    if (this.#layers.size >= MAX_LAYERS) throw new StratumError('LIMIT_EXCEEDED', `the flinger already holds ${MAX_LAYERS} layers`);
    const parent = spec.parent === undefined ? ROOT_LAYER : spec.parent;
    if (parent !== null && parent !== ROOT_LAYER) this.#layerFor(client, parent, 'parent', false);
    const id = this.#nextLayerId++;
    let queue: BufferQueue | undefined;
    if (spec.kind === 'buffer') {
      const q = spec.queue ?? {};
      queue = new BufferQueue({
        allocate: client.allocate,
        name: `${spec.name}#${id}`,
        consumerUsage: Usage.RENDERER_TEXTURE | Usage.COMPOSER_OVERLAY,
        ...(q.width !== undefined ? { defaultWidth: q.width } : {}),
        ...(q.height !== undefined ? { defaultHeight: q.height } : {}),
        ...(q.queueSize !== undefined ? { queueSize: q.queueSize } : {}),
      });
      queue.consumer.connect({
        onFrameAvailable: () => this.#scheduleFrame(),
        onFrameReplaced: () => this.#scheduleFrame(),
      });
    }
    const layer = new Layer(id, spec.name, spec.kind, client.id, queue);
    try {
      if (spec.initial) applyProperties(layer, checkChanges(layer, spec.initial));
    } catch (error) {
      queue?.consumer.disconnect();
      throw error;
    }
    this.#layers.set(id, layer);
    client.layers.add(id);
    this.#setParent(layer, parent);
    this.#scheduleFrame();
    return { id, name: spec.name, kind: spec.kind, producer: queue?.producer };
  }

  /** @internal FlingerClient.apply. Checks everything now; applies on a later VSync. */
  applyFor(client: ClientState, data: TransactionData, options: ApplyOptions): TransactionId {
    this.#checkClient(client);
    if (client.pending.length >= MAX_PENDING_TRANSACTIONS) {
      throw new StratumError('LIMIT_EXCEEDED', `client ${client.name} already has ${MAX_PENDING_TRANSACTIONS} transactions waiting to apply`);
    }
    const checked = this.#checkTransaction(client, data);
    const fences: Fence[] = [];
    for (const { changes } of checked.layers) if (changes.buffer?.acquireFence) fences.push(changes.buffer.acquireFence);
    const tx: PendingTransaction = { id: this.#nextTransactionId++, client, data: checked, options, fences, fenceWatch: false };
    client.pending.push(tx);
    this.#scheduleFrame();
    return tx.id;
  }

  /** @internal FlingerClient.destroyLayer: takes effect at once (the next frame no longer shows it). */
  destroyLayerFor(client: ClientState, id: LayerId): void {
    this.#checkClient(client);
    this.#destroyLayer(this.#layerFor(client, id, 'layer', true));
    this.#scheduleFrame();
  }

  /** @internal FlingerClient.dispose: destroys the client's layers and drops its pending transactions. */
  disposeClient(client: ClientState): void {
    if (client.disposed) return;
    client.disposed = true;
    for (const tx of client.pending.splice(0)) releaseTransactionBuffers(tx.data);
    for (const id of [...client.layers]) {
      const layer = this.#layers.get(id);
      if (layer) this.#destroyLayer(layer);
    }
    this.#clients.delete(client.id);
    this.#scheduleFrame();
  }

  /** @internal FlingerClient.setTransformHint. */
  setTransformHintFor(client: ClientState, id: LayerId, hint: Transform): void {
    this.#checkClient(client);
    const layer = this.#layerFor(client, id, 'layer', true);
    if (!layer.queue) throw new StratumError('INVALID_OPERATION', `layer ${id} (${layer.name}) is a ${layer.kind} layer: it has no buffer queue`);
    layer.queue.consumer.setTransformHint(hint);
  }

  /** @internal */
  layerHandle(client: ClientState, id: LayerId): LayerHandle {
    const layer = this.#layerFor(client, id, 'layer', false);
    return { id: layer.id, name: layer.name, kind: layer.kind, producer: layer.queue?.producer };
  }

  // ---- VSync listeners, present listeners, waiting ---------------------------------------------

  /** Calls `listener` once at the next VSync of the pacesetter (Choreographer-style). Returns a cancel function. */
  requestNextVsync(listener: (event: VsyncEvent) => void): () => void {
    if (typeof listener !== 'function') throw new StratumError('BAD_VALUE', 'VSync listener must be a function');
    this.#vsyncListeners.push(listener);
    this.#scheduleFrame();
    return () => {
      this.#vsyncListeners = this.#vsyncListeners.filter((l) => l !== listener);
    };
  }

  /** Calls `listener` after every presented display frame. Returns an unsubscribe function. */
  onPresent(listener: (info: PresentInfo) => void): () => void {
    this.#presentListeners.add(listener);
    return () => this.#presentListeners.delete(listener);
  }

  /** Resolves when no frame is being composed (at once if none is). */
  settled(): Promise<void> {
    if (!this.#inFlight) return Promise.resolve();
    return new Promise((resolve) => this.#settleWaiters.push(resolve));
  }

  /** True while a VSync is requested or a frame is being composed. */
  get busy(): boolean {
    return this.#inFlight || this.#displays.some((d) => d.vsync.requested);
  }

  get frameCount(): number {
    return this.#frameCount;
  }

  /** VSyncs at which pending work could not run (a frame still in flight, or a late timer). */
  get vsyncsMissed(): number {
    return this.#vsyncsMissed;
  }

  // ---- capture and dump ------------------------------------------------------------------------

  /** The display's content as RGBA: secure layers black, skip-screenshot layers absent (unless options say otherwise). */
  async capture(displayId: DisplayId = this.primaryDisplay.id, options: CaptureOptions = {}): Promise<CaptureResult> {
    const display = this.display(displayId);
    return this.#reading('capture', () => captureDisplay(this.#layers, display, this.#renderer, options));
  }

  /** Runs a composition that reads layer buffers; releases and frees meanwhile wait for it. */
  async #reading<T>(label: string, work: () => Promise<T>): Promise<T> {
    const done = new Fence(label);
    this.#readers.add(done);
    try {
      return await work();
    } finally {
      this.#readers.delete(done);
      done.signal();
      if (this.#readers.size === 0) {
        for (const task of this.#afterReaders.splice(0)) task();
      }
    }
  }

  /** The fence a buffer released now goes back with: done when every composition reading it is. */
  #releaseFence(): Fence {
    if (this.#readers.size === 0) return this.#lastFrameDone;
    return Fence.merge('release', ...this.#readers);
  }

  dump(): FlingerDump {
    const layers: LayerDump[] = [...this.#layers.values()]
      .sort((a, b) => a.id - b.id)
      .map((layer) => ({
        id: layer.id,
        name: layer.name,
        kind: layer.kind,
        client: this.#clients.get(layer.clientId)?.name ?? `client-${layer.clientId}`,
        parent: layer.parent,
        children: [...layer.children].map((c) => c.id).sort((a, b) => a - b),
        properties: layer.props,
        buffer: layer.current
          ? {
              id: layer.current.buffer.id,
              width: layer.current.buffer.width,
              height: layer.current.buffer.height,
              format: layer.current.buffer.formatName,
              frameNumber: layer.current.frameNumber,
            }
          : null,
        framesLatched: layer.framesLatched,
        framesDropped: layer.framesDropped,
        queue: layer.queue ? layer.queue.dump() : null,
      }));
    const displays: DisplayDump[] = this.#displays.map((d) => {
      const h = this.#history.get(d.id);
      return {
        id: d.id,
        name: d.name,
        width: d.width,
        height: d.height,
        refreshRate: d.refreshRate,
        layerStack: d.layerStack,
        powerOn: d.powerOn,
        kind: d.kind,
        powerMode: d.powerMode,
        framesPresented: this.#framesPresented.get(d.id) ?? 0,
        vsyncsMissed: this.#vsyncsMissed,
        lastFrame: h
          ? {
              frame: h.frame,
              vsyncTime: h.vsyncTime,
              presentTime: h.presentTime,
              damage: h.damage.toJSON(),
              layers: h.snapshot.layers.map((l) => ({
                layer: l.layer,
                name: l.name,
                compositionType: l.compositionType,
                ...(l.compositionRefusal !== undefined ? { compositionRefusal: l.compositionRefusal } : {}),
                blendMode: l.blendMode,
                planeAlpha: l.planeAlpha,
                sourceCrop: l.sourceCrop,
                displayFrame: l.displayFrame,
                bufferTransform: l.bufferTransform,
                visibleRegion: l.visibleRegion.toJSON(),
                surfaceDamage: l.surfaceDamage.toJSON(),
              })),
              skipped: Object.fromEntries([...h.snapshot.skipped].map(([id, reason]) => [String(id), reason])),
            }
          : null,
      };
    });
    return {
      displays,
      layers,
      pendingTransactions: [...this.#clients.values()].reduce((n, c) => n + c.pending.length, 0),
      clients: [...this.#clients.values()].map((c) => ({ id: c.id, name: c.name, layers: c.layers.size })),
    };
  }

  dumpText(): string {
    return dumpText(this.dump());
  }

  /** Stops VSync, destroys every layer and client. Displays stay the caller's. */
  dispose(): void {
    if (this.#disposed) return;
    for (const client of [...this.#clients.values()]) this.disposeClient(client);
    this.#disposed = true;
    for (const d of this.#displays) {
      d.vsync.cancelVsync();
      d.vsync.setCallback(undefined);
    }
    this.#vsyncListeners = [];
    this.#presentListeners.clear();
    for (const unwatch of this.#displayWatch.values()) unwatch();
    this.#displayWatch.clear();
    this.#engine.dispose?.();
  }

  // ---- checking --------------------------------------------------------------------------------

  #checkClient(client: ClientState): void {
    if (this.#disposed) throw new StratumError('DEAD_OBJECT', 'the flinger has been disposed');
    if (client.disposed) throw new StratumError('DEAD_OBJECT', `client ${client.name} has been disposed`);
  }

  #layerFor(client: ClientState, id: LayerId, what: string, mustOwn: boolean): Layer {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new StratumError('BAD_VALUE', `${what} must be a layer id, got ${String(id)}`);
    const layer = this.#layers.get(id);
    if (!layer) throw new StratumError('NAME_NOT_FOUND', `${what} ${id} does not exist`);
    if (mustOwn && layer.clientId !== client.id && !client.privileged) {
      throw new StratumError('PERMISSION_DENIED', `layer ${id} (${layer.name}) belongs to another client`);
    }
    return layer;
  }

  #checkTransaction(client: ClientState, data: TransactionData): TransactionData {
    if (typeof data !== 'object' || data === null || !Array.isArray(data.layers)) throw new StratumError('BAD_VALUE', 'a transaction must be {layers: [...], destroy?, desiredPresentTime?}');
    if (data.desiredPresentTime !== undefined && !Number.isFinite(data.desiredPresentTime)) {
      throw new StratumError('BAD_VALUE', `desiredPresentTime must be a finite time in ms, got ${String(data.desiredPresentTime)}`);
    }
    const seen = new Set<LayerId>();
    const entries: readonly unknown[] = data.layers;
    const layers = entries.map((value) => {
      const entry = value as { layer: LayerId; changes: LayerChanges };
      if (typeof entry !== 'object' || entry === null) throw new StratumError('BAD_VALUE', 'transaction layers entries must be {layer, changes}');
      const layer = this.#layerFor(client, entry.layer, 'layer', true);
      if (seen.has(layer.id)) throw new StratumError('BAD_VALUE', `layer ${layer.id} appears twice in one transaction (merge them)`);
      seen.add(layer.id);
      const changes = checkChanges(layer, entry.changes);
      if (changes.parent !== undefined && changes.parent !== null && changes.parent !== ROOT_LAYER) {
        const parent = this.#layerFor(client, changes.parent, 'parent', false);
        if (this.#isAncestor(layer, parent)) throw new StratumError('BAD_VALUE', `layer ${parent.id} is a descendant of layer ${layer.id}: reparenting would make a cycle`);
      }
      if (changes.relativeZ) this.#layerFor(client, changes.relativeZ.relativeTo, 'relativeZ.relativeTo', false);
      return { layer: layer.id, changes };
    });
    const destroy = (data.destroy ?? []).map((id) => this.#layerFor(client, id, 'destroy', true).id);
    return { layers, destroy, ...(data.desiredPresentTime !== undefined ? { desiredPresentTime: data.desiredPresentTime } : {}) };
  }

  /** True when `ancestor` is `layer` or above it. */
  #isAncestor(ancestor: Layer, layer: Layer): boolean {
    for (let at: Layer | undefined = layer; at; at = at.parent === null || at.parent === ROOT_LAYER ? undefined : this.#layers.get(at.parent)) {
      if (at === ancestor) return true;
    }
    return false;
  }

  // ---- tree edits ------------------------------------------------------------------------------

  #setParent(layer: Layer, parent: LayerId | null): void {
    this.#geometryGeneration++;
    if (layer.parent !== null && layer.parent !== ROOT_LAYER) this.#layers.get(layer.parent)?.children.delete(layer);
    const target = parent !== null && parent !== ROOT_LAYER ? this.#layers.get(parent) : undefined;
    if (parent !== null && parent !== ROOT_LAYER && (!target || this.#isAncestor(layer, target))) {
      layer.parent = null; // the parent went away or would make a cycle: offscreen
      return;
    }
    layer.parent = parent;
    target?.children.add(layer);
  }

  #destroyLayer(layer: Layer): void {
    if (layer.destroyed) return;
    this.#geometryGeneration++;
    layer.destroyed = true;
    for (const child of [...layer.children]) this.#setParent(child, null);
    this.#setParent(layer, null);
    this.#releaseCurrent(layer, this.#releaseFence());
    const waiting = this.#waitingAcquire.get(layer.id);
    if (waiting) this.#waitingAcquire.delete(layer.id);
    // Abandoning the queue frees its buffers: never while a composition may still read them.
    const queue = layer.queue;
    if (queue) {
      if (this.#readers.size === 0) queue.consumer.disconnect();
      else this.#afterReaders.push(() => queue.consumer.disconnect());
    }
    this.#layers.delete(layer.id);
    this.#clients.get(layer.clientId)?.layers.delete(layer.id);
  }

  /** Gives the shown buffer back (queue release or the submitter's onRelease), returning its release fence. */
  #releaseCurrent(layer: Layer, fence: Fence): Fence | null {
    const current = layer.current;
    if (!current) return null;
    layer.current = undefined;
    this.#releaseBuffer(layer, current, fence);
    return fence;
  }

  #releaseBuffer(layer: Layer, latched: LatchedBuffer, fence: Fence): void {
    if (latched.origin.kind === 'transaction') {
      try {
        latched.origin.onRelease?.(fence);
      } catch (error) {
        this.#onError(error);
      }
      return;
    }
    if (!layer.queue || layer.queue.abandoned) return;
    try {
      layer.queue.consumer.release(latched.origin.slot, latched.frameNumber, fence);
    } catch (error) {
      // The slot was reallocated under us (producer reconnect): nothing left to give back.
      if (!isStratumError(error, 'STALE_BUFFER_SLOT')) this.#onError(error);
    }
  }

  /** Shows `next` instead of the current buffer; the replaced one goes back now. */
  #latch(layer: Layer, next: LatchedBuffer): Fence | null {
    if (!layer.current) this.#geometryGeneration++; // a first buffer: the layer appears
    if (layer.latchedThisFrame) layer.framesDropped++; // replaced before it was ever presented
    const replaced = this.#releaseCurrent(layer, this.#releaseFence());
    layer.current = next;
    layer.latchedThisFrame = true;
    layer.framesLatched++;
    return replaced;
  }

  // ---- the frame -------------------------------------------------------------------------------

  #scheduleFrame(): void {
    if (this.#disposed) return;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#displays[0]?.vsync.requestVsync();
  }

  #onVsync(vsyncTime: number): void {
    if (this.#disposed) return;
    this.#vsyncCount++;
    if (this.#inFlight) {
      this.#vsyncsMissed++;
      this.#again = true;
      return;
    }
    const period = this.#displays[0]?.period ?? 0;
    if (this.#wantedVsync !== undefined && period > 0 && vsyncTime > this.#wantedVsync + period / 2) {
      // Work was waiting, but this VSync is later than the one after the last frame: those in between were lost.
      this.#vsyncsMissed += Math.round((vsyncTime - this.#wantedVsync) / period);
    }
    this.#wantedVsync = undefined;
    this.#inFlight = true;
    void this.#frame(vsyncTime)
      .catch((error: unknown) => this.#onError(error))
      .finally(() => {
        this.#inFlight = false;
        for (const resolve of this.#settleWaiters.splice(0)) resolve();
        const again = this.#again || this.#hasPendingWork();
        this.#again = false;
        if (again) {
          this.#wantedVsync = vsyncTime + (this.#displays[0]?.period ?? 0);
          this.#scheduleFrame();
        }
      });
  }

  /** Work that needs another VSync (fence waits are not: they schedule when the fence signals). */
  #hasPendingWork(): boolean {
    if (this.#vsyncListeners.length > 0) return true;
    for (const client of this.#clients.values()) {
      const head = client.pending[0];
      if (head && head.fences.every((f) => f.signalled)) return true;
    }
    for (const layer of this.#layers.values()) {
      if (layer.queue && !layer.queue.abandoned && !this.#waitingAcquire.has(layer.id) && layer.queue.consumer.pendingFrames > 0) return true;
    }
    return false;
  }

  async #frame(vsyncTime: number): Promise<void> {
    const frame = ++this.#frameCount;
    const primary = this.#displays[0];
    if (!primary) return;
    const listeners = this.#vsyncListeners;
    this.#vsyncListeners = [];
    for (const listener of listeners) {
      try {
        listener({ display: primary.id, timestamp: vsyncTime, period: primary.period, vsyncId: this.#vsyncCount });
      } catch (error) {
        this.#onError(error);
      }
    }

    // 1. Commit: ready transactions in per-client order, then at most one queued buffer per layer.
    const applied = this.#applyReadyTransactions(vsyncTime);
    this.#latchQueuedBuffers(vsyncTime);
    for (const a of applied) this.#callback(a, 'commit', vsyncTime, -1, null);

    // 2-3. Snapshot, damage and composition of every display that is on.
    const infos: PresentInfo[] = [];
    for (const display of [...this.#displays]) {
      if (!display.powerOn) {
        this.#history.delete(display.id);
        continue;
      }
      const setup: DisplaySetup = { width: display.width, height: display.height, layerStack: display.layerStack, projection: display.projection };
      const previous = this.#history.get(display.id);
      const sameDisplay = previous !== undefined && sameSetup(previous.setup, setup);
      // Only buffer contents changed since this display's last frame: keep its geometry and visible regions.
      const reusable = sameDisplay && previous.geometryGeneration === this.#geometryGeneration;
      const snapshot =
        (reusable ? refreshSnapshot(previous.snapshot, this.#layers) : undefined) ??
        buildSnapshot(this.#layers, { width: display.width, height: display.height, projection: display.projectionTransform() }, {
          layerStack: display.layerStack,
          secure: display.secure,
          skipScreenshotLayers: display.skipScreenshotLayers,
        });
      const damage = sameDisplay ? frameDamage(previous.snapshot, snapshot) : Region.fromRect({ left: 0, top: 0, right: display.width, bottom: display.height });
      const clearRegion = damage.subtract(snapshot.opaqueRegion);
      const result = await this.#reading(`frame-${frame}`, () => this.#engine.present({ display, frame, vsyncTime, layers: snapshot.layers, damage, clearRegion }));
      const presentTime = Math.max(vsyncTime, this.#clock());
      this.#history.set(display.id, { snapshot, setup, frame, vsyncTime, presentTime, damage, geometryGeneration: this.#geometryGeneration });
      this.#framesPresented.set(display.id, (this.#framesPresented.get(display.id) ?? 0) + 1);
      infos.push({ display, frame, vsyncTime, presentTime, damage, layers: snapshot.layers, pixelsComposed: result.pixelsComposed });
    }

    // 4. Present: every buffer replaced from now on was last read by this frame, which is done.
    const presentTime = Math.max(vsyncTime, this.#clock());
    const presentFence = Fence.signalled(presentTime, `present-${frame}`);
    this.#lastFrameDone = presentFence;
    for (const layer of this.#layers.values()) layer.latchedThisFrame = false;
    for (const info of infos) {
      for (const listener of this.#presentListeners) {
        try {
          listener(info);
        } catch (error) {
          this.#onError(error);
        }
      }
    }
    for (const a of applied) this.#callback(a, 'complete', vsyncTime, presentTime, presentFence);
  }

  #applyReadyTransactions(vsyncTime: number): AppliedTransaction[] {
    const applied: AppliedTransaction[] = [];
    for (const client of this.#clients.values()) {
      while (client.pending.length > 0) {
        const tx = client.pending[0]!;
        const desired = tx.data.desiredPresentTime;
        if (desired !== undefined && desired > vsyncTime && desired <= vsyncTime + MAX_PRESENT_AHEAD_MS) break;
        if (!tx.fences.every((f) => f.signalled)) {
          if (!tx.fenceWatch) {
            tx.fenceWatch = true;
            void Promise.all(tx.fences.map((f) => f.wait())).then(() => this.#scheduleFrame());
          }
          break;
        }
        client.pending.shift();
        applied.push(this.#applyTransaction(tx));
      }
    }
    return applied;
  }

  #applyTransaction(tx: PendingTransaction): AppliedTransaction {
    const replaced = new Map<LayerId, Fence | null>();
    for (const id of tx.data.destroy ?? []) {
      const layer = this.#layers.get(id);
      if (layer) this.#destroyLayer(layer);
    }
    for (const { layer: id, changes } of tx.data.layers) {
      const layer = this.#layers.get(id);
      if (!layer) {
        releaseSubmission(changes.buffer);
        continue;
      }
      if (changes.parent !== undefined) this.#setParent(layer, changes.parent);
      if (Object.keys(changes).some((key) => key !== 'buffer' && key !== 'surfaceDamage')) this.#geometryGeneration++;
      applyProperties(layer, changes);
      replaced.set(id, null);
      if (changes.buffer === null) {
        this.#geometryGeneration++; // the layer stops drawing
        replaced.set(id, this.#releaseCurrent(layer, this.#releaseFence()));
      } else if (changes.buffer) {
        const sub: BufferSubmission = changes.buffer;
        const fence = sub.acquireFence ?? NO_FENCE;
        replaced.set(
          id,
          this.#latch(layer, {
            buffer: sub.buffer,
            frameNumber: sub.frameNumber ?? 0,
            acquireFence: fence,
            acquireTime: fence.signalTime ?? -1,
            crop: null,
            transform: 0,
            scalingMode: 0,
            // Damage describes this buffer only: a buffer given without it changed everywhere.
            damage: changes.surfaceDamage ?? null,
            origin: { kind: 'transaction', onRelease: sub.onRelease },
          }),
        );
      }
    }
    return { tx, replaced };
  }

  #latchQueuedBuffers(vsyncTime: number): void {
    for (const layer of this.#layers.values()) {
      const queue = layer.queue;
      if (!queue || queue.abandoned || layer.latchedThisFrame) continue;
      let frame = this.#waitingAcquire.get(layer.id);
      if (frame) {
        if (!frame.fence.signalled) continue;
        this.#waitingAcquire.delete(layer.id);
      } else {
        if (queue.consumer.pendingFrames === 0) continue;
        try {
          frame = queue.consumer.acquire({ presentTime: vsyncTime });
        } catch (error) {
          if (isStratumError(error, 'PRESENT_LATER') || isStratumError(error, 'NO_BUFFER_AVAILABLE')) continue;
          this.#onError(error);
          continue;
        }
        layer.framesDropped += frame.droppedFrames;
        if (this.#rejectedByFreeze(layer, frame)) {
          layer.framesDropped++;
          queue.consumer.release(frame.slot, frame.frameNumber, NO_FENCE);
          continue;
        }
        if (!frame.fence.signalled) {
          // Keep showing the current buffer until the producer's work is done.
          this.#waitingAcquire.set(layer.id, frame);
          void frame.fence.wait().then(() => this.#scheduleFrame());
          continue;
        }
      }
      this.#latch(layer, {
        buffer: frame.buffer,
        frameNumber: frame.frameNumber,
        acquireFence: frame.fence,
        acquireTime: frame.fence.signalTime ?? -1,
        crop: frame.crop,
        transform: frame.transform,
        scalingMode: frame.scalingMode,
        damage: frame.damage,
        origin: { kind: 'queue', slot: frame.slot },
      });
    }
  }

  /** FREEZE scaling: a buffer whose size does not match the layer's window size is not shown. */
  #rejectedByFreeze(layer: Layer, frame: AcquiredFrame): boolean {
    const size = layer.props.size;
    const mode = layer.props.scalingMode ?? frame.scalingMode;
    if (!size || mode !== 0) return false;
    const crop = layer.props.bufferCrop ?? (frame.crop.right > frame.crop.left ? frame.crop : { left: 0, top: 0, right: frame.buffer.width, bottom: frame.buffer.height });
    const transform = layer.props.bufferTransform ?? frame.transform;
    const w = crop.right - crop.left;
    const h = crop.bottom - crop.top;
    const [tw, th] = (transform & 4) !== 0 ? [h, w] : [w, h];
    return tw !== size.width || th !== size.height;
  }

  #callback(a: AppliedTransaction, kind: 'commit' | 'complete', latchTime: number, presentTime: number, presentFence: Fence | null): void {
    const callback = kind === 'commit' ? a.tx.options.onCommit : a.tx.options.onComplete;
    if (!callback) return;
    const surfaces: SurfaceStats[] = [];
    for (const [id, previousReleaseFence] of a.replaced) {
      const layer = this.#layers.get(id);
      if (!layer) continue; // destroyed: left out, the callback still fires
      surfaces.push({
        layer: id,
        acquireTime: layer.current ? layer.current.acquireFence.signalTime ?? -1 : -1,
        previousReleaseFence,
        frameNumber: layer.current?.frameNumber ?? 0,
        transformHint: this.#transformHintOf(layer),
      });
    }
    const stats: TransactionStats = { transaction: a.tx.id, latchTime, presentTime, presentFence, surfaces };
    try {
      callback(stats);
    } catch (error) {
      this.#onError(error);
    }
  }
}

/** Pixels that may differ between two snapshots of one display. */
export function frameDamage(before: Snapshot, after: Snapshot): Region {
  let damage = Region.EMPTY;
  for (const layer of after.layers) {
    const footprint = after.footprints.get(layer.layer) ?? Region.EMPTY;
    const oldKey = before.keys.get(layer.layer);
    const oldFootprint = before.footprints.get(layer.layer) ?? Region.EMPTY;
    if (oldKey === undefined) {
      damage = damage.union(footprint);
    } else if (oldKey !== after.keys.get(layer.layer) || !oldFootprint.equals(footprint)) {
      damage = damage.union(footprint).union(oldFootprint);
    } else if (!layer.surfaceDamage.isEmpty) {
      damage = damage.union(layer.surfaceDamage);
    }
  }
  for (const layer of before.layers) {
    if (!after.keys.has(layer.layer)) damage = damage.union(before.footprints.get(layer.layer) ?? Region.EMPTY);
  }
  return damage;
}

function releaseSubmission(sub: BufferSubmission | null | undefined): void {
  sub?.onRelease?.(NO_FENCE);
}

function releaseTransactionBuffers(data: TransactionData): void {
  for (const { changes } of data.layers) releaseSubmission(changes.buffer);
}

/** A client's face: its layers and its transactions (applied in the order given). */
export class FlingerClient {
  readonly #flinger: Flinger;
  readonly #state: ClientState;

  /** @internal Flinger.createClient. */
  constructor(flinger: Flinger, state: ClientState) {
    this.#flinger = flinger;
    this.#state = state;
  }

  get id(): ClientId {
    return this.#state.id;
  }

  get name(): string {
    return this.#state.name;
  }

  get disposed(): boolean {
    return this.#state.disposed;
  }

  createLayer(spec: LayerSpec): LayerHandle {
    return this.#flinger.createLayerFor(this.#state, spec);
  }

  /** A layer this client may use (own, or any for a privileged client). */
  layer(id: LayerId): LayerHandle {
    return this.#flinger.layerHandle(this.#state, id);
  }

  /** The ids of this client's live layers. */
  get layers(): readonly LayerId[] {
    return [...this.#state.layers];
  }

  /**
   * Queues a transaction: checked now (StratumError on any bad field), applied atomically on the
   * first VSync where it is ready, after this client's earlier transactions. A Transaction
   * builder is emptied (its buffers now belong to the flinger).
   */
  apply(transaction: TransactionData | Transaction, options: ApplyOptions = {}): TransactionId {
    const data = transaction instanceof Transaction ? transaction.toData() : transaction;
    const id = this.#flinger.applyFor(this.#state, data, options);
    if (transaction instanceof Transaction) transaction.clear();
    return id;
  }

  /** Destroys a layer now; its children go offscreen. */
  destroyLayer(id: LayerId): void {
    this.#flinger.destroyLayerFor(this.#state, id);
  }

  /** Tells a buffer layer's producer how to pre-rotate (the display's rotation; window manager). */
  setTransformHint(id: LayerId, hint: Transform): void {
    this.#flinger.setTransformHintFor(this.#state, id, hint);
  }

  /** Destroys every layer of the client (client death) and drops its pending transactions. */
  dispose(): void {
    this.#flinger.disposeClient(this.#state);
  }
}
