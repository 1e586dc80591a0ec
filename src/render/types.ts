// The renderer's public vocabulary: what the compositor hands it to draw. See docs/renderer.md.
import type { PixelFormat } from '../buffer/format.js';
import type { GraphicBuffer } from '../buffer/graphic-buffer.js';
import type { Transform } from '../buffer/transform.js';
import type { Rect } from '../region/rect.js';

/** Pixels in ordinary memory (tests, captures): the same facts a GraphicBuffer carries. */
export interface PixelMemory {
  readonly bytes: ArrayBuffer | Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  /** Row pitch of the first plane in pixels (NV12: in luma bytes). */
  readonly stride: number;
  /** NV12 only: byte offset of the CbCr plane from the start of `bytes`; default stride * height. */
  readonly chromaOffset?: number;
}

/** Where layers come from: a shared-memory buffer or plain memory. */
export type PixelSource = GraphicBuffer | PixelMemory;

/** What layers are drawn into: RGBA_8888, premultiplied alpha. */
export type RenderTarget = PixelSource;

/** A source crop in buffer pixels; fractional edges are allowed (half-open like Rect). */
export interface FloatRect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/**
 * How a buffer's alpha is used: 'none' ignores it (the layer is opaque), 'premultiplied' is the
 * usual OVER of premultiplied pixels, 'coverage' multiplies straight (non-premultiplied) colour by alpha first.
 */
export type BlendMode = 'none' | 'premultiplied' | 'coverage';

export type ScaleFilter = 'nearest' | 'bilinear';

/** YUV -> RGB conversion of NV12 sources. */
export interface YuvConversion {
  readonly matrix: 'bt601' | 'bt709';
  readonly range: 'limited' | 'full';
}

/** 8-bit premultiplied colour: r, g, b <= a, all integers 0..255. */
export interface PremultipliedColor {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  readonly a: number;
}

export interface BufferLayer {
  readonly kind: 'buffer';
  readonly source: PixelSource;
  /** Region of the source shown, before the transform; default: the whole buffer. */
  readonly crop?: FloatRect;
  /** Where the (transformed) crop lands in the target; scaled to fit. */
  readonly dst: Rect;
  /** Buffer transform (src/buffer/transform.ts), applied to the crop; default NONE. */
  readonly transform?: Transform;
  /** Default 'nearest'. */
  readonly filter?: ScaleFilter;
  /** Default 'premultiplied'. */
  readonly blend?: BlendMode;
  /** Layer opacity 0..1, default 1; quantised to 8 bits as round(planeAlpha * 255). */
  readonly planeAlpha?: number;
  /** Restricts drawing to the union of these rectangles (overlaps allowed); default: all of `dst`. */
  readonly clip?: readonly Rect[];
  /** NV12 only; default BT.601 limited range. */
  readonly yuv?: YuvConversion;
}

/** A solid colour drawn OVER what is below (dim layers, backgrounds). */
export interface ColorLayer {
  readonly kind: 'color';
  readonly color: PremultipliedColor;
  readonly planeAlpha?: number;
  readonly dst: Rect;
  readonly clip?: readonly Rect[];
}

/** Replaces the pixels of `dst` with `color` (default transparent black), alpha included. */
export interface ClearLayer {
  readonly kind: 'clear';
  readonly color?: PremultipliedColor;
  readonly dst: Rect;
  readonly clip?: readonly Rect[];
}

/** Layers are drawn in order, first at the bottom. */
export type RenderLayer = BufferLayer | ColorLayer | ClearLayer;

export interface RenderStats {
  /** Layers that drew at least one pixel after clipping. */
  readonly layersDrawn: number;
  /** Target pixels written, summed over layers. */
  readonly pixelsTouched: number;
  /** Horizontal bands the work was split into (a few per thread, claimed dynamically; 1 inline). */
  readonly bands: number;
  /** Wall time from submission to completion, milliseconds. */
  readonly elapsedMs: number;
}

export interface RendererOptions {
  /** Threads of the render pool that run compose's bands in parallel; default os.availableParallelism(). */
  readonly threads?: number;
  /**
   * How long a render thread that ran out of work keeps looking for the next compose (pausing and
   * yielding the CPU) before it sleeps, so back-to-back frames do not pay a thread wake-up.
   * 0 sleeps at once. Default DEFAULT_SPIN_MICROSECONDS.
   */
  readonly spinMicroseconds?: number;
  /**
   * compose() runs a plan that writes at most this many target pixels (summed over layers) on the
   * calling thread, still returning a Promise: below it, handing the work to other threads costs
   * more than the pixels. 0 never runs inline. Default DEFAULT_INLINE_PIXEL_LIMIT.
   */
  readonly inlinePixelLimit?: number;
}
