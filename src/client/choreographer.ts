// The Choreographer: an app posts frame callbacks and gets them run once at the next VSync, with
// the frame's time, VSync id and deadline (AChoreographer_postFrameCallback64 in spirit). The
// connection asks the server for one vsync event only while callbacks wait, so an app that
// posts nothing is never woken.
import { StratumError } from '../os/status.js';

/** The VSync a frame callback runs for. Times are this process's performance.now() milliseconds. */
export interface FrameInfo {
  readonly display: number;
  readonly vsyncId: number;
  /** When the frame starts (the VSync plus the app phase offset). */
  readonly frameTime: number;
  /** Queue the frame's buffer before this to be shown at expectedPresentTime. */
  readonly deadline: number;
  readonly expectedPresentTime: number;
  /** Milliseconds between VSyncs. */
  readonly period: number;
}

export type FrameCallback = (frame: FrameInfo) => void;

/** @internal what the Choreographer needs from its connection. */
export interface ChoreographerLink {
  requestNextVsync(): Promise<void>;
  reportError(error: StratumError): void;
}

export class Choreographer {
  readonly #link: ChoreographerLink;
  #callbacks: FrameCallback[] = [];
  #requested = false;
  #frames = 0;

  /** @internal StratumClient creates it. */
  constructor(link: ChoreographerLink) {
    this.#link = link;
  }

  /** Runs `callback` once at the next VSync. Returns a canceller. */
  postFrameCallback(callback: FrameCallback): () => void {
    if (typeof callback !== 'function') throw new StratumError('BAD_VALUE', 'frame callback must be a function');
    this.#callbacks.push(callback);
    if (!this.#requested) {
      this.#requested = true;
      this.#link.requestNextVsync().catch((error: unknown) => {
        this.#requested = false;
        this.#link.reportError(error instanceof StratumError ? error : new StratumError('DISCONNECTED', String(error)));
      });
    }
    return () => {
      this.#callbacks = this.#callbacks.filter((c) => c !== callback);
    };
  }

  /** Callbacks waiting for the next VSync. */
  get pending(): number {
    return this.#callbacks.length;
  }

  /** VSync events received. */
  get frames(): number {
    return this.#frames;
  }

  /** @internal the connection's vsync event. Callbacks posted from a callback run at the following VSync. */
  dispatch(frame: FrameInfo): void {
    this.#requested = false;
    this.#frames++;
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    for (const callback of callbacks) {
      try {
        callback(frame);
      } catch (error) {
        this.#link.reportError(error instanceof StratumError ? error : new StratumError('BAD_VALUE', `frame callback threw: ${String(error)}`));
      }
    }
  }
}
