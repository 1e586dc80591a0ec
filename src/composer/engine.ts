// The flinger's composition step through the Composer (the HWC engine): each frame it mirrors the
// output layers into composer layers, validates (the device plans planes and turns what it cannot
// take into CLIENT), composes the CLIENT layers into the client target with the renderer — only
// where the client target's inputs changed, nothing at all when they did not — and presents.
// Virtual displays get their frame in a buffer of their output BufferQueue.
import { GraphicBuffer, PixelFormat, Usage } from '../buffer/index.js';
import type { DisplayId, LayerId, OutputLayer } from '../flinger/types.js';
import type { CompositionEngine, CompositionResult, DisplayFrame, RenderBackend } from '../flinger/composition.js';
import { toRenderLayers } from '../flinger/composition.js';
import type { HeadlessDisplay } from '../display/display.js';
import { VirtualDisplay } from '../display/virtual.js';
import { isStratumError } from '../os/status.js';
import { NO_FENCE } from '../queue/fence.js';
import type { Rect } from '../region/rect.js';
import { Region } from '../region/region.js';
import type { ComposerDisplay } from './device.js';
import { SoftwareComposer } from './device.js';
import type { ComposerLayerId, ComposerLayerState, FloatRect, PlanStrategy } from './types.js';
import { Composition } from './types.js';
import type { PER_FRAME_FIELDS } from './types.js';

export interface HwcCompositionOptions {
  /** The device; default a SoftwareComposer with 4 overlay planes and a cursor plane. */
  readonly composer?: SoftwareComposer;
  /** false: every layer is requested CLIENT (no planes but the client target): planning off, for comparison. */
  readonly planning?: boolean;
}

/** What one display's last frame cost, split between the renderer (CLIENT work) and the device (scan-out). */
export interface HwcFrameStats {
  readonly display: DisplayId;
  readonly frame: number;
  readonly strategy: PlanStrategy | null;
  readonly validated: boolean;
  readonly clientLayers: number;
  readonly planeLayers: number;
  /** Renderer calls for the client target this frame (0 when it was reused or nothing is CLIENT). */
  readonly rendererCalls: number;
  readonly rendererPixels: number;
  readonly rendererMs: number;
  readonly scanoutPixels: number;
  readonly scanoutMs: number;
  /** CLIENT layers existed and the previous client target was shown again untouched. */
  readonly clientTargetReused: boolean;
}

interface ClientTargetCache {
  readonly buffer: GraphicBuffer;
  /** Per CLIENT layer: what it looked like and where it showed when the target was last drawn. */
  layers: Map<LayerId, { key: string; visible: Region }>;
  clear: Region;
  valid: boolean;
}

interface EngineDisplay {
  readonly target: HeadlessDisplay;
  readonly hwc: ComposerDisplay;
  readonly layers: Map<LayerId, ComposerLayerId>;
  /** The state last given to each composer layer, to send only buffer and damage when nothing else changed. */
  readonly sent: Map<ComposerLayerId, ComposerLayerState>;
  cache: ClientTargetCache | null;
}

export class HwcComposition implements CompositionEngine {
  readonly composer: SoftwareComposer;
  readonly planning: boolean;
  readonly #renderer: RenderBackend;
  readonly #displays = new Map<DisplayId, EngineDisplay>();
  readonly #stats = new Map<DisplayId, HwcFrameStats>();
  readonly #ownsComposer: boolean;
  /** Displays this engine attached to the composer itself (not hotplugged): detached when the flinger drops them. */
  readonly #attached = new Set<DisplayId>();
  /** Renderer calls since creation (client target work only). */
  rendererCalls = 0;

