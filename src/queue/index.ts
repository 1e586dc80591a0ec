// BufferQueue: slots, states, producer and consumer faces, modes, fences, listeners.
export { BufferQueue, BufferProducer, BufferConsumer } from './buffer-queue.js';
export { Fence, NO_FENCE, monotonicNow } from './fence.js';
export * from './types.js';
