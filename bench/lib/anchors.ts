// The peer programs of ../shared/anchors: found next to the checkout, built on demand when the
// toolchain (and for pixman, libpixman-1-dev) is present. Returns undefined when unavailable.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { benchOutDir } from './report.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The anchors folder: $STRATUM_ANCHORS, else ../shared/anchors beside the checkout. */
export function anchorsDir(): string | undefined {
  const candidates = [process.env.STRATUM_ANCHORS, join(repoRoot, '..', 'shared', 'anchors')];
  return candidates.find((dir): dir is string => dir !== undefined && existsSync(join(dir, 'build.sh')));
}

/**
 * Path to an anchor binary (memcpy_bench, pixman_bench, uds_pingpong), compiled once from the
 * anchor's source into bench/out/anchors (the shared folder is never written to).
 */
export function anchorBinary(name: string): string | undefined {
  const dir = anchorsDir();
  if (!dir) return undefined;
  const outDir = join(benchOutDir, 'anchors');
  const binary = join(outDir, name);
  if (!existsSync(binary)) {
    mkdirSync(outDir, { recursive: true });
    const libs = name === 'pixman_bench' ? spawnSync('pkg-config', ['--cflags', '--libs', 'pixman-1'], { encoding: 'utf8' }) : undefined;
    if (libs && libs.status !== 0) return undefined;
    const extra = libs ? libs.stdout.trim().split(/\s+/) : [];
    spawnSync('gcc', ['-O2', '-o', binary, join(dir, `${name}.c`), ...extra], { stdio: 'ignore' });
  }
  return existsSync(binary) ? binary : undefined;
}

/** Runs an anchor and returns its stdout, or undefined if it is unavailable or failed. */
export function runAnchor(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 });
  return result.status === 0 ? result.stdout : undefined;
}
