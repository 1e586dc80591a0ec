// The web viewer: one node:http server for the page and its assets, and a WebSocket on /ws that
// streams each display's damaged pixels, the layer tree and the display list, and carries the
// page's actions and input back. Bound to 127.0.0.1 by default; every request and the WebSocket
// upgrade must present the random token that is part of the printed URL.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { StratumError } from '../os/status.js';
import { rect } from '../region/rect.js';
import type { DisplayInfo, DisplaySize, InputEvent, Unsubscribe, ViewerBackend, ViewerFrame } from './backend.js';
import { capabilitiesOf } from './backend.js';
import { encodeFrameMessage } from './frame-message.js';
import { PendingDamage } from './pending-damage.js';

export interface ViewerOptions {
  /** Defaults to 127.0.0.1; anything else exposes the compositor to the network. */
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Defaults to 24 random bytes. */
  readonly token?: string;
}

/** Frame messages a page may have unacknowledged before further damage is held back and merged. */
export const MAX_UNACKED_FRAMES = 2;
/** Bytes queued in the socket beyond which no new frame is sent until it drains. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** The live layer tree is pushed at most this often (only while frames are being presented). */
export const DUMP_INTERVAL_MS = 250;
const MAX_PAGE_MESSAGE_BYTES = 64 * 1024;

const STATIC_DIR = new URL('../../src/viewer/static/', import.meta.url);
const STATIC_FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/viewer.js': 'viewer.js',
  '/viewer.css': 'viewer.css',
};
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

interface DisplayStream {
  readonly pending: PendingDamage;
  width: number;
  height: number;
}

interface PageSession {
  readonly socket: WebSocket;
  readonly streams: Map<number, DisplayStream>;
  unacked: number;
  seq: number;
}

type PageMessage =
  | { type: 'ack'; seq: number }
  | { type: 'dump' }
  | { type: 'action'; id: number; name: string; args?: Record<string, unknown> }
  | { type: 'input'; event: InputEvent };

export class ViewerServer {
  private readonly sessions = new Set<PageSession>();
  private readonly frameSubscriptions = new Map<number, Unsubscribe>();
  private readonly unsubscribeDisplays: Unsubscribe;
  private dumpTimer: NodeJS.Timeout | undefined;
  private lastDumpAt = 0;
  private closed = false;

  private constructor(
    private readonly backend: ViewerBackend,
    private readonly http: ReturnType<typeof createServer>,
    private readonly wss: WebSocketServer,
    readonly host: string,
    readonly port: number,
    readonly token: string,
  ) {
    this.unsubscribeDisplays = backend.onDisplaysChanged(() => this.displaysChanged());
    this.syncFrameSubscriptions();
  }

