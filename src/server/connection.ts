// One client connection: its credentials, its own table of surfaces (ids are looked up only here,
// so a client can never name another client's objects), its quotas, and the mapping of each
// request onto the compositor and the surface's BufferQueue producer.
import type { BufferAllocator } from '../buffer/allocator.js';
import { GraphicBuffer } from '../buffer/graphic-buffer.js';
import { DEFAULT_PRODUCER_USAGE, Usage } from '../buffer/usage.js';
import { PixelFormat } from '../buffer/format.js';
import type { ScalingMode, Transform } from '../buffer/transform.js';
import type { LayerChanges, LayerHandle, LayerId, LayerKind, TransactionData, TransactionStats } from '../flinger/types.js';
import { ROOT_LAYER } from '../flinger/types.js';
import { closeFd, createSharedMemory, mapFd, unmap } from '../os/index.js';
import type { Fd } from '../os/index.js';
import type { ReceivedMessage, SeqPacketSocket } from '../os/socket.js';
import { Status, StratumError, isStratumError } from '../os/status.js';
import { isEmptyRect } from '../region/rect.js';
import {
  HELLO_TIMEOUT_MS,
  LayerFlag,
  MAX_BUFFER_SLOTS,
  NO_PARENT,
  PROTOCOL_VERSION,
  SurfaceKind,
  DatagramWriter,
  checkClientVersion,
  decodeRequest,
  splitDatagram,
  displayInfoToWire,
  encodeErrorReply,
  encodeEvent,
  encodeReply,
  localTimeToWire,
  wireTimeToLocal,
} from '../protocol/index.js';
import type { EncodedMessage, EventArgs, EventName, ReplyArgs, ReplyName, RequestArgs, RequestMessage } from '../protocol/index.js';
import type { BufferProducer } from '../queue/buffer-queue.js';
import type { DequeueResult } from '../queue/types.js';
import { NO_FENCE } from '../queue/fence.js';
import type { Fence } from '../queue/fence.js';
import type { Compositor, CompositorClient } from './compositor.js';
import type { ServerLimits } from './limits.js';
import type { DisplayHotplugControl } from './display-hotplug.js';
import type { DisplayPowerMode, Orientation } from '../display/display.js';

/** setDisplayPowerMode.mode on the wire. */
function powerModeOf(mode: number): DisplayPowerMode {
  const modes: readonly DisplayPowerMode[] = ['off', 'doze', 'on'];
  const found = modes[mode];
  if (found === undefined) throw new StratumError('BAD_VALUE', `power mode must be 0 off, 1 doze or 2 on, got ${mode}`);
  return found;
}

/** setDisplayRotation.rotation on the wire. */
function rotationOf(rotation: number): Orientation {
  if (rotation === 0 || rotation === 90 || rotation === 180 || rotation === 270) return rotation;
  throw new StratumError('BAD_VALUE', `rotation must be 0, 90, 180 or 270, got ${rotation}`);
}
import { ConnectionWindows } from './windows.js';
import { ConnectionVirtualDisplays } from './virtual-displays.js';
import type { WindowManager } from '../wm/index.js';

interface SurfaceRecord {
  readonly id: number;
  readonly layer: LayerHandle;
  readonly kind: LayerKind;
  readonly format: PixelFormat;
  readonly producer: BufferProducer | undefined;
  /** Buffers whose fd the client holds: buffer id -> slot it was last handed out in. */
  readonly clientBuffers: Map<number, number>;
  /** Frame number of each slot's last queue (for buffer-released events). */
  readonly slotFrames: Map<number, number>;
  /** Frame counter for buffers given through transactions. */
  transactionFrames: number;
  whenFull: (typeof WHEN_FULL)[number];
  destroyed: boolean;
}

export interface ConnectionStats {
  readonly id: number;
  readonly pid: number;
  readonly uid: number;
  readonly name: string;
  readonly surfaces: number;
  readonly pendingRequests: number;
  readonly bufferBytes: number;
  readonly buffers: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly fdsSent: number;
}

export interface ConnectionContext {
  readonly compositor: Compositor;
  readonly allocator: BufferAllocator;
  readonly limits: ServerLimits;
  readonly serverName: string;
  readonly log: (line: string) => void;
  readonly onClosed: (connection: ClientConnection, reason: string) => void;
  /** Window requests go here; without it they get UNSUPPORTED. */
  readonly windowManager?: WindowManager | undefined;
}

const KIND_BY_CODE: Record<number, LayerKind | undefined> = {
  [SurfaceKind.BUFFER]: 'buffer',
  [SurfaceKind.COLOR]: 'color',
  [SurfaceKind.CONTAINER]: 'container',
};

const WHEN_FULL = ['wait', 'fail', 'take-oldest-queued'] as const;

