// The `stratum` command: every subcommand, its options and its help. Commands print data on
// stdout (text, or JSON with --json), errors on stderr, and exit non-zero on any failure.
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { isStratumError } from '../os/status.js';
import { DEMOS, findDemo } from '../demos/catalog.js';
import { spawnDemo } from '../demos/launcher.js';
import { CliError } from './errors.js';
import type { DisplayMode } from './parse.js';
import { collectDisplayModes, parseCoordinate, parseDisplayMode, parseNonNegativeInt, parsePort, parseRotation } from './parse.js';
import type { InjectedEvent } from './input.js';
import { describeInjected, key, swipe, tap, text } from './input.js';
import type { CliDisplay, ServerLink } from './server-link.js';
import { assertServerSocket, resolveSocketPath, withServer } from './server-link.js';
import { runStart } from './start.js';
import type { ModeChoice } from './display-config.js';
import { DEFAULT_EXTERNAL_MODE, connectExternalDisplay, formatMode, formatModes, parseModeChoice, rotateDisplay, setDisplayMode } from './display-config.js';
import type { DisplayRotation } from '../client/index.js';
import { virtualDisplayCommand } from './virtual.js';
import { screenrecordCommand, simulateCommand } from '../media/commands.js';
import type { ScreenrecordFlags } from '../media/commands.js';

