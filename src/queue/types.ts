// The data that crosses the BufferQueue's faces: options, dequeue/queue/acquire records, listeners
// and the dump. Times are monotonic milliseconds (see monotonicNow in fence.ts).
import type { BufferSpec, GraphicBuffer, PixelFormat, ScalingMode, Transform, UsageBits } from '../buffer/index.js';
import type { Rect } from '../region/rect.js';
import type { Fence } from './fence.js';

/** Slot limits: at least 1, at most 64 (Android NUM_BUFFER_SLOTS, OpenHarmony SURFACE_MAX_QUEUE_SIZE). */
export const MAX_QUEUE_SIZE = 64;
/** Triple buffering (OpenHarmony SURFACE_DEFAULT_QUEUE_SIZE). */
export const DEFAULT_QUEUE_SIZE = 3;
/** Dequeue waits this long for a free slot before TIMED_OUT (OpenHarmony's producer default). */
export const DEFAULT_DEQUEUE_TIMEOUT_MS = 3000;
/** At most this many user-data keys per queue (OpenHarmony SURFACE_MAX_USER_DATA_COUNT). */
export const MAX_USER_DATA_KEYS = 1000;
/** A frame more than this far ahead of the requested present time counts as due now (garbage time). */
export const MAX_REASONABLE_PRESENT_DELAY_MS = 1000;

export const SlotState = {
  FREE: 'FREE',
  DEQUEUED: 'DEQUEUED',
  QUEUED: 'QUEUED',
  ACQUIRED: 'ACQUIRED',
  /** Shared-buffer mode: the one slot both sides use at once. */
  SHARED: 'SHARED',
} as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

/** How the queue allocates and frees buffers; the server passes closures over BufferAllocator. */
export type AllocateBuffer = (spec: BufferSpec) => GraphicBuffer;
export type FreeBuffer = (buffer: GraphicBuffer) => void;

export interface BufferQueueOptions {
  /** Allocates every buffer the queue holds (throws NO_MEMORY when an owner's quota is reached). */
  readonly allocate: AllocateBuffer;
  /** Frees a buffer the queue drops. Default: `buffer.dispose()` (which also settles allocator accounting). */
  readonly free?: FreeBuffer;
  /** Shown in dumps and errors. Default `queue-<id>`. */
  readonly name?: string;
  /** Slot cap, 1..64, default 3. */
  readonly queueSize?: number;
  /** Buffers the consumer may hold (it may briefly hold one more), default 1. */
  readonly maxAcquired?: number;
  /** Buffers the producer may hold once it has queued, default queueSize - maxAcquired (at least 1). */
  readonly maxDequeued?: number;
  readonly defaultWidth?: number;
  readonly defaultHeight?: number;
  readonly defaultFormat?: PixelFormat;
  /** ORed into every dequeue's usage. */
  readonly consumerUsage?: UsageBits;
}

/**
 * What dequeue does when no slot is free:
 * - 'wait': wait for a release, at most the dequeue timeout (TIMED_OUT), Android sync / OpenHarmony block mode;
 * - 'fail': WOULD_BLOCK at once (Android non-blocking);
 * - 'take-oldest-queued': take back the oldest queued, never acquired frame (OpenHarmony no-block mode);
 *   WOULD_BLOCK when nothing is queued.
 */
export type WhenFull = 'wait' | 'fail' | 'take-oldest-queued';

export interface DequeueRequest {
  /** Width and height: both omitted or 0 = the consumer's default size; only one 0 is BAD_VALUE. */
  readonly width?: number;
  readonly height?: number;
  /** Default: the consumer's default format. */
  readonly format?: PixelFormat;
  /** ORed with the consumer's usage. */
  readonly usage?: UsageBits;
  readonly strideAlignment?: number;
  /** Overrides the producer's dequeue timeout for this call (ms; Infinity waits forever). */
  readonly timeout?: number;
}

export interface DequeueResult {
  readonly slot: number;
  readonly buffer: GraphicBuffer;
  /** The slot holds a buffer the producer has not seen: send / map it again. */
  readonly needsReallocation: boolean;
  /** Every buffer the producer may have cached is gone: drop the whole slot cache first. */
  readonly releaseAllBuffers: boolean;
  /** Frames since this buffer's content was queued (0 = content undefined), for partial redraw. */
  readonly bufferAge: number;
  /** Do not write before it signals (the consumer's release fence). */
  readonly fence: Fence;
}

export interface QueueInput {
  /** When the content was produced (OpenHarmony UI timestamp); used as present time when no desired time. */
  readonly timestamp?: number;
  /** When the frame should be shown. Neither this nor timestamp = now, and the frame is auto-timestamped. */
  readonly desiredPresentTime?: number;
  /** Changed areas (clipped to the buffer); omitted or empty = the whole buffer. Negative size is BAD_VALUE. */
  readonly damage?: readonly Rect[];
  /** Part of the buffer to show; must lie inside the buffer. Omitted or empty = the whole buffer. */
  readonly crop?: Rect;
  readonly transform?: Transform;
  readonly scalingMode?: ScalingMode;
  /** Do not read before it signals. Default NO_FENCE; anything that is not a Fence is BAD_VALUE. */
  readonly fence?: Fence;
}

