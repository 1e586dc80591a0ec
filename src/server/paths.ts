// How the server prepares its socket path (the rule itself is the protocol's: src/protocol/socket-path.ts)
// and keeps a second server off the same name with an O_EXCL pid lock file checked for liveness.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';

import { StratumError } from '../os/status.js';

export { DEFAULT_SOCKET_NAME, resolveSocketPath } from '../protocol/socket-path.js';

/** Creates the fallback directory of resolveSocketPath when it is the one missing. */
export function ensureSocketDirectory(socketPath: string): void {
  const dir = socketPath.slice(0, socketPath.lastIndexOf('/')) || '/';
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ServerLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes `<socketPath>.lock` (O_EXCL, holding our pid). A lock whose pid is dead is stale and
 * replaced; a live one refuses with INVALID_OPERATION naming the holder.
 */
export function acquireServerLock(socketPath: string): ServerLock {
  const path = `${socketPath}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLockPid(path);
      if (holder !== undefined && holder !== process.pid && processAlive(holder)) {
        throw new StratumError('INVALID_OPERATION', `another Stratum server (pid ${holder}) is running on ${socketPath} (lock ${path})`);
      }
      if (holder === process.pid) throw new StratumError('INVALID_OPERATION', `this process already serves ${socketPath}`);
      // Stale (dead holder or unreadable): remove and retry; O_EXCL decides any race.
      removeIfExists(path);
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        if (readLockPid(path) === process.pid) removeIfExists(path);
      },
    };
  }
  throw new StratumError('INVALID_OPERATION', `could not take the lock ${path}: it keeps reappearing`);
}

function readLockPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function removeIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** With the lock held, any socket file left at the path belongs to a dead server. */
export function removeStaleSocket(socketPath: string): boolean {
  try {
    if (!statSync(socketPath).isSocket()) {
      throw new StratumError('INVALID_OPERATION', `${socketPath} exists and is not a socket; refusing to replace it`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  removeIfExists(socketPath);
  return true;
}
