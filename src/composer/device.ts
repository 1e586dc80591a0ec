// The reference software Composer device. It keeps per-display layer state, plans planes on
// validate (planner.ts), and on present "scans out": it composes its planes (the client target,
// overlay planes, the cursor plane and solid fills) into the display's framebuffer with the
// native renderer, inside the frame's damage. That cost is the device's, counted apart from the
// renderer work the compositor spends on CLIENT layers.
import { PixelFormat, Transform, isTransform } from '../buffer/index.js';
import type { GraphicBuffer } from '../buffer/index.js';
import type { HeadlessDisplay } from '../display/display.js';
import { StratumError } from '../os/status.js';
import { Fence, NO_FENCE, monotonicNow } from '../queue/fence.js';
import type { Rect } from '../region/rect.js';
import { rectsEqual } from '../region/rect.js';
import { Region } from '../region/region.js';
import { Renderer, contentRenderLayer } from '../render/index.js';
import type { RenderLayer, RenderStats, RenderTarget } from '../render/index.js';
import type { Plan, PlaneSlot } from './planner.js';
import { DEFAULT_CURSOR_LIMITS, DEFAULT_OVERLAY_PLANES, DEFAULT_PLANE_LIMITS, planComposition } from './planner.js';
import type {
  ComposerCallback,
  ComposerDisplayDump,
  ComposerDisplayId,
  ComposerLayerId,
  ComposerLayerState,
  LayerBlendMode,
  PlaneLimits,
  PresentResult,
  ValidateResult,
} from './types.js';
import { Capability, Composition, PowerMode, isPerFrameField } from './types.js';

/** What the device uses to draw its planes (src/render's Renderer satisfies it). */
export interface ScanoutRenderer {
  compose(target: RenderTarget, layers: readonly RenderLayer[], clip?: readonly Rect[]): Promise<RenderStats>;
}

export interface SoftwareComposerOptions {
  /** Overlay planes per display, 1..16 (the client target takes one when anything is CLIENT). Default 4. */
  readonly planes?: number;
  /** Limits of every overlay plane, or one entry per plane. Default DEFAULT_PLANE_LIMITS. */
  readonly planeLimits?: PlaneLimits | readonly PlaneLimits[];
  /** The cursor plane's limits; null = no cursor plane. Default DEFAULT_CURSOR_LIMITS. */
  readonly cursor?: PlaneLimits | null;
  /** Draws the planes at scan-out. Default: a Renderer with one thread. */
  readonly scanout?: ScanoutRenderer;
}

const MAX_PLANES = 16;
const BLACK = { r: 0, g: 0, b: 0, a: 255 } as const;

const DEFAULT_LAYER_STATE: ComposerLayerState = Object.freeze({
  buffer: null,
  acquireFence: NO_FENCE,
  blendMode: 'PREMULTIPLIED',
  planeAlpha: 1,
  sourceCrop: { left: 0, top: 0, right: 0, bottom: 0 },
  displayFrame: { left: 0, top: 0, right: 0, bottom: 0 },
  transform: Transform.NONE,
  visibleRegion: Region.EMPTY,
  surfaceDamage: Region.EMPTY,
  z: 0,
  color: { r: 0, g: 0, b: 0 },
  compositionType: Composition.DEVICE,
});

const BLEND_MODES: readonly LayerBlendMode[] = ['NONE', 'PREMULTIPLIED', 'COVERAGE'];

export class SoftwareComposer {
  readonly planeLimits: readonly PlaneLimits[];
  readonly cursorLimits: PlaneLimits | null;
  readonly capabilities: ReadonlySet<Capability>;
  readonly #scanout: ScanoutRenderer;
  readonly #displays = new Map<ComposerDisplayId, ComposerDisplay>();
  #callbacks: ComposerCallback[] = [];

