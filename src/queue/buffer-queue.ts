// The public faces of a BufferQueue: the queue itself (identity, user data, dump), its producer
// face and its consumer face. All logic lives in QueueCore; these classes only name the API.
import type { GraphicBuffer, PixelFormat, Transform, UsageBits } from '../buffer/index.js';
import { QueueCore } from './core.js';
import type { Fence } from './fence.js';
import type {
  AcquireOptions,
  AcquiredFrame,
  BufferQueueDump,
  BufferQueueOptions,
  ConnectResult,
  ConsumerListener,
  DequeueRequest,
  DequeueResult,
  ProducerConnectOptions,
  QueueInput,
  QueueOutput,
  SlotState,
  WhenFull,
} from './types.js';

/**
 * One BufferQueue: up to 64 slots, each FREE, DEQUEUED, QUEUED, ACQUIRED or SHARED.
 * The producer face fills buffers, the consumer face shows them. Tear a queue down with
 * `consumer.disconnect()`: every buffer is freed and later producer calls fail ABANDONED.
 */
export class BufferQueue {
  readonly producer: BufferProducer;
  readonly consumer: BufferConsumer;
  readonly #core: QueueCore;

  constructor(options: BufferQueueOptions) {
    this.#core = new QueueCore(options);
    this.producer = new BufferProducer(this.#core);
    this.consumer = new BufferConsumer(this.#core);
  }

  /** Unique within the process (pid in the high bits, like buffer ids). */
  get id(): number {
    return this.#core.id;
  }

  get name(): string {
    return this.#core.name;
  }

  set name(name: string) {
    this.#core.setName(name);
  }

  /** True once the consumer disconnected: the queue is dead and holds no buffers. */
  get abandoned(): boolean {
    return this.#core.abandoned;
  }

  /** Stores a string under a key (at most 1000 keys: LIMIT_EXCEEDED). Returns false if the value was already that. */
  setUserData(key: string, value: string): boolean {
    return this.#core.setUserData(key, value);
  }

  getUserData(key: string): string | undefined {
    return this.#core.getUserData(key);
  }

  /** Returns whether the key existed. */
  deleteUserData(key: string): boolean {
    return this.#core.deleteUserData(key);
  }

  /** State of one slot (BAD_VALUE for a slot outside 0..63). */
  slotState(slot: number): SlotState {
    return this.#core.slotState(slot);
  }

  /** A plain-object description of the whole queue, for `dump`. */
  dump(): BufferQueueDump {
    return this.#core.dump();
  }
}

/** The producer end: a client's Surface talks to this (the server calls it on the client's behalf). */
export class BufferProducer {
  readonly #core: QueueCore;

  /** @internal Created by BufferQueue. */
  constructor(core: QueueCore) {
    this.#core = core;
  }

  get connected(): boolean {
    return this.#core.producerConnected;
  }

  /** NO_INIT without a consumer, ABANDONED after it left, BAD_VALUE if a producer is already connected. */
  connect(options: ProducerConnectOptions = {}): ConnectResult {
    return this.#core.producerConnect(options);
  }

  /** Frees the producer's dequeued and free buffers; queued frames stay acquirable (stale). Harmless twice. */
  disconnect(): void {
    this.#core.producerDisconnect();
  }

  /**
   * Takes a FREE slot (state changes before the promise settles). Reuses a buffer matching width,
   * height, format and usage, else reallocates and says so. When no slot is free, behaves as
   * `whenFull` says. Errors (as rejections): ABANDONED, NO_INIT, BAD_VALUE, INVALID_OPERATION
   * (more than maxDequeued after the first queue), WOULD_BLOCK, TIMED_OUT, NO_MEMORY.
   */
  dequeue(request: DequeueRequest = {}): Promise<DequeueResult> {
    return this.#core.dequeue(request);
  }

  /**
   * dequeue() without waiting: the slot when one can be taken this instant, undefined when the
   * dequeue would have to wait. Throws what dequeue() rejects with (WOULD_BLOCK, ABANDONED, ...).
   */
  tryDequeue(request: DequeueRequest = {}): DequeueResult | undefined {
    return this.#core.tryDequeue(request);
  }

  /** DEQUEUED -> QUEUED (or replaces the queued frame in mailbox mode). Frame numbers grow by 1. */
  queue(slot: number, input: QueueInput = {}): QueueOutput {
    return this.#core.queue(slot, input);
  }

  /** DEQUEUED -> FREE; `fence` marks where the producer's pending writes end. BAD_VALUE in shared mode. */
  cancel(slot: number, fence?: Fence): void {
    this.#core.cancel(slot, fence);
  }

  /** Takes a DEQUEUED slot's buffer out of the queue; the caller owns it now (dispose it when done). */
  detach(slot: number): GraphicBuffer {
    return this.#core.producerDetach(slot);
  }

  /** Puts an outside buffer into a free slot as DEQUEUED and returns the slot; WOULD_BLOCK when none is free. */
  attach(buffer: GraphicBuffer): number {
    return this.#core.producerAttach(buffer);
  }

  /** BAD_VALUE below 1, below the number now dequeued, or when it would exceed the queue size. */
  setMaxDequeued(count: number): void {
    this.#core.setMaxDequeued(count);
  }

  /** Mailbox mode: a new frame replaces the queued one, damage merged, onFrameReplaced fires. */
  setAsyncMode(enabled: boolean): void {
    this.#core.setAsyncMode(enabled);
  }

  /** What dequeue does when every slot is taken. Default 'wait'. */
  setWhenFull(policy: WhenFull): void {
    this.#core.setWhenFull(policy);
  }

  /** Longest wait of a 'wait' dequeue, ms (default 3000; Infinity = forever). */
  setDequeueTimeout(ms: number): void {
    this.#core.setDequeueTimeout(ms);
  }

  /** The first buffer dequeued becomes the one SHARED slot both sides use. */
  setSharedBufferMode(enabled: boolean): void {
    this.#core.setSharedBufferMode(enabled);
  }

  /** Shared mode: acquire returns the shared buffer again even when nothing was queued. */
  setAutoRefresh(enabled: boolean): void {
    this.#core.setAutoRefresh(enabled);
  }

  /** Slots the producer can use at most now: min(queueSize, maxAcquired + maxDequeued + spare). */
  get maxBufferCount(): number {
    return this.#core.maxBufferCount;
  }

  get nextFrameNumber(): number {
    return this.#core.frameCounter + 1;
  }
}

/** The consumer end: a layer in the compositor, a virtual display's output reader, the recorder. */
export class BufferConsumer {
  readonly #core: QueueCore;

  /** @internal Created by BufferQueue. */
  constructor(core: QueueCore) {
    this.#core = core;
  }

  get connected(): boolean {
    return this.#core.consumerConnected;
  }

  /** Only one consumer: INVALID_OPERATION if connected, ABANDONED after a disconnect. */
  connect(listener: ConsumerListener = {}): void {
    this.#core.consumerConnect(listener);
  }

  /** Abandons the queue: all buffers freed, waiting dequeues fail, producer calls fail ABANDONED. Harmless twice. */
  disconnect(): void {
    this.#core.consumerDisconnect();
  }

  /**
   * QUEUED -> ACQUIRED (head of the FIFO). NO_BUFFER_AVAILABLE when nothing is queued,
   * PRESENT_LATER when the head is not due, INVALID_OPERATION when already holding maxAcquired + 1.
   */
  acquire(options: AcquireOptions = {}): AcquiredFrame {
    return this.#core.acquire(options);
  }

  /** ACQUIRED -> FREE. STALE_BUFFER_SLOT when frameNumber is not the slot's, BAD_VALUE when not acquired. */
  release(slot: number, frameNumber: number, fence?: Fence): void {
    this.#core.release(slot, frameNumber, fence);
  }

  /** Takes an ACQUIRED slot's buffer out of the queue; the caller owns it now. BAD_VALUE in shared mode. */
  detach(slot: number): GraphicBuffer {
    return this.#core.consumerDetach(slot);
  }

  /** Puts an outside buffer into a free slot as ACQUIRED (frame number 0); NO_MEMORY when no slot is free. */
  attach(buffer: GraphicBuffer): number {
    return this.#core.consumerAttach(buffer);
  }

  /** Frames waiting to be acquired. */
  get pendingFrames(): number {
    return this.#core.pendingFrames;
  }

  /** 1..64; shrinking frees FREE buffers beyond it, growing wakes waiting dequeues. */
  setQueueSize(size: number): void {
    this.#core.setQueueSize(size);
  }

  get queueSize(): number {
    return this.#core.queueSize;
  }

  /** 1..63 and below the queue size; only while no producer is connected (INVALID_OPERATION). */
  setMaxAcquired(count: number): void {
    this.#core.setMaxAcquired(count);
  }

  setDefaultBufferSize(width: number, height: number): void {
    this.#core.setDefaultBufferSize(width, height);
  }

  setDefaultFormat(format: PixelFormat): void {
    this.#core.setDefaultFormat(format);
  }

  setConsumerUsage(usage: UsageBits): void {
    this.#core.setConsumerUsage(usage);
  }

  /** Told to the producer on connect and queue so it can pre-rotate. */
  setTransformHint(transform: Transform): void {
    this.#core.setTransformHint(transform);
  }

  /** Frees every FREE buffer (memory pressure); the producer hears onBuffersDiscarded. */
  discardFreeBuffers(): void {
    this.#core.discardFreeBuffers();
  }
}
