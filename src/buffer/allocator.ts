// The allocator: every GraphicBuffer the server hands out is counted against an owner (a client),
// so a client can be refused before it exhausts memory and reclaimed whole when it dies.
import { StratumError } from '../os/status.js';
import { DEFAULT_STRIDE_ALIGNMENT, computeLayout } from './format.js';
import { GraphicBuffer } from './graphic-buffer.js';
import type { BufferSpec } from './graphic-buffer.js';

export interface AllocationLimits {
  readonly maxBytes: number;
  readonly maxBuffers: number;
}

/** Default per-owner limits: 512 MiB and 256 buffers (about 50 full 1080x2400 RGBA buffers). */
export const DEFAULT_ALLOCATION_LIMITS: AllocationLimits = { maxBytes: 512 * 1024 * 1024, maxBuffers: 256 };

export interface OwnerUsage {
  bytes: number;
  buffers: number;
}

interface OwnerAccount extends OwnerUsage {
  limits: AllocationLimits;
  live: Set<GraphicBuffer>;
}

export class BufferAllocator {
  readonly #owners = new Map<string, OwnerAccount>();

  constructor(readonly defaultLimits: AllocationLimits = DEFAULT_ALLOCATION_LIMITS) {}

  #account(owner: string): OwnerAccount {
    let account = this.#owners.get(owner);
    if (!account) {
      account = { bytes: 0, buffers: 0, limits: this.defaultLimits, live: new Set() };
      this.#owners.set(owner, account);
    }
    return account;
  }

  setLimits(owner: string, limits: AllocationLimits): void {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || (value as number) < 0) {
        throw new StratumError('BAD_VALUE', `limit ${name} must be a non-negative integer, got ${String(value)}`);
      }
    }
    this.#account(owner).limits = { maxBytes: limits.maxBytes, maxBuffers: limits.maxBuffers };
  }

  /** Allocates for `owner`, or throws NO_MEMORY naming the owner and the limit it would exceed. */
  allocate(owner: string, spec: BufferSpec): GraphicBuffer {
    const account = this.#account(owner);
    if (account.buffers + 1 > account.limits.maxBuffers) {
      throw new StratumError('NO_MEMORY', `${owner} already holds ${account.buffers} buffers (limit ${account.limits.maxBuffers})`);
    }
    // Refuse before any memory exists: the layout alone gives the size.
    const { size } = computeLayout(spec.width, spec.height, spec.format, spec.strideAlignment ?? DEFAULT_STRIDE_ALIGNMENT);
    if (account.bytes + size > account.limits.maxBytes) {
      throw new StratumError(
        'NO_MEMORY',
        `${owner} would hold ${account.bytes + size} buffer bytes with this ${spec.width}x${spec.height} buffer (limit ${account.limits.maxBytes})`,
      );
    }
    let buffer: GraphicBuffer | undefined = undefined;
    const release = (): void => {
      if (!buffer || !account.live.delete(buffer)) return;
      account.bytes -= buffer.size;
      account.buffers -= 1;
    };
    buffer = GraphicBuffer.allocate(spec, release);
    account.live.add(buffer);
    account.bytes += buffer.size;
    account.buffers += 1;
    return buffer;
  }

  usage(owner: string): OwnerUsage {
    const account = this.#owners.get(owner);
    return { bytes: account?.bytes ?? 0, buffers: account?.buffers ?? 0 };
  }

  totals(): OwnerUsage & { owners: number } {
    let bytes = 0;
    let buffers = 0;
    for (const a of this.#owners.values()) {
      bytes += a.bytes;
      buffers += a.buffers;
    }
    return { bytes, buffers, owners: this.#owners.size };
  }

  /** Disposes every buffer the owner still holds and forgets the owner (a client died). */
  releaseOwner(owner: string): void {
    const account = this.#owners.get(owner);
    if (!account) return;
    for (const buffer of [...account.live]) buffer.dispose();
    this.#owners.delete(owner);
  }
}
