// Displays as the flinger sees them: a size, a refresh rate and its VsyncSource, the layer stack
// it shows, a projection from layer-stack space to its pixels, and a framebuffer that holds what
// is on screen. The headless display is the default primary: its "scanout" is the framebuffer.
import { GraphicBuffer, PixelFormat, Usage, rotationTransform } from '../buffer/index.js';
import type { Transform } from '../buffer/index.js';
import { StratumError } from '../os/status.js';
import type { Rect } from '../region/rect.js';
import { isEmptyRect, rect, rectsEqual } from '../region/rect.js';
import type { Affine, DisplayId, LayerStack } from '../flinger/types.js';
import type { VsyncSource } from './vsync.js';
import { SoftwareVsyncSource, checkRefreshRate } from './vsync.js';

export type Orientation = 0 | 90 | 180 | 270;

/**
 * Layer-stack space -> display pixels (Android setDisplayProjection): content inside
 * `layerStackRect` is scaled and moved onto `displayRect` (in the display's oriented space, i.e.
 * after rotation), then the whole is turned clockwise by `orientation`.
 */
export interface Projection {
  readonly orientation: Orientation;
  readonly layerStackRect: Rect;
  readonly displayRect: Rect;
}

/** internal: the built-in panel; external: hotplugged (starts off); virtual: frames go to a BufferQueue. */
export type DisplayKind = 'internal' | 'external' | 'virtual';

/** off: nothing composed, no VSync; doze: composed at low power; on. */
export type DisplayPowerMode = 'off' | 'doze' | 'on';

/** A resolution and refresh rate the panel supports (Android DisplayMode). */
export interface DisplayMode {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  /** Nominal Hz. */
  readonly refreshRate: number;
  /** A rate that wanders between min and max Hz from one VSync to the next (the seeds' 58-62 Hz panel). */
  readonly varying?: { readonly min: number; readonly max: number };
}

export type DisplayModeSpec = Omit<DisplayMode, 'id'>;

export interface DisplayConfig {
  readonly name?: string;
  readonly width?: number;
  readonly height?: number;
  readonly refreshRate?: number;
  /** Default: a SoftwareVsyncSource at refreshRate. */
  readonly vsync?: VsyncSource;
  readonly layerStack?: LayerStack;
  /** Secure displays show secure layers; others show them black. Default true for the internal display. */
  readonly secure?: boolean;
  /** Default 'internal'. */
  readonly kind?: DisplayKind;
  /** Supported modes; default: width x height at refreshRate, 60, 90 and 120 Hz, and 60 Hz varying 58..62. */
  readonly modes?: readonly DisplayModeSpec[];
  /** Dots per inch (reported to clients). Default 420 internal, 96 otherwise. */
  readonly density?: number;
}

/** What changed on a display (listeners redraw or re-project). */
export type DisplayChange = 'power' | 'mode' | 'projection' | 'layerStack';

export const DEFAULT_DISPLAY_WIDTH = 1080;
export const DEFAULT_DISPLAY_HEIGHT = 2400;
export const DEFAULT_REFRESH_RATE = 60;
export const MAX_DISPLAY_SIDE = 8192;
/** The varying-rate mode wanders within this range (Hz). */
export const VARYING_RATE_RANGE = { min: 58, max: 62 } as const;

let nextDisplayId = 1;

function checkSide(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_DISPLAY_SIDE) {
    throw new StratumError('BAD_VALUE', `display ${name} must be an integer in 1..${MAX_DISPLAY_SIDE}, got ${value}`);
  }
  return value;
}

function defaultModes(width: number, height: number, refreshRate: number): DisplayModeSpec[] {
  const rates = [...new Set([refreshRate, 60, 90, 120])];
  return [...rates.map((r) => ({ width, height, refreshRate: r })), { width, height, refreshRate: 60, varying: { ...VARYING_RATE_RANGE } }];
}