export interface QueueOutput {
  readonly frameNumber: number;
  readonly nextFrameNumber: number;
  /** Mailbox: this frame replaced the queued one (which went back to FREE). */
  readonly bufferReplaced: boolean;
  /** Frames now waiting for the consumer. */
  readonly pendingFrames: number;
  readonly width: number;
  readonly height: number;
  readonly transformHint: Transform;
}

/** Summary of a queued frame, passed to frame listeners. */
export interface FrameInfo {
  readonly slot: number;
  readonly frameNumber: number;
  readonly presentTime: number;
  readonly isAutoTimestamp: boolean;
}

/** What acquire returns (Android BufferItem, OpenHarmony AcquireBufferReturnValue). */
export interface AcquiredFrame extends FrameInfo {
  readonly buffer: GraphicBuffer;
  /** First acquire of this slot's buffer since it was (re)allocated or the producer left: import / map it. */
  readonly bufferIsNew: boolean;
  /** Do not read before it signals (the producer's acquire fence). */
  readonly fence: Fence;
  readonly timestamp: number | undefined;
  readonly desiredPresentTime: number | undefined;
  /** Changed areas, clipped to the buffer: the whole buffer when the producer named none; empty only
   *  when every named area lay outside the buffer (or for an auto-refresh re-acquire). */
  readonly damage: readonly Rect[];
  /** Empty rect = the whole buffer. */
  readonly crop: Rect;
  readonly transform: Transform;
  readonly scalingMode: ScalingMode;
  /** Frames dropped by this acquire because a newer one was due. */
  readonly droppedFrames: number;
  /** False for an auto-refresh re-acquire of the shared buffer that nothing queued. */
  readonly queuedBuffer: boolean;
  readonly autoRefresh: boolean;
  /** Queued by a producer that has since disconnected. */
  readonly isStale: boolean;
}

export interface AcquireOptions {
  /** Expected present time of the next refresh: due frames are dropped for the newest due one,
   *  PRESENT_LATER when the first is not due yet. Omitted = take the head now. */
  readonly presentTime?: number;
}

export interface ConsumerListener {
  onFrameAvailable?(frame: FrameInfo): void;
  /** Mailbox mode: a queued frame was replaced by `frame` (instead of onFrameAvailable). */
  onFrameReplaced?(frame: FrameInfo): void;
  /** Slots lost their buffers (producer disconnect, queue shrink, discard): drop cached imports of them. */
  onBuffersReleased?(slots: readonly number[]): void;
  onProducerDisconnected?(): void;
}

export interface ProducerListener {
  /** A buffer went back to FREE (consumer release or a dropped frame). */
  onBufferReleased?(slot: number, fence: Fence): void;
  /** FREE buffers were freed by the consumer (discardFreeBuffers, queue shrink). */
  onBuffersDiscarded?(slots: readonly number[]): void;
}

export interface ProducerConnectOptions {
  readonly listener?: ProducerListener;
  /** Shown in dumps: who produces (e.g. a client name). */
  readonly label?: string;
}

export interface ConnectResult {
  readonly width: number;
  readonly height: number;
  readonly transformHint: Transform;
  readonly pendingFrames: number;
  readonly nextFrameNumber: number;
  readonly maxBufferCount: number;
}

export interface SlotDump {
  readonly slot: number;
  readonly state: SlotState;
  readonly frameNumber: number;
  readonly buffer?: { readonly id: number; readonly width: number; readonly height: number; readonly stride: number; readonly format: string };
}

export interface BufferQueueDump {
  readonly id: number;
  readonly name: string;
  readonly abandoned: boolean;
  readonly producer: string | undefined;
  readonly consumerConnected: boolean;
  readonly queueSize: number;
  readonly maxBufferCount: number;
  readonly maxAcquired: number;
  readonly maxDequeued: number;
  readonly asyncMode: boolean;
  readonly whenFull: WhenFull;
  readonly dequeueTimeout: number;
  readonly sharedBufferMode: boolean;
  readonly autoRefresh: boolean;
  readonly defaultWidth: number;
  readonly defaultHeight: number;
  readonly defaultFormat: string;
  readonly transformHint: Transform;
  readonly frameCounter: number;
  readonly counts: Readonly<Record<SlotState, number>> & { readonly buffers: number; readonly waitingDequeues: number };
  /** Frame numbers waiting for the consumer, oldest first. */
  readonly queue: readonly FrameInfo[];
  /** Every slot that is not FREE-and-empty. */
  readonly slots: readonly SlotDump[];
  readonly userDataKeys: number;
}
