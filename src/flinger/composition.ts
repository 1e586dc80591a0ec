// The composition step behind an interface: the flinger hands each display's frame (output layers
// and damage) to a CompositionEngine, which draws and presents it. The core's engine composes
// every layer as CLIENT with the renderer, only inside the damage. The composer issue replaces it
// with HWC planning (validate -> DEVICE/CLIENT -> client target -> present) through
// FlingerOptions.composition; `toRenderLayers` is shared so both compose CLIENT layers the same way.
import { contentRenderLayer } from '../render/index.js';
import type { RenderLayer, RenderStats, RenderTarget } from '../render/index.js';
import type { Rect } from '../region/rect.js';
import type { Region } from '../region/region.js';
import type { HeadlessDisplay } from '../display/display.js';
import type { DisplayId, OutputLayer } from './types.js';
import { CompositionType } from './types.js';

/** The renderer's face the flinger uses (src/render's Renderer satisfies it). */
export interface RenderBackend {
  /** Small plans (a damage-only frame) complete on the calling thread; see Renderer.inlinePixelLimit. */
  compose(target: RenderTarget, layers: readonly RenderLayer[], clip?: readonly Rect[]): Promise<RenderStats>;
}

/** One display's frame, ready to compose. */
export interface DisplayFrame {
  readonly display: HeadlessDisplay;
  /** Counts the flinger's frames. */
  readonly frame: number;
  readonly vsyncTime: number;
  /** Bottom to top; engines set compositionType. */
  readonly layers: readonly OutputLayer[];
  /** Every pixel that may differ from what the framebuffer shows. */
  readonly damage: Region;
  /** The part of the damage no opaque layer covers: cleared to black before blending. */
  readonly clearRegion: Region;
}

export interface CompositionResult {
  /** Pixels the renderer wrote (0 when nothing was CLIENT-composed). */
  readonly pixelsComposed: number;
}

export interface CompositionEngine {
  /** Composes and presents one frame; resolves when the display shows it. */
  present(frame: DisplayFrame): Promise<CompositionResult>;
  /** The display left the flinger: drop what the engine keeps for it (client target, composer state). */
  displayRemoved?(display: DisplayId): void;
  dispose?(): void;
}

const OPAQUE_BLACK = { r: 0, g: 0, b: 0, a: 255 } as const;

/**
 * The renderer layers that redraw `area` of the given output layers: a black clear where no
 * opaque layer covers, then each layer clipped to its visible region inside `area`.
 */
export function toRenderLayers(layers: readonly OutputLayer[], area: Region, clearRegion: Region): RenderLayer[] {
  const out: RenderLayer[] = [];
  const clear = clearRegion.intersect(area);
  if (!clear.isEmpty) out.push({ kind: 'clear', color: OPAQUE_BLACK, dst: clear.bounds(), clip: clear.rects() });
  for (const layer of layers) {
    const clipRegion = layer.visibleRegion.intersect(area);
    if (clipRegion.isEmpty) continue;
    const buffer = layer.kind === 'color' ? undefined : layer.buffer;
    out.push(
      contentRenderLayer(
        {
          buffer,
          color: layer.color,
          crop: layer.contentCrop,
          frame: buffer ? layer.contentFrame : layer.displayFrame,
          transform: layer.bufferTransform,
          blendMode: layer.blendMode,
          planeAlpha: layer.planeAlpha,
        },
        clipRegion.rects(),
      ),
    );
  }
  return out;
}

/** The core's engine: every layer CLIENT, composed by the renderer into the display's framebuffer. */
export class ClientComposition implements CompositionEngine {
  constructor(private readonly renderer: RenderBackend) {}

  async present(frame: DisplayFrame): Promise<CompositionResult> {
    for (const layer of frame.layers) layer.compositionType = CompositionType.CLIENT;
    if (frame.damage.isEmpty) return { pixelsComposed: 0 };
    const layers = toRenderLayers(frame.layers, frame.damage, frame.clearRegion);
    const clip = frame.damage.rects();
    const stats = await this.renderer.compose(frame.display.framebuffer, layers, clip);
    return { pixelsComposed: stats.pixelsTouched };
  }
}
