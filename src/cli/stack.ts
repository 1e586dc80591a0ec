// What `stratum start` runs in-process: the displays, the flinger, the socket server apps connect
// to, and the adapter the viewer sees it all through.
import { HeadlessDisplay } from '../display/index.js';
import { Flinger } from '../flinger/index.js';
import { startServer } from '../server/index.js';
import type { ViewerBackend } from '../viewer/backend.js';
import { FlingerViewerBackend } from '../viewer/flinger-backend.js';
import type { DisplayMode } from './parse.js';

export interface ServerStackOptions {
  readonly socketPath: string;
  /** Empty: the default headless display (1080x2400 at 60 Hz). */
  readonly displays: readonly DisplayMode[];
  readonly onError?: (error: unknown) => void;
  /** Disconnect reasons and server errors. */
  readonly log?: (line: string) => void;
}

export interface ServerStack {
  readonly flinger: Flinger;
  readonly viewerBackend: ViewerBackend;
  readonly socketPath: string;
  /** Stops composing (displays off) and waits for the frame in flight: call before ending clients. */
  quiesce(): Promise<void>;
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
  const disposeCompositor = (): void => {
    flinger.dispose();
    for (const display of displays) display.dispose();
  };
  let server: ReturnType<typeof startServer>;
  try {
    server = startServer({ socketPath: options.socketPath, flinger, ...(options.log ? { log: options.log } : {}) });
  } catch (error) {
    disposeCompositor();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  const backend = new FlingerViewerBackend(flinger);
  return Promise.resolve({
    flinger,
    viewerBackend: backend,
    socketPath: server.socketPath,
    async quiesce() {
      // A client that goes away has its buffers freed at once by the server, even one a frame in
      // flight is reading on the render threads; with the displays off no frame reads any.
      for (const display of displays) display.powerOn = false;
      await flinger.settled();
    },
    async stop() {
      // Clients first (their layers leave), then the frames in flight, then the compositor.
      server.close();
      backend.dispose();
      await flinger.settled();
      disposeCompositor();
    },
  });
}
