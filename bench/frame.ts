// The flinger's frame: queue-to-present latency of one producer at 60 Hz, sixteen producers at
// 60 Hz on a 1920x1080 display (frames missed, CPU), and the cost of a frame whose only change is
// a 64x64 damaged rect against a full recomposition of the anchors' phone scene.
// Producers are in-process (they drive the layers' BufferQueues directly, as the server does on a
// client's behalf); VSync is the real software source for the first two, manual for the third.
import { GraphicBuffer, PixelFormat, Usage } from '../src/buffer/index.js';
import { HeadlessDisplay, ManualVsyncSource } from '../src/display/index.js';
import { ClientComposition, Flinger } from '../src/flinger/index.js';
import type { FlingerClient, PresentInfo } from '../src/flinger/index.js';
import type { BufferProducer } from '../src/queue/index.js';
import { monotonicNow } from '../src/queue/index.js';
import { Renderer } from '../src/render/index.js';
import { anchorBinary, runAnchor } from './lib/anchors.js';
import type { BenchResult } from './lib/report.js';
import { report, round, summarize, withPeer } from './lib/report.js';

function fill(buffer: GraphicBuffer, value: number): void {
  new Uint32Array(buffer.map(), 0, buffer.stride * buffer.height).fill(value);
}

/** A producer that draws and queues one frame on every VSync it asks for (Choreographer style). */
class VsyncProducer {
  readonly queuedAt = new Map<number, number>();
  /** Frame numbers in queue order. */
  readonly queued: number[] = [];
  frames = 0;
  #stopped = false;

  constructor(
    private readonly flinger: Flinger,
    private readonly producer: BufferProducer,
    private readonly width: number,
    private readonly height: number,
  ) {
    producer.connect({ label: 'bench' });
  }

