// VSync sources. A source delivers VSyncs only while someone asked for the next one (VSync on
// demand): no request, no timer, no CPU. The software source schedules each VSync at an absolute
// time on a fixed grid (origin + k * period), so delays in delivery never accumulate into drift.
import { monotonicNow } from '../queue/fence.js';
import { StratumError } from '../os/status.js';

export type VsyncCallback = (timestamp: number) => void;

export interface VsyncSource {
  /** Milliseconds between VSyncs. */
  readonly period: number;
  /** True while a VSync has been asked for and not yet delivered. */
  readonly requested: boolean;
  /** Who receives VSyncs (one receiver: the flinger's scheduler). */
  setCallback(callback: VsyncCallback | undefined): void;
  /** Asks for one callback at the next VSync; asking again before it fires changes nothing. */
  requestVsync(): void;
  /** Withdraws a request that has not fired. */
  cancelVsync(): void;
  /** Changes the refresh rate (Hz) from the next VSync on. */
  setRefreshRate(hz: number): void;
  /**
   * Also calls `observer` at every delivered VSync, after the receiver (the composer's VSync
   * callback, the varying-rate mode). Observing never requests a VSync. Returns a remover.
   */
  observe(observer: VsyncCallback): () => void;
  dispose(): void;
}

/** The observers of a source, called in order; one that throws does not stop the others. */
class Observers {
  #list: VsyncCallback[] = [];

  add(observer: VsyncCallback): () => void {
    if (typeof observer !== 'function') throw new StratumError('BAD_VALUE', 'VSync observer must be a function');
    this.#list.push(observer);
    return () => {
      this.#list = this.#list.filter((o) => o !== observer);
    };
  }

  call(timestamp: number): void {
    for (const observer of this.#list) {
      try {
        observer(timestamp);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  clear(): void {
    this.#list = [];
  }
}

export function checkRefreshRate(hz: number): number {
  if (!Number.isFinite(hz) || hz < 1 || hz > 1000) throw new StratumError('BAD_VALUE', `refresh rate must be 1..1000 Hz, got ${hz}`);
  return hz;
}

/** VSync from a timer on an absolute grid (the headless display's clock). */
export class SoftwareVsyncSource implements VsyncSource {
  #period: number;
  #origin: number;
  #callback: VsyncCallback | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastDelivered = -Infinity;
  #disposed = false;
  readonly #observers = new Observers();

  constructor(refreshRate = 60, private readonly clock: () => number = monotonicNow) {
    this.#period = 1000 / checkRefreshRate(refreshRate);
    this.#origin = clock();
  }

  get period(): number {
    return this.#period;
  }

  get requested(): boolean {
    return this.#timer !== undefined;
  }

  setCallback(callback: VsyncCallback | undefined): void {
    this.#callback = callback;
  }

  /** The next grid time strictly after the last delivered VSync and not before now. */
  nextVsyncTime(now: number = this.clock()): number {
    const k = Math.ceil((now - this.#origin) / this.#period);
    let t = this.#origin + k * this.#period;
    if (t <= this.#lastDelivered + this.#period / 2) t = this.#lastDelivered + this.#period;
    return t;
  }

  requestVsync(): void {
    if (this.#disposed) throw new StratumError('INVALID_OPERATION', 'VSync source is disposed');
    if (this.#timer !== undefined) return;
    this.#arm();
  }

  #arm(): void {
    const target = this.nextVsyncTime();
    const delay = Math.max(0, target - this.clock());
    this.#timer = setTimeout(() => this.#fire(target), delay);
  }

  #fire(target: number): void {
    // setTimeout may fire a little early: wait out the remainder rather than deliver early.
    const now = this.clock();
    if (now < target - 0.05) {
      this.#timer = setTimeout(() => this.#fire(target), target - now);
      return;
    }
    this.#timer = undefined;
    this.#lastDelivered = target;
    this.#callback?.(target);
    this.#observers.call(target);
  }

  observe(observer: VsyncCallback): () => void {
    return this.#observers.add(observer);
  }

  cancelVsync(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  setRefreshRate(hz: number): void {
    const period = 1000 / checkRefreshRate(hz);
    // Re-anchor the grid at the last VSync so the phase carries over.
    this.#origin = Number.isFinite(this.#lastDelivered) ? this.#lastDelivered : this.clock();
    this.#period = period;
    if (this.#timer !== undefined) {
      this.cancelVsync();
      this.#arm();
    }
  }

  dispose(): void {
    this.cancelVsync();
    this.#callback = undefined;
    this.#observers.clear();
    this.#disposed = true;
  }
}

/**
 * VSync driven by hand (tests, benches, offline rendering): `tick()` advances virtual time by one
 * period and delivers the VSync if one was asked for. Deterministic: no timers at all.
 */
export class ManualVsyncSource implements VsyncSource {
  #period: number;
  #time: number;
  #requested = false;
  #callback: VsyncCallback | undefined;
  readonly #observers = new Observers();
  /** VSyncs that passed with nobody asking (they cost nothing). */
  skipped = 0;

  constructor(refreshRate = 60, startTime: number = monotonicNow()) {
    this.#period = 1000 / checkRefreshRate(refreshRate);
    this.#time = startTime;
  }

  get period(): number {
    return this.#period;
  }

  get requested(): boolean {
    return this.#requested;
  }

  /** The virtual time of the last tick. Use it as the flinger's clock for deterministic tests. */
  get now(): number {
    return this.#time;
  }

  setCallback(callback: VsyncCallback | undefined): void {
    this.#callback = callback;
  }

  requestVsync(): void {
    this.#requested = true;
  }

  cancelVsync(): void {
    this.#requested = false;
  }

  setRefreshRate(hz: number): void {
    this.#period = 1000 / checkRefreshRate(hz);
  }

  /** Advances one period (or to `timestamp`); delivers and returns true if a VSync was requested. */
  tick(timestamp: number = this.#time + this.#period): boolean {
    if (timestamp < this.#time) throw new StratumError('BAD_VALUE', `VSync time ${timestamp} is before the last one (${this.#time})`);
    this.#time = timestamp;
    if (!this.#requested) {
      this.skipped++;
      return false;
    }
    this.#requested = false;
    this.#callback?.(timestamp);
    this.#observers.call(timestamp);
    return true;
  }

  observe(observer: VsyncCallback): () => void {
    return this.#observers.add(observer);
  }

  dispose(): void {
    this.#requested = false;
    this.#callback = undefined;
    this.#observers.clear();
  }
}