  static async start(backend: ViewerBackend, options: ViewerOptions = {}): Promise<ViewerServer> {
    const host = options.host ?? '127.0.0.1';
    const token = options.token ?? randomBytes(24).toString('base64url');
    if (token.length < 16) throw new StratumError('BAD_VALUE', 'viewer token must be at least 16 characters');
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new StratumError('BAD_VALUE', `viewer port ${port} is not in 0..65535`);
    }
    const holder: { viewer?: ViewerServer } = {};
    const http = createServer((req, res) => {
      if (holder.viewer) holder.viewer.handleRequest(req, res);
      else res.writeHead(503).end();
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAGE_MESSAGE_BYTES });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolve();
      });
    }).catch((error: NodeJS.ErrnoException) => {
      throw new StratumError('BAD_VALUE', `viewer cannot listen on ${host}:${port}: ${error.code ?? error.message}`);
    });
    const bound = (http.address() as AddressInfo).port;
    const viewer = new ViewerServer(backend, http, wss, host, bound, token);
    holder.viewer = viewer;
    http.on('upgrade', (req, socket, head) => viewer.handleUpgrade(req, socket, head));
    return viewer;
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}/?token=${this.token}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeDisplays();
    for (const unsubscribe of this.frameSubscriptions.values()) unsubscribe();
    this.frameSubscriptions.clear();
    if (this.dumpTimer) clearTimeout(this.dumpTimer);
    for (const session of this.sessions) session.socket.terminate();
    this.sessions.clear();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // ---- HTTP ----

  private authorized(req: IncomingMessage): URL | undefined {
    const url = new URL(req.url ?? '/', 'http://viewer');
    const given = Buffer.from(url.searchParams.get('token') ?? '');
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected) ? url : undefined;
  }

  private handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = this.authorized(req);
    if (!url) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: missing or wrong token\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const file = STATIC_FILES[url.pathname];
    if (file !== undefined) {
      void this.serveStatic(file, res);
      return;
    }
    const capture = /^\/capture\/(\d+)\.png$/.exec(url.pathname);
    if (capture?.[1] !== undefined) {
      void this.serveCapture(Number(capture[1]), res);
      return;
    }
    if (url.pathname === '/dump.json') {
      sendJson(res, 200, this.backend.dump());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }

  private async serveStatic(file: string, res: ServerResponse): Promise<void> {
    try {
      const body = await readFile(new URL(file, STATIC_DIR));
      const extension = file.slice(file.lastIndexOf('.') + 1);
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      res.end(body);
    } catch (error) {
      sendJson(res, 500, { error: `cannot read ${file}: ${(error as Error).message}` });
    }
  }

  private async serveCapture(displayId: number, res: ServerResponse): Promise<void> {
    try {
      const png = await this.backend.captureDisplayPng(displayId);
      res.writeHead(200, {
        'content-type': 'image/png',
        'content-disposition': `attachment; filename="stratum-display-${displayId}-${Date.now()}.png"`,
        'cache-control': 'no-store',
      });
      res.end(png);
    } catch (error) {
      sendJson(res, 404, { error: (error as Error).message });
    }
  }

  // ---- WebSocket ----

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = this.authorized(req);
    if (!url || url.pathname !== '/ws' || this.closed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.openSession(ws));
  }

  private openSession(socket: WebSocket): void {
    const session: PageSession = { socket, streams: new Map(), unacked: 0, seq: 0 };
    this.sessions.add(session);
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.handlePageMessage(session, rawText(data));
    });
    socket.on('close', () => this.sessions.delete(session));
    socket.on('error', () => this.sessions.delete(session));
    this.sendJson(session, {
      type: 'hello',
      capabilities: capabilitiesOf(this.backend),
      displays: this.backend.displays(),
    });
    this.sendJson(session, { type: 'dump', dump: this.backend.dump() });
    for (const display of this.backend.displays()) this.trackDisplay(session, display);
    this.flush(session);
  }

  private handlePageMessage(session: PageSession, text: string): void {
    let message: PageMessage;
    try {
      message = JSON.parse(text) as PageMessage;
    } catch {
      this.sendJson(session, { type: 'error', message: 'message is not JSON' });
      return;
    }
    switch (message.type) {
      case 'ack':
        session.unacked = Math.max(0, session.unacked - 1);
        this.flush(session);
        return;
      case 'dump':
        this.sendJson(session, { type: 'dump', dump: this.backend.dump() });
        return;
      case 'action':
        void this.runAction(session, message.id, message.name, message.args ?? {});
        return;
      case 'input':
        this.injectInput(session, message.event);
        return;
      default:
        this.sendJson(session, { type: 'error', message: `unknown message type ${String((message as { type: unknown }).type)}` });
    }
  }

  private injectInput(session: PageSession, event: InputEvent): void {
    if (!this.backend.injectInput) {
      this.sendJson(session, { type: 'error', message: 'input not available yet: needs the window manager (issue 9)' });
      return;
    }
    const problem = validateInput(event, this.backend.displays());
    if (problem) {
      this.sendJson(session, { type: 'error', message: problem });
      return;
    }
    try {
      this.backend.injectInput(event);
    } catch (error) {
      this.sendJson(session, { type: 'error', message: (error as Error).message });
    }
  }

  private async runAction(session: PageSession, id: number, name: string, args: Record<string, unknown>): Promise<void> {
    try {
      const value = await this.performAction(name, args);
      this.sendJson(session, { type: 'result', id, ok: true, value: value ?? null });
    } catch (error) {
      this.sendJson(session, { type: 'result', id, ok: false, error: (error as Error).message });
    }
  }

  private async performAction(name: string, args: Record<string, unknown>): Promise<unknown> {
    const b = this.backend;
    const missing = (feature: string): never => {
      throw new StratumError('UNSUPPORTED', `not available yet: needs ${feature}`);
    };
    switch (name) {
      case 'connectExternalDisplay':
        return b.connectExternalDisplay ? b.connectExternalDisplay(sizeArg(args)) : missing('display hotplug (issue 7)');
      case 'disconnectDisplay':
        return b.disconnectDisplay ? b.disconnectDisplay(displayIdArg(args)) : missing('display hotplug (issue 7)');
      case 'createVirtualDisplay':
        return b.createVirtualDisplay ? b.createVirtualDisplay(sizeArg(args)) : missing('virtual displays (issue 7)');
      case 'createSimulatedDisplay':
        return b.createSimulatedDisplay ? b.createSimulatedDisplay(sizeArg(args)) : missing('simulated displays (issue 8)');
      case 'removeDisplay':
        return b.removeDisplay ? b.removeDisplay(displayIdArg(args)) : missing('virtual displays (issue 7)');
      case 'startRecording': {
        if (!b.startRecording) return missing('screenrecord (issue 8)');
        const reason = b.recordingUnavailableReason?.();
        if (reason !== undefined) throw new StratumError('UNSUPPORTED', reason);
        const state = await b.startRecording(displayIdArg(args));
        this.broadcast({ type: 'recording', state });
        return state;
      }
      case 'stopRecording': {
        if (!b.stopRecording) return missing('screenrecord (issue 8)');
        const state = await b.stopRecording();
        this.broadcast({ type: 'recording', state });
        return state;
      }
      default:
        throw new StratumError('BAD_VALUE', `unknown action ${JSON.stringify(name)}`);
    }
  }

  // ---- frames ----

  private displaysChanged(): void {
    if (this.closed) return;
    this.syncFrameSubscriptions();
    const displays = this.backend.displays();
    const ids = new Set(displays.map((d) => d.id));
    for (const session of this.sessions) {
      for (const id of session.streams.keys()) if (!ids.has(id)) session.streams.delete(id);
      for (const display of displays) if (!session.streams.has(display.id)) this.trackDisplay(session, display);
      this.sendJson(session, { type: 'displays', displays });
      this.flush(session);
    }
    this.scheduleDump();
  }

  private syncFrameSubscriptions(): void {
    const ids = new Set(this.backend.displays().map((d) => d.id));
    for (const [id, unsubscribe] of this.frameSubscriptions) {
      if (!ids.has(id)) {
        unsubscribe();
        this.frameSubscriptions.delete(id);
      }
    }
    for (const id of ids) {
      if (!this.frameSubscriptions.has(id)) {
        this.frameSubscriptions.set(id, this.backend.onFrame(id, (frame) => this.framePresented(id, frame)));
      }
    }
  }

  private trackDisplay(session: PageSession, display: DisplayInfo): void {
    const pending = new PendingDamage(rect(0, 0, display.width, display.height));
    pending.reset(rect(0, 0, display.width, display.height));
    session.streams.set(display.id, { pending, width: display.width, height: display.height });
  }

  private framePresented(displayId: number, frame: ViewerFrame): void {
    for (const session of this.sessions) {
      const stream = session.streams.get(displayId);
      if (!stream) continue;
      if (stream.width !== frame.width || stream.height !== frame.height) {
        stream.width = frame.width;
        stream.height = frame.height;
        stream.pending.reset(rect(0, 0, frame.width, frame.height));
      } else {
        for (const damage of frame.damage) stream.pending.add(damage);
      }
      this.flush(session);
    }
    this.scheduleDump();
  }

  /** Sends pending damage while the page keeps up; otherwise leaves it pending (and merging). */
  private flush(session: PageSession): void {
    const socket = session.socket;
    if (socket.readyState !== socket.OPEN) return;
    for (const [displayId, stream] of session.streams) {
      if (session.unacked >= MAX_UNACKED_FRAMES || socket.bufferedAmount > MAX_BUFFERED_BYTES) return;
      if (stream.pending.isEmpty) continue;
      const frame = this.backend.latestFrame(displayId);
      if (!frame) continue;
      if (frame.width !== stream.width || frame.height !== stream.height) {
        stream.width = frame.width;
        stream.height = frame.height;
        stream.pending.reset(rect(0, 0, frame.width, frame.height));
      }
      const rects = stream.pending.take();
      session.seq = (session.seq + 1) >>> 0;
      session.unacked++;
      socket.send(encodeFrameMessage(displayId, session.seq, frame, rects), { binary: true });
    }
  }

  private scheduleDump(): void {
    if (this.dumpTimer || this.sessions.size === 0 || this.closed) return;
    const wait = Math.max(0, this.lastDumpAt + DUMP_INTERVAL_MS - Date.now());
    this.dumpTimer = setTimeout(() => {
      this.dumpTimer = undefined;
      this.lastDumpAt = Date.now();
      this.broadcast({ type: 'dump', dump: this.backend.dump() });
    }, wait);
  }

  private broadcast(message: object): void {
    for (const session of this.sessions) this.sendJson(session, message);
  }

  private sendJson(session: PageSession, message: object): void {
    if (session.socket.readyState === session.socket.OPEN) session.socket.send(JSON.stringify(message));
  }
}

