// SurfaceControl (the handle to a layer) and Surface (the producer end of its BufferQueue, whose
// consumer is the server). Buffers arrive once per slot as fds, are mapped once and reused.
import { GraphicBuffer } from '../buffer/graphic-buffer.js';
import type { PixelFormat } from '../buffer/format.js';
import { PixelFormat as Formats } from '../buffer/format.js';
import type { ScalingMode, Transform } from '../buffer/transform.js';
import type { UsageBits } from '../buffer/usage.js';
import type { Fd } from '../os/index.js';
import { closeFd } from '../os/index.js';
import { StratumError } from '../os/status.js';
import type { Rect } from '../region/rect.js';
import { LayerFlag, SurfaceKind } from '../protocol/index.js';
import type { EventMessage, ReplyArgs, ReplyName, RequestArgs } from '../protocol/index.js';

/** What surfaces and transactions need from the connection. */
export interface SurfaceLink {
  request<N extends ReplyName>(name: N, objectId: number, args: RequestArgs<N>): Promise<ReplyArgs<N>>;
  requestWithFds<N extends ReplyName>(name: N, objectId: number, args: RequestArgs<N>): Promise<{ args: ReplyArgs<N>; fds: Fd[] }>;
  onObjectEvent(objectId: number, handler: (event: EventMessage) => void): () => void;
  reportError(error: StratumError): void;
}

export type SurfaceKindName = 'buffer' | 'color' | 'container';

export interface CreateSurfaceOptions {
  readonly name: string;
  /** Default buffer size (buffer layers); 0x0 = the server's default. */
  readonly width?: number;
  readonly height?: number;
  /** Default RGBA_8888. */
  readonly format?: PixelFormat;
  readonly kind?: SurfaceKindName;
  readonly parent?: SurfaceControl;
  readonly hidden?: boolean;
  readonly opaque?: boolean;
  readonly secure?: boolean;
  readonly skipScreenshot?: boolean;
  /** Buffer slots (1..64), default 3. */
  readonly queueSize?: number;
}

export interface DequeueOptions {
  readonly width?: number;
  readonly height?: number;
  readonly format?: PixelFormat;
  readonly usage?: UsageBits;
}

/** A buffer the producer holds until it queues or cancels it. */
export interface DequeuedBuffer {
  readonly slot: number;
  /** Mapped read-write; the same object every time this slot's buffer comes back. */
  readonly buffer: GraphicBuffer;
  /** Frames since this content was queued (0 = undefined content), for partial redraw. */
  readonly bufferAge: number;
  readonly needsReallocation: boolean;
  readonly releaseAllBuffers: boolean;
}

export interface QueueOptions {
  /** Changed areas; omitted or empty = everything. */
  readonly damage?: readonly Rect[];
  readonly crop?: Rect;
  readonly transform?: Transform;
  readonly scalingMode?: ScalingMode;
  /** When the content was produced (CLOCK_MONOTONIC ms: `wireNow()`); default: now, auto timestamp. */
  readonly timestamp?: number;
  /** When to show it (CLOCK_MONOTONIC ms). */
  readonly desiredPresentTime?: number;
}

export interface QueueResult {
  readonly frameNumber: number;
  readonly bufferReplaced: boolean;
  readonly pendingFrames: number;
  readonly width: number;
  readonly height: number;
  readonly transformHint: number;
}

export interface ProducerOptions {
  /** What dequeue does with no free slot: wait (default), fail at once (WOULD_BLOCK), or take back the oldest queued frame. */
  readonly whenFull?: 'wait' | 'fail' | 'take-oldest-queued';
  /** Mailbox: a new frame replaces a queued one that was not shown yet. */
  readonly mailbox?: boolean;
  readonly maxDequeued?: number;
  /** How long dequeue waits (ms); Infinity waits forever. Default 3000. */
  readonly dequeueTimeout?: number;
  /**
   * After each queueBuffer, take the next (default-size) buffer in the same round trip when a slot
   * is free at once (else a dequeue follows right behind), so a dequeue-draw-queue loop costs one
   * round trip per frame instead of two (like Android's BLAST, where dequeue never crosses to the
   * compositor). The surface then holds one dequeued buffer between frames. Default true; false
   * gives the classic synchronous dequeue, one round trip each for dequeue and queue.
   */
  readonly dequeueAhead?: boolean;
}

