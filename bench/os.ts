// `npm run bench -- os`: the OS layer. A message round trip between two Node processes over our
// SEQPACKET socket (against the plain Unix-socket ping-pong anchors, run in the same suite run),
// and allocate + map + unmap of one 1080x2400 RGBA GraphicBuffer.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { GraphicBuffer, PixelFormat, Usage } from '../src/buffer/index.js';
import { SeqPacketSocket, createSharedMemory, closeFd, createSocketPair } from '../src/os/index.js';
import type { Fd } from '../src/os/index.js';
import { anchorBinary, anchorsDir, runAnchor } from './lib/anchors.js';
import { benchOutDir, report, round, summarize, withPeer } from './lib/report.js';
import type { BenchResult } from './lib/report.js';

const here = fileURLToPath(import.meta.url);
const MESSAGE_BYTES = 64;
const ROUND_TRIPS = 20_000;
const WARMUP = 2_000;
const BUFFER_RUNS = 300;

// Child mode: echo every message back on the socket inherited as fd 3, closing any fds it carried.
if (process.argv[1] === here && process.argv[2] === '--echo') {
  const socket = SeqPacketSocket.fromFd(3 as Fd);
  socket.onMessage((message) => {
    for (const fd of message.takeFds()) closeFd(fd);
    socket.send(message.data);
  });
  socket.onClose(() => process.exit(0));
}

function spawnEcho(): { socket: SeqPacketSocket; child: ChildProcess } {
  const [ours, theirs] = createSocketPair();
  const child = spawn(process.execPath, ['--import', 'tsx', here, '--echo'], { stdio: ['ignore', 'inherit', 'inherit', theirs] });
  closeFd(theirs);
  return { socket: SeqPacketSocket.fromFd(ours), child };
}

/** Microseconds per round trip of `count` sequential messages (after a warm-up). */
function roundTrips(socket: SeqPacketSocket, fds: readonly Fd[]): Promise<number[]> {
  const message = new Uint8Array(MESSAGE_BYTES).fill(120);
  const samples: number[] = [];
  let index = -WARMUP;
  let start = 0n;
  return new Promise((resolve) => {
    socket.onMessage(() => {
      const end = process.hrtime.bigint();
      if (index >= 0) samples.push(Number(end - start) / 1e3);
      if (++index === ROUND_TRIPS) {
        resolve(samples);
        return;
      }
      start = process.hrtime.bigint();
      socket.send(message, fds);
    });
    start = process.hrtime.bigint();
    socket.send(message, fds);
  });
}

function parseAnchor(output: string | undefined): { median: number; p99: number } | undefined {
  const median = output?.match(/median=([\d.]+)/)?.[1];
  const p99 = output?.match(/p99=([\d.]+)/)?.[1];
  return median !== undefined && p99 !== undefined ? { median: Number(median), p99: Number(p99) } : undefined;
}

async function socketCases(notes: string[]): Promise<BenchResult[]> {
  const { socket, child } = spawnEcho();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const plain = summarize(await roundTrips(socket, []));
  const memfd = createSharedMemory('bench-rtt', 4096);
  const withFd = summarize(await roundTrips(socket, [memfd]));
  closeFd(memfd);
  socket.close();
  await exited;

  const anchors = anchorsDir();
  const nodePeer = anchors === undefined ? undefined : parseAnchor(runAnchor(process.execPath, [join(anchors, 'uds_pingpong.js'), String(ROUND_TRIPS)]));
  const cBinary = anchorBinary('uds_pingpong');
  let cPeer: { median: number; p99: number } | undefined;
  if (cBinary !== undefined) {
    // It binds a socket relative to its working directory: give it a scratch one.
    cPeer = parseAnchor(runInScratchDir(cBinary, [String(ROUND_TRIPS)]));
  }
  if (nodePeer === undefined) notes.push('node uds_pingpong.js anchor unavailable: no Node peer figures');
  if (cPeer === undefined) notes.push('C uds_pingpong anchor unavailable (no anchors folder or no gcc): no C peer figures');

  const base = { metric: 'us_per_round_trip', note: `${MESSAGE_BYTES}-byte messages, ${ROUND_TRIPS} round trips` };
  const results: BenchResult[] = [];
  const ours = { case: 'seqpacket-rtt', ...base, median: round(plain.median), p99: round(plain.p99) };
  results.push(withPeer(ours, 'node-uds-stream', nodePeer?.median));
  if (cPeer !== undefined) results.push(withPeer({ ...ours, case: 'seqpacket-rtt-vs-c' }, 'c-uds-stream', cPeer.median));
  results.push({ case: 'seqpacket-rtt-1fd', ...base, note: `${base.note}, one memfd attached each way out`, median: round(withFd.median), p99: round(withFd.p99) });
  if (nodePeer !== undefined) notes.push(`node uds_pingpong.js: median ${nodePeer.median} us, p99 ${nodePeer.p99} us`);
  if (cPeer !== undefined) notes.push(`C uds_pingpong: median ${cPeer.median} us, p99 ${cPeer.p99} us`);
  return results;
}

function runInScratchDir(command: string, args: string[]): string | undefined {
  mkdirSync(benchOutDir, { recursive: true });
  const scratch = mkdtempSync(join(benchOutDir, 'uds-'));
  try {
    const result = spawnSync(command, args, { cwd: scratch, encoding: 'utf8', timeout: 300_000 });
    return result.status === 0 ? result.stdout : undefined;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function bufferCases(): BenchResult[] {
  const spec = { width: 1080, height: 2400, format: PixelFormat.RGBA_8888, usage: Usage.CPU_WRITE_OFTEN };
  const plain: number[] = [];
  const touched: number[] = [];
  for (let i = 0; i < BUFFER_RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const buffer = GraphicBuffer.allocate(spec);
    buffer.map();
    buffer.unmap();
    buffer.dispose();
    plain.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  for (let i = 0; i < BUFFER_RUNS / 10; i++) {
    const t0 = process.hrtime.bigint();
    const buffer = GraphicBuffer.allocate(spec);
    const bytes = buffer.bytes();
    for (let offset = 0; offset < bytes.length; offset += 4096) bytes[offset] = 1;
    buffer.unmap();
    buffer.dispose();
    touched.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  const a = summarize(plain);
  const b = summarize(touched);
  return [
    { case: 'buffer-1080x2400-alloc-map-unmap', metric: 'us', median: round(a.median), p99: round(a.p99), note: 'memfd + seal + mmap + munmap + close, 10.4 MB' },
    { case: 'buffer-1080x2400-alloc-touch-unmap', metric: 'us', median: round(b.median), p99: round(b.p99), note: 'same, writing one byte per page (page faults)' },
  ];
}

export async function run(): Promise<void> {
  const notes: string[] = [`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cpus`];
  const results = [...(await socketCases(notes)), ...bufferCases()];
  report('os', results, notes);
}