  start(): void {
    this.flinger.requestNextVsync(() => void this.#draw());
  }

  stop(): void {
    this.#stopped = true;
  }

  async #draw(): Promise<void> {
    if (this.#stopped) return;
    this.flinger.requestNextVsync(() => void this.#draw());
    const d = await this.producer.dequeue({ width: this.width, height: this.height, format: PixelFormat.RGBX_8888 });
    await d.fence.wait();
    fill(d.buffer, 0xff000000 | (this.frames * 0x010305));
    const out = this.producer.queue(d.slot);
    this.queuedAt.set(out.frameNumber, monotonicNow());
    this.queued.push(out.frameNumber);
    this.frames++;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function latencyCase(): Promise<BenchResult[]> {
  const display = new HeadlessDisplay({ width: 1080, height: 2400, refreshRate: 60 });
  const flinger = new Flinger({ displays: [display], renderer: new Renderer() });
  const client = flinger.createClient('latency');
  const layer = client.createLayer({ name: 'app', kind: 'buffer', queue: { width: 1080, height: 2400 } });
  const producer = new VsyncProducer(flinger, layer.producer!, 1080, 2400);
  const latencies: number[] = [];
  flinger.onPresent((info: PresentInfo) => {
    const out = info.layers.find((l) => l.layer === layer.id);
    const queued = out ? producer.queuedAt.get(out.frameNumber) : undefined;
    if (out && queued !== undefined) {
      latencies.push((info.presentTime - queued) / display.period);
      producer.queuedAt.delete(out.frameNumber);
    }
  });
  producer.start();
  await sleep(4000);
  producer.stop();
  await sleep(100);
  await flinger.settled();
  flinger.dispose();
  display.dispose();
  const s = summarize(latencies.slice(10));
  return [{ case: '1 producer at 60 Hz, 1080x2400, queue -> present', metric: 'vsync_periods', median: round(s.median), p99: round(s.p99), note: `${latencies.length} frames; producer queues on its VSync callback` }];
}

async function sixteenCase(): Promise<BenchResult[]> {
  const display = new HeadlessDisplay({ width: 1920, height: 1080, refreshRate: 60 });
  const flinger = new Flinger({ displays: [display], renderer: new Renderer() });
  const client = flinger.createClient('sixteen');
  const producers: VsyncProducer[] = [];
  const layerIds: number[] = [];
  for (let i = 0; i < 16; i++) {
    const layer = client.createLayer({ name: `tile${i}`, kind: 'buffer', queue: { width: 480, height: 270 }, initial: { position: { x: (i % 4) * 480, y: Math.floor(i / 4) * 270 } } });
    producers.push(new VsyncProducer(flinger, layer.producer!, 480, 270));
    layerIds.push(layer.id);
  }
  const shown = new Set<string>();
  flinger.onPresent((info) => {
    for (const l of info.layers) shown.add(`${l.layer}:${l.frameNumber}`);
  });
  await sleep(300);
  for (const p of producers) p.start();
  await sleep(500); // warm up
  const framesBefore = producers.map((p) => p.queued.length);
  const missedBefore = flinger.vsyncsMissed;
  const cpuBefore = process.cpuUsage();
  const wallStart = performance.now();
  await sleep(5000);
  const wall = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuBefore);
  const framesAfter = producers.map((p) => p.queued.length);
  for (const p of producers) p.stop();
  await sleep(200);
  await flinger.settled();
  // Frames queued inside the window that never reached the screen.
  let queued = 0;
  let notPresented = 0;
  producers.forEach((p, i) => {
    for (const frameNumber of p.queued.slice(framesBefore[i], framesAfter[i])) {
      queued++;
      if (!shown.has(`${layerIds[i]}:${frameNumber}`)) notPresented++;
    }
  });
  const vsyncsMissed = flinger.vsyncsMissed - missedBefore;
  const dropped = flinger.dump().layers.reduce((n, l) => n + l.framesDropped, 0);
  flinger.dispose();
  display.dispose();
  const cpuPercent = (100 * (cpu.user + cpu.system)) / 1000 / wall;
  const expected = Math.round((wall / 1000) * 60 * 16);
  return [
    { case: '16 producers at 60 Hz on 1920x1080: frames never presented', metric: 'frames', median: notPresented, note: `goal 0; ${queued} queued in ${(wall / 1000).toFixed(1)} s (${expected} at a full 60 Hz), ${dropped} dropped by latch, ${vsyncsMissed} compositor VSyncs missed` },
    { case: '16 producers at 60 Hz on 1920x1080: CPU (producers + flinger)', metric: 'percent_of_a_core', median: round(cpuPercent, 1), note: `${(wall / 1000).toFixed(1)} s` },
  ];
}

/** The phone scene of ../shared/anchors/README.md (pixman_bench case c), through the flinger. */
function phoneScene(client: FlingerClient): { app: number; producerBuffers: GraphicBuffer[]; setBuffer: (b: GraphicBuffer, damage: { left: number; top: number; right: number; bottom: number }[] | null) => void } {
  const make = (name: string, w: number, h: number, format: PixelFormat, initial: object): { id: number; buffer: GraphicBuffer } => {
    const layer = client.createLayer({ name, kind: 'buffer', initial });
    const buffer = allocate(w, h, format);
    client.apply({ layers: [{ layer: layer.id, changes: { buffer: { buffer } } }] });
    return { id: layer.id, buffer };
  };
  const status = make('status', 1080, 80, PixelFormat.RGBX_8888, { z: 2 });
  const app = make('app', 1080, 2240, PixelFormat.RGBX_8888, { position: { x: 0, y: 80 }, z: 0 });
  const nav = make('nav', 1080, 80, PixelFormat.RGBA_8888, { position: { x: 0, y: 2320 }, z: 2, alpha: 0xa0 / 255 });
  const dialog = make('dialog', 400, 400, PixelFormat.RGBA_8888, { position: { x: 340, y: 1000 }, z: 1, alpha: 0x60 / 255 });
  fill(status.buffer, 0xff336699);
  fill(app.buffer, 0xff808080);
  fill(nav.buffer, 0xc0202020);
  fill(dialog.buffer, 0xffa0a0a0);
  return {
    app: app.id,
    producerBuffers: [status.buffer, app.buffer, nav.buffer, dialog.buffer],
    setBuffer: (buffer, damage) => client.apply({ layers: [{ layer: app.id, changes: { buffer: { buffer }, surfaceDamage: damage } }] }),
  };
}

/** Producer-side buffers for a transaction-fed scene (BLAST style), like pixman_bench's images. */
function allocate(w: number, h: number, format: PixelFormat): GraphicBuffer {
  return GraphicBuffer.allocate({ width: w, height: h, format, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE });
}

const WARMUP_DAMAGE_FRAMES = 3000;
// Then rounds of both kinds, as measured below: each kind's first frames after the other kind
// change the JIT's type feedback (deopts, then TurboFan recompiles `present` and `#frame` for
// 50-180 ms on a background thread while slower code runs), which settles after a few rounds.
const WARMUP_ROUNDS = 8;
const WARMUP_FULL_FRAMES = 12;
const BLOCKS = 8;
const DAMAGE_FRAMES_PER_BLOCK = 50;
const FULL_FRAMES_PER_BLOCK = 12;

async function damageCase(threads: number, engine: 'client' | 'hwc'): Promise<BenchResult[]> {
  const vsync = new ManualVsyncSource(60);
  const display = new HeadlessDisplay({ width: 1080, height: 2400, vsync });
  const flinger = new Flinger({
    displays: [display],
    renderer: new Renderer({ threads }),
    clock: () => vsync.now,
    ...(engine === 'client' ? { composition: (r) => new ClientComposition(r) } : {}),
  });
  const client = flinger.createClient('phone');
  const scene = phoneScene(client);
  const tick = async (): Promise<number> => {
    const start = performance.now();
    vsync.tick();
    await flinger.settled();
    return performance.now() - start;
  };
  await tick();
  // Two app buffers swapped each frame; each differs from the other only in one 64x64 square.
  const a = scene.producerBuffers[1]!;
  const b = allocate(1080, 2240, PixelFormat.RGBX_8888);
  b.bytes().set(a.bytes());
  const square = { left: 500, top: 1100, right: 564, bottom: 1164 };
  const px = new Uint32Array(b.map(), 0, b.stride * b.height);
  for (let y = square.top; y < square.bottom; y++) px.fill(0xff0000ff, y * b.stride + square.left, y * b.stride + square.right);
  const full: number[] = [];
  const damaged: number[] = [];
  let swaps = 0;
  const damageFrame = async (): Promise<number> => {
    scene.setBuffer(swaps++ % 2 === 0 ? b : a, [square]);
    return tick();
  };
  const fullFrame = async (): Promise<number> => {
    flinger.invalidateDisplay(display.id);
    return tick();
  };
  // A compositor runs for hours: measure its steady state, with the JIT warm for both kinds of frame.
  for (let i = 0; i < WARMUP_DAMAGE_FRAMES; i++) await damageFrame();
  for (let round = 0; round < WARMUP_ROUNDS; round++) {
    for (let i = 0; i < DAMAGE_FRAMES_PER_BLOCK; i++) await damageFrame();
    for (let i = 0; i < WARMUP_FULL_FRAMES; i++) await fullFrame();
  }
  // Runs of consecutive frames of each kind (what a display whose only change is a 64x64 area
  // does frame after frame), the runs alternating so that load drift on this shared machine hits
  // both kinds alike.
  for (let block = 0; block < BLOCKS; block++) {
    for (let i = 0; i < DAMAGE_FRAMES_PER_BLOCK; i++) damaged.push(await damageFrame());
    for (let i = 0; i < FULL_FRAMES_PER_BLOCK; i++) full.push(await fullFrame());
  }
  scene.setBuffer(a, [square]);
  let damageRects: string | undefined;
  flinger.onPresent((info) => (damageRects = info.damage.toString()));
  await tick();
  flinger.dispose();
  display.dispose();
  for (const buffer of [...scene.producerBuffers, b]) buffer.dispose();
  const f = summarize(full);
  const d = summarize(damaged);
  return [
    { case: `phone scene full recomposition (latch + snapshot + compose), ${engine} engine, ${threads} thread(s)`, metric: 'ms_per_frame', median: round(f.median), p99: round(f.p99) },
    {
      case: `phone scene, only a 64x64 damaged rect changed, ${engine} engine, ${threads} thread(s)`,
      metric: 'ms_per_frame',
      median: round(d.median),
      p99: round(d.p99),
      peer: 'full recomposition',
      peerMedian: round(f.median),
      ratio: round(d.median / f.median, 4),
      note: `goal < 0.03; damage ${damageRects ?? '?'}; ${damaged.length} damage-only and ${full.length} full frames in ${BLOCKS} alternating runs, after ${WARMUP_DAMAGE_FRAMES} damage-only and ${WARMUP_ROUNDS} alternating warm-up runs`,
    },
  ];
}

function pixmanPhone(): number | undefined {
  const binary = anchorBinary('pixman_bench');
  const out = binary === undefined ? undefined : runAnchor(binary, ['100', 'pad', '1']);
  const m = out?.match(/\(c\).*min\/med\/max =\s+[\d.]+\s+([\d.]+)/);
  return m ? Number(m[1]) : undefined;
}

export async function run(): Promise<void> {
  const notes: string[] = ['producers are in-process (they drive the layer queues directly); the cross-process SDK path is not measured here'];
  const results: BenchResult[] = [];
  results.push(...(await latencyCase()));
  results.push(...(await sixteenCase()));
  const one = await damageCase(1, 'client');
  const pixman = pixmanPhone();
  if (pixman === undefined) notes.push('pixman_bench unavailable: no peer for the full phone-scene frame');
  results.push(withPeer(one[0]!, 'pixman phone scene (c)', pixman), one[1]!);
  results.push(...(await damageCase(2, 'client')));
  results.push(...(await damageCase(2, 'hwc')));
  notes.push('client engine: every layer composed by the renderer (the core path); hwc engine: the default composer engine (planes scanned out into the framebuffer by the reference device)');
  report('frame', results, notes);
}
