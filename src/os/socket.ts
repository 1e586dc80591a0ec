// Unix SOCK_SEQPACKET sockets that carry file descriptors: message boundaries are kept, each
// message's fds travel with it, readiness comes from libuv polling (no blocking call, no timers).
// The native side only makes syscalls; queueing, bounds and close policy are decided here.
import { closeSync, openSync, unlinkSync } from 'node:fs';

import { native } from './addon.js';
import type { NativeFdPoller } from './addon.js';
import type { Fd } from './index.js';
import { closeFd, dupFd, isOsError } from './index.js';
import { StratumError } from './status.js';

/** Largest message payload in bytes; a bigger incoming message is a protocol error. */
export const MAX_MESSAGE_BYTES: number = native.maxMessageBytes;
/** Most fds one message carries (libwayland's limit; the kernel allows 253). */
export const MAX_MESSAGE_FDS: number = native.maxMessageFds;
/** Default bound on bytes queued for a peer that is not reading. */
export const DEFAULT_MAX_OUTGOING_BYTES = 4 * 1024 * 1024;
/** Default bound on fds held in the outgoing queue (each is a dup kept open until sent). */
export const DEFAULT_MAX_OUTGOING_FDS = 1024;
/** Messages read per readiness callback before yielding to the rest of the loop. */
const READ_BUDGET = 64;
/** Messages taken per receive system call. */
const RECEIVE_BATCH: number = native.maxReceiveBatch;
// Where the kernel writes received messages (one set per thread: module state is per worker).
// Each message is copied out into its own Buffer before any other receive can run.
const receiveArena = new Uint8Array(RECEIVE_BATCH * MAX_MESSAGE_BYTES);
const receiveMeta = new Int32Array(RECEIVE_BATCH * 3);
const receiveFds = new Int32Array(RECEIVE_BATCH * MAX_MESSAGE_FDS);

const SOCK_SEQPACKET = 5;
const READABLE = 1;
const WRITABLE = 2;
const TRUNCATED_DATA = 1;

export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

export interface SocketOptions {
  /** Bytes that may wait in user space for a peer that is not reading (default 4 MiB). */
  readonly maxOutgoingBytes?: number;
  /** Fds that may wait in user space (default 1024). */
  readonly maxOutgoingFds?: number;
}

export type MessageHandler = (message: ReceivedMessage) => void;
/** `reason` is undefined for an orderly close (local close() or the peer closed cleanly). */
export type CloseHandler = (reason?: Error) => void;

/** One received message. Its fds belong to the receiver only through takeFds(); any fds not
 * taken when the message handler returns are closed. */
export class ReceivedMessage {
  #fds: Fd[] | undefined;

  constructor(
    readonly data: Buffer,
    fds: Fd[],
  ) {
    this.#fds = fds;
  }

  /** How many fds arrived with the message (0 once they were taken or released). */
  get fdCount(): number {
    return this.#fds?.length ?? 0;
  }

  /** Transfers ownership of the message's fds, in the order they were sent. Callable once,
   * and only inside the message handler. */
  takeFds(): Fd[] {
    const fds = this.#fds;
    if (fds === undefined) {
      throw new StratumError('INVALID_OPERATION', 'takeFds: the fds were already taken or closed after the handler returned');
    }
    this.#fds = undefined;
    return fds;
  }

  /** Closes the fds nobody took. */
  releaseUntaken(): void {
    const fds = this.#fds;
    this.#fds = undefined;
    for (const fd of fds ?? []) closeFd(fd);
  }
}

interface NativeReceived {
  readonly data: Buffer;
  readonly fds: number[];
  readonly truncated: number;
}

/** Receives up to RECEIVE_BATCH messages in one system call; null when none is waiting. */
function receiveBatch(fd: Fd): NativeReceived[] | null {
  const count = native.socketRecv(fd, receiveArena, receiveMeta, receiveFds, RECEIVE_BATCH);
  if (count < 0) return null;
  const out: NativeReceived[] = [];
  let fdAt = 0;
  for (let i = 0; i < count; i++) {
    const length = receiveMeta[i * 3]!;
    const fdCount = receiveMeta[i * 3 + 1]!;
    const start = i * MAX_MESSAGE_BYTES;
    out.push({
      data: Buffer.from(receiveArena.subarray(start, start + length)),
      fds: Array.from(receiveFds.subarray(fdAt, fdAt + fdCount)),
      truncated: receiveMeta[i * 3 + 2]!,
    });
    fdAt += fdCount;
  }
  return out;
}

