import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Seal, closeFd, createSharedMemory, dupFd, fdSeals, fdSize, isOsError, mapFd, mappedMemory, truncateFd, unmap } from '../../src/os/index.js';
import type { Fd } from '../../src/os/index.js';
import { isStratumError } from '../../src/os/status.js';

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

test('bad arguments to the shared-memory calls throw errors naming the call, the argument and the errno', () => {
  const einval = (pattern: RegExp) => (e: unknown) => isOsError(e) && e.code === 'EINVAL' && pattern.test(e.message);
  assert.throws(() => createSharedMemory('neg', -1), einval(/memfdCreate: size out of range .*got -1/));
  assert.throws(() => createSharedMemory('zero', 0), einval(/size out of range/));
  assert.throws(() => createSharedMemory('huge', 2 ** 40), einval(/size out of range .*got 1099511627776/));
  assert.throws(() => createSharedMemory('nan', Number.NaN), einval(/size must be an integer, got nan/i));
  assert.throws(() => createSharedMemory('frac', 1.5), einval(/size must be an integer, got 1.5/));
  assert.throws(() => createSharedMemory('text', '4096' as unknown as number), einval(/size must be a number/));
  assert.throws(() => createSharedMemory(42 as unknown as string, 4096), einval(/name must be a string/));
  assert.throws(() => createSharedMemory('x'.repeat(300), 4096), einval(/name longer than 249/));

  const fd = createSharedMemory('args', 4096);
  assert.throws(() => mapFd(fd, 8192, 'read'), einval(/size 8192 exceeds the file size 4096/));
  assert.throws(() => mapFd(fd, 4096, 'rw' as 'read'), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
  assert.throws(() => mapFd(-1 as Fd, 4096, 'read'), einval(/mmap: fd out of range/));
  assert.throws(() => unmap(new ArrayBuffer(8)), einval(/not a live mapping/));
  assert.throws(() => unmap('buffer' as unknown as ArrayBuffer), einval(/must be an ArrayBuffer/));
  closeFd(fd);
  const closedFd = (e: unknown) => isOsError(e) && e.code === 'EBADF' && e.message.includes(`fd=${fd}`);
  assert.throws(() => mapFd(fd, 4096, 'read'), closedFd);
  assert.throws(() => fdSeals(fd), closedFd);
  assert.throws(() => dupFd(fd), closedFd);
  assert.throws(() => closeFd(fd), closedFd);
});
