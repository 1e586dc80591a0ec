// `stratum start` as a user runs it, in a child process: the printed URL, the demo apps' layers in
// `dump`, every CLI command against that live server, and a clean stop on SIGINT.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decode } from 'fast-png';
import { cli, exited, spawnCli, waitForLine } from './support.js';

const DEMO_NAMES = ['wallpaper', 'status-bar', 'navigation-bar', 'animation', 'video'];
const runtimeDir = mkdtempSync(join(tmpdir(), 'stratum-start-'));
const outputDir = mkdtempSync(join(tmpdir(), 'stratum-out-'));
/** The server's TMPDIR: anything it leaves behind shows up here (the machine's /tmp is shared with other tests). */
const serverTmp = mkdtempSync(join(tmpdir(), 'stratum-tmp-'));
/** tsx (which runs the CLI from source in tests; a built install has no tsx) keeps its compile cache in TMPDIR. */
const TSX_CACHE = `tsx-${process.getuid?.() ?? 0}`;
if (existsSync(join(tmpdir(), TSX_CACHE))) cpSync(join(tmpdir(), TSX_CACHE), join(serverTmp, TSX_CACHE), { recursive: true });
let server: ChildProcessWithoutNullStreams;
let socketPath: string;
let viewerUrl: string;

interface DumpJson {
  layers: { name: string; client: string }[];
  displays: { id: number; width: number; height: number }[];
}

async function dumpJson(): Promise<DumpJson> {
  const result = await cli('dump', '--json', '--socket', socketPath);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as DumpJson;
}

/** Asks the server until `done` holds (each ask is a real request; at most ~20 s). */
async function until<T>(ask: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await ask();
  for (let i = 0; i < 100 && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await ask();
  }
  return value;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  server = spawnCli(['start', '--display', '360x800@60'], { XDG_RUNTIME_DIR: runtimeDir, STRATUM_SOCKET: '', TMPDIR: serverTmp });
  const [, socket] = await waitForLine(server, /socket: +(\S+)\n/);
  const [, url] = await waitForLine(server, /viewer: +(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)\n/);
  assert.ok(socket && url);
  socketPath = socket;
  viewerUrl = url;
});

after(() => {
  server.kill('SIGKILL');
  rmSync(runtimeDir, { recursive: true, force: true });
  rmSync(outputDir, { recursive: true, force: true });
  rmSync(serverTmp, { recursive: true, force: true });
});

test('start prints the socket and a viewer URL that serves the page only with its token', async () => {
  assert.equal(socketPath, join(runtimeDir, 'stratum-0'));
  assert.equal((await fetch(viewerUrl)).status, 200);
  assert.equal((await fetch(viewerUrl.replace(/token=.*/, 'token=wrong'))).status, 403);
});

test('the demo apps, each its own process, put their layers on the display', async () => {
  const dump = await until(dumpJson, (d) => DEMO_NAMES.every((name) => d.layers.some((l) => l.name === name)));
  // Each demo is a window: the window manager's container layer with the app's buffer layer in it.
  const demoLayers = dump.layers.filter((l) => DEMO_NAMES.includes(l.name));
  assert.deepEqual(demoLayers.map((l) => l.name).sort(), [...DEMO_NAMES].sort());
  const pids = new Set(demoLayers.map((l) => /pid (\d+)/.exec(l.client)?.[1]));
  assert.equal(pids.size, DEMO_NAMES.length, 'one process per demo');
  assert.ok(!pids.has(String(server.pid)), 'not the server process');
});

