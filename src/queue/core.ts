// QueueCore: the slot state machine behind BufferQueue's faces. Every state change happens
// synchronously inside one call; listeners run after the change, so a listener that calls back
// into the queue sees a consistent state. Only a dequeue that must wait for a free slot settles later.
import { ALL_USAGE_BITS, GraphicBuffer, MAX_BUFFER_SIDE, PixelFormat, Transform, checkTransform, formatName, isPixelFormat, isScalingMode } from '../buffer/index.js';
import type { BufferSpec, ScalingMode, UsageBits } from '../buffer/index.js';
import { StratumError } from '../os/status.js';
import { EMPTY_RECT, boundsOfRects, intersectRect, isEmptyRect, rectContains, rectsEqual } from '../region/rect.js';
import type { Rect } from '../region/rect.js';
import { Fence, NO_FENCE, monotonicNow } from './fence.js';
import {
  DEFAULT_DEQUEUE_TIMEOUT_MS,
  DEFAULT_QUEUE_SIZE,
  MAX_QUEUE_SIZE,
  MAX_REASONABLE_PRESENT_DELAY_MS,
  MAX_USER_DATA_KEYS,
  SlotState,
} from './types.js';
import type {
  AcquireOptions,
  AcquiredFrame,
  BufferQueueDump,
  BufferQueueOptions,
  ConnectResult,
  ConsumerListener,
  DequeueRequest,
  DequeueResult,
  FrameInfo,
  FreeBuffer,
  AllocateBuffer,
  ProducerConnectOptions,
  ProducerListener,
  QueueInput,
  QueueOutput,
  SlotDump,
  WhenFull,
} from './types.js';

/** Android keeps two slots so both sides can run async: the consumer may hold at most 62. */
const MAX_MAX_ACQUIRED = MAX_QUEUE_SIZE - 2;

interface Slot {
  readonly index: number;
  state: SlotState;
  buffer: GraphicBuffer | undefined;
  /** Frame number of the slot's last queue; 0 = never queued (or attached). */
  frameNumber: number;
  /** FREE: the consumer's release fence (or the producer's cancel fence). */
  fence: Fence;
  /** The producer has not seen this slot's buffer (consumer attach). */
  needsReallocation: boolean;
  /** The consumer has already seen this slot's buffer. */
  acquireCalled: boolean;
  /** When the slot last became FREE: LRU order of free buffers. */
  freedAt: number;
  /** Shared-buffer mode: outstanding dequeues and acquires of the shared slot. */
  sharedDequeues: number;
  sharedAcquires: number;
}

interface QueuedItem {
  readonly slot: number;
  readonly frameNumber: number;
  readonly fence: Fence;
  readonly timestamp: number | undefined;
  readonly desiredPresentTime: number | undefined;
  readonly presentTime: number;
  readonly isAutoTimestamp: boolean;
  readonly damage: readonly Rect[];
  readonly crop: Rect;
  readonly transform: Transform;
  readonly scalingMode: ScalingMode;
  readonly droppable: boolean;
  isStale: boolean;
}

interface Waiter {
  readonly request: DequeueRequest;
  readonly resolve: (result: DequeueResult) => void;
  readonly reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

interface ResolvedRequest {
  readonly spec: BufferSpec;
  readonly timeout: number;
}

const QUEUE_ID_COUNTER_BITS = 2 ** 20;
let nextQueueCounter = 1;
function newQueueId(): number {
  const counter = nextQueueCounter;
  nextQueueCounter = (nextQueueCounter % (QUEUE_ID_COUNTER_BITS - 1)) + 1;
  return process.pid * QUEUE_ID_COUNTER_BITS + counter;
}

/** A short, safe description of any input value for error messages. */
function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${value}`;
  return typeof value === 'symbol' ? value.toString() : 'undefined';
}

function bad(message: string): StratumError {
  return new StratumError('BAD_VALUE', message);
}

function checkCount(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw bad(`${what} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

function checkUsageBits(what: string, usage: unknown): UsageBits {
  if (typeof usage !== 'number' || !Number.isInteger(usage) || usage < 0 || (usage & ~ALL_USAGE_BITS) !== 0) {
    throw bad(`${what} ${String(usage)} has unknown bits (known: 0x${ALL_USAGE_BITS.toString(16)})`);
  }
  return usage;
}

function checkTime(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`${what} ${String(value)} is not a finite time in ms`);
  return value;
}

function checkTimeout(what: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw bad(`${what} ${String(value)} must be >= 0 ms (Infinity waits forever)`);
  return value;
}

function checkFence(what: string, fence: unknown): Fence {
  if (fence === undefined) return NO_FENCE;
  if (!(fence instanceof Fence)) throw bad(`${what} ${show(fence)} is not a Fence (use NO_FENCE for none)`);
  return fence;
}

function describeRect(r: Rect): string {
  return `{left ${r.left}, top ${r.top}, right ${r.right}, bottom ${r.bottom}}`;
}

function checkRectShape(what: string, value: unknown): Rect {
  const r = value as Partial<Record<keyof Rect, unknown>> | null;
  if (typeof r !== 'object' || r === null) throw bad(`${what} ${String(value)} is not a rectangle`);
  for (const side of ['left', 'top', 'right', 'bottom'] as const) {
    if (typeof r[side] !== 'number' || !Number.isInteger(r[side])) throw bad(`${what}.${side} ${String(r[side])} is not an integer`);
  }
  const rect = value as Rect;
  if (rect.right < rect.left || rect.bottom < rect.top) throw bad(`${what} ${describeRect(rect)} has a negative width or height`);
  return rect;
}

function bufferBounds(buffer: GraphicBuffer): Rect {
  return { left: 0, top: 0, right: buffer.width, bottom: buffer.height };
}

