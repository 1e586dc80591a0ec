// A layer: its properties, its place in the tree, and (buffer layers) its BufferQueue and the
// buffer it shows. Layers are created and changed only by the Flinger; this file holds the state
// and the rules that are local to one layer (defaults, validation, latch bookkeeping).
import type { GraphicBuffer, ScalingMode, Transform } from '../buffer/index.js';
import { PixelFormat, isScalingMode, isTransform } from '../buffer/index.js';
import { StratumError } from '../os/status.js';
import type { BufferQueue } from '../queue/index.js';
import type { Fence } from '../queue/fence.js';
import type { Rect } from '../region/rect.js';
import type { LayerChanges, LayerId, LayerKind, LayerProperties } from './types.js';
import { ROOT_LAYER } from './types.js';

/** Position and window-size limit: keeps every coordinate well inside the renderer's range. */
export const MAX_COORDINATE = 1 << 18;
/** Largest absolute entry of a layer matrix. */
export const MAX_MATRIX_ENTRY = 64;
/** Rectangles per region-valued property (hint, damage). */
export const MAX_REGION_RECTS = 256;

export const DEFAULT_PROPERTIES: LayerProperties = Object.freeze({
  position: { x: 0, y: 0 },
  matrix: { dsdx: 1, dtdx: 0, dtdy: 0, dsdy: 1 },
  z: 0,
  relativeTo: null,
  layerStack: 0,
  size: null,
  crop: null,
  bufferCrop: null,
  bufferTransform: null,
  scalingMode: null,
  alpha: 1,
  color: { r: 0, g: 0, b: 0 },
  nonPremultiplied: false,
  visibleRegionHint: null,
  surfaceDamage: null,
  hidden: false,
  opaque: false,
  secure: false,
  skipScreenshot: false,
});

/** Formats whose pixels carry no alpha: their content is opaque whatever the flag says. */
const OPAQUE_FORMATS = new Set<number>([PixelFormat.RGBX_8888, PixelFormat.BGRX_8888, PixelFormat.RGB_565, PixelFormat.NV12]);

export function formatIsOpaque(format: number): boolean {
  return OPAQUE_FORMATS.has(format);
}

/** The buffer a layer shows, wherever it came from. */
export interface LatchedBuffer {
  readonly buffer: GraphicBuffer;
  readonly frameNumber: number;
  readonly acquireFence: Fence;
  /** When the acquire fence signalled (-1 unknown). */
  readonly acquireTime: number;
  /** From the queued frame (overridden by the layer's bufferCrop / bufferTransform / scalingMode). */
  readonly crop: Rect | null;
  readonly transform: Transform;
  readonly scalingMode: ScalingMode;
  /** Changed area of this buffer in buffer pixels; null = all. */
  readonly damage: readonly Rect[] | null;
  /** Where it goes back when replaced. */
  readonly origin: { readonly kind: 'queue'; readonly slot: number } | { readonly kind: 'transaction'; readonly onRelease: ((fence: Fence) => void) | undefined };
}

export class Layer {
  props: LayerProperties = DEFAULT_PROPERTIES;
  /** ROOT_LAYER = top level; null = offscreen. */
  parent: LayerId | null = ROOT_LAYER;
  readonly children = new Set<Layer>();
  current: LatchedBuffer | undefined;
  /** A buffer the next commit shows (set by an applied transaction this frame). */
  latchedThisFrame = false;
  framesLatched = 0;
  framesDropped = 0;
  destroyed = false;

  constructor(
    readonly id: LayerId,
    readonly name: string,
    readonly kind: LayerKind,
    readonly clientId: number,
    readonly queue: BufferQueue | undefined,
  ) {}

  get hasContent(): boolean {
    return this.kind === 'color' || (this.kind === 'buffer' && this.current !== undefined);
  }
}

/** A value as it should read in an error message. */
function show(v: unknown): string {
  if (typeof v === 'object' && v !== null) {
    try {
      return JSON.stringify(v);
    } catch {
      return 'an object';
    }
  }
  return String(v);
}

function bad(message: string): never {
  throw new StratumError('BAD_VALUE', message);
}

