// The video sink of screenrecord: Debian's ffmpeg fed I420 frames through stdin (libx264 for
// mp4/h264, libvpx for webm), or plain files of raw frames without any encoder. The sink never
// copies a frame: it tells the recorder when each one has been passed on (the pipe took it), and
// the recorder paces itself on that (src/media/recorder.ts).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { StratumError } from '../os/status.js';

export type OutputFormat = 'mp4' | 'webm' | 'h264' | 'frames' | 'raw-frames';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['mp4', 'webm', 'h264', 'frames', 'raw-frames'];

/** What every frame written to a 'frames' file starts with (little-endian). */
export const FRAME_HEADER_BYTES = 24;
/** 'frames' header: u32 magic, width, height, format (1 = I420), frame index, then f32 time in ms since the first frame. */
export const FRAME_MAGIC = 0x53465246; // "FRFS"

export const FFMPEG_INSTALL_HINT = 'install it with `apt-get install ffmpeg` (Debian/Ubuntu)';

export interface EncoderConfig {
  readonly file: string;
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly bitRateMbps: number;
  /** Default 'ffmpeg' from PATH. */
  readonly ffmpeg?: string;
}

export interface FrameSink {
  /**
   * Hands `frame` over as output frame `index`. `written` runs once the sink no longer reads
   * `frame` (it may be reused from then on), also when the sink has failed.
   */
  write(frame: Uint8Array, index: number, timeMs: number, written: () => void): void;
  /** Flushes and closes; resolves when the file is complete. */
  finish(): Promise<void>;
  /** Set once the sink failed (EPIPE, encoder exit); later writes are refused. */
  readonly error: StratumError | undefined;
}

/** Throws a clear error when ffmpeg is not there. */
export function checkFfmpeg(ffmpeg = 'ffmpeg'): void {
  const probe = spawnSync(ffmpeg, ['-hide_banner', '-version'], { stdio: 'ignore' });
  if (probe.error && (probe.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new StratumError('UNSUPPORTED', `ffmpeg is not installed (needed to encode mp4, webm and h264): ${FFMPEG_INSTALL_HINT}; --output-format frames or raw-frames records without it`);
  }
  if (probe.status !== 0) throw new StratumError('UNSUPPORTED', `ffmpeg (${ffmpeg}) does not run (exit ${String(probe.status)}): ${FFMPEG_INSTALL_HINT}`);
}

/** ffmpeg's arguments for one recording (input: raw I420 on stdin at a constant rate). */
export function ffmpegArgs(config: EncoderConfig): string[] {
  const { width, height, fps } = config;
  const bitRate = `${Math.round(config.bitRateMbps * 1000)}k`;
  const input = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0'];
  // I-frame every 10 s, as Android's recorder.
  const gop = ['-g', String(Math.max(1, Math.round(fps * 10)))];
  switch (config.format) {
    case 'mp4':
      return [...input, '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', bitRate, ...gop, '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', '-y', config.file];
    case 'h264':
      return [...input, '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', bitRate, ...gop, '-pix_fmt', 'yuv420p', '-f', 'h264', '-y', config.file];
    case 'webm':
      return [...input, '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', bitRate, ...gop, '-pix_fmt', 'yuv420p', '-f', 'webm', '-y', config.file];
    default:
      throw new StratumError('BAD_VALUE', `${config.format} needs no encoder`);
  }
}

class FfmpegSink implements FrameSink {
  readonly #child: ChildProcess;
  #stderr = '';
  #error: StratumError | undefined;
  readonly #exited: Promise<number | null>;

  constructor(config: EncoderConfig) {
    // Its own process group: a Ctrl-C in the terminal reaches the recorder, which then closes
    // stdin so ffmpeg finishes the file, instead of ffmpeg dying half-way.
    this.#child = spawn(config.ffmpeg ?? 'ffmpeg', ffmpegArgs(config), { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.#child.stdin?.on('error', (error: NodeJS.ErrnoException) => {
      this.#fail(`ffmpeg stopped reading its input (${error.code ?? error.message})`);
    });
    this.#exited = new Promise((resolve) => {
      this.#child.once('error', (error: NodeJS.ErrnoException) => {
        this.#fail(error.code === 'ENOENT' ? `ffmpeg is not installed: ${FFMPEG_INSTALL_HINT}` : `ffmpeg did not start: ${error.message}`);
        resolve(null);
      });
      this.#child.once('exit', (code) => {
        if (code !== 0) this.#fail(`ffmpeg exited with code ${String(code)}`);
        resolve(code);
      });
    });
  }

  get error(): StratumError | undefined {
    return this.#error;
  }

  write(frame: Uint8Array, _index: number, _timeMs: number, written: () => void): void {
    const stdin = this.#child.stdin;
    if (this.#error || !stdin || stdin.destroyed) {
      queueMicrotask(written);
      return;
    }
    // The stream keeps a reference (no copy) until the pipe has taken every byte, then calls back
    // (with an error too, once the stream is destroyed).
    stdin.write(frame, () => written());
  }

  async finish(): Promise<void> {
    const stdin = this.#child.stdin;
    if (stdin && !stdin.destroyed) stdin.end();
    const code = await this.#exited;
    if (code !== 0 || this.#error) throw this.#error ?? new StratumError('INVALID_OPERATION', `ffmpeg exited with code ${String(code)}`);
  }

  #fail(message: string): void {
    if (this.#error) return;
    const detail = this.#stderr.trim().split('\n').slice(-3).join(' / ');
    this.#error = new StratumError('INVALID_OPERATION', detail ? `${message}: ${detail}` : message);
  }
}

