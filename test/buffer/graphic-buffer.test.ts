import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GraphicBuffer, PixelFormat, Usage } from '../../src/buffer/index.js';
import type { BufferDescriptor } from '../../src/buffer/index.js';
import { closeFd, createSharedMemory, dupFd, fdSize, isOsError } from '../../src/os/index.js';
import type { Fd } from '../../src/os/index.js';
import { isStratumError } from '../../src/os/status.js';
import { stratumFds } from '../support/fds.js';

const spec = { width: 100, height: 50, format: PixelFormat.RGBA_8888, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE };


test('allocate: a sealed buffer with a unique id, a descriptor and pixel views over one memory', () => {
  const a = GraphicBuffer.allocate(spec);
  const b = GraphicBuffer.allocate(spec);
  assert.notEqual(a.id, b.id);
  assert.deepEqual(a.describe(), { id: a.id, width: 100, height: 50, format: PixelFormat.RGBA_8888, usage: spec.usage, stride: 112, size: 24576 });
  assert.equal(fdSize(a.fd), a.size);
  a.pixels32()[a.stride * 3 + 7] = 0x11223344;
  const bytes = a.bytes('read');
  assert.deepEqual([...bytes.subarray((a.stride * 3 + 7) * 4, (a.stride * 3 + 8) * 4)], [0x44, 0x33, 0x22, 0x11]);
  a.dispose();
  a.dispose();
  assert.equal(a.disposed, true);
  assert.equal(bytes.length, 0, 'views of a disposed buffer are detached, not dangling');
  assert.throws(() => a.fd, (e: unknown) => isStratumError(e, 'INVALID_OPERATION'));
  b.dispose();
});

test('pixels32 refuses formats that are not 4 bytes per pixel', () => {
  const nv12 = GraphicBuffer.allocate({ ...spec, format: PixelFormat.NV12 });
  assert.throws(() => nv12.pixels32(), (e: unknown) => isStratumError(e, 'INVALID_OPERATION') && /NV12/.test(e.message));
  nv12.dispose();
});

test('import maps what the descriptor says and shares memory with the original', () => {
  const original = GraphicBuffer.allocate({ ...spec, format: PixelFormat.NV12 });
  const copy = GraphicBuffer.import(dupFd(original.fd), original.describe());
  original.bytes()[original.size - 1] = 0x5a;
  assert.equal(copy.bytes('read')[copy.size - 1], 0x5a);
  assert.deepEqual(copy.layout, original.layout);
  copy.dispose();
  original.dispose();
});

test('import rejects lying descriptors and unsafe fds with BAD_VALUE, closing the fd it was given', () => {
  const original = GraphicBuffer.allocate(spec);
  const d = original.describe();
  const tallBuffer = GraphicBuffer.allocate({ ...spec, height: 100 });
  const tall = tallBuffer.describe();
  tallBuffer.dispose();
  const fdsBefore = stratumFds();
  const rejects = (descriptor: BufferDescriptor, pattern: RegExp, fd: Fd = dupFd(original.fd)): void => {
    assert.throws(() => GraphicBuffer.import(fd, descriptor), (e: unknown) => isStratumError(e, 'BAD_VALUE') && pattern.test(e.message));
    assert.throws(() => fdSize(fd), (e: unknown) => isOsError(e) && e.code === 'EBADF', 'the rejected fd was closed');
  };
  // Bigger than the memory behind the fd: a 100x100 descriptor over a 100x50 buffer.
  rejects({ ...tall }, /fd holds 24576 bytes, descriptor says 45056/);
  rejects({ ...d, size: d.size + 4096 }, /does not match its layout/);
  rejects({ ...d, stride: 99 }, /stride 99 is invalid/);
  rejects({ ...d, stride: 113 }, /matches no supported alignment/);
  rejects({ ...d, width: 0 }, /width must be an integer/);
  rejects({ ...d, format: 77 as PixelFormat }, /unknown pixel format 77/);
  rejects({ ...d, usage: 1 << 30 }, /usage 0x40000000 has unknown bits/);
  // An fd its sender could shrink under our mapping.
  rejects(d, /not sealed against shrinking/, createSharedMemory('unsealed', d.size, { seal: false }));
  // A closed fd.
  const closed = dupFd(original.fd);
  closeFd(closed);
  assert.throws(() => GraphicBuffer.import(closed, d), (e: unknown) => isStratumError(e, 'BAD_VALUE') && /not an open file descriptor/.test(e.message));
  assert.equal(stratumFds(), fdsBefore);
  original.dispose();
});

test('allocate validates its spec', () => {
  assert.throws(() => GraphicBuffer.allocate({ ...spec, width: -5 }), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
  assert.throws(() => GraphicBuffer.allocate({ ...spec, usage: -1 }), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
  assert.throws(() => GraphicBuffer.allocate({ ...spec, format: 0 as PixelFormat }), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
});
