// screenrecord under load: a 1080x2400 @ 60 Hz phone display (status bar, a full-screen app that
// redraws every frame, navigation bar) served over the socket, recorded by the real CLI in its own
// process (virtual display consumed by handle -> native I420 -> Debian ffmpeg libx264) at
// 1280x720 and 1920x1080, RUNS times each (the machine is shared: medians, every run in the note,
// the load average before each). Reports frames dropped (goal 0) and where they went, encoder
// fps, and compositor VSync misses during the recording next to the same span without one.
// Run: npm run bench -- record
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../src/client/index.js';
import type { StratumClient } from '../src/client/index.js';
import { HeadlessDisplay } from '../src/display/index.js';
import { Flinger } from '../src/flinger/index.js';
import { Renderer } from '../src/render/index.js';
import { startServer } from '../src/server/index.js';
import type { BenchResult } from './lib/report.js';
import { report, round, summarize } from './lib/report.js';

const W = 1080;
const H = 2400;
const SECONDS = 5;
const RUNS = 3;
const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

/** The phone scene's layers; the app redraws a moving gradient and box every frame. */
async function animatePhone(client: StratumClient): Promise<() => Promise<void>> {
  const status = await client.createSurface({ name: 'status bar', kind: 'color' });
  const nav = await client.createSurface({ name: 'navigation bar', kind: 'color' });
  const app = await client.createSurface({ name: 'app', width: W, height: H - 96 - 144, opaque: true });
  await client
    .transaction()
    .setColor(status, { r: 0.1, g: 0.1, b: 0.12 })
    .setCrop(status, { left: 0, top: 0, right: W, bottom: 96 })
    .setLayer(status, 2)
    .setColor(nav, { r: 0, g: 0, b: 0 })
    .setAlpha(nav, 0.85)
    .setCrop(nav, { left: 0, top: 0, right: W, bottom: 144 })
    .setPosition(nav, 0, H - 144)
    .setLayer(nav, 2)
    .setPosition(app, 0, 96)
    .apply();
  let running = true;
  let k = 0;
  const loop = (async (): Promise<void> => {
    while (running) {
      const d = await app.surface.dequeueBuffer();
      const px = d.buffer.pixels32();
      const stride = d.buffer.stride;
      const h = d.buffer.height;
      for (let y = 0; y < h; y++) px.fill((0xff << 24) | (96 << 16) | ((255 - ((y + k * 3) & 0xff)) << 8) | ((y + k * 3) & 0xff), y * stride, y * stride + W);
      const boxX = (k * 9) % (W - 200);
      for (let y = 600; y < 800; y++) px.fill(0xff2040e0, y * stride + boxX, y * stride + boxX + 200);
      await app.surface.queueBuffer(d);
      k += 1;
    }
  })().catch(() => undefined);
  return async () => {
    running = false;
    await loop;
  };
}

interface RecordingFigures {
  readonly frames: number;
  readonly received: number;
  readonly dropped: number;
  readonly seconds: number;
  /** The recorder's own account of its drops (--verbose). */
  readonly dropSummary: string;
}

function record(socketPath: string, size: string, file: string): Promise<RecordingFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'screenrecord', '--verbose', '--size', size, '--time-limit', String(SECONDS), '--socket', socketPath, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('exit', (code) => {
      const m = /(\d+) frames \((\d+) received, (\d+) dropped\) in ([\d.]+) s/.exec(stderr);
      const why = /^dropped: (\d+) while .*?, (\d+) with the encoder .*?, (\d+) replaced/m.exec(stderr);
      if (code !== 0 || !m) reject(new Error(`screenrecord failed (${String(code)}): ${stderr}`));
      else resolve({ frames: Number(m[1]), received: Number(m[2]), dropped: Number(m[3]), seconds: Number(m[4]), dropSummary: why ? `display ${why[1]}, encoder backlog ${why[2]}, replaced ${why[3]}` : '?' });
    });
  });
}

export async function run(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v ffmpeg'], { stdio: 'ignore' }).status !== 0) {
    process.stdout.write('record: SKIPPED, ffmpeg is not installed (apt-get install ffmpeg)\n');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'stratum-bench-record-'));
  const display = new HeadlessDisplay({ width: W, height: H, refreshRate: 60 });
  const flinger = new Flinger({ displays: [display], renderer: new Renderer() });
  const socketPath = join(dir, 'stratum.sock');
  const server = startServer({ socketPath, flinger, log: () => {} });
  const client = await connect({ socketPath, name: 'bench-phone' });
  const stop = await animatePhone(client);
  const results: BenchResult[] = [];
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const loadBefore = loadavg()[0] ?? 0;
    const missesBefore = flinger.vsyncsMissed;
    const framesBefore = flinger.frameCount;
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    results.push({ case: 'no recording', metric: 'vsync_misses', median: flinger.vsyncsMissed - missesBefore, note: `${SECONDS} s; ${flinger.frameCount - framesBefore} compositor frames; load ${loadBefore.toFixed(2)}` });
    for (const size of ['1280x720', '1920x1080']) {
      const runs: { figures: RecordingFigures; misses: number; steadyMisses: number; composed: number; load: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        const load = loadavg()[0] ?? 0;
        const misses = flinger.vsyncsMissed;
        const frames = flinger.frameCount;
        // From the first frame of the recorder's virtual display on: its start-up (loading the CLI) left out.
        let missesAtFirstFrame: number | undefined;
        const unwatch = flinger.onPresent((info) => {
          if (info.display !== display) missesAtFirstFrame ??= flinger.vsyncsMissed;
        });
        const figures = await record(socketPath, size, join(dir, `${size}-${i}.mp4`));
        unwatch();
        const end = flinger.vsyncsMissed;
        runs.push({ figures, misses: end - misses, steadyMisses: end - (missesAtFirstFrame ?? end), composed: flinger.frameCount - frames, load });
      }
      const median = (values: number[]): number => summarize(values).median;
      const each = (f: (r: (typeof runs)[number]) => string): string => runs.map(f).join(' | ');
      results.push({
        case: `record ${size}`,
        metric: 'frames_dropped',
        median: median(runs.map((r) => r.figures.dropped)),
        note: `goal 0; ${RUNS} runs of ${SECONDS} s: ${each((r) => `${r.figures.dropped} dropped (${r.figures.dropSummary}), ${r.figures.received} received, ${r.figures.frames} written, load ${r.load.toFixed(2)}`)}`,
      });
      results.push({ case: `record ${size}`, metric: 'encoder_fps', median: median(runs.map((r) => round(r.figures.frames / r.figures.seconds, 1))), note: `frames written per wall second (60 = real time): ${each((r) => (r.figures.frames / r.figures.seconds).toFixed(1))}` });
      results.push({ case: `record ${size}`, metric: 'vsync_misses', median: median(runs.map((r) => r.misses)), note: `compositor misses from the recorder's launch to its exit: ${each((r) => `${r.misses} (${r.composed} frames)`)}` });
      results.push({ case: `record ${size}`, metric: 'vsync_misses_recording', median: median(runs.map((r) => r.steadyMisses)), note: `the same from the first recorded frame on (${SECONDS} s): ${each((r) => String(r.steadyMisses))}` });
    }
  } finally {
    await stop();
    client.close();
    server.close();
    flinger.dispose();
    display.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  report('record', results, [`${W}x${H} @ 60 Hz phone display; libx264 ultrafast 20 Mbps; recorder = the stratum CLI in its own process`]);
}
