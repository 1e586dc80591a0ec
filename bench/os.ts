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
const ROUND_TRIPS = 21_000;
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

/** Microseconds per round trip of `count` sequential messages (after a warm-up of WARMUP). */
function roundTrips(socket: SeqPacketSocket, fds: readonly Fd[], count: number): Promise<number[]> {
  const message = new Uint8Array(MESSAGE_BYTES).fill(120);
  const samples: number[] = [];
  let index = -WARMUP;
  let start = 0n;
  return new Promise((resolve) => {
    socket.onMessage(() => {
      const end = process.hrtime.bigint();
      if (index >= 0) samples.push(Number(end - start) / 1e3);
      if (++index === count) {
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

/** Ours and the peers in alternating rounds, so load drift on a shared machine hits all of them. */
const ROUNDS = 3;

function median(values: readonly number[]): number {
  return summarize(values).median;
}

async function socketCases(notes: string[]): Promise<BenchResult[]> {
  const { socket, child } = spawnEcho();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const memfd = createSharedMemory('bench-rtt', 4096);
  const anchors = anchorsDir();
  const cBinary = anchorBinary('uds_pingpong');
  const plain: number[] = [];
  const withFd: number[] = [];
  const nodePeer: { median: number; p99: number }[] = [];
  const cPeer: { median: number; p99: number }[] = [];
  const perRound = String(ROUND_TRIPS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(...(await roundTrips(socket, [], ROUND_TRIPS / ROUNDS)));
    withFd.push(...(await roundTrips(socket, [memfd], ROUND_TRIPS / ROUNDS)));
    const node = anchors === undefined ? undefined : parseAnchor(runAnchor(process.execPath, [join(anchors, 'uds_pingpong.js'), perRound]));
    if (node !== undefined) nodePeer.push(node);
    // The C anchor binds a socket relative to its working directory: give it a scratch one.
    const c = cBinary === undefined ? undefined : parseAnchor(runInScratchDir(cBinary, [perRound]));
    if (c !== undefined) cPeer.push(c);
  }
  closeFd(memfd);
  socket.close();
  await exited;
  if (nodePeer.length === 0) notes.push('node uds_pingpong.js anchor unavailable: no Node peer figures');
  if (cPeer.length === 0) notes.push('C uds_pingpong anchor unavailable (no anchors folder or no gcc): no C peer figures');

  const a = summarize(plain);
  const b = summarize(withFd);
  const base = { metric: 'us_per_round_trip', note: `${MESSAGE_BYTES}-byte messages, ${ROUND_TRIPS} round trips in ${ROUNDS} rounds alternating with the peers` };
  const ours = { case: 'seqpacket-rtt', ...base, median: round(a.median), p99: round(a.p99) };
  const results: BenchResult[] = [];
  // A peer's figure is the median of its per-round medians.
  results.push(withPeer(ours, 'node-uds-stream', nodePeer.length > 0 ? median(nodePeer.map((p) => p.median)) : undefined));
  if (cPeer.length > 0) results.push(withPeer({ ...ours, case: 'seqpacket-rtt-vs-c' }, 'c-uds-stream', median(cPeer.map((p) => p.median))));
  results.push({ case: 'seqpacket-rtt-1fd', ...base, note: `${base.note}; one memfd attached to each request`, median: round(b.median), p99: round(b.p99) });
  for (const [name, peer] of [
    ['node uds_pingpong.js', nodePeer],
    ['C uds_pingpong', cPeer],
  ] as const) {
    if (peer.length > 0) notes.push(`${name} per round: medians ${peer.map((p) => p.median).join(', ')} us; p99 ${peer.map((p) => p.p99).join(', ')} us`);
  }
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
