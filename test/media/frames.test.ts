// screenrecord without an encoder: --output-format frames (a header per I420 frame), with the
// --bugreport overlay drawn into every frame.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FRAME_HEADER_BYTES, FRAME_MAGIC } from '../../src/media/encoder.js';
import { exited, spawnCli } from '../cli/support.js';
import type { MediaRig } from './support.js';
import { startRecording, startRig } from './support.js';

const WIDTH = 320;
const HEIGHT = 240;

let rig: MediaRig;
before(async () => {
  rig = await startRig(WIDTH, HEIGHT);
});
after(async () => {
  await rig.close();
});

test('frames output: 1 s at 60 Hz is 60 headed I420 frames with the time/frame overlay', { timeout: 60_000 }, async () => {
  const file = join(rig.dir, 'out.frames');
  const child = spawnCli(['screenrecord', '--output-format', 'frames', '--bugreport', '--verbose', '--time-limit', '1', '--socket', rig.socketPath, file]);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const { code } = await exited(child);
  assert.equal(code, 0, stderr);
  // --verbose accounts for every dropped frame by its cause.
  const total = /\d+ frames \(\d+ received, (\d+) dropped\)/.exec(stderr);
  const causes = /dropped: (\d+) while the recorder held every display buffer, (\d+) with the encoder \d+ frames behind, (\d+) replaced before being written/.exec(stderr);
  assert.ok(total && causes, stderr);
  assert.equal(Number(causes[1]) + Number(causes[2]) + Number(causes[3]), Number(total[1]), stderr);
  const bytes = readFileSync(file);
  const frameBytes = (WIDTH * HEIGHT * 3) / 2;
  assert.equal(bytes.length % (FRAME_HEADER_BYTES + frameBytes), 0);
  const count = bytes.length / (FRAME_HEADER_BYTES + frameBytes);
  assert.equal(count, 60, 'the time limit fills the timeline exactly');
  for (let i = 0; i < count; i++) {
    const at = i * (FRAME_HEADER_BYTES + frameBytes);
    const header = new DataView(bytes.buffer, bytes.byteOffset + at, FRAME_HEADER_BYTES);
    assert.deepEqual([header.getUint32(0, true), header.getUint32(4, true), header.getUint32(8, true), header.getUint32(12, true), header.getUint32(16, true)], [FRAME_MAGIC, WIDTH, HEIGHT, 1, i]);
    assert.ok(Math.abs(header.getFloat32(20, true) - (i * 1000) / 60) < 0.01);
    // The overlay box (luma 16) at the top left with white text (luma 235) in it.
    const luma = bytes.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + WIDTH * HEIGHT);
    assert.equal(luma[2 * WIDTH + 2], 16, `frame ${i}: box`);
    assert.ok(luma.subarray(6 * WIDTH, 27 * WIDTH).some((v, j) => j % WIDTH < 200 && v === 235), `frame ${i}: text`);
  }
  // Frames 1 and 59 differ in the overlay text (the frame number), so the overlay is per frame.
  const textRows = (i: number): Buffer => bytes.subarray(i * (FRAME_HEADER_BYTES + frameBytes) + FRAME_HEADER_BYTES, i * (FRAME_HEADER_BYTES + frameBytes) + FRAME_HEADER_BYTES + 30 * WIDTH);
  assert.notDeepEqual(textRows(1), textRows(59));
});

test('rotating the display while recording re-projects the same recording (letterboxed), no restart', { timeout: 60_000 }, async () => {
  const file = join(rig.dir, 'rotated.raw');
  // 3 s: the rotation must land well before the limit even when a loaded machine delays the
  // progress line the test waits for.
  const { child, stderr } = await startRecording(['--output-format', 'raw-frames', '--time-limit', '3', '--socket', rig.socketPath, file]);
  rig.display.setOrientation(90);
  const { code } = await exited(child);
  rig.display.setOrientation(0);
  assert.equal(code, 0, stderr());
  const bytes = readFileSync(file);
  const frameBytes = (WIDTH * HEIGHT * 3) / 2;
  assert.equal(bytes.length, 180 * frameBytes, 'one file of 3 s at 60 Hz');
  const lumaAt = (frame: number, x: number, y: number): number => bytes[frame * frameBytes + y * WIDTH + x] ?? -1;
  // Before: the 320x240 content fills the frame. After: the stack is 240x320, letterboxed to
  // 180x240 centered (x 70..250): black bars at the sides.
  assert.notEqual(lumaAt(0, 10, 120), 16, 'first frame: content at the left edge');
  assert.equal(lumaAt(179, 10, 120), 16, 'last frame: left bar');
  assert.equal(lumaAt(179, 310, 120), 16, 'last frame: right bar');
  assert.notEqual(lumaAt(179, 160, 120), 16, 'last frame: content in the middle');
});
