// How CLI commands reach a running server. Every command that talks to a server goes through
// openServerLink(), which checks for the socket first so "no server" is a clear message, then
// connects with the public SDK.
import { statSync } from 'node:fs';
import { CliError, EXIT_NO_SERVER, notAvailable } from './errors.js';

export interface CliDisplay {
  readonly id: number;
  readonly name: string;
  readonly kind: string;
  readonly width: number;
  readonly height: number;
  readonly refreshHz: number;
  readonly rotation: number;
}

/** What the CLI needs from a connected server; one implementation over the SDK. */
export interface ServerLink {
  listDisplays(): Promise<readonly CliDisplay[]>;
  dumpText(): Promise<string>;
  dumpJson(): Promise<unknown>;
  screencapPng(displayId: number | undefined): Promise<Uint8Array>;
  screencapRgba(displayId: number | undefined): Promise<{ width: number; height: number; rgba: Uint8Array }>;
  close(): void;
}

/** $STRATUM_SOCKET, else $XDG_RUNTIME_DIR/stratum-0, else /tmp/stratum-$UID/stratum-0 (docs/protocol.md). */
export function resolveSocketPath(option?: string): string {
  if (option) return option;
  if (process.env.STRATUM_SOCKET) return process.env.STRATUM_SOCKET;
  if (process.env.XDG_RUNTIME_DIR) return `${process.env.XDG_RUNTIME_DIR}/stratum-0`;
  return `/tmp/stratum-${process.getuid?.() ?? 0}/stratum-0`;
}

export function noServer(socketPath: string, detail = 'no socket there'): CliError {
  return new CliError(`no Stratum server is running at ${socketPath} (${detail}); start one with \`stratum start\``, EXIT_NO_SERVER);
}

export function assertServerSocket(socketPath: string): void {
  let isSocket: boolean;
  try {
    isSocket = statSync(socketPath).isSocket();
  } catch {
    throw noServer(socketPath);
  }
  if (!isSocket) throw new CliError(`${socketPath} exists but is not a socket`, EXIT_NO_SERVER);
}

export async function openServerLink(socketOption: string | undefined): Promise<ServerLink> {
  const socketPath = resolveSocketPath(socketOption);
  assertServerSocket(socketPath);
  return Promise.reject(notAvailable('the client SDK (issue 4)'));
}

export async function withServer<T>(socketOption: string | undefined, use: (link: ServerLink) => Promise<T>): Promise<T> {
  const link = await openServerLink(socketOption);
  try {
    return await use(link);
  } finally {
    link.close();
  }
}
