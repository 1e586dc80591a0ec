// Helpers for composer tests: plane layers from plain rectangles, solid buffers, a counting renderer.
import { GraphicBuffer, PixelFormat, Transform, Usage } from '../../src/buffer/index.js';
import type { ComposerLayerState } from '../../src/composer/index.js';
import { Composition } from '../../src/composer/index.js';
import type { RenderBackend } from '../../src/flinger/index.js';
import { NO_FENCE } from '../../src/queue/index.js';
import type { Rect } from '../../src/region/rect.js';
import { Region } from '../../src/region/region.js';
import { Renderer } from '../../src/render/index.js';
import type { RenderLayer, RenderStats, RenderTarget } from '../../src/render/index.js';

export function solid(width: number, height: number, rgba: readonly [number, number, number, number], format: PixelFormat = PixelFormat.RGBA_8888): GraphicBuffer {
  const b = GraphicBuffer.allocate({ width, height, format, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE });
  if (format === PixelFormat.RGBA_8888 || format === PixelFormat.RGBX_8888) {
    const px = b.pixels32();
    px.fill((rgba[3] << 24) | (rgba[2] << 16) | (rgba[1] << 8) | rgba[0]);
  } else {
    b.bytes().fill(128);
  }
  return b;
}

/** A layer showing `buffer` 1:1 at `frame` (fully visible), requested DEVICE. */
export function bufferLayer(buffer: GraphicBuffer, frame: Rect, z: number, extra: Partial<ComposerLayerState> = {}): ComposerLayerState {
  return {
    buffer,
    acquireFence: NO_FENCE,
    blendMode: 'PREMULTIPLIED',
    planeAlpha: 1,
    sourceCrop: { left: 0, top: 0, right: buffer.width, bottom: buffer.height },
    displayFrame: frame,
    transform: Transform.NONE,
    visibleRegion: Region.fromRect(frame),
    surfaceDamage: Region.EMPTY,
    z,
    color: { r: 0, g: 0, b: 0 },
    compositionType: Composition.DEVICE,
    ...extra,
  };
}

/** A renderer that counts its calls and pixels (the flinger's CLIENT work). */
export class CountingRenderer implements RenderBackend {
  readonly #inner = new Renderer({ threads: 1 });
  calls = 0;
  pixels = 0;

  async compose(target: RenderTarget, layers: readonly RenderLayer[], clip?: readonly Rect[]): Promise<RenderStats> {
    this.calls++;
    const stats = await this.#inner.compose(target, layers, clip);
    this.pixels += stats.pixelsTouched;
    return stats;
  }
}
