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
import { i420Size, rgbaToI420Async } from './yuv.js';

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
  let grid: VsyncGrid | undefined;
  try {
    grid = await learnVsyncGrid(client);
    log(grid ? `VSync grid: every ${grid.period.toFixed(3)} ms` : 'no VSync came within 500 ms: frames are placed by their presentation times');
    display = await client.createVirtualDisplay({ name: 'ScreenRecorder', width: size.width, height: size.height, mirror: source.id });
  } catch (error) {
    await sink.finish().catch(() => undefined);
    throw error;
  }
  const run = new Recording(sink, { width: size.width, height: size.height, fps, bugreport: options.bugreport ?? false, grid, limitMs: timeLimitMs });

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
    const checkFailures = (): void => {
      if (sink.error) stop('stopped', `the encoder failed: ${sink.error.message}`);
      else if (run.failure) stop('stopped', `the recording failed: ${run.failure.message}`);
    };
    const limitTimer = setTimeout(() => stop('time-limit', `time limit of ${timeLimitMs / 1000} s reached`), timeLimitMs);
    const progressTimer = setInterval(() => {
      options.onProgress?.(run.progress());
      checkFailures();
    }, 500);
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
      if (run.isPastLimit(frame.timestamp)) {
        frame.release();
        stop('time-limit', `time limit of ${timeLimitMs / 1000} s reached`);
        return;
      }
      // The recording takes the frame: it releases it once converted (off this thread).
      run.add(frame);
      checkFailures();
    });
  });

  // At the time limit the file runs exactly that long (an unchanged screen still counts as recorded
  // time); on Ctrl-C or a disconnect it ends with the last frame taken. Either way the frames taken
  // are converted and written first (at most a pool of them, see Recording).
  if (reason.reason !== 'display-removed') await display.destroy().catch(() => undefined);
  await run.finish(reason.reason === 'time-limit' ? timeLimitMs : undefined);
  try {
    await sink.finish();
  } catch (error) {
    throw new StratumError('INVALID_OPERATION', `the recording could not be finalized: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (sink.error) throw sink.error;
  if (run.failure) throw run.failure;
  const progress = run.progress();
  log(`${progress.frames} frames (${progress.framesReceived} received, ${progress.dropped} dropped) in ${progress.seconds.toFixed(2)} s: ${reason.message}`);
  log(`dropped: ${run.dropSummary()}`);
  return { ...progress, file: options.file, format, width: size.width, height: size.height, fps, reason: reason.reason, message: reason.message };
}

/** Bytes of converted frames a recording may hold at once (the encoder's slack, e.g. its start-up). */
const POOL_BYTES = 48 * 1024 * 1024;
/** Fewest pooled frames, whatever their size. */
const MIN_POOL_FRAMES = 4;
/** Frames handed to the encoder and not yet taken by it, repeats included, beyond which writing pauses. */
const MAX_QUEUED_WRITES = 8;
/**
 * While nothing is composed (a still screen), the periods that passed are written as repeats as
 * time goes by, up to this long ago: a frame still in flight must find its slot free. (Writing
 * them only when the next frame comes would hand the encoder a burst; 10 s of still screen is 600
 * frames, 3 s of libx264 work here, and new frames would be dropped meanwhile.)
 */
const IDLE_FILL_LAG_MS = 250;
const IDLE_FILL_EVERY_MS = 100;

/** An I420 frame of the pool: back in the pool once the last holder lets go. */
class PooledFrame {
  #holders = 0;
  constructor(
    readonly data: Uint8Array<ArrayBuffer>,
    private readonly pool: FramePool,
  ) {}

  hold(): this {
    this.#holders += 1;
    return this;
  }

  release(): void {
    this.#holders -= 1;
    if (this.#holders === 0) this.pool.give(this);
  }
}

/** Reused I420 frames (allocated on demand up to `max`): the recorder allocates nothing per frame. */
class FramePool {
  readonly #free: PooledFrame[] = [];
  #allocated = 0;
  constructor(
    private readonly bytes: number,
    readonly max: number,
  ) {}

  /** A frame held once by the caller, or undefined when all `max` are in use. */
  take(): PooledFrame | undefined {
    let frame = this.#free.pop();
    if (!frame && this.#allocated < this.max) {
      frame = new PooledFrame(new Uint8Array(this.bytes), this);
      this.#allocated += 1;
    }
    return frame?.hold();
  }

  give(frame: PooledFrame): void {
    this.#free.push(frame);
  }
}

/** The compositor's VSyncs: phase + k * period (ms, this process's clock). */
export interface VsyncGrid {
  readonly phase: number;
  readonly period: number;
}

/** The VSync grid from one frame callback, or undefined when none comes within `timeoutMs`. */
export function learnVsyncGrid(client: StratumClient, timeoutMs = 500): Promise<VsyncGrid | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      cancel();
      resolve(undefined);
    }, timeoutMs);
    const cancel = client.choreographer.postFrameCallback((frame) => {
      clearTimeout(timer);
      // expectedPresentTime lies on the grid itself (frameTime carries the app phase offset).
      resolve({ phase: frame.expectedPresentTime, period: frame.period });
    });
  });
}

interface Conversion {
  readonly slot: number;
  readonly frame: PooledFrame;
  state: 'converting' | 'ready' | 'failed';
}

/**
 * The constant-rate timeline of one recording. Each composed frame is converted on the threadpool
 * into a pooled I420 frame (the display buffer stays pinned and held until then, and goes back
 * right after); converted frames are written in order at their timeline slot, the slots in between
 * repeating the previous frame. A frame is dropped only when its picture never reaches the file.
 */
class Recording {
  /** Where the first frame lies: its VSync's index on the grid, or its presentation time. */
  #origin: number | undefined;
  readonly #pool: FramePool;
  /** Conversions in arrival order; written as they become ready at the head. */
  readonly #conversions: Conversion[] = [];
  /** The newest picture written (or about to be): repeats show it. */
  #current: PooledFrame | undefined;
  /** Whether #current has been written at least once. */
  #currentShown = false;
  /** Last slot written; -1 before the first. */
  #lastIndex = -1;
  /** Where the last frame written was placed (its own slot, before any lateness). */
  #lastFrameSlot: number | undefined;
  /** Position of the last placed frame: slot and exact (fractional) slot. */
  #placed: { slot: number; exact: number } | undefined;
  #queuedWrites = 0;
  #pumping = false;
  #written = 0;
  #received = 0;
  #droppedByDisplay = 0;
  #droppedByRecorder = 0;
  #droppedNoBuffer = 0;
  #failure: StratumError | undefined;
  #settled: (() => void) | undefined;
  readonly #startedAt = performance.now();
  readonly #periodMs: number;
  readonly #grid: VsyncGrid | undefined;

  readonly #width: number;
  readonly #height: number;
  readonly #bugreport: boolean;
  /** Slots of the whole recording (the time limit). */
  readonly #limitSlots: number;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: FrameSink,
    spec: { width: number; height: number; fps: number; bugreport: boolean; grid: VsyncGrid | undefined; limitMs: number },
  ) {
    const { width, height, fps, grid } = spec;
    this.#width = width;
    this.#height = height;
    this.#bugreport = spec.bugreport;
    this.#periodMs = 1000 / fps;
    this.#limitSlots = Math.round(spec.limitMs / this.#periodMs);
    // The grid places frames only when its period is the recording's.
    this.#grid = grid && Math.abs(grid.period - this.#periodMs) < 0.01 ? grid : undefined;
    const bytes = i420Size(width, height);
    this.#pool = new FramePool(bytes, Math.max(MIN_POOL_FRAMES, Math.floor(POOL_BYTES / bytes)));
  }

  /** A conversion failed (the recording should stop). */
  get failure(): StratumError | undefined {
    return this.#failure;
  }

  /** Takes `frame` (and releases it, now or once converted). */
  add(frame: VirtualDisplayFrame): void {
    this.#received += 1;
    this.#droppedByDisplay = frame.framesDropped;
    const buffer = frame.buffer;
    if (buffer.format !== PixelFormat.RGBA_8888 || buffer.width !== this.#width || buffer.height !== this.#height) {
      frame.release();
      throw new StratumError('BAD_VALUE', `frame ${frame.frameNumber} is ${buffer.width}x${buffer.height} format ${buffer.format}, expected ${this.#width}x${this.#height} RGBA_8888`);
    }
    if (this.#origin === undefined) {
      this.#origin = this.#grid ? this.#vsyncIndex(frame.timestamp, this.#grid) : frame.timestamp;
      this.#idleTimer = setInterval(() => this.#fillIdle(), IDLE_FILL_EVERY_MS);
    }
    const placed = this.#place(frame.timestamp);
    const target = this.#pool.take();
    if (!target) {
      // Every pooled frame waits for the encoder: it is that far behind.
      this.#droppedNoBuffer += 1;
      frame.release();
      return;
    }
    this.#placed = placed;
    let unpin: () => void;
    try {
      unpin = buffer.pin();
    } catch (error) {
      target.release();
      frame.release();
      throw error;
    }
    const conversion: Conversion = { slot: placed.slot, frame: target, state: 'converting' };
    this.#conversions.push(conversion);
    const done = (): void => {
      unpin();
      frame.release();
      this.#pump();
    };
    let converted: Promise<void>;
    try {
      converted = rgbaToI420Async({ buffer: buffer.map('read'), strideBytes: buffer.stride * 4, width: this.#width, height: this.#height }, target.data);
    } catch (error) {
      // Settled like any failure, so the frames behind it are not held up.
      converted = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    converted.then(
      () => {
        conversion.state = 'ready';
        done();
      },
      (error: unknown) => {
        conversion.state = 'failed';
        this.#failure ??= new StratumError('INVALID_OPERATION', `converting frame ${frame.frameNumber} failed: ${error instanceof Error ? error.message : String(error)}`);
        done();
      },
    );
  }

  /** True when a frame taken at `timestamp` falls on a slot at or past the time limit. */
  isPastLimit(timestamp: number): boolean {
    if (this.#origin === undefined) return false;
    return this.#place(timestamp).slot >= this.#limitSlots;
  }

  /**
   * The slot of a frame presented at `timestamp`. With the VSync grid known, the VSync the frame
   * was composed for (the last one at or before its presentation): frames of distinct VSyncs never
   * share a slot, however long each composition took. Without it, the nearest slot; presentation
   * times jitter by the composition's length there, so a frame past the middle of the previous
   * one's slot goes to the next slot (never a period early or more). Only frames of one period
   * (a source slower than the VSync) share a slot: the newer replaces the older.
   */
  #place(timestamp: number): { slot: number; exact: number } {
    const origin = this.#origin ?? 0;
    const exact = this.#grid ? this.#vsyncIndex(timestamp, this.#grid) - origin : (timestamp - origin) / this.#periodMs;
    let slot = Math.max(0, Math.round(exact));
    const previous = this.#placed;
    // On the grid every frame is a VSync of its own (the recording's rate is the VSync's): a
    // composition finishing right at the next VSync must not take that VSync's slot.
    if (previous && slot <= previous.slot && (this.#grid || exact > previous.slot)) slot = previous.slot + 1;
    return { slot, exact };
  }

  #vsyncIndex(timestamp: number, grid: VsyncGrid): number {
    // A presentation at the VSync itself must not fall a period short through rounding.
    return Math.floor((timestamp - grid.phase) / grid.period + 0.01);
  }

  /**
   * Resolves once every frame taken has been converted and handed to the sink; with `endMs` (the
   * time limit) the last picture then repeats to exactly that length.
   */
  async finish(endMs?: number): Promise<void> {
    clearInterval(this.#idleTimer);
    while (this.#conversions.length > 0 && !this.sink.error) {
      await new Promise<void>((resolve) => (this.#settled = resolve));
      this.#settled = undefined;
    }
    if (endMs !== undefined) this.#fillTo(Math.round(endMs / this.#periodMs) - 1, true);
    // The stop ends the file: a last picture never written is lost.
    if (this.#current && !this.#currentShown) this.#droppedByRecorder += 1;
    this.#current?.release();
    this.#current = undefined;
  }

  progress(): RecordProgress {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    return {
      seconds,
      frames: this.#written,
      framesReceived: this.#received,
      fps: seconds > 0 ? this.#written / seconds : 0,
      dropped: this.#droppedByDisplay + this.#droppedByRecorder + this.#droppedNoBuffer,
    };
  }

  /** Where the dropped frames went, for --verbose. */
  dropSummary(): string {
    return `${this.#droppedByDisplay} while the recorder held every display buffer, ${this.#droppedNoBuffer} with the encoder ${this.#pool.max} frames behind, ${this.#droppedByRecorder} replaced before being written`;
  }

  /** Writes converted frames, in order, while the encoder takes them. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const head = this.#conversions[0];
        if (!head || head.state === 'converting') break;
        if (head.state === 'failed') {
          this.#conversions.shift();
          head.frame.release();
          this.#droppedByRecorder += 1;
          continue;
        }
        // A frame sharing its period with the last frame written replaces it (and is not written);
        // one whose slot a still-screen repeat already took is written next (late, not lost).
        const samePeriod = this.#lastFrameSlot !== undefined && head.slot <= this.#lastFrameSlot;
        const slot = samePeriod ? head.slot : Math.max(head.slot, this.#lastIndex + 1);
        const writes = !samePeriod && slot < this.#limitSlots;
        // The gap before it repeats the previous picture; the frame itself may have to wait for room.
        if (writes && !this.#fillTo(slot - 1, false)) break;
        if (writes && this.#queuedWrites >= MAX_QUEUED_WRITES && !this.sink.error) break;
        this.#conversions.shift();
        this.#adopt(head.frame);
        if (writes) {
          this.#emit(slot);
          this.#lastFrameSlot = head.slot;
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#conversions.length === 0 || this.sink.error) this.#settled?.();
  }

  /** Repeats the current picture for the periods of a still screen, up to IDLE_FILL_LAG_MS ago. */
  #fillIdle(): void {
    if (this.#origin === undefined || this.#conversions.length > 0 || this.#pumping) return;
    const now = performance.now() - IDLE_FILL_LAG_MS;
    const slotNow = this.#grid ? this.#vsyncIndex(now, this.#grid) - this.#origin : Math.floor((now - this.#origin) / this.#periodMs);
    this.#fillTo(Math.min(slotNow, this.#limitSlots - 1), false);
  }

  /** `frame` is the newest picture; the one it replaces is dropped if it was never written. */
  #adopt(frame: PooledFrame): void {
    if (this.#current && !this.#currentShown) this.#droppedByRecorder += 1;
    this.#current?.release();
    this.#current = frame;
    this.#currentShown = false;
  }

  /** Repeats the current picture up to `index`; false when it stopped for room (`force` never does). */
  #fillTo(index: number, force: boolean): boolean {
    while (this.#current && this.#lastIndex < index && !this.sink.error) {
      if (!force && this.#queuedWrites >= MAX_QUEUED_WRITES) return false;
      this.#emit(this.#lastIndex + 1);
    }
    return true;
  }

  /** Writes the current picture at `index`. */
  #emit(index: number): void {
    const current = this.#current;
    if (!current) return;
    let data: Uint8Array = current.data;
    if (this.#bugreport) {
      data = current.data.slice();
      const ms = index * this.#periodMs;
      drawI420Text(data, this.#width, this.#height, `${formatClock(ms)} F${index}`);
    }
    current.hold();
    this.#queuedWrites += 1;
    this.sink.write(data, index, index * this.#periodMs, () => {
      this.#queuedWrites -= 1;
      current.release();
      this.#pump();
    });
    this.#written += 1;
    this.#lastIndex = index;
    this.#currentShown = true;
  }
}

function formatClock(ms: number): string {
  const total = Math.floor(ms);
  const minutes = Math.floor(total / 60000);
  const seconds = Math.floor(total / 1000) % 60;
  const millis = total % 1000;
  return `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}.${String(millis).padStart(3, '0')}`;
}
