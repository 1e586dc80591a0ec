// `stratum start`: the server in this process, the web viewer beside it, and each demo app as a
// child process. Stops cleanly on SIGINT/SIGTERM: demos ended, viewer closed, server stopped (which
// removes its socket and lock). Nothing is written to disk besides the server's socket and lock.
import type { ChildProcess } from 'node:child_process';
import { DEMOS } from '../demos/catalog.js';
import { spawnDemo, stopDemo } from '../demos/launcher.js';
import type { ViewerServer } from '../viewer/server.js';
import { ViewerServer as Viewer } from '../viewer/server.js';
import type { DisplayMode } from './parse.js';
import { launchServer } from './stack.js';

export interface StartOptions {
  readonly displays: readonly DisplayMode[];
  readonly demos: boolean;
  readonly viewer: boolean;
  readonly port?: number;
  readonly host?: string;
  readonly socketPath: string;
  readonly log: (line: string) => void;
  readonly warn: (line: string) => void;
}

export async function runStart(options: StartOptions): Promise<void> {
  const server = await launchServer({
    socketPath: options.socketPath,
    displays: options.displays,
    onError: (error) => options.warn(`stratum: frame failed: ${error instanceof Error ? error.message : String(error)}\n`),
    log: (line) => options.warn(`stratum: ${line}\n`),
  });
  let viewer: ViewerServer | undefined;
  const demos = new Map<string, ChildProcess>();
  let stopping = false;

  const stop = async (): Promise<void> => {
    stopping = true;
    await server.quiesce();
    await Promise.all([...demos.values()].map((child) => stopDemo(child)));
    await viewer?.close();
    await server.stop();
  };

  try {
    options.log(`socket:  ${server.socketPath}`);
    if (options.viewer) {
      viewer = await Viewer.start(server.viewerBackend, {
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.host === undefined ? {} : { host: options.host }),
      });
      options.log(`viewer:  ${viewer.url}`);
    }
    const socketPath = server.socketPath;
    if (options.demos) {
      for (const demo of DEMOS) {
        const child = spawnDemo(demo.name, { socketPath });
        demos.set(demo.name, child);
        child.once('exit', (code, signal) => {
          demos.delete(demo.name);
          if (!stopping) options.warn(`stratum: demo ${demo.name} exited (${signal ?? `code ${code}`})\n`);
        });
      }
      options.log(`demos:   ${DEMOS.map((d) => d.name).join(', ')}`);
    }
    options.log('Press Ctrl-C to stop.');
  } catch (error) {
    await stop();
    throw error;
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  // A second signal while stopping ends the process at once.
  const force = (): never => process.exit(130);
  process.once('SIGINT', force).once('SIGTERM', force);
  options.log(`stopping (${signal})`);
  await stop();
  process.off('SIGINT', force).off('SIGTERM', force);
  options.log('stopped');
}
