// How a compositor layer's content becomes one renderer layer: the one rule shared by the flinger's
// CLIENT composition and the composer's scan-out, so both draw a layer identically.
import { Transform } from '../buffer/transform.js';
import type { Rect } from '../region/rect.js';
import type { FloatRect, PixelSource, RenderLayer } from './types.js';

/** Android's layer blend modes (premultiplied source, non-premultiplied "coverage", or opaque). */
export type LayerBlend = 'NONE' | 'PREMULTIPLIED' | 'COVERAGE';

export interface LayerContent {
  /** Absent: a solid color layer. */
  readonly buffer: PixelSource | undefined;
  /** 0..1 channels; drawn when there is no buffer. */
  readonly color: { readonly r: number; readonly g: number; readonly b: number };
  /** Buffer pixels (float) mapped onto `frame`. */
  readonly crop: FloatRect;
  /** Display pixels the content lands on (the crop's destination, or the color's area). */
  readonly frame: Rect;
  readonly transform: Transform;
  readonly blendMode: LayerBlend;
  /** 0..1. */
  readonly planeAlpha: number;
}

/** The renderer layer that draws `content` clipped to `clip`: nearest when the crop maps 1:1, else bilinear. */
export function contentRenderLayer(content: LayerContent, clip: readonly Rect[]): RenderLayer {
  const { buffer, crop, frame } = content;
  if (!buffer) {
    const c = content.color;
    return {
      kind: 'color',
      color: { r: Math.round(c.r * 255), g: Math.round(c.g * 255), b: Math.round(c.b * 255), a: 255 },
      planeAlpha: content.planeAlpha,
      dst: frame,
      clip,
    };
  }
  const rotated = (content.transform & Transform.ROT_90) !== 0; // the crop's width lands on the frame's height
  const w = crop.right - crop.left;
  const h = crop.bottom - crop.top;
  const unscaled = (rotated ? h : w) === frame.right - frame.left && (rotated ? w : h) === frame.bottom - frame.top;
  return {
    kind: 'buffer',
    source: buffer,
    crop,
    dst: frame,
    transform: content.transform,
    filter: unscaled ? 'nearest' : 'bilinear',
    blend: content.blendMode === 'NONE' ? 'none' : content.blendMode === 'COVERAGE' ? 'coverage' : 'premultiplied',
    planeAlpha: content.planeAlpha,
    clip,
  };
}
