// Renderer benchmark: the anchor scenes (a)-(d) of ../shared/anchors/README.md built the same way
// as pixman_bench.c, single-threaded (composeSync) and with all cores (compose), against
// pixman_bench and memcpy_bench run in this same run, interleaved with our rounds; plus NV12 -> RGBA of a 1080p
// frame and a 90-degree rotated full-screen layer.
import { availableParallelism, loadavg } from 'node:os';

import { PixelFormat } from '../src/buffer/format.js';
import { Transform } from '../src/buffer/transform.js';
import { closeFd, createSharedMemory, mapFd, unmap } from '../src/os/index.js';
import type { Fd } from '../src/os/index.js';
import { Renderer } from '../src/render/index.js';
import type { PixelMemory, RenderLayer } from '../src/render/index.js';
import { anchorBinary, runAnchor } from './lib/anchors.js';
import type { BenchResult } from './lib/report.js';
import { report, round, summarize, withPeer } from './lib/report.js';

const W = 1080;
const H = 2400;

// Page-aligned shared memory, as GraphicBuffers have (pixman_bench uses aligned_alloc(64)), with
// rows packed exactly as in pixman_bench (stride = width).
const mappings: { fd: Fd; memory: ArrayBuffer }[] = [];
function sharedBytes(size: number): ArrayBuffer {
  const pageSize = Math.ceil(size / 4096) * 4096;
  const fd = createSharedMemory('stratum-bench-render', pageSize);
  const memory = mapFd(fd, pageSize, 'read-write');
  mappings.push({ fd, memory });
  return memory;
}

function releaseShared(): void {
  for (const { fd, memory } of mappings.splice(0)) {
    unmap(memory);
    closeFd(fd);
  }
}

function image(width: number, height: number, format: PixelFormat, pixel: (x: number, y: number) => number): PixelMemory {
  const bytes = sharedBytes(width * height * 4);
  const words = new Uint32Array(bytes, 0, width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) words[y * width + x] = pixel(x, y);
  return { bytes, width, height, stride: width, format };
}

// The anchor's patterns, word for word: alpha in the top byte, colours <= alpha.
const opaque = (seed: number) => (x: number, y: number): number => (0xff000000 | (Math.imul(x * 7 + y * 13 + seed, 2654435761) >>> 8)) >>> 0;
const translucent = (a: number, seed: number) => (x: number, y: number): number => {
  const v = Math.imul(x * 3 + y * 5 + seed, 2654435761) >>> 0;
  const r = Math.floor((((v >>> 8) & 0xff) * a) / 255);
  const g = Math.floor((((v >>> 16) & 0xff) * a) / 255);
  const b = Math.floor((((v >>> 24) & 0xff) * a) / 255);
  return ((a << 24) | (r << 16) | (g << 8) | b) >>> 0;
};

function nv12Frame(width: number, height: number): PixelMemory {
  const bytes = new Uint8Array(sharedBytes(width * height + width * (height / 2)), 0, width * height + width * (height / 2));
  for (let i = 0; i < width * height; i++) bytes[i] = 16 + ((i * 7) % 220);
  for (let i = width * height; i < bytes.length; i++) bytes[i] = 16 + ((i * 13) % 225);
  return { bytes, width, height, stride: width, format: PixelFormat.NV12 };
}

const screen = { left: 0, top: 0, right: W, bottom: H };

