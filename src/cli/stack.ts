// What `stratum start` runs in-process: the displays, the composer and the flinger, the socket
// server apps connect to (with its window manager), and the adapter the viewer sees it all through.
import { HwcComposition, SoftwareComposer, bindComposerToFlinger } from '../composer/index.js';
import { HeadlessDisplay } from '../display/index.js';
import { Flinger } from '../flinger/index.js';
import { startServer } from '../server/index.js';
import type { StratumServer } from '../server/index.js';
import type { InputEvent } from '../viewer/backend.js';
import { FlingerViewerBackend } from '../viewer/flinger-backend.js';
import { DisplayControl } from './display-control.js';
import { MediaControl } from './media-control.js';
import type { DisplayMode } from './parse.js';

export interface ServerStackOptions {
  readonly socketPath: string;
  /** Empty: the default headless display (1080x2400 at 60 Hz). */
  readonly displays: readonly DisplayMode[];
  readonly onError?: (error: unknown) => void;
  /** Disconnect reasons and server errors. */
  readonly log?: (line: string) => void;
  /** Where recordings started from the viewer go; default the working directory. */
  readonly recordingsDir?: string;
}

export interface ServerStack {
  readonly flinger: Flinger;
  readonly server: StratumServer;
  readonly viewerBackend: FlingerViewerBackend;
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
  const composer = new SoftwareComposer();
  const flinger = new Flinger({
    displays,
    composition: (renderer) => new HwcComposition(renderer, { composer }),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const unbindComposer = bindComposerToFlinger(composer, flinger);
  const disposeCompositor = (): void => {
    unbindComposer();
    flinger.dispose();
    composer.dispose();
    for (const display of displays) display.dispose();
  };
  let server: StratumServer;
  try {
    server = startServer({ socketPath: options.socketPath, flinger, ...(options.log ? { log: options.log } : {}) });
  } catch (error) {
    disposeCompositor();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  const windowManager = server.windowManager;
  const control = new DisplayControl(flinger, composer, () => backend.displaysChanged());
  const media = new MediaControl(server.socketPath, options.recordingsDir);
  const backend: FlingerViewerBackend = new FlingerViewerBackend(flinger, {
    kindOf: (display) => (media.isSimulated(display.id) ? 'simulated' : display.kind),
    connectExternalDisplay: (size) => control.connectExternal(size),
    disconnectDisplay: (id) => control.remove(id),
    createVirtualDisplay: (size) => control.createVirtual(size),
    createSimulatedDisplay: async (size) => {
      const info = await media.createSimulated(size);
      backend.displaysChanged();
      return info;
    },
    removeDisplay: async (id) => {
      if (media.isSimulated(id)) await media.removeSimulated(id);
      else await control.remove(id);
      backend.displaysChanged();
    },
    recordingUnavailableReason: () => media.recordingUnavailableReason(),
    startRecording: (id) => media.startRecording(id),
    stopRecording: () => media.stopRecording(),
    ...(windowManager ? { injectInput: (event: InputEvent) => void windowManager.injectInput(toWindowManagerInput(event)) } : {}),
  });
  return Promise.resolve({
    flinger,
    server,
    viewerBackend: backend,
    socketPath: server.socketPath,
    async quiesce() {
      // A client that goes away has its buffers freed at once by the server, even one a frame in
      // flight is reading on the render threads; with the displays off no frame reads any.
      for (const display of flinger.displays) display.powerOn = false;
      await flinger.settled();
    },
    async stop() {
      // Clients first (their layers leave), then the frames in flight, then the compositor.
      await media.dispose();
      server.close();
      backend.dispose();
      await control.dispose();
      await flinger.settled();
      // External displays plugged in over the protocol (`stratum display connect`) are the server's.
      server.compositor.hotplug?.dispose();
      disposeCompositor();
    },
  });
}

function toWindowManagerInput(event: InputEvent): Parameters<NonNullable<StratumServer['windowManager']>['injectInput']>[0] {
  if (event.kind === 'key') return { kind: 'key', action: event.action, key: event.key, display: event.displayId };
  return { kind: 'pointer', action: event.action, x: event.x, y: event.y, pointerId: event.pointerId, buttons: event.buttons, display: event.displayId };
}
