// Animations driven by the flinger's VSync: each active animation computes its value from the
// VSync time and the window manager turns all of them into one transaction per VSync. Progress
// is a pure function of VSync timestamps, so a ManualVsyncSource makes every frame reproducible,
// and the last frame always lands exactly on the final value (progress 1).
import type { Flinger } from '../flinger/flinger.js';
import type { VsyncEvent } from '../flinger/types.js';

export interface Animation {
  readonly duration: number;
  /** Called on every VSync with progress in (0, 1]; the call with 1 is the last. */
  step(progress: number): void;
  /** Called once after the last step (or at once when cancelled with `finish`). */
  done(): void;
}

interface Running {
  readonly animation: Animation;
  start: number | undefined;
}

/** Eases out (fast start, gentle landing): 1 - (1 - t)^3, exactly 0 at 0 and 1 at 1. */
export function easeOut(t: number): number {
  const u = 1 - Math.min(1, Math.max(0, t));
  return 1 - u * u * u;
}

export function lerp(from: number, to: number, t: number): number {
  return t >= 1 ? to : from + (to - from) * t;
}

export class Animator {
  readonly #flinger: Flinger;
  readonly #onFrame: () => void;
  readonly #running = new Set<Running>();
  readonly #idleWaiters: (() => void)[] = [];
  #cancelVsync: (() => void) | undefined;
  #frames = 0;

  /** `onFrame` runs after every VSync's steps (the window manager commits them as one transaction). */
  constructor(flinger: Flinger, onFrame: () => void) {
    this.#flinger = flinger;
    this.#onFrame = onFrame;
  }

  get active(): number {
    return this.#running.size;
  }

  /** VSyncs that ran at least one animation step. */
  get frames(): number {
    return this.#frames;
  }

  start(animation: Animation): () => void {
    const running: Running = { animation, start: undefined };
    this.#running.add(running);
    this.#request();
    return () => this.#finish(running, true);
  }

  /** Resolves once no animation runs. */
  idle(): Promise<void> {
    if (this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Ends every animation at its final value at once. */
  finishAll(): void {
    for (const running of [...this.#running]) this.#finish(running, true);
    this.#onFrame();
  }

  dispose(): void {
    this.#cancelVsync?.();
    this.#cancelVsync = undefined;
    for (const running of [...this.#running]) this.#finish(running, true);
  }

  #request(): void {
    if (this.#cancelVsync || this.#running.size === 0) return;
    this.#cancelVsync = this.#flinger.requestNextVsync((event) => this.#onVsync(event));
  }

  #onVsync(event: VsyncEvent): void {
    this.#cancelVsync = undefined;
    if (this.#running.size === 0) return;
    this.#frames++;
    for (const running of [...this.#running]) {
      // The first VSync shows one period of progress: the start state is already on screen.
      running.start ??= event.timestamp - event.period;
      const { duration } = running.animation;
      const raw = duration <= 0 ? 1 : (event.timestamp - running.start) / duration;
      // VSync times are sums of float periods: within a nanosecond of the end is the end.
      const progress = raw > 1 - 1e-6 / Math.max(1, duration) ? 1 : raw;
      running.animation.step(progress);
      if (progress >= 1) this.#finish(running, false);
    }
    this.#onFrame();
    this.#request();
  }

  #finish(running: Running, jump: boolean): void {
    if (!this.#running.delete(running)) return;
    if (jump) running.animation.step(1);
    running.animation.done();
    if (this.#running.size === 0) {
      this.#cancelVsync?.();
      this.#cancelVsync = undefined;
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }
}
