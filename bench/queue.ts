// In-process BufferQueue throughput: dequeue -> queue -> acquire -> release cycles per second,
// in sync (FIFO) and mailbox (async) modes, with real memfd buffers from a BufferAllocator.
import { BufferAllocator } from '../src/buffer/index.js';
import { BufferQueue } from '../src/queue/index.js';
import { report, round, summarize } from './lib/report.js';
import type { BenchResult } from './lib/report.js';

const CYCLES_PER_SAMPLE = 20_000;
const SAMPLES = 9;

async function measure(mode: 'sync' | 'mailbox'): Promise<BenchResult> {
  const allocator = new BufferAllocator();
  const queue = new BufferQueue({ allocate: (spec) => allocator.allocate('bench', spec), defaultWidth: 1080, defaultHeight: 2400 });
  const { producer, consumer } = queue;
  consumer.connect();
  producer.connect();
  producer.setAsyncMode(mode === 'mailbox');
  // Mailbox: the producer queues two frames per acquire, so one is replaced each cycle.
  const framesPerAcquire = mode === 'mailbox' ? 2 : 1;
  const cycle = async (): Promise<void> => {
    for (let i = 0; i < framesPerAcquire; i += 1) {
      const d = await producer.dequeue();
      producer.queue(d.slot);
    }
    const frame = consumer.acquire();
    consumer.release(frame.slot, frame.frameNumber);
  };
  for (let i = 0; i < 2000; i += 1) await cycle();
  const rates: number[] = [];
  for (let s = 0; s < SAMPLES; s += 1) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CYCLES_PER_SAMPLE; i += 1) await cycle();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(CYCLES_PER_SAMPLE / seconds);
  }
  const buffers = allocator.usage('bench').buffers;
  consumer.disconnect();
  const { median, min } = summarize(rates);
  return {
    case: mode,
    metric: 'cycles_per_s',
    median: round(median, 0),
    note: `${framesPerAcquire} queue(s) per acquire, 1080x2400 RGBA, ${buffers} buffers live, ${SAMPLES} samples of ${CYCLES_PER_SAMPLE} cycles, slowest sample ${round(min, 0)}/s`,
  };
}

export async function run(): Promise<void> {
  const results = [await measure('sync'), await measure('mailbox')];
  report('queue', results, ['no peer: the BufferQueue has no in-process counterpart installed here (Android and OpenHarmony are not)']);
}