export interface BufferReleasedEvent {
  readonly slot: number;
  readonly frameNumber: number;
}

const KIND_CODES = { buffer: SurfaceKind.BUFFER, color: SurfaceKind.COLOR, container: SurfaceKind.CONTAINER } as const;
const WHEN_FULL_CODES = { wait: 0, fail: 1, 'take-oldest-queued': 2 } as const;

/** The handle to a layer: name it in transactions; `.surface` produces its buffers. */
export class SurfaceControl {
  readonly surface: Surface;
  #destroyed = false;

  private constructor(
    private readonly link: SurfaceLink,
    readonly id: number,
    readonly layerId: number,
    readonly name: string,
    readonly kind: SurfaceKindName,
    readonly width: number,
    readonly height: number,
    readonly format: PixelFormat,
  ) {
    this.surface = new Surface(link, this);
  }

  /** @internal StratumClient.createSurface. */
  static async create(link: SurfaceLink, options: CreateSurfaceOptions): Promise<SurfaceControl> {
    if (typeof options !== 'object' || options === null) throw new StratumError('BAD_VALUE', 'createSurface needs an options object');
    const kind = options.kind ?? 'buffer';
    if (!(kind in KIND_CODES)) throw new StratumError('BAD_VALUE', `surface kind must be 'buffer', 'color' or 'container', got ${String(kind)}`);
    const flags =
      (options.hidden ? LayerFlag.HIDDEN : 0) |
      (options.opaque ? LayerFlag.OPAQUE : 0) |
      (options.secure ? LayerFlag.SECURE : 0) |
      (options.skipScreenshot ? LayerFlag.SKIP_SCREENSHOT : 0);
    const format = options.format ?? Formats.RGBA_8888;
    const width = options.width ?? 0;
    const height = options.height ?? 0;
    const reply = await link.request('createSurface', 0, {
      name: options.name,
      width,
      height,
      format,
      kind: KIND_CODES[kind],
      ...(options.parent ? { parent: options.parent.id } : {}),
      flags,
      queueSize: options.queueSize ?? 0,
    });
    return new SurfaceControl(link, reply.surface, reply.layerId, options.name, kind, width, height, format);
  }

  /** @internal StratumClient.addWindow: a window's surface, whose layer the window manager made. */
  static adopt(link: SurfaceLink, id: number, layerId: number, name: string, width: number, height: number): SurfaceControl {
    return new SurfaceControl(link, id, layerId, name, 'buffer', width, height, Formats.RGBA_8888);
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Removes the layer (gone from the screen on the next frame) and frees its buffers. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.surface.dropBuffers();
    await this.link.request('destroySurface', this.id, {});
  }
}

/** The producer end of a surface's BufferQueue. */
export class Surface {
  /** Buffers this process holds, by buffer id, with the slot they were last handed out in. */
  readonly #buffers = new Map<number, { buffer: GraphicBuffer; slot: number }>();
  readonly #dequeued = new Map<number, GraphicBuffer>();
  readonly #releaseListeners = new Set<(event: BufferReleasedEvent) => void>();
  #fdsReceived = 0;
  #dequeueAhead = true;
  #ahead: Promise<DequeuedBuffer> | undefined;

