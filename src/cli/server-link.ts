// How CLI commands reach a running server. Every command that talks to a server goes through
// openServerLink(), which checks for the socket first so "no server" is a clear message, then
// connects with the public SDK.
import { statSync } from 'node:fs';
import { encode } from 'fast-png';
import type { DisplayInfo, InjectInputEvent, InjectInputResult, StratumClient } from '../client/index.js';
import { connect, isStratumError } from '../client/index.js';
import { resolveSocketPath as defaultSocketPath } from '../protocol/socket-path.js';
import { CliError, EXIT_NO_SERVER } from './errors.js';

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
  /** One display (NAME_NOT_FOUND for an unknown id). */
  getDisplay(id: number): Promise<CliDisplay>;
  dumpText(): Promise<string>;
  dumpJson(): Promise<unknown>;
  screencapPng(displayId: number | undefined): Promise<Uint8Array>;
  screencapRgba(displayId: number | undefined): Promise<{ width: number; height: number; rgba: Uint8Array }>;
  /** Injects one event through the window manager; returns who got it. */
  injectInput(event: InjectInputEvent): Promise<InjectInputResult>;
  /** The SDK connection (commands that stream: screenrecord, display simulate). */
  readonly client: StratumClient;
  close(): void;
}

/** --socket, else the server's rule: $STRATUM_SOCKET, $XDG_RUNTIME_DIR/stratum-0, /tmp/stratum-$UID/stratum-0. */
export function resolveSocketPath(option?: string): string {
  return option ? option : defaultSocketPath();
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
  let client: StratumClient;
  try {
    client = await connect({ socketPath, name: 'stratum-cli' });
  } catch (error) {
    if (isStratumError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    // A socket file nobody listens on: a server that died without cleaning up.
    if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(String(error))) throw noServer(socketPath, 'the socket is stale');
    throw error;
  }
  return new SdkServerLink(client);
}

const KIND_NAMES: Readonly<Record<string, string>> = { internal: 'internal', external: 'external', virtual: 'virtual' };

function cliDisplay(d: DisplayInfo): CliDisplay {
  return {
    id: d.id,
    name: d.name,
    kind: KIND_NAMES[d.kind] ?? d.kind,
    width: d.width,
    height: d.height,
    refreshHz: Math.round(d.refreshRate * 100) / 100,
    rotation: d.rotation,
  };
}

class SdkServerLink implements ServerLink {
  constructor(readonly client: StratumClient) {}

  async listDisplays(): Promise<readonly CliDisplay[]> {
    return (await this.client.listDisplays()).map(cliDisplay);
  }

  async getDisplay(id: number): Promise<CliDisplay> {
    return cliDisplay(await this.client.getDisplayInfo(id));
  }

  dumpText(): Promise<string> {
    return this.client.dump('text');
  }

  async dumpJson(): Promise<unknown> {
    return JSON.parse(await this.client.dump('json')) as unknown;
  }

  async screencapRgba(displayId: number | undefined): Promise<{ width: number; height: number; rgba: Uint8Array }> {
    return this.client.screencap(displayId);
  }

  async screencapPng(displayId: number | undefined): Promise<Uint8Array> {
    const shot = await this.client.screencap(displayId);
    return encode({ width: shot.width, height: shot.height, data: shot.rgba, channels: 4, depth: 8 });
  }

  injectInput(event: InjectInputEvent): Promise<InjectInputResult> {
    return this.client.injectInput(event);
  }

  close(): void {
    this.client.close();
  }
}

export async function withServer<T>(socketOption: string | undefined, use: (link: ServerLink) => Promise<T>): Promise<T> {
  const link = await openServerLink(socketOption);
  try {
    return await use(link);
  } finally {
    link.close();
  }
}
