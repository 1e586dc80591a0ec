// Loads the native addon once. Everything else imports the typed face in ./index.ts, never this.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The raw shape of the addon's exports; only src/os may see it. */
export interface NativeAddon {
  memfdCreate(name: string, size: number, seal: boolean): number;
  fdSize(fd: number): number;
  fdSeals(fd: number): number;
  truncateFd(fd: number, size: number): void;
  mmap(fd: number, size: number, writable: boolean): ArrayBuffer;
  unmap(buffer: ArrayBuffer): void;
  close(fd: number): void;
  dup(fd: number): number;
  mappedBytes(): { bytes: number; count: number };

  socketPair(): [number, number];
  socketListen(path: string, backlog: number): number;
  socketAccept(fd: number): number | null;
  socketConnect(path: string): number;
  /** true when sent, false when the kernel buffer is full (EAGAIN). */
  socketSend(fd: number, data: Uint8Array, fds: readonly number[]): boolean;
  /**
   * Receives 1..max messages in one recvmmsg into the caller's memory: message i at arena offset
   * i * maxMessageBytes, [length, fdCount, truncated] at meta[3i], all fds in order in `fds`.
   * Returns the count, -1 when nothing is waiting. Length 0 with no fds is end of stream.
   */
  socketRecv(fd: number, arena: Uint8Array, meta: Int32Array, fds: Int32Array, max: number): number;
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  /** SO_TYPE of a socket fd; throws ENOTSOCK for other fds. */
  socketType(fd: number): number;
  FdPoller: new (fd: number, callback: (errno: number, events: number) => void) => NativeFdPoller;
  maxMessageBytes: number;
  /** Most messages one socketRecv call takes. */
  maxReceiveBatch: number;
  maxMessageFds: number;
}

/** A uv_poll_t on this thread's loop; events: 1 readable, 2 writable, 0 none. */
export interface NativeFdPoller {
  setEvents(events: number): void;
  close(): void;
  ref(): void;
  unref(): void;
}

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (dir: string) => unknown;

export const native = load(packageRoot) as NativeAddon;