  /** @internal */
  constructor(
    private readonly link: SurfaceLink,
    readonly control: SurfaceControl,
  ) {
    link.onObjectEvent(control.id, (event) => {
      if (event.name !== 'bufferReleased') return;
      const released = { slot: event.args.slot, frameNumber: event.args.frameNumber };
      for (const listener of this.#releaseListeners) listener(released);
    });
  }

  /** Buffer fds received so far: one per slot, again only after a reallocation or release-all. */
  get buffersReceived(): number {
    return this.#fdsReceived;
  }

  /** Takes a free buffer; waits (per the producer options) when none is free. */
  dequeueBuffer(options: DequeueOptions = {}): Promise<DequeuedBuffer> {
    const defaults = options.width === undefined && options.height === undefined && options.format === undefined && options.usage === undefined;
    const ahead = this.#ahead;
    if (ahead && defaults) {
      // The common case of a render loop: the buffer taken behind the last queue, no extra hop.
      this.#ahead = undefined;
      return ahead.catch(() => this.#dequeue({}));
    }
    return this.#dequeueOther(options);
  }

  async #dequeueOther(options: DequeueOptions): Promise<DequeuedBuffer> {
    const ahead = await this.#takeAhead();
    // Asked for something else than the prefetched default buffer: give it back first.
    if (ahead) await this.cancelBuffer(ahead);
    return this.#dequeue(options);
  }

  // Resolves with the buffer dequeued ahead, if one was asked for and the server granted it.
  async #takeAhead(): Promise<DequeuedBuffer | undefined> {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    if (!ahead) return undefined;
    try {
      return await ahead;
    } catch {
      // The speculative dequeue failed (timeout, WOULD_BLOCK...): a real one decides now.
      return undefined;
    }
  }

