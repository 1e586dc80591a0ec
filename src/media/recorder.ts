// screenrecord: a client process asks the server for a virtual display mirroring the chosen
// display, consumes its output queue across the socket (buffers by handle, mapped once: the
// pixels never cross the socket), converts each frame RGBA -> I420 with the native kernel and
// feeds the encoder. Output is constant-rate at the display's refresh rate: a frame lands at the
// index its presentation time gives, and unchanged periods repeat the last frame, so the file's
// duration is the recording's. It stops at the time limit, on abort (Ctrl-C) or when the display
// goes away, and always finalizes a playable file.
import type { StratumClient } from '../client/connection.js';
import type { RemoteVirtualDisplay, VirtualDisplayFrame } from '../client/virtual-display.js';
import { PixelFormat } from '../buffer/format.js';
import { StratumError } from '../os/status.js';
import type { FrameSink, OutputFormat } from './encoder.js';
import { openSink } from './encoder.js';
import { drawI420Text } from './overlay.js';
import { i420Size, rgbaToI420 } from './yuv.js';

export const DEFAULT_BIT_RATE_MBPS = 20;
export const BIT_RATE_RANGE_MBPS = { min: 0.1, max: 200 } as const;
export const DEFAULT_TIME_LIMIT_S = 180;
export const MAX_TIME_LIMIT_S = 180;

export interface RecordOptions {
  /** Output file ('-' = stdout, only for frames / raw-frames). */
  readonly file: string;
  /** Default: the first (primary) display. */
  readonly display?: number;
  /** Default: the display's size as shown (rotation applied), rounded down to even. */
  readonly size?: { readonly width: number; readonly height: number };
  readonly bitRateMbps?: number;
  readonly timeLimitSeconds?: number;
  readonly format?: OutputFormat;
  /** Draw the time and frame number into every frame. */
  readonly bugreport?: boolean;
  /** Stops the recording (Ctrl-C); the file is finalized. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RecordProgress) => void;
  /** Verbose details (the CLI's --verbose). */
  readonly log?: (line: string) => void;
  /** ffmpeg binary (default 'ffmpeg' on PATH). */
  readonly ffmpeg?: string;
}

export interface RecordProgress {
  readonly seconds: number;
  /** Frames written to the file (repeats of an unchanged screen included). */
  readonly frames: number;
  /** Frames the display delivered. */
  readonly framesReceived: number;
  /** Frames written per second of wall time. */
  readonly fps: number;
  /** Frames lost: composed while the recorder held every buffer, or refused by a busy encoder. */
  readonly dropped: number;
}

export type StopReason = 'time-limit' | 'stopped' | 'display-removed';

export interface RecordResult extends RecordProgress {
  readonly file: string;
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly reason: StopReason;
  /** Why it stopped, for people. */
  readonly message: string;
}

/** Video sizes must be even for 4:2:0. */
export function evenSize(width: number, height: number): { width: number; height: number } {
  return { width: Math.max(2, width - (width % 2)), height: Math.max(2, height - (height % 2)) };
}

export function formatFromFile(file: string): OutputFormat {
  if (file.endsWith('.webm')) return 'webm';
  if (file.endsWith('.h264') || file.endsWith('.264')) return 'h264';
  return 'mp4';
}

function checkOptions(options: RecordOptions): void {
  if (typeof options.file !== 'string' || options.file.length === 0) throw new StratumError('BAD_VALUE', 'screenrecord needs an output file');
  const rate = options.bitRateMbps ?? DEFAULT_BIT_RATE_MBPS;
  if (!Number.isFinite(rate) || rate < BIT_RATE_RANGE_MBPS.min || rate > BIT_RATE_RANGE_MBPS.max) {
    throw new StratumError('BAD_VALUE', `bit rate ${rate} Mbps is outside ${BIT_RATE_RANGE_MBPS.min}-${BIT_RATE_RANGE_MBPS.max} Mbps`);
  }
  const limit = options.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_S;
  if (!Number.isFinite(limit) || limit <= 0 || limit > MAX_TIME_LIMIT_S) throw new StratumError('BAD_VALUE', `time limit ${limit} s is outside (0, ${MAX_TIME_LIMIT_S}] s`);
  if (options.size) {
    const { width, height } = options.size;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2 || width > 8192 || height > 8192 || width % 2 !== 0 || height % 2 !== 0) {
      throw new StratumError('BAD_VALUE', `video size ${width}x${height} must be even, 2..8192 on each side`);
    }
  }
}