  constructor(renderer: RenderBackend, options: HwcCompositionOptions = {}) {
    this.#renderer = renderer;
    this.#ownsComposer = options.composer === undefined;
    this.composer = options.composer ?? new SoftwareComposer();
    this.planning = options.planning ?? true;
    // An unplugged display's client target goes with it.
    this.#unregister = this.composer.registerCallback({
      onHotplug: (id, connected) => {
        if (connected) return;
        this.#displays.get(id)?.cache?.buffer.dispose();
        this.#displays.delete(id);
        this.#stats.delete(id);
        this.#attached.delete(id);
      },
    });
  }

  readonly #unregister: () => void;

  /** The last frame's figures for a display, undefined before its first frame. */
  lastFrame(display: DisplayId): HwcFrameStats | undefined {
    return this.#stats.get(display);
  }

  async present(frame: DisplayFrame): Promise<CompositionResult> {
    const ed = this.#displayFor(frame.display);
    const hwc = ed.hwc;

    // 1. Layer state: geometry changes mark the display for validate; buffers and damage do not.
    const ids: ComposerLayerId[] = [];
    let created = false;
    for (const out of frame.layers) {
      let id = ed.layers.get(out.layer);
      if (id === undefined) {
        id = hwc.createLayer();
        ed.layers.set(out.layer, id);
        created = true;
      }
      ids.push(id);
      const state = this.#stateOf(out);
      const sent = ed.sent.get(id);
      // Like SurfaceFlinger, only the per-frame fields go down when the geometry is the same.
      hwc.setLayer(id, sent !== undefined && sameGeometry(sent, state) ? { buffer: state.buffer, acquireFence: state.acquireFence, surfaceDamage: state.surfaceDamage } : state);
      ed.sent.set(id, state);
    }
    // Every layer of the frame is in ed.layers now: the same count and none new means none left.
    if (created || ed.layers.size !== frame.layers.length) {
      const live = new Set(frame.layers.map((out) => out.layer));
      for (const [layer, id] of ed.layers) {
        if (live.has(layer)) continue;
        hwc.destroyLayer(id);
        ed.layers.delete(layer);
        ed.sent.delete(id);
      }
    }

    // 2. Validate only when needed; the engine takes every change the device makes.
    const validated = hwc.needsValidate;
    if (validated) {
      hwc.validate();
      hwc.acceptChanges();
    }
    const plan = hwc.plan;
    const types = hwc.compositionTypes();
    const client: OutputLayer[] = [];
    for (let i = 0; i < frame.layers.length; i++) {
      const out = frame.layers[i]!;
      const id = ids[i]!;
      out.compositionType = types.get(id) ?? Composition.CLIENT;
      if (out.compositionType === Composition.CLIENT) client.push(out);
      const refusal = plan?.refusals.get(id);
      if (refusal !== undefined) out.compositionRefusal = refusal;
      else if (out.compositionRefusal !== undefined) delete out.compositionRefusal;
    }

    // 3. The client target (the CLIENT layers above): redrawn only where its inputs changed.
    let rendererCalls = 0;
    let rendererPixels = 0;
    let rendererMs = 0;
    let reused = false;
    if (client.length > 0) {
      const cache = this.#cacheFor(ed);
      const { damage, clear } = clientTargetDamage(cache, frame, client);
      if (damage.isEmpty) {
        reused = true;
      } else {
        const layers = toRenderLayers(client, damage, clear);
        const clip = damage.rects();
        const stats = await this.#renderer.compose(cache.buffer, layers, clip);
        rendererCalls = 1;
        rendererPixels = stats.pixelsTouched;
        rendererMs = stats.elapsedMs;
        this.rendererCalls++;
      }
      hwc.setClientTarget(cache.buffer, NO_FENCE, frame.damage.union(damage));
    } else {
      if (ed.cache) ed.cache.valid = false;
      hwc.setClientTarget(null, NO_FENCE, frame.damage);
    }

    // 4. Present (virtual displays: into a buffer of the output queue).
    const output = frame.display instanceof VirtualDisplay ? await dequeueOutput(frame.display) : undefined;
    if (output) hwc.setOutputBuffer(output.buffer);
    let result;
    try {
      result = await hwc.present();
    } catch (error) {
      if (output && frame.display instanceof VirtualDisplay) frame.display.output.cancel(output.slot);
      throw error;
    }
    if (output && frame.display instanceof VirtualDisplay) {
      queueOutput(frame.display, output.slot, result.presentFence.signalTime ?? frame.vsyncTime);
    }
    this.#stats.set(frame.display.id, {
      display: frame.display.id,
      frame: frame.frame,
      strategy: plan?.strategy ?? null,
      validated,
      clientLayers: client.length,
      planeLayers: frame.layers.length - client.length,
      rendererCalls,
      rendererPixels,
      rendererMs,
      scanoutPixels: result.scanout.pixels,
      scanoutMs: result.scanout.elapsedMs,
      clientTargetReused: reused,
    });
    return { pixelsComposed: rendererPixels };
  }

  displayRemoved(display: DisplayId): void {
    const ed = this.#displays.get(display);
    if (!ed) return;
    ed.cache?.buffer.dispose();
    this.#displays.delete(display);
    this.#stats.delete(display);
    if (this.#attached.delete(display)) this.composer.detachDisplay(display);
  }

  dispose(): void {
    this.#unregister();
    for (const ed of this.#displays.values()) ed.cache?.buffer.dispose();
    this.#displays.clear();
    if (this.#ownsComposer) this.composer.dispose();
  }

  #displayFor(display: HeadlessDisplay): EngineDisplay {
    let ed = this.#displays.get(display.id);
    if (ed && (ed.target !== display || !this.composer.hasDisplay(display.id))) {
      ed.cache?.buffer.dispose();
      this.#displays.delete(display.id);
      ed = undefined;
    }
    if (!ed) {
      let hwc: ComposerDisplay;
      if (this.composer.hasDisplay(display.id)) {
        hwc = this.composer.display(display.id);
      } else {
        hwc = this.composer.attachDisplay(display);
        this.#attached.add(display.id);
      }
      ed = { target: display, hwc, layers: new Map(), sent: new Map(), cache: null };
      for (const id of hwc.layerIds) hwc.destroyLayer(id);
      this.#displays.set(display.id, ed);
    }
    return ed;
  }

  #cacheFor(ed: EngineDisplay): ClientTargetCache {
    const { width, height } = ed.target;
    if (ed.cache && ed.cache.buffer.width === width && ed.cache.buffer.height === height) return ed.cache;
    ed.cache?.buffer.dispose();
    const buffer = GraphicBuffer.allocate({ width, height, format: PixelFormat.RGBA_8888, usage: Usage.RENDER_TARGET | Usage.COMPOSER_OVERLAY, strideAlignment: 4 });
    ed.cache = { buffer, layers: new Map(), clear: Region.EMPTY, valid: false };
    return ed.cache;
  }

  #stateOf(out: OutputLayer): ComposerLayerState {
    const isBuffer = out.kind === 'buffer' && out.buffer !== undefined;
    const requested = !this.planning ? Composition.CLIENT : isBuffer ? Composition.DEVICE : Composition.SOLID_COLOR;
    return {
      buffer: isBuffer ? (out.buffer ?? null) : null,
      acquireFence: NO_FENCE,
      blendMode: out.blendMode,
      planeAlpha: out.planeAlpha,
      // The whole content mapping (what the renderer maps); visibleRegion does the clipping.
      sourceCrop: isBuffer ? out.contentCrop : NO_CROP,
      displayFrame: isBuffer ? out.contentFrame : out.displayFrame,
      transform: out.bufferTransform,
      visibleRegion: out.visibleRegion,
      surfaceDamage: out.surfaceDamage,
      z: out.z,
      color: out.color,
      compositionType: requested,
    };
  }
}

