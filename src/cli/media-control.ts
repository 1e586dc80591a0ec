// Recording and simulated displays from the viewer: each runs as its own `stratum screenrecord` or
// `stratum display simulate` process against this server (as a user would run them), and stops
// with Ctrl-C (SIGINT), which finalizes a recording and removes a simulated display.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { StratumError } from '../os/status.js';
import type { DisplayInfo, DisplaySize, RecordingState } from '../viewer/backend.js';
import { hasCommandOnPath } from './which.js';

const CLI_ENTRY = fileURLToPath(import.meta.url).replace(/media-control\.(ts|js)$/, 'main.$1');

function runCli(args: readonly string[]): ChildProcess {
  // execArgv carries loaders such as `--import tsx` when running from source.
  return spawn(process.execPath, [...process.execArgv, CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function ended(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function interrupt(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  child.kill('SIGINT');
  await ended(child);
  clearTimeout(timer);
}

export class MediaControl {
  private readonly simulated = new Map<number, ChildProcess>();
  private recording: { child: ChildProcess; state: RecordingState } | undefined;

  constructor(
    private readonly socketPath: string,
    private readonly recordingsDir: string = process.cwd(),
  ) {}

  isSimulated(displayId: number): boolean {
    return this.simulated.has(displayId);
  }

  recordingUnavailableReason(): string | undefined {
    return hasCommandOnPath('ffmpeg') ? undefined : 'recording needs ffmpeg, which is not installed (apt-get install ffmpeg)';
  }

  /** Starts `stratum display simulate WxH --json` and resolves once it reports its display. */
  async createSimulated(size: DisplaySize): Promise<DisplayInfo> {
    const child = runCli(['display', 'simulate', `${size.width}x${size.height}`, '--json', '--socket', this.socketPath]);
    const stdout = child.stdout;
    if (!stdout) throw new StratumError('INVALID_OPERATION', 'display simulate has no stdout');
    const line = await new Promise<string | undefined>((resolve) => {
      const lines = createInterface({ input: stdout });
      lines.once('line', (text) => resolve(text));
      child.once('exit', () => resolve(undefined));
    });
    const reported = line === undefined ? undefined : (JSON.parse(line) as { display?: unknown });
    if (typeof reported?.display !== 'number') {
      await interrupt(child);
      throw new StratumError('INVALID_OPERATION', 'display simulate ended without creating a display (see the server log)');
    }
    const id = reported.display;
    this.simulated.set(id, child);
    child.once('exit', () => this.simulated.delete(id));
    return { id, name: `simulated-${id}`, kind: 'simulated', width: size.width, height: size.height, refreshHz: 60 };
  }

  async removeSimulated(displayId: number): Promise<void> {
    const child = this.simulated.get(displayId);
    if (!child) throw new StratumError('NAME_NOT_FOUND', `no simulated display ${displayId}`);
    this.simulated.delete(displayId);
    await interrupt(child);
  }

  startRecording(displayId: number): Promise<RecordingState> {
    if (this.recording) {
      return Promise.reject(new StratumError('INVALID_OPERATION', `already recording display ${this.recording.state.displayId ?? '?'} to ${this.recording.state.file ?? '?'}`));
    }
    const reason = this.recordingUnavailableReason();
    if (reason) return Promise.reject(new StratumError('UNSUPPORTED', reason));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(this.recordingsDir, `stratum-display-${displayId}-${stamp}.mp4`);
    const child = runCli(['screenrecord', file, '-d', String(displayId), '--socket', this.socketPath]);
    child.stdout?.resume();
    const state: RecordingState = { active: true, displayId, file };
    this.recording = { child, state };
    child.once('exit', () => {
      if (this.recording?.child === child) this.recording = undefined;
    });
    return Promise.resolve(state);
  }

  async stopRecording(): Promise<RecordingState> {
    const current = this.recording;
    if (!current) throw new StratumError('INVALID_OPERATION', 'no recording is running');
    this.recording = undefined;
    await interrupt(current.child);
    return { active: false, ...(current.state.displayId === undefined ? {} : { displayId: current.state.displayId }), ...(current.state.file === undefined ? {} : { file: current.state.file }) };
  }

  async dispose(): Promise<void> {
    const children = [...this.simulated.values(), ...(this.recording ? [this.recording.child] : [])];
    this.simulated.clear();
    this.recording = undefined;
    await Promise.all(children.map((child) => interrupt(child)));
  }
}
