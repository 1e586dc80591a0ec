import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BufferAllocator, PixelFormat, Usage } from '../../src/buffer/index.js';
import { mappedMemory } from '../../src/os/index.js';
import { isStratumError } from '../../src/os/status.js';
import { stratumFds } from '../support/fds.js';

const spec = { width: 256, height: 256, format: PixelFormat.RGBA_8888, usage: Usage.CPU_WRITE_OFTEN };
const SIZE = 256 * 256 * 4;


test('each owner is counted and refused with NO_MEMORY beyond its byte limit, before any memory is made', () => {
  const allocator = new BufferAllocator({ maxBytes: 3 * SIZE, maxBuffers: 100 });
  const held = [allocator.allocate('app', spec), allocator.allocate('app', spec), allocator.allocate('app', spec)];
  assert.deepEqual(allocator.usage('app'), { bytes: 3 * SIZE, buffers: 3 });
  const fds = stratumFds();
  assert.throws(
    () => allocator.allocate('app', spec),
    (e: unknown) => isStratumError(e, 'NO_MEMORY') && /app would hold 1048576 buffer bytes .*limit 786432/.test(e.message),
  );
  // Other threads of this process (the loader, libuv) may close an fd meanwhile; none may be added.
  assert.ok(stratumFds() <= fds, 'a refused allocation opens nothing');
  // Another owner has its own account.
  allocator.allocate('other', spec).dispose();
  held[0]?.dispose();
  assert.deepEqual(allocator.usage('app'), { bytes: 2 * SIZE, buffers: 2 });
  allocator.allocate('app', spec);
  allocator.releaseOwner('app');
  allocator.releaseOwner('other');
});

test('the buffer-count limit and per-owner limits', () => {
  const allocator = new BufferAllocator();
  allocator.setLimits('small', { maxBytes: 1 << 30, maxBuffers: 2 });
  allocator.allocate('small', spec);
  allocator.allocate('small', spec);
  assert.throws(() => allocator.allocate('small', spec), (e: unknown) => isStratumError(e, 'NO_MEMORY') && /small already holds 2 buffers \(limit 2\)/.test(e.message));
  assert.throws(() => allocator.setLimits('small', { maxBytes: -1, maxBuffers: 2 }), (e: unknown) => isStratumError(e, 'BAD_VALUE') && /maxBytes/.test(e.message));
  allocator.releaseOwner('small');
});

test('releaseOwner disposes everything the owner holds: fds, mappings and accounting', () => {
  const allocator = new BufferAllocator();
  const fds = stratumFds();
  const mapped = mappedMemory();
  const buffers = Array.from({ length: 10 }, () => allocator.allocate('dying-client', spec));
  for (const buffer of buffers) buffer.bytes()[0] = 1;
  allocator.allocate('survivor', spec);
  allocator.releaseOwner('dying-client');
  assert.ok(buffers.every((b) => b.disposed));
  assert.deepEqual(allocator.usage('dying-client'), { bytes: 0, buffers: 0 });
  assert.deepEqual(allocator.totals(), { bytes: SIZE, buffers: 1, owners: 1 });
  allocator.releaseOwner('survivor');
  assert.equal(stratumFds(), fds);
  assert.deepEqual(mappedMemory(), mapped);
});
