// QueueCore: the slot state machine behind BufferQueue's faces. (API commit: bodies follow.)
import type { GraphicBuffer, PixelFormat, Transform, UsageBits } from '../buffer/index.js';
import { StratumError } from '../os/status.js';
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

function notImplemented(): never {
  throw new StratumError('UNSUPPORTED', 'BufferQueue: not implemented yet');
}

export class QueueCore {
  readonly id = 0;
  readonly name = '';
  readonly abandoned = false;
  readonly producerConnected = false;
  readonly consumerConnected = false;
  readonly maxBufferCount = 0;
  readonly frameCounter = 0;
  readonly pendingFrames = 0;
  readonly queueSize = 0;
  constructor(_options: BufferQueueOptions) {}
  setName(_name: string): void { notImplemented(); }
  setUserData(_key: string, _value: string): boolean { notImplemented(); }
  getUserData(_key: string): string | undefined { notImplemented(); }
  deleteUserData(_key: string): boolean { notImplemented(); }
  slotState(_slot: number): SlotState { notImplemented(); }
  dump(): BufferQueueDump { notImplemented(); }
  producerConnect(_options: ProducerConnectOptions): ConnectResult { notImplemented(); }
  producerDisconnect(): void { notImplemented(); }
  dequeue(_request: DequeueRequest): Promise<DequeueResult> { notImplemented(); }
  queue(_slot: number, _input: QueueInput): QueueOutput { notImplemented(); }
  cancel(_slot: number, _fence: Fence | undefined): void { notImplemented(); }
  producerDetach(_slot: number): GraphicBuffer { notImplemented(); }
  producerAttach(_buffer: GraphicBuffer): number { notImplemented(); }
  setMaxDequeued(_count: number): void { notImplemented(); }
  setAsyncMode(_enabled: boolean): void { notImplemented(); }
  setWhenFull(_policy: WhenFull): void { notImplemented(); }
  setDequeueTimeout(_ms: number): void { notImplemented(); }
  setSharedBufferMode(_enabled: boolean): void { notImplemented(); }
  setAutoRefresh(_enabled: boolean): void { notImplemented(); }
  consumerConnect(_listener: ConsumerListener): void { notImplemented(); }
  consumerDisconnect(): void { notImplemented(); }
  acquire(_options: AcquireOptions): AcquiredFrame { notImplemented(); }
  release(_slot: number, _frameNumber: number, _fence: Fence | undefined): void { notImplemented(); }
  consumerDetach(_slot: number): GraphicBuffer { notImplemented(); }
  consumerAttach(_buffer: GraphicBuffer): number { notImplemented(); }
  setQueueSize(_size: number): void { notImplemented(); }
  setMaxAcquired(_count: number): void { notImplemented(); }
  setDefaultBufferSize(_width: number, _height: number): void { notImplemented(); }
  setDefaultFormat(_format: PixelFormat): void { notImplemented(); }
  setConsumerUsage(_usage: UsageBits): void { notImplemented(); }
  setTransformHint(_transform: Transform): void { notImplemented(); }
  discardFreeBuffers(): void { notImplemented(); }
}