export class ClientConnection {
  readonly pid: number;
  readonly uid: number;
  readonly owner: string;
  #name = '';
  #ready = false;
  #closed = false;
  /** Withdraws a pending requestNextVsync. */
  #cancelVsync: (() => void) | undefined;
  /** Stops displayHotplug events. */
  #unwatchHotplug: (() => void) | undefined;
  #client: CompositorClient | undefined;
  #windows: ConnectionWindows | undefined;
  #virtualDisplays: ConnectionVirtualDisplays | undefined;
  readonly #surfaces = new Map<number, SurfaceRecord>();
  #nextSurfaceId = 1;
  #pending = 0;
  #inFlight = new Set<Promise<unknown>>();
  #helloTimer: NodeJS.Timeout | undefined;
  #bytesIn = 0;
  #bytesOut = 0;
  #messagesIn = 0;
  #messagesOut = 0;
  #fdsSent = 0;
  /** The replies and events that handling one datagram produces leave as one datagram. */
  readonly #writer = new DatagramWriter((bytes, fds) => this.#sendDatagram(bytes, fds));

  constructor(
    readonly id: number,
    readonly socket: SeqPacketSocket,
    private readonly ctx: ConnectionContext,
  ) {
    const credentials = socket.peerCredentials();
    this.pid = credentials.pid;
    this.uid = credentials.uid;
    this.owner = `client-${id}(pid ${this.pid})`;
    ctx.allocator.setLimits(this.owner, { maxBytes: ctx.limits.maxBufferBytes, maxBuffers: ctx.limits.maxBuffers });
    socket.onClose((reason) => this.#teardown(reason ? reason.message : 'the client closed the connection'));
    socket.onMessage((message) => this.#onMessage(message));
    this.#helloTimer = setTimeout(() => this.disconnect(`no hello within ${HELLO_TIMEOUT_MS} ms`), HELLO_TIMEOUT_MS);
    this.#helloTimer.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  stats(): ConnectionStats {
    const usage = this.ctx.allocator.usage(this.owner);
    return {
      id: this.id,
      pid: this.pid,
      uid: this.uid,
      name: this.#name,
      surfaces: this.#surfaces.size,
      pendingRequests: this.#pending,
      bufferBytes: usage.bytes,
      buffers: usage.buffers,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      messagesIn: this.#messagesIn,
      messagesOut: this.#messagesOut,
      fdsSent: this.#fdsSent,
    };
  }

  /** Closes the connection and releases everything of the client, logging why. */
  disconnect(reason: string, quiet = false): void {
    if (this.#closed) return;
    if (!quiet) this.ctx.log(`stratum: disconnecting ${this.#describe()}: ${reason}`);
    // What was already answered (a protocol-error event, say) goes out before the close.
    this.#writer.flush();
    this.#teardown(reason);
    this.socket.close();
  }

  // ---- receiving --------------------------------------------------------------------------------

  #onMessage(message: ReceivedMessage): void {
    if (this.#closed) return;
    this.#bytesIn += message.data.length;
    const fds = message.takeFds();
    let requests: RequestMessage[];
    try {
      // No request carries fds today: whatever arrived is closed once decoded.
      requests = splitDatagram(message.data, fds).map((slice) => decodeRequest(slice.bytes, slice.fds));
    } catch (error) {
      // One malformed message spoils its whole datagram: none of it is acted on.
      this.#protocolError(error instanceof StratumError ? error.message.replace(/^PROTOCOL_ERROR: /, '') : String(error));
      return;
    } finally {
      for (const fd of fds) closeFd(fd);
    }
    for (const request of requests) {
      if (this.#closed) return;
      this.#messagesIn += 1;
      this.#onRequest(request);
    }
  }

  #onRequest(request: RequestMessage): void {
    if (!this.#ready && request.name !== 'hello') {
      this.#protocolError(`${request.name} before hello`);
      return;
    }
    if (this.#ready && request.name === 'hello') {
      this.#protocolError('hello sent twice');
      return;
    }
    this.#dispatch(request);
  }

  #protocolError(message: string): void {
    this.#send(encodeEvent('protocolError', 0, { code: Status.PROTOCOL_ERROR, message: message.slice(0, 900) }));
    this.disconnect(`protocol error: ${message}`);
  }

  #dispatch(request: RequestMessage): void {
    try {
      switch (request.name) {
        case 'hello':
          return this.#hello(request.serial, request.args);
        case 'disconnect':
          return this.disconnect('the client said goodbye', true);
        case 'sync': {
          const earlier = [...this.#inFlight];
          return this.#async(request, 'sync', () => Promise.allSettled(earlier).then(() => ({ args: {} })));
        }
        case 'listDisplays':
          return this.#reply('listDisplays', request, { displays: this.ctx.compositor.displays().map(displayInfoToWire) });
        case 'getDisplayInfo': {
          const display = this.ctx.compositor.displays().find((d) => d.id === request.args.display);
          if (!display) throw new StratumError('NAME_NOT_FOUND', `display ${request.args.display} does not exist`);
          return this.#reply('getDisplayInfo', request, { info: displayInfoToWire(display) });
        }
        case 'createSurface':
          return this.#reply('createSurface', request, this.#createSurface(request.args));
        case 'destroySurface':
          this.#destroySurface(this.#surface(request.objectId));
          return this.#reply('destroySurface', request, {});
        case 'dequeueBuffer': {
          const surface = this.#surface(request.objectId);
          return this.#async(request, 'dequeueBuffer', async () => ({ args: await this.#dequeue(surface, request.args) }));
        }
        case 'queueBuffer': {
          const surface = this.#surface(request.objectId);
          const args = request.args;
          return this.#reply('queueBuffer', request, args.dequeueNext ? this.#queueThenDequeue(surface, args) : this.#queue(surface, args));
        }
        case 'cancelBuffer':
          producerOf(this.#surface(request.objectId)).cancel(request.args.slot);
          return this.#reply('cancelBuffer', request, {});
        case 'setProducerOptions':
          this.#setProducerOptions(this.#surface(request.objectId), request.args);
          return this.#reply('setProducerOptions', request, {});
        case 'applyTransaction':
          this.#applyTransaction(request.args);
          return this.#reply('applyTransaction', request, {});
        case 'dump': {
          const args = this.#dump(request.args.format);
          // The memfd was dup'ed into the message (or the send failed): ours is closed either way.
          return this.#reply('dump', request, args, () => closeFd(args.fd));
        }
        case 'screencap': {
          const display = request.args.display;
          return this.#async(request, 'screencap', () => this.#screencap(display));
        }
        case 'requestNextVsync':
          this.#requestNextVsync();
          return this.#reply('requestNextVsync', request, {});
        case 'connectDisplay':
          return this.#reply('connectDisplay', request, { display: this.#hotplug().connect(request.args) });
        case 'disconnectDisplay':
          this.#hotplug().disconnect(request.args.display);
          return this.#reply('disconnectDisplay', request, {});
        case 'setDisplayPowerMode':
          this.#hotplug().setPowerMode(request.args.display, powerModeOf(request.args.mode));
          return this.#reply('setDisplayPowerMode', request, {});
        case 'setDisplayRotation': {
          const { display, rotation } = request.args;
          return this.#async(request, 'setDisplayRotation', () => this.#setDisplayRotation(display, rotation).then(() => ({ args: {} })));
        }
        case 'getDisplayModes': {
          const { modes, activeMode } = this.#displayModesOf(request.args.display);
          return this.#reply('getDisplayModes', request, {
            modes: modes.map((m) => ({ id: m.id, width: m.width, height: m.height, refreshRate: m.refreshRate, ...(m.varying ? { varying: { min: m.varying.min, max: m.varying.max } } : {}) })),
            activeMode,
          });
        }
        case 'setDisplayMode': {
          const compositor = this.ctx.compositor;
          if (!compositor.setDisplayMode) throw new StratumError('UNSUPPORTED', 'this server drives no displays: no modes to set');
          this.#knownDisplay(request.args.display);
          compositor.setDisplayMode(request.args.display, request.args.mode);
          return this.#reply('setDisplayMode', request, {});
        }
        case 'addWindow':
          return this.#reply('addWindow', request, this.#windowsOf().addWindow(request.args));
        case 'relayoutWindow':
          return this.#reply('relayoutWindow', request, this.#windowsOf().relayout(request.args));
        case 'setWindowVisible':
          this.#windowsOf().setVisible(request.args);
          return this.#reply('setWindowVisible', request, {});
        case 'removeWindow':
          this.#windowsOf().remove(request.args);
          return this.#reply('removeWindow', request, {});
        case 'injectInput':
          return this.#reply('injectInput', request, this.#windowsOf().injectInput(request.args));
        case 'createVirtualDisplay':
          return this.#reply('createVirtualDisplay', request, this.#virtualDisplaysOf().create(request.args));
        case 'destroyVirtualDisplay':
          this.#virtualDisplaysOf().destroy(request.args.display);
          return this.#reply('destroyVirtualDisplay', request, {});
        case 'releaseVirtualDisplayFrame':
          this.#virtualDisplaysOf().release(request.args);
          return this.#reply('releaseVirtualDisplayFrame', request, {});
      }
    } catch (error) {
      this.#replyError(request, error);
    }
  }

  // ---- replies ----------------------------------------------------------------------------------

  #send(message: EncodedMessage, after?: () => void): void {
    if (this.#closed) {
      after?.();
      return;
    }
    this.#bytesOut += message.bytes.length;
    this.#messagesOut += 1;
    this.#fdsSent += message.fds.length;
    this.#writer.push(message, after);
  }

