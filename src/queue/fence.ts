// Fence: a one-shot "this work is done" signal between producer and consumer. Acquire fences travel
// producer -> consumer with a queued frame (do not read before it signals); release fences travel
// consumer -> producer with a released buffer (do not write before it signals).
import { performance } from 'node:perf_hooks';

import { StratumError } from '../os/status.js';

/** Milliseconds on the monotonic clock (performance.now()), the time base of every queue time. */
export function monotonicNow(): number {
  return performance.now();
}

export class Fence {
  #signalTime: number | undefined;
  #waiters: ((time: number) => void)[] = [];
  /** Shared promise so many waiters do not each allocate one. */
  #promise: Promise<number> | undefined;

  /** A pending fence, signalled later with `signal()`. `label` shows in dumps and errors. */
  constructor(readonly label = 'fence') {}

  /** A fence that is already signalled at `time`. */
  static signalled(time: number = monotonicNow(), label = 'fence'): Fence {
    const fence = new Fence(label);
    fence.#signalTime = time;
    return fence;
  }

  /** Resolves when every fence has signalled, with the latest signal time. */
  static merge(label: string, ...fences: readonly Fence[]): Fence {
    const pending = fences.filter((f) => !f.signalled);
    if (pending.length === 0) return Fence.signalled(Math.max(0, ...fences.map((f) => f.signalTime ?? 0)), label);
    const merged = new Fence(label);
    void Promise.all(fences.map((f) => f.wait())).then((times) => merged.signal(Math.max(...times)));
    return merged;
  }

  get signalled(): boolean {
    return this.#signalTime !== undefined;
  }

  /** When the fence signalled (monotonic ms), or undefined while pending. */
  get signalTime(): number | undefined {
    return this.#signalTime;
  }

  /** Marks the work done. A fence signals once: a second signal is INVALID_OPERATION. */
  signal(time: number = monotonicNow()): void {
    if (this.#signalTime !== undefined) {
      throw new StratumError('INVALID_OPERATION', `${this.label} already signalled at ${this.#signalTime}`);
    }
    if (!Number.isFinite(time)) throw new StratumError('BAD_VALUE', `${this.label}: signal time ${time} is not a finite number`);
    this.#signalTime = time;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve(time);
  }

  /** Resolves with the signal time once signalled (at once if already signalled). */
  wait(): Promise<number> {
    if (this.#signalTime !== undefined) return Promise.resolve(this.#signalTime);
    this.#promise ??= new Promise<number>((resolve) => this.#waiters.push(resolve));
    return this.#promise;
  }

  toString(): string {
    return this.#signalTime === undefined ? `${this.label}(pending)` : `${this.label}(signalled@${this.#signalTime.toFixed(3)})`;
  }
}

/** The shared "nothing to wait for" fence: already signalled, at time 0. */
export const NO_FENCE: Fence = Fence.signalled(0, 'NO_FENCE');
