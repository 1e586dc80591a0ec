// The VSync Scheduler: turns the compositor's VSync into VSync-app events for the receivers that
// asked (Android's EventThread with setVsyncRate(0) + requestNextVsync). One upstream request per
// VSync however many receivers wait; a receiver that did not ask is never woken. Phase offsets are
// reported in the event (frame time = VSync + app offset; deadline = the next compositor wake-up,
// VSync + period + compositor offset), so apps know how long they have to draw.
import { StratumError } from '../os/status.js';

/** A VSync as the compositor sees it. */
export interface VsyncTick {
  readonly display: number;
  readonly vsyncId: number;
  /** Monotonic ms. */
  readonly timestamp: number;
  readonly period: number;
}

/** What a Choreographer receives (AChoreographerFrameCallbackData in spirit). */
export interface AppVsyncEvent {
  readonly display: number;
  readonly vsyncId: number;
  /** When the app's frame starts: the VSync plus the app phase offset (ms). */
  readonly frameTime: number;
  /** Queue the frame before this to be latched at the next compositor wake-up. */
  readonly deadline: number;
  /** When a frame queued before the deadline reaches the screen. */
  readonly expectedPresentTime: number;
  readonly period: number;
}

export interface SchedulerOptions {
  /** App phase offset after the VSync (ms, 0..period). Default 0. */
  readonly appOffset?: number;
  /** Compositor phase offset after the VSync (ms). Default 0: the flinger latches at the VSync itself. */
  readonly compositorOffset?: number;
}

/** Asks the compositor for one callback at its next VSync; returns a canceller. */
export type RequestVsync = (callback: (tick: VsyncTick) => void) => () => void;

export class VsyncScheduler {
  readonly appOffset: number;
  readonly compositorOffset: number;
  readonly #request: RequestVsync;
  readonly #waiting = new Map<object, (event: AppVsyncEvent) => void>();
  readonly #wakeups = new WeakMap<object, number>();
  #cancelUpstream: (() => void) | undefined;
  #disposed = false;

  constructor(request: RequestVsync, options: SchedulerOptions = {}) {
    this.#request = request;
    this.appOffset = checkOffset('appOffset', options.appOffset ?? 0);
    this.compositorOffset = checkOffset('compositorOffset', options.compositorOffset ?? 0);
  }

  /**
   * One event at the next VSync for `receiver` (asking again before it comes changes nothing but
   * the callback). Returns a canceller.
   */
  requestNextVsync(receiver: object, callback: (event: AppVsyncEvent) => void): () => void {
    if (this.#disposed) throw new StratumError('DEAD_OBJECT', 'the VSync scheduler is disposed');
    if (typeof callback !== 'function') throw new StratumError('BAD_VALUE', 'VSync callback must be a function');
    this.#waiting.set(receiver, callback);
    this.#cancelUpstream ??= this.#request((tick) => this.#dispatch(tick));
    return () => this.cancel(receiver);
  }

  /** Withdraws a receiver's request (a closed connection). */
  cancel(receiver: object): void {
    this.#waiting.delete(receiver);
    if (this.#waiting.size === 0 && this.#cancelUpstream) {
      this.#cancelUpstream();
      this.#cancelUpstream = undefined;
    }
  }

  /** Receivers waiting for the next VSync. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** How many VSync events a receiver got. */
  wakeups(receiver: object): number {
    return this.#wakeups.get(receiver) ?? 0;
  }

  dispose(): void {
    this.#disposed = true;
    this.#waiting.clear();
    this.#cancelUpstream?.();
    this.#cancelUpstream = undefined;
  }

  #dispatch(tick: VsyncTick): void {
    this.#cancelUpstream = undefined;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    const deadline = tick.timestamp + tick.period + this.compositorOffset;
    const event: AppVsyncEvent = {
      display: tick.display,
      vsyncId: tick.vsyncId,
      frameTime: tick.timestamp + this.appOffset,
      deadline,
      expectedPresentTime: tick.timestamp + tick.period,
      period: tick.period,
    };
    for (const [receiver, callback] of waiting) {
      this.#wakeups.set(receiver, (this.#wakeups.get(receiver) ?? 0) + 1);
      try {
        callback(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

function checkOffset(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1000) throw new StratumError('BAD_VALUE', `${name} must be 0..1000 ms, got ${String(value)}`);
  return value;
}