function finite(what: string, v: unknown, limit = Number.MAX_VALUE): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > limit) bad(`${what} must be a finite number within ±${limit}, got ${show(v)}`);
  return v;
}

function integerRect(what: string, r: unknown, allowEmpty: boolean): Rect {
  if (typeof r !== 'object' || r === null) bad(`${what} must be {left, top, right, bottom}`);
  const rect = r as Rect;
  for (const key of ['left', 'top', 'right', 'bottom'] as const) {
    const v = rect[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > MAX_COORDINATE) bad(`${what}.${key} must be an integer within ±${MAX_COORDINATE}, got ${show(v)}`);
  }
  if (rect.right < rect.left || rect.bottom < rect.top || (!allowEmpty && (rect.right === rect.left || rect.bottom === rect.top))) {
    bad(`${what} [${rect.left},${rect.top},${rect.right},${rect.bottom}] has negative${allowEmpty ? '' : ' or zero'} size`);
  }
  return { left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom };
}

function rectList(what: string, v: unknown): readonly Rect[] {
  if (!Array.isArray(v)) bad(`${what} must be an array of rects or null`);
  const list = v as unknown[];
  if (list.length > MAX_REGION_RECTS) bad(`${what} has ${list.length} rects, more than ${MAX_REGION_RECTS}`);
  return list.map((r, i) => integerRect(`${what}[${i}]`, r, true));
}

function bool(what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') bad(`${what} must be true or false, got ${show(v)}`);
  return v;
}

/**
 * Checks one layer's changes (everything that does not need the tree) and returns them
 * normalized. Errors name the layer and the field.
 */
