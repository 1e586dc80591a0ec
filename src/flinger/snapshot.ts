// The snapshot: the layer tree flattened into one display's output layers. Inheritance (alpha,
// transform, crop clip, hidden, secure, skip-screenshot), z order (negative z below the parent,
// ties by creation order, relative z), geometry in display space, blend modes, and the visible
// regions after occlusion, computed top-down as Android's Output::ensureOutputLayerIfVisible does.
import { ScalingMode, Transform } from '../buffer/index.js';
import { Region } from '../region/region.js';
import type { Rect } from '../region/rect.js';
import { isEmptyRect, rectsEqual } from '../region/rect.js';
import {
  HUGE_RECT,
  compose,
  intersectFloat,
  invert,
  isEmptyFloat,
  isRectPreserving,
  localTransform,
  mapRect,
  roundOut,
  roundRect,
  transformAffine,
  transformOf,
} from './geometry.js';
import type { Layer } from './layer.js';
import { formatIsOpaque } from './layer.js';
import type { Affine, BlendMode, Color, FloatRect, LayerId, LayerStack, OutputLayer } from './types.js';
import { CompositionType, ROOT_LAYER } from './types.js';

/** What kind of output the snapshot is for: decides secure and skip-screenshot handling. */
export interface OutputFilter {
  readonly layerStack: LayerStack;
  /** Secure layers show their content (a secure display); otherwise they are drawn black. */
  readonly secure: boolean;
  /** Skip-screenshot layers are left out (captures, recordings, mirrors). */
  readonly skipScreenshotLayers: boolean;
}

export interface SnapshotTarget {
  readonly width: number;
  readonly height: number;
  /** Layer-stack space -> target pixels. */
  readonly projection: Affine;
}

/** Why a layer with content is not in the output (for dump). */
export type SkipReason = 'buffer disposed' | 'hidden' | 'alpha 0' | 'offscreen' | 'relative parent gone' | 'unsupported transform' | 'empty bounds' | 'occluded' | 'skip-screenshot' | 'other layer stack';

export interface Snapshot {
  /** Bottom to top. */
  readonly layers: OutputLayer[];
  /** Where each output layer draws before occlusion (display space): what damage compares. */
  readonly footprints: ReadonlyMap<LayerId, Region>;
  /** Everything about a layer that changes its pixels other than new buffer content and its footprint. */
  readonly keys: ReadonlyMap<LayerId, string>;
  /** Union of the opaque layers' visible regions: no need to clear below them. */
  readonly opaqueRegion: Region;
  readonly skipped: ReadonlyMap<LayerId, SkipReason>;
  /** Per buffer layer shown: what of its buffer the geometry depends on (see refreshSnapshot). */
  readonly contentSignatures: ReadonlyMap<LayerId, ContentSignature>;
}

/** The facts of a latched buffer that geometry and opacity depend on. */
interface ContentSignature {
  readonly width: number;
  readonly height: number;
  readonly format: number;
  readonly crop: Rect | null;
  readonly transform: number;
  readonly scalingMode: number;
}

function contentSignature(layer: Layer): ContentSignature | undefined {
  const c = layer.current;
  if (!c) return undefined;
  return { width: c.buffer.width, height: c.buffer.height, format: c.buffer.format, crop: c.crop, transform: c.transform, scalingMode: c.scalingMode };
}

// Compared field by field (not as a formatted string): this runs for every layer of every frame.
function sameContent(signature: ContentSignature, layer: Layer): boolean {
  const c = layer.current;
  if (!c) return false;
  const a = signature.crop;
  const b = c.crop;
  return (
    signature.width === c.buffer.width &&
    signature.height === c.buffer.height &&
    signature.format === c.buffer.format &&
    signature.transform === c.transform &&
    signature.scalingMode === c.scalingMode &&
    (a === b || (a !== null && b !== null && rectsEqual(a, b)))
  );
}

/** A buffer's damage (buffer pixels, null = all) in display space, within `footprint`. */
function displayDamage(rects: readonly Rect[] | null, bufferToDisplay: Affine, footprint: Region): Region {
  if (rects === null || rects.length === 0) return footprint;
  return Region.fromRects(rects.map((r) => roundOut(mapRect(bufferToDisplay, r)))).intersect(footprint);
}

