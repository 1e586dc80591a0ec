// The Stratum server: listens on the socket, accepts connections, and keeps one ClientConnection
// per client. The compositor comes in through the narrow Compositor interface.
import { chmodSync } from 'node:fs';

import { BufferAllocator } from '../buffer/allocator.js';
import { HeadlessDisplay } from '../display/display.js';
import { Flinger } from '../flinger/flinger.js';
import { SeqPacketServer } from '../os/socket.js';
import type { SeqPacketSocket } from '../os/socket.js';
import { flingerCompositor } from './compositor.js';
import type { Compositor } from './compositor.js';
import { ClientConnection } from './connection.js';
import type { ConnectionStats } from './connection.js';
import { DEFAULT_SERVER_LIMITS } from './limits.js';
import type { ServerLimits } from './limits.js';
import { WindowManager } from '../wm/window-manager.js';
import { acquireServerLock, ensureSocketDirectory, removeStaleSocket, resolveSocketPath } from './paths.js';
import type { ServerLock } from './paths.js';

export interface ServerOptions {
  /** Default: resolveSocketPath() ($STRATUM_SOCKET, $XDG_RUNTIME_DIR/stratum-0, /tmp/stratum-$uid/stratum-0). */
  readonly socketPath?: string;
  /** The compositor requests are mapped onto. Default: `flingerCompositor(flinger)`. */
  readonly compositor?: Compositor;
  /** Used when no compositor is given. Default: a new Flinger with one default headless display (owned by the server). */
  readonly flinger?: Flinger;
  /** Accounts every buffer per client. Default: a new allocator. */
  readonly allocator?: BufferAllocator;
  readonly limits?: Partial<ServerLimits>;
  readonly name?: string;
  /** Where disconnect reasons and internal errors go. Default: stderr. */
  readonly log?: (line: string) => void;
  /** Window requests go here. Default: a new WindowManager over the flinger (given or made); none with a custom compositor. */
  readonly windowManager?: WindowManager;
}

export interface ClientClosedEvent {
  readonly stats: ConnectionStats;
  readonly reason: string;
}

export class StratumServer {
  readonly socketPath: string;
  readonly allocator: BufferAllocator;
  readonly compositor: Compositor;
  readonly limits: ServerLimits;
  /** The window manager clients' window requests go to (undefined: window requests get UNSUPPORTED). */
  readonly windowManager: WindowManager | undefined;
  readonly #ownsWindowManager: boolean;
  readonly #listener: SeqPacketServer;
  readonly #lock: ServerLock;
  readonly #connections = new Map<number, ClientConnection>();
  readonly #closedListeners = new Set<(event: ClientClosedEvent) => void>();
  readonly #ownedFlinger: { flinger: Flinger; display: HeadlessDisplay } | undefined;
  readonly #log: (line: string) => void;
  readonly #serverName: string;
  #nextConnectionId = 1;
  #closed = false;

  /** @internal use startServer(). */
  constructor(options: ServerOptions, parts: { listener: (server: StratumServer) => SeqPacketServer; lock: ServerLock; socketPath: string }) {
    this.socketPath = parts.socketPath;
    this.#lock = parts.lock;
    this.allocator = options.allocator ?? new BufferAllocator();
    this.limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    if (options.compositor) {
      this.compositor = options.compositor;
    } else if (options.flinger) {
      this.compositor = flingerCompositor(options.flinger);
    } else {
      const display = new HeadlessDisplay();
      const flinger = new Flinger({ displays: [display] });
      this.#ownedFlinger = { flinger, display };
      this.compositor = flingerCompositor(flinger);
    }
    const windowFlinger = options.compositor ? undefined : (options.flinger ?? this.#ownedFlinger?.flinger);
    this.windowManager = options.windowManager ?? (windowFlinger ? new WindowManager(windowFlinger) : undefined);
    this.#ownsWindowManager = options.windowManager === undefined && this.windowManager !== undefined;
    this.#log = log;
    this.#serverName = options.name ?? 'stratum';
    this.#listener = parts.listener(this);
  }

  /** @internal */
  accept(socket: SeqPacketSocket): void {
    if (this.#closed) {
      socket.close();
      return;
    }
    const id = this.#nextConnectionId++;
    let connection: ClientConnection;
    try {
      connection = new ClientConnection(id, socket, {
        compositor: this.compositor,
        allocator: this.allocator,
        limits: this.limits,
        serverName: this.#serverName,
        log: this.#log,
        windowManager: this.windowManager,
        onClosed: (c, reason) => {
          this.#connections.delete(c.id);
          const stats = c.stats();
          for (const listener of this.#closedListeners) listener({ stats, reason });
        },
      });
    } catch (error) {
      this.#log(`stratum: refusing a connection: ${String(error)}`);
      socket.close();
      return;
    }
    this.#connections.set(id, connection);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The flinger the server made for itself (when none was given). */
  get flinger(): Flinger | undefined {
    return this.#ownedFlinger?.flinger;
  }

  /** Live connections with their pid/uid, objects, quotas in use and traffic. */
  clients(): ConnectionStats[] {
    return [...this.#connections.values()].map((c) => c.stats());
  }

  /** Called after a client's connection closed and everything of it was released. */
  onClientClosed(listener: (event: ClientClosedEvent) => void): () => void {
    this.#closedListeners.add(listener);
    return () => this.#closedListeners.delete(listener);
  }

  /** Disconnects one client (e.g. from the CLI). */
  disconnectClient(id: number, reason: string): boolean {
    const connection = this.#connections.get(id);
    connection?.disconnect(reason);
    return connection !== undefined;
  }

  /** Stops listening, disconnects every client, releases the lock and any flinger it made. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const connection of [...this.#connections.values()]) connection.disconnect('the server is shutting down');
    this.#lock.release();
    if (this.#ownsWindowManager) this.windowManager?.dispose();
    if (this.#ownedFlinger) {
      this.#ownedFlinger.flinger.dispose();
      this.#ownedFlinger.display.dispose();
    }
  }
}

/**
 * Starts a server: takes the lock (refusing if another live server holds the name), replaces a
 * stale socket, listens with mode 0600.
 */
export function startServer(options: ServerOptions = {}): StratumServer {
  const socketPath = options.socketPath ?? resolveSocketPath();
  ensureSocketDirectory(socketPath);
  const lock = acquireServerLock(socketPath);
  try {
    removeStaleSocket(socketPath);
    const limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
    return new StratumServer(options, {
      socketPath,
      lock,
      listener: (server) => {
        const listener = SeqPacketServer.listen(socketPath, (socket) => server.accept(socket), { maxOutgoingBytes: limits.maxOutgoingBytes });
        chmodSync(socketPath, 0o600);
        return listener;
      },
    });
  } catch (error) {
    lock.release();
    throw error;
  }
}
