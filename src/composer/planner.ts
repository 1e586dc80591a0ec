// Plane planning: which layers the device scans out from planes and which go to the client target.
// Tries, in order (as Weston's drm_assign_planes does): the previous assignment, planes only,
// planes plus the client target, client only. The client target is the bottom plane: a layer may
// sit on a plane only when no CLIENT layer above it touches what it shows, so the planes stacked
// over the client target give exactly the pixels of composing everything in order.
import { PixelFormat, Transform } from '../buffer/index.js';
import { Region } from '../region/region.js';
import type { ComposerLayerId, ComposerLayerState, PlaneLimits, PlanStrategy } from './types.js';
import { Composition, Refusal } from './types.js';

export const DEFAULT_OVERLAY_PLANES = 4;

/** What a typical scan-out plane of the reference device reads. */
export const DEFAULT_PLANE_LIMITS: PlaneLimits = Object.freeze({
  formats: Object.freeze([PixelFormat.RGBA_8888, PixelFormat.RGBX_8888, PixelFormat.BGRA_8888, PixelFormat.BGRX_8888, PixelFormat.NV12]),
  scaling: true,
  rotation: false,
  planeAlpha: true,
  maxWidth: 4096,
  maxHeight: 4096,
});

/** The cursor plane: small, unscaled, unrotated RGBA. */
export const DEFAULT_CURSOR_LIMITS: PlaneLimits = Object.freeze({
  formats: Object.freeze([PixelFormat.RGBA_8888, PixelFormat.BGRA_8888]),
  scaling: false,
  rotation: false,
  planeAlpha: true,
  maxWidth: 256,
  maxHeight: 256,
});

export interface PlannerLayer {
  readonly id: ComposerLayerId;
  readonly state: ComposerLayerState;
}

export interface PlannerInput {
  /** Bottom to top. */
  readonly layers: readonly PlannerLayer[];
  /** Overlay planes; when anything is CLIENT, the client target takes plane 0. */
  readonly planes: readonly PlaneLimits[];
  readonly cursor: PlaneLimits | null;
  readonly width: number;
  readonly height: number;
  readonly previous: Plan | null;
}

/** Where a layer is scanned out from. */
export type PlaneSlot = number | 'cursor';

export interface Plan {
  readonly strategy: PlanStrategy;
  readonly types: ReadonlyMap<ComposerLayerId, Composition>;
  readonly planes: ReadonlyMap<ComposerLayerId, PlaneSlot>;
  readonly refusals: ReadonlyMap<ComposerLayerId, Refusal>;
  /** Plane holding the client target; null when nothing is CLIENT. */
  readonly clientTargetPlane: number | null;
  /** Layer ids, requested types and per-layer limit checks: a previous plan is reused only when these match. */
  readonly signature: string;
}

/** Does `state` fit a plane with `limits`? null when it does, else the first reason it does not. */
export function planeRefusal(state: ComposerLayerState, limits: PlaneLimits, width: number, height: number): Refusal | null {
  const buffer = state.buffer;
  if (!buffer) return Refusal.NO_BUFFER;
  if (!limits.formats.includes(buffer.format)) return Refusal.FORMAT;
  const f = state.displayFrame;
  const shownW = Math.min(f.right, width) - Math.max(f.left, 0);
  const shownH = Math.min(f.bottom, height) - Math.max(f.top, 0);
  if (shownW > limits.maxWidth || shownH > limits.maxHeight) return Refusal.SIZE;
  if (!limits.scaling && isScaled(state)) return Refusal.SCALING;
  if (!limits.rotation && state.transform !== Transform.NONE) return Refusal.ROTATION;
  if (!limits.planeAlpha && state.planeAlpha < 1) return Refusal.ALPHA;
  return null;
}

/** True when the source crop is resampled (size differs from the frame, or it has fractional edges). */
export function isScaled(state: ComposerLayerState): boolean {
  const c = state.sourceCrop;
  const f = state.displayFrame;
  if (![c.left, c.top, c.right, c.bottom].every(Number.isInteger)) return true;
  const swap = (state.transform & Transform.ROT_90) !== 0;
  const w = c.right - c.left;
  const h = c.bottom - c.top;
  return (swap ? h : w) !== f.right - f.left || (swap ? w : h) !== f.bottom - f.top;
}

/** Layers the device draws without a plane (fills) or on one (buffers). */
function needsPlane(type: Composition): boolean {
  return type === Composition.DEVICE || type === Composition.CURSOR;
}

interface Candidate {
  readonly layer: PlannerLayer;
  /** A plane could never take it (its limits fail on every plane), or it asked for CLIENT. */
  readonly forced: Refusal | null;
}

