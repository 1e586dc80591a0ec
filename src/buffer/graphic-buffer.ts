// GraphicBuffer: one shared-memory image. The memory is a sealed memfd, so no process holding the
// fd can shrink it under a mapping (no SIGBUS); its pixels are reached through zero-copy mappings.
import { Seal, closeFd, createSharedMemory, fdSeals, fdSize, isOsError, mapFd, unmap } from '../os/index.js';
import type { Fd } from '../os/index.js';
import { StratumError } from '../os/status.js';
import type { BufferLayout, PixelFormat } from './format.js';
import { DEFAULT_STRIDE_ALIGNMENT, computeLayout, formatName, isPixelFormat } from './format.js';
import { ALL_USAGE_BITS } from './usage.js';
import type { UsageBits } from './usage.js';

/** Everything about a buffer except its memory: what travels on the wire beside the fd. */
export interface BufferDescriptor {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  readonly usage: UsageBits;
  /** Row pitch in pixels of the first plane. */
  readonly stride: number;
  readonly size: number;
}

export interface BufferSpec {
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  readonly usage: UsageBits;
  readonly strideAlignment?: number;
}

// Ids are unique across processes: the allocating pid in the high bits, a counter in the low 24.
const ID_COUNTER_BITS = 2 ** 24;
let nextCounter = 1;
function newBufferId(): number {
  const counter = nextCounter;
  nextCounter = (nextCounter % (ID_COUNTER_BITS - 1)) + 1;
  return process.pid * ID_COUNTER_BITS + counter;
}

export class GraphicBuffer implements BufferDescriptor {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
  readonly usage: UsageBits;
  readonly stride: number;
  readonly size: number;
  readonly layout: BufferLayout;
  #fd: Fd | -1;
  #mapping: ArrayBuffer | undefined;
  #mappingWritable = false;
  #onDispose: (() => void) | undefined;
  // Work off the main thread (the renderer's threadpool) reads and writes the mapping directly, so
  // while it is pinned, unmapping is deferred: replaced or unmapped mappings wait in #retired, and
  // a dispose waits for the last unpin. A client dying mid-frame can then never unmap memory that
  // a compositor thread is still touching.
  #pins = 0;
  #retired: ArrayBuffer[] = [];
  #disposeRequested = false;

  private constructor(fd: Fd, descriptor: BufferDescriptor, layout: BufferLayout) {
    this.#fd = fd;
    this.id = descriptor.id;
    this.width = descriptor.width;
    this.height = descriptor.height;
    this.format = descriptor.format;
    this.usage = descriptor.usage;
    this.stride = descriptor.stride;
    this.size = descriptor.size;
    this.layout = layout;
  }

  /** Allocates a new sealed shared-memory buffer. Prefer BufferAllocator, which accounts for it. */
  static allocate(spec: BufferSpec, onDispose?: () => void): GraphicBuffer {
    checkUsage(spec.usage);
    const layout = computeLayout(spec.width, spec.height, spec.format, spec.strideAlignment ?? DEFAULT_STRIDE_ALIGNMENT);
    const id = newBufferId();
    const fd = createSharedMemory(`stratum-buffer-${id}`, layout.size);
    const buffer = new GraphicBuffer(fd, { id, ...spec, stride: layout.stride, size: layout.size }, layout);
    buffer.#onDispose = onDispose;
    return buffer;
  }

  /**
   * Wraps a buffer received from another process. Takes ownership of `fd`. The descriptor is
   * checked against itself and against the fd's real size, so a lying peer cannot make us map
   * past the end of the memory.
   */
  static import(fd: Fd, descriptor: BufferDescriptor): GraphicBuffer {
    try {
      if (!isPixelFormat(descriptor.format)) throw new StratumError('BAD_VALUE', `unknown pixel format ${String(descriptor.format)}`);
      checkUsage(descriptor.usage);
      const layout = layoutForStride(descriptor);
      if (layout.size !== descriptor.size) {
        throw new StratumError('BAD_VALUE', `buffer ${descriptor.id}: size ${descriptor.size} does not match its layout (${layout.size})`);
      }
      const actual = fdSize(fd);
      if (actual < descriptor.size) {
        throw new StratumError('BAD_VALUE', `buffer ${descriptor.id}: fd holds ${actual} bytes, descriptor says ${descriptor.size}`);
      }
      // An fd its sender could shrink would turn our reads into SIGBUS.
      if ((sealsOf(fd) & Seal.SHRINK) === 0) {
        throw new StratumError('BAD_VALUE', `buffer ${descriptor.id}: fd is not sealed against shrinking`);
      }
      return new GraphicBuffer(fd, { ...descriptor }, layout);
    } catch (error) {
      closeQuietly(fd);
      if (isOsError(error) && error.code === 'EBADF') {
        throw new StratumError('BAD_VALUE', `buffer ${descriptor.id}: fd ${fd} is not an open file descriptor`);
      }
      throw error;
    }
  }

