// The server that `stratum start` runs in-process, and the adapter the viewer sees it through.
import type { ViewerBackend } from '../viewer/backend.js';
import { notAvailable } from './errors.js';
import type { DisplayMode } from './parse.js';

export interface ServerStackOptions {
  readonly socketPath: string;
  /** Empty: the default headless display. */
  readonly displays: readonly DisplayMode[];
}

export interface ServerStack {
  readonly socketPath: string;
  readonly viewerBackend: ViewerBackend;
  stop(): Promise<void>;
}

export function launchServer(_options: ServerStackOptions): Promise<ServerStack> {
  return Promise.reject(notAvailable('the in-process server (issue 4) with the compositor (issue 5)'));
}