export function planComposition(input: PlannerInput): Plan {
  const candidates: Candidate[] = input.layers.map((layer) => ({ layer, forced: forcedRefusal(layer.state, input) }));
  const signature = candidates.map((c) => `${c.layer.id}:${c.layer.state.compositionType}:${c.forced ?? ''}`).join(' ');

  if (input.previous && input.previous.signature === signature) {
    const reused = checkAssignment(input, candidates, input.previous);
    if (reused) return { ...reused, strategy: 'previous' };
  }
  if (candidates.every((c) => c.forced === null)) {
    const planesOnly = assign(input, candidates, new Map(), false);
    if (planesOnly) return { ...planesOnly, strategy: 'planes-only', signature };
  }
  const client = new Map<ComposerLayerId, Refusal>();
  for (const c of candidates) if (c.forced !== null) client.set(c.layer.id, c.forced);
  // Each round either fits or moves one more layer to CLIENT, so this ends.
  for (;;) {
    occlusionClosure(candidates, client);
    const plan = assign(input, candidates, client, true);
    if (plan) return { ...plan, strategy: [...plan.types.values()].some((t) => t !== Composition.CLIENT) ? 'planes+client' : 'client-only', signature };
    const lowest = candidates.find((c) => !client.has(c.layer.id) && needsPlane(c.layer.state.compositionType));
    if (!lowest) break;
    client.set(lowest.layer.id, Refusal.TOO_MANY_LAYERS);
  }
  // No plane left at all (not even for the client target): everything CLIENT.
  const types = new Map<ComposerLayerId, Composition>();
  const refusals = new Map<ComposerLayerId, Refusal>();
  for (const c of candidates) {
    types.set(c.layer.id, Composition.CLIENT);
    refusals.set(c.layer.id, client.get(c.layer.id) ?? Refusal.TOO_MANY_LAYERS);
  }
  return { strategy: 'client-only', types, planes: new Map(), refusals, clientTargetPlane: input.planes.length > 0 ? 0 : null, signature };
}

function forcedRefusal(state: ComposerLayerState, input: PlannerInput): Refusal | null {
  const type = state.compositionType;
  if (type === Composition.CLIENT) return Refusal.REQUESTED_CLIENT;
  if (type === Composition.SOLID_COLOR) return null;
  let first: Refusal | null = null;
  const planes = type === Composition.CURSOR && input.cursor ? [input.cursor, ...input.planes] : input.planes;
  for (const limits of planes) {
    const why = planeRefusal(state, limits, input.width, input.height);
    if (why === null) return null;
    first ??= why;
  }
  return first ?? Refusal.TOO_MANY_LAYERS;
}

/** Top-down: a layer under CLIENT content it overlaps must be CLIENT too (the client target is the bottom plane). */
function occlusionClosure(candidates: readonly Candidate[], client: Map<ComposerLayerId, Refusal>): void {
  let clientAbove = Region.EMPTY;
  for (let i = candidates.length - 1; i >= 0; i--) {
    const { layer } = candidates[i]!;
    const visible = layer.state.visibleRegion;
    if (!client.has(layer.id) && clientAbove.intersects(visible)) client.set(layer.id, Refusal.OCCLUDED_BY_CLIENT);
    if (client.has(layer.id)) clientAbove = clientAbove.union(visible);
  }
}

/** Puts every non-CLIENT plane layer on a plane it fits, in z order; undefined when one finds no plane. */
function assign(input: PlannerInput, candidates: readonly Candidate[], client: ReadonlyMap<ComposerLayerId, Refusal>, withClientTarget: boolean): Omit<Plan, 'strategy' | 'signature'> | undefined {
  const hasClient = withClientTarget && client.size > 0;
  const used = new Set<number>();
  const clientTargetPlane = hasClient ? 0 : null;
  if (hasClient) {
    if (input.planes.length === 0) return undefined;
    used.add(0);
  }
  let cursorUsed = false;
  const types = new Map<ComposerLayerId, Composition>();
  const planes = new Map<ComposerLayerId, PlaneSlot>();
  const refusals = new Map<ComposerLayerId, Refusal>();
  for (const { layer } of candidates) {
    const why = client.get(layer.id);
    if (why !== undefined) {
      types.set(layer.id, Composition.CLIENT);
      refusals.set(layer.id, why);
      continue;
    }
    const type = layer.state.compositionType;
    if (!needsPlane(type)) {
      types.set(layer.id, type);
      continue;
    }
    if (type === Composition.CURSOR && input.cursor && !cursorUsed && planeRefusal(layer.state, input.cursor, input.width, input.height) === null) {
      cursorUsed = true;
      types.set(layer.id, Composition.CURSOR);
      planes.set(layer.id, 'cursor');
      continue;
    }
    const free = input.planes.findIndex((limits, index) => !used.has(index) && planeRefusal(layer.state, limits, input.width, input.height) === null);
    if (free < 0) return undefined;
    used.add(free);
    types.set(layer.id, type === Composition.CURSOR ? Composition.DEVICE : type);
    planes.set(layer.id, free);
  }
  return { types, planes, refusals, clientTargetPlane };
}

/** The previous plan, if it still holds: every plane layer still fits its plane and no CLIENT content lies over one. */
function checkAssignment(input: PlannerInput, candidates: readonly Candidate[], previous: Plan): Omit<Plan, 'strategy'> | undefined {
  let clientAbove = Region.EMPTY;
  for (let i = candidates.length - 1; i >= 0; i--) {
    const { layer } = candidates[i]!;
    const type = previous.types.get(layer.id);
    if (type === undefined) return undefined;
    if (type === Composition.CLIENT) {
      clientAbove = clientAbove.union(layer.state.visibleRegion);
      continue;
    }
    if (clientAbove.intersects(layer.state.visibleRegion)) return undefined;
    const slot = previous.planes.get(layer.id);
    if (slot === undefined) continue; // SOLID_COLOR
    const limits = slot === 'cursor' ? input.cursor : input.planes[slot];
    if (!limits || planeRefusal(layer.state, limits, input.width, input.height) !== null) return undefined;
  }
  return { types: previous.types, planes: previous.planes, refusals: previous.refusals, clientTargetPlane: previous.clientTargetPlane, signature: previous.signature };
}
