// Mirroring one display onto another of a different size (screen recording, simulated displays):
// the source's layer-stack content, scaled to fit and centered (letterboxed), re-projected
// whenever the source rotates, changes mode or switches stack (Android screenrecord polls the
// orientation per frame; here the display's change listener does it).
import type { HeadlessDisplay, Projection } from '../display/display.js';
import type { Rect } from '../region/rect.js';
import { rect } from '../region/rect.js';

/** The largest rect with the source's aspect that fits in width x height, centered. */
export function letterbox(source: { readonly width: number; readonly height: number }, width: number, height: number): Rect {
  const scale = Math.min(width / source.width, height / source.height);
  const w = Math.max(1, Math.min(width, Math.round(source.width * scale)));
  const h = Math.max(1, Math.min(height, Math.round(source.height * scale)));
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  return rect(left, top, left + w, top + h);
}

/** The projection that shows what `source` shows (its layer-stack rect, as oriented now) inside width x height. */
export function mirrorProjection(source: HeadlessDisplay, width: number, height: number): Projection {
  const stack = source.projection.layerStackRect;
  return {
    orientation: 0,
    layerStackRect: { ...stack },
    displayRect: letterbox({ width: stack.right - stack.left, height: stack.bottom - stack.top }, width, height),
  };
}

/** Makes `mirror` show `source` from now on; returns the function that stops following it. */
export function followDisplay(source: HeadlessDisplay, mirror: HeadlessDisplay): () => void {
  const apply = (): void => {
    mirror.layerStack = source.layerStack;
    mirror.setProjection(mirrorProjection(source, mirror.width, mirror.height));
  };
  apply();
  return source.onChange((change) => {
    if (change === 'projection' || change === 'mode' || change === 'layerStack') apply();
  });
}
