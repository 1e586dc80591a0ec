import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BufferAllocator } from '../../src/buffer/allocator.js';
import { PixelFormat } from '../../src/buffer/format.js';
import { Usage } from '../../src/buffer/usage.js';
import { mappedMemory } from '../../src/os/index.js';
import { Renderer } from '../../src/render/index.js';
import { stratumFds } from '../support/fds.js';

const spec = { width: 1080, height: 2400, format: PixelFormat.RGBA_8888, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE };

test('a client dying mid-compose (its buffers disposed) cannot unmap memory the threadpool still reads', async () => {
  const allocator = new BufferAllocator();
  const fdsBefore = stratumFds();
  const mappedBefore = mappedMemory();
  const target = allocator.allocate('server', spec);
  const source = allocator.allocate('client', spec);
  new Uint32Array(source.map()).fill(0xff336699);
  const renderer = new Renderer({ threads: 2 });
  const screen = { left: 0, top: 0, right: spec.width, bottom: spec.height };

  for (let round = 0; round < 20; round++) {
    const victim = allocator.allocate('client', spec);
    new Uint32Array(victim.map()).fill(0xff000000 | round);
    const frame = renderer.compose(target, [
      { kind: 'buffer', source, dst: screen, blend: 'none' },
      { kind: 'buffer', source: victim, dst: { left: 0, top: 0, right: 64, bottom: 64 }, blend: 'none' },
    ]);
    // The owner goes away while the frame is on the threadpool: the buffer reads as disposed at once...
    victim.dispose();
    assert.equal(victim.disposed, true);
    assert.throws(() => victim.map(), /disposed/);
    // ...but its memory stays mapped (and counted) until the frame is done with it.
    assert.equal(victim.pinned, true);
    await frame;
    assert.equal(victim.pinned, false);
    assert.equal(allocator.usage('client').buffers, 1, 'the victim is released once the frame is done');
    assert.equal(new Uint32Array(target.map(), 0, 1)[0], (0xff000000 | round) >>> 0, 'the frame drew the victim');
  }
  allocator.releaseOwner('client');
  allocator.releaseOwner('server');
  assert.equal(stratumFds(), fdsBefore, 'every buffer fd is closed');
  assert.deepEqual(mappedMemory(), mappedBefore, 'every mapping is gone');
});

test('unmapping or remapping a pinned buffer waits for the last unpin; pins nest and unpin once', () => {
  const allocator = new BufferAllocator();
  const buffer = allocator.allocate('owner', { ...spec, width: 64, height: 64 });
  const before = mappedMemory();
  const readOnly = buffer.map('read');
  const unpinA = buffer.pin();
  const unpinB = buffer.pin();
  buffer.map('read-write'); // replaces the read-only mapping, which must survive the pins
  assert.equal(readOnly.byteLength, buffer.size, 'the replaced mapping is still mapped while pinned');
  unpinA();
  unpinA();
  assert.equal(readOnly.byteLength, buffer.size, 'one pin is still held');
  unpinB();
  assert.equal(readOnly.byteLength, 0, 'the replaced mapping is unmapped at the last unpin');
  assert.equal(mappedMemory().bytes - before.bytes, buffer.size, 'only the current mapping remains');
  buffer.dispose();
  assert.throws(() => buffer.pin(), /disposed/);
  assert.equal(allocator.usage('owner').buffers, 0);
});