/** The union of two damage lists, as a list; the whole buffer absorbs everything. */
function mergeDamage(a: readonly Rect[], b: readonly Rect[], whole: Rect): readonly Rect[] {
  const merged = [...a, ...b].map((r) => intersectRect(r, whole)).filter((r) => !isEmptyRect(r));
  if (merged.some((r) => rectsEqual(r, whole))) return [whole];
  // A long list is no cheaper to compose than its bounds: keep at most 16 rectangles.
  if (merged.length > 16) return [merged.reduce(boundsOfRects, EMPTY_RECT)];
  return merged;
}

export class QueueCore {
  readonly id = newQueueId();
  #name: string;
  readonly #allocate: AllocateBuffer;
  readonly #free: FreeBuffer;
  readonly #slots: Slot[];
  #queue: QueuedItem[] = [];
  #waiters: Waiter[] = [];
  readonly #userData = new Map<string, string>();

  #queueSize: number;
  #maxAcquired: number;
  /** Set by the producer; otherwise derived from the queue size. */
  #maxDequeuedExplicit: number | undefined;
  #asyncMode = false;
  #whenFull: WhenFull = 'wait';
  #dequeueTimeout = DEFAULT_DEQUEUE_TIMEOUT_MS;
  #sharedBufferMode = false;
  #autoRefresh = false;
  #sharedSlot: Slot | undefined;

  #defaultWidth: number;
  #defaultHeight: number;
  #defaultFormat: PixelFormat;
  #consumerUsage: UsageBits;
  #transformHint: Transform = Transform.NONE;

  #frameCounter = 0;
  #freeClock = 0;
  #bufferHasBeenQueued = false;
  #releaseAllPending = false;
  #abandoned = false;
  #consumer: ConsumerListener | undefined;
  #producer: { readonly listener: ProducerListener; readonly label: string } | undefined;