const NO_CROP: FloatRect = Object.freeze({ left: 0, top: 0, right: 0, bottom: 0 });

type GeometryField = Exclude<keyof ComposerLayerState, (typeof PER_FRAME_FIELDS)[number]>;
/** Every field of ComposerLayerState but the per-frame ones (the check below fails to compile if one is missing). */
const GEOMETRY_FIELDS = ['blendMode', 'planeAlpha', 'sourceCrop', 'displayFrame', 'transform', 'visibleRegion', 'z', 'color', 'compositionType'] as const satisfies readonly GeometryField[];
const everyGeometryField: [Exclude<GeometryField, (typeof GEOMETRY_FIELDS)[number]>] extends [never] ? true : never = true;
void everyGeometryField;

/** Every field but the per-frame ones is the same object or value: the snapshot reused its geometry. */
function sameGeometry(a: ComposerLayerState, b: ComposerLayerState): boolean {
  for (const field of GEOMETRY_FIELDS) if (a[field] !== b[field]) return false;
  return true;
}

/** Where the client target must be redrawn this frame, and the full background (clear) region. */
function clientTargetDamage(cache: ClientTargetCache, frame: DisplayFrame, client: readonly OutputLayer[]): { damage: Region; clear: Region } {
  const screen: Rect = { left: 0, top: 0, right: frame.display.width, bottom: frame.display.height };
  let opaque = Region.EMPTY;
  for (const l of frame.layers) if (l.opaque) opaque = opaque.union(l.visibleRegion);
  const clear = Region.fromRect(screen).subtract(opaque);
  const layers = new Map<LayerId, { key: string; visible: Region }>();
  client.forEach((l, order) => layers.set(l.layer, { key: clientKey(l, order), visible: l.visibleRegion }));
  let damage: Region;
  if (!cache.valid) {
    damage = Region.fromRect(screen);
  } else {
    // Pixels newly shown need drawing; pixels newly hidden lie under an opaque plane and are never seen.
    damage = clear.subtract(cache.clear);
    for (const l of client) {
      const now = layers.get(l.layer)!;
      const before = cache.layers.get(l.layer);
      if (!before || before.key !== now.key) damage = damage.union(now.visible).union(before?.visible ?? Region.EMPTY);
      else damage = damage.union(now.visible.subtract(before.visible)).union(l.surfaceDamage);
    }
    for (const [id, before] of cache.layers) if (!layers.has(id)) damage = damage.union(before.visible);
    damage = damage.intersect(screen);
  }
  cache.layers = layers;
  cache.clear = clear;
  cache.valid = true;
  return { damage, clear };
}

