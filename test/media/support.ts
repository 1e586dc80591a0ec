// A live server with an animating client for the media tests, and the frame-number code the
// client draws so that a decoded video frame and a screencap can be paired by content.
import { spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/client/index.js';
import type { StratumClient } from '../../src/client/index.js';
import { HeadlessDisplay } from '../../src/display/index.js';
import { Flinger } from '../../src/flinger/index.js';
import { Renderer } from '../../src/render/index.js';
import { startServer } from '../../src/server/index.js';
import type { StratumServer } from '../../src/server/index.js';
import { spawnCli } from '../cli/support.js';

export const CODE_BITS = 12;
export const CODE_BLOCK = 32;
export const CODE_TOP = 32;

export interface MediaRig {
  readonly dir: string;
  readonly socketPath: string;
  readonly display: HeadlessDisplay;
  readonly flinger: Flinger;
  readonly server: StratumServer;
  readonly client: StratumClient;
  /** Frames the animation has queued. */
  framesDrawn(): number;
  close(): Promise<void>;
}

/** One opaque frame of the animation: a moving gradient, a moving box and frame number k as blocks. */
export function paintFrame(pixels: Uint32Array, stride: number, width: number, height: number, k: number): void {
  for (let y = 0; y < height; y++) {
    const shade = (y + k * 2) & 0xff;
    // ABGR in memory order RGBA (little-endian): opaque, r = shade, g = 255 - shade, b = 96.
    pixels.fill((0xff << 24) | (96 << 16) | ((255 - shade) << 8) | shade, y * stride, y * stride + width);
  }
  const boxX = (k * 8) % Math.max(2, width - 128) & ~1;
  for (let y = 200; y < Math.min(height, 328); y++) pixels.fill(0xff2040e0, y * stride + boxX, y * stride + boxX + 128);
  for (let bit = 0; bit < CODE_BITS; bit++) {
    const on = ((k >> bit) & 1) === 1;
    const x0 = 32 + bit * CODE_BLOCK * 2;
    for (let y = CODE_TOP; y < CODE_TOP + CODE_BLOCK; y++) pixels.fill(on ? 0xffffffff : 0xff000000, y * stride + x0, y * stride + x0 + CODE_BLOCK);
  }
}

/** Reads the frame number back from an RGB(A) image (channels 3 or 4). */
export function readFrameCode(image: Uint8Array, width: number, channels: number): number {
  let k = 0;
  for (let bit = 0; bit < CODE_BITS; bit++) {
    const x = 32 + bit * CODE_BLOCK * 2 + CODE_BLOCK / 2;
    const y = CODE_TOP + CODE_BLOCK / 2;
    const at = (y * width + x) * channels;
    const luma = ((image[at] ?? 0) + (image[at + 1] ?? 0) + (image[at + 2] ?? 0)) / 3;
    if (luma > 128) k |= 1 << bit;
  }
  return k;
}

export async function startRig(width: number, height: number, animate = true): Promise<MediaRig> {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-media-'));
  const display = new HeadlessDisplay({ width, height, refreshRate: 60 });
  const flinger = new Flinger({ displays: [display], renderer: new Renderer({ threads: 1 }) });
  const socketPath = join(dir, 'stratum.sock');
  const server = startServer({ socketPath, flinger, log: () => {} });
  const client = await connect({ socketPath, name: 'media-test-app' });
  const surface = await client.createSurface({ name: 'animation', width, height, opaque: true });
  let drawn = 0;
  let running = true;
  const loop = (async (): Promise<void> => {
    do {
      const d = await surface.surface.dequeueBuffer();
      paintFrame(d.buffer.pixels32(), d.buffer.stride, width, height, drawn);
      await surface.surface.queueBuffer(d);
      drawn += 1;
    } while (running && animate);
  })().catch(() => undefined);
  return {
    dir,
    socketPath,
    display,
    flinger,
    server,
    client,
    framesDrawn: () => drawn,
    async close(): Promise<void> {
      running = false;
      client.close();
      await loop;
      server.close();
      flinger.dispose();
      display.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ProbeResult {
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  readonly duration: number;
}

export function ffprobe(file: string): ProbeResult {
  const out = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=codec_name,width,height,nb_read_frames,duration:format=duration', '-of', 'json', file], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`ffprobe failed on ${file}: ${out.stderr}`);
  const parsed = JSON.parse(out.stdout) as { streams: { codec_name: string; width: number; height: number; nb_read_frames: string; duration?: string }[]; format: { duration?: string } };
  const stream = parsed.streams[0];
  if (!stream) throw new Error(`${file} has no video stream`);
  return { codec: stream.codec_name, width: stream.width, height: stream.height, frames: Number(stream.nb_read_frames), duration: Number(stream.duration ?? parsed.format.duration) };
}

/** PSNR in dB of two RGB images of the same size (RGBA: alpha skipped). */
export function psnr(a: Uint8Array, aChannels: number, b: Uint8Array, bChannels: number, pixels: number): number {
  let sum = 0;
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < 3; c++) {
      const d = (a[i * aChannels + c] ?? 0) - (b[i * bChannels + c] ?? 0);
      sum += d * d;
    }
  }
  const mse = sum / (pixels * 3);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** A `stratum screenrecord ARGS` child, resolved once its progress line shows frames flowing; `stderr()` is all it wrote so far. */
export async function startRecording(args: readonly string[]): Promise<{ child: ChildProcessWithoutNullStreams; stderr: () => string }> {
  const child = spawnCli(['screenrecord', ...args]);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const onData = (): void => {
      if (!/frames [1-9]/.test(stderr)) return;
      child.stderr.off('data', onData);
      resolve();
    };
    child.stderr.on('data', onData);
    child.once('exit', () => reject(new Error(`recorder exited early: ${stderr}`)));
  });
  return { child, stderr: () => stderr };
}