function allocateFramebuffer(width: number, height: number): GraphicBuffer {
  const framebuffer = GraphicBuffer.allocate({
    width,
    height,
    format: PixelFormat.RGBA_8888,
    usage: Usage.RENDER_TARGET | Usage.CPU_READ_OFTEN,
    strideAlignment: 4,
  });
  // Opaque black, like a panel with nothing on it.
  framebuffer.pixels32().fill(0xff000000);
  return framebuffer;
}

export class HeadlessDisplay {
  readonly id: DisplayId;
  readonly name: string;
  readonly kind: DisplayKind;
  readonly vsync: VsyncSource;
  readonly secure: boolean;
  readonly density: number;
  readonly modes: readonly DisplayMode[];
  #width: number;
  #height: number;
  #framebuffer: GraphicBuffer;
  #layerStack: LayerStack;
  #powerMode: DisplayPowerMode = 'on';
  #refreshRate: number;
  #activeMode: DisplayMode;
  #projection: Projection;
  #listeners = new Set<(change: DisplayChange) => void>();
  #varyingTap: (() => void) | undefined;
  #varyingStep = 0;

  constructor(config: DisplayConfig = {}) {
    const width = checkSide('width', config.width ?? DEFAULT_DISPLAY_WIDTH);
    const height = checkSide('height', config.height ?? DEFAULT_DISPLAY_HEIGHT);
    this.#refreshRate = checkRefreshRate(config.refreshRate ?? DEFAULT_REFRESH_RATE);
    this.id = nextDisplayId++;
    this.kind = config.kind ?? 'internal';
    if (!['internal', 'external', 'virtual'].includes(this.kind)) throw new StratumError('BAD_VALUE', `display kind must be internal, external or virtual, got ${String(this.kind)}`);
    this.name = config.name ?? `${this.kind === 'internal' ? 'headless' : this.kind}-${this.id}`;
    this.#width = width;
    this.#height = height;
    this.secure = config.secure ?? this.kind === 'internal';
    this.density = config.density ?? (this.kind === 'internal' ? 420 : 96);
    this.#layerStack = config.layerStack ?? 0;
    this.vsync = config.vsync ?? new SoftwareVsyncSource(this.#refreshRate);
    if (config.vsync && config.refreshRate === undefined) this.#refreshRate = Math.round(1e6 / config.vsync.period) / 1000;
    this.modes = (config.modes ?? defaultModes(width, height, this.#refreshRate)).map((m, i) => checkMode(m, i + 1));
    if (this.modes.length === 0) throw new StratumError('BAD_VALUE', 'a display needs at least one mode');
    this.#activeMode = this.modes.find((m) => m.width === width && m.height === height && m.refreshRate === this.#refreshRate && !m.varying) ?? this.modes[0]!;
    this.#framebuffer = allocateFramebuffer(width, height);
    this.#projection = { orientation: 0, layerStackRect: rect(0, 0, width, height), displayRect: rect(0, 0, width, height) };
  }

  get width(): number {
    return this.#width;
  }

  get height(): number {
    return this.#height;
  }

  /** What is on screen: RGBA_8888, written only by the composition of presented frames. Replaced on a resolution change. */
  get framebuffer(): GraphicBuffer {
    return this.#framebuffer;
  }

  /** Which layers this display shows: the root layers whose stack equals it. */
  get layerStack(): LayerStack {
    return this.#layerStack;
  }

  set layerStack(stack: LayerStack) {
    if (!Number.isInteger(stack) || stack < 0 || stack > 0xffffffff) throw new StratumError('BAD_VALUE', `layer stack must be an integer in 0..2^32-1, got ${String(stack)}`);
    if (stack === this.#layerStack) return;
    this.#layerStack = stack;
    this.#emit('layerStack');
  }

  get powerMode(): DisplayPowerMode {
    return this.#powerMode;
  }

  /** True unless powered off (doze still composes). */
  get powerOn(): boolean {
    return this.#powerMode !== 'off';
  }

  set powerOn(on: boolean) {
    this.setPowerMode(on ? 'on' : 'off');
  }

  setPowerMode(mode: DisplayPowerMode): void {
    if (!['off', 'doze', 'on'].includes(mode)) throw new StratumError('BAD_VALUE', `power mode must be off, doze or on, got ${String(mode)}`);
    if (mode === this.#powerMode) return;
    this.#powerMode = mode;
    if (mode === 'off') this.vsync.cancelVsync();
    this.#emit('power');
  }

  /** Skip-screenshot layers are left out of what this display shows (virtual displays: recordings, mirrors). */
  get skipScreenshotLayers(): boolean {
    return this.kind === 'virtual';
  }

  get refreshRate(): number {
    return this.#refreshRate;
  }

  /** Milliseconds per frame. */
  get period(): number {
    return this.vsync.period;
  }

  get activeMode(): DisplayMode {
    return this.#activeMode;
  }

  /** Sets the refresh rate directly (outside the mode list). */
  setRefreshRate(hz: number): void {
    this.vsync.setRefreshRate(hz);
    this.#refreshRate = checkRefreshRate(hz);
  }

  /** Switches mode: refresh rate from the next VSync, a new framebuffer when the resolution changes. */
  setActiveMode(id: number): void {
    const mode = this.modes.find((m) => m.id === id);
    if (!mode) throw new StratumError('BAD_VALUE', `display ${this.id} has no mode ${String(id)} (modes ${this.modes.map((m) => m.id).join(', ')})`);
    this.#varyingTap?.();
    this.#varyingTap = undefined;
    if (mode.width !== this.#width || mode.height !== this.#height) {
      const wasDefault = this.#isDefaultProjection();
      this.#framebuffer.dispose();
      this.#framebuffer = allocateFramebuffer(mode.width, mode.height);
      this.#width = mode.width;
      this.#height = mode.height;
      if (wasDefault) this.#projection = { orientation: 0, layerStackRect: rect(0, 0, mode.width, mode.height), displayRect: rect(0, 0, mode.width, mode.height) };
    }
    this.#activeMode = mode;
    this.setRefreshRate(mode.refreshRate);
    const varying = mode.varying;
    if (varying) {
      // Each VSync picks the next period within the range (a deterministic wander, no randomness in tests).
      this.#varyingTap = this.vsync.observe(() => {
        this.#varyingStep++;
        const mid = (varying.min + varying.max) / 2;
        const amp = (varying.max - varying.min) / 2;
        this.setRefreshRate(mid + amp * Math.sin(this.#varyingStep * 0.9));
      });
    }
    this.#emit('mode');
  }

  get projection(): Projection {
    return this.#projection;
  }

  setProjection(projection: Projection): void {
    const { orientation, layerStackRect, displayRect } = projection;
    if (![0, 90, 180, 270].includes(orientation)) throw new StratumError('BAD_VALUE', `orientation must be 0, 90, 180 or 270, got ${String(orientation)}`);
    if (isEmptyRect(layerStackRect) || isEmptyRect(displayRect)) throw new StratumError('BAD_VALUE', 'projection rects must not be empty');
    this.#projection = { orientation, layerStackRect: { ...layerStackRect }, displayRect: { ...displayRect } };
    this.#emit('projection');
  }

  /**
   * Turns the display to `orientation` with the whole layer stack filling it (the window
   * manager's rotation): the stack is width x height in the oriented space.
   */
  setOrientation(orientation: Orientation): void {
    const swap = orientation === 90 || orientation === 270;
    const w = swap ? this.#height : this.#width;
    const h = swap ? this.#width : this.#height;
    this.setProjection({ orientation, layerStackRect: rect(0, 0, w, h), displayRect: rect(0, 0, w, h) });
  }

  /** The buffer transform producers should pre-rotate by so their buffers need no rotation at scan-out. */
  get transformHint(): Transform {
    return rotationTransform(this.#projection.orientation);
  }

  /** Layer-stack space -> framebuffer pixels. */
  projectionTransform(): Affine {
    return projectionAffine(this.#projection, this.#width, this.#height);
  }

  /** Calls `listener` when power, mode, projection or layer stack change. Returns a remover. */
  onChange(listener: (change: DisplayChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The framebuffer as tightly packed RGBA bytes (a copy). */
  readFramebuffer(): Uint8Array {
    const rowBytes = this.#width * 4;
    const src = this.#framebuffer.bytes('read');
    const strideBytes = this.#framebuffer.stride * 4;
    if (strideBytes === rowBytes) return src.slice(0, rowBytes * this.#height);
    const out = new Uint8Array(rowBytes * this.#height);
    for (let y = 0; y < this.#height; y++) out.set(src.subarray(y * strideBytes, y * strideBytes + rowBytes), y * rowBytes);
    return out;
  }

  dispose(): void {
    this.#varyingTap?.();
    this.#listeners.clear();
    this.vsync.dispose();
    this.#framebuffer.dispose();
  }

  #isDefaultProjection(): boolean {
    const p = this.#projection;
    const full = rect(0, 0, this.#width, this.#height);
    return p.orientation === 0 && rectsEqual(p.layerStackRect, full) && rectsEqual(p.displayRect, full);
  }

  #emit(change: DisplayChange): void {
    for (const listener of [...this.#listeners]) listener(change);
  }
}

function checkMode(m: DisplayModeSpec, id: number): DisplayMode {
  if (typeof m !== 'object' || m === null) throw new StratumError('BAD_VALUE', 'a display mode must be {width, height, refreshRate, varying?}');
  checkSide('mode width', m.width);
  checkSide('mode height', m.height);
  checkRefreshRate(m.refreshRate);
  if (m.varying) {
    checkRefreshRate(m.varying.min);
    checkRefreshRate(m.varying.max);
    if (!(m.varying.min <= m.refreshRate && m.refreshRate <= m.varying.max)) throw new StratumError('BAD_VALUE', `varying range ${m.varying.min}..${m.varying.max} Hz must contain ${m.refreshRate} Hz`);
    return { id, width: m.width, height: m.height, refreshRate: m.refreshRate, varying: { min: m.varying.min, max: m.varying.max } };
  }
  return { id, width: m.width, height: m.height, refreshRate: m.refreshRate };
}

/** The affine map of a projection onto a physical width x height panel. */
export function projectionAffine(p: Projection, width: number, height: number): Affine {
  const ls = p.layerStackRect;
  const dr = p.displayRect;
  const sx = (dr.right - dr.left) / (ls.right - ls.left);
  const sy = (dr.bottom - dr.top) / (ls.bottom - ls.top);
  // Stack -> oriented display space.
  const scale: Affine = { a: sx, b: 0, c: 0, d: sy, tx: dr.left - ls.left * sx, ty: dr.top - ls.top * sy };
  // Oriented space -> physical panel, turning clockwise.
  let rotate: Affine;
  switch (p.orientation) {
    case 0:
      rotate = { a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0 };
      break;
    case 90:
      rotate = { a: 0, b: 1, c: -1, d: 0, tx: width, ty: 0 };
      break;
    case 180:
      rotate = { a: -1, b: 0, c: 0, d: -1, tx: width, ty: height };
      break;
    case 270:
      rotate = { a: 0, b: -1, c: 1, d: 0, tx: 0, ty: height };
      break;
  }
  return {
    a: rotate.a * scale.a + rotate.c * scale.b,
    b: rotate.b * scale.a + rotate.d * scale.b,
    c: rotate.a * scale.c + rotate.c * scale.d,
    d: rotate.b * scale.c + rotate.d * scale.d,
    tx: rotate.a * scale.tx + rotate.c * scale.ty + rotate.tx,
    ty: rotate.b * scale.tx + rotate.d * scale.ty + rotate.ty,
  };
}
