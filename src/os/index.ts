// The typed face of the native addon: branded handles, errors as typed exceptions.
import { native } from './addon.js';
import { StratumError } from './status.js';

/** A file descriptor owned by this process. */
export type Fd = number & { readonly __brand: 'Fd' };

/** An error from an OS call: `code` is the errno name (EINVAL, EPERM, ...). */
export interface OsError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
}

export function isOsError(error: unknown): error is OsError {
  return error instanceof Error && typeof (error as Partial<OsError>).code === 'string';
}

/** The seal bits reported by fdSeals (linux/fcntl.h). */
export const Seal = { SEAL: 0x1, SHRINK: 0x2, GROW: 0x4, WRITE: 0x8 } as const;

/** Creates a CLOEXEC memfd of `size` bytes; sealed against shrink, grow and further sealing by default. */
export function createSharedMemory(name: string, size: number, options: { seal?: boolean } = {}): Fd {
  return native.memfdCreate(name, size, options.seal ?? true) as Fd;
}

export function fdSize(fd: Fd): number {
  return native.fdSize(fd);
}

export function fdSeals(fd: Fd): number {
  return native.fdSeals(fd);
}

/** ftruncate(2); on a sealed memfd this throws EPERM. */
export function truncateFd(fd: Fd, size: number): void {
  native.truncateFd(fd, size);
}

/** Maps `size` bytes of `fd` shared; the ArrayBuffer is the memory itself (no copy). */
export function mapFd(fd: Fd, size: number, access: 'read' | 'read-write'): ArrayBuffer {
  if (access !== 'read' && access !== 'read-write') {
    throw new StratumError('BAD_VALUE', `mapFd: access must be 'read' or 'read-write', got ${String(access)}`);
  }
  return native.mmap(fd, size, access === 'read-write');
}

/** Unmaps now and detaches `buffer`: later access sees a zero-length buffer instead of faulting. */
export function unmap(buffer: ArrayBuffer): void {
  native.unmap(buffer);
}

export function closeFd(fd: Fd): void {
  native.close(fd);
}

export function dupFd(fd: Fd): Fd {
  return native.dup(fd) as Fd;
}

/** Bytes and mappings currently mapped through mapFd in this process. */
export function mappedMemory(): { bytes: number; count: number } {
  return native.mappedBytes();
}

export {
  DEFAULT_MAX_OUTGOING_BYTES,
  DEFAULT_MAX_OUTGOING_FDS,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_FDS,
  ReceivedMessage,
  SeqPacketServer,
  SeqPacketSocket,
  createSocketPair,
} from './socket.js';
export type { CloseHandler, MessageHandler, PeerCredentials, ServerOptions, SocketOptions } from './socket.js';