// Per round, each scene is warmed up and timed as pixman_bench does its cases: `warm` frames (10, 3
// for the slow bilinear case) before PIXMAN_RUNS_PER_ROUND timed ones.
function scenes(): { name: string; peerCase?: string; layers: RenderLayer[]; target: PixelMemory; warm: number }[] {
  const target = image(W, H, PixelFormat.RGBA_8888, opaque(1));
  const fullOpaque = image(W, H, PixelFormat.RGBA_8888, opaque(2));
  const fullTranslucent = image(W, H, PixelFormat.RGBA_8888, translucent(0x80, 3));
  const statusBar = image(W, 80, PixelFormat.RGBA_8888, opaque(4));
  const app = image(W, 2240, PixelFormat.RGBX_8888, opaque(5));
  const navBar = image(W, 80, PixelFormat.RGBA_8888, translucent(0xa0, 6));
  const overlay = image(400, 400, PixelFormat.RGBA_8888, translucent(0x60, 7));
  const small = image(540, 1200, PixelFormat.RGBA_8888, translucent(0x80, 8));
  const rotated = image(H, W, PixelFormat.RGBA_8888, opaque(9));
  const video = nv12Frame(1920, 1080);
  const videoTarget = image(1920, 1080, PixelFormat.RGBA_8888, opaque(10));
  const nav = { left: 0, top: H - 80, right: W, bottom: H };
  return [
    { name: '(a) SRC full-screen copy', peerCase: 'a', target, warm: 10, layers: [{ kind: 'buffer', source: fullOpaque, dst: screen, blend: 'none' }] },
    { name: '(b) OVER a=0x80 full-screen', peerCase: 'b', target, warm: 10, layers: [{ kind: 'buffer', source: fullTranslucent, dst: screen }] },
    {
      name: '(c) phone scene, 4 layers', peerCase: 'c', target, warm: 10, layers: [
        { kind: 'buffer', source: statusBar, dst: { left: 0, top: 0, right: W, bottom: 80 }, blend: 'none' },
        { kind: 'buffer', source: app, dst: { left: 0, top: 80, right: W, bottom: 2320 } },
        { kind: 'clear', color: { r: 0, g: 0, b: 0, a: 255 }, dst: nav },
        { kind: 'buffer', source: navBar, dst: nav },
        { kind: 'buffer', source: overlay, dst: { left: (W - 400) / 2, top: (H - 400) / 2, right: (W + 400) / 2, bottom: (H + 400) / 2 } },
      ],
    },
    { name: '(d) bilinear 2x OVER 540x1200->full', peerCase: 'd', target, warm: 3, layers: [{ kind: 'buffer', source: small, dst: screen, filter: 'bilinear' }] },
    { name: 'NV12 BT.709 1920x1080 -> RGBA', target: videoTarget, warm: 3, layers: [{ kind: 'buffer', source: video, dst: { left: 0, top: 0, right: 1920, bottom: 1080 }, yuv: { matrix: 'bt709', range: 'limited' } }] },
    { name: 'rotated 90 full-screen layer', target, warm: 3, layers: [{ kind: 'buffer', source: rotated, dst: screen, transform: Transform.ROT_90, blend: 'none' }] },
  ];
}

/** Min and median in ms by case letter from one pixman_bench run. */
function pixmanTimes(runs: number): Map<string, { min: number; median: number }> | undefined {
  const binary = anchorBinary('pixman_bench');
  const out = binary === undefined ? undefined : runAnchor(binary, [String(runs), 'pad', '1']);
  if (out === undefined) return undefined;
  const times = new Map<string, { min: number; median: number }>();
  for (const m of out.matchAll(/\(([abcd])\).*min\/med\/max =\s+([\d.]+)\s+([\d.]+)/g)) times.set(m[1]!, { min: Number(m[2]), median: Number(m[3]) });
  return times;
}

function memcpyHot(runs: number): { min: number; median: number } | undefined {
  const binary = anchorBinary('memcpy_bench');
  const out = binary === undefined ? undefined : runAnchor(binary, [String(runs)]);
  const m = out?.match(/hot.*min\/med\/max =\s+([\d.]+)\s+([\d.]+)/);
  return m ? { min: Number(m[1]), median: Number(m[2]) } : undefined;
}

// The machine is shared: many short rounds alternate pixman and our scenes so load drift hits
// both alike, and both sides are summarised the same way: the median of the per-round medians.
const ROUNDS = 10;
const PIXMAN_RUNS_PER_ROUND = 12;
const MEMCPY_RUNS_PER_ROUND = 20;

function medianOfRounds(rounds: readonly (readonly number[])[]): number {
  return summarize(rounds.filter((r) => r.length > 0).map((r) => summarize(r).median)).median;
}

/** Median over rounds of (our round median / the peer's median in the same round): load drift cancels out. */
function pairedRatio(ours: readonly (readonly number[])[], peer: readonly (number | undefined)[]): number | undefined {
  const ratios = ours.flatMap((samples, r) => {
    const p = peer[r];
    return p === undefined || samples.length === 0 ? [] : [summarize(samples).median / p];
  });
  return ratios.length === 0 ? undefined : summarize(ratios).median;
}