  #sendDatagram(bytes: Uint8Array, fds: readonly Fd[]): void {
    try {
      if (this.#closed) return;
      this.socket.send(bytes, fds);
    } catch (error) {
      if (isStratumError(error, 'LIMIT_EXCEEDED')) {
        this.disconnect(`outgoing backlog over ${this.ctx.limits.maxOutgoingBytes} bytes: the client stopped reading (${error.message})`);
      } else if (!isStratumError(error, 'DISCONNECTED')) {
        this.disconnect(`send failed: ${String(error)}`);
      }
    }
  }

  #reply<N extends ReplyName>(name: N, request: RequestMessage, args: NoInfer<ReplyArgs<N>>, after?: () => void): void {
    this.#send(encodeReply(name, request.objectId, request.serial, args), after);
  }

  #replyError(request: RequestMessage, error: unknown): void {
    if (this.#closed) return;
    if (isStratumError(error) && error.code === 'VERSION_MISMATCH') {
      this.#send(encodeErrorReply(request.objectId, request.serial, Status.VERSION_MISMATCH, error.message));
      this.disconnect(error.message);
      return;
    }
    const code = isStratumError(error) ? Status[error.code] : Status.INVALID_OPERATION;
    const text = isStratumError(error) ? error.message : `internal error: ${String(error)}`;
    if (!isStratumError(error)) this.ctx.log(`stratum: ${this.#describe()} ${request.name} failed: ${String(error)}`);
    this.#send(encodeErrorReply(request.objectId, request.serial, code, text));
  }

  /**
   * Runs a request that answers later, within the pending-request limit (checked before the work
   * starts). `cleanup` runs once the reply is sent or dropped (for what the reply lent out).
   */
  #async<N extends ReplyName>(request: RequestMessage, name: N, start: () => Promise<{ args: ReplyArgs<N>; cleanup?: () => void }>): void {
    if (this.#pending >= this.ctx.limits.maxPendingRequests) {
      throw new StratumError('LIMIT_EXCEEDED', `${this.ctx.limits.maxPendingRequests} requests already wait for an answer (MAX_PENDING_REQUESTS_PER_CLIENT)`);
    }
    this.#pending += 1;
    const done = start().then(
      ({ args, cleanup }) => {
        this.#pending -= 1;
        this.#reply(name, request, args, cleanup);
      },
      (error: unknown) => {
        this.#pending -= 1;
        this.#replyError(request, error);
      },
    );
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }

  #event<N extends EventName>(name: N, objectId: number, args: NoInfer<EventArgs<N>>): void {
    this.#send(encodeEvent(name, objectId, args));
  }

  /** Simulated external displays (issue 7). */
  /** NAME_NOT_FOUND unless the server drives `display`. */
  #knownDisplay(display: number): void {
    if (!this.ctx.compositor.displays().some((d) => d.id === display)) throw new StratumError('NAME_NOT_FOUND', `display ${display} does not exist`);
  }

  #displayModesOf(display: number): ReturnType<NonNullable<Compositor['displayModes']>> {
    const compositor = this.ctx.compositor;
    if (!compositor.displayModes) throw new StratumError('UNSUPPORTED', 'this server drives no displays: no modes');
    this.#knownDisplay(display);
    return compositor.displayModes(display);
  }

  /** Through the window manager when there is one, so windows are laid out for the new orientation. */
  async #setDisplayRotation(display: number, rotation: number): Promise<void> {
    this.#knownDisplay(display);
    const orientation = rotationOf(rotation);
    const wm = this.ctx.windowManager;
    if (wm) return wm.rotateDisplay(display, orientation);
    const compositor = this.ctx.compositor;
    if (!compositor.setDisplayRotation) throw new StratumError('UNSUPPORTED', 'this server drives no displays: nothing to rotate');
    compositor.setDisplayRotation(display, orientation);
  }

  #hotplug(): DisplayHotplugControl {
    const hotplug = this.ctx.compositor.hotplug;
    if (!hotplug) throw new StratumError('UNSUPPORTED', 'this server drives no displays: nothing to plug in');
    return hotplug;
  }

  /** One vsync event at the next VSync (Choreographer, issue 7); the scheduler wakes only connections that asked. */
  #requestNextVsync(): void {
    this.#cancelVsync = this.ctx.compositor.requestNextVsync(this, (e) => {
      this.#cancelVsync = undefined;
      this.#event('vsync', 0, {
        display: e.display,
        vsyncId: e.vsyncId,
        frameTime: localTimeToWire(e.frameTime),
        deadline: localTimeToWire(e.deadline),
        expectedPresentTime: localTimeToWire(e.expectedPresentTime),
        period: e.period,
      });
    });
  }

  // ---- requests ---------------------------------------------------------------------------------

  #hello(serial: number, args: RequestArgs<'hello'>): void {
    clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
    try {
      checkClientVersion(args);
    } catch (error) {
      this.#replyError({ kind: 'request', name: 'hello', objectId: 0, serial, args }, error);
      return;
    }
    this.#name = args.clientName || `pid-${this.pid}`;
    const allocator = this.ctx.allocator;
    this.#client = this.ctx.compositor.createClient(`${this.#name}(pid ${this.pid})`, (spec) => allocator.allocate(this.owner, spec));
    if (this.ctx.windowManager) {
      this.#windows = new ConnectionWindows(this.ctx.windowManager, `${this.#name}(pid ${this.pid})`, (spec) => allocator.allocate(this.owner, spec), {
        event: (name, args) => this.#event(name, 0, args),
        adoptSurface: (layer) => this.#adoptWindowSurface(layer),
        dropSurface: (id) => {
          const surface = this.#surfaces.get(id);
          if (surface) surface.destroyed = true;
          this.#surfaces.delete(id);
        },
      });
    }
    this.#virtualDisplays = new ConnectionVirtualDisplays({
      create: this.ctx.compositor.createVirtualDisplay?.bind(this.ctx.compositor),
      // Their own owner: the compositor may still be writing into them when the client goes, so
      // they are freed with their queue after that composition, not by releaseOwner(this.owner).
      allocate: (spec) => allocator.allocate(`${this.owner} virtual displays`, spec),
      frame: (args) => this.#event('virtualDisplayFrame', 0, args),
      removed: (display, reason) => this.#event('virtualDisplayRemoved', 0, { display, reason: reason.slice(0, 900) }),
    });
    this.#ready = true;
    this.#unwatchHotplug = this.ctx.compositor.hotplug?.onHotplug((display, connected) => this.#event('displayHotplug', 0, { display, connected }));
    const limits = this.ctx.limits;
    this.#send(
      encodeReply('hello', 0, serial, {
        major: PROTOCOL_VERSION.major,
        minor: PROTOCOL_VERSION.minor,
        serverName: this.ctx.serverName,
        maxMessageBytes: limits.maxMessageBytes,
        maxObjects: limits.maxObjects,
        maxBufferBytes: limits.maxBufferBytes,
        maxPendingRequests: limits.maxPendingRequests,
      }),
    );
  }

  #compositorClient(): CompositorClient {
    if (!this.#client) throw new StratumError('NO_INIT', 'the connection has no compositor client (hello not done)');
    return this.#client;
  }

  #surface(id: number): SurfaceRecord {
    const surface = this.#surfaces.get(id);
    // Looked up in this client's table only: another client's ids simply do not exist here.
    if (!surface) throw new StratumError('NAME_NOT_FOUND', `surface ${id} does not exist on this connection`);
    return surface;
  }

  #layerOf(id: number, what: string): LayerId {
    const surface = this.#surfaces.get(id);
    if (!surface) throw new StratumError('NAME_NOT_FOUND', `${what}: surface ${id} does not exist on this connection`);
    return surface.layer.id;
  }

  #createSurface(args: RequestArgs<'createSurface'>): ReplyArgs<'createSurface'> {
    if (this.#surfaces.size >= this.ctx.limits.maxObjects) {
      throw new StratumError('LIMIT_EXCEEDED', `the client already holds ${this.#surfaces.size} surfaces (MAX_OBJECTS_PER_CLIENT ${this.ctx.limits.maxObjects})`);
    }
    const kind = KIND_BY_CODE[args.kind];
    if (!kind) throw new StratumError('BAD_VALUE', `surface kind ${args.kind} is not 0 (buffer), 1 (color) or 2 (container)`);
    if ((args.flags & ~allLayerFlags()) !== 0) throw new StratumError('BAD_VALUE', `flags 0x${args.flags.toString(16)} have unknown bits`);
    if (kind === 'buffer' && (args.width === 0) !== (args.height === 0)) {
      throw new StratumError('BAD_VALUE', `width and height must both be 0 (default) or both set, got ${args.width}x${args.height}`);
    }
    const parent = args.parent === undefined ? ROOT_LAYER : this.#layerOf(args.parent, 'parent');
    const layer = this.#compositorClient().createLayer({
      name: args.name || 'surface',
      kind,
      parent,
      initial: flagChanges(args.flags, args.flags),
      queue: {
        ...(args.width > 0 ? { width: args.width, height: args.height } : {}),
        ...(args.queueSize > 0 ? { queueSize: args.queueSize } : {}),
      },
    });
    const id = this.#nextSurfaceId++;
    const surface: SurfaceRecord = {
      id,
      layer,
      kind,
      format: (args.format || 1) as PixelFormat,
      producer: layer.producer,
      clientBuffers: new Map(),
      slotFrames: new Map(),
      transactionFrames: 0,
      whenFull: 'wait',
      destroyed: false,
    };
    try {
      layer.producer?.connect({
        label: this.#name,
        listener: {
          onBufferReleased: (slot) => {
            if (!surface.destroyed) this.#event('bufferReleased', id, { slot, frameNumber: surface.slotFrames.get(slot) ?? 0 });
          },
        },
      });
    } catch (error) {
      this.#compositorClient().destroyLayer(layer.id);
      throw error;
    }
    this.#surfaces.set(id, surface);
    return { surface: id, layerId: layer.id };
  }

  #virtualDisplaysOf(): ConnectionVirtualDisplays {
    if (!this.#virtualDisplays) throw new StratumError('NO_INIT', 'the handshake is not complete');
    return this.#virtualDisplays;
  }

  #windowsOf(): ConnectionWindows {
    if (!this.#windows) throw new StratumError('UNSUPPORTED', 'this server has no window manager');
    return this.#windows;
  }

  /** A window's buffer layer (owned by the window manager) as a surface of this client: it can produce buffers and parent child surfaces. */
  #adoptWindowSurface(layer: LayerHandle): number {
    if (this.#surfaces.size >= this.ctx.limits.maxObjects) {
      throw new StratumError('LIMIT_EXCEEDED', `the client already holds ${this.#surfaces.size} surfaces (MAX_OBJECTS_PER_CLIENT ${this.ctx.limits.maxObjects})`);
    }
    const id = this.#nextSurfaceId++;
    const surface: SurfaceRecord = {
      id,
      layer,
      kind: 'buffer',
      format: PixelFormat.RGBA_8888,
      producer: layer.producer,
      clientBuffers: new Map(),
      slotFrames: new Map(),
      transactionFrames: 0,
      whenFull: 'wait',
      destroyed: false,
    };
    layer.producer?.connect({
      label: this.#name,
      listener: {
        onBufferReleased: (slot) => {
          if (!surface.destroyed) this.#event('bufferReleased', id, { slot, frameNumber: surface.slotFrames.get(slot) ?? 0 });
        },
      },
    });
    this.#surfaces.set(id, surface);
    return id;
  }

  #destroySurface(surface: SurfaceRecord): void {
    surface.destroyed = true;
    this.#surfaces.delete(surface.id);
    this.#compositorClient().destroyLayer(surface.layer.id);
  }

  async #dequeue(surface: SurfaceRecord, args: RequestArgs<'dequeueBuffer'>): Promise<ReplyArgs<'dequeueBuffer'>> {
    const producer = producerOf(surface);
    const result = await producer.dequeue({
      ...(args.width > 0 || args.height > 0 ? { width: args.width, height: args.height } : {}),
      format: (args.format || surface.format) as PixelFormat,
      usage: args.usage || DEFAULT_PRODUCER_USAGE,
    });
    // The client draws with the CPU: hand the slot over only once the consumer is done with it.
    if (!result.fence.signalled) await result.fence.wait();
    return this.#handOut(surface, result);
  }

  /** The dequeue answer; the buffer handle only when the client does not hold this buffer yet. */
  #handOut(surface: SurfaceRecord, result: DequeueResult): ReplyArgs<'dequeueBuffer'> {
    const known = surface.clientBuffers;
    if (result.releaseAllBuffers) known.clear();
    const buffer = result.buffer;
    const slot = result.slot;
    let handle: ReplyArgs<'dequeueBuffer'>['buffer'];
    if (!known.has(buffer.id)) {
      // The client replaces whatever it held for this slot with the new buffer.
      for (const [id, s] of known) if (s === slot) known.delete(id);
      handle = { ...buffer.describe(), fd: buffer.fd };
    }
    known.set(buffer.id, slot);
    return {
      slot,
      bufferId: buffer.id,
      needsReallocation: result.needsReallocation,
      releaseAllBuffers: result.releaseAllBuffers,
      bufferAge: result.bufferAge,
      ...(handle ? { buffer: handle } : {}),
    };
  }

  /**
   * Queue, then dequeue the next default buffer only if a slot is free this instant and ready to
   * write (never waits, never takes a queued frame back), so one message each way makes a frame.
   */
  #queueThenDequeue(surface: SurfaceRecord, args: RequestArgs<'queueBuffer'>): ReplyArgs<'queueBuffer'> {
    const queued = this.#queue(surface, args);
    const producer = producerOf(surface);
    if (surface.whenFull === 'take-oldest-queued') return queued;
    let result: DequeueResult | undefined;
    try {
      result = producer.tryDequeue({ format: surface.format, usage: DEFAULT_PRODUCER_USAGE });
    } catch {
      return queued;
    }
    if (!result) return queued;
    if (!result.fence.signalled) {
      producer.cancel(result.slot, result.fence);
      return queued;
    }
    return { ...queued, next: this.#handOut(surface, result) };
  }

  #queue(surface: SurfaceRecord, args: RequestArgs<'queueBuffer'>): ReplyArgs<'queueBuffer'> {
    const out = producerOf(surface).queue(args.slot, {
      ...(args.timestamp !== undefined ? { timestamp: wireTimeToLocal(args.timestamp) } : {}),
      ...(args.desiredPresentTime !== undefined ? { desiredPresentTime: wireTimeToLocal(args.desiredPresentTime) } : {}),
      ...(args.crop ? { crop: args.crop } : {}),
      damage: args.damage,
      transform: args.transform as Transform,
      scalingMode: args.scalingMode as ScalingMode,
    });
    surface.slotFrames.set(args.slot, out.frameNumber);
    return {
      frameNumber: out.frameNumber,
      bufferReplaced: out.bufferReplaced,
      pendingFrames: out.pendingFrames,
      width: out.width,
      height: out.height,
      transformHint: out.transformHint,
    };
  }

  #setProducerOptions(surface: SurfaceRecord, args: RequestArgs<'setProducerOptions'>): void {
    const producer = producerOf(surface);
    if (args.whenFull !== undefined) {
      const policy = WHEN_FULL[args.whenFull];
      if (!policy) throw new StratumError('BAD_VALUE', `whenFull ${args.whenFull} is not 0 (wait), 1 (fail) or 2 (take-oldest-queued)`);
      producer.setWhenFull(policy);
      surface.whenFull = policy;
    }
    if (args.mailbox !== undefined) producer.setAsyncMode(args.mailbox);
    if (args.maxDequeued !== undefined) producer.setMaxDequeued(args.maxDequeued);
    if (args.dequeueTimeoutMs !== undefined) {
      if (args.dequeueTimeoutMs < -1) throw new StratumError('BAD_VALUE', `dequeueTimeoutMs ${args.dequeueTimeoutMs} must be -1 (forever) or >= 0`);
      producer.setDequeueTimeout(args.dequeueTimeoutMs === -1 ? Number.POSITIVE_INFINITY : args.dequeueTimeoutMs);
    }
  }

  #applyTransaction(args: RequestArgs<'applyTransaction'>): void {
    const client = this.#compositorClient();
    const detached: { surface: SurfaceRecord; slot: number; buffer: GraphicBuffer }[] = [];
    const seen = new Set<number>();
    let layers: TransactionData['layers'];
    try {
      layers = args.changes.map((change) => {
        const surface = this.#surface(change.surface);
        if (seen.has(surface.id)) throw new StratumError('BAD_VALUE', `surface ${surface.id} appears twice in one transaction (merge folds repeats)`);
        seen.add(surface.id);
        const changes = this.#layerChanges(surface, change, detached);
        return { layer: surface.layer.id, changes };
      });
    } catch (error) {
      this.#undoDetach(detached);
      throw error;
    }
    const commitId = args.commitCallbackId;
    const completeId = args.completeCallbackId;
    const ids = new Map([...this.#surfaces.values()].map((s) => [s.layer.id, s.id]));
    try {
      client.apply(
        { layers, ...(args.desiredPresentTime !== undefined ? { desiredPresentTime: wireTimeToLocal(args.desiredPresentTime) } : {}) },
        {
          ...(commitId !== undefined ? { onCommit: (stats: TransactionStats) => this.#event('transactionCommitted', 0, { callbackId: commitId, latchTime: localTimeToWire(stats.latchTime) }) } : {}),
          ...(completeId !== undefined ? { onComplete: (stats: TransactionStats) => this.#completed(completeId, stats, ids) } : {}),
        },
      );
    } catch (error) {
      this.#undoDetach(detached);
      throw error;
    }
  }

  #completed(callbackId: number, stats: TransactionStats, ids: Map<LayerId, number>): void {
    const surfaces: EventArgs<'transactionCompleted'>['surfaces'] = [];
    for (const s of stats.surfaces) {
      const surface = ids.get(s.layer);
      if (surface === undefined || !this.#surfaces.has(surface)) continue;
      const released = s.previousReleaseFence?.signalTime;
      surfaces.push({
        surface,
        frameNumber: s.frameNumber,
        acquireTime: s.acquireTime < 0 ? -1 : localTimeToWire(s.acquireTime),
        previousReleaseTime: released === undefined ? -1 : localTimeToWire(released),
      });
    }
    this.#event('transactionCompleted', 0, {
      callbackId,
      latchTime: localTimeToWire(stats.latchTime),
      presentTime: stats.presentTime < 0 ? -1 : localTimeToWire(stats.presentTime),
      surfaces,
    });
  }

  #layerChanges(
    surface: SurfaceRecord,
    change: RequestArgs<'applyTransaction'>['changes'][number],
    detached: { surface: SurfaceRecord; slot: number; buffer: GraphicBuffer }[],
  ): LayerChanges {
    const out: Record<string, unknown> = {};
    if (change.position) out.position = change.position;
    if (change.matrix) out.matrix = change.matrix;
    if (change.z !== undefined) out.z = change.z;
    if (change.relativeZ) out.relativeZ = { relativeTo: this.#layerOf(change.relativeZ.relativeTo, 'relativeZ.relativeTo'), z: change.relativeZ.z };
    if (change.layerStack !== undefined) out.layerStack = change.layerStack;
    if (change.parent !== undefined) {
      out.parent = change.parent === 0 ? ROOT_LAYER : change.parent === NO_PARENT ? null : this.#layerOf(change.parent, 'parent');
    }
    if (change.crop) out.crop = isEmptyRect(change.crop) ? null : change.crop;
    if (change.bufferCrop) out.bufferCrop = isEmptyRect(change.bufferCrop) ? null : change.bufferCrop;
    if (change.bufferTransform !== undefined) out.bufferTransform = change.bufferTransform;
    if (change.scalingMode !== undefined) out.scalingMode = change.scalingMode;
    if (change.size) out.size = change.size.width === 0 && change.size.height === 0 ? null : change.size;
    if (change.alpha !== undefined) out.alpha = change.alpha;
    if (change.color) out.color = change.color;
    if (change.flags) {
      if (((change.flags.flags | change.flags.mask) & ~allLayerFlags()) !== 0) {
        throw new StratumError('BAD_VALUE', `surface ${surface.id}: flags 0x${change.flags.flags.toString(16)}/mask 0x${change.flags.mask.toString(16)} have unknown bits`);
      }
      Object.assign(out, flagChanges(change.flags.flags, change.flags.mask));
    }
    if (change.visibleRegionHint) out.visibleRegionHint = change.visibleRegionHint.length === 0 ? null : change.visibleRegionHint;
    if (change.surfaceDamage) out.surfaceDamage = change.surfaceDamage.length === 0 ? null : change.surfaceDamage;
    if (change.buffer) {
      const slot = change.buffer.slot;
      if (slot >= MAX_BUFFER_SLOTS) throw new StratumError('BAD_VALUE', `surface ${surface.id}: slot ${slot} is outside 0..${MAX_BUFFER_SLOTS - 1}`);
      const producer = producerOf(surface);
      // BLAST style: the dequeued buffer leaves the queue for the transaction and comes back as a
      // free slot (with a buffer-released event) once the compositor is done with it.
      const buffer = producer.detach(slot);
      detached.push({ surface, slot, buffer });
      surface.transactionFrames += 1;
      const frameNumber = surface.transactionFrames;
      out.buffer = { buffer, frameNumber, onRelease: (fence: Fence) => this.#returnBuffer(surface, buffer, fence, frameNumber) };
    }
    return out;
  }

  #returnBuffer(surface: SurfaceRecord, buffer: GraphicBuffer, fence: Fence, frameNumber?: number): void {
    const producer = surface.producer;
    if (surface.destroyed || this.#closed || !producer?.connected || buffer.disposed) {
      buffer.dispose();
      return;
    }
    let slot: number;
    try {
      // clientBuffers keeps the slot the client knows the buffer by: both sides update it only on dequeue.
      slot = producer.attach(buffer);
      producer.cancel(slot, fence);
    } catch {
      // No room to take it back (the client changed its counts): the buffer is simply freed.
      buffer.dispose();
      return;
    }
    // The producer's own cancel fires no release listener: tell the client here.
    this.#event('bufferReleased', surface.id, { slot, frameNumber: frameNumber ?? 0 });
  }

  /** A refused transaction gives its buffers back as free slots (the client dequeues again). */
  #undoDetach(detached: { surface: SurfaceRecord; slot: number; buffer: GraphicBuffer }[]): void {
    for (const { surface, buffer } of detached) this.#returnBuffer(surface, buffer, NO_FENCE);
  }

  /** The compositor's dump, with the window manager's windows when there is one. */
  #dumpText(format: 'text' | 'json'): string {
    const compositor = this.ctx.compositor.dump(format);
    const wm = this.ctx.windowManager;
    if (!wm) return compositor;
    if (format === 'text') return `${compositor}\n\n${wm.dumpText()}`;
    return JSON.stringify({ ...(JSON.parse(compositor) as Record<string, unknown>), windowManager: wm.dump() }, null, 2);
  }

  #dump(format: number): ReplyArgs<'dump'> {
    if (format > 1) throw new StratumError('BAD_VALUE', `dump format ${format} is not 0 (text) or 1 (json)`);
    const bytes = new TextEncoder().encode(this.#dumpText(format === 1 ? 'json' : 'text'));
    const fd = createSharedMemory('stratum-dump', Math.max(1, bytes.length));
    try {
      const map = mapFd(fd, Math.max(1, bytes.length), 'read-write');
      new Uint8Array(map).set(bytes);
      unmap(map);
    } catch (error) {
      closeFd(fd);
      throw error;
    }
    return { size: bytes.length, fd };
  }

  async #screencap(display: number): Promise<{ args: ReplyArgs<'screencap'>; cleanup: () => void }> {
    const image = await this.ctx.compositor.capture(display);
    // Not charged to the client: the server's copy is freed as soon as the reply is out.
    const buffer = GraphicBuffer.allocate({ width: image.width, height: image.height, format: PixelFormat.RGBA_8888, usage: Usage.CPU_READ_OFTEN, strideAlignment: 4 });
    try {
      const dst = buffer.bytes();
      const row = image.width * 4;
      for (let y = 0; y < image.height; y++) dst.set(image.rgba.subarray(y * row, (y + 1) * row), y * buffer.stride * 4);
      buffer.unmap();
      return { args: { buffer: { ...buffer.describe(), fd: buffer.fd } }, cleanup: () => buffer.dispose() };
    } catch (error) {
      buffer.dispose();
      throw error;
    }
  }

  // ---- teardown ---------------------------------------------------------------------------------

  #teardown(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#helloTimer);
    this.#cancelVsync?.();
    this.#unwatchHotplug?.();
    for (const surface of this.#surfaces.values()) surface.destroyed = true;
    this.#surfaces.clear();
    try {
      this.#windows?.dispose();
    } catch (error) {
      this.ctx.log(`stratum: window cleanup of ${this.#describe()} failed: ${String(error)}`);
    }
    try {
      this.#virtualDisplays?.dispose();
    } catch (error) {
      this.ctx.log(`stratum: virtual display cleanup of ${this.#describe()} failed: ${String(error)}`);
    }
    try {
      this.#client?.dispose();
    } catch (error) {
      this.ctx.log(`stratum: cleanup of ${this.#describe()} failed: ${String(error)}`);
    }
    // Whatever the compositor did not free (buffers detached into transactions, in flight) goes now.
    this.ctx.allocator.releaseOwner(this.owner);
    this.ctx.onClosed(this, reason);
  }

  #describe(): string {
    return `client ${this.id} '${this.#name}' (pid ${this.pid}, uid ${this.uid})`;
  }
}

function producerOf(surface: SurfaceRecord): BufferProducer {
  if (!surface.producer) throw new StratumError('INVALID_OPERATION', `surface ${surface.id} is a ${surface.kind} layer: it has no buffer queue`);
  return surface.producer;
}

function allLayerFlags(): number {
  return Object.values(LayerFlag).reduce((a, b) => a | b, 0);
}

function flagChanges(flags: number, mask: number): Partial<Record<'hidden' | 'opaque' | 'secure' | 'skipScreenshot' | 'nonPremultiplied', boolean>> {
  const out: Partial<Record<'hidden' | 'opaque' | 'secure' | 'skipScreenshot' | 'nonPremultiplied', boolean>> = {};
  const bits = [
    ['hidden', LayerFlag.HIDDEN],
    ['opaque', LayerFlag.OPAQUE],
    ['secure', LayerFlag.SECURE],
    ['skipScreenshot', LayerFlag.SKIP_SCREENSHOT],
    ['nonPremultiplied', LayerFlag.NON_PREMULTIPLIED],
  ] as const;
  for (const [name, bit] of bits) if (mask & bit) out[name] = (flags & bit) !== 0;
  return out;
}


