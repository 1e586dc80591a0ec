// The Composer (HWC2) vocabulary: per-layer state the compositor sets, composition types, plane
// limits, refusal reasons, capabilities and callbacks. Plain data; the device is in device.ts.
// Coordinates: sourceCrop in buffer pixels (float), displayFrame / visibleRegion / surfaceDamage in
// display pixels. See docs/composer.md.
import type { GraphicBuffer, PixelFormat, Transform } from '../buffer/index.js';
import type { Fence } from '../queue/fence.js';
import type { Rect } from '../region/rect.js';
import type { Region } from '../region/region.js';

export type ComposerLayerId = number;
export type ComposerDisplayId = number;

/** Who draws a layer (HWC2 names; the strings equal the flinger's CompositionType). */
export const Composition = { CLIENT: 'CLIENT', DEVICE: 'DEVICE', SOLID_COLOR: 'SOLID_COLOR', CURSOR: 'CURSOR' } as const;
export type Composition = (typeof Composition)[keyof typeof Composition];

/** HWC2 blend modes: NONE out = src; PREMULTIPLIED out = src + dst*(1-as); COVERAGE out = src*as + dst*(1-as). */
export type LayerBlendMode = 'NONE' | 'PREMULTIPLIED' | 'COVERAGE';

export interface FloatRect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** A fill color, channels 0..1, not premultiplied (plane alpha applies on top). */
export interface LayerColor {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

/** Everything the compositor tells the device about one layer. */
export interface ComposerLayerState {
  /** The buffer shown; null for SOLID_COLOR layers (and CLIENT layers, where it is not needed). */
  readonly buffer: GraphicBuffer | null;
  /** The device does not read `buffer` before it signals. */
  readonly acquireFence: Fence;
  readonly blendMode: LayerBlendMode;
  /** 0..1. */
  readonly planeAlpha: number;
  /** The buffer pixels (float) that fill displayFrame, before `transform`. */
  readonly sourceCrop: FloatRect;
  /** Where the (transformed) source crop lands; may reach past the screen (visibleRegion clips). */
  readonly displayFrame: Rect;
  readonly transform: Transform;
  /** What the layer shows on screen after occlusion; the device draws nothing outside it. */
  readonly visibleRegion: Region;
  /** What changed in the buffer since the last present, in display pixels (within visibleRegion). */
  readonly surfaceDamage: Region;
  /** Higher draws above lower; unique per display. */
  readonly z: number;
  /** SOLID_COLOR fill. */
  readonly color: LayerColor;
  /** What the compositor asks for; the device may only turn DEVICE / SOLID_COLOR / CURSOR into CLIENT. */
  readonly compositionType: Composition;
}

/** Fields whose change needs no new validate (HWC2: buffer and damage change every frame). */
export const PER_FRAME_FIELDS = ['buffer', 'acquireFence', 'surfaceDamage'] as const;
const perFrameFieldSet: ReadonlySet<string> = new Set(PER_FRAME_FIELDS);
/** True for a field a layer may change every frame without a new validate. */
export function isPerFrameField(key: string): boolean {
  return perFrameFieldSet.has(key);
}

/** Why a layer did not get a plane (shown in dump; Weston's FAILURE_REASONS_* in spirit). */
export const Refusal = {
  REQUESTED_CLIENT: 'client requested',
  TOO_MANY_LAYERS: 'too many layers',
  SCALING: 'scaling',
  ROTATION: 'rotation',
  FORMAT: 'format',
  ALPHA: 'plane alpha',
  SIZE: 'too big',
  NO_BUFFER: 'no buffer',
  OCCLUDED_BY_CLIENT: 'occluded by client content',
} as const;
export type Refusal = (typeof Refusal)[keyof typeof Refusal];

/** What one hardware plane can scan out. */
export interface PlaneLimits {
  /** Buffer formats the plane reads. */
  readonly formats: readonly PixelFormat[];
  /** Source crop size may differ from the display frame size. */
  readonly scaling: boolean;
  /** Transforms other than NONE (flips and rotations). */
  readonly rotation: boolean;
  /** Plane alpha below 1. */
  readonly planeAlpha: boolean;
  /** Largest display frame (after clipping to the screen). */
  readonly maxWidth: number;
  readonly maxHeight: number;
}

/** Device-wide features (HWC2 capabilities; SKIP_VALIDATE = present without validate when only buffers/damage changed). */
export const Capability = {
  SKIP_VALIDATE: 'SKIP_VALIDATE',
  SOLID_COLOR: 'SOLID_COLOR',
  CURSOR_PLANE: 'CURSOR_PLANE',
  CLIENT_TARGET_CACHE: 'CLIENT_TARGET_CACHE',
  VIRTUAL_DISPLAY_OUTPUT: 'VIRTUAL_DISPLAY_OUTPUT',
} as const;
export type Capability = (typeof Capability)[keyof typeof Capability];

export const PowerMode = { OFF: 'off', DOZE: 'doze', ON: 'on' } as const;
export type PowerMode = (typeof PowerMode)[keyof typeof PowerMode];

export interface ComposerCallback {
  /** A display was connected or disconnected (every display reports once after registration). */
  onHotplug?(display: ComposerDisplayId, connected: boolean): void;
  /** A VSync of a display whose VSync is enabled (timestamp monotonic ms). */
  onVsync?(display: ComposerDisplayId, timestamp: number, period: number): void;
  /** The device wants the whole state again and a new present (e.g. after power on). */
  onRefresh?(display: ComposerDisplayId): void;
}

/** The order planning tries, as Weston's state-propose does. */
export type PlanStrategy = 'previous' | 'planes-only' | 'planes+client' | 'client-only';

export interface ValidateResult {
  /** Layers whose type the device changed (always to CLIENT). Empty = HWC2 NONE. */
  readonly changedTypes: ReadonlyMap<ComposerLayerId, Composition>;
  readonly strategy: PlanStrategy;
}

export interface ScanoutStats {
  /** Pixels the device wrote into the display's framebuffer this present. */
  readonly pixels: number;
  /** Wall time of the scan-out composition (ms). */
  readonly elapsedMs: number;
  /** Planes in use (client target included). */
  readonly planesUsed: number;
}

export interface PresentResult {
  /** Signals when the frame is on screen (software device: when scan-out finished). */
  readonly presentFence: Fence;
  /** Per layer, for the buffer the previous present showed and this one replaced. */
  readonly releaseFences: ReadonlyMap<ComposerLayerId, Fence>;
  readonly scanout: ScanoutStats;
}

export interface LayerDumpEntry {
  readonly layer: ComposerLayerId;
  readonly z: number;
  readonly requested: Composition;
  readonly composition: Composition;
  /** Overlay plane index, 'cursor', 'client target', or null (SOLID_COLOR and CLIENT layers). */
  readonly plane: number | 'cursor' | null;
  readonly refusal: Refusal | null;
}

export interface ComposerDisplayDump {
  readonly display: ComposerDisplayId;
  readonly width: number;
  readonly height: number;
  readonly powerMode: PowerMode;
  readonly vsyncEnabled: boolean;
  readonly virtual: boolean;
  readonly strategy: PlanStrategy | null;
  /** Overlay plane holding the client target, null when nothing is CLIENT. */
  readonly clientTargetPlane: number | null;
  readonly presents: number;
  readonly validates: number;
  /** Presents that needed no validate (only buffers and damage changed). */
  readonly skippedValidates: number;
  readonly layers: readonly LayerDumpEntry[];
}
