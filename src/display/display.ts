// Displays as the flinger sees them: a size, a refresh rate and its VsyncSource, the layer stack
// it shows, a projection from layer-stack space to its pixels, and a framebuffer that holds what
// is on screen. The headless display is the default primary: its "scanout" is the framebuffer.
import { GraphicBuffer, PixelFormat, Usage } from '../buffer/index.js';
import { StratumError } from '../os/status.js';
import type { Rect } from '../region/rect.js';
import { isEmptyRect, rect } from '../region/rect.js';
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
}

export const DEFAULT_DISPLAY_WIDTH = 1080;
export const DEFAULT_DISPLAY_HEIGHT = 2400;
export const DEFAULT_REFRESH_RATE = 60;
const MAX_DISPLAY_SIDE = 8192;

let nextDisplayId = 1;

export class HeadlessDisplay {
  readonly id: DisplayId;
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly vsync: VsyncSource;
  readonly secure: boolean;
  /** What is on screen: RGBA_8888, written only by the composition of presented frames. */
  readonly framebuffer: GraphicBuffer;
  layerStack: LayerStack;
  powerOn = true;
  #refreshRate: number;
  #projection: Projection;

  constructor(config: DisplayConfig = {}) {
    const width = config.width ?? DEFAULT_DISPLAY_WIDTH;
    const height = config.height ?? DEFAULT_DISPLAY_HEIGHT;
    for (const [name, value] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > MAX_DISPLAY_SIDE) {
        throw new StratumError('BAD_VALUE', `display ${name} must be an integer in 1..${MAX_DISPLAY_SIDE}, got ${value}`);
      }
    }
    this.#refreshRate = checkRefreshRate(config.refreshRate ?? DEFAULT_REFRESH_RATE);
    this.id = nextDisplayId++;
    this.name = config.name ?? `headless-${this.id}`;
    this.width = width;
    this.height = height;
    this.secure = config.secure ?? true;
    this.layerStack = config.layerStack ?? 0;
    this.vsync = config.vsync ?? new SoftwareVsyncSource(this.#refreshRate);
    if (config.vsync && config.refreshRate === undefined) this.#refreshRate = Math.round(1e6 / config.vsync.period) / 1000;
    this.framebuffer = GraphicBuffer.allocate({
      width,
      height,
      format: PixelFormat.RGBA_8888,
      usage: Usage.RENDER_TARGET | Usage.CPU_READ_OFTEN,
      strideAlignment: 4,
    });
    this.framebuffer.bytes().fill(0);
    // Opaque black, like a panel with nothing on it.
    this.framebuffer.pixels32().fill(0xff000000);
    this.#projection = { orientation: 0, layerStackRect: rect(0, 0, width, height), displayRect: rect(0, 0, width, height) };
  }

  get refreshRate(): number {
    return this.#refreshRate;
  }

  /** Milliseconds per frame. */
  get period(): number {
    return this.vsync.period;
  }

  setRefreshRate(hz: number): void {
    this.vsync.setRefreshRate(hz);
    this.#refreshRate = checkRefreshRate(hz);
  }

  get projection(): Projection {
    return this.#projection;
  }

  setProjection(projection: Projection): void {
    const { orientation, layerStackRect, displayRect } = projection;
    if (![0, 90, 180, 270].includes(orientation)) throw new StratumError('BAD_VALUE', `orientation must be 0, 90, 180 or 270, got ${String(orientation)}`);
    if (isEmptyRect(layerStackRect) || isEmptyRect(displayRect)) throw new StratumError('BAD_VALUE', 'projection rects must not be empty');
    this.#projection = { orientation, layerStackRect: { ...layerStackRect }, displayRect: { ...displayRect } };
  }

  /** Layer-stack space -> framebuffer pixels. */
  projectionTransform(): Affine {
    return projectionAffine(this.#projection, this.width, this.height);
  }

  /** The framebuffer as tightly packed RGBA bytes (a copy). */
  readFramebuffer(): Uint8Array {
    const rowBytes = this.width * 4;
    const src = this.framebuffer.bytes('read');
    const strideBytes = this.framebuffer.stride * 4;
    if (strideBytes === rowBytes) return src.slice(0, rowBytes * this.height);
    const out = new Uint8Array(rowBytes * this.height);
    for (let y = 0; y < this.height; y++) out.set(src.subarray(y * strideBytes, y * strideBytes + rowBytes), y * rowBytes);
    return out;
  }

  dispose(): void {
    this.vsync.dispose();
    this.framebuffer.dispose();
  }
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