/** Everything about a CLIENT layer that changes its pixels except buffer content (surface damage says that). */
function clientKey(l: OutputLayer, order: number): string {
  const f = l.contentFrame;
  const c = l.contentCrop;
  const d = l.displayFrame;
  return `${order} ${l.kind} ${f.left} ${f.top} ${f.right} ${f.bottom} ${c.left} ${c.top} ${c.right} ${c.bottom} ${d.left} ${d.top} ${d.right} ${d.bottom} ${l.bufferTransform} ${l.blendMode} ${l.planeAlpha} ${l.color.r} ${l.color.g} ${l.color.b}`;
}

async function dequeueOutput(display: VirtualDisplay): Promise<{ slot: number; buffer: GraphicBuffer } | undefined> {
  try {
    const d = await display.output.dequeue({ width: display.width, height: display.height, format: PixelFormat.RGBA_8888, usage: Usage.RENDER_TARGET, timeout: 0 });
    if (!d.fence.signalled) await d.fence.wait();
    return { slot: d.slot, buffer: d.buffer };
  } catch (error) {
    // The consumer holds every buffer (WOULD_BLOCK / TIMED_OUT) or went away: this frame is not recorded.
    if (isStratumError(error, 'WOULD_BLOCK') || isStratumError(error, 'TIMED_OUT') || isStratumError(error, 'ABANDONED') || isStratumError(error, 'NO_INIT')) {
      display.framesDropped++;
      return undefined;
    }
    throw error;
  }
}

function queueOutput(display: VirtualDisplay, slot: number, timestamp: number): void {
  try {
    display.output.queue(slot, { timestamp });
    display.framesQueued++;
  } catch (error) {
    if (!isStratumError(error, 'ABANDONED')) throw error;
    display.framesDropped++;
  }
}
