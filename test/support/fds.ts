// Counts the fds this process holds of the kinds Stratum creates: memfds (buffers) and sockets.
// Other threads of a test process (the module loader, libuv) open and close files and pipes at
// any moment, so a count of every fd cannot be compared exactly; these kinds come only from the
// code under test, so a leak of ours still shows.
import { readdirSync, readlinkSync } from 'node:fs';

export function stratumFds(): number {
  let count = 0;
  for (const name of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // closed between the listing and the look
    }
    if (target.startsWith('/memfd:') || target.startsWith('socket:')) count += 1;
  }
  return count;
}