  get fd(): Fd {
    if (this.#fd === -1 || this.#disposeRequested) throw new StratumError('INVALID_OPERATION', `buffer ${this.id} has been disposed`);
    return this.#fd;
  }

  /** True once dispose() was called (the memory itself may live on until the last unpin). */
  get disposed(): boolean {
    return this.#fd === -1 || this.#disposeRequested;
  }

  get formatName(): string {
    return formatName(this.format);
  }

  describe(): BufferDescriptor {
    const { id, width, height, format, usage, stride, size } = this;
    return { id, width, height, format, usage, stride, size };
  }

  /** The buffer's memory, mapped once and reused; read-write unless asked for read-only. */
  map(access: 'read' | 'read-write' = 'read-write'): ArrayBuffer {
    if (this.disposed) throw new StratumError('INVALID_OPERATION', `buffer ${this.id} has been disposed`);
    const wantWrite = access === 'read-write';
    if (this.#mapping && (this.#mappingWritable || !wantWrite)) return this.#mapping;
    if (this.#mapping) this.unmap();
    this.#mapping = mapFd(this.fd, this.size, access);
    this.#mappingWritable = wantWrite;
    return this.#mapping;
  }

  /** All bytes of the buffer (every plane), as a view over the shared memory. */
  bytes(access: 'read' | 'read-write' = 'read-write'): Uint8Array {
    return new Uint8Array(this.map(access));
  }

  /** The first plane as 32-bit pixels (4-byte formats only); index = y * stride + x. */
  pixels32(): Uint32Array {
    if (this.layout.planes[0]?.bytesPerRow !== this.stride * 4) {
      throw new StratumError('INVALID_OPERATION', `pixels32 needs a 4-byte format, buffer ${this.id} is ${this.formatName}`);
    }
    return new Uint32Array(this.map(), 0, (this.stride * this.height));
  }

  unmap(): void {
    if (!this.#mapping) return;
    if (this.#pins > 0) this.#retired.push(this.#mapping);
    else unmap(this.#mapping);
    this.#mapping = undefined;
  }

  /**
   * Keeps the current memory mapped until the returned function is called (once; later calls do
   * nothing): for work that touches the pixels off the main thread. Pins nest.
   */
  pin(): () => void {
    if (this.disposed) throw new StratumError('INVALID_OPERATION', `buffer ${this.id} has been disposed`);
    this.#pins += 1;
    let pinned = true;
    return () => {
      if (!pinned) return;
      pinned = false;
      this.#pins -= 1;
      if (this.#pins > 0) return;
      for (const mapping of this.#retired.splice(0)) unmap(mapping);
      if (this.#disposeRequested) this.#release();
    };
  }

  get pinned(): boolean {
    return this.#pins > 0;
  }

  /** Unmaps and closes the fd, at once or when the last pin goes. Safe to call more than once. */
  dispose(): void {
    if (this.disposed) return;
    this.#disposeRequested = true;
    if (this.#pins === 0) this.#release();
  }

  #release(): void {
    if (this.#fd === -1) return;
    this.unmap();
    closeFd(this.#fd);
    this.#fd = -1;
    const hook = this.#onDispose;
    this.#onDispose = undefined;
    hook?.();
  }
}

function sealsOf(fd: Fd): number {
  try {
    return fdSeals(fd);
  } catch (error) {
    // EINVAL: not a memfd (a file that cannot be sealed at all).
    if (isOsError(error) && error.code === 'EINVAL') return 0;
    throw error;
  }
}

function closeQuietly(fd: Fd): void {
  try {
    closeFd(fd);
  } catch {
    // Already closed (or never open): nothing left to release.
  }
}

function checkUsage(usage: number): void {
  if (!Number.isInteger(usage) || usage < 0 || (usage & ~ALL_USAGE_BITS) !== 0) {
    throw new StratumError('BAD_VALUE', `usage 0x${usage.toString(16)} has unknown bits`);
  }
}

// The layout implied by a descriptor's stride: the stride alignment is whatever made that stride.
function layoutForStride(d: BufferDescriptor): BufferLayout {
  const base = computeLayout(d.width, d.height, d.format, 4);
  if (!Number.isInteger(d.stride) || d.stride < base.stride || d.stride > 16384 * 2) {
    throw new StratumError('BAD_VALUE', `buffer ${d.id}: stride ${d.stride} is invalid for width ${d.width}`);
  }
  for (let alignment = 4; alignment <= 4096; alignment *= 2) {
    const layout = computeLayout(d.width, d.height, d.format, alignment);
    if (layout.stride === d.stride) return layout;
  }
  throw new StratumError('BAD_VALUE', `buffer ${d.id}: stride ${d.stride} matches no supported alignment`);
}