/**
 * The previous snapshot with new buffer contents, when nothing but buffer contents changed since
 * (the caller knows no property, tree or display changed). Undefined when a shown buffer's size,
 * format, crop, transform or scaling differs, or a shown layer is gone: then build anew.
 */
export function refreshSnapshot(previous: Snapshot, layers: ReadonlyMap<LayerId, Layer>): Snapshot | undefined {
  const out: OutputLayer[] = [];
  for (const old of previous.layers) {
    const layer = layers.get(old.layer);
    if (!layer) return undefined;
    const signature = previous.contentSignatures.get(old.layer);
    if (signature !== undefined && !sameContent(signature, layer)) return undefined;
    const current = old.buffer ? layer.current : undefined;
    if (old.buffer && (!current || current.buffer.disposed)) return undefined;
    const footprint = previous.footprints.get(old.layer) ?? Region.EMPTY;
    const damage = current && layer.latchedThisFrame ? displayDamage(current.damage, old.bufferToDisplay, footprint).intersect(old.visibleRegion) : Region.EMPTY;
    out.push(withContent(old, current ? current.buffer : old.buffer, current ? current.frameNumber : old.frameNumber, damage));
  }
  // Field by field, as withContent: a spread of the snapshot cost more than the rest of the refresh.
  return {
    layers: out,
    footprints: previous.footprints,
    keys: previous.keys,
    opaqueRegion: previous.opaqueRegion,
    skipped: previous.skipped,
    contentSignatures: previous.contentSignatures,
  };
}

// Field by field rather than a spread: this runs for every layer of every content-only frame, and
// a literal of fixed shape is several times cheaper than copying an object's properties.
function withContent(old: OutputLayer, buffer: OutputLayer['buffer'], frameNumber: number, surfaceDamage: Region): OutputLayer {
  return {
    layer: old.layer,
    name: old.name,
    kind: old.kind,
    z: old.z,
    buffer,
    frameNumber,
    color: old.color,
    transform: old.transform,
    bufferToDisplay: old.bufferToDisplay,
    contentFrame: old.contentFrame,
    contentCrop: old.contentCrop,
    sourceCrop: old.sourceCrop,
    bufferTransform: old.bufferTransform,
    displayFrame: old.displayFrame,
    blendMode: old.blendMode,
    planeAlpha: old.planeAlpha,
    opaque: old.opaque,
    secure: old.secure,
    skipScreenshot: old.skipScreenshot,
    visibleRegion: old.visibleRegion,
    coveredRegion: old.coveredRegion,
    surfaceDamage,
    compositionType: CompositionType.CLIENT,
  };
}

interface Inherited {
  readonly transform: Affine;
  readonly alpha: number;
  readonly hidden: boolean;
  readonly secure: boolean;
  readonly skipScreenshot: boolean;
  /** Display-space clip from the crops of the layer and its ancestors. */
  readonly clip: FloatRect;
  readonly layerStack: LayerStack;
}

const BLACK: Color = { r: 0, g: 0, b: 0 };

function byZ(a: Layer, b: Layer): number {
  return a.props.z - b.props.z || a.id - b.id;
}

/**
 * Builds the output layers of one display (or capture). `layers` is every live layer; `roots`
 * those whose parent is ROOT_LAYER.
 */