test('every CLI command against the live server', async () => {
  const text = await cli('dump', '--socket', socketPath);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /Display 1 "primary".* 360x800 @ 60 Hz/);
  assert.match(text.stdout, /#\d+ animation/);

  const list = await cli('display', 'list', '--socket', socketPath);
  assert.match(list.stdout, /^ID {2}KIND {6}MODE {14}ROT {3}NAME\n1 {3}internal {2}360x800@60 {8}0 {5}primary\n$/);
  const listJson = JSON.parse((await cli('display', 'list', '--json', '--socket', socketPath)).stdout) as { id: number; width: number }[];
  assert.deepEqual(listJson.map((d) => [d.id, d.width]), [[1, 360]]);

  const file = join(outputDir, 'shot.png');
  const toStdout = await cli('screencap', '-d', '1', '--socket', socketPath);
  assert.deepEqual([...toStdout.stdoutBytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // The navigation bar is static once its window's opening transition is over: the PNG and the raw
  // capture taken right after it then hold the same pixels there.
  const row = 790 * 360 * 4;
  let same = false;
  for (let attempt = 0; attempt < 20 && !same; attempt++) {
    assert.equal((await cli('screencap', file, '--socket', socketPath)).code, 0);
    const png = decode(readFileSync(file));
    assert.deepEqual([png.width, png.height, png.channels], [360, 800, 4]);
    const raw = await cli('screencap', '--raw', '--socket', socketPath);
    assert.equal(raw.stdoutBytes.length, 360 * 800 * 4);
    same = Buffer.from(png.data as Uint8Array).subarray(row, row + 360 * 4).equals(raw.stdoutBytes.subarray(row, row + 360 * 4));
  }
  assert.ok(same, 'PNG and raw capture agree on the static navigation bar');
  const badDisplay = await cli('screencap', '-d', '9', '--socket', socketPath);
  assert.notEqual(badDisplay.code, 0);
  assert.match(badDisplay.stderr, /display 9/);

  assert.equal((await cli('demo', '--socket', socketPath)).code, 0);

  // Input goes through the window manager to the window under the point: the animation app.
  const tapped = await cli('input', 'tap', '180', '300', '--socket', socketPath);
  assert.equal(tapped.code, 0, tapped.stderr);
  assert.match(tapped.stdout, /^touch down 180,300 -> window \d+\ntouch up 180,300 -> window \d+\n$/);
  const swiped = JSON.parse((await cli('input', 'swipe', '100', '300', '200', '400', '--duration', '32', '--json', '--socket', socketPath)).stdout) as { window: number | null }[];
  assert.equal(swiped.length, 4, 'down, two moves, up');
  assert.ok(swiped.every((e) => e.window !== null));
  const keyed = await cli('input', 'key', 'Enter', '--socket', socketPath);
  assert.match(keyed.stdout, /^key down Enter -> window \d+\nkey up Enter -> window \d+\n$/, 'the tapped app has focus');
  const typed = await cli('input', 'text', 'ok', '--socket', socketPath);
  assert.equal(typed.stdout.split('\n').filter((line) => / -> window \d+$/.test(line)).length, 4);
  const outside = await cli('input', 'tap', '5000', '5', '--socket', socketPath);
  assert.ok(outside.code !== 0 || /not delivered/.test(outside.stdout), `a tap outside the display reaches no window: ${outside.stdout}${outside.stderr}`);
});

test('stratum demo NAME runs one more demo process until Ctrl-C', async () => {
  const demo = spawnCli(['demo', 'animation', '--socket', socketPath]);
  try {
    const dump = await until(dumpJson, (d) => d.layers.filter((l) => l.name === 'animation').length === 2);
    assert.equal(dump.layers.filter((l) => l.name === 'animation').length, 2);
  } finally {
    demo.kill('SIGINT');
  }
  assert.deepEqual(await exited(demo), { code: 0, signal: null });
  const after = await until(dumpJson, (d) => d.layers.filter((l) => l.name === 'animation').length === 1);
  assert.equal(after.layers.filter((l) => l.name === 'animation').length, 1, 'its layer left with it');
});

test('display virtual creates a virtual display over the protocol until Ctrl-C', async () => {
  const child = spawnCli(['display', 'virtual', '320x240', '--json', '--socket', socketPath]);
  try {
    const [line] = await waitForLine(child, /\{.*\}\n/);
    const created = JSON.parse(line) as { display: number; width: number; mirror: number };
    assert.deepEqual([created.width, created.mirror], [320, 1]);
    const list = JSON.parse((await cli('display', 'list', '--json', '--socket', socketPath)).stdout) as { id: number; kind: string }[];
    assert.deepEqual(list.find((d) => d.id === created.display)?.kind, 'virtual');
  } finally {
    child.kill('SIGINT');
  }
  assert.deepEqual(await exited(child), { code: 0, signal: null });
  // The server tears a connection's displays down when it sees the connection close, which may be
  // a moment after the command's process is gone: wait for it (bounded), then require it.
  const after = await until(listDisplays, (list) => list.every((d) => d.id === 1));
  assert.deepEqual(after.map((d) => d.id), [1], 'the virtual display went away with its command');
});

interface ListedDisplay {
  id: number;
  kind: string;
  name: string;
  width: number;
  height: number;
  refreshHz: number;
  rotation: number;
}

async function listDisplays(): Promise<ListedDisplay[]> {
  const result = await cli('display', 'list', '--json', '--socket', socketPath);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as ListedDisplay[];
}

test('display connect plugs in an external display that stays after the command until display disconnect', async () => {
  const connected = await cli('display', 'connect', '640x480@60', '--name', 'hdmi', '--json', '--socket', socketPath);
  assert.equal(connected.code, 0, connected.stderr);
  const plugged = JSON.parse(connected.stdout) as ListedDisplay;
  assert.deepEqual([plugged.kind, plugged.name, plugged.width, plugged.height, plugged.refreshHz], ['external', 'hdmi', 640, 480, 60]);
  // The command has exited: the display is the server's now.
  assert.deepEqual((await listDisplays()).find((d) => d.id === plugged.id), plugged);
  const dump = await until(dumpJson, (d) => d.displays.some((x) => x.id === plugged.id));
  assert.ok(dump.displays.some((d) => d.id === plugged.id && d.width === 640), 'dump shows it');

  const text = await cli('display', 'connect', '--socket', socketPath);
  assert.equal(text.code, 0, text.stderr);
  const [, second] = /^connected display (\d+): external 1920x1080@60 rotation 0 ".*"\n$/.exec(text.stdout) ?? [];
  assert.ok(second, text.stdout);

  for (const id of [plugged.id, Number(second)]) {
    const gone = await cli('display', 'disconnect', String(id), '--socket', socketPath);
    assert.equal(gone.code, 0, gone.stderr);
    assert.equal(gone.stdout, `disconnected display ${id}\n`);
  }
  assert.deepEqual((await listDisplays()).map((d) => d.id), [1]);

  const again = await cli('display', 'disconnect', String(plugged.id), '--socket', socketPath);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`^stratum: .*display ${plugged.id}`));
  const primary = await cli('display', 'disconnect', '1', '--socket', socketPath);
  assert.equal(primary.code, 1);
  assert.match(primary.stderr, /^stratum: INVALID_OPERATION: display 1 was not connected through connectDisplay: it cannot be unplugged\n$/);
});