export interface CliIo {
  readonly stdout: (text: string | Uint8Array) => void;
  readonly stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

const socketOption = (): Option => new Option('--socket <path>', 'server socket (default: $STRATUM_SOCKET, else $XDG_RUNTIME_DIR/stratum-0)');
const jsonOption = (): Option => new Option('--json', 'print machine-readable JSON');
const displayOption = (): Option => new Option('-d, --display <id>', 'display id (default: the primary display)').argParser(parseNonNegativeInt);

function describeDisplay(d: CliDisplay): string {
  return `${d.kind} ${d.width}x${d.height}@${d.refreshHz} rotation ${d.rotation} "${d.name}"`;
}

function formatDisplays(displays: readonly CliDisplay[]): string {
  const rows = displays.map((d) => `${String(d.id).padEnd(4)}${d.kind.padEnd(10)}${`${d.width}x${d.height}@${d.refreshHz}`.padEnd(18)}${String(d.rotation).padEnd(6)}${d.name}`);
  return [`${'ID'.padEnd(4)}${'KIND'.padEnd(10)}${'MODE'.padEnd(18)}${'ROT'.padEnd(6)}NAME`, ...rows].join('\n') + '\n';
}

export function buildProgram(io: CliIo = processIo): Command {
  const print = (text: string): void => io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));

  const program = new Command('stratum')
    .description('Stratum display system: run the server with its web viewer and demo apps, and inspect or drive a running one.')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride();

  program
    .command('start')
    .description('start the server with the default headless display, the web viewer and the demo apps')
    .addOption(new Option('--display <WxH@HZ>', 'a display to create (repeatable; default 1080x2400@60)').argParser(collectDisplayModes))
    .option('--no-demo', 'do not start the demo apps')
    .option('--no-viewer', 'do not start the web viewer')
    .addOption(new Option('--port <port>', 'viewer port (default: a free one)').argParser(parsePort))
    .addOption(new Option('--host <address>', 'viewer address (default 127.0.0.1; others expose it to the network)'))
    .addOption(socketOption())
    .action(async (options: { display?: DisplayMode[]; demo: boolean; viewer: boolean; port?: number; host?: string; socket?: string }) => {
      await runStart({
        displays: options.display ?? [],
        demos: options.demo,
        viewer: options.viewer,
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.host === undefined ? {} : { host: options.host }),
        socketPath: resolveSocketPath(options.socket),
        log: print,
        warn: io.stderr,
      });
    });

  program
    .command('demo')
    .description('start a demo app against a running server (without NAME: list them)')
    .argument('[name]', `one of: ${DEMOS.map((d) => d.name).join(', ')}`)
    .addOption(jsonOption())
    .addOption(socketOption())
    .action(async (name: string | undefined, options: { json?: boolean; socket?: string }) => {
      if (name === undefined) {
        if (options.json) printJson(DEMOS);
        else print(DEMOS.map((d) => `${d.name.padEnd(16)}${d.description}`).join('\n'));
        return;
      }
      if (!findDemo(name)) throw new CliError(`unknown demo "${name}"; choose one of: ${DEMOS.map((d) => d.name).join(', ')}`);
      const socketPath = resolveSocketPath(options.socket);
      assertServerSocket(socketPath);
      const child = spawnDemo(name, { socketPath, stdio: 'inherit' });
      const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
      process.on('SIGINT', forward).on('SIGTERM', forward);
      const code = await new Promise<number>((resolve) => child.once('exit', (c, s) => resolve(c ?? (s === 'SIGINT' || s === 'SIGTERM' ? 0 : 1))));
      process.off('SIGINT', forward).off('SIGTERM', forward);
      if (code !== 0) throw new CliError(`demo "${name}" exited with code ${code}`, code);
    });

  program
    .command('dump')
    .description('print the displays, the layer tree and the last frame of each display')
    .addOption(jsonOption())
    .addOption(socketOption())
    .action(async (options: { json?: boolean; socket?: string }) => {
      await withServer(options.socket, async (link) => {
        if (options.json) printJson(await link.dumpJson());
        else print(await link.dumpText());
      });
    });

  program
    .command('screencap')
    .description('capture a display as PNG (to FILE, or to stdout when omitted)')
    .argument('[file]', 'output file (.png, or raw RGBA with --raw)')
    .addOption(displayOption())
    .option('--raw', 'write raw RGBA bytes instead of PNG')
    .addOption(socketOption())
    .action(async (file: string | undefined, options: { display?: number; raw?: boolean; socket?: string }) => {
      await withServer(options.socket, async (link) => {
        const bytes = options.raw ? (await link.screencapRgba(options.display)).rgba : await link.screencapPng(options.display);
        if (file === undefined) io.stdout(bytes);
        else writeFileSync(file, bytes);
      });
    });

  program
    .command('screenrecord')
    .description('record a display to a video file')
    .argument('<file>', 'output file')
    .addOption(displayOption())
    .option('--size <WxH>', 'video size (default: the display size rounded down to even)')
    .option('--bit-rate <mbps>', 'bit rate in Mbps (default 20)')
    .option('--time-limit <seconds>', 'stop after this long (default 180)')
    .addOption(new Option('--output-format <format>', 'container/codec').choices(['mp4', 'webm', 'h264', 'frames', 'raw-frames']))
    .option('--bugreport', 'overlay time and frame number')
    .option('--verbose', 'print details')
    .addOption(socketOption())
    .action(async (file: string, options: ScreenrecordFlags & { socket?: string }) => {
      await withServer(options.socket, (link) => screenrecordCommand(link.client, file, options, { stdout: print, stderr: io.stderr, stderrIsTty: process.stderr.isTTY }));
    });

  const display = program.command('display').description('list and manage displays');
  display
    .command('list')
    .description('list the displays')
    .addOption(jsonOption())
    .addOption(socketOption())
    .action(async (options: { json?: boolean; socket?: string }) => {
      await withServer(options.socket, async (link) => {
        const displays = await link.listDisplays();
        if (options.json) printJson(displays);
        else print(formatDisplays(displays));
      });
    });
  display
    .command('connect')
    .description('connect an external display (hotplug, powered on); it stays until `stratum display disconnect ID`')
    .argument('[mode]', `WxH[@HZ] (default ${DEFAULT_EXTERNAL_MODE.width}x${DEFAULT_EXTERNAL_MODE.height}@${DEFAULT_EXTERNAL_MODE.refreshHz})`, parseDisplayMode)
    .option('--name <name>', 'display name (default: the server\'s)')
    .addOption(jsonOption())
    .addOption(socketOption())
    .action(async (mode: DisplayMode | undefined, options: { name?: string; json?: boolean; socket?: string }) => {
      await withServer(options.socket, async (link) => {
        const connected = await connectExternalDisplay(link, mode, options.name);
        if (options.json) printJson(connected);
        else print(`connected display ${connected.id}: ${describeDisplay(connected)}`);
      });
    });
  display
    .command('disconnect')
    .description('disconnect an external display connected with `stratum display connect`')
    .argument('<id>', 'display id', parseNonNegativeInt)
    .addOption(socketOption())
    .action(async (id: number, options: { socket?: string }) => {
      await withServer(options.socket, async (link) => {
        await link.client.disconnectDisplay(id);
        print(`disconnected display ${id}`);
      });
    });
  display
    .command('virtual')
    .description('create a virtual display mirroring the primary (or showing --layer-stack) until Ctrl-C')
    .argument('[mode]', 'WxH (default 1280x720)', parseDisplayMode)
    .addOption(new Option('--layer-stack <n>', 'show this layer stack instead of mirroring').argParser(parseNonNegativeInt))
    .addOption(jsonOption())
    .addOption(socketOption())
    .action(async (mode: DisplayMode | undefined, options: { layerStack?: number; json?: boolean; socket?: string }) => {
      await withServer(options.socket, (link) => virtualDisplayCommand(link.client, mode, options, print));
    });
  display
    .command('simulate')
    .description('simulate a secondary display shown in a window on the primary (mirroring it: the nested images of the loop) until Ctrl-C, which removes it')
    .argument('[mode]', 'WxH[@DPI] (default 720x1280@160)')
    .addOption(new Option('--layer-stack <n>', 'show this layer stack instead of mirroring the primary').argParser(parseNonNegativeInt))
    .addOption(jsonOption())
    .addOption(socketOption())
    .action(async (mode: string | undefined, options: { layerStack?: number; json?: boolean; socket?: string }) => {
      await withServer(options.socket, (link) => simulateCommand(link.client, mode, options, { stdout: print, stderr: io.stderr }));
    });
  display
    .command('rotate')
    .description('rotate a display (windows are laid out again for the new orientation)')
    .argument('<id>', 'display id', parseNonNegativeInt)
    .argument('<degrees>', '0, 90, 180 or 270', parseRotation)
    .addOption(jsonOption())
    .addOption(socketOption())
    .action(async (id: number, degrees: DisplayRotation, options: { json?: boolean; socket?: string }) => {
      await withServer(options.socket, async (link) => {
        const rotated = await rotateDisplay(link, id, degrees);
        if (options.json) printJson(rotated);
        else print(`display ${id} rotated to ${rotated.rotation}: ${describeDisplay(rotated)}`);
      });
    });
  display
    .command('mode')
    .description('list the modes of a display (without MODE), or switch to MODE')
    .argument('<id>', 'display id', parseNonNegativeInt)
    .argument('[mode]', 'a mode id from the list, or WxH[@HZ]', parseModeChoice)
    .addOption(jsonOption())
    .addOption(socketOption())
    .action(async (id: number, choice: ModeChoice | undefined, options: { json?: boolean; socket?: string }) => {
      await withServer(options.socket, async (link) => {
        const modes = choice === undefined ? await link.client.getDisplayModes(id) : await setDisplayMode(link, id, choice);
        if (options.json) printJson(modes);
        else if (choice === undefined) print(formatModes(modes));
        else {
          const active = modes.find((m) => m.active);
          print(`display ${id} mode ${active ? `${active.id}: ${formatMode(active)}` : 'switched'}`);
        }
      });
    });

  const input = program.command('input').description('inject input through the window manager (display pixels)');
  const inputCommand = (
    name: string,
    configure: (c: Command) => Command,
    run: (link: ServerLink, args: unknown[], options: { display?: number; duration?: number }) => Promise<InjectedEvent[]>,
  ): void => {
    configure(input.command(name))
      .addOption(displayOption())
      .addOption(jsonOption())
      .addOption(socketOption())
      .action(async (...args: unknown[]) => {
        const options = args[args.length - 2] as { display?: number; duration?: number; json?: boolean; socket?: string };
        await withServer(options.socket, async (link) => {
          const events = await run(link, args.slice(0, -2), options);
          if (options.json) printJson(events);
          else print(describeInjected(events));
        });
      });
  };
  inputCommand(
    'tap',
    (c) => c.description('tap at X Y').argument('<x>', 'x', parseCoordinate).argument('<y>', 'y', parseCoordinate),
    (link, [x, y], options) => tap(link, x as number, y as number, options.display),
  );
  inputCommand(
    'swipe',
    (c) =>
      c
        .description('swipe from X1 Y1 to X2 Y2')
        .argument('<x1>', 'x1', parseCoordinate)
        .argument('<y1>', 'y1', parseCoordinate)
        .argument('<x2>', 'x2', parseCoordinate)
        .argument('<y2>', 'y2', parseCoordinate)
        .addOption(new Option('--duration <ms>', 'gesture duration (default 300)').argParser(parseNonNegativeInt).default(300)),
    (link, [x1, y1, x2, y2], options) => swipe(link, { x: x1 as number, y: y1 as number }, { x: x2 as number, y: y2 as number }, options.duration ?? 300, options.display),
  );
  inputCommand(
    'key',
    (c) => c.description('press and release a key').argument('<key>', 'key name, e.g. Enter, a, ArrowLeft'),
    (link, [name], options) => key(link, name as string, options.display),
  );
  inputCommand('text', (c) => c.description('type a string').argument('<text>', 'text to type'), (link, [value], options) => text(link, value as string, options.display));

  return program;
}

/** Runs the CLI and returns its exit code; all errors are printed to stderr here. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander has already printed usage errors.
      return error.exitCode;
    }
    if (error instanceof CliError) {
      io.stderr(`stratum: ${error.message}\n`);
      return error.exitCode;
    }
    if (isStratumError(error)) {
      io.stderr(`stratum: ${error.message}\n`);
      return 1;
    }
    io.stderr(`stratum: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
