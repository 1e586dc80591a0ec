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

/** The window types the demos use (the window manager's z-order policy places them). */
export type DemoWindowType = 'wallpaper' | 'application' | 'dialog' | 'status-bar' | 'navigation-bar';

export interface DemoInput {
  readonly kind: 'pointer' | 'touch' | 'key';
  readonly action: 'down' | 'move' | 'up' | 'cancel' | 'hover';
  /** Surface pixels (pointer and touch). */
  readonly x: number;
  readonly y: number;
  /** Keys: the key name. */
  readonly key: string;
}

export interface DemoSurfaceSpec {
  readonly name: string;
  /** The window the surface is, when the host has a window manager. */
  readonly window: { readonly type: DemoWindowType; readonly focusable: boolean; readonly touchable: boolean };
  readonly width: number;
  readonly height: number;
  readonly format: DemoFormat;
  /** Where the surface asks to sit on the display, and its z among the demo layers (hosts without a window manager). */
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly opaque: boolean;
}

export interface DemoSurface {
  /** The size the host gave (a window manager may clamp the request). */
  readonly width: number;
  readonly height: number;
  /** Input the window receives, in surface pixels. */
  onInput(listener: (event: DemoInput) => void): void;
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