/** 'frames' (a header per frame) and 'raw-frames' (bare I420 frames) written straight to a file or stdout ('-'). */
class RawSink implements FrameSink {
  readonly #fd: number;
  readonly #ownFd: boolean;
  readonly #header: boolean;
  readonly #config: EncoderConfig;
  #error: StratumError | undefined;

  constructor(config: EncoderConfig) {
    this.#config = config;
    this.#header = config.format === 'frames';
    this.#ownFd = config.file !== '-';
    this.#fd = this.#ownFd ? openSync(config.file, 'w') : 1;
  }

  get error(): StratumError | undefined {
    return this.#error;
  }

  write(frame: Uint8Array, index: number, timeMs: number, written: () => void): void {
    // Synchronous writes: the frame is free again right away (told after this call returns).
    queueMicrotask(written);
    if (this.#error) return;
    try {
      if (this.#header) {
        const header = new DataView(new ArrayBuffer(FRAME_HEADER_BYTES));
        header.setUint32(0, FRAME_MAGIC, true);
        header.setUint32(4, this.#config.width, true);
        header.setUint32(8, this.#config.height, true);
        header.setUint32(12, 1, true);
        header.setUint32(16, index, true);
        header.setFloat32(20, timeMs, true);
        writeSync(this.#fd, new Uint8Array(header.buffer));
      }
      writeSync(this.#fd, frame);
    } catch (error) {
      this.#error = new StratumError('INVALID_OPERATION', `writing ${this.#config.file} failed: ${String(error)}`);
    }
  }

  finish(): Promise<void> {
    if (this.#ownFd) closeSync(this.#fd);
    return this.#error ? Promise.reject(this.#error) : Promise.resolve();
  }
}

export function openSink(config: EncoderConfig): FrameSink {
  if (config.format === 'frames' || config.format === 'raw-frames') return new RawSink(config);
  if (config.file === '-') throw new StratumError('BAD_VALUE', `--output-format ${config.format} cannot go to stdout: give a file (stdout takes frames or raw-frames)`);
  checkFfmpeg(config.ffmpeg);
  return new FfmpegSink(config);
}
