// The SDK face of a virtual display (issue 8): created with StratumClient.createVirtualDisplay.
// With sink 'client' this process is the consumer of the display's output queue across the
// socket: each frame arrives as an acquired buffer (mapped here once per buffer, zero copy) that
// the handler reads and then releases. With sink 'overlay' the server shows it on the primary
// display (a simulated secondary display) and no frames come here.
import { GraphicBuffer } from '../buffer/graphic-buffer.js';
import type { PixelFormat } from '../buffer/format.js';
import { closeFd } from '../os/index.js';
import { StratumError } from '../os/status.js';
import { wireTimeToLocal } from '../protocol/index.js';
import type { EventArgs, ReplyArgs, RequestArgs, RequestName } from '../protocol/index.js';

export interface CreateVirtualDisplayOptions {
  readonly width: number;
  readonly height: number;
  readonly name?: string;
  /** Mirror this display (letterboxed, following its rotation). */
  readonly mirror?: number;
  /** Show this layer stack instead (default: a new, empty one). */
  readonly layerStack?: number;
  /** 'client' (default): frames come to this process; 'overlay': shown on the primary display. */
  readonly sink?: 'client' | 'overlay';
  /** Reported dots per inch (default 160). */
  readonly density?: number;
}

export interface VirtualDisplayFrame {
  readonly display: number;
  readonly frameNumber: number;
  /** When the frame was presented, local monotonic ms (performance.now() time base). */
  readonly timestamp: number;
  /** Frames the server composed while this client held every buffer. */
  readonly framesDropped: number;
  /** The frame's pixels: read them before release(). */
  readonly buffer: GraphicBuffer;
  /** Gives the buffer back to the display (exactly once). */
  release(): void;
}

/** @internal what a RemoteVirtualDisplay needs from its connection. */
export interface VirtualDisplayLink {
  request<N extends RequestName & ('destroyVirtualDisplay' | 'releaseVirtualDisplayFrame')>(name: N, args: RequestArgs<N>): Promise<ReplyArgs<N>>;
  forget(display: number): void;
  reportError(error: StratumError): void;
}

export function createVirtualDisplayArgs(options: CreateVirtualDisplayOptions): RequestArgs<'createVirtualDisplay'> {
  if (typeof options !== 'object' || options === null) throw new StratumError('BAD_VALUE', 'virtual display options must be an object');
  for (const [what, side] of [['width', options.width], ['height', options.height]] as const) {
    if (!Number.isInteger(side) || side < 1 || side > 8192) throw new StratumError('BAD_VALUE', `virtual display ${what} must be an integer in 1..8192, got ${String(side)}`);
  }
  const sink = options.sink ?? 'client';
  if (sink !== 'client' && sink !== 'overlay') throw new StratumError('BAD_VALUE', `sink must be 'client' or 'overlay', got ${String(sink)}`);
  return {
    name: options.name ?? 'virtual',
    width: options.width,
    height: options.height,
    ...(options.mirror !== undefined ? { mirror: options.mirror } : {}),
    ...(options.layerStack !== undefined ? { layerStack: options.layerStack } : {}),
    sink: sink === 'client' ? 0 : 1,
    density: options.density ?? 0,
  };
}

export class RemoteVirtualDisplay {
  readonly #link: VirtualDisplayLink;
  readonly #buffers = new Map<number, GraphicBuffer>();
  /** Slot -> the buffer id it holds (a new id for a slot replaces the old buffer). */
  readonly #slots = new Map<number, number>();
  #onFrame: ((frame: VirtualDisplayFrame) => void) | undefined;
  readonly #endListeners = new Set<(reason: string) => void>();
  #ended: string | undefined;

  /** @internal use StratumClient.createVirtualDisplay(). */
  constructor(
    readonly id: number,
    readonly layerStack: number,
    readonly width: number,
    readonly height: number,
    link: VirtualDisplayLink,
  ) {
    this.#link = link;
  }

  /** Why the display ended (destroyed, source disconnected, connection lost); undefined while it runs. */
  get ended(): string | undefined {
    return this.#ended;
  }

  /** Every frame goes to `handler`, which must release it (frames not released stall the display). */
  onFrame(handler: (frame: VirtualDisplayFrame) => void): void {
    this.#onFrame = handler;
  }

  /** Called once when the display ends for any reason but destroy(). */
  onEnded(listener: (reason: string) => void): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  /** Removes the display on the server and frees its buffers here. */
  async destroy(): Promise<void> {
    if (this.#ended !== undefined) return;
    this.#end('destroyed', false);
    await this.#link.request('destroyVirtualDisplay', { display: this.id });
  }

  /** @internal a virtualDisplayFrame event for this display. */
  deliver(args: EventArgs<'virtualDisplayFrame'>): void {
    const handle = args.buffer;
    if (this.#ended !== undefined) {
      if (handle) closeFd(handle.fd);
      return;
    }
    try {
      if (handle) {
        const { fd, ...descriptor } = handle;
        const previous = this.#slots.get(args.slot);
        if (previous !== undefined && previous !== handle.id) this.#buffers.get(previous)?.dispose();
        if (previous !== undefined && previous !== handle.id) this.#buffers.delete(previous);
        this.#buffers.set(handle.id, GraphicBuffer.import(fd, { ...descriptor, format: descriptor.format as PixelFormat }));
      }
      this.#slots.set(args.slot, args.bufferId);
      const buffer = this.#buffers.get(args.bufferId);
      if (!buffer) throw new StratumError('PROTOCOL_ERROR', `virtual display ${this.id}: frame ${args.frameNumber} names buffer ${args.bufferId}, which never came`);
      let released = false;
      const release = (): void => {
        if (released || this.#ended !== undefined) return;
        released = true;
        this.#link.request('releaseVirtualDisplayFrame', { display: this.id, slot: args.slot, frameNumber: args.frameNumber }).catch((error: unknown) => {
          if (this.#ended === undefined) this.#link.reportError(error instanceof StratumError ? error : new StratumError('INVALID_OPERATION', String(error)));
        });
      };
      const frame: VirtualDisplayFrame = { display: this.id, frameNumber: args.frameNumber, timestamp: wireTimeToLocal(args.timestamp), framesDropped: args.framesDropped, buffer, release };
      if (this.#onFrame) this.#onFrame(frame);
      else release();
    } catch (error) {
      this.#link.reportError(error instanceof StratumError ? error : new StratumError('INVALID_OPERATION', String(error)));
    }
  }

  /** @internal the display ended on the server, or the connection did. */
  end(reason: string): void {
    this.#end(reason, true);
  }

  #end(reason: string, notify: boolean): void {
    if (this.#ended !== undefined) return;
    this.#ended = reason;
    for (const buffer of this.#buffers.values()) buffer.dispose();
    this.#buffers.clear();
    this.#slots.clear();
    this.#link.forget(this.id);
    if (notify) for (const listener of this.#endListeners) listener(reason);
  }
}
