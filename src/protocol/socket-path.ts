// Where clients find the server: part of the protocol's contract (docs/protocol.md), so both the
// server and the SDK read it from here.
import { join } from 'node:path';

export const DEFAULT_SOCKET_NAME = 'stratum-0';

/**
 * $STRATUM_SOCKET, else $XDG_RUNTIME_DIR/stratum-0, else /tmp/stratum-<uid>/stratum-0 (the
 * directory is created 0700 when missing).
 */
export function resolveSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STRATUM_SOCKET) return env.STRATUM_SOCKET;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, DEFAULT_SOCKET_NAME);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join('/tmp', `stratum-${uid}`, DEFAULT_SOCKET_NAME);
}