test('display rotate turns a display through the window manager: display list and dump show it', async () => {
  const rotated = await cli('display', 'rotate', '1', '90', '--socket', socketPath);
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.equal(rotated.stdout, 'display 1 rotated to 90: internal 360x800@60 rotation 90 "primary"\n');
  assert.equal((await listDisplays()).find((d) => d.id === 1)?.rotation, 90);
  const dump = await cli('dump', '--socket', socketPath);
  assert.match(dump.stdout, /^display 1: 800x360 rotation 90 /m, 'the window manager lays out for 800x360');

  const back = JSON.parse((await cli('display', 'rotate', '1', '0', '--json', '--socket', socketPath)).stdout) as ListedDisplay;
  assert.equal(back.rotation, 0);
  assert.match((await cli('dump', '--socket', socketPath)).stdout, /^display 1: 360x800 rotation 0 /m);

  const unknown = await cli('display', 'rotate', '9', '90', '--socket', socketPath);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'stratum: NAME_NOT_FOUND: display 9 does not exist\n');
  assert.equal(unknown.stdout, '');
});

test('display mode lists the modes and switches the refresh rate', async () => {
  const listed = await cli('display', 'mode', '1', '--socket', socketPath);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^ID {2}MODE {32}ACTIVE\n1 {3}360x800@60 {26}\*\n2 {3}360x800@90 +\n3 {3}360x800@120 +\n4 {3}360x800@60 \(varying 58-62 Hz\)\s*\n$/);
  const modes = JSON.parse((await cli('display', 'mode', '1', '--json', '--socket', socketPath)).stdout) as { id: number; refreshRate: number; active: boolean }[];
  assert.deepEqual(modes.filter((m) => m.active).map((m) => m.refreshRate), [60]);

  const switched = await cli('display', 'mode', '1', '360x800@90', '--socket', socketPath);
  assert.equal(switched.code, 0, switched.stderr);
  assert.equal(switched.stdout, 'display 1 mode 2: 360x800@90\n');
  assert.equal((await listDisplays()).find((d) => d.id === 1)?.refreshHz, 90);
  assert.match((await cli('dump', '--socket', socketPath)).stdout, /Display 1 "primary".* 360x800 @ 90 Hz/);

  const byId = await cli('display', 'mode', '1', '1', '--socket', socketPath);
  assert.equal(byId.code, 0, byId.stderr);
  assert.equal((await listDisplays()).find((d) => d.id === 1)?.refreshHz, 60);

  const unknownId = await cli('display', 'mode', '1', '77', '--socket', socketPath);
  assert.equal(unknownId.code, 1);
  assert.match(unknownId.stderr, /^stratum: BAD_VALUE: display 1 has no mode 77 \(modes 1, 2, 3, 4\)\n$/);
  const unknownMode = await cli('display', 'mode', '1', '1024x768@75', '--socket', socketPath);
  assert.equal(unknownMode.code, 1);
  assert.match(unknownMode.stderr, /^stratum: display 1 has no mode 1024x768@75; its modes: 1 = 360x800@60, 2 = 360x800@90/);
  const unknownDisplay = await cli('display', 'mode', '9', '--socket', socketPath);
  assert.equal(unknownDisplay.code, 1);
  assert.equal(unknownDisplay.stderr, 'stratum: NAME_NOT_FOUND: display 9 does not exist\n');
});