export function buildSnapshot(layers: ReadonlyMap<LayerId, Layer>, target: SnapshotTarget, filter: OutputFilter): Snapshot {
  const skipped = new Map<LayerId, SkipReason>();
  const inherited = new Map<LayerId, Inherited>();
  const screen: FloatRect = { left: 0, top: 0, right: target.width, bottom: target.height };

  // 1. Inherited state, walking the real tree from the roots.
  const visit = (layer: Layer, parent: Inherited | undefined): void => {
    const p = layer.props;
    const transform = compose(parent?.transform ?? target.projection, localTransform(p.position, p.matrix));
    let clip = parent?.clip ?? HUGE_RECT;
    if (p.crop) clip = intersectFloat(clip, mapRect(transform, p.crop));
    const state: Inherited = {
      transform,
      alpha: (parent?.alpha ?? 1) * p.alpha,
      hidden: (parent?.hidden ?? false) || p.hidden,
      secure: (parent?.secure ?? false) || p.secure,
      skipScreenshot: (parent?.skipScreenshot ?? false) || p.skipScreenshot,
      clip,
      layerStack: parent?.layerStack ?? p.layerStack,
    };
    inherited.set(layer.id, state);
    for (const child of layer.children) visit(child, state);
  };
  const roots = [...layers.values()].filter((l) => l.parent === ROOT_LAYER);
  for (const root of roots) visit(root, undefined);

  // 2. Draw order: children sorted by (z, id); negative z below the parent; relative layers in their relative parent.
  const relatives = new Map<LayerId, Layer[]>();
  for (const layer of layers.values()) {
    const to = layer.props.relativeTo;
    if (to === null || !inherited.has(layer.id)) continue;
    if (!inherited.has(to)) {
      skipped.set(layer.id, 'relative parent gone');
      continue;
    }
    relatives.set(to, [...(relatives.get(to) ?? []), layer]);
  }
  const drawOrder: Layer[] = [];
  const placed = new Set<LayerId>();
  const place = (layer: Layer): void => {
    if (placed.has(layer.id)) return; // a relative-z cycle: draw once
    placed.add(layer.id);
    const kids = [...layer.children].filter((c) => c.props.relativeTo === null).concat(relatives.get(layer.id) ?? []).sort(byZ);
    for (const kid of kids) if (kid.props.z < 0) place(kid);
    drawOrder.push(layer);
    for (const kid of kids) if (kid.props.z >= 0) place(kid);
  };
  const topLevel = roots.filter((r) => r.props.relativeTo === null && r.props.layerStack === filter.layerStack).sort(byZ);
  for (const root of topLevel) place(root);
  for (const layer of layers.values()) {
    if (!layer.hasContent || placed.has(layer.id) || skipped.has(layer.id)) continue;
    skipped.set(layer.id, inherited.has(layer.id) ? 'other layer stack' : 'offscreen');
  }

  // 3. Geometry of each drawable layer, bottom to top.
  interface Candidate {
    layer: Layer;
    state: Inherited;
    footprint: Region;
    contentFrame: Rect;
    contentCrop: FloatRect;
    bufferToDisplay: Affine;
    bufferTransform: Transform;
    opaque: boolean;
    blendMode: BlendMode;
    color: Color;
    drawBlack: boolean;
    damage: Region;
  }
  const candidates: Candidate[] = [];
  for (const layer of drawOrder) {
    if (!layer.hasContent) continue;
    const state = inherited.get(layer.id);
    if (!state) continue;
    if (state.hidden) {
      skipped.set(layer.id, 'hidden');
      continue;
    }
    if (!(state.alpha > 0)) {
      skipped.set(layer.id, 'alpha 0');
      continue;
    }
    if (state.skipScreenshot && filter.skipScreenshotLayers) {
      skipped.set(layer.id, 'skip-screenshot');
      continue;
    }
    if (layer.current?.buffer.disposed) {
      // Its owner freed it (client death, memory reclaim): show nothing rather than fail the frame.
      skipped.set(layer.id, 'buffer disposed');
      continue;
    }
    if (!isRectPreserving(state.transform) || invert(state.transform) === undefined) {
      skipped.set(layer.id, 'unsupported transform');
      continue;
    }
    const candidate = geometry(layer, state, screen);
    if (!candidate) {
      skipped.set(layer.id, 'empty bounds');
      continue;
    }
    const drawBlack = state.secure && !filter.secure;
    const contentOpaque = drawBlack || layer.kind === 'color' || layer.props.opaque || (layer.current !== undefined && formatIsOpaque(layer.current.buffer.format));
    const opaque = contentOpaque && state.alpha === 1;
    const blendMode: BlendMode = opaque ? 'NONE' : layer.kind === 'buffer' && layer.props.nonPremultiplied && !drawBlack ? 'COVERAGE' : 'PREMULTIPLIED';
    candidates.push({
      layer,
      state,
      ...candidate,
      opaque,
      blendMode,
      color: drawBlack ? BLACK : layer.props.color,
      drawBlack,
    });
  }

  // 4. Visible regions, top-down: opaque layers hide what is below them.
  let aboveOpaque = Region.EMPTY;
  let aboveCovered = Region.EMPTY;
  const visible = new Map<Layer, { visible: Region; covered: Region }>();
  for (let i = candidates.length - 1; i >= 0; i--) {
    const c = candidates[i]!;
    const covered = aboveCovered.intersect(c.footprint);
    aboveCovered = aboveCovered.union(c.footprint);
    const shown = c.footprint.subtract(aboveOpaque);
    if (c.opaque) aboveOpaque = aboveOpaque.union(c.footprint);
    if (shown.isEmpty) {
      skipped.set(c.layer.id, 'occluded');
      continue;
    }
    visible.set(c.layer, { visible: shown, covered: covered.intersect(shown) });
  }

  // 5. Output layers.
  const out: OutputLayer[] = [];
  const footprints = new Map<LayerId, Region>();
  const keys = new Map<LayerId, string>();
  const contentSignatures = new Map<LayerId, ContentSignature>();
  for (const c of candidates) {
    const v = visible.get(c.layer);
    if (!v) continue;
    const bounds = c.footprint.bounds();
    const displayFrame = c.layer.kind === 'buffer' ? intersect(c.contentFrame, bounds) : bounds;
    const inverse = invert(c.bufferToDisplay);
    const sourceCrop = c.layer.kind === 'buffer' && inverse ? intersectFloat(mapRect(inverse, displayFrame), c.contentCrop) : { left: 0, top: 0, right: 0, bottom: 0 };
    const current = c.layer.kind === 'buffer' ? c.layer.current : undefined;
    const output: OutputLayer = {
      layer: c.layer.id,
      name: c.layer.name,
      kind: c.layer.kind === 'buffer' && !c.drawBlack ? 'buffer' : 'color',
      z: out.length,
      buffer: c.drawBlack ? undefined : current?.buffer,
      frameNumber: current?.frameNumber ?? 0,
      color: c.color,
      transform: c.state.transform,
      bufferToDisplay: c.bufferToDisplay,
      contentFrame: c.contentFrame,
      contentCrop: c.contentCrop,
      sourceCrop,
      bufferTransform: c.bufferTransform,
      displayFrame,
      blendMode: c.blendMode,
      planeAlpha: c.state.alpha,
      opaque: c.opaque,
      secure: c.state.secure,
      skipScreenshot: c.state.skipScreenshot,
      visibleRegion: v.visible,
      coveredRegion: v.covered,
      surfaceDamage: c.damage.intersect(v.visible),
      compositionType: CompositionType.CLIENT,
    };
    out.push(output);
    footprints.set(c.layer.id, c.footprint);
    const signature = output.buffer ? contentSignature(c.layer) : undefined;
    if (signature) contentSignatures.set(c.layer.id, signature);
    const f = c.contentFrame;
    const k = c.contentCrop;
    const col = c.color;
    // The footprint is compared separately (Region.equals), so the key stays a cheap string.
    keys.set(
      c.layer.id,
      `${output.z} ${output.kind} ${f.left} ${f.top} ${f.right} ${f.bottom} ${k.left} ${k.top} ${k.right} ${k.bottom} ${c.bufferTransform} ${c.blendMode} ${c.state.alpha} ${col.r} ${col.g} ${col.b}`,
    );
  }
  return { layers: out, footprints, keys, opaqueRegion: aboveOpaque, skipped, contentSignatures };
}

