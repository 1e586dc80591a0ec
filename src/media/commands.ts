// The `stratum screenrecord` and `stratum display simulate` commands over a connected client:
// option parsing (the real tools' options and defaults), the progress line, Ctrl-C handling.
// src/cli wires them into the command tree.
import type { StratumClient } from '../client/connection.js';
import { StratumError } from '../os/status.js';
import type { OutputFormat } from './encoder.js';
import { OUTPUT_FORMATS } from './encoder.js';
import type { RecordProgress } from './recorder.js';
import { BIT_RATE_RANGE_MBPS, DEFAULT_BIT_RATE_MBPS, DEFAULT_TIME_LIMIT_S, MAX_TIME_LIMIT_S, screenrecord } from './recorder.js';

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (the progress line redraws in place). */
  readonly stderrIsTty?: boolean;
}

export interface ScreenrecordFlags {
  readonly display?: number;
  readonly size?: string;
  readonly bitRate?: string;
  readonly timeLimit?: string;
  readonly outputFormat?: string;
  readonly bugreport?: boolean;
  readonly verbose?: boolean;
}

/** "1280x720" -> even sides. */
export function parseVideoSize(text: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(text.trim());
  const width = match ? Number(match[1]) : NaN;
  const height = match ? Number(match[2]) : NaN;
  if (!match || width < 2 || height < 2 || width > 8192 || height > 8192) throw new StratumError('BAD_VALUE', `--size "${text}" is not WxH with sides 2..8192 (e.g. 1280x720)`);
  if (width % 2 !== 0 || height % 2 !== 0) throw new StratumError('BAD_VALUE', `--size ${width}x${height}: both sides must be even (4:2:0 video)`);
  return { width, height };
}

/** Android's forms: "4M" / "4m" (Mbps), plain bits per second ("4000000"), or plain Mbps up to 200 ("20"). */
export function parseBitRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([mMkK]?)$/.exec(text.trim());
  if (!match) throw new StratumError('BAD_VALUE', `--bit-rate "${text}" is not a rate (e.g. 20, 4M or 4000000)`);
  const value = Number(match[1]);
  const unit = (match[2] ?? '').toLowerCase();
  const mbps = unit === 'm' ? value : unit === 'k' ? value / 1000 : value > BIT_RATE_RANGE_MBPS.max ? value / 1e6 : value;
  if (mbps < BIT_RATE_RANGE_MBPS.min || mbps > BIT_RATE_RANGE_MBPS.max) {
    throw new StratumError('BAD_VALUE', `--bit-rate ${text} is ${mbps} Mbps, outside ${BIT_RATE_RANGE_MBPS.min}-${BIT_RATE_RANGE_MBPS.max} Mbps`);
  }
  return mbps;
}

export function parseTimeLimit(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TIME_LIMIT_S) throw new StratumError('BAD_VALUE', `--time-limit ${text} must be more than 0 and at most ${MAX_TIME_LIMIT_S} seconds`);
  return seconds;
}

function parseFormat(text: string): OutputFormat {
  const format = OUTPUT_FORMATS.find((f) => f === text);
  if (!format) throw new StratumError('BAD_VALUE', `--output-format ${text} is not one of ${OUTPUT_FORMATS.join(', ')}`);
  return format;
}

export function formatProgress(p: RecordProgress): string {
  return `time ${p.seconds.toFixed(1)} s  frames ${p.frames}  fps ${p.fps.toFixed(1)}  dropped ${p.dropped}`;
}

/** The signals that end a long-running command the way Ctrl-C does. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Waits for Ctrl-C (or SIGTERM/SIGHUP), resolving undefined, or for the virtual display to end
 * first, resolving its reason. The signal handlers are removed either way.
 */
export function untilStoppedOrEnded(display: { onEnded(listener: (reason: string) => void): () => void }): Promise<string | undefined> {
  return new Promise((resolve) => {
    const finish = (reason: string | undefined): void => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      stopListening();
      resolve(reason);
    };
    const onSignal = (): void => finish(undefined);
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
    const stopListening = display.onEnded((reason) => finish(reason));
  });
}

