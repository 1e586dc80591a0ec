// Whether an executable is on PATH (for optional tools such as ffmpeg).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function hasCommandOnPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}
