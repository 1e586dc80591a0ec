// screenrecord end to end: a live server with an animating client, the real CLI in its own
// process (the recorder consumes a mirroring virtual display across the socket), Debian's ffmpeg.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HeadlessDisplay } from '../../src/display/index.js';
import { requireTools } from '../support/optional-tool.js';
import { exited, spawnCli } from '../cli/support.js';
import type { MediaRig } from './support.js';
import { ffprobe, psnr, readFrameCode, startRecording, startRig } from './support.js';

const skip = requireTools('ffmpeg', 'ffprobe');
const WIDTH = 1280;
const HEIGHT = 720;

let rig: MediaRig;
before(async () => {
  if (!skip) rig = await startRig(WIDTH, HEIGHT);
});
after(async () => {
  if (!skip) await rig.close();
});

/**
 * Decodes every frame of `file` as RGB24: the frame number the client drew into each, in file
 * order, and the frames whose number is wanted.
 */
async function decodeFrames(file: string, wanted: ReadonlySet<number>): Promise<{ codes: number[]; found: Map<number, Uint8Array> }> {
  const frameBytes = WIDTH * HEIGHT * 3;
  const found = new Map<number, Uint8Array>();
  const codes: number[] = [];
  const child = spawn('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = Buffer.alloc(0);
  child.stdout.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= frameBytes) {
      const frame = pending.subarray(0, frameBytes);
      const k = readFrameCode(frame, WIDTH, 3);
      codes.push(k);
      if (wanted.has(k) && !found.has(k)) found.set(k, new Uint8Array(frame));
      pending = pending.subarray(frameBytes);
    }
  });
  await new Promise((resolve) => child.once('close', resolve));
  return { codes, found };
}

test('a 3 s recording at 1280x720: codec, size, frame count, duration, and frames that match screencaps of the same moments', { skip, timeout: 120_000 }, async () => {
  const file = join(rig.dir, 'three.mp4');
  // Screencaps while it records (the progress line says frames are flowing).
  const { child, stderr } = await startRecording(['--time-limit', '3', '--socket', rig.socketPath, file]);
  const shots: { k: number; rgba: Uint8Array }[] = [];
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 300));
    const shot = await rig.client.screencap();
    shots.push({ k: readFrameCode(shot.rgba, WIDTH, 4), rgba: shot.rgba });
  }
  const { code } = await exited(child);
  assert.equal(code, 0, stderr());
  assert.match(stderr(), /time limit of 3 s reached/);

  const probe = ffprobe(file);
  assert.equal(probe.codec, 'h264');
  assert.equal(probe.width, WIDTH);
  assert.equal(probe.height, HEIGHT);
  assert.ok(Math.abs(probe.frames - 180) <= 2, `frame count ${probe.frames}, expected 180 +- 2`);
  assert.ok(Math.abs(probe.duration - 3) <= 0.05, `duration ${probe.duration} s`);

  const { codes, found: decoded } = await decodeFrames(file, new Set(shots.map((s) => s.k)));
  assert.equal(codes.length, probe.frames);
  // Frames are converted off the main thread, several at once, yet the video shows the app's
  // frames in the order they were drawn (a repeat shows the same number again).
  const backwards = codes.findIndex((k, i) => i > 0 && k < (codes[i - 1] ?? 0));
  assert.equal(backwards, -1, `frame ${backwards} of the video shows app frame ${codes[backwards] ?? -1} after ${codes[backwards - 1] ?? -1}`);
  assert.ok(new Set(codes).size > 30, `only ${new Set(codes).size} distinct app frames in 3 s`);
  let compared = 0;
  for (const shot of shots) {
    const frame = decoded.get(shot.k);
    if (!frame) continue; // the screen showed it between two recorded periods
    const db = psnr(frame, 3, shot.rgba, 4, WIDTH * HEIGHT);
    assert.ok(db >= 35, `frame ${shot.k}: PSNR ${db.toFixed(1)} dB < 35`);
    compared += 1;
  }
  assert.ok(compared >= 2, `only ${compared} of ${shots.length} screencapped frames were found in the video (${[...decoded.keys()].join(',')} of ${shots.map((s) => s.k).join(',')})`);
});

test('Ctrl-C mid-recording finalizes a playable file', { skip, timeout: 120_000 }, async () => {
  const file = join(rig.dir, 'interrupted.webm');
  const { child, stderr } = await startRecording(['--size', '640x360', '--bit-rate', '4M', '--socket', rig.socketPath, file]);
  child.kill('SIGINT');
  const { code } = await exited(child);
  assert.equal(code, 0, stderr());
  assert.match(stderr(), /recorded \d+ frames .*: stopped/);
  const probe = ffprobe(file);
  assert.equal(probe.codec, 'vp8');
  assert.equal(probe.width, 640);
  assert.equal(probe.height, 360);
  assert.ok(probe.frames >= 10, `${probe.frames} frames`);
});

test('a display disconnected mid-recording ends it cleanly with a clear message', { skip, timeout: 120_000 }, async () => {
  const external = new HeadlessDisplay({ kind: 'external', width: 640, height: 480, refreshRate: 60 });
  rig.flinger.addDisplay(external);
  const file = join(rig.dir, 'unplugged.mp4');
  const { child, stderr } = await startRecording(['-d', String(external.id), '--socket', rig.socketPath, file]);
  rig.flinger.removeDisplay(external.id);
  external.dispose();
  const { code } = await exited(child);
  assert.equal(code, 0, stderr());
  assert.match(stderr(), new RegExp(`the recording ended early: display ${external.id} \\(.*\\) was disconnected`));
  assert.ok(existsSync(file));
  const probe = ffprobe(file);
  assert.equal(probe.width, 640);
  assert.equal(probe.height, 480);
  assert.ok(probe.frames >= 1);
});

test('without ffmpeg the command says so and how to install it', { timeout: 30_000 }, async () => {
  const child = spawnCli(['screenrecord', '--time-limit', '1', '--socket', skip ? '/nonexistent' : rig.socketPath, '/tmp/never.mp4'], { PATH: '/nonexistent-bin' });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const { code } = await exited(child);
  assert.notEqual(code, 0);
  if (!skip) assert.match(stderr, /ffmpeg is not installed.*apt-get install ffmpeg/);
});

