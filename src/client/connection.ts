// The client side of the socket: the handshake, request serials and their pending promises,
// events, and the one rule for disconnects: every pending and later call rejects with DISCONNECTED.
import { closeFd, mapFd, unmap } from '../os/index.js';
import type { Fd } from '../os/index.js';
import { SeqPacketSocket } from '../os/socket.js';
import type { ReceivedMessage } from '../os/socket.js';
import { StratumError, isStratumError, statusFromNumber } from '../os/status.js';
import { GraphicBuffer } from '../buffer/graphic-buffer.js';
import type { PixelFormat } from '../buffer/format.js';
import { PROTOCOL_VERSION, decodeServerMessage, displayInfoFromWire, encodeRequest, splitDatagram, wireTimeToLocal } from '../protocol/index.js';
import type { DisplayInfo } from '../protocol/index.js';
import type { DisplayRotation } from '../protocol/display-info.js';
import type { EventArgs, EventMessage, ProtocolVersion, ReplyArgs, ReplyName, RequestArgs, RequestName, ServerMessage } from '../protocol/index.js';
import { resolveSocketPath } from '../protocol/socket-path.js';
import { Choreographer } from './choreographer.js';
import { SurfaceControl } from './surface.js';
import type { CreateSurfaceOptions, SurfaceLink } from './surface.js';
import { CallbackRegistry, Transaction } from './transaction.js';
import type { TransactionLink } from './transaction.js';
import { Window, injectArgs, windowConfig, windowTypeCode } from './window.js';
import { RemoteVirtualDisplay, createVirtualDisplayArgs } from './virtual-display.js';
import type { CreateVirtualDisplayOptions } from './virtual-display.js';
import type { AddWindowOptions, InjectInputEvent, InjectInputResult } from './window.js';

/** A resolution and refresh rate a display supports (getDisplayModes). */
export interface DisplayModeInfo {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  /** Nominal Hz. */
  readonly refreshRate: number;
  /** Present when the rate wanders between min and max Hz from one VSync to the next. */
  readonly varying?: { readonly min: number; readonly max: number };
  /** The display's current mode. */
  readonly active: boolean;
}

export interface ConnectOptions {
  /** Default: $STRATUM_SOCKET, else $XDG_RUNTIME_DIR/stratum-0, else /tmp/stratum-$uid/stratum-0. */
  readonly socketPath?: string;
  /** Shown in the server's dump and logs. Default: the process title and pid. */
  readonly name?: string;
  /** The protocol version announced in hello (default: this SDK's). Only for compatibility tests. */
  readonly protocolVersion?: ProtocolVersion;
}


export interface ServerInfo {
  readonly name: string;
  readonly version: ProtocolVersion;
  readonly maxMessageBytes: number;
  readonly maxObjects: number;
  readonly maxBufferBytes: number;
  readonly maxPendingRequests: number;
}

export interface Screenshot {
  readonly width: number;
  readonly height: number;
  /** Tightly packed RGBA_8888. */
  readonly rgba: Uint8Array;
}

interface PendingCall {
  readonly name: RequestName;
  readonly resolve: (message: { args: unknown; fds: Fd[] }) => void;
  readonly reject: (error: StratumError) => void;
}

type EventHandler = (event: EventMessage) => void;


