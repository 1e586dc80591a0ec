import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Seal, closeFd, createSharedMemory, fdSeals, fdSize, isOsError, mapFd, mappedMemory, truncateFd, unmap } from '../../src/os/index.js';

test('a sealed memfd maps read-write, cannot be resized, and unmap detaches its ArrayBuffer', () => {
  const before = mappedMemory();
  const fd = createSharedMemory('shm-test', 4096);
  assert.equal(fdSize(fd), 4096);
  assert.equal(fdSeals(fd) & (Seal.SHRINK | Seal.GROW | Seal.SEAL), Seal.SHRINK | Seal.GROW | Seal.SEAL);
  const a = mapFd(fd, 4096, 'read-write');
  const b = mapFd(fd, 4096, 'read');
  new Uint8Array(a)[100] = 0xab;
  assert.equal(new Uint8Array(b)[100], 0xab, 'two mappings of one memfd share memory');
  assert.throws(() => truncateFd(fd, 1024), (e: unknown) => isOsError(e) && e.code === 'EPERM');
  assert.equal(mappedMemory().bytes - before.bytes, 8192);
  unmap(a);
  unmap(b);
  assert.equal(a.byteLength, 0, 'an unmapped ArrayBuffer is detached');
  assert.throws(() => unmap(a), /not a live mapping/);
  assert.deepEqual(mappedMemory(), before);
  closeFd(fd);
  assert.throws(() => fdSize(fd), (e: unknown) => isOsError(e) && e.code === 'EBADF');
});
