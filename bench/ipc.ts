// One frame cycle across processes: the client (a child process) dequeues, writes one pixel,
// queues; the server's consumer acquires and releases; the buffer-released event comes back.
// Compared with one plain Node Unix-socket ping-pong (../shared/anchors/uds_pingpong.js) measured
// in the same run. Also reports the bytes that crossed the socket per frame (pixels never do).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DirectConsumer, startServer } from '../src/server/index.js';
import type { ClientClosedEvent } from '../src/server/index.js';
import { anchorsDir } from './lib/anchors.js';
import { report, round, summarize, withPeer } from './lib/report.js';
import type { BenchResult } from './lib/report.js';

const FRAMES = Number(process.env.STRATUM_BENCH_IPC_FRAMES ?? 5000);
const WARMUP = 500;

function runChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

async function pingPong(iterations: number): Promise<{ median: number; p99: number } | undefined> {
  const dir = anchorsDir();
  if (!dir) return undefined;
  const out = await runChild([join(dir, 'uds_pingpong.js'), String(iterations)]).catch(() => undefined);
  const median = out?.match(/median=([\d.]+)/)?.[1];
  const p99 = out?.match(/p99=([\d.]+)/)?.[1];
  return median && p99 ? { median: Number(median), p99: Number(p99) } : undefined;
}

interface CycleRun {
  readonly samples: number[];
  readonly cycle: { median: number; p99: number };
  readonly cpuPerFrame: number;
  readonly bytesPerFrame: number;
  readonly messages: number;
  readonly fdsSent: number;
  readonly buffersReceived: number;
}

async function frameCycles(ahead: boolean): Promise<CycleRun> {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-bench-ipc-'));
  const socketPath = join(dir, 'stratum-0');
  const server = startServer({ socketPath, compositor: new DirectConsumer(), log: () => undefined });
  const closed = new Promise<ClientClosedEvent>((resolve) => server.onClientClosed(resolve));
  try {
    const clientScript = fileURLToPath(new URL('./lib/ipc-client.ts', import.meta.url));
    const out = await runChild(['--import', 'tsx', clientScript, socketPath, String(FRAMES), String(WARMUP), ahead ? 'ahead' : 'plain']);
    const { samples, buffersReceived, cpuMicroseconds } = JSON.parse(out) as { samples: number[]; buffersReceived: number; cpuMicroseconds: number };
    const { stats } = await closed;
    return {
      samples,
      cycle: summarize(samples),
      cpuPerFrame: cpuMicroseconds / FRAMES,
      // Traffic of the whole session divided by the frames: handshake and setup included.
      bytesPerFrame: (stats.bytesIn + stats.bytesOut) / (FRAMES + WARMUP),
      messages: stats.messagesIn + stats.messagesOut,
      fdsSent: stats.fdsSent,
      buffersReceived,
    };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The machine is shared: rounds alternate the peer and both modes so that load drift hits all
// three alike; each figure is the median of all its samples.
const ROUNDS = Number(process.env.STRATUM_BENCH_IPC_ROUNDS ?? 5);

function merge(runs: CycleRun[]): CycleRun & { count: number } {
  const all = runs.flatMap((r) => r.samples);
  return {
    count: all.length,
    samples: all,
    cycle: summarize(all),
    bytesPerFrame: runs.reduce((n, r) => n + r.bytesPerFrame, 0) / runs.length,
    messages: runs.reduce((n, r) => n + r.messages, 0),
    fdsSent: runs.reduce((n, r) => n + r.fdsSent, 0),
    buffersReceived: runs.reduce((n, r) => n + r.buffersReceived, 0),
    cpuPerFrame: runs.reduce((n, r) => n + r.cpuPerFrame, 0) / runs.length,
  };
}

export async function run(): Promise<void> {
  const plainRuns: CycleRun[] = [];
  const aheadRuns: CycleRun[] = [];
  const peerRuns: number[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const peer = await pingPong(FRAMES);
    if (peer) peerRuns.push([peer.median]);
    plainRuns.push(await frameCycles(false));
    aheadRuns.push(await frameCycles(true));
  }
  const peerMedian = peerRuns.length > 0 ? summarize(peerRuns.flat()).median : undefined;
  const plain = merge(plainRuns);
  const ahead = merge(aheadRuns);
  const results: BenchResult[] = [];
  for (const [name, r, note] of [
    ['frame-cycle', ahead, "the SDK's default (dequeueAhead): the next buffer rides behind the queue reply, one round trip per frame; goal ratio <= 3"],
    ['frame-cycle-synchronous-dequeue', plain, 'dequeueAhead: false, the classic dequeue round trip + queue round trip (+ release event)'],
  ] as const) {
    results.push(withPeer({ case: name, metric: 'us_per_cycle', median: round(r.cycle.median, 2), p99: round(r.cycle.p99, 2), note: `${note}; ${r.count} cycles in ${ROUNDS} rounds` }, 'node uds ping-pong 64B', peerMedian));
    results.push({ case: `${name}-cpu`, metric: 'us_cpu_per_cycle', median: round(r.cpuPerFrame, 1), note: 'user + system CPU of the client process per frame, measured over the timed frames' });
    results.push({
      case: `${name}-socket-bytes`,
      metric: 'bytes_per_frame',
      median: round(r.bytesPerFrame, 1),
      note: `${r.messages} messages, ${r.fdsSent} buffer fds sent (${r.buffersReceived} received) in ${ROUNDS * (FRAMES + WARMUP)} frames; 0 pixel bytes`,
    });
  }
  if (peerMedian !== undefined) results.push({ case: 'node-uds-pingpong', metric: 'us_per_rtt', median: peerMedian, note: `peer: median of the ${peerRuns.length} rounds' medians` });
  report('ipc', results, [`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`, ...(peerMedian === undefined ? ['uds_pingpong anchor not found: no peer figures'] : [])]);
}
