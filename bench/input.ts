// Input latency: an injected tap until the app process has the event in its listener. The app is
// a real child process with a window (this file run with --input-app); it stamps each event on
// arrival with CLOCK_MONOTONIC, the same clock the event's time is in, so the figure is one
// direct difference with no round trip folded in. Cases:
//   wm-inject-tap   WindowManager.injectInput in the server process (the viewer's path): one hop.
//   sdk-inject-tap  client.injectInput from another process (the CLI's path): two hops.
//   with-stopped-app  as wm-inject-tap while a second app is SIGSTOPped and its window gets every
//                   other tap: its backlog must not delay the first app (ratio to wm-inject-tap).
// Peer: the Node Unix-socket ping-pong anchor (one round trip = two hops), measured in this run.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { connect, wireNow } from '../src/client/index.js';
import { HeadlessDisplay } from '../src/display/display.js';
import { Flinger } from '../src/flinger/flinger.js';
import { monotonicNow } from '../src/queue/fence.js';
import { startServer } from '../src/server/index.js';
import { WindowManager } from '../src/wm/index.js';
import { anchorsDir } from './lib/anchors.js';
import { report, round, summarize, withPeer } from './lib/report.js';
import type { BenchResult } from './lib/report.js';

const TAPS = Number(process.env.STRATUM_BENCH_INPUT_TAPS ?? 2000);
const WARMUP = 200;

interface App {
  readonly process: ChildProcess;
  readonly window: number;
  /** Waits for the app's receipt of its input event number `sequence`; resolves with receivedAt - eventTime (ms). */
  latency(sequence: number): Promise<number>;
}

function startApp(socketPath: string, title: string, place: [number, number, number, number]): Promise<App> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--input-app', socketPath, title, ...place.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received = new Map<number, number>();
  const waiting = new Map<number, (latency: number) => void>();
  let ready: ((window: number) => void) | undefined;
  const windowId = new Promise<number>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout }).on('line', (line: string) => {
    const message = JSON.parse(line) as { ready?: number; sequence?: number; latency?: number };
    if (message.ready !== undefined) ready?.(message.ready);
    if (message.sequence !== undefined && message.latency !== undefined) {
      const resolve = waiting.get(message.sequence);
      if (resolve) {
        waiting.delete(message.sequence);
        resolve(message.latency);
      } else {
        received.set(message.sequence, message.latency);
      }
    }
  });
  return windowId.then((window) => ({
    process: child,
    window,
    latency(sequence: number): Promise<number> {
      const got = received.get(sequence);
      if (got !== undefined) {
        received.delete(sequence);
        return Promise.resolve(got);
      }
      return new Promise((resolve) => waiting.set(sequence, resolve));
    },
  }));
}

/** The app process: one window; prints each input event's sequence and latency as it arrives. */
async function appMain(args: string[]): Promise<void> {
  const [socketPath, title, x, y, w, h] = args;
  if (!socketPath || !title) throw new Error('usage: input.ts --input-app SOCKET TITLE X Y W H');
  const client = await connect({ socketPath, name: title });
  const window = await client.addWindow({ type: 'application', title, x: Number(x), y: Number(y), width: Number(w), height: Number(h) });
  window.onInput((event) => {
    const receivedAt = wireNow();
    process.stdout.write(`${JSON.stringify({ sequence: event.sequence, latency: receivedAt - event.eventTime })}\n`);
  });
  process.stdout.write(`${JSON.stringify({ ready: window.id })}\n`);
  client.onDisconnect(() => process.exit(0));
}

async function pingPong(iterations: number): Promise<{ median: number; p99: number } | undefined> {
  const dir = anchorsDir();
  if (!dir) return undefined;
  const child = spawn(process.execPath, [join(dir, 'uds_pingpong.js'), String(iterations)], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const median = out.match(/median=([\d.]+)/)?.[1];
  const p99 = out.match(/p99=([\d.]+)/)?.[1];
  return code === 0 && median && p99 ? { median: Number(median), p99: Number(p99) } : undefined;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-bench-input-'));
  const socketPath = join(dir, 'stratum-0');
  const display = new HeadlessDisplay({ width: 400, height: 400 });
  const flinger = new Flinger({ displays: [display] });
  const wm = new WindowManager(flinger, { animations: false });
  const server = startServer({ socketPath, flinger, windowManager: wm, log: () => undefined });
  const apps: App[] = [];
  try {
    const a = await startApp(socketPath, 'bench-a', [0, 0, 200, 400]);
    apps.push(a);
    let sequenceA = 0;
    const tapA = async (inject: (x: number, y: number, action: 'down' | 'up') => unknown): Promise<number> => {
      await inject(50, 50, 'down');
      const latency = await a.latency(++sequenceA);
      await inject(50, 50, 'up');
      await a.latency(++sequenceA);
      return latency;
    };
    const measure = async (inject: (x: number, y: number, action: 'down' | 'up') => unknown, between?: () => void): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < WARMUP + TAPS; i++) {
        between?.();
        const ms = await tapA(inject);
        if (i >= WARMUP) samples.push(ms * 1000);
      }
      return samples;
    };
    const wmInject = (x: number, y: number, action: 'down' | 'up'): void => {
      wm.injectInput({ kind: 'touch', action, x, y, eventTime: monotonicNow() });
    };
    const inProcess = summarize(await measure(wmInject));

    const injector = await connect({ socketPath, name: 'bench-injector' });
    const sdk = summarize(await measure((x, y, action) => injector.injectInput({ kind: 'touch', action, x, y, eventTime: wireNow() })));
    injector.close();

    // A second app that stops reading: every other tap goes to it and piles up in its backlog.
    const b = await startApp(socketPath, 'bench-b', [200, 0, 200, 400]);
    apps.push(b);
    b.process.kill('SIGSTOP');
    const stopped = summarize(
      await measure(wmInject, () => {
        wm.injectInput({ kind: 'touch', action: 'down', x: 300, y: 50 });
        wm.injectInput({ kind: 'touch', action: 'up', x: 300, y: 50 });
      }),
    );
    b.process.kill('SIGCONT');

    const peer = await pingPong(20_000);
    const results: BenchResult[] = [
      { case: 'wm-inject-tap', metric: 'us_tap_to_app', median: round(inProcess.median, 1), p99: round(inProcess.p99, 1), note: `${TAPS} taps; injectInput in the server -> app listener (one socket hop)` },
      withPeer(
        { case: 'sdk-inject-tap', metric: 'us_tap_to_app', median: round(sdk.median, 1), p99: round(sdk.p99, 1), note: 'client.injectInput in another process -> server -> app listener (two hops)' },
        'node uds ping-pong 64B (rtt)',
        peer?.median,
      ),
      {
        case: 'with-stopped-app',
        metric: 'us_tap_to_app',
        median: round(stopped.median, 1),
        p99: round(stopped.p99, 1),
        ratio: round(stopped.median / inProcess.median, 3),
        note: `ratio to wm-inject-tap; a SIGSTOPped app got ${2 * (WARMUP + TAPS)} events meanwhile`,
      },
    ];
    if (peer) results.push({ case: 'node-uds-pingpong', metric: 'us_per_rtt', median: peer.median, p99: peer.p99, note: 'peer, same run' });
    report('input', results, peer ? [] : ['uds_pingpong anchor not found: no peer figures']);
  } finally {
    for (const app of apps) app.process.kill('SIGKILL');
    server.close();
    wm.dispose();
    flinger.dispose();
    display.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--input-app') await appMain(process.argv.slice(3));
