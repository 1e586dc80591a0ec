// Renderer: composes layers into a target with the native kernels, off the main thread.
import { availableParallelism } from 'node:os';

import { GraphicBuffer } from '../buffer/graphic-buffer.js';
import { StratumError } from '../os/status.js';
import type { Rect } from '../region/rect.js';
import type { KernelVariant } from './native.js';
import { renderNative } from './native.js';
import type { Plan } from './plan.js';
import { buildPlan } from './plan.js';
import type { PremultipliedColor, RenderLayer, RenderStats, RenderTarget, RendererOptions } from './types.js';

/** Below this many rows per band, splitting costs more than it saves. */
const MIN_ROWS_PER_BAND = 32;

/**
 * Bands per render thread, claimed dynamically: when the machine is busy and one thread loses its
 * CPU mid-frame, the others take the rest of its bands instead of waiting for it. On the 2-vCPU VM
 * under load, the phone scene with 2 threads took a median 0.74 ms in 2 bands, 0.66 ms in 8.
 */
const BANDS_PER_THREAD = 4;

/**
 * compose() runs plans writing at most this many pixels inline (RendererOptions.inlinePixelLimit).
 * Measured on a 2-vCPU Zen 4 VM (docs/renderer.md): handing a plan to other threads and back costs
 * tens to hundreds of microseconds, which is what one thread spends on ~100-200K pixels of
 * copy/OVER; a damage-only frame (a 64x64 rectangle through a few layers, ~16K pixels) stays far below.
 */
export const DEFAULT_INLINE_PIXEL_LIMIT = 131_072;

/**
 * Render threads look for the next job this long before sleeping (RendererOptions.spinMicroseconds):
 * waking a sleeping thread costs tens of microseconds on a VM, often more. Spinning yields the CPU
 * on every round. Composes back to back (the next one comes within tens of microseconds) were as
 * fast with 500 as with 2000; at one compose per 16 ms, each spinning microsecond is CPU time spent
 * for nothing (2 threads: +1.8% of a core with 500, +10% with 2000, measured).
 */
export const DEFAULT_SPIN_MICROSECONDS = 500;

export class Renderer {
  readonly threads: number;
  readonly inlinePixelLimit: number;
  readonly spinMicroseconds: number;

  constructor(options: RendererOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new StratumError('BAD_VALUE', `threads must be an integer in 1..64, got ${String(threads)}`);
    }
    const inlinePixelLimit = options.inlinePixelLimit ?? DEFAULT_INLINE_PIXEL_LIMIT;
    if (!Number.isSafeInteger(inlinePixelLimit) || inlinePixelLimit < 0) {
      throw new StratumError('BAD_VALUE', `inlinePixelLimit must be a non-negative integer, got ${String(inlinePixelLimit)}`);
    }
    const spinMicroseconds = options.spinMicroseconds ?? DEFAULT_SPIN_MICROSECONDS;
    if (!Number.isInteger(spinMicroseconds) || spinMicroseconds < 0 || spinMicroseconds > 1_000_000) {
      throw new StratumError('BAD_VALUE', `spinMicroseconds must be an integer in 0..1000000, got ${String(spinMicroseconds)}`);
    }
    this.threads = threads;
    this.inlinePixelLimit = inlinePixelLimit;
    this.spinMicroseconds = spinMicroseconds;
  }

  /** The kernel variants this CPU can run; compose uses the first (fastest). */
  static kernelVariants(): KernelVariant[] {
    return renderNative().renderKernelVariants();
  }

  /**
   * Draws `layers` (first at the bottom) into `target`, limited to the union of `clip` (default: the
   * whole target). Validation errors throw synchronously; the pixels are written on the
   * render pool and the Promise settles when they are all done. Neither the target nor any source
   * may be unmapped or disposed before it settles. A plan of at most `inlinePixelLimit` pixels is
   * drawn on the calling thread before this returns (the Promise is then already resolved).
   */
  compose(target: RenderTarget, layers: readonly RenderLayer[], clip?: readonly Rect[]): Promise<RenderStats> {
    const started = performance.now();
    // Not async: a bad plan throws here, at the caller, before anything is queued.
    const unpin = pinBuffers(target, layers);
    let plan: Plan;
    try {
      plan = buildPlan(target, layers, clip);
    } catch (error) {
      unpin();
      throw error;
    }
    if (plan.opCount === 0 || plan.pixels <= this.inlinePixelLimit) {
      try {
        if (plan.opCount > 0) executeInline(plan);
      } finally {
        unpin();
      }
      return Promise.resolve(stats(plan, 1, started));
    }
    const bands = this.bandsFor(plan);
    const t = plan.target;
    return renderNative()
      // The pool reads the ops after this returns, while later plans reuse the scratch they are in.
      .renderExecute(t.buffer, t.offset, t.strideBytes, t.width, t.height, plan.sources, plan.ops.slice(), bands, this.threads, this.spinMicroseconds)
      .finally(unpin)
      .then(() => stats(plan, bands, started));
  }

  /**
   * The same as compose, on the calling thread in one band: for tests and single-thread
   * benchmarks. `variant` runs a slower kernel variant than the best (it must be supported).
   */
  composeSync(target: RenderTarget, layers: readonly RenderLayer[], clip?: readonly Rect[], variant?: KernelVariant): RenderStats {
    const started = performance.now();
    const unpin = pinBuffers(target, layers);
    try {
      const plan = buildPlan(target, layers, clip);
      if (plan.opCount > 0) executeInline(plan, variant);
      return stats(plan, 1, started);
    } finally {
      unpin();
    }
  }

  /** Replaces the pixels inside `clip` with `color` (default transparent black). */
  clear(target: RenderTarget, clip: readonly Rect[], color?: PremultipliedColor): Promise<RenderStats> {
    const everything: Rect = { left: 0, top: 0, right: 1 << 20, bottom: 1 << 20 };
    return this.compose(target, [color === undefined ? { kind: 'clear', dst: everything } : { kind: 'clear', color, dst: everything }], clip);
  }

  private bandsFor(plan: Plan): number {
    return Math.max(1, Math.min(this.threads * BANDS_PER_THREAD, Math.floor(plan.target.height / MIN_ROWS_PER_BAND)));
  }
}

function executeInline(plan: Plan, variant?: KernelVariant): void {
  const t = plan.target;
  renderNative().renderExecuteSync(t.buffer, t.offset, t.strideBytes, t.width, t.height, plan.sources, plan.ops, variant);
}

function stats(plan: Plan, bands: number, started: number): RenderStats {
  return { layersDrawn: plan.opCount, pixelsTouched: plan.pixels, bands, elapsedMs: performance.now() - started };
}

/**
 * Pins every GraphicBuffer a compose touches, so a dispose or unmap during the work (a client dying
 * mid-frame) waits until the render pool is done with the memory. Returns the one unpin for all.
 */
function pinBuffers(target: RenderTarget, layers: readonly RenderLayer[]): () => void {
  // No helper closure: this runs for every compose, damage-only frames included.
  const unpins: (() => void)[] = [];
  if (target instanceof GraphicBuffer && !target.disposed) unpins.push(target.pin());
  for (const layer of layers) {
    if (layer.kind === 'buffer' && layer.source instanceof GraphicBuffer && !layer.source.disposed) unpins.push(layer.source.pin());
  }
  return () => {
    for (const unpin of unpins.splice(0)) unpin();
  };
}
