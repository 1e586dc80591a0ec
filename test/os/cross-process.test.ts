// Zero copy across processes: only an fd and a few bytes cross the socket; the pixels are shared.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { BufferAllocator, PixelFormat, Usage } from '../../src/buffer/index.js';
import { SeqPacketServer, SeqPacketSocket, closeFd, createSocketPair } from '../../src/os/index.js';
import type { Fd } from '../../src/os/index.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'buffer-child.ts');
const dir = mkdtempSync(join(tmpdir(), 'stratum-xproc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Reply {
  receivedBytes: number;
  receivedFds: number;
  size: number;
  shrink: string;
  grow: string;
  sizeAfter: number;
}

function spawnChild(arg: string, extraFd?: number): ChildProcess {
  const stdio: ('ignore' | 'inherit' | number)[] = ['ignore', 'inherit', 'inherit'];
  if (extraFd !== undefined) stdio.push(extraFd);
  return spawn(process.execPath, ['--import', 'tsx', child, arg], { stdio });
}

function exited(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

function request(socket: SeqPacketSocket, seed: number, fd: Fd): Promise<Reply> {
  return new Promise((resolve) => {
    socket.onMessage((message) => resolve(JSON.parse(message.data.toString()) as Reply));
    socket.send(Buffer.from(JSON.stringify({ seed })), [fd]);
  });
}

function expectPattern(bytes: Uint8Array, seed: number): void {
  let mismatches = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== ((i * 7 + seed) & 0xff)) mismatches++;
  assert.equal(mismatches, 0, 'every byte the child wrote is visible through our mapping');
}

test('a child reached through an inherited socket writes into our buffer; only the fd and a few bytes cross', async () => {
  const allocator = new BufferAllocator();
  const buffer = allocator.allocate('test', { width: 256, height: 256, format: PixelFormat.RGBA_8888, usage: Usage.CPU_WRITE_OFTEN });
  const view = buffer.bytes('read');
  const [ours, theirs] = createSocketPair();
  const proc = spawnChild('fd', theirs);
  closeFd(theirs);
  const socket = SeqPacketSocket.fromFd(ours);
  const sentMessage = Buffer.from(JSON.stringify({ seed: 3 }));
  const reply = await request(socket, 3, buffer.fd);
  assert.equal(reply.receivedFds, 1);
  assert.equal(reply.receivedBytes, sentMessage.length);
  assert.ok(reply.receivedBytes < 64, `the request was ${reply.receivedBytes} bytes`);
  assert.equal(reply.size, buffer.size);
  assert.ok(buffer.size >= 256 * 256 * 4);
  expectPattern(view, 3);
  // The seals hold in the child: it can neither shrink nor grow the memory we map.
  assert.equal(reply.shrink, 'EPERM');
  assert.equal(reply.grow, 'EPERM');
  assert.equal(reply.sizeAfter, buffer.size);
  const exit = exited(proc);
  socket.close();
  assert.equal(await exit, 0);
  allocator.releaseOwner('test');
});

test('a child that connects by path is identified by SO_PEERCRED and fills several buffers', async () => {
  const path = join(dir, 'xproc.sock');
  const connected = new Promise<SeqPacketSocket>((resolve) => {
    const server = SeqPacketServer.listen(path, (socket) => {
      server.close();
      resolve(socket);
    });
  });
  const proc = spawnChild(path);
  const socket = await connected;
  assert.equal(socket.peerCredentials().pid, proc.pid);
  const allocator = new BufferAllocator();
  for (const [seed, format] of [
    [11, PixelFormat.NV12],
    [12, PixelFormat.RGB_565],
  ] as const) {
    const buffer = allocator.allocate('child', { width: 333, height: 77, format, usage: Usage.CPU_READ_OFTEN });
    const reply = await request(socket, seed, buffer.fd);
    assert.deepEqual([reply.shrink, reply.grow], ['EPERM', 'EPERM']);
    expectPattern(buffer.bytes('read'), seed);
  }
  const exit = exited(proc);
  socket.close();
  assert.equal(await exit, 0);
  allocator.releaseOwner('child');
  assert.deepEqual(allocator.totals(), { bytes: 0, buffers: 0, owners: 0 });
});