/** Connects and completes the handshake. Rejects VERSION_MISMATCH, or with the OS error of connect(2). */
export async function connect(options: ConnectOptions = {}): Promise<StratumClient> {
  const path = options.socketPath ?? resolveSocketPath();
  const socket = await SeqPacketSocket.connect(path);
  const client = new StratumClient(socket);
  try {
    await client.hello(options.name ?? `${process.title}-${process.pid}`, options.protocolVersion ?? PROTOCOL_VERSION);
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}

/** One connection to a Stratum server. */
export class StratumClient {
  readonly #socket: SeqPacketSocket;
  readonly #pending = new Map<number, PendingCall>();
  readonly #eventHandlers = new Map<number, EventHandler>();
  /** Window id -> its handler; events of windows not known yet wait (they can precede the addWindow reply). */
  readonly #windowHandlers = new Map<number, EventHandler>();
  readonly #virtualDisplays = new Map<number, RemoteVirtualDisplay>();
  #unclaimedFrames: EventArgs<'virtualDisplayFrame'>[] = [];
  #unclaimedWindowEvents: EventMessage[] = [];
  readonly #disconnectListeners = new Set<(error: StratumError) => void>();
  readonly #errorListeners = new Set<(error: StratumError) => void>();
  #nextSerial = 1;
  #disconnected: StratumError | undefined;
  #server: ServerInfo | undefined;
  readonly #link: TransactionLink;

  /** @internal use connect(). */
  constructor(socket: SeqPacketSocket) {
    this.#socket = socket;
    socket.onMessage((message) => this.#onMessage(message));
    socket.onClose((reason) => this.#onClosed(reason ? reason.message : 'the server closed the connection'));
    const link: SurfaceLink = {
      request: (name, objectId, args) => this.#request(name, objectId, args),
      requestWithFds: (name, objectId, args) => this.#requestWithFds(name, objectId, args),
      onObjectEvent: (objectId, handler) => this.#onObjectEvent(objectId, handler),
      reportError: (error) => this.#reportError(error),
    };
    this.#link = { ...link, callbacks: new CallbackRegistry(link) };
    this.choreographer = new Choreographer({
      requestNextVsync: () => this.#request('requestNextVsync', 0, {}).then(() => undefined),
      reportError: (error) => this.#reportError(error),
    });
  }

  /** Frame callbacks at VSync (only this connection's requests wake it). */
  readonly choreographer: Choreographer;
  readonly #hotplugListeners = new Set<(display: number, connected: boolean) => void>();

  /**
   * Plugs in a simulated external display: it starts powered off (listDisplays shows it; nothing is
   * composed) until setDisplayPowerMode(id, 'on'). Returns its id.
   */
  async connectDisplay(options: { readonly name?: string; readonly width: number; readonly height: number; readonly refreshRate?: number }): Promise<number> {
    if (typeof options !== 'object' || options === null) throw new StratumError('BAD_VALUE', 'connectDisplay needs {width, height, name?, refreshRate?}');
    const reply = await this.#request('connectDisplay', 0, { name: options.name ?? '', width: options.width, height: options.height, refreshRate: options.refreshRate ?? 0 });
    return reply.display;
  }

  /** Unplugs a display plugged in with connectDisplay; the layers on its stack stay. */
  async disconnectDisplay(display: number): Promise<void> {
    await this.#request('disconnectDisplay', 0, { display });
  }

  async setDisplayPowerMode(display: number, mode: 'off' | 'doze' | 'on'): Promise<void> {
    const code = ({ off: 0, doze: 1, on: 2 } as const)[mode];
    if (code === undefined) throw new StratumError('BAD_VALUE', `power mode must be off, doze or on, got ${String(mode)}`);
    await this.#request('setDisplayPowerMode', 0, { display, mode: code });
  }

  /**
   * Turns a display to 0, 90, 180 or 270 degrees (its layer stack fills it); a server with a window
   * manager lays the windows out again. Resolves once the display has turned.
   */
  async setDisplayRotation(display: number, rotation: DisplayRotation): Promise<void> {
    await this.#request('setDisplayRotation', 0, { display, rotation });
  }

  /** The modes a display supports; the active one has `active: true`. */
  async getDisplayModes(display: number): Promise<DisplayModeInfo[]> {
    const reply = await this.#request('getDisplayModes', 0, { display });
    return reply.modes.map((m) => ({
      id: m.id,
      width: m.width,
      height: m.height,
      refreshRate: m.refreshRate,
      ...(m.varying ? { varying: { min: m.varying.min, max: m.varying.max } } : {}),
      active: m.id === reply.activeMode,
    }));
  }

  /** Switches a display to one of its modes (an id from getDisplayModes). */
  async setDisplayMode(display: number, mode: number): Promise<void> {
    await this.#request('setDisplayMode', 0, { display, mode });
  }

  /** Calls `listener` when any display is connected or disconnected. Returns a remover. */
  onDisplayHotplug(listener: (display: number, connected: boolean) => void): () => void {
    this.#hotplugListeners.add(listener);
    return () => this.#hotplugListeners.delete(listener);
  }

  /** The server's name, version and limits (from the handshake). */
  get server(): ServerInfo {
    if (!this.#server) throw new StratumError('NO_INIT', 'the handshake is not complete');
    return this.#server;
  }

  get connected(): boolean {
    return this.#disconnected === undefined;
  }

  /** @internal the handshake; connect() calls it. */
  async hello(name: string, version: ProtocolVersion): Promise<void> {
    const reply = await this.#request('hello', 0, { major: version.major, minor: version.minor, clientName: name });
    this.#server = {
      name: reply.serverName,
      version: { major: reply.major, minor: reply.minor },
      maxMessageBytes: reply.maxMessageBytes,
      maxObjects: reply.maxObjects,
      maxBufferBytes: reply.maxBufferBytes,
      maxPendingRequests: reply.maxPendingRequests,
    };
  }

  async listDisplays(): Promise<DisplayInfo[]> {
    const reply = await this.#request('listDisplays', 0, {});
    return reply.displays.map(displayInfoFromWire);
  }

  async getDisplayInfo(display: number): Promise<DisplayInfo> {
    const reply = await this.#request('getDisplayInfo', 0, { display });
    return displayInfoFromWire(reply.info);
  }

  /** Creates a layer. Buffer layers (the default kind) come with `.surface`, the producer end of their queue. */
  async createSurface(options: CreateSurfaceOptions): Promise<SurfaceControl> {
    return SurfaceControl.create(this.#link, options);
  }

  /**
   * Asks the window manager for a window. Its `surface` produces buffers; its `control` can parent
   * child surfaces but the window layer itself is the window manager's.
   */
  async addWindow(options: AddWindowOptions): Promise<Window> {
    if (typeof options !== 'object' || options === null) throw new StratumError('BAD_VALUE', 'addWindow needs an options object');
    const reply = await this.#request('addWindow', 0, {
      type: windowTypeCode(options.type),
      title: options.title,
      width: options.width ?? 0,
      height: options.height ?? 0,
      ...(options.x !== undefined ? { x: options.x } : {}),
      ...(options.y !== undefined ? { y: options.y } : {}),
      flags: options.flags ?? 0,
      display: options.display ?? 0,
    });
    const config = windowConfig(reply.config);
    const width = config.frame.right - config.frame.left;
    const height = config.frame.bottom - config.frame.top;
    const control = SurfaceControl.adopt(this.#link, reply.surface, reply.layerId, options.title, width, height);
    return new Window(
      { request: (name, objectId, args) => this.#request(name, objectId, args), onWindowEvent: (window, handler) => this.#onWindowEvent(window, handler) },
      reply.window,
      options.title,
      options.type,
      control,
      config,
    );
  }

  /** Injects a pointer, touch or key event, as the viewer and `stratum input` do. */
  async injectInput(event: InjectInputEvent): Promise<InjectInputResult> {
    const reply = await this.#request('injectInput', 0, injectArgs(event));
    return { window: reply.window === 0 ? null : reply.window, dropped: reply.dropped };
  }

  /** A new, empty transaction on this connection. */
  transaction(): Transaction {
    return new Transaction(this.#link);
  }

  /** Resolves once the server has handled every earlier request. */
  async sync(): Promise<void> {
    await this.#request('sync', 0, {});
  }

  /** The compositor's state: text, or JSON when `format` is 'json'. */
  async dump(format: 'text' | 'json' = 'text'): Promise<string> {
    const { args, fds } = await this.#requestWithFds('dump', 0, { format: format === 'json' ? 1 : 0 });
    const fd = fds[0];
    if (fd === undefined) throw new StratumError('PROTOCOL_ERROR', 'dump reply without its memfd');
    try {
      if (args.size === 0) return '';
      const map = mapFd(fd, args.size, 'read');
      try {
        return new TextDecoder().decode(new Uint8Array(map, 0, args.size));
      } finally {
        unmap(map);
      }
    } finally {
      closeFd(fd);
    }
  }

  /** The display's pixels (secure layers black, skip-screenshot layers absent). */
  async screencap(display?: number): Promise<Screenshot> {
    const id = display ?? (await this.listDisplays())[0]?.id;
    if (id === undefined) throw new StratumError('NAME_NOT_FOUND', 'the server has no display to capture');
    const { args, fds } = await this.#requestWithFds('screencap', 0, { display: id });
    const fd = fds[0];
    if (fd === undefined) throw new StratumError('PROTOCOL_ERROR', 'screencap reply without its buffer fd');
    const { fd: _fd, ...descriptor } = args.buffer;
    const buffer = GraphicBuffer.import(fd, { ...descriptor, format: descriptor.format as PixelFormat });
    try {
      const src = buffer.bytes('read');
      const row = buffer.width * 4;
      const rgba = new Uint8Array(row * buffer.height);
      for (let y = 0; y < buffer.height; y++) rgba.set(src.subarray(y * buffer.stride * 4, y * buffer.stride * 4 + row), y * row);
      return { width: buffer.width, height: buffer.height, rgba };
    } finally {
      buffer.dispose();
    }
  }

  /**
   * A virtual display (issue 8): mirroring a display or showing a layer stack; with sink 'client'
   * (default) its frames come to this process as buffers (RemoteVirtualDisplay.onFrame).
   */
  async createVirtualDisplay(options: CreateVirtualDisplayOptions): Promise<RemoteVirtualDisplay> {
    const args = createVirtualDisplayArgs(options);
    const reply = await this.#request('createVirtualDisplay', 0, args);
    const display = new RemoteVirtualDisplay(reply.display, reply.layerStack, args.width, args.height, {
      request: (name, a) => this.#request(name, 0, a),
      forget: (id) => this.#virtualDisplays.delete(id),
      reportError: (error) => this.#reportError(error),
    });
    this.#virtualDisplays.set(reply.display, display);
    const early = this.#unclaimedFrames.filter((f) => f.display === reply.display);
    this.#unclaimedFrames = this.#unclaimedFrames.filter((f) => f.display !== reply.display);
    // Delivered once the caller has had a chance to set onFrame (frames without a handler are released).
    if (early.length > 0) setImmediate(() => early.forEach((f) => display.deliver(f)));
    return display;
  }

  /** Called once when the connection ends, with the reason (a DISCONNECTED error). */
  onDisconnect(listener: (error: StratumError) => void): () => void {
    this.#disconnectListeners.add(listener);
    return () => this.#disconnectListeners.delete(listener);
  }

  /** Errors that belong to no call: a protocol error from the server, a failed callback. */
  onError(listener: (error: StratumError) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** Says goodbye and closes; pending calls reject with DISCONNECTED. */
  close(): void {
    if (this.#disconnected) return;
    try {
      this.#socket.send(encodeRequest('disconnect', 0, this.#nextSerial++, {}).bytes);
    } catch {
      // Already gone: closing is all that is left.
    }
    this.#onClosed('the client closed the connection');
    this.#socket.close();
  }

  // ---- plumbing -----------------------------------------------------------------------------------

  async #request<N extends ReplyName>(name: N, objectId: number, args: RequestArgs<N>): Promise<ReplyArgs<N>> {
    const { args: reply, fds } = await this.#requestWithFds(name, objectId, args);
    // Only the replies that declare fd fields carry fds; close anything else defensively.
    for (const fd of fds) closeFd(fd);
    return reply;
  }

  #requestWithFds<N extends ReplyName>(name: N, objectId: number, args: RequestArgs<N>): Promise<{ args: ReplyArgs<N>; fds: Fd[] }> {
    if (this.#disconnected) return Promise.reject(this.#disconnected);
    const serial = this.#nextSerial;
    this.#nextSerial = this.#nextSerial >= 0xffffffff ? 1 : this.#nextSerial + 1;
    let encoded;
    try {
      encoded = encodeRequest(name, objectId, serial, args);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(serial, {
        name,
        resolve: (message) => resolve(message as { args: ReplyArgs<N>; fds: Fd[] }),
        reject,
      });
      try {
        this.#socket.send(encoded.bytes, encoded.fds);
      } catch (error) {
        this.#pending.delete(serial);
        reject(isStratumError(error, 'DISCONNECTED') ? this.#disconnectError(error.message) : error instanceof StratumError ? error : new StratumError('DISCONNECTED', String(error)));
      }
    });
  }

  #onObjectEvent(objectId: number, handler: EventHandler): () => void {
    this.#eventHandlers.set(objectId, handler);
    return () => this.#eventHandlers.delete(objectId);
  }

  #onWindowEvent(window: number, handler: EventHandler): () => void {
    this.#windowHandlers.set(window, handler);
    const early = this.#unclaimedWindowEvents.filter((e) => windowOf(e) === window);
    this.#unclaimedWindowEvents = this.#unclaimedWindowEvents.filter((e) => windowOf(e) !== window);
    for (const event of early) handler(event);
    return () => this.#windowHandlers.delete(window);
  }

  #onMessage(received: ReceivedMessage): void {
    const fds = received.takeFds();
    let messages: { message: ServerMessage; fds: Fd[] }[];
    try {
      messages = splitDatagram(received.data, fds).map((slice) => ({ message: decodeServerMessage(slice.bytes, slice.fds), fds: slice.fds }));
    } catch (error) {
      for (const fd of fds) closeFd(fd);
      this.#reportError(error instanceof StratumError ? error : new StratumError('PROTOCOL_ERROR', String(error)));
      this.#onClosed(`the server sent a malformed message: ${String(error)}`);
      this.#socket.close();
      return;
    }
    for (const { message, fds: own } of messages) {
      // A message after one that ended the connection: only its fds are left to close.
      if (this.#disconnected) for (const fd of own) closeFd(fd);
      else this.#onServerMessage(message, own);
    }
  }

  #onServerMessage(message: ServerMessage, fds: Fd[]): void {
    if (message.kind === 'event') {
      if (message.name === 'protocolError') {
        this.#reportError(new StratumError('PROTOCOL_ERROR', `the server refused a message: ${message.args.message}`));
        return;
      }
      if (message.name === 'displayHotplug') {
        for (const listener of [...this.#hotplugListeners]) listener(message.args.display, message.args.connected);
        return;
      }
      if (message.name === 'vsync') {
        const a = message.args;
        this.choreographer.dispatch({
          display: a.display,
          vsyncId: a.vsyncId,
          frameTime: wireTimeToLocal(a.frameTime),
          deadline: wireTimeToLocal(a.deadline),
          expectedPresentTime: wireTimeToLocal(a.expectedPresentTime),
          period: a.period,
        });
        return;
      }
      if (message.name === 'virtualDisplayFrame') {
        const display = this.#virtualDisplays.get(message.args.display);
        // A frame can be read before the create reply's continuation runs: kept until the display exists.
        if (display) display.deliver(message.args);
        else this.#unclaimedFrames.push(message.args);
        return;
      }
      if (message.name === 'virtualDisplayRemoved') {
        this.#virtualDisplays.get(message.args.display)?.end(message.args.reason);
        return;
      }
      const window = windowOf(message);
      if (window !== undefined) {
        const handler = this.#windowHandlers.get(window);
        if (handler) handler(message);
        // Sent before the addWindow reply: kept (bounded) until the window object exists.
        else if (this.#unclaimedWindowEvents.push(message) > MAX_UNCLAIMED_WINDOW_EVENTS) this.#unclaimedWindowEvents.shift();
        return;
      }
      // Surface events name the surface; transaction events the connection (0).
      this.#eventHandlers.get(message.objectId)?.(message);
      return;
    }
    const pending = this.#pending.get(message.serial);
    if (!pending) {
      for (const fd of fds) closeFd(fd);
      return;
    }
    this.#pending.delete(message.serial);
    if (message.kind === 'error') {
      for (const fd of fds) closeFd(fd);
      const code = statusFromNumber(message.code) ?? 'PROTOCOL_ERROR';
      pending.reject(new StratumError(code, stripCode(message.message, code)));
      return;
    }
    pending.resolve({ args: message.args, fds });
  }

  #reportError(error: StratumError): void {
    for (const listener of this.#errorListeners) listener(error);
  }

  #disconnectError(reason: string): StratumError {
    return new StratumError('DISCONNECTED', `disconnected from the Stratum server: ${reason}`);
  }

  #onClosed(reason: string): void {
    if (this.#disconnected) return;
    const error = this.#disconnectError(reason);
    this.#disconnected = error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of pending) call.reject(error);
    this.#eventHandlers.clear();
    this.#windowHandlers.clear();
    for (const display of [...this.#virtualDisplays.values()]) display.end(error.message);
    for (const frame of this.#unclaimedFrames) if (frame.buffer) closeFd(frame.buffer.fd);
    this.#unclaimedFrames = [];
    this.#unclaimedWindowEvents = [];
    for (const listener of this.#disconnectListeners) listener(error);
  }
}

const MAX_UNCLAIMED_WINDOW_EVENTS = 256;

/** The window a window event is for; undefined for every other event. */
function windowOf(message: EventMessage): number | undefined {
  return message.name === 'windowConfigured' || message.name === 'windowFocus' || message.name === 'inputEvent' ? message.args.window : undefined;
}


// Error replies already start with the code's name ("BAD_VALUE: ..."); keep it once.
function stripCode(message: string, code: string): string {
  return message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
}
