import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { collectDisplayModes, parseCoordinate, parseDisplayMode, parsePort, parseRotation } from '../../src/cli/parse.js';

test('display modes parse WxH and WxH@HZ and name what is wrong', () => {
  assert.deepEqual(parseDisplayMode('1080x2400@60'), { width: 1080, height: 2400, refreshHz: 60 });
  assert.deepEqual(parseDisplayMode('640x480'), { width: 640, height: 480 });
  assert.deepEqual(collectDisplayModes('1x2', [{ width: 3, height: 4 }]), [{ width: 3, height: 4 }, { width: 1, height: 2 }]);
  assert.throws(() => parseDisplayMode('1080*2400'), (e: unknown) => e instanceof InvalidArgumentError && /got "1080\*2400"/.test(e.message));
  assert.throws(() => parseDisplayMode('0x10'), /width and height must be in 1\.\.8192, got 0x10/);
  assert.throws(() => parseDisplayMode('10x10@1000'), /refresh rate must be in 1\.\.480 Hz, got 1000/);
});

test('ports, coordinates and rotations are checked', () => {
  assert.equal(parsePort('8080'), 8080);
  assert.throws(() => parsePort('70000'), /0\.\.65535, got 70000/);
  assert.throws(() => parsePort('-1'), /non-negative integer, got "-1"/);
  assert.equal(parseCoordinate('12.5'), 12.5);
  assert.throws(() => parseCoordinate('x'), /coordinate >= 0, got "x"/);
  assert.equal(parseRotation('270'), 270);
  assert.throws(() => parseRotation('45'), /0, 90, 180 or 270, got "45"/);
});