function intersect(a: Rect, b: Rect): Rect {
  const r = { left: Math.max(a.left, b.left), top: Math.max(a.top, b.top), right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom) };
  return isEmptyRect(r) ? { left: 0, top: 0, right: 0, bottom: 0 } : r;
}

interface Geometry {
  footprint: Region;
  contentFrame: Rect;
  contentCrop: FloatRect;
  bufferToDisplay: Affine;
  bufferTransform: Transform;
  damage: Region;
}

/** Where a layer's content lands on the display, which buffer pixels fill it, and what changed. */
function geometry(layer: Layer, state: Inherited, screen: FloatRect): Geometry | undefined {
  const clip = intersectFloat(state.clip, screen);
  if (isEmptyFloat(clip)) return undefined;
  const hint = layer.props.visibleRegionHint;
  const hintRegion = hint ? Region.fromRects(hint.map((r) => roundRect(mapRect(state.transform, r)))) : undefined;
  if (layer.kind !== 'buffer' || !layer.current) {
    let footprint = Region.fromRect(roundRect(clip));
    if (hintRegion) footprint = footprint.intersect(hintRegion);
    if (footprint.isEmpty) return undefined;
    const frame = footprint.bounds();
    return {
      footprint,
      contentFrame: frame,
      contentCrop: { left: 0, top: 0, right: 0, bottom: 0 },
      bufferToDisplay: state.transform,
      bufferTransform: Transform.NONE,
      damage: Region.EMPTY,
    };
  }
  const current = layer.current;
  const buffer = current.buffer;
  const p = layer.props;
  const full: Rect = { left: 0, top: 0, right: buffer.width, bottom: buffer.height };
  const requestedCrop = p.bufferCrop ?? (current.crop && !isEmptyRect(current.crop) ? current.crop : full);
  const cropB = intersect(requestedCrop, full);
  if (isEmptyRect(cropB)) return undefined;
  const transform = p.bufferTransform ?? current.transform;
  const mode = p.scalingMode ?? current.scalingMode;
  const rotated = (transform & Transform.ROT_90) !== 0;
  const cw0 = cropB.right - cropB.left;
  const ch0 = cropB.bottom - cropB.top;
  const tw = rotated ? ch0 : cw0;
  const th = rotated ? cw0 : ch0;
  const toContent = transformAffine(transform, cw0, ch0);
  const fromContent = invert(toContent);
  if (!fromContent) return undefined;
  // The part of the transformed crop that is shown, in transformed-content coordinates, and the layer-space size it fills.
  let shown: FloatRect = { left: 0, top: 0, right: tw, bottom: th };
  let width = tw;
  let height = th;
  const size = p.size;
  if (size) {
    if (mode === ScalingMode.SCALE_TO_WINDOW) {
      width = size.width;
      height = size.height;
    } else if (mode === ScalingMode.SCALE_CROP) {
      const s = Math.max(size.width / tw, size.height / th);
      const vw = size.width / s;
      const vh = size.height / s;
      shown = { left: (tw - vw) / 2, top: (th - vh) / 2, right: (tw + vw) / 2, bottom: (th + vh) / 2 };
      width = size.width;
      height = size.height;
    } else {
      // NO_SCALE_CROP and FREEZE (a frozen layer only latches matching buffers): 1:1, cut to the window.
      width = Math.min(tw, size.width);
      height = Math.min(th, size.height);
      shown = { left: 0, top: 0, right: width, bottom: height };
    }
  }
  const local = mapRect(fromContent, shown);
  const src: FloatRect = { left: local.left + cropB.left, top: local.top + cropB.top, right: local.right + cropB.left, bottom: local.bottom + cropB.top };
  const sw = src.right - src.left;
  const sh = src.bottom - src.top;
  // buffer -> layer: into the source rect's corner, through the transform, scaled onto width x height.
  const srcTransform = transformAffine(transform, sw, sh);
  const stw = rotated ? sh : sw;
  const sth = rotated ? sw : sh;
  const bufferToLayer = compose(
    { a: width / stw, b: 0, c: 0, d: height / sth, tx: 0, ty: 0 },
    compose(srcTransform, { a: 1, b: 0, c: 0, d: 1, tx: -src.left, ty: -src.top }),
  );
  const bufferToDisplay = compose(state.transform, bufferToLayer);
  const contentFrame = roundRect(mapRect(state.transform, { left: 0, top: 0, right: width, bottom: height }));
  if (isEmptyRect(contentFrame)) return undefined;
  let footprint = Region.fromRect(contentFrame).intersect(roundRect(clip));
  if (hintRegion) footprint = footprint.intersect(hintRegion);
  if (footprint.isEmpty) return undefined;
  let damage = Region.EMPTY;
  if (layer.latchedThisFrame) damage = displayDamage(current.damage, bufferToDisplay, footprint);
  return { footprint, contentFrame, contentCrop: src, bufferToDisplay, bufferTransform: transformOf(bufferToDisplay), damage };
}
