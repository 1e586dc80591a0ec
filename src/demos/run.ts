// Entry of one demo process: `node run.js NAME`, connecting to $STRATUM_SOCKET (or the default
// socket). Ends cleanly on SIGTERM/SIGINT and when the server goes away.
import { connect } from '../client/index.js';
import { DEMO_APPS } from './apps.js';
import { SdkDemoHost } from './sdk-host.js';

async function main(): Promise<number> {
  const name = process.argv[2] ?? '';
  const app = DEMO_APPS[name];
  if (!app) {
    process.stderr.write(`stratum demo: unknown demo "${name}"; choose one of: ${Object.keys(DEMO_APPS).join(', ')}\n`);
    return 1;
  }
  const client = await connect({ name: `demo-${name}` });
  const stop = new AbortController();
  let lostServer = false;
  const end = (): void => stop.abort();
  process.once('SIGTERM', end).once('SIGINT', end);
  client.onDisconnect(() => {
    lostServer = !stop.signal.aborted;
    stop.abort();
  });
  try {
    await app(await SdkDemoHost.create(client), stop.signal);
  } catch (error) {
    // Calls in flight when the server goes away reject: that is the disconnect, not a failure.
    if (!stop.signal.aborted) throw error;
  } finally {
    client.close();
  }
  if (lostServer) {
    process.stderr.write(`stratum demo ${name}: the server went away\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`stratum demo ${process.argv[2] ?? ''}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