export async function run(): Promise<void> {
  const notes: string[] = [];
  const cores = availableParallelism();
  const single = new Renderer({ threads: 1 });
  const all = new Renderer({ threads: cores });
  notes.push(`load average at start ${loadavg()[0]?.toFixed(1) ?? '?'} on ${cores} cores`);
  notes.push(`kernel variant ${Renderer.kernelVariants()[0] ?? '?'}; ${cores} cores; ${ROUNDS} rounds of pixman_bench (${PIXMAN_RUNS_PER_ROUND} runs a case) and memcpy_bench, before our scenes in even rounds and after them in odd ones; medians are medians of per-round medians on both sides`);
  // pixman_bench allocates its images afresh in every run, so each round sees a new placement of
  // its memory in physical pages (and cache sets); ours are rebuilt every round too, or one unlucky
  // placement would weigh on every round of ours. `list` is only read for names and letters.
  let list = scenes();
  // [scene][round] -> samples
  const oneThread = list.map((): number[][] => []);
  const allThreads = list.map((): number[][] => []);
  // Index r holds round r's figures (undefined when that run failed), so rounds pair up.
  const pixmanRounds: (Map<string, { min: number; median: number }> | undefined)[] = [];
  const memcpyRounds: ({ min: number; median: number } | undefined)[] = [];
  const runPeers = (): void => {
    pixmanRounds.push(pixmanTimes(PIXMAN_RUNS_PER_ROUND));
    memcpyRounds.push(memcpyHot(MEMCPY_RUNS_PER_ROUND));
  };
  for (let round = 0; round < ROUNDS; round++) {
    // Odd rounds run the peers after our scenes, even rounds before: neither side always follows the other.
    if (round % 2 === 0) runPeers();
    if (round > 0) {
      releaseShared();
      list = scenes();
    }
    for (const [index, scene] of list.entries()) {
      const runs = PIXMAN_RUNS_PER_ROUND;
      const one: number[] = [];
      const many: number[] = [];
      for (let i = 0; i < scene.warm; i++) single.composeSync(scene.target, scene.layers);
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        single.composeSync(scene.target, scene.layers);
        one.push(performance.now() - t0);
      }
      for (let i = 0; i < scene.warm; i++) await all.compose(scene.target, scene.layers);
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await all.compose(scene.target, scene.layers);
        many.push(performance.now() - t0);
      }
      oneThread[index]!.push(one);
      allThreads[index]!.push(many);
    }
    if (round % 2 === 1) runPeers();
  }
  if (pixmanRounds.every((m) => m === undefined)) notes.push('pixman_bench unavailable (needs gcc, pkg-config and libpixman-1-dev): no pixman peer figures');
  const results: BenchResult[] = [];
  let phoneAllCores: BenchResult | undefined;
  for (const [index, scene] of list.entries()) {
    const s1 = { ...summarize(oneThread[index]!.flat()), median: medianOfRounds(oneThread[index]!) };
    const sn = { ...summarize(allThreads[index]!.flat()), median: medianOfRounds(allThreads[index]!) };
    const letter = scene.peerCase;
    const peerTimes = letter === undefined ? [] : pixmanRounds.flatMap((m) => m?.get(letter) ?? []);
    const peer = peerTimes.length > 0 ? summarize(peerTimes.map((t) => t.median)).median : undefined;
    // Minimums show the uncontended cost when the shared machine is busy.
    const peerMin = peerTimes.length > 0 ? Math.min(...peerTimes.map((t) => t.min)) : undefined;
    const paired = letter === undefined ? undefined : pairedRatio(oneThread[index]!, pixmanRounds.map((m) => m?.get(letter)?.median));
    const minNote = `min ${round(s1.min)}${peerMin === undefined ? '' : ` vs pixman min ${peerMin} (ratio ${round(s1.min / peerMin)})`}` +
      (paired === undefined ? '' : `; paired per-round ratio ${round(paired)}`);
    results.push(withPeer({ case: `${scene.name}, 1 thread`, metric: 'ms_per_frame', median: round(s1.median), p99: round(s1.p99), note: minNote }, 'pixman', peer));
    const multi: BenchResult = { case: `${scene.name}, ${cores} threads`, metric: 'ms_per_frame', median: round(sn.median), p99: round(sn.p99), note: `min ${round(sn.min)}` };
    results.push(multi);
    if (letter === 'c') phoneAllCores = multi;
  }
  const memcpyRan = memcpyRounds.filter((m): m is { min: number; median: number } => m !== undefined);
  const memcpy = memcpyRan.length === 0 ? undefined : {
    median: summarize(memcpyRan.map((m) => m.median)).median,
    min: Math.min(...memcpyRan.map((m) => m.min)),
  };
  if (memcpy === undefined) notes.push('memcpy_bench unavailable: no memcpy floor');
  if (phoneAllCores && memcpy !== undefined) {
    const phoneRounds = allThreads[list.findIndex((scene) => scene.peerCase === 'c')] ?? [];
    const ourMin = phoneRounds.length > 0 ? summarize(phoneRounds.flat()).min : Number.NaN;
    const paired = pairedRatio(phoneRounds, memcpyRounds.map((m) => m?.median));
    results.push(withPeer({
      ...phoneAllCores,
      case: `(c) phone scene, ${cores} threads vs one memcpy of the frame`,
      note: `goal <= 1.5; min ${round(ourMin)} vs memcpy min ${memcpy.min} (ratio ${round(ourMin / memcpy.min)})` +
        (paired === undefined ? '' : `; paired per-round ratio ${round(paired)}`),
    }, 'memcpy hot', memcpy.median));
  }
  const b = results.find((r) => r.case.startsWith('(b)') && r.ratio !== undefined);
  if (b) notes.push(`goal (b) <= 0.6x pixman: measured ${b.ratio}`);
  notes.push(`load average at end ${loadavg()[0]?.toFixed(1) ?? '?'}`);
  releaseShared();
  report('render', results, notes);
}
