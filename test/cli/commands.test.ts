// Every command's help, argument checking and behaviour without a server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EXIT_NO_SERVER } from '../../src/cli/errors.js';
import { cli } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'stratum-cli-'));
const missing = join(dir, 'no-server');
after(() => rmSync(dir, { recursive: true, force: true }));

const COMMANDS = [
  ['start'],
  ['demo'],
  ['dump'],
  ['screencap'],
  ['screenrecord'],
  ['display'],
  ['display', 'list'],
  ['display', 'connect'],
  ['display', 'disconnect'],
  ['display', 'virtual'],
  ['display', 'simulate'],
  ['display', 'rotate'],
  ['display', 'mode'],
  ['input'],
  ['input', 'tap'],
  ['input', 'swipe'],
  ['input', 'key'],
  ['input', 'text'],
];

test('every command has --help, printed on stdout with exit code 0', async () => {
  for (const command of COMMANDS) {
    const result = await cli(...command, '--help');
    assert.equal(result.code, 0, command.join(' '));
    assert.match(result.stdout, new RegExp(`^Usage: stratum ${command.join(' ')}`), command.join(' '));
    assert.equal(result.stderr, '');
  }
});

test('without a server, commands that need one say so on stderr and exit non-zero', async () => {
  const needsServer = [
    ['dump'],
    ['dump', '--json'],
    ['screencap', join(dir, 'x.png')],
    ['screenrecord', join(dir, 'x.mp4')],
    ['demo', 'wallpaper'],
    ['display', 'list'],
    ['display', 'connect', '1920x1080@60'],
    ['display', 'disconnect', '2'],
    ['display', 'virtual', '640x480'],
    ['display', 'simulate', '720x1280'],
    ['display', 'rotate', '1', '90'],
    ['display', 'mode', '1', '1080x2400@90'],
    ['display', 'mode', '1'],
    ['input', 'tap', '10', '20'],
    ['input', 'swipe', '1', '2', '3', '4'],
    ['input', 'key', 'Enter'],
    ['input', 'text', 'hello'],
  ];
  for (const command of needsServer) {
    const result = await cli(...command, '--socket', missing);
    assert.equal(result.code, EXIT_NO_SERVER, command.join(' '));
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `stratum: no Stratum server is running at ${missing} (no socket there); start one with \`stratum start\`\n`, command.join(' '));
  }
});

test('bad arguments are refused with a message naming the value', async () => {
  const cases: [string[], RegExp][] = [
    [['start', '--display', '1080by2400'], /expected WxH or WxH@HZ \(e\.g\. 1080x2400@60\), got "1080by2400"/],
    [['start', '--port', '99999'], /expected a port in 0\.\.65535, got 99999/],
    [['display', 'rotate', '1', '45'], /rotation must be 0, 90, 180 or 270, got "45"/],
    [['display', 'mode', '1', 'fast'], /expected a mode id \(see `stratum display mode ID`\) or WxH\[@HZ\], got "fast"/],
    [['display', 'connect', '1920x1080@1000'], /refresh rate must be in 1\.\.480 Hz, got 1000/],
    [['input', 'tap', 'left', '3'], /expected a coordinate >= 0, got "left"/],
    [['screenrecord', 'x.mp4', '--output-format', 'avi'], /Allowed choices are mp4, webm, h264, frames, raw-frames/],
    [['demo', 'tetris', '--socket', missing], /unknown demo "tetris"; choose one of: wallpaper, status-bar, navigation-bar, animation, video/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(...args);
    assert.notEqual(result.code, 0, args.join(' '));
    assert.match(result.stderr, message, args.join(' '));
    assert.equal(result.stdout, '');
  }
});

test('demo without a name lists the demos, as text or JSON', async () => {
  const text = await cli('demo');
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^wallpaper {7}a full-screen gradient/m);
  const json = await cli('demo', '--json');
  assert.deepEqual((JSON.parse(json.stdout) as { name: string }[]).map((d) => d.name), ['wallpaper', 'status-bar', 'navigation-bar', 'animation', 'video']);
});
