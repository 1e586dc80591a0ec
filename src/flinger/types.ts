// The flinger's public data: layer kinds and properties, transactions, callback stats, output
// layers and dumps. Everything here is plain data (JSON-serializable) except the few fields named
// as in-process handles (GraphicBuffer, Fence, BufferProducer, callbacks), which the server maps
// to and from wire handles. Times are monotonic milliseconds (queue/fence.ts monotonicNow).
import type { GraphicBuffer, ScalingMode, Transform } from '../buffer/index.js';
import type { BufferProducer, BufferQueueDump, Fence } from '../queue/index.js';
import type { Rect } from '../region/rect.js';
import type { Region } from '../region/region.js';

export type LayerId = number;
export type DisplayId = number;
export type ClientId = number;
export type TransactionId = number;
/** Which displays show a root layer: a display shows the root layers whose stack equals its own. */
export type LayerStack = number;

export const DEFAULT_LAYER_STACK: LayerStack = 0;
/** As a parent: the top level of the layer's stack. Layer ids start at 1. */
export const ROOT_LAYER: LayerId = 0;
/** Desired present times more than this far ahead count as "now" (Android's 1 s rule). */
export const MAX_PRESENT_AHEAD_MS = 1000;
/** Layers per flinger (Android's MAX_LAYERS is 4096). */
export const MAX_LAYERS = 4096;
/** Transactions one client may have waiting to apply. */
export const MAX_PENDING_TRANSACTIONS = 256;

export type LayerKind = 'buffer' | 'color' | 'container';

/** How a layer's pixels combine with what is below (HWC2 names). */
export const BlendMode = { NONE: 'NONE', PREMULTIPLIED: 'PREMULTIPLIED', COVERAGE: 'COVERAGE' } as const;
export type BlendMode = (typeof BlendMode)[keyof typeof BlendMode];

/** Who draws an output layer (HWC2 names). The core marks everything CLIENT; the composer may plan others. */
export const CompositionType = { CLIENT: 'CLIENT', DEVICE: 'DEVICE', SOLID_COLOR: 'SOLID_COLOR', CURSOR: 'CURSOR' } as const;
export type CompositionType = (typeof CompositionType)[keyof typeof CompositionType];

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

/**
 * A 2x2 matrix with Android's setMatrix names: x' = dsdx*x + dtdy*y, y' = dtdx*x + dsdy*y.
 * Identity is {1,0,0,1}; a 90 degree clockwise turn is {dsdx:0, dtdx:1, dtdy:-1, dsdy:0}.
 */
export interface Matrix2x2 {
  readonly dsdx: number;
  readonly dtdx: number;
  readonly dtdy: number;
  readonly dsdy: number;
}

/** An affine map: x' = a*x + c*y + tx, y' = b*x + d*y + ty. */
export interface Affine {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly tx: number;
  readonly ty: number;
}