  constructor(options: SoftwareComposerOptions = {}) {
    const count = options.planes ?? DEFAULT_OVERLAY_PLANES;
    if (!Number.isInteger(count) || count < 1 || count > MAX_PLANES) throw new StratumError('BAD_VALUE', `planes must be an integer in 1..${MAX_PLANES}, got ${String(count)}`);
    const limits = options.planeLimits ?? DEFAULT_PLANE_LIMITS;
    if (Array.isArray(limits)) {
      const list = limits as readonly PlaneLimits[];
      if (list.length !== count) throw new StratumError('BAD_VALUE', `planeLimits has ${list.length} entries for ${count} planes`);
      this.planeLimits = list.map(checkLimits);
    } else {
      this.planeLimits = Array.from({ length: count }, () => checkLimits(limits as PlaneLimits));
    }
    this.cursorLimits = options.cursor === undefined ? DEFAULT_CURSOR_LIMITS : options.cursor === null ? null : checkLimits(options.cursor);
    this.#scanout = options.scanout ?? new Renderer({ threads: 1 });
    const caps: Capability[] = [Capability.SKIP_VALIDATE, Capability.SOLID_COLOR, Capability.CLIENT_TARGET_CACHE, Capability.VIRTUAL_DISPLAY_OUTPUT];
    if (this.cursorLimits) caps.push(Capability.CURSOR_PLANE);
    this.capabilities = new Set(caps);
  }