/** Runs one recording until the time limit, Ctrl-C (SIGINT/SIGTERM/SIGHUP) or the display going away. */
export async function screenrecordCommand(client: StratumClient, file: string, flags: ScreenrecordFlags, io: CommandIo): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  for (const s of STOP_SIGNALS) process.on(s, stop);
  const tty = io.stderrIsTty ?? false;
  try {
    const result = await screenrecord(client, {
      file,
      ...(flags.display !== undefined ? { display: flags.display } : {}),
      ...(flags.size !== undefined ? { size: parseVideoSize(flags.size) } : {}),
      bitRateMbps: flags.bitRate !== undefined ? parseBitRate(flags.bitRate) : DEFAULT_BIT_RATE_MBPS,
      timeLimitSeconds: flags.timeLimit !== undefined ? parseTimeLimit(flags.timeLimit) : DEFAULT_TIME_LIMIT_S,
      ...(flags.outputFormat !== undefined ? { format: parseFormat(flags.outputFormat) } : {}),
      bugreport: flags.bugreport ?? false,
      signal: controller.signal,
      onProgress: (p) => io.stderr(tty ? `\r${formatProgress(p)}   ` : `${formatProgress(p)}\n`),
      ...(flags.verbose ? { log: (line: string) => io.stderr(`${line}\n`) } : {}),
    });
    if (tty) io.stderr('\n');
    const summary = `${result.frames} frames (${(result.frames / result.fps).toFixed(2)} s at ${result.fps} fps, ${result.dropped} dropped) in ${file}`;
    if (result.reason === 'display-removed') io.stderr(`stratum: ${result.message}; ${summary}\n`);
    else io.stderr(`recorded ${summary}: ${result.message}\n`);
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, stop);
  }
}

export interface SimulateFlags {
  readonly layerStack?: number;
  readonly json?: boolean;
}

/** "720x1280" or "720x1280@320" (dpi). */
export function parseSimulatedMode(text: string): { width: number; height: number; density: number } {
  const match = /^(\d+)x(\d+)(?:@(\d+(?:\.\d+)?))?$/.exec(text.trim());
  const width = match ? Number(match[1]) : NaN;
  const height = match ? Number(match[2]) : NaN;
  const density = match?.[3] !== undefined ? Number(match[3]) : 160;
  if (!match || width < 2 || height < 2 || width > 8192 || height > 8192) throw new StratumError('BAD_VALUE', `"${text}" is not WxH[@DPI] with sides 2..8192 (e.g. 720x1280@320)`);
  if (density < 40 || density > 1000) throw new StratumError('BAD_VALUE', `density ${density} dpi is outside 40..1000`);
  return { width, height, density };
}

/**
 * Shows a simulated secondary display on the primary until Ctrl-C (or the server goes away); it
 * belongs to this command's connection, so ending the command removes it and everything it held.
 */
export async function simulateCommand(client: StratumClient, mode: string | undefined, flags: SimulateFlags, io: CommandIo): Promise<void> {
  const { width, height, density } = parseSimulatedMode(mode ?? '720x1280');
  const primary = (await client.listDisplays())[0];
  if (!primary) throw new StratumError('NAME_NOT_FOUND', 'the server has no display to show a simulated display on');
  const display = await client.createVirtualDisplay({
    name: `simulated ${width}x${height}@${density}`,
    width,
    height,
    density,
    sink: 'overlay',
    ...(flags.layerStack !== undefined ? { layerStack: flags.layerStack } : { mirror: primary.id }),
  });
  const shows = flags.layerStack !== undefined ? `layer stack ${display.layerStack}` : `display ${primary.id} (mirror: the nested images of the loop)`;
  if (flags.json) io.stdout(`${JSON.stringify({ display: display.id, width, height, density, layerStack: display.layerStack, host: primary.id })}\n`);
  else io.stdout(`simulated display ${display.id}: ${width}x${height} @ ${density} dpi on display ${primary.id}, showing ${shows}; Ctrl-C removes it\n`);
  const ended = await untilStoppedOrEnded(display);
  if (ended !== undefined) throw new StratumError('DISCONNECTED', `simulated display ${display.id} ended: ${ended}`);
  await display.destroy();
  io.stdout(`simulated display ${display.id} removed\n`);
}
