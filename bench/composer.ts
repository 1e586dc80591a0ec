// The phone scene of ../shared/anchors (status bar, app, translucent nav bar, translucent dialog on a
// 1080x2400 display) plus an animating 300x300 translucent overlay that moves every frame. Measures
// per frame, with composer planning on (overlay planes + cached client target) and off (every layer
// CLIENT): the renderer's work (pixels composed, ms), the device's scan-out (pixels, ms), and the
// whole frame (ms). Run: npm run bench -- composer
import { GraphicBuffer, PixelFormat, Usage } from '../src/buffer/index.js';
import { HwcComposition } from '../src/composer/index.js';
import { HeadlessDisplay, ManualVsyncSource } from '../src/display/index.js';
import { ClientComposition, Flinger, Transaction } from '../src/flinger/index.js';
import { Renderer } from '../src/render/index.js';
import type { BenchResult } from './lib/report.js';
import { report, round, summarize } from './lib/report.js';

const W = 1080;
const H = 2400;
const FRAMES = 120;
const WARMUP = 10;

function filled(width: number, height: number, rgba: readonly [number, number, number, number], format: PixelFormat): GraphicBuffer {
  const b = GraphicBuffer.allocate({ width, height, format, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE | Usage.COMPOSER_OVERLAY });
  b.pixels32().fill(((rgba[3] << 24) | (rgba[2] << 16) | (rgba[1] << 8) | rgba[0]) >>> 0);
  return b;
}

interface Sample {
  rendererPixels: number;
  rendererMs: number;
  scanoutPixels: number;
  scanoutMs: number;
  frameMs: number;
}

/** planning on/off: the HWC engine; 'core': the compositor core's engine (renderer straight into the framebuffer, no device). */
async function measure(mode: 'on' | 'off' | 'core'): Promise<Sample[]> {
  const vsync = new ManualVsyncSource(60, 0);
  const display = new HeadlessDisplay({ width: W, height: H, vsync });
  let engine: HwcComposition | undefined;
  const flinger = new Flinger({
    renderer: new Renderer(),
    displays: [display],
    clock: () => vsync.now,
    composition: (r) => {
      if (mode === 'core') return new ClientComposition(r);
      engine = new HwcComposition(r, { planning: mode === 'on' });
      return engine;
    },
  });
  // The core engine reports renderer pixels through onPresent (it has no device).
  let corePixels = 0;
  flinger.onPresent((info) => {
    corePixels = info.pixelsComposed;
  });
  const c = flinger.createClient('bench');
  const buffers = [
    filled(W, 80, [40, 40, 40, 255], PixelFormat.RGBX_8888),
    filled(W, 2240, [200, 200, 220, 255], PixelFormat.RGBX_8888),
    filled(W, 80, [20, 20, 20, 255], PixelFormat.RGBA_8888),
    filled(400, 400, [120, 60, 60, 255], PixelFormat.RGBA_8888),
    filled(300, 300, [0, 100, 0, 180], PixelFormat.RGBA_8888),
  ];
  const status = c.createLayer({ name: 'status', kind: 'buffer', initial: { z: 10 } });
  const app = c.createLayer({ name: 'app', kind: 'buffer', initial: { position: { x: 0, y: 80 } } });
  const nav = c.createLayer({ name: 'nav', kind: 'buffer', initial: { position: { x: 0, y: 2320 }, z: 10, alpha: 0xa0 / 255 } });
  const dialog = c.createLayer({ name: 'dialog', kind: 'buffer', initial: { position: { x: 340, y: 1000 }, z: 5, alpha: 0x60 / 255 } });
  const overlay = c.createLayer({ name: 'overlay', kind: 'buffer', initial: { position: { x: 0, y: 300 }, z: 20 } });
  c.apply(
    new Transaction()
      .setBuffer(status.id, { buffer: buffers[0]! })
      .setBuffer(app.id, { buffer: buffers[1]! })
      .setBuffer(nav.id, { buffer: buffers[2]! })
      .setBuffer(dialog.id, { buffer: buffers[3]! })
      .setBuffer(overlay.id, { buffer: buffers[4]! }),
  );
  vsync.tick();
  await flinger.settled();
  const samples: Sample[] = [];
  for (let i = 0; i < FRAMES + WARMUP; i++) {
    c.apply(new Transaction().setPosition(overlay.id, (i * 13) % (W - 300), 300 + ((i * 29) % 1500)));
    const started = performance.now();
    vsync.tick();
    await flinger.settled();
    const frameMs = performance.now() - started;
    if (i < WARMUP) continue;
    if (mode === 'core') {
      samples.push({ rendererPixels: corePixels, rendererMs: frameMs, scanoutPixels: 0, scanoutMs: 0, frameMs });
      continue;
    }
    const s = engine?.lastFrame(display.id);
    if (!s) throw new Error('no frame stats');
    samples.push({ rendererPixels: s.rendererPixels, rendererMs: s.rendererMs, scanoutPixels: s.scanoutPixels, scanoutMs: s.scanoutMs, frameMs });
  }
  flinger.dispose();
  display.dispose();
  for (const b of buffers) b.dispose();
  return samples;
}

export async function run(): Promise<void> {
  const results: BenchResult[] = [];
  const figures = new Map<string, number>();
  for (const mode of ['core', 'off', 'on'] as const) {
    const samples = await measure(mode);
    const label = mode === 'core' ? 'core-engine' : mode === 'on' ? 'planning-on' : 'planning-off';
    for (const metric of ['rendererPixels', 'rendererMs', 'scanoutPixels', 'scanoutMs', 'frameMs'] as const) {
      const s = summarize(samples.map((x) => x[metric]));
      figures.set(`${label}.${metric}`, s.median);
      results.push({ case: `phone+overlay ${label}`, metric: metric.replace(/Ms$/, '_ms').replace(/Pixels$/, '_pixels_per_frame'), median: round(s.median, 3), p99: round(s.p99, 3) });
    }
  }
  const off = figures.get('planning-off.rendererPixels') ?? 0;
  const on = figures.get('planning-on.rendererPixels') ?? 0;
  report('composer', results, [
    `${W}x${H}, ${FRAMES} frames after ${WARMUP} warm-up; a 300x300 translucent overlay moves every frame over the phone scene`,
    `renderer pixels per frame: planning off ${off}, on ${on}; renderer ms: off ${round(figures.get('planning-off.rendererMs') ?? 0)}, on ${round(figures.get('planning-on.rendererMs') ?? 0)}`,
    'core-engine = the compositor core\'s ClientComposition (no composer): its renderer_ms is the whole frame',
    'scan-out is the reference device composing its planes into the framebuffer with the same native kernels (what display hardware would do for free)',
  ]);
}
