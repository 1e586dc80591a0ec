// Tests that need an optional system tool run when it is present and say loudly when skipped;
// with STRATUM_REQUIRE_ALL=1 (set by CI) a missing tool fails the test instead.
import { spawnSync } from 'node:child_process';

export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Returns a skip reason for node:test's `skip` option, or false when every tool is present. */
export function requireTools(...commands: string[]): string | false {
  const missing = commands.filter((c) => !hasCommand(c));
  if (missing.length === 0) return false;
  const reason = `SKIPPED: needs ${missing.join(', ')} (not installed)`;
  if (process.env.STRATUM_REQUIRE_ALL === '1') {
    throw new Error(`${reason}, and STRATUM_REQUIRE_ALL=1 forbids skips`);
  }
  process.stderr.write(`\n*** ${reason} ***\n\n`);
  return reason;
}
