// The client process of bench/ipc.ts: runs N frame cycles (dequeue, write one pixel, queue, wait
// for the buffer-released event) and prints the per-cycle times in microseconds as JSON.
import { connect } from '../../src/client/index.js';

const [socketPath, countArg, warmArg, aheadArg] = process.argv.slice(2);
if (!socketPath) throw new Error('usage: ipc-client.ts SOCKET COUNT WARMUP [ahead]');
const count = Number(countArg ?? 5000);
const warmup = Number(warmArg ?? 500);

const client = await connect({ socketPath, name: 'bench-ipc' });
const sc = await client.createSurface({ name: 'bench', width: 64, height: 64 });
// The SDK's default takes the next buffer behind each queue; 'plain' asks for the classic synchronous dequeue.
await sc.surface.setOptions({ dequeueAhead: aheadArg === 'ahead' });
let onReleased: (() => void) | undefined;
sc.surface.onBufferReleased(() => onReleased?.());
const samples: number[] = [];
let cpu = process.cpuUsage();
for (let i = 0; i < warmup + count; i++) {
  if (i === warmup) cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const released = new Promise<void>((resolve) => {
    onReleased = resolve;
  });
  const dequeued = await sc.surface.dequeueBuffer();
  dequeued.buffer.pixels32()[0] = i;
  await sc.surface.queueBuffer(dequeued);
  await released;
  if (i >= warmup) samples.push(Number(process.hrtime.bigint() - start) / 1000);
}
const used = process.cpuUsage(cpu);
await client.sync();
process.stdout.write(`${JSON.stringify({ samples, buffersReceived: sc.surface.buffersReceived, cpuMicroseconds: used.user + used.system })}\n`);
client.close();
