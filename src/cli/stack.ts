// What `stratum start` runs in-process: the displays, the flinger, the socket server apps connect
// to, and the adapter the viewer sees it all through.
import { HeadlessDisplay } from '../display/index.js';
import { Flinger } from '../flinger/index.js';
import type { ViewerBackend } from '../viewer/backend.js';
import { FlingerViewerBackend } from '../viewer/flinger-backend.js';
import { notAvailable } from './errors.js';
import type { DisplayMode } from './parse.js';

export interface ServerStackOptions {
  readonly socketPath: string;
  /** Empty: the default headless display (1080x2400 at 60 Hz). */
  readonly displays: readonly DisplayMode[];
  readonly onError?: (error: unknown) => void;
}

export interface ServerStack {
  readonly flinger: Flinger;
  readonly viewerBackend: ViewerBackend;
  /** Undefined while the socket server is not available. */
  readonly socketPath: string | undefined;
  /** Why apps cannot connect, when they cannot. */
  readonly socketUnavailable: string | undefined;
  stop(): Promise<void>;
}

export function launchServer(options: ServerStackOptions): Promise<ServerStack> {
  const displays = (options.displays.length > 0 ? options.displays : [{}]).map(
    (mode: Partial<DisplayMode>, index) =>
      new HeadlessDisplay({
        name: index === 0 ? 'primary' : `headless-${index}`,
        ...(mode.width === undefined ? {} : { width: mode.width }),
        ...(mode.height === undefined ? {} : { height: mode.height }),
        ...(mode.refreshHz === undefined ? {} : { refreshRate: mode.refreshHz }),
      }),
  );
  const flinger = new Flinger({ displays, ...(options.onError ? { onError: options.onError } : {}) });
  const backend = new FlingerViewerBackend(flinger);
  const socketUnavailable = notAvailable('the socket server (issue 4)').message;
  return Promise.resolve({
    flinger,
    viewerBackend: backend,
    socketPath: undefined,
    socketUnavailable,
    async stop() {
      backend.dispose();
      await flinger.settled();
      flinger.dispose();
      for (const display of displays) display.dispose();
    },
  });
}
