// Loads the native addon once. Everything else imports the typed face in ./index.ts, never this.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The raw shape of the addon's exports; only src/os may see it. */
export interface NativeAddon {
  memfdCreate(name: string, size: number, seal: boolean): number;
  fdSize(fd: number): number;
  fdSeals(fd: number): number;
  truncateFd(fd: number, size: number): void;
  mmap(fd: number, size: number, writable: boolean): ArrayBuffer;
  unmap(buffer: ArrayBuffer): void;
  close(fd: number): void;
  dup(fd: number): number;
  mappedBytes(): { bytes: number; count: number };
}

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (dir: string) => unknown;

export const native = load(packageRoot) as NativeAddon;
