// Starts demo apps as child processes of the CLI, each running src/demos/run with its name.
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The demo entry next to this module: run.ts under tsx, run.js once built. */
function demoEntry(): string {
  const self = fileURLToPath(import.meta.url);
  return self.replace(/launcher\.(ts|js)$/, 'run.$1');
}

export interface DemoProcessOptions {
  readonly socketPath: string;
  readonly stdio?: StdioOptions;
}

export function spawnDemo(name: string, options: DemoProcessOptions): ChildProcess {
  // execArgv carries loaders such as `--import tsx` when the CLI itself runs from source.
  return spawn(process.execPath, [...process.execArgv, demoEntry(), name], {
    env: { ...process.env, STRATUM_SOCKET: options.socketPath },
    stdio: options.stdio ?? ['ignore', 'inherit', 'inherit'],
  });
}

/** Ends a demo process: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export function stopDemo(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