  /** Receives hotplug, VSync and refresh callbacks; every display already attached is reported connected at once. */
  registerCallback(callback: ComposerCallback): () => void {
    this.#callbacks.push(callback);
    for (const id of this.#displays.keys()) callback.onHotplug?.(id, true);
    return () => {
      this.#callbacks = this.#callbacks.filter((c) => c !== callback);
    };
  }

  /** Takes over scan-out of a display the system already drives (power left as it is). */
  attachDisplay(target: HeadlessDisplay): ComposerDisplay {
    if (this.#displays.has(target.id)) throw new StratumError('INVALID_OPERATION', `display ${target.id} is already attached to the composer`);
    const display = new ComposerDisplay(this, target, this.#scanout);
    this.#displays.set(target.id, display);
    this.#emit((c) => c.onHotplug?.(target.id, true));
    return display;
  }

  /** A display plugged in while running: it starts powered off, with VSync disabled. */
  hotplugConnect(target: HeadlessDisplay): ComposerDisplay {
    target.setPowerMode(PowerMode.OFF);
    return this.attachDisplay(target);
  }

  /** A display unplugged: its composer state goes away (the compositor drops its output; layers stay). */
  hotplugDisconnect(id: ComposerDisplayId): void {
    const display = this.#displays.get(id);
    if (!display) throw new StratumError('NAME_NOT_FOUND', `no composer display ${id}`);
    display.dispose();
    this.#displays.delete(id);
    this.#emit((c) => c.onHotplug?.(id, false));
  }

  /** Stops driving a display without reporting a hotplug (the compositor dropped it). */
  detachDisplay(id: ComposerDisplayId): void {
    this.#displays.get(id)?.dispose();
    this.#displays.delete(id);
  }

  hasDisplay(id: ComposerDisplayId): boolean {
    return this.#displays.has(id);
  }

  display(id: ComposerDisplayId): ComposerDisplay {
    const display = this.#displays.get(id);
    if (!display) throw new StratumError('NAME_NOT_FOUND', `no composer display ${id}`);
    return display;
  }

  get displays(): readonly ComposerDisplay[] {
    return [...this.#displays.values()];
  }

  dump(): ComposerDisplayDump[] {
    return this.displays.map((d) => d.dump());
  }

  dispose(): void {
    for (const d of this.#displays.values()) d.dispose();
    this.#displays.clear();
    this.#callbacks = [];
  }

  /** @internal */
  emitVsync(id: ComposerDisplayId, timestamp: number, period: number): void {
    this.#emit((c) => c.onVsync?.(id, timestamp, period));
  }

  /** @internal */
  emitRefresh(id: ComposerDisplayId): void {
    this.#emit((c) => c.onRefresh?.(id));
  }

  #emit(call: (c: ComposerCallback) => void): void {
    for (const c of [...this.#callbacks]) call(c);
  }
}

interface PresentedLayer {
  readonly type: Composition;
  readonly state: ComposerLayerState;
  readonly visible: Region;
  readonly buffer: GraphicBuffer | null;
}

interface ClientTarget {
  readonly buffer: GraphicBuffer | null;
  readonly acquireFence: Fence;
  damage: Region;
}

/** One display as the device sees it: its layers, the plan, the client target and presents. */
export class ComposerDisplay {
  readonly id: ComposerDisplayId;
  readonly target: HeadlessDisplay;
  readonly #device: SoftwareComposer;
  readonly #scanout: ScanoutRenderer;
  readonly #layers = new Map<ComposerLayerId, ComposerLayerState>();
  #nextLayerId = 1;
  #needsValidate = true;
  #pending: Plan | null = null;
  #plan: Plan | null = null;
  #validatedSincePresent = false;
  #clientTarget: ClientTarget | null = null;
  #outputBuffer: GraphicBuffer | null = null;
  #presented = new Map<ComposerLayerId, PresentedLayer>();
  #presentedWithClientTarget: boolean | null = null;
  #presentedWidth = 0;
  #presentedHeight = 0;
  #vsyncEnabled = false;
  #vsyncTap: (() => void) | undefined;
  #presents = 0;
  #validates = 0;
  #skippedValidates = 0;
  #disposed = false;

  /** @internal SoftwareComposer.attachDisplay. */
  constructor(device: SoftwareComposer, target: HeadlessDisplay, scanout: ScanoutRenderer) {
    this.#device = device;
    this.id = target.id;
    this.target = target;
    this.#scanout = scanout;
  }

  get width(): number {
    return this.target.width;
  }

  get height(): number {
    return this.target.height;
  }

  get powerMode(): PowerMode {
    return this.target.powerMode;
  }

  get vsyncEnabled(): boolean {
    return this.#vsyncEnabled;
  }

  /** True when geometry changed since the last accepted validate (present would fail). */
  get needsValidate(): boolean {
    return this.#needsValidate;
  }

  /** The accepted plan (null before the first accept). */
  get plan(): Plan | null {
    return this.#plan;
  }

  // ---- layers --------------------------------------------------------------------------------

  createLayer(): ComposerLayerId {
    this.#checkLive();
    const id = this.#nextLayerId++;
    this.#layers.set(id, withLayerChanges(DEFAULT_LAYER_STATE, { z: id }));
    this.#needsValidate = true;
    return id;
  }

  destroyLayer(id: ComposerLayerId): void {
    this.#layerState(id);
    this.#layers.delete(id);
    this.#needsValidate = true;
  }

  get layerIds(): readonly ComposerLayerId[] {
    return [...this.#layers.keys()];
  }

  layerState(id: ComposerLayerId): ComposerLayerState {
    return this.#layerState(id);
  }

  /**
   * Changes some of a layer's state. Buffer, acquire fence and surface damage are per-frame and
   * need no new validate; any other field that really changes does.
   */
  setLayer(id: ComposerLayerId, changes: Partial<ComposerLayerState>): void {
    const current = this.#layerState(id);
    checkLayerChanges(id, changes);
    let geometryChanged = false;
    for (const key in changes) {
      const field = key as keyof ComposerLayerState;
      // A field given as undefined is left as it is (withLayerChanges), so it changes nothing.
      if (isPerFrameField(key) || changes[field] === undefined) continue;
      if (!sameValue(current[field], changes[field])) geometryChanged = true;
    }
    this.#layers.set(id, withLayerChanges(current, changes));
    if (geometryChanged) this.#needsValidate = true;
  }

  // ---- validate / accept / present --------------------------------------------------------------

  /** Plans the frame. Changed types are always DEVICE/SOLID_COLOR/CURSOR -> CLIENT; none = accepted at once. */
  validate(): ValidateResult {
    this.#checkLive();
    const layers = [...this.#layers.entries()].map(([id, state]) => ({ id, state })).sort((a, b) => drawOrder(a.id, a.state, b.id, b.state));
    const plan = planComposition({
      layers,
      planes: this.#device.planeLimits,
      cursor: this.#device.cursorLimits,
      width: this.width,
      height: this.height,
      previous: this.#plan,
    });
    this.#validates++;
    this.#validatedSincePresent = true;
    const changedTypes = new Map<ComposerLayerId, Composition>();
    for (const { id, state } of layers) {
      const type = plan.types.get(id);
      // CURSOR that landed on an overlay plane is still device-composed: not a change the client must act on.
      if (type === Composition.CLIENT && state.compositionType !== Composition.CLIENT) changedTypes.set(id, type);
    }
    this.#pending = plan;
    if (changedTypes.size === 0) this.acceptChanges();
    return { changedTypes, strategy: plan.strategy };
  }

  /** The plan's composition type of every layer (after validate). */
  compositionTypes(): ReadonlyMap<ComposerLayerId, Composition> {
    const plan = this.#pending ?? this.#plan;
    if (!plan) throw new StratumError('INVALID_OPERATION', `display ${this.id}: not validated`);
    return plan.types;
  }

  /** Takes the device's changes; present is valid afterwards. */
  acceptChanges(): void {
    if (!this.#pending) {
      if (this.#plan && !this.#needsValidate) return;
      throw new StratumError('INVALID_OPERATION', `display ${this.id}: acceptChanges before validate (NOT_VALIDATED)`);
    }
    this.#plan = this.#pending;
    this.#pending = null;
    this.#needsValidate = false;
  }

  /**
   * The buffer holding the CLIENT layers (RGBA_8888, display-sized), null when nothing is CLIENT.
   * `damage` is what changed on screen this frame (display space): the device redraws at least that.
   */
  setClientTarget(buffer: GraphicBuffer | null, acquireFence: Fence = NO_FENCE, damage: Region = Region.fromRect({ left: 0, top: 0, right: this.width, bottom: this.height })): void {
    this.#checkLive();
    if (buffer) {
      if (buffer.format !== PixelFormat.RGBA_8888) throw new StratumError('BAD_VALUE', `client target must be RGBA_8888, got ${buffer.formatName}`);
      if (buffer.width !== this.width || buffer.height !== this.height) {
        throw new StratumError('BAD_VALUE', `client target is ${buffer.width}x${buffer.height}, display ${this.id} is ${this.width}x${this.height}`);
      }
    }
    if (!(acquireFence instanceof Fence)) throw new StratumError('BAD_VALUE', 'client target acquire fence must be a Fence');
    if (!(damage instanceof Region)) throw new StratumError('BAD_VALUE', 'client target damage must be a Region');
    this.#clientTarget = { buffer, acquireFence, damage };
  }

  /** Virtual displays: where the next present writes the frame (RGBA_8888, display-sized); without one the frame is composed but not delivered. */
  setOutputBuffer(buffer: GraphicBuffer): void {
    this.#checkLive();
    if (buffer.format !== PixelFormat.RGBA_8888) throw new StratumError('BAD_VALUE', `output buffer must be RGBA_8888, got ${buffer.formatName}`);
    if (buffer.width !== this.width || buffer.height !== this.height) throw new StratumError('BAD_VALUE', `output buffer is ${buffer.width}x${buffer.height}, display ${this.id} is ${this.width}x${this.height}`);
    this.#outputBuffer = buffer;
  }

  /** Scans the frame out. Fails (INVALID_OPERATION) when geometry changed since the last accepted validate. */
  async present(): Promise<PresentResult> {
    this.#checkLive();
    const plan = this.#plan;
    if (!plan || this.#needsValidate || this.#pending) throw new StratumError('INVALID_OPERATION', `display ${this.id}: present before validate/accept (NOT_VALIDATED)`);
    if (this.powerMode === PowerMode.OFF) throw new StratumError('INVALID_OPERATION', `display ${this.id} is powered off`);
    const hasClient = plan.clientTargetPlane !== null && hasClientLayer(plan);
    const ct = this.#clientTarget;
    if (hasClient && !ct?.buffer) throw new StratumError('INVALID_OPERATION', `display ${this.id} has CLIENT layers but no client target`);
    const virtual = this.target.kind === 'virtual';
    // A virtual display without an output buffer still composes (its framebuffer stays current); the frame is just not delivered.
    const output = this.#outputBuffer;
    if (!this.#validatedSincePresent) this.#skippedValidates++;
    this.#validatedSincePresent = false;

    const screen: Rect = { left: 0, top: 0, right: this.width, bottom: this.height };
    // Loops rather than array chains: this runs every frame, damage-only frames included.
    const planeLayers: [ComposerLayerId, ComposerLayerState][] = [];
    for (const entry of this.#layers) if (plan.types.get(entry[0]) !== Composition.CLIENT) insertByZ(planeLayers, entry);
    const waits: Promise<number>[] = [];
    for (const [, s] of planeLayers) if (!s.acquireFence.signalled) waits.push(s.acquireFence.wait());
    if (ct?.buffer && !ct.acquireFence.signalled) waits.push(ct.acquireFence.wait());
    if (waits.length > 0) await Promise.all(waits);

    // Damage: what the client target says changed, plus every plane layer that moved, appeared, went or changed content.
    let damage = ct ? ct.damage : Region.EMPTY;
    if (this.#presentedWithClientTarget !== hasClient || this.#presentedWidth !== this.width || this.#presentedHeight !== this.height) damage = Region.fromRect(screen);
    const next = new Map<ComposerLayerId, PresentedLayer>();
    const releaseFences = new Map<ComposerLayerId, Fence>();
    const presentFence = new Fence(`present-d${this.id}-${this.#presents + 1}`);
    for (const [id, s] of planeLayers) {
      const type = plan.types.get(id) ?? Composition.DEVICE;
      const before = this.#presented.get(id);
      if (!before || !samePlacement(type, s, before)) damage = damage.union(s.visibleRegion).union(before?.visible ?? Region.EMPTY);
      else damage = damage.union(s.visibleRegion.xor(before.visible)).union(s.surfaceDamage);
      next.set(id, { type, state: s, visible: s.visibleRegion, buffer: s.buffer });
    }
    for (const [id, before] of this.#presented) if (!next.has(id)) damage = damage.union(before.visible);
    for (const [id, s] of this.#layers) {
      const before = this.#presented.get(id);
      if (before?.buffer && before.buffer !== s.buffer) releaseFences.set(id, presentFence);
    }
    damage = damage.intersect(screen);

    // Scan-out: client target (a straight copy) or the background, then planes bottom to top.
    const started = performance.now();
    let pixels = 0;
    if (!damage.isEmpty) {
      const layers: RenderLayer[] = [];
      if (hasClient && ct?.buffer) {
        layers.push({ kind: 'buffer', source: ct.buffer, crop: screen, dst: screen, blend: 'none', filter: 'nearest' });
      } else {
        // The damage no opaque plane covers, one plane at a time: no union of the planes is built.
        let clear = damage;
        for (const [, s] of planeLayers) if (s.blendMode === 'NONE') clear = clear.subtract(s.visibleRegion);
        if (!clear.isEmpty) layers.push({ kind: 'clear', color: BLACK, dst: clear.bounds(), clip: clear.rects() });
      }
      for (const [, s] of planeLayers) {
        const clip = s.visibleRegion.intersect(damage);
        if (clip.isEmpty) continue;
        layers.push(planeRenderLayer(s, clip.rects()));
      }
      const clip = damage.rects();
      const fb = this.target.framebuffer;
      const stats = await this.#scanout.compose(fb, layers, clip);
      pixels += stats.pixelsTouched;
    }
    if (virtual && output) {
      const stats = await this.#scanout.compose(output, [{ kind: 'buffer', source: this.target.framebuffer, crop: screen, dst: screen, blend: 'none', filter: 'nearest' }]);
      pixels += stats.pixelsTouched;
      this.#outputBuffer = null;
    }
    const elapsedMs = performance.now() - started;
    presentFence.signal(monotonicNow());

    this.#presented = next;
    this.#presentedWithClientTarget = hasClient;
    this.#presentedWidth = this.width;
    this.#presentedHeight = this.height;
    if (ct) ct.damage = Region.EMPTY;
    for (const [id, s] of this.#layers) if (!s.surfaceDamage.isEmpty) this.#layers.set(id, withLayerChanges(s, { surfaceDamage: Region.EMPTY }));
    this.#presents++;
    const planesUsed = overlayPlanesUsed(plan) + (hasClient ? 1 : 0);
    return { presentFence, releaseFences, scanout: { pixels, elapsedMs, planesUsed } };
  }

  // ---- power and VSync ----------------------------------------------------------------------------

  setPowerMode(mode: PowerMode): void {
    this.#checkLive();
    this.target.setPowerMode(mode);
    if (mode === PowerMode.OFF) this.setVsyncEnabled(false);
    else this.#device.emitRefresh(this.id);
  }

  /** VSync callbacks for this display (only while powered). */
  setVsyncEnabled(enabled: boolean): void {
    this.#checkLive();
    if (enabled === this.#vsyncEnabled) return;
    if (enabled && this.powerMode === PowerMode.OFF) throw new StratumError('INVALID_OPERATION', `display ${this.id} is off: power it on before enabling VSync`);
    this.#vsyncEnabled = enabled;
    const source = this.target.vsync;
    if (enabled) {
      this.#vsyncTap = source.observe((timestamp) => {
        if (!this.#vsyncEnabled) return;
        this.#device.emitVsync(this.id, timestamp, source.period);
        source.requestVsync();
      });
      source.requestVsync();
    } else {
      this.#vsyncTap?.();
      this.#vsyncTap = undefined;
    }
  }

  dump(): ComposerDisplayDump {
    const plan = this.#pending ?? this.#plan;
    const layers = [...this.#layers.entries()]
      .sort((a, b) => drawOrder(a[0], a[1], b[0], b[1]))
      .map(([id, s]) => {
        const slot: PlaneSlot | undefined = plan?.planes.get(id);
        return {
          layer: id,
          z: s.z,
          requested: s.compositionType,
          composition: plan?.types.get(id) ?? s.compositionType,
          plane: slot ?? null,
          refusal: plan?.refusals.get(id) ?? null,
        };
      });
    return {
      display: this.id,
      width: this.width,
      height: this.height,
      powerMode: this.powerMode,
      vsyncEnabled: this.#vsyncEnabled,
      virtual: this.target.kind === 'virtual',
      strategy: plan?.strategy ?? null,
      clientTargetPlane: plan && [...plan.types.values()].includes(Composition.CLIENT) ? plan.clientTargetPlane : null,
      presents: this.#presents,
      validates: this.#validates,
      skippedValidates: this.#skippedValidates,
      layers,
    };
  }

  /** @internal */
  dispose(): void {
    if (this.#disposed) return;
    this.#vsyncTap?.();
    this.#vsyncTap = undefined;
    this.#vsyncEnabled = false;
    this.#disposed = true;
    this.#layers.clear();
  }

  #checkLive(): void {
    if (this.#disposed) throw new StratumError('DEAD_OBJECT', `composer display ${this.id} is disconnected`);
  }

  #layerState(id: ComposerLayerId): ComposerLayerState {
    this.#checkLive();
    const state = this.#layers.get(id);
    if (!state) throw new StratumError('NAME_NOT_FOUND', `display ${this.id} has no composer layer ${String(id)}`);
    return state;
  }
}

/**
 * A layer's state with some fields replaced, built field by field: every state then has one
 * shape (a spread of two objects does not), which keeps the code reading states fast.
 */
function withLayerChanges(current: ComposerLayerState, changes: Partial<ComposerLayerState>): ComposerLayerState {
  return {
    buffer: changes.buffer === undefined ? current.buffer : changes.buffer,
    acquireFence: changes.acquireFence ?? current.acquireFence,
    blendMode: changes.blendMode ?? current.blendMode,
    planeAlpha: changes.planeAlpha ?? current.planeAlpha,
    sourceCrop: changes.sourceCrop ?? current.sourceCrop,
    displayFrame: changes.displayFrame ?? current.displayFrame,
    transform: changes.transform ?? current.transform,
    visibleRegion: changes.visibleRegion ?? current.visibleRegion,
    surfaceDamage: changes.surfaceDamage ?? current.surfaceDamage,
    z: changes.z ?? current.z,
    color: changes.color ?? current.color,
    compositionType: changes.compositionType ?? current.compositionType,
  };
}

/** Bottom to top: by z, ties by layer id (creation order). */
function drawOrder(a: ComposerLayerId, aState: ComposerLayerState, b: ComposerLayerId, bState: ComposerLayerState): number {
  return aState.z - bState.z || a - b;
}

/** Inserts a layer into a list kept in draw order; layers mostly arrive in order already. */
function insertByZ(list: [ComposerLayerId, ComposerLayerState][], entry: [ComposerLayerId, ComposerLayerState]): void {
  let at = list.length;
  while (at > 0) {
    const [id, state] = list[at - 1]!;
    if (drawOrder(id, state, entry[0], entry[1]) < 0) break;
    at--;
  }
  if (at === list.length) list.push(entry);
  else list.splice(at, 0, entry);
}

function hasClientLayer(plan: Plan): boolean {
  for (const type of plan.types.values()) if (type === Composition.CLIENT) return true;
  return false;
}

/** Distinct overlay planes a plan puts layers on (the cursor plane is not a number). */
function overlayPlanesUsed(plan: Plan): number {
  const used = new Set<number>();
  for (const slot of plan.planes.values()) if (typeof slot === 'number') used.add(slot);
  return used.size;
}

/** The layer lands where and how it did at the last present (content aside). */
function samePlacement(type: Composition, s: ComposerLayerState, before: PresentedLayer): boolean {
  const p = before.state;
  if (p === s) return before.type === type;
  return (
    before.type === type &&
    p.z === s.z &&
    rectsEqual(p.displayFrame, s.displayFrame) &&
    rectsEqual(p.sourceCrop, s.sourceCrop) &&
    p.transform === s.transform &&
    p.blendMode === s.blendMode &&
    p.planeAlpha === s.planeAlpha &&
    p.color.r === s.color.r &&
    p.color.g === s.color.g &&
    p.color.b === s.color.b &&
    (p.buffer === null) === (s.buffer === null)
  );
}

/** A plane's layer as the renderer draws it (the same mapping the compositor uses for CLIENT layers). */
export function planeRenderLayer(s: ComposerLayerState, clip: readonly Rect[]): RenderLayer {
  return contentRenderLayer(
    { buffer: s.buffer ?? undefined, color: s.color, crop: s.sourceCrop, frame: s.displayFrame, transform: s.transform, blendMode: s.blendMode, planeAlpha: s.planeAlpha },
    clip,
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Region && b instanceof Region) return a.equals(b);
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);
  }
  return false;
}

function isRect(r: unknown): r is Rect {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  return ['left', 'top', 'right', 'bottom'].every((k) => typeof o[k] === 'number' && Number.isFinite(o[k]));
}

function badLayerChange(id: ComposerLayerId, what: string): never {
  throw new StratumError('BAD_VALUE', `composer layer ${id}: ${what}`);
}

function checkLayerChanges(id: ComposerLayerId, c: Partial<ComposerLayerState>): void {
  if (typeof c !== 'object' || c === null) badLayerChange(id, 'changes must be an object');
  if (c.buffer !== undefined && c.buffer !== null && (typeof c.buffer !== 'object' || typeof c.buffer.format !== 'number')) badLayerChange(id, 'buffer must be a GraphicBuffer or null');
  if (c.acquireFence !== undefined && !(c.acquireFence instanceof Fence)) badLayerChange(id, 'acquireFence must be a Fence');
  if (c.blendMode !== undefined && !BLEND_MODES.includes(c.blendMode)) badLayerChange(id, `blendMode must be NONE, PREMULTIPLIED or COVERAGE, got ${String(c.blendMode)}`);
  if (c.planeAlpha !== undefined && !(typeof c.planeAlpha === 'number' && c.planeAlpha >= 0 && c.planeAlpha <= 1)) badLayerChange(id, `planeAlpha must be in 0..1, got ${String(c.planeAlpha)}`);
  if (c.sourceCrop !== undefined && !isRect(c.sourceCrop)) badLayerChange(id, 'sourceCrop must be a {left,top,right,bottom} of finite numbers');
  if (c.displayFrame !== undefined && (!isRect(c.displayFrame) || ![c.displayFrame.left, c.displayFrame.top, c.displayFrame.right, c.displayFrame.bottom].every(Number.isInteger))) {
    badLayerChange(id, 'displayFrame must be an integer {left,top,right,bottom}');
  }
  if (c.transform !== undefined && !isTransform(c.transform)) badLayerChange(id, `transform must be 0..7, got ${String(c.transform)}`);
  if (c.visibleRegion !== undefined && !(c.visibleRegion instanceof Region)) badLayerChange(id, 'visibleRegion must be a Region');
  if (c.surfaceDamage !== undefined && !(c.surfaceDamage instanceof Region)) badLayerChange(id, 'surfaceDamage must be a Region');
  if (c.z !== undefined && !Number.isInteger(c.z)) badLayerChange(id, `z must be an integer, got ${String(c.z)}`);
  if (c.color !== undefined && !(typeof c.color === 'object' && c.color !== null && [c.color.r, c.color.g, c.color.b].every((v) => typeof v === 'number' && v >= 0 && v <= 1))) badLayerChange(id, 'color channels must be in 0..1');
  if (c.compositionType !== undefined && !Object.values(Composition).includes(c.compositionType)) badLayerChange(id, `compositionType must be one of ${Object.values(Composition).join(', ')}, got ${String(c.compositionType)}`);
}

function checkLimits(limits: PlaneLimits): PlaneLimits {
  if (typeof limits !== 'object' || limits === null || !Array.isArray(limits.formats)) throw new StratumError('BAD_VALUE', 'plane limits must have a formats array');
  for (const side of [limits.maxWidth, limits.maxHeight]) {
    if (!Number.isInteger(side) || side < 1) throw new StratumError('BAD_VALUE', `plane limits maxWidth/maxHeight must be positive integers, got ${String(side)}`);
  }
  const formats: readonly PixelFormat[] = limits.formats;
  return Object.freeze({ ...limits, formats: Object.freeze(formats.slice()) });
}
