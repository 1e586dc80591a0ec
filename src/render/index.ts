// The software renderer: composes CLIENT layers into a target with native kernels (docs/renderer.md).
export { DEFAULT_INLINE_PIXEL_LIMIT, DEFAULT_SPIN_MICROSECONDS, Renderer } from './renderer.js';
export type { KernelVariant } from './native.js';
export { contentRenderLayer } from './content.js';
export type { LayerBlend, LayerContent } from './content.js';
export { sourceMapping, yuvCoefficients, mul255, quantizeAlpha } from './math.js';
export type { SourceMapping, YuvCoefficients } from './math.js';
export type {
  BlendMode,
  BufferLayer,
  ClearLayer,
  ColorLayer,
  FloatRect,
  PixelMemory,
  PixelSource,
  PremultipliedColor,
  RenderLayer,
  RenderStats,
  RenderTarget,
  RendererOptions,
  ScaleFilter,
  YuvConversion,
} from './types.js';