  // The reply is processed as soon as it arrives (not when awaited), so buffer caches stay in wire order.
  async #dequeue(options: DequeueOptions): Promise<DequeuedBuffer> {
    const { args, fds } = await this.link.requestWithFds('dequeueBuffer', this.control.id, {
      width: options.width ?? 0,
      height: options.height ?? 0,
      format: options.format ?? 0,
      usage: options.usage ?? 0,
    });
    return this.#accept(args, fds);
  }

  /** Takes a dequeue answer: imports and maps a new buffer once, or finds the one already held. */
  #accept(args: ReplyArgs<'dequeueBuffer'>, fds: Fd[]): DequeuedBuffer {
    if (args.releaseAllBuffers) this.dropBuffers();
    let buffer: GraphicBuffer;
    if (args.buffer) {
      const fd = fds[0];
      if (fd === undefined) throw new StratumError('PROTOCOL_ERROR', 'dequeue reply announced a buffer without its fd');
      for (const extra of fds.slice(1)) closeFd(extra);
      for (const [id, held] of this.#buffers) {
        if (held.slot === args.slot && id !== args.bufferId) {
          held.buffer.dispose();
          this.#buffers.delete(id);
        }
      }
      const { fd: _fd, ...descriptor } = args.buffer;
      buffer = GraphicBuffer.import(fd, { ...descriptor, format: descriptor.format as PixelFormat });
      buffer.map('read-write');
      this.#fdsReceived += 1;
      this.#buffers.get(buffer.id)?.buffer.dispose();
    } else {
      for (const fd of fds) closeFd(fd);
      const held = this.#buffers.get(args.bufferId);
      if (!held) throw new StratumError('PROTOCOL_ERROR', `dequeue named buffer ${args.bufferId}, which this client never received`);
      buffer = held.buffer;
    }
    this.#buffers.set(buffer.id, { buffer, slot: args.slot });
    this.#dequeued.set(args.slot, buffer);
    return { slot: args.slot, buffer, bufferAge: args.bufferAge, needsReallocation: args.needsReallocation, releaseAllBuffers: args.releaseAllBuffers };
  }

  /** Hands a dequeued buffer to the compositor with its frame metadata. */
  async queueBuffer(dequeued: DequeuedBuffer | number, options: QueueOptions = {}): Promise<QueueResult> {
    const slot = typeof dequeued === 'number' ? dequeued : dequeued.slot;
    this.#dequeued.delete(slot);
    const ahead = this.#dequeueAhead && !this.#ahead;
    const queued = this.link.requestWithFds('queueBuffer', this.control.id, {
      slot,
      timestamp: options.timestamp,
      desiredPresentTime: options.desiredPresentTime,
      crop: options.crop,
      transform: options.transform ?? 0,
      scalingMode: options.scalingMode ?? 0,
      damage: [...(options.damage ?? [])],
      dequeueNext: ahead,
    });
    if (ahead) {
      // The server answers with the next buffer when a slot is free at once; otherwise a regular
      // dequeue goes out right away, so the next dequeueBuffer() finds its buffer here either way.
      const next = queued.then(({ args, fds }) => (args.next ? this.#accept(args.next, fds) : this.#dequeue({})));
      next.catch(() => undefined);
      this.#ahead = next;
    }
    const { args, fds } = await queued;
    if (!ahead) for (const fd of fds) closeFd(fd);
    return {
      frameNumber: args.frameNumber,
      bufferReplaced: args.bufferReplaced,
      pendingFrames: args.pendingFrames,
      width: args.width,
      height: args.height,
      transformHint: args.transformHint,
    };
  }

  /** Returns a dequeued buffer unused. */
  async cancelBuffer(dequeued: DequeuedBuffer | number): Promise<void> {
    const slot = typeof dequeued === 'number' ? dequeued : dequeued.slot;
    this.#dequeued.delete(slot);
    await this.link.request('cancelBuffer', this.control.id, { slot });
  }

  async setOptions(options: ProducerOptions): Promise<void> {
    if (options.dequeueAhead !== undefined) this.#dequeueAhead = options.dequeueAhead;
    // New counts or modes apply to a queue without a speculative dequeue in it.
    const ahead = await this.#takeAhead();
    if (ahead) await this.cancelBuffer(ahead);
    const timeout = options.dequeueTimeout;
    if (timeout !== undefined && !(timeout === Number.POSITIVE_INFINITY || (Number.isInteger(timeout) && timeout >= 0 && timeout <= 0x7fffffff))) {
      throw new StratumError('BAD_VALUE', `dequeueTimeout must be a whole number of ms or Infinity, got ${timeout}`);
    }
    const whenFull = options.whenFull;
    if (whenFull !== undefined && !(whenFull in WHEN_FULL_CODES)) throw new StratumError('BAD_VALUE', `whenFull must be 'wait', 'fail' or 'take-oldest-queued', got ${String(whenFull)}`);
    await this.link.request('setProducerOptions', this.control.id, {
      ...(whenFull !== undefined ? { whenFull: WHEN_FULL_CODES[whenFull] } : {}),
      ...(options.mailbox !== undefined ? { mailbox: options.mailbox } : {}),
      ...(options.maxDequeued !== undefined ? { maxDequeued: options.maxDequeued } : {}),
      ...(timeout !== undefined ? { dequeueTimeoutMs: timeout === Number.POSITIVE_INFINITY ? -1 : timeout } : {}),
    });
  }

  /** Called when the compositor releases a slot (it can be dequeued again). */
  onBufferReleased(listener: (event: BufferReleasedEvent) => void): () => void {
    this.#releaseListeners.add(listener);
    return () => this.#releaseListeners.delete(listener);
  }

  /** @internal the dequeued buffer in `slot` (for Transaction.setBuffer). */
  takeDequeued(slot: number): GraphicBuffer | undefined {
    const buffer = this.#dequeued.get(slot);
    this.#dequeued.delete(slot);
    return buffer;
  }

  /** @internal unmaps and closes every buffer this process holds for the surface. */
  dropBuffers(): void {
    for (const { buffer } of this.#buffers.values()) buffer.dispose();
    this.#buffers.clear();
    this.#dequeued.clear();
  }
}