export function checkChanges(layer: Layer, changes: LayerChanges): LayerChanges {
  const what = (field: string): string => `layer ${layer.id} (${layer.name}) ${field}`;
  if (typeof changes !== 'object' || changes === null) bad(what('changes must be an object'));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    switch (key) {
      case 'position': {
        const p = value as { x: unknown; y: unknown } | null;
        if (typeof p !== 'object' || p === null) bad(what('position must be {x, y}'));
        out.position = { x: finite(what('position.x'), p.x, MAX_COORDINATE), y: finite(what('position.y'), p.y, MAX_COORDINATE) };
        break;
      }
      case 'matrix': {
        const m = value as Record<string, unknown> | null;
        if (typeof m !== 'object' || m === null) bad(what('matrix must be {dsdx, dtdx, dtdy, dsdy}'));
        out.matrix = {
          dsdx: finite(what('matrix.dsdx'), m.dsdx, MAX_MATRIX_ENTRY),
          dtdx: finite(what('matrix.dtdx'), m.dtdx, MAX_MATRIX_ENTRY),
          dtdy: finite(what('matrix.dtdy'), m.dtdy, MAX_MATRIX_ENTRY),
          dsdy: finite(what('matrix.dsdy'), m.dsdy, MAX_MATRIX_ENTRY),
        };
        break;
      }
      case 'z':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) bad(what(`z must be a 32-bit integer, got ${show(value)}`));
        out.z = value;
        break;
      case 'relativeZ': {
        const r = value as { relativeTo: unknown; z: unknown } | null;
        if (typeof r !== 'object' || r === null) bad(what('relativeZ must be {relativeTo, z}'));
        if (typeof r.z !== 'number' || !Number.isInteger(r.z) || r.z < -(2 ** 31) || r.z >= 2 ** 31) bad(what(`relativeZ.z must be a 32-bit integer, got ${show(r.z)}`));
        if (typeof r.relativeTo !== 'number' || !Number.isInteger(r.relativeTo) || r.relativeTo < 1) bad(what(`relativeZ.relativeTo must be a layer id, got ${show(r.relativeTo)}`));
        if (r.relativeTo === layer.id) bad(what('cannot be relative to itself'));
        out.relativeZ = { relativeTo: r.relativeTo, z: r.z };
        break;
      }
      case 'layerStack':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xfffffffe) bad(what(`layerStack must be an integer 0..4294967294, got ${show(value)}`));
        out.layerStack = value;
        break;
      case 'size': {
        if (value === null) {
          out.size = null;
          break;
        }
        const s = value as { width: unknown; height: unknown };
        if (typeof s !== 'object') bad(what('size must be {width, height} or null'));
        for (const side of ['width', 'height'] as const) {
          const v = s[side];
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 16384) bad(what(`size.${side} must be an integer in 1..16384, got ${show(v)}`));
        }
        out.size = { width: s.width, height: s.height };
        break;
      }
      case 'crop':
        out.crop = value === null ? null : integerRect(what('crop'), value, true);
        break;
      case 'bufferCrop': {
        if (value === null) {
          out.bufferCrop = null;
          break;
        }
        const r = integerRect(what('bufferCrop'), value, false);
        if (r.left < 0 || r.top < 0) bad(what('bufferCrop must not start at negative coordinates'));
        out.bufferCrop = r;
        break;
      }
      case 'bufferTransform':
        if (value !== null && !isTransform(value)) bad(what(`bufferTransform must be a Transform 0..7 or null, got ${show(value)}`));
        out.bufferTransform = value;
        break;
      case 'scalingMode':
        if (value !== null && !isScalingMode(value)) bad(what(`scalingMode must be a ScalingMode 0..3 or null, got ${show(value)}`));
        out.scalingMode = value;
        break;
      case 'alpha':
        if (typeof value !== 'number' || !(value >= 0 && value <= 1)) bad(what(`alpha must be a number in 0..1, got ${show(value)}`));
        out.alpha = value;
        break;
      case 'color': {
        const c = value as Record<string, unknown> | null;
        if (typeof c !== 'object' || c === null) bad(what('color must be {r, g, b} in 0..1'));
        const channel = (k: string): number => {
          const v = c[k];
          if (typeof v !== 'number' || !(v >= 0 && v <= 1)) bad(what(`color.${k} must be a number in 0..1, got ${show(v)}`));
          return v;
        };
        out.color = { r: channel('r'), g: channel('g'), b: channel('b') };
        break;
      }
      case 'visibleRegionHint':
      case 'surfaceDamage':
        out[key] = value === null ? null : rectList(what(key), value);
        break;
      case 'hidden':
      case 'opaque':
      case 'secure':
      case 'skipScreenshot':
      case 'nonPremultiplied':
        out[key] = bool(what(key), value);
        break;
      case 'parent':
        if (value !== null && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) bad(what(`parent must be a layer id, ROOT_LAYER (0) or null, got ${show(value)}`));
        if (value === layer.id) bad(what('cannot be its own parent'));
        out.parent = value;
        break;
      case 'buffer': {
        if (value === null) {
          out.buffer = null;
          break;
        }
        if (layer.kind !== 'buffer') throw new StratumError('INVALID_OPERATION', what(`is a ${layer.kind} layer and cannot take a buffer`));
        const sub = value as { buffer?: GraphicBuffer };
        if (typeof sub !== 'object' || typeof sub.buffer !== 'object' || sub.buffer === null || typeof sub.buffer.describe !== 'function') bad(what('buffer must be {buffer: GraphicBuffer, acquireFence?, onRelease?}'));
        if (sub.buffer.disposed) bad(what(`buffer ${sub.buffer.id} has been disposed`));
        out.buffer = value;
        break;
      }
      default:
        bad(what(`has no property '${key}'`));
    }
  }
  return out;
}

/** Applies checked changes to a layer's properties (tree fields are the flinger's business). */
export function applyProperties(layer: Layer, changes: LayerChanges): void {
  const next: Record<string, unknown> = { ...layer.props };
  for (const [key, value] of Object.entries(changes)) {
    if (key === 'parent' || key === 'buffer') continue;
    if (key === 'relativeZ') {
      const r = value as { relativeTo: LayerId; z: number };
      next.relativeTo = r.relativeTo;
      next.z = r.z;
    } else if (key === 'z') {
      next.z = value;
      next.relativeTo = null;
    } else {
      next[key] = value;
    }
  }
  layer.props = next as unknown as LayerProperties;
}