export function startViewer(backend: ViewerBackend, options?: ViewerOptions): Promise<ViewerServer> {
  return ViewerServer.start(backend, options);
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function positiveInt(value: unknown, name: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    throw new StratumError('BAD_VALUE', `${name} must be an integer in 1..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function sizeArg(args: Record<string, unknown>): DisplaySize {
  const width = positiveInt(args.width, 'width', 8192);
  const height = positiveInt(args.height, 'height', 8192);
  return args.refreshHz === undefined ? { width, height } : { width, height, refreshHz: positiveInt(args.refreshHz, 'refreshHz', 480) };
}

function displayIdArg(args: Record<string, unknown>): number {
  const id = args.displayId;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
    throw new StratumError('BAD_VALUE', `displayId must be a display id, got ${JSON.stringify(id)}`);
  }
  return id;
}

function validateInput(event: InputEvent, displays: readonly DisplayInfo[]): string | undefined {
  if (typeof event !== 'object' || event === null) return 'input event must be an object';
  const display = displays.find((d) => d.id === event.displayId);
  if (!display) return `input for unknown display ${JSON.stringify(event.displayId)}`;
  if (event.kind === 'pointer') {
    if (!['down', 'move', 'up', 'cancel'].includes(event.action)) return `bad pointer action ${JSON.stringify(event.action)}`;
    if (!Number.isFinite(event.x) || !Number.isFinite(event.y)) return 'pointer x and y must be numbers';
    if (event.x < 0 || event.y < 0 || event.x >= display.width || event.y >= display.height) {
      return `pointer ${event.x},${event.y} is outside display ${display.id} (${display.width}x${display.height})`;
    }
    return undefined;
  }
  if (event.kind === 'key') {
    if (event.action !== 'down' && event.action !== 'up') return `bad key action ${JSON.stringify(event.action)}`;
    if (typeof event.key !== 'string' || event.key.length === 0 || event.key.length > 32) return 'key must be a short string';
    return undefined;
  }
  return `unknown input kind ${JSON.stringify((event as { kind: unknown }).kind)}`;
}
