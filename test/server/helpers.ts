// Shared by the server tests: temporary socket paths, fixture child processes, fd counting.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const clientFixture = fileURLToPath(new URL('./fixtures/client.ts', import.meta.url));

export function tempSocketPath(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'stratum-test-'));
  return { path: join(dir, 'stratum-0'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Fds that carry fixture children's stdio (found by diffing /proc/self/fd around the synchronous spawn).
const fixtureStdioFds = new Set<string>();

/** Open fd numbers; the directory fd readdir itself used is already closed and left out. */
function fdNames(): Set<string> {
  const names = new Set<string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      readlinkSync(`/proc/self/fd/${name}`);
      names.add(name);
    } catch {
      // Closed since the listing (readdir's own fd).
    }
  }
  return names;
}

/**
 * Open fds of this process, leaving out the stdio of fixture children (started ahead of time by
 * some tests); everything the server holds (sockets, memfds) is counted.
 */
export function openFdCount(): number {
  let count = 0;
  for (const name of fdNames()) if (!fixtureStdioFds.has(name)) count += 1;
  return count;
}

export interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first stdout line matching `pattern` (rejects if the child exits first). */
  waitFor(pattern: RegExp): Promise<string>;
  /** Writes one line to the child's stdin. */
  tell(line: string): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnFixture(script: string, args: string[]): Child {
  const fdsBefore = fdNames();
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stdioFds = [...fdNames()].filter((fd) => !fdsBefore.has(fd));
  for (const fd of stdioFds) fixtureStdioFds.add(fd);
  child.on('close', () => {
    for (const fd of stdioFds) fixtureStdioFds.delete(fd);
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  createInterface({ input: child.stdout }).on('line', (line: string) => {
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.pattern.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`fixture exited (${code ?? signal}) before printing ${w.pattern}; stderr: ${stderr}`));
      resolve({ code, signal });
    });
  });
  return {
    process: child,
    lines,
    exited,
    tell(line) {
      child.stdin.write(`${line}\n`);
    },
    waitFor(pattern) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`fixture already exited; stderr: ${stderr}`));
      return new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
  };
}

/** Resolves when `predicate` holds, checking after each turn of the event loop (bounded). */
export async function until(predicate: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