/** A color with channels in 0..1 (not premultiplied). */
export interface Color {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

/** A rectangle with float edges (source crops). */
export interface FloatRect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** Every settable property of a layer, with its default in LayerState docs (docs/compositor.md). */
export interface LayerProperties {
  // positional
  /** In the parent's space. Default (0,0). */
  readonly position: Point;
  readonly matrix: Matrix2x2;
  /** Among siblings (or among the relative parent's children): higher draws above; negative draws below the parent. */
  readonly z: number;
  /** Draw in this layer's subtree (with `z`) instead of the parent's; null = not relative. */
  readonly relativeTo: LayerId | null;
  /** Only meaningful on root layers (children take their root's). */
  readonly layerStack: LayerStack;
  // content
  /** The layer's window size for the scaling mode; null = the (cropped, transformed) buffer's size. */
  readonly size: Size | null;
  /** In layer space; clips the layer and its children. null = no crop. */
  readonly crop: Rect | null;
  /** The part of the buffer to show, in buffer pixels; null = the queued frame's crop or the whole buffer. */
  readonly bufferCrop: Rect | null;
  /** Applied to the buffer content before it is placed in layer space; null = the queued frame's transform. */
  readonly bufferTransform: Transform | null;
  /** How the buffer fills `size`; null = the queued frame's mode (default FREEZE). */
  readonly scalingMode: ScalingMode | null;
  // composition
  /** 0..1, multiplied down the tree. */
  readonly alpha: number;
  /** Fill of a color layer. */
  readonly color: Color;
  /** Buffer pixels are not premultiplied: blend with COVERAGE. */
  readonly nonPremultiplied: boolean;
  // optimization
  /** Where the layer has content, in layer space; null = everywhere. Pixels outside are not drawn. */
  readonly visibleRegionHint: readonly Rect[] | null;
  /** What changed in the buffer given in the same transaction, in buffer pixels; null = all. Queued frames carry their own damage. */
  readonly surfaceDamage: readonly Rect[] | null;
  // flags
  readonly hidden: boolean;
  /** Content is opaque (hides what is below where alpha is 1). */
  readonly opaque: boolean;
  /** Black in captures and on non-secure outputs; propagates to children. */
  readonly secure: boolean;
  /** Absent from captures, recordings and mirrors; propagates to children. */
  readonly skipScreenshot: boolean;
}

/** A buffer given in a transaction (BLAST style): shown from the frame the transaction applies. */
export interface BufferSubmission {
  readonly buffer: GraphicBuffer;
  /** The flinger does not read the buffer before it signals; the transaction waits for it. */
  readonly acquireFence?: Fence;
  /** The producer's frame number, reported back in stats. */
  readonly frameNumber?: number;
  /** Called once when the flinger will no longer read the buffer after `fence` (replaced, merged over, destroyed). */
  readonly onRelease?: (fence: Fence) => void;
}

/**
 * Changes to one layer: any subset of the properties, plus z forms, parent, and a buffer.
 * `z` clears `relativeTo`; `relativeZ` sets both. `parent` null = offscreen (kept but not drawn),
 * ROOT_LAYER = top level. `buffer` null = no buffer (the layer stops drawing).
 */
export type LayerChanges = Partial<Omit<LayerProperties, 'relativeTo'>> & {
  readonly relativeZ?: { readonly relativeTo: LayerId; readonly z: number };
  readonly parent?: LayerId | null;
  readonly buffer?: BufferSubmission | null;
};

/** An atomic batch: every change applies on the same frame, or none does. */
export interface TransactionData {
  /** Per layer; a layer may appear once (merge folds repeats). */
  readonly layers: readonly { readonly layer: LayerId; readonly changes: LayerChanges }[];
  /** Layers to destroy (with their children's link to them: children go offscreen). */
  readonly destroy?: readonly LayerId[];
  /** Do not apply before this monotonic time (ms). More than 1 s ahead counts as now. */
  readonly desiredPresentTime?: number;
}

export interface SurfaceStats {
  readonly layer: LayerId;
  /** When the shown buffer's acquire fence signalled, -1 if the layer has no buffer. */
  readonly acquireTime: number;
  /** The fence of the buffer this transaction replaced, null if none was replaced. */
  readonly previousReleaseFence: Fence | null;
  /** Frame number of the shown buffer, 0 if none. */
  readonly frameNumber: number;
  readonly transformHint: Transform;
}

export interface TransactionStats {
  readonly transaction: TransactionId;
  /** When the transaction was applied and its buffers latched (the VSync time). */
  readonly latchTime: number;
  /** When the frame reached the display; -1 in commit callbacks. */
  readonly presentTime: number;
  /** Signals at presentTime; null in commit callbacks. */
  readonly presentFence: Fence | null;
  /** Layers of the transaction that still exist (destroyed ones are left out). */
  readonly surfaces: readonly SurfaceStats[];
}

export interface ApplyOptions {
  /** After the transaction applied and its buffers latched; always before onComplete. */
  readonly onCommit?: (stats: TransactionStats) => void;
  /** After the frame showing the transaction was presented. */
  readonly onComplete?: (stats: TransactionStats) => void;
}

export interface LayerSpec {
  readonly name: string;
  readonly kind: LayerKind;
  /** ROOT_LAYER (default) = top level; null = offscreen. */
  readonly parent?: LayerId | null;
  /** Initial properties (same meaning as a transaction's changes, applied at once). */
  readonly initial?: Omit<LayerChanges, 'buffer' | 'parent'>;
  /** Buffer layers: the queue's default buffer size/format and slot count. */
  readonly queue?: { readonly width?: number; readonly height?: number; readonly queueSize?: number };
}

export interface LayerHandle {
  readonly id: LayerId;
  readonly name: string;
  readonly kind: LayerKind;
  /** Buffer layers: the producer end of the layer's BufferQueue (the flinger is its consumer). */
  readonly producer: BufferProducer | undefined;
}

/** What a VSync listener receives. */
export interface VsyncEvent {
  readonly display: DisplayId;
  /** The VSync's time (monotonic ms). */
  readonly timestamp: number;
  readonly period: number;
  /** Counts the display's delivered VSyncs. */
  readonly vsyncId: number;
}

/** One layer as a display's frame sees it: flat, in display space. */
export interface OutputLayer {
  readonly layer: LayerId;
  readonly name: string;
  readonly kind: 'buffer' | 'color';
  /** Bottom to top index on this display. */
  readonly z: number;
  readonly buffer: GraphicBuffer | undefined;
  readonly frameNumber: number;
  /** Color layers: the fill; buffer layers: unused (black). */
  readonly color: Color;
  /** Layer space -> display space (always rect-preserving: other layers are not drawn). */
  readonly transform: Affine;
  /** Buffer pixels -> display space; the layer transform for color layers. */
  readonly bufferToDisplay: Affine;
  /** Where the whole content lands, before any clipping (what the renderer maps contentCrop onto). */
  readonly contentFrame: Rect;
  /** The buffer pixels (float) that fill contentFrame. */
  readonly contentCrop: FloatRect;
  /** In buffer pixels (float), the part that lands in displayFrame (HWC source crop). */
  readonly sourceCrop: FloatRect;
  /** The combined buffer + layer + display rotation as a buffer Transform (renderer convention). */
  readonly bufferTransform: Transform;
  /** contentFrame clipped by crops and the display (HWC display frame). */
  readonly displayFrame: Rect;
  readonly blendMode: BlendMode;
  readonly planeAlpha: number;
  readonly opaque: boolean;
  readonly secure: boolean;
  readonly skipScreenshot: boolean;
  /** What this layer shows after occlusion (display space). Rects as [l,t,r,b] in JSON. */
  readonly visibleRegion: Region;
  /** The part of visibleRegion other layers draw over. */
  readonly coveredRegion: Region;
  /** What changed in this layer's content this frame (display space, within visibleRegion). */
  readonly surfaceDamage: Region;
  compositionType: CompositionType;
  /** Why the composer refused this layer a plane (set by the HWC engine; absent when it got one). */
  compositionRefusal?: string;
}

export interface LayerDump {
  readonly id: LayerId;
  readonly name: string;
  readonly kind: LayerKind;
  readonly client: string;
  readonly parent: LayerId | null;
  readonly children: readonly LayerId[];
  readonly properties: LayerProperties;
  readonly buffer: { readonly id: number; readonly width: number; readonly height: number; readonly format: string; readonly frameNumber: number } | null;
  readonly framesLatched: number;
  readonly framesDropped: number;
  readonly queue: BufferQueueDump | null;
}

export interface OutputLayerDump {
  readonly layer: LayerId;
  readonly name: string;
  readonly compositionType: CompositionType;
  /** Why the composer refused the layer a plane (absent when it got one, or with the all-CLIENT engine). */
  readonly compositionRefusal?: string;
  readonly blendMode: BlendMode;
  readonly planeAlpha: number;
  readonly sourceCrop: FloatRect;
  readonly displayFrame: Rect;
  readonly bufferTransform: Transform;
  readonly visibleRegion: [number, number, number, number][];
  readonly surfaceDamage: [number, number, number, number][];
}

export interface DisplayDump {
  readonly id: DisplayId;
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly refreshRate: number;
  readonly layerStack: LayerStack;
  readonly powerOn: boolean;
  /** internal, external or virtual (absent from older dumps). */
  readonly kind?: string;
  /** off, doze or on. */
  readonly powerMode?: string;
  readonly framesPresented: number;
  readonly vsyncsMissed: number;
  readonly lastFrame: {
    readonly frame: number;
    readonly vsyncTime: number;
    readonly presentTime: number;
    readonly damage: [number, number, number, number][];
    readonly layers: readonly OutputLayerDump[];
    /** Layers with content that this frame did not show, and why. */
    readonly skipped: Readonly<Record<string, string>>;
  } | null;
}

export interface FlingerDump {
  readonly displays: readonly DisplayDump[];
  readonly layers: readonly LayerDump[];
  readonly pendingTransactions: number;
  readonly clients: readonly { readonly id: ClientId; readonly name: string; readonly layers: number }[];
}
