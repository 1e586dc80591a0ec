// What a demo app needs from its environment: surfaces it can draw into and the compositor's frame
// pacing. The demo processes implement it over the public SDK (sdk-host.ts); tests may implement it
// over an in-process flinger. The apps themselves (apps.ts) know nothing else.
import type { Rect } from '../region/rect.js';

export type DemoFormat = 'RGBA_8888' | 'NV12';

export interface DemoPlane {
  /** Byte offset of the plane's first row in `bytes`. */
  readonly offset: number;
  readonly bytesPerRow: number;
}

export interface DemoBuffer {
  readonly width: number;
  readonly height: number;
  readonly format: DemoFormat;
  /** The mapped buffer memory (shared with the compositor: no copy). */
  readonly bytes: Uint8Array;
  /** RGBA_8888: one plane; NV12: luma, then interleaved CbCr. */
  readonly planes: readonly DemoPlane[];
  /** Frames since this buffer's content was queued; 0 = its content is undefined (draw everything). */
  readonly age: number;
}

export interface DemoSurfaceSpec {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly format: DemoFormat;
  /** Where the surface sits on the display, and its z among the demo layers. */
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly opaque: boolean;
}

export interface DemoSurface {
  readonly width: number;
  readonly height: number;
  /**
   * Dequeues a buffer, lets `draw` fill it, queues it with the damage `draw` returns (in surface
   * pixels: what changed since the previous frame) and shows it. Resolves once the buffer is queued.
   */
  render(draw: (buffer: DemoBuffer) => readonly Rect[]): Promise<void>;
}

export interface DemoHost {
  readonly displayWidth: number;
  readonly displayHeight: number;
  createSurface(spec: DemoSurfaceSpec): Promise<DemoSurface>;
  /** Resolves with the frame time (ms) when the compositor is ready for the next frame: VSync-paced, never a busy loop. */
  nextFrame(): Promise<number>;
}

/** The rects to redraw in a buffer of `age`, given the damage of recent frames (newest last). */
export function redrawRegion(age: number, history: readonly (readonly Rect[])[], current: readonly Rect[], full: Rect): Rect[] {
  if (age <= 0 || age > history.length + 1) return [full];
  const rects = [...current];
  for (let i = history.length - (age - 1); i < history.length; i++) rects.push(...(history[i] ?? []));
  return rects;
}