test('SIGINT stops everything: no socket, no lock, no demo process, no temp file', async () => {
  const dump = await dumpJson();
  const pids = [...new Set(dump.layers.filter((l) => DEMO_NAMES.includes(l.name)).map((l) => Number(/pid (\d+)/.exec(l.client)?.[1])))];
  assert.equal(pids.length, DEMO_NAMES.length);
  // Stopping with a display still connected from the CLI is just as clean.
  assert.equal((await cli('display', 'connect', '320x240', '--socket', socketPath)).code, 0);
  server.kill('SIGINT');
  assert.deepEqual(await exited(server), { code: 0, signal: null });
  await assert.rejects(fetch(viewerUrl), 'the viewer is gone');
  assert.deepEqual(readdirSync(runtimeDir), [], 'no socket, lock or other file left');
  assert.deepEqual(pids.filter(alive), [], 'every demo process ended');
  assert.deepEqual(readdirSync(serverTmp).filter((name) => name !== TSX_CACHE), [], 'no temp file left');
  const gone = await cli('dump', '--socket', socketPath);
  assert.equal(gone.code, 2);
  assert.match(gone.stderr, /no Stratum server is running/);
});

test('start refuses a bad display mode before starting anything', async () => {
  const child = spawnCli(['start', '--display', '0x0'], { XDG_RUNTIME_DIR: runtimeDir });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const { code } = await exited(child);
  assert.equal(code, 1);
  assert.match(stderr, /width and height must be in 1\.\.8192, got 0x0/);
});
