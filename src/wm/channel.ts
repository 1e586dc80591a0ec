// One window's event queue. Events go to the owner's sink in order; when the sink returns a
// promise, this window's later events wait for it while every other window's queue keeps going.
// Dispatch never awaits: a slow or stuck app only ever delays itself.
import type { WindowEvent, WindowEventSink } from './types.js';
import { MAX_PENDING_EVENTS } from './policy.js';

export class EventChannel {
  readonly #queue: WindowEvent[] = [];
  readonly #sink: WindowEventSink;
  readonly #onError: (error: unknown) => void;
  #busy = false;
  #closed = false;
  /** Events refused because the queue was full. */
  dropped = 0;

  constructor(sink: WindowEventSink, onError: (error: unknown) => void) {
    this.#sink = sink;
    this.#onError = onError;
  }

  /** Events not yet handed to the sink (plus the one it is still working on). */
  get pending(): number {
    return this.#queue.length + (this.#busy ? 1 : 0);
  }

  /** Queues an event; false when the queue is full (the event is dropped and counted). */
  post(event: WindowEvent): boolean {
    if (this.#closed) return false;
    if (this.#queue.length >= MAX_PENDING_EVENTS) {
      this.dropped++;
      return false;
    }
    this.#queue.push(event);
    if (!this.#busy) this.#pump();
    return true;
  }

  /** Drops what is queued; later posts are ignored. */
  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
  }

  #pump(): void {
    while (!this.#closed && !this.#busy) {
      const event = this.#queue.shift();
      if (!event) return;
      let result: void | Promise<void>;
      try {
        result = this.#sink(event);
      } catch (error) {
        this.#onError(error);
        continue;
      }
      if (result instanceof Promise) {
        this.#busy = true;
        result.then(
          () => this.#resume(),
          (error: unknown) => {
            this.#onError(error);
            this.#resume();
          },
        );
      }
    }
  }

  #resume(): void {
    this.#busy = false;
    this.#pump();
  }
}
