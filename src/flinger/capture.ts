// Screen capture: the display's layer stack composed afresh into plain memory, with the capture
// rules: secure layers black, skip-screenshot layers absent (and what they covered shown).
import { encode } from 'fast-png';

import { PixelFormat } from '../buffer/format.js';
import type { HeadlessDisplay } from '../display/display.js';
import { Region } from '../region/region.js';
import type { RenderBackend } from './composition.js';
import { toRenderLayers } from './composition.js';
import type { Layer } from './layer.js';
import { buildSnapshot } from './snapshot.js';
import type { LayerId, OutputLayer } from './types.js';

export interface CaptureOptions {
  /** Show secure layers' content (only for trusted callers). Default false: black. */
  readonly includeSecure?: boolean;
  /** Keep skip-screenshot layers. Default false: absent. */
  readonly includeSkipScreenshot?: boolean;
}

export interface CaptureResult {
  readonly width: number;
  readonly height: number;
  /** Tightly packed RGBA_8888, premultiplied, opaque (alpha 255) where nothing translucent reaches black. */
  readonly rgba: Uint8Array;
  readonly layers: readonly OutputLayer[];
}

export async function captureDisplay(
  layers: ReadonlyMap<LayerId, Layer>,
  display: HeadlessDisplay,
  renderer: RenderBackend,
  options: CaptureOptions,
): Promise<CaptureResult> {
  const { width, height } = display;
  const snapshot = buildSnapshot(layers, { width, height, projection: display.projectionTransform() }, {
    layerStack: display.layerStack,
    secure: options.includeSecure ?? false,
    skipScreenshotLayers: !(options.includeSkipScreenshot ?? false),
  });
  const rgba = new Uint8Array(width * height * 4);
  const all = Region.fromRect({ left: 0, top: 0, right: width, bottom: height });
  const target = { bytes: rgba, width, height, format: PixelFormat.RGBA_8888, stride: width };
  await renderer.compose(target, toRenderLayers(snapshot.layers, all, all.subtract(snapshot.opaqueRegion)));
  return { width, height, rgba, layers: snapshot.layers };
}

/** RGBA bytes as a PNG file. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Uint8Array {
  return encode({ width, height, data: rgba, channels: 4, depth: 8 });
}