/** Records until the time limit, abort, or the display's disconnection. */
export async function screenrecord(client: StratumClient, options: RecordOptions): Promise<RecordResult> {
  checkOptions(options);
  const log = options.log ?? (() => undefined);
  const displays = await client.listDisplays();
  const source = options.display === undefined ? displays[0] : displays.find((d) => d.id === options.display);
  if (!source) throw new StratumError('NAME_NOT_FOUND', options.display === undefined ? 'the server has no display to record' : `display ${options.display} does not exist (see: stratum display list)`);
  const turned = source.rotation === 90 || source.rotation === 270;
  const size = options.size ?? evenSize(turned ? source.height : source.width, turned ? source.width : source.height);
  const fps = Math.max(1, Math.round(source.refreshRate));
  const format = options.format ?? formatFromFile(options.file);
  const timeLimitMs = (options.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_S) * 1000;
  const sink = openSink({ file: options.file, format, width: size.width, height: size.height, fps, bitRateMbps: options.bitRateMbps ?? DEFAULT_BIT_RATE_MBPS, ...(options.ffmpeg ? { ffmpeg: options.ffmpeg } : {}) });
  log(`recording display ${source.id} (${source.name}, ${source.width}x${source.height} @ ${source.refreshRate} Hz) to ${options.file}: ${format} ${size.width}x${size.height} @ ${fps} fps, ${options.bitRateMbps ?? DEFAULT_BIT_RATE_MBPS} Mbps, limit ${timeLimitMs / 1000} s`);

  let display: RemoteVirtualDisplay;
  try {
    display = await client.createVirtualDisplay({ name: 'ScreenRecorder', width: size.width, height: size.height, mirror: source.id });
  } catch (error) {
    await sink.finish().catch(() => undefined);
    throw error;
  }
  const run = new Recording(sink, size.width, size.height, fps, options.bugreport ?? false);

  let stopped = false;
  const reason = await new Promise<{ reason: StopReason; message: string }>((resolve) => {
    const stop = (r: StopReason, message: string): void => {
      if (stopped) return;
      stopped = true;
      clearTimeout(limitTimer);
      clearInterval(progressTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ reason: r, message });
    };
    const limitTimer = setTimeout(() => stop('time-limit', `time limit of ${timeLimitMs / 1000} s reached`), timeLimitMs);
    const progressTimer = setInterval(() => options.onProgress?.(run.progress()), 500);
    const onAbort = (): void => stop('stopped', 'stopped');
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort);
    display.onEnded((why) => stop('display-removed', `the recording ended early: ${why}`));
    display.onFrame((frame) => {
      // Frames after the stop (until the display is destroyed) are not recorded, and neither is a
      // frame whose slot on the timeline lies at or past the limit: check before adding.
      if (stopped) {
        frame.release();
        return;
      }
      if (run.isPastLimit(frame.timestamp, timeLimitMs)) {
        frame.release();
        stop('time-limit', `time limit of ${timeLimitMs / 1000} s reached`);
        return;
      }
      try {
        run.add(frame);
      } finally {
        frame.release();
      }
      if (sink.error) stop('stopped', `the encoder failed: ${sink.error.message}`);
    });
  });

  // At the time limit the file runs exactly that long (an unchanged screen still counts as recorded
  // time); on Ctrl-C or a disconnect it ends with the last frame, so stopping never waits for an
  // encoder that fell behind to work through seconds of repeats.
  if (reason.reason === 'time-limit') run.finish(timeLimitMs);
  if (reason.reason !== 'display-removed') await display.destroy().catch(() => undefined);
  try {
    await sink.finish();
  } catch (error) {
    throw new StratumError('INVALID_OPERATION', `the recording could not be finalized: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (sink.error) throw sink.error;
  const progress = run.progress();
  log(`${progress.frames} frames (${progress.framesReceived} received, ${progress.dropped} dropped) in ${progress.seconds.toFixed(2)} s: ${reason.message}`);
  return { ...progress, file: options.file, format, width: size.width, height: size.height, fps, reason: reason.reason, message: reason.message };
}

/** The constant-rate timeline of one recording. */
class Recording {
  firstFrameAt: number | undefined;
  /** The newest converted frame (written again for unchanged periods). */
  #current: Uint8Array | undefined;
  /** Index of the last frame written; -1 before the first. */
  #lastIndex = -1;
  #written = 0;
  #received = 0;
  #droppedByEncoder = 0;
  #droppedByDisplay = 0;
  readonly #startedAt = performance.now();
  readonly #periodMs: number;

  constructor(
    private readonly sink: FrameSink,
    private readonly width: number,
    private readonly height: number,
    private readonly fps: number,
    private readonly bugreport: boolean,
  ) {
    this.#periodMs = 1000 / fps;
  }

  add(frame: VirtualDisplayFrame): void {
    this.#received += 1;
    this.#droppedByDisplay = frame.framesDropped;
    const buffer = frame.buffer;
    if (buffer.format !== PixelFormat.RGBA_8888 || buffer.width !== this.width || buffer.height !== this.height) {
      throw new StratumError('BAD_VALUE', `frame ${frame.frameNumber} is ${buffer.width}x${buffer.height} format ${buffer.format}, expected ${this.width}x${this.height} RGBA_8888`);
    }
    this.firstFrameAt ??= frame.timestamp;
    const index = this.#slotOf(frame.timestamp);
    // The screen did not change in between: those periods show the previous frame.
    this.#fillTo(index - 1);
    const yuv = new Uint8Array(i420Size(this.width, this.height));
    rgbaToI420({ buffer: buffer.map('read'), strideBytes: buffer.stride * 4, width: this.width, height: this.height }, yuv);
    this.#current = yuv;
    // Two frames in one period (the newer replaces the one written), or the encoder is behind
    // (its period is filled later with newer content): either way this frame is lost.
    if (index <= this.#lastIndex || !this.#emit(index, false)) this.#droppedByEncoder += 1;
  }

  /** True when a frame taken at `timestamp` falls on a slot at or past the end of a `limitMs` recording. */
  isPastLimit(timestamp: number, limitMs: number): boolean {
    if (this.firstFrameAt === undefined) return false;
    return this.#slotOf(timestamp) >= Math.round(limitMs / this.#periodMs);
  }

  #slotOf(timestamp: number): number {
    return Math.max(0, Math.round((timestamp - (this.firstFrameAt ?? timestamp)) / this.#periodMs));
  }

  /** Repeats the last frame up to the end of the recording. */
  finish(endMs: number): void {
    this.#fillTo(Math.round(endMs / this.#periodMs) - 1, true);
  }

  progress(): RecordProgress {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    return {
      seconds,
      frames: this.#written,
      framesReceived: this.#received,
      fps: seconds > 0 ? this.#written / seconds : 0,
      dropped: this.#droppedByDisplay + this.#droppedByEncoder,
    };
  }

  #fillTo(index: number, force = false): void {
    while (this.#current && this.#lastIndex < index && !this.sink.error) {
      if (!this.#emit(this.#lastIndex + 1, force)) return;
    }
  }

  /** Writes the current frame at `index`; false when the encoder refused it (nothing advances). */
  #emit(index: number, force: boolean): boolean {
    const current = this.#current;
    if (!current) return false;
    let frame = current;
    if (this.bugreport) {
      frame = current.slice();
      const ms = index * this.#periodMs;
      drawI420Text(frame, this.width, this.height, `${formatClock(ms)} F${index}`);
    }
    if (!this.sink.write(frame, index, index * this.#periodMs, force)) return false;
    this.#written += 1;
    this.#lastIndex = index;
    return true;
  }
}

function formatClock(ms: number): string {
  const total = Math.floor(ms);
  const minutes = Math.floor(total / 60000);
  const seconds = Math.floor(total / 1000) % 60;
  const millis = total % 1000;
  return `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}.${String(millis).padStart(3, '0')}`;
}