  constructor(options: BufferQueueOptions) {
    if (typeof options !== 'object' || options === null || typeof options.allocate !== 'function') {
      throw bad('BufferQueue options need an allocate(spec) function');
    }
    this.#allocate = options.allocate;
    this.#free = options.free ?? ((buffer) => buffer.dispose());
    this.#name = options.name ?? `queue-${this.id}`;
    this.#queueSize = checkCount('queue size', options.queueSize ?? DEFAULT_QUEUE_SIZE, 1, MAX_QUEUE_SIZE);
    this.#maxAcquired = checkCount('max acquired buffers', options.maxAcquired ?? 1, 1, MAX_MAX_ACQUIRED);
    if (options.maxDequeued !== undefined) {
      this.#maxDequeuedExplicit = checkCount('max dequeued buffers', options.maxDequeued, 1, MAX_QUEUE_SIZE - 1);
    }
    this.#defaultWidth = checkCount('default width', options.defaultWidth ?? 1, 1, MAX_BUFFER_SIDE);
    this.#defaultHeight = checkCount('default height', options.defaultHeight ?? 1, 1, MAX_BUFFER_SIDE);
    const format = options.defaultFormat ?? PixelFormat.RGBA_8888;
    if (!isPixelFormat(format)) throw bad(`default format ${String(format)} is not a known pixel format`);
    this.#defaultFormat = format;
    this.#consumerUsage = checkUsageBits('consumer usage', options.consumerUsage ?? 0);
    this.#slots = Array.from({ length: MAX_QUEUE_SIZE }, (_, index) => ({
      index,
      state: SlotState.FREE,
      buffer: undefined,
      frameNumber: 0,
      fence: NO_FENCE,
      needsReallocation: false,
      acquireCalled: false,
      freedAt: 0,
      sharedDequeues: 0,
      sharedAcquires: 0,
    }));
  }

  // ---- identity, user data, counts ----------------------------------------------------------

  get name(): string {
    return this.#name;
  }

  setName(name: string): void {
    if (typeof name !== 'string' || name.length === 0 || name.length > 256) throw bad(`queue name must be 1..256 characters, got ${JSON.stringify(name)}`);
    this.#name = name;
  }

  get abandoned(): boolean {
    return this.#abandoned;
  }

  get producerConnected(): boolean {
    return this.#producer !== undefined;
  }

  get consumerConnected(): boolean {
    return this.#consumer !== undefined;
  }

  get frameCounter(): number {
    return this.#frameCounter;
  }

  get pendingFrames(): number {
    return this.#queue.length;
  }

  get queueSize(): number {
    return this.#queueSize;
  }

  get maxDequeued(): number {
    return this.#maxDequeuedExplicit ?? Math.max(1, this.#queueSize - this.#maxAcquired);
  }

  /** Android's formula, capped by the queue size: one spare slot in async and fail-when-full modes. */
  get maxBufferCount(): number {
    const spare = this.#asyncMode || this.#whenFull === 'fail' ? 1 : 0;
    return Math.min(this.#queueSize, this.#maxAcquired + this.maxDequeued + spare);
  }

  setUserData(key: string, value: string): boolean {
    this.#checkKey(key);
    if (typeof value !== 'string') throw bad(`user data '${key}': value ${String(value)} is not a string`);
    const previous = this.#userData.get(key);
    if (previous === value) return false;
    if (previous === undefined && this.#userData.size >= MAX_USER_DATA_KEYS) {
      throw new StratumError('LIMIT_EXCEEDED', `${this.#name} already holds ${this.#userData.size} user-data keys (limit ${MAX_USER_DATA_KEYS}); cannot add '${key}'`);
    }
    this.#userData.set(key, value);
    return true;
  }

  getUserData(key: string): string | undefined {
    this.#checkKey(key);
    return this.#userData.get(key);
  }

  deleteUserData(key: string): boolean {
    this.#checkKey(key);
    return this.#userData.delete(key);
  }

  #checkKey(key: unknown): void {
    if (typeof key !== 'string' || key.length === 0) throw bad(`user-data key ${JSON.stringify(key)} must be a non-empty string`);
  }

  slotState(slot: number): SlotState {
    return this.#slotAt(slot).state;
  }

  // ---- producer ------------------------------------------------------------------------------

  producerConnect(options: ProducerConnectOptions): ConnectResult {
    this.#checkAlive('connect producer');
    if (!this.#consumer) throw new StratumError('NO_INIT', `${this.#name}: no consumer is connected`);
    if (this.#producer) throw bad(`${this.#name}: producer '${this.#producer.label}' is already connected`);
    this.#producer = { listener: options.listener ?? {}, label: options.label ?? 'producer' };
    this.#bufferHasBeenQueued = false;
    return {
      width: this.#defaultWidth,
      height: this.#defaultHeight,
      transformHint: this.#transformHint,
      pendingFrames: this.#queue.length,
      nextFrameNumber: this.#frameCounter + 1,
      maxBufferCount: this.maxBufferCount,
    };
  }

  producerDisconnect(): void {
    if (!this.#producer || this.#abandoned) return;
    this.#producer = undefined;
    const released: number[] = [];
    const shared = this.#sharedSlot;
    if (shared) {
      this.#sharedSlot = undefined;
      shared.sharedDequeues = 0;
      if (shared.sharedAcquires > 0) shared.state = SlotState.ACQUIRED;
      else if (this.#queue.some((item) => item.slot === shared.index)) shared.state = SlotState.QUEUED;
      else shared.state = SlotState.FREE;
      shared.sharedAcquires = 0;
    }
    for (const slot of this.#slots) {
      if (slot.state === SlotState.DEQUEUED) slot.state = SlotState.FREE;
      if (slot.state === SlotState.FREE && slot.buffer) {
        this.#clearSlot(slot);
        released.push(slot.index);
      }
      // The consumer must take queued buffers anew: they belong to no producer now.
      if (slot.state === SlotState.QUEUED) slot.acquireCalled = false;
    }
    for (const item of this.#queue) item.isStale = true;
    this.#releaseAllPending = true;
    this.#rejectWaiters(new StratumError('NO_INIT', `${this.#name}: the producer disconnected while dequeue waited`));
    const consumer = this.#consumer;
    if (released.length > 0) notify(() => consumer?.onBuffersReleased?.(released));
    notify(() => consumer?.onProducerDisconnected?.());
  }

  dequeue(request: DequeueRequest): Promise<DequeueResult> {
    try {
      this.#checkProducer('dequeue');
      const resolved = this.#resolveRequest(request);
      if (this.#waiters.length === 0) {
        const result = this.#tryDequeue(resolved);
        if (result) return Promise.resolve(result);
      }
      if (resolved.timeout === 0) {
        throw new StratumError('TIMED_OUT', `${this.#name}: no free slot and the dequeue timeout is 0 ms`);
      }
      return new Promise<DequeueResult>((resolve, reject) => {
        const waiter: Waiter = { request, resolve, reject, timer: undefined };
        if (resolved.timeout !== Infinity) {
          waiter.timer = setTimeout(() => {
            this.#removeWaiter(waiter);
            reject(new StratumError('TIMED_OUT', `${this.#name}: no free slot within ${resolved.timeout} ms (${this.#describeCounts()})`));
          }, resolved.timeout);
        }
        this.#waiters.push(waiter);
      });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(show(error)));
    }
  }

  /** A slot this instant, or undefined when none is free (or earlier dequeues wait); never waits. */
  tryDequeue(request: DequeueRequest): DequeueResult | undefined {
    this.#checkProducer('dequeue');
    const resolved = this.#resolveRequest(request);
    return this.#waiters.length === 0 ? this.#tryDequeue(resolved) : undefined;
  }

  queue(slotIndex: number, input: QueueInput): QueueOutput {
    this.#checkProducer('queue');
    const slot = this.#slotAt(slotIndex);
    const isShared = slot === this.#sharedSlot;
    if (isShared ? slot.sharedDequeues === 0 : slot.state !== SlotState.DEQUEUED) {
      throw bad(`${this.#name}: queue of slot ${slot.index} which is ${slot.state}, not dequeued`);
    }
    const buffer = slot.buffer;
    if (!buffer) throw new StratumError('INVALID_OPERATION', `${this.#name}: slot ${slot.index} holds no buffer`);
    if (typeof input !== 'object' || input === null) throw bad(`queue input ${String(input)} is not an object`);
    const fence = checkFence('acquire fence', input.fence);
    const transform = input.transform === undefined ? Transform.NONE : checkTransform(input.transform);
    const scalingMode = input.scalingMode ?? 0;
    if (!isScalingMode(scalingMode)) throw bad(`scaling mode ${String(scalingMode)} is not one of 0..3`);
    const whole = bufferBounds(buffer);
    let crop = EMPTY_RECT;
    if (input.crop !== undefined) {
      crop = checkRectShape('crop', input.crop);
      if (!rectContains(whole, crop)) throw bad(`crop ${describeRect(crop)} does not lie inside the ${buffer.width}x${buffer.height} buffer`);
    }
    let damage: readonly Rect[] = [whole];
    if (input.damage !== undefined) {
      if (!Array.isArray(input.damage)) throw bad(`damage ${show(input.damage)} is not a list of rectangles`);
      const rects = input.damage.map((r, i) => checkRectShape(`damage[${i}]`, r));
      if (rects.length > 0) damage = mergeDamage(rects, [], whole);
    }
    const timestamp = input.timestamp === undefined ? undefined : checkTime('timestamp', input.timestamp);
    const desiredPresentTime = input.desiredPresentTime === undefined ? undefined : checkTime('desired present time', input.desiredPresentTime);

    this.#frameCounter += 1;
    const frameNumber = this.#frameCounter;
    const presentTime = desiredPresentTime ?? timestamp ?? monotonicNow();
    const last = this.#queue[this.#queue.length - 1];
    // Mailbox: the new frame takes the waiting one's place; the waiting one's area must be redrawn too.
    const replaced = last?.droppable === true;
    const item: QueuedItem = {
      slot: slot.index,
      frameNumber,
      fence,
      timestamp,
      desiredPresentTime,
      presentTime,
      isAutoTimestamp: desiredPresentTime === undefined && timestamp === undefined,
      damage: replaced ? mergeDamage(last.damage, damage, whole) : damage,
      crop,
      transform,
      scalingMode,
      droppable: this.#asyncMode || isShared,
      isStale: false,
    };
    slot.frameNumber = frameNumber;
    if (isShared) slot.sharedDequeues -= 1;
    else slot.state = SlotState.QUEUED;
    this.#bufferHasBeenQueued = true;
    if (replaced) {
      this.#queue[this.#queue.length - 1] = item;
      const lastSlot = this.#slots[last.slot];
      if (lastSlot && lastSlot !== slot && lastSlot.state === SlotState.QUEUED) this.#toFree(lastSlot, NO_FENCE);
    } else {
      this.#queue.push(item);
    }
    const output: QueueOutput = {
      frameNumber,
      nextFrameNumber: frameNumber + 1,
      bufferReplaced: replaced,
      pendingFrames: this.#queue.length,
      width: this.#defaultWidth,
      height: this.#defaultHeight,
      transformHint: this.#transformHint,
    };
    const info = frameInfo(item);
    if (replaced) {
      this.#serveWaiters();
      const consumer = this.#consumer;
      notify(() => consumer?.onFrameReplaced?.(info));
    } else {
      const consumer = this.#consumer;
      notify(() => consumer?.onFrameAvailable?.(info));
    }
    return output;
  }

  cancel(slotIndex: number, fenceArg: Fence | undefined): void {
    this.#checkProducer('cancel');
    const slot = this.#slotAt(slotIndex);
    const fence = checkFence('cancel fence', fenceArg);
    if (this.#sharedBufferMode) throw bad(`${this.#name}: cancel of slot ${slot.index} in shared-buffer mode`);
    if (slot.state !== SlotState.DEQUEUED) throw bad(`${this.#name}: cancel of slot ${slot.index} which is ${slot.state}, not dequeued`);
    this.#toFree(slot, fence);
    this.#serveWaiters();
  }

  producerDetach(slotIndex: number): GraphicBuffer {
    this.#checkProducer('detach');
    const slot = this.#slotAt(slotIndex);
    if (this.#sharedBufferMode) throw bad(`${this.#name}: detach of slot ${slot.index} in shared-buffer mode`);
    if (slot.state !== SlotState.DEQUEUED || !slot.buffer) throw bad(`${this.#name}: producer detach of slot ${slot.index} which is ${slot.state}, not dequeued`);
    return this.#detach(slot, slot.buffer);
  }

  producerAttach(buffer: GraphicBuffer): number {
    this.#checkProducer('attach');
    this.#checkAttachable(buffer);
    if (this.#bufferHasBeenQueued && this.#count(SlotState.DEQUEUED) >= this.maxDequeued) {
      throw new StratumError('INVALID_OPERATION', `${this.#name}: attach would hold more than ${this.maxDequeued} dequeued buffers`);
    }
    const slot = this.#slotForAttach();
    if (!slot) throw new StratumError('WOULD_BLOCK', `${this.#name}: no free slot to attach buffer ${buffer.id} (${this.#describeCounts()})`);
    slot.buffer = buffer;
    slot.state = SlotState.DEQUEUED;
    slot.frameNumber = 0;
    slot.needsReallocation = false;
    slot.acquireCalled = false;
    slot.fence = NO_FENCE;
    return slot.index;
  }

  setMaxDequeued(count: number): void {
    this.#checkAlive('set max dequeued');
    checkCount('max dequeued buffers', count, 1, MAX_QUEUE_SIZE - 1);
    const dequeued = this.#count(SlotState.DEQUEUED);
    if (count < dequeued) throw bad(`max dequeued ${count} is below the ${dequeued} buffers dequeued now`);
    this.#maxDequeuedExplicit = count;
    this.#countsChanged();
  }

  setAsyncMode(enabled: boolean): void {
    this.#checkAlive('set async mode');
    this.#asyncMode = enabled === true;
    this.#countsChanged();
  }

  setWhenFull(policy: WhenFull): void {
    this.#checkAlive('set when-full policy');
    if (policy !== 'wait' && policy !== 'fail' && policy !== 'take-oldest-queued') {
      throw bad(`when-full policy ${String(policy)} is not 'wait', 'fail' or 'take-oldest-queued'`);
    }
    this.#whenFull = policy;
    this.#countsChanged();
  }

  setDequeueTimeout(ms: number): void {
    this.#checkAlive('set dequeue timeout');
    this.#dequeueTimeout = checkTimeout('dequeue timeout', ms);
  }

  setSharedBufferMode(enabled: boolean): void {
    this.#checkAlive('set shared-buffer mode');
    if (enabled === this.#sharedBufferMode) return;
    this.#sharedBufferMode = enabled === true;
    const shared = this.#sharedSlot;
    if (this.#sharedBufferMode || !shared) return;
    const queued = this.#queue.some((item) => item.slot === shared.index);
    const holders = (shared.sharedDequeues > 0 ? 1 : 0) + (shared.sharedAcquires > 0 ? 1 : 0) + (queued ? 1 : 0);
    if (holders > 1) {
      this.#sharedBufferMode = true;
      throw new StratumError('INVALID_OPERATION', `${this.#name}: shared slot ${shared.index} is held by both sides; release it before leaving shared mode`);
    }
    this.#sharedSlot = undefined;
    if (shared.sharedDequeues > 0) shared.state = SlotState.DEQUEUED;
    else if (shared.sharedAcquires > 0) shared.state = SlotState.ACQUIRED;
    else if (queued) shared.state = SlotState.QUEUED;
    else this.#toFree(shared, shared.fence);
    shared.sharedDequeues = 0;
    shared.sharedAcquires = 0;
    this.#serveWaiters();
  }

  setAutoRefresh(enabled: boolean): void {
    this.#checkAlive('set auto-refresh');
    this.#autoRefresh = enabled === true;
  }

  // ---- consumer ------------------------------------------------------------------------------

  consumerConnect(listener: ConsumerListener): void {
    this.#checkAlive('connect consumer');
    if (typeof listener !== 'object' || listener === null) throw bad(`consumer listener ${String(listener)} is not an object`);
    if (this.#consumer) throw new StratumError('INVALID_OPERATION', `${this.#name}: a consumer is already connected`);
    this.#consumer = listener;
  }

  consumerDisconnect(): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    this.#consumer = undefined;
    this.#producer = undefined;
    this.#queue = [];
    this.#sharedSlot = undefined;
    for (const slot of this.#slots) {
      slot.state = SlotState.FREE;
      slot.sharedDequeues = 0;
      slot.sharedAcquires = 0;
      this.#clearSlot(slot);
    }
    this.#rejectWaiters(new StratumError('ABANDONED', `${this.#name} was abandoned while dequeue waited`));
  }

  acquire(options: AcquireOptions): AcquiredFrame {
    this.#checkConsumer('acquire');
    const presentTime = options.presentTime === undefined ? undefined : checkTime('present time', options.presentTime);
    const held = this.#acquiredCount();
    if (held >= this.#maxAcquired + 1) {
      throw new StratumError('INVALID_OPERATION', `${this.#name}: the consumer already holds ${held} buffers (max acquired ${this.#maxAcquired} + 1)`);
    }
    const shared = this.#sharedSlot;
    if (this.#queue.length === 0 && shared && this.#autoRefresh && shared.frameNumber > 0 && shared.buffer) {
      shared.sharedAcquires += 1;
      const isNew = !shared.acquireCalled;
      shared.acquireCalled = true;
      return {
        slot: shared.index,
        frameNumber: shared.frameNumber,
        presentTime: monotonicNow(),
        isAutoTimestamp: true,
        buffer: shared.buffer,
        bufferIsNew: isNew,
        fence: NO_FENCE,
        timestamp: undefined,
        desiredPresentTime: undefined,
        damage: [],
        crop: EMPTY_RECT,
        transform: Transform.NONE,
        scalingMode: 0,
        droppedFrames: 0,
        queuedBuffer: false,
        autoRefresh: true,
        isStale: false,
      };
    }
    this.#dropLostFrames();
    if (this.#queue.length === 0) throw new StratumError('NO_BUFFER_AVAILABLE', `${this.#name}: no frame is queued`);

    const dropped: Slot[] = [];
    if (presentTime !== undefined) {
      // Drop the head while the next frame is due too (and not absurdly old): show the newest due one.
      while (this.#queue.length > 1 && !this.#queue[0]!.isAutoTimestamp) {
        const next = this.#queue[1]!;
        if (next.presentTime > presentTime || next.presentTime < presentTime - MAX_REASONABLE_PRESENT_DELAY_MS) break;
        const head = this.#queue.shift()!;
        const slot = this.#slots[head.slot]!;
        if (slot !== this.#sharedSlot && slot.state === SlotState.QUEUED) {
          this.#toFree(slot, NO_FENCE);
          dropped.push(slot);
        }
      }
      const head = this.#queue[0]!;
      const due = head.presentTime <= presentTime || head.presentTime > presentTime + MAX_REASONABLE_PRESENT_DELAY_MS;
      if (!due) {
        this.#afterDrops(dropped);
        throw new StratumError(
          'PRESENT_LATER',
          `${this.#name}: frame ${head.frameNumber} is due at ${head.presentTime.toFixed(3)} ms, after present time ${presentTime.toFixed(3)} ms`,
        );
      }
    }
    const item = this.#queue.shift()!;
    const slot = this.#slots[item.slot]!;
    const buffer = slot.buffer;
    if (!buffer) throw new StratumError('INVALID_OPERATION', `${this.#name}: queued slot ${slot.index} lost its buffer`);
    if (slot === this.#sharedSlot) slot.sharedAcquires += 1;
    else slot.state = SlotState.ACQUIRED;
    const bufferIsNew = !slot.acquireCalled;
    slot.acquireCalled = true;
    const frame: AcquiredFrame = {
      slot: item.slot,
      frameNumber: item.frameNumber,
      presentTime: item.presentTime,
      isAutoTimestamp: item.isAutoTimestamp,
      buffer,
      bufferIsNew,
      fence: item.fence,
      timestamp: item.timestamp,
      desiredPresentTime: item.desiredPresentTime,
      damage: item.damage,
      crop: item.crop,
      transform: item.transform,
      scalingMode: item.scalingMode,
      droppedFrames: dropped.length,
      queuedBuffer: true,
      autoRefresh: false,
      isStale: item.isStale,
    };
    this.#afterDrops(dropped);
    return frame;
  }

  release(slotIndex: number, frameNumber: number, fenceArg: Fence | undefined): void {
    this.#checkConsumer('release');
    const slot = this.#slotAt(slotIndex);
    if (typeof frameNumber !== 'number' || !Number.isInteger(frameNumber) || frameNumber < 0) {
      throw bad(`release of slot ${slot.index}: frame number ${String(frameNumber)} is not a non-negative integer`);
    }
    const fence = checkFence('release fence', fenceArg);
    const isShared = slot === this.#sharedSlot;
    // Android's order: a mismatched frame number means the slot moved on (the consumer's cached
    // buffer for it is stale), whatever its state now.
    if (!isShared && frameNumber !== slot.frameNumber) {
      throw new StratumError('STALE_BUFFER_SLOT', `${this.#name}: release of slot ${slot.index} frame ${frameNumber}, but the slot holds frame ${slot.frameNumber}`);
    }
    if (isShared) {
      if (slot.sharedAcquires === 0) throw bad(`${this.#name}: release of shared slot ${slot.index} which is not acquired`);
      slot.sharedAcquires -= 1;
      slot.fence = fence;
    } else {
      if (slot.state !== SlotState.ACQUIRED) throw bad(`${this.#name}: release of slot ${slot.index} which is ${slot.state}, not acquired`);
      this.#toFree(slot, fence);
    }
    this.#serveWaiters();
    const listener = this.#producer?.listener;
    notify(() => listener?.onBufferReleased?.(slot.index, fence));
  }

  consumerDetach(slotIndex: number): GraphicBuffer {
    this.#checkConsumer('detach');
    const slot = this.#slotAt(slotIndex);
    if (this.#sharedBufferMode) throw bad(`${this.#name}: consumer detach of slot ${slot.index} in shared-buffer mode`);
    if (slot.state !== SlotState.ACQUIRED || !slot.buffer) throw bad(`${this.#name}: consumer detach of slot ${slot.index} which is ${slot.state}, not acquired`);
    return this.#detach(slot, slot.buffer);
  }

  consumerAttach(buffer: GraphicBuffer): number {
    this.#checkConsumer('attach');
    this.#checkAttachable(buffer);
    const held = this.#acquiredCount();
    if (held >= this.#maxAcquired + 1) {
      throw new StratumError('INVALID_OPERATION', `${this.#name}: attach would hold more than ${this.#maxAcquired + 1} acquired buffers`);
    }
    const slot = this.#slotForAttach();
    if (!slot) throw new StratumError('NO_MEMORY', `${this.#name}: no free slot to attach buffer ${buffer.id} (${this.#describeCounts()})`);
    slot.buffer = buffer;
    slot.state = SlotState.ACQUIRED;
    slot.frameNumber = 0;
    slot.needsReallocation = true;
    slot.acquireCalled = true;
    slot.fence = NO_FENCE;
    return slot.index;
  }

  setQueueSize(size: number): void {
    this.#checkAlive('set queue size');
    this.#queueSize = checkCount('queue size', size, 1, MAX_QUEUE_SIZE);
    this.#countsChanged();
  }

  setMaxAcquired(count: number): void {
    this.#checkAlive('set max acquired');
    checkCount('max acquired buffers', count, 1, MAX_MAX_ACQUIRED);
    if (this.#producer) throw new StratumError('INVALID_OPERATION', `${this.#name}: max acquired can change only while no producer is connected`);
    this.#maxAcquired = count;
    this.#countsChanged();
  }

  setDefaultBufferSize(width: number, height: number): void {
    this.#checkAlive('set default size');
    this.#defaultWidth = checkCount('default width', width, 1, MAX_BUFFER_SIDE);
    this.#defaultHeight = checkCount('default height', height, 1, MAX_BUFFER_SIDE);
  }

  setDefaultFormat(format: PixelFormat): void {
    this.#checkAlive('set default format');
    if (!isPixelFormat(format)) throw bad(`default format ${String(format)} is not a known pixel format`);
    this.#defaultFormat = format;
  }

  setConsumerUsage(usage: UsageBits): void {
    this.#checkAlive('set consumer usage');
    this.#consumerUsage = checkUsageBits('consumer usage', usage);
  }

  setTransformHint(transform: Transform): void {
    this.#checkAlive('set transform hint');
    this.#transformHint = checkTransform(transform);
  }

  discardFreeBuffers(): void {
    this.#checkAlive('discard free buffers');
    const discarded: number[] = [];
    for (const slot of this.#slots) {
      if (slot.state === SlotState.FREE && slot.buffer) {
        this.#clearSlot(slot);
        discarded.push(slot.index);
      }
    }
    const listener = this.#producer?.listener;
    if (discarded.length > 0) notify(() => listener?.onBuffersDiscarded?.(discarded));
  }

  // ---- dump ----------------------------------------------------------------------------------

  dump(): BufferQueueDump {
    const counts = { FREE: 0, DEQUEUED: 0, QUEUED: 0, ACQUIRED: 0, SHARED: 0, buffers: 0, waitingDequeues: this.#waiters.length };
    const slots: SlotDump[] = [];
    for (const slot of this.#slots) {
      counts[slot.state] += 1;
      if (slot.buffer) counts.buffers += 1;
      if (slot.state === SlotState.FREE && !slot.buffer) continue;
      const b = slot.buffer;
      slots.push({
        slot: slot.index,
        state: slot.state,
        frameNumber: slot.frameNumber,
        ...(b ? { buffer: { id: b.id, width: b.width, height: b.height, stride: b.stride, format: formatName(b.format) } } : {}),
      });
    }
    return {
      id: this.id,
      name: this.#name,
      abandoned: this.#abandoned,
      producer: this.#producer?.label,
      consumerConnected: this.#consumer !== undefined,
      queueSize: this.#queueSize,
      maxBufferCount: this.maxBufferCount,
      maxAcquired: this.#maxAcquired,
      maxDequeued: this.maxDequeued,
      asyncMode: this.#asyncMode,
      whenFull: this.#whenFull,
      dequeueTimeout: this.#dequeueTimeout,
      sharedBufferMode: this.#sharedBufferMode,
      autoRefresh: this.#autoRefresh,
      defaultWidth: this.#defaultWidth,
      defaultHeight: this.#defaultHeight,
      defaultFormat: formatName(this.#defaultFormat),
      transformHint: this.#transformHint,
      frameCounter: this.#frameCounter,
      counts,
      queue: this.#queue.map(frameInfo),
      slots,
      userDataKeys: this.#userData.size,
    };
  }

  // ---- internals -----------------------------------------------------------------------------

  #checkAlive(what: string): void {
    if (this.#abandoned) throw new StratumError('ABANDONED', `${this.#name} has been abandoned (consumer gone): cannot ${what}`);
  }

  #checkProducer(what: string): void {
    this.#checkAlive(what);
    if (!this.#producer) throw new StratumError('NO_INIT', `${this.#name}: no producer is connected, cannot ${what}`);
  }

  #checkConsumer(what: string): void {
    this.#checkAlive(what);
    if (!this.#consumer) throw new StratumError('NO_INIT', `${this.#name}: no consumer is connected, cannot ${what}`);
  }

  #slotAt(index: number): Slot {
    const slot = typeof index === 'number' && Number.isInteger(index) ? this.#slots[index] : undefined;
    if (!slot) throw bad(`slot ${String(index)} is outside 0..${MAX_QUEUE_SIZE - 1}`);
    return slot;
  }

  #count(state: SlotState): number {
    let n = 0;
    for (const slot of this.#slots) if (slot.state === state) n += 1;
    return n;
  }

  #acquiredCount(): number {
    const shared = this.#sharedSlot;
    return this.#count(SlotState.ACQUIRED) + (shared && shared.sharedAcquires > 0 ? 1 : 0);
  }

  #activeCount(): number {
    return MAX_QUEUE_SIZE - this.#count(SlotState.FREE);
  }

  #describeCounts(): string {
    return `${this.#count(SlotState.DEQUEUED)} dequeued, ${this.#queue.length} queued, ${this.#acquiredCount()} acquired of ${this.maxBufferCount} slots`;
  }

  #resolveRequest(request: DequeueRequest): ResolvedRequest {
    if (typeof request !== 'object' || request === null) throw bad(`dequeue request ${String(request)} is not an object`);
    let width = request.width ?? 0;
    let height = request.height ?? 0;
    if ((width === 0) !== (height === 0)) throw bad(`dequeue of ${String(width)}x${String(height)}: width and height must both be 0 (default size) or both set`);
    if (width === 0) {
      width = this.#defaultWidth;
      height = this.#defaultHeight;
    }
    checkCount('dequeue width', width, 1, MAX_BUFFER_SIDE);
    checkCount('dequeue height', height, 1, MAX_BUFFER_SIDE);
    const format = request.format ?? this.#defaultFormat;
    if (!isPixelFormat(format)) throw bad(`dequeue format ${String(format)} is not a known pixel format`);
    const usage = checkUsageBits('dequeue usage', request.usage ?? 0) | this.#consumerUsage;
    const timeout = request.timeout === undefined ? this.#dequeueTimeout : checkTimeout('dequeue timeout', request.timeout);
    const spec: BufferSpec =
      request.strideAlignment === undefined ? { width, height, format, usage } : { width, height, format, usage, strideAlignment: request.strideAlignment };
    return { spec, timeout };
  }

  /** Takes a slot now, or returns undefined when the caller must wait. Throws on every other outcome. */
  #tryDequeue({ spec }: ResolvedRequest): DequeueResult | undefined {
    const shared = this.#sharedSlot;
    if (this.#sharedBufferMode && shared?.buffer) {
      if (!matches(shared.buffer, spec)) {
        throw bad(`${this.#name}: shared buffer is ${shared.buffer.width}x${shared.buffer.height} ${formatName(shared.buffer.format)} and cannot be reallocated to ${spec.width}x${spec.height} ${formatName(spec.format)}`);
      }
      shared.sharedDequeues += 1;
      return this.#dequeueResult(shared, false);
    }
    const dequeued = this.#count(SlotState.DEQUEUED);
    if (this.#bufferHasBeenQueued && dequeued >= this.maxDequeued) {
      throw new StratumError('INVALID_OPERATION', `${this.#name}: the producer already holds ${dequeued} dequeued buffers (max dequeued ${this.maxDequeued})`);
    }
    let slot = this.#findFreeSlot(spec);
    if (!slot) {
      if (this.#whenFull === 'wait') return undefined;
      if (this.#whenFull === 'take-oldest-queued') slot = this.#takeBackOldestQueued();
      if (!slot) throw new StratumError('WOULD_BLOCK', `${this.#name}: no free slot (${this.#describeCounts()})`);
    }
    let fresh = false;
    // A buffer disposed outside the queue (its owner was reclaimed) is gone: allocate anew.
    if (slot.buffer?.disposed) this.#clearSlot(slot);
    if (!slot.buffer || !matches(slot.buffer, spec)) {
      if (slot.buffer) this.#clearSlot(slot);
      slot.buffer = this.#allocate(spec);
      fresh = true;
    }
    slot.state = SlotState.DEQUEUED;
    if (this.#sharedBufferMode) {
      slot.state = SlotState.SHARED;
      slot.sharedDequeues = 1;
      this.#sharedSlot = slot;
    }
    return this.#dequeueResult(slot, fresh);
  }

  #dequeueResult(slot: Slot, fresh: boolean): DequeueResult {
    const buffer = slot.buffer;
    if (!buffer) throw new StratumError('INVALID_OPERATION', `${this.#name}: slot ${slot.index} has no buffer`);
    const needsReallocation = fresh || slot.needsReallocation;
    slot.needsReallocation = false;
    if (fresh) {
      slot.frameNumber = 0;
      slot.acquireCalled = false;
    }
    const releaseAllBuffers = this.#releaseAllPending;
    this.#releaseAllPending = false;
    const fence = slot.fence;
    slot.fence = NO_FENCE;
    const bufferAge = slot.frameNumber > 0 ? this.#frameCounter + 1 - slot.frameNumber : 0;
    return { slot: slot.index, buffer, needsReallocation, releaseAllBuffers, bufferAge, fence };
  }

  /** A FREE slot within the count: a matching buffer (least recently freed), else an empty slot, else any buffer. */
  #findFreeSlot(spec: BufferSpec): Slot | undefined {
    const limit = this.maxBufferCount;
    if (this.#activeCount() >= limit) return undefined;
    let matching: Slot | undefined;
    let empty: Slot | undefined;
    let other: Slot | undefined;
    for (let i = 0; i < limit; i += 1) {
      const slot = this.#slots[i]!;
      if (slot.state !== SlotState.FREE) continue;
      if (!slot.buffer) empty ??= slot;
      else if (matches(slot.buffer, spec)) {
        if (!matching || slot.freedAt < matching.freedAt) matching = slot;
      } else if (!other || slot.freedAt < other.freedAt) other = slot;
    }
    return matching ?? empty ?? other;
  }

  /** Queued frames whose buffer was disposed outside the queue (its owner reclaimed) cannot be shown. */
  #dropLostFrames(): void {
    for (let i = 0; i < this.#queue.length; ) {
      const slot = this.#slots[this.#queue[i]!.slot]!;
      if (slot.buffer && !slot.buffer.disposed) {
        i += 1;
        continue;
      }
      this.#queue.splice(i, 1);
      if (slot !== this.#sharedSlot) {
        this.#clearSlot(slot);
        this.#toFree(slot, NO_FENCE);
      }
    }
  }

  #takeBackOldestQueued(): Slot | undefined {
    const index = this.#queue.findIndex((item) => this.#slots[item.slot]?.state === SlotState.QUEUED);
    if (index < 0) return undefined;
    const [item] = this.#queue.splice(index, 1);
    const slot = this.#slots[item!.slot]!;
    this.#toFree(slot, item!.fence);
    return slot;
  }

  #slotForAttach(): Slot | undefined {
    const limit = this.maxBufferCount;
    if (this.#activeCount() >= limit) return undefined;
    let withBuffer: Slot | undefined;
    for (let i = 0; i < limit; i += 1) {
      const slot = this.#slots[i]!;
      if (slot.state !== SlotState.FREE) continue;
      if (!slot.buffer) return slot;
      if (!withBuffer || slot.freedAt < withBuffer.freedAt) withBuffer = slot;
    }
    if (withBuffer) this.#clearSlot(withBuffer);
    return withBuffer;
  }

  /** Slot -> FREE and empty; the caller owns the buffer now. */
  #detach(slot: Slot, buffer: GraphicBuffer): GraphicBuffer {
    slot.buffer = undefined;
    this.#clearSlot(slot);
    this.#toFree(slot, NO_FENCE);
    this.#serveWaiters();
    return buffer;
  }

  #checkAttachable(buffer: GraphicBuffer): void {
    if (!(buffer instanceof GraphicBuffer)) throw bad(`attach of ${String(buffer)}: not a GraphicBuffer`);
    if (buffer.disposed) throw bad(`attach of buffer ${buffer.id}: it has been disposed`);
    if (this.#sharedBufferMode) throw bad(`${this.#name}: attach of buffer ${buffer.id} in shared-buffer mode`);
    const holder = this.#slots.find((slot) => slot.buffer === buffer);
    if (holder) throw bad(`${this.#name}: buffer ${buffer.id} is already in slot ${holder.index}`);
  }

  /** Slot -> FREE, keeping its buffer for reuse unless nobody can reuse it. */
  #toFree(slot: Slot, fence: Fence): void {
    slot.state = SlotState.FREE;
    slot.fence = fence;
    this.#freeClock += 1;
    slot.freedAt = this.#freeClock;
    if (!this.#producer || slot.index >= this.maxBufferCount) this.#clearSlot(slot);
  }

  /** Frees the slot's buffer (if any) and forgets everything about it. */
  #clearSlot(slot: Slot): void {
    const buffer = slot.buffer;
    slot.buffer = undefined;
    slot.frameNumber = 0;
    slot.acquireCalled = false;
    slot.needsReallocation = false;
    slot.fence = NO_FENCE;
    if (buffer) this.#free(buffer);
  }

  #afterDrops(dropped: readonly Slot[]): void {
    if (dropped.length === 0) return;
    this.#serveWaiters();
    const listener = this.#producer?.listener;
    for (const slot of dropped) notify(() => listener?.onBufferReleased?.(slot.index, NO_FENCE));
  }

  /** After a count or mode change: free FREE buffers beyond the count, then let waiters retry. */
  #countsChanged(): void {
    const limit = this.maxBufferCount;
    const discarded: number[] = [];
    for (let i = limit; i < MAX_QUEUE_SIZE; i += 1) {
      const slot = this.#slots[i]!;
      if (slot.state === SlotState.FREE && slot.buffer) {
        this.#clearSlot(slot);
        discarded.push(i);
      }
    }
    this.#serveWaiters();
    const listener = this.#producer?.listener;
    if (discarded.length > 0) notify(() => listener?.onBuffersDiscarded?.(discarded));
  }

  #serveWaiters(): void {
    while (this.#waiters.length > 0) {
      const waiter = this.#waiters[0]!;
      let result: DequeueResult | undefined;
      try {
        result = this.#tryDequeue(this.#resolveRequest(waiter.request));
      } catch (error) {
        this.#removeWaiter(waiter);
        waiter.reject(error);
        continue;
      }
      if (!result) return;
      this.#removeWaiter(waiter);
      waiter.resolve(result);
    }
  }

  #removeWaiter(waiter: Waiter): void {
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.timer = undefined;
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }

  #rejectWaiters(error: StratumError): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}

/**
 * Runs a listener. The queue's state is already final, so a throwing listener must not turn the
 * caller's successful call into an error (a client would think its frame was lost): the error is
 * rethrown on its own, where it stays loud (an uncaught exception) without corrupting anything.
 */
function notify(call: () => void): void {
  try {
    call();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** OpenHarmony's reuse rule: only width, height, format and usage must match. */
function matches(buffer: GraphicBuffer, spec: BufferSpec): boolean {
  return buffer.width === spec.width && buffer.height === spec.height && buffer.format === spec.format && buffer.usage === spec.usage;
}

function frameInfo(item: QueuedItem): FrameInfo {
  return { slot: item.slot, frameNumber: item.frameNumber, presentTime: item.presentTime, isAutoTimestamp: item.isAutoTimestamp };
}