interface OutgoingMessage {
  readonly data: Uint8Array;
  readonly fds: Fd[];
}

function checkBound(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StratumError('BAD_VALUE', `${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function checkFd(value: unknown, what: string): Fd {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new StratumError('BAD_VALUE', `${what} must be a file descriptor (a non-negative integer), got ${String(value)}`);
  }
  return value as Fd;
}

function isPeerGone(error: unknown): boolean {
  return isOsError(error) && (error.code === 'EPIPE' || error.code === 'ECONNRESET' || error.code === 'ENOTCONN');
}

/** Two connected SEQPACKET fds (non-blocking, CLOEXEC), e.g. one for this process and one to
 * hand to a child through spawn's stdio. The caller owns both. */
export function createSocketPair(): [Fd, Fd] {
  const [a, b] = native.socketPair();
  return [a as Fd, b as Fd];
}

export class SeqPacketSocket {
  readonly maxOutgoingBytes: number;
  readonly maxOutgoingFds: number;
  readonly #fd: Fd;
  readonly #poller: NativeFdPoller;
  #events = 0;
  #onMessage: MessageHandler | undefined;
  #onClose: CloseHandler | undefined;
  #paused = false;
  #closed = false;
  #closedByPeer = false;
  #peerGoneOnWrite = false;
  readonly #queue: OutgoingMessage[] = [];
  /** Messages one receive call took beyond what was delivered (paused, or out of budget). */
  readonly #inbox: NativeReceived[] = [];
  #inboxScheduled = false;
  #queuedBytes = 0;
  #queuedFds = 0;

  /** Takes ownership of a connected SEQPACKET socket fd, e.g. one inherited through spawn's
   * stdio: close() closes it, and so does a failure to wrap it. */
  static fromFd(fd: Fd, options: SocketOptions = {}): SeqPacketSocket {
    checkFd(fd, 'fromFd: fd');
    try {
      if (native.socketType(fd) !== SOCK_SEQPACKET) throw new StratumError('BAD_VALUE', `fromFd: fd ${fd} is a socket, but not SOCK_SEQPACKET`);
      return new SeqPacketSocket(fd, options);
    } catch (error) {
      try {
        closeFd(fd);
      } catch {
        // Not open at all (the error being thrown already says so).
      }
      throw error;
    }
  }

  /** A connected pair inside this process. */
  static pair(options: SocketOptions = {}): [SeqPacketSocket, SeqPacketSocket] {
    const [a, b] = createSocketPair();
    let first: SeqPacketSocket;
    try {
      first = SeqPacketSocket.fromFd(a, options);
    } catch (error) {
      closeFd(b);
      throw error;
    }
    return [first, SeqPacketSocket.fromFd(b, options)];
  }

  /** Connects to a listening path. Rejects with an OsError: ENOENT (no such path), ECONNREFUSED
   * (a socket file with no listener, e.g. a stale one), EAGAIN (listener backlog full), EACCES. */
  static connect(path: string, options: SocketOptions = {}): Promise<SeqPacketSocket> {
    try {
      return Promise.resolve(SeqPacketSocket.fromFd(native.socketConnect(path) as Fd, options));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private constructor(fd: Fd, options: SocketOptions) {
    this.maxOutgoingBytes = checkBound('maxOutgoingBytes', options.maxOutgoingBytes, DEFAULT_MAX_OUTGOING_BYTES);
    this.maxOutgoingFds = checkBound('maxOutgoingFds', options.maxOutgoingFds, DEFAULT_MAX_OUTGOING_FDS);
    this.#fd = fd;
    this.#poller = new native.FdPoller(fd, (errno, events) => this.#onPoll(errno, events));
  }

  /** The socket's own fd (still owned by this object). */
  get fd(): Fd {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes waiting in user space because the kernel buffer was full. */
  get pendingOutgoingBytes(): number {
    return this.#queuedBytes;
  }

  /** Sets the one message handler; reading starts once a handler is set (and not paused). */
  onMessage(handler: MessageHandler): void {
    this.#onMessage = handler;
    this.#updatePoll();
  }

  /** Sets the one close handler, called once when the socket closes for any reason. */
  onClose(handler: CloseHandler): void {
    this.#onClose = handler;
  }

  /** Sends one message of 1..MAX_MESSAGE_BYTES bytes with 0..MAX_MESSAGE_FDS fds. The fds are
   * duplicated or sent at once: the caller keeps (and still must close) its own. When the kernel
   * buffer is full the message waits in an outgoing queue, flushed when the socket is writable;
   * beyond maxOutgoingBytes/maxOutgoingFds it throws LIMIT_EXCEEDED and nothing is queued.
   * A peer that closed makes the socket close (onClose) rather than throw here. */
  send(data: Uint8Array, fds: readonly Fd[] = []): void {
    if (this.#closed || this.#peerGoneOnWrite) {
      throw this.#closedByPeer || this.#peerGoneOnWrite
        ? new StratumError('DISCONNECTED', 'send: the peer closed the connection')
        : new StratumError('INVALID_OPERATION', 'send: the socket is closed');
    }
    if (!(data instanceof Uint8Array)) {
      throw new StratumError('BAD_VALUE', `send: data must be a Uint8Array, got ${typeof data}`);
    }
    if (data.byteLength < 1 || data.byteLength > MAX_MESSAGE_BYTES) {
      throw new StratumError('BAD_VALUE', `send: data is ${data.byteLength} bytes; a message holds 1..${MAX_MESSAGE_BYTES}`);
    }
    if (!Array.isArray(fds)) throw new StratumError('BAD_VALUE', 'send: fds must be an array of file descriptors');
    if (fds.length > MAX_MESSAGE_FDS) {
      throw new StratumError('BAD_VALUE', `send: ${fds.length} fds; a message carries at most ${MAX_MESSAGE_FDS}`);
    }
    fds.forEach((fd, i) => checkFd(fd, `send: fds[${i}]`));

    if (this.#queue.length === 0) {
      let sent: boolean;
      try {
        sent = native.socketSend(this.#fd, data, fds);
      } catch (error) {
        this.#sendFailed(error);
        return;
      }
      if (sent) return;
    }
    this.#enqueue(data, fds);
  }

  /** {pid, uid, gid} of the peer process (for a pair: this process). */
  peerCredentials(): PeerCredentials {
    if (this.#closed) throw new StratumError('INVALID_OPERATION', 'peerCredentials: the socket is closed');
    return native.peerCredentials(this.#fd);
  }

  /** Stops reading; messages wait in the kernel (and the peer eventually sees a full buffer). */
  pause(): void {
    this.#paused = true;
    this.#updatePoll();
  }

  resume(): void {
    this.#paused = false;
    this.#updatePoll();
    if (this.#inbox.length > 0) this.#scheduleInbox();
  }

  /** Lets the process exit while this socket is open. */
  unref(): void {
    if (!this.#closed) this.#poller.unref();
  }

  ref(): void {
    if (!this.#closed) this.#poller.ref();
  }

  /** Closes the socket now (idempotent). Messages still in the outgoing queue are dropped;
   * messages already handed to the kernel stay readable by the peer. */
  close(): void {
    this.#finish(undefined);
  }

  #enqueue(data: Uint8Array, fds: readonly Fd[]): void {
    const bytes = this.#queuedBytes + data.byteLength;
    if (bytes > this.maxOutgoingBytes) {
      throw new StratumError(
        'LIMIT_EXCEEDED',
        `send: the peer is not reading; ${this.#queuedBytes} bytes already wait and ${data.byteLength} more would pass the outgoing bound of ${this.maxOutgoingBytes} bytes`,
      );
    }
    if (this.#queuedFds + fds.length > this.maxOutgoingFds) {
      throw new StratumError(
        'LIMIT_EXCEEDED',
        `send: the peer is not reading; ${this.#queuedFds} fds already wait and ${fds.length} more would pass the outgoing bound of ${this.maxOutgoingFds} fds`,
      );
    }
    const copies: Fd[] = [];
    try {
      for (const fd of fds) copies.push(dupFd(fd));
    } catch (error) {
      for (const fd of copies) closeFd(fd);
      if (isOsError(error) && error.code === 'EBADF') {
        throw new StratumError('BAD_VALUE', `send: an attached fd is not open (${error.message})`);
      }
      throw error;
    }
    this.#queue.push({ data: Uint8Array.prototype.slice.call(data), fds: copies });
    this.#queuedBytes = bytes;
    this.#queuedFds += copies.length;
    this.#updatePoll();
  }

  #sendFailed(error: unknown): void {
    if (isPeerGone(error)) {
      this.#peerGone();
      return;
    }
    if (isOsError(error) && error.code === 'EBADF') {
      throw new StratumError('BAD_VALUE', `send: an attached fd is not open (${error.message})`);
    }
    throw error;
  }

  // The peer closed: what it sent before closing may still be waiting, so an active reader
  // drains it and meets end of stream; otherwise close now.
  #peerGone(): void {
    this.#peerGoneOnWrite = true;
    this.#dropQueue();
    if (this.#reading()) {
      this.#updatePoll();
    } else {
      this.#closedByPeer = true;
      this.#finish(new StratumError('DISCONNECTED', 'the peer closed the connection'));
    }
  }

  #flush(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const head = this.#queue[0];
      if (head === undefined) break;
      let sent: boolean;
      try {
        sent = native.socketSend(this.#fd, head.data, head.fds);
      } catch (error) {
        if (isPeerGone(error)) {
          this.#peerGone();
        } else {
          this.#finish(error instanceof Error ? error : new Error(String(error)));
        }
        return;
      }
      if (!sent) return;
      this.#queue.shift();
      this.#queuedBytes -= head.data.byteLength;
      this.#queuedFds -= head.fds.length;
      for (const fd of head.fds) closeFd(fd);
    }
    this.#updatePoll();
  }

  #readAvailable(budget: number): void {
    let delivered = 0;
    // A batch shorter than asked for drained the kernel's queue: whatever arrives later raises a
    // new readiness event, so no receive call just to hear EAGAIN.
    let drained = false;
    while (this.#reading()) {
      if (delivered >= budget) {
        // Messages already taken from the kernel get no readiness event: continue after the loop turn.
        if (this.#inbox.length > 0) this.#scheduleInbox();
        return;
      }
      const entry = this.#inbox.shift();
      if (entry === undefined) {
        if (drained) return;
        let batch: NativeReceived[] | null;
        try {
          batch = receiveBatch(this.#fd);
        } catch (error) {
          this.#closedByPeer = isPeerGone(error);
          this.#finish(
            isPeerGone(error)
              ? new StratumError('DISCONNECTED', `the peer reset the connection (${(error as Error).message})`)
              : error instanceof Error
                ? error
                : new Error(String(error)),
          );
          return;
        }
        if (batch === null) return;
        drained = batch.length < RECEIVE_BATCH;
        for (const received of batch) this.#inbox.push(received);
        continue;
      }
      if (!this.#deliver(entry)) return;
      delivered++;
    }
  }

  /** Hands one received message to the handler; false when it ended the socket. */
  #deliver(received: NativeReceived): boolean {
    if (received.truncated !== 0) {
      this.#finish(
        new StratumError(
          'PROTOCOL_ERROR',
          received.truncated & TRUNCATED_DATA ? `received a message larger than ${MAX_MESSAGE_BYTES} bytes` : `received a message with more than ${MAX_MESSAGE_FDS} fds`,
        ),
      );
      return false;
    }
    if (received.data.length === 0 && received.fds.length === 0) {
      this.#closedByPeer = true;
      this.#finish(this.#peerGoneOnWrite ? new StratumError('DISCONNECTED', 'the peer closed the connection') : undefined);
      return false;
    }
    const message = new ReceivedMessage(received.data, received.fds as Fd[]);
    try {
      this.#onMessage?.(message);
    } finally {
      message.releaseUntaken();
    }
    return true;
  }

  #scheduleInbox(): void {
    if (this.#inboxScheduled) return;
    this.#inboxScheduled = true;
    setImmediate(() => {
      this.#inboxScheduled = false;
      this.#readAvailable(READ_BUDGET);
    });
  }

  #onPoll(errno: number, events: number): void {
    if (this.#closed) return;
    if (errno !== 0) {
      // POLLERR (libuv stopped the handle): deliver what is still readable, then close.
      this.#events = 0;
      if (this.#onMessage !== undefined && !this.#paused) this.#readAvailable(Number.POSITIVE_INFINITY);
      this.#closedByPeer = true;
      this.#finish(new StratumError('DISCONNECTED', `the connection failed (poll error ${errno})`));
      return;
    }
    if (events & WRITABLE) this.#flush();
    if (events & READABLE) this.#readAvailable(READ_BUDGET);
  }

  #reading(): boolean {
    return !this.#closed && !this.#paused && this.#onMessage !== undefined;
  }

  #updatePoll(): void {
    if (this.#closed) return;
    const events = (this.#reading() ? READABLE : 0) | (this.#queue.length > 0 ? WRITABLE : 0);
    if (events === this.#events) return;
    this.#events = events;
    this.#poller.setEvents(events);
  }

  #dropQueue(): void {
    for (const message of this.#queue) for (const fd of message.fds) closeFd(fd);
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#queuedFds = 0;
  }

  #finish(reason: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poller.close();
    this.#dropQueue();
    for (const received of this.#inbox.splice(0)) for (const fd of received.fds) closeFd(fd as Fd);
    closeFd(this.#fd);
    this.#onClose?.(reason);
  }
}

export interface ServerOptions extends SocketOptions {
  /** listen(2) backlog (default 128). */
  readonly backlog?: number;
}

/** A listening SEQPACKET socket at a filesystem path (mode 0600). It does not remove an existing
 * path: binding over one fails with EADDRINUSE, and the caller decides (e.g. connect to it, and
 * on ECONNREFUSED unlink the stale file and listen again). */
export class SeqPacketServer {
  readonly #fd: Fd;
  readonly #poller: NativeFdPoller;
  readonly #options: SocketOptions;
  // Held open so that, out of fds, one can be freed to accept and refuse a pending connection.
  #reserveFd: number | undefined;
  #onError: ((error: Error) => void) | undefined;
  #closed = false;

  /** Binds and listens at `path`; every accepted connection is handed to `onConnection`.
   * Throws an OsError: EADDRINUSE (path exists), ENOENT/EACCES (directory), ENAMETOOLONG. */
  static listen(path: string, onConnection: (socket: SeqPacketSocket) => void, options: ServerOptions = {}): SeqPacketServer {
    if (typeof onConnection !== 'function') throw new StratumError('BAD_VALUE', 'listen: onConnection must be a function');
    const fd = native.socketListen(path, options.backlog ?? 128) as Fd;
    return new SeqPacketServer(path, fd, onConnection, options);
  }

  private constructor(
    readonly path: string,
    fd: Fd,
    onConnection: (socket: SeqPacketSocket) => void,
    options: SocketOptions,
  ) {
    this.#fd = fd;
    this.#options = options;
    this.#reserveFd = openSync('/dev/null', 'r');
    this.#poller = new native.FdPoller(fd, (errno) => this.#acceptAll(errno, onConnection));
    this.#poller.setEvents(READABLE);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Called when accepting fails (e.g. EMFILE: that connection is refused and closed). */
  onError(handler: (error: Error) => void): void {
    this.#onError = handler;
  }

  unref(): void {
    if (!this.#closed) this.#poller.unref();
  }

  ref(): void {
    if (!this.#closed) this.#poller.ref();
  }

  /** Stops listening and removes the socket file (idempotent). Accepted sockets stay open. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poller.close();
    closeFd(this.#fd);
    if (this.#reserveFd !== undefined) closeSync(this.#reserveFd);
    this.#reserveFd = undefined;
    try {
      unlinkSync(this.path);
    } catch {
      // Already removed by someone else: nothing to clean.
    }
  }

  #acceptAll(errno: number, onConnection: (socket: SeqPacketSocket) => void): void {
    if (this.#closed) return;
    if (errno !== 0) {
      this.#onError?.(new StratumError('DISCONNECTED', `listening socket failed (poll error ${errno})`));
      return;
    }
    for (;;) {
      let fd: number | null;
      try {
        fd = native.socketAccept(this.#fd);
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        // Out of fds, the connection stays pending and the level-triggered poll would spin:
        // refuse it with the fd held in reserve for that purpose.
        if (isOsError(error) && (error.code === 'EMFILE' || error.code === 'ENFILE')) this.#refuseOne();
        this.#onError?.(failure);
        return;
      }
      if (fd === null) return;
      onConnection(SeqPacketSocket.fromFd(fd as Fd, this.#options));
      if (this.#closed) return;
    }
  }

  #refuseOne(): void {
    if (this.#reserveFd === undefined) return;
    closeSync(this.#reserveFd);
    this.#reserveFd = undefined;
    try {
      const fd = native.socketAccept(this.#fd);
      if (fd !== null) closeFd(fd as Fd);
    } finally {
      try {
        this.#reserveFd = openSync('/dev/null', 'r');
      } catch {
        // Still out of fds: the next readiness callback retries without a reserve.
      }
    }
  }
}
