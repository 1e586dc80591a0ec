// Shared scaffolding for flinger tests: a small display driven by a ManualVsyncSource, so every
// frame happens exactly when a test ticks, and helpers to make and read pixels.
import { GraphicBuffer, PixelFormat, Usage } from '../../src/buffer/index.js';
import { HeadlessDisplay, ManualVsyncSource } from '../../src/display/index.js';
import type { DisplayConfig } from '../../src/display/index.js';
import { Flinger } from '../../src/flinger/index.js';
import type { FlingerClient, FlingerOptions, RenderBackend } from '../../src/flinger/index.js';
import { monotonicNow } from '../../src/queue/index.js';
import { Renderer } from '../../src/render/index.js';

export interface Harness {
  readonly vsync: ManualVsyncSource;
  readonly display: HeadlessDisplay;
  readonly flinger: Flinger;
  readonly client: FlingerClient;
  /** Ticks the next VSync (not behind real time) and waits for the frame (if one ran). Returns whether a frame ran. */
  frame(): Promise<boolean>;
  /** Ticks until nothing asks for VSync (at most `limit` frames). */
  frames(count: number): Promise<number>;
  dispose(): void;
}

export function testRenderer(): RenderBackend {
  return new Renderer({ threads: 1 });
}

export function harness(config: DisplayConfig = {}, options: Omit<FlingerOptions, 'displays' | 'clock'> = {}): Harness {
  const vsync = new ManualVsyncSource(config.refreshRate ?? 60);
  const display = new HeadlessDisplay({ width: 64, height: 48, ...config, vsync });
  const flinger = new Flinger({ renderer: testRenderer(), onError: (e) => { throw e; }, ...options, displays: [display], clock: () => vsync.now });
  const client = flinger.createClient('test');
  const frame = async (): Promise<boolean> => {
    // The next VSync on the grid, never behind the real clock (queued frames carry real timestamps).
    let t = vsync.now + vsync.period;
    const real = monotonicNow();
    if (real > t) t += Math.ceil((real - t) / vsync.period) * vsync.period;
    const ran = vsync.tick(t);
    await flinger.settled();
    return ran;
  };
  return {
    vsync,
    display,
    flinger,
    client,
    frame,
    async frames(count: number): Promise<number> {
      let ran = 0;
      for (let i = 0; i < count; i++) if (await frame()) ran++;
      return ran;
    },
    dispose(): void {
      flinger.dispose();
      display.dispose();
    },
  };
}

export type RGBA = readonly [number, number, number, number];

/** A buffer filled with one premultiplied color. */
export function solidBuffer(width: number, height: number, color: RGBA, format: PixelFormat = PixelFormat.RGBA_8888): GraphicBuffer {
  const buffer = GraphicBuffer.allocate({ width, height, format, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE });
  fillRect(buffer, { left: 0, top: 0, right: width, bottom: height }, color);
  return buffer;
}

export function fillRect(buffer: GraphicBuffer, r: { left: number; top: number; right: number; bottom: number }, color: RGBA): void {
  const bytes = buffer.bytes();
  const stride = buffer.layout.planes[0]!.bytesPerRow;
  const bgr = buffer.format === PixelFormat.BGRA_8888 || buffer.format === PixelFormat.BGRX_8888;
  for (let y = r.top; y < r.bottom; y++) {
    for (let x = r.left; x < r.right; x++) {
      const o = y * stride + x * 4;
      bytes[o] = bgr ? color[2] : color[0];
      bytes[o + 1] = color[1];
      bytes[o + 2] = bgr ? color[0] : color[2];
      bytes[o + 3] = color[3];
    }
  }
}

export function pixelAt(rgba: Uint8Array, width: number, x: number, y: number): RGBA {
  const o = (y * width + x) * 4;
  return [rgba[o]!, rgba[o + 1]!, rgba[o + 2]!, rgba[o + 3]!];
}

export function screenPixel(display: HeadlessDisplay, x: number, y: number): RGBA {
  return pixelAt(display.readFramebuffer(), display.width, x, y);
}
