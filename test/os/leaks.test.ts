// Nothing leaks: fds and mappings return to where they started after many cycles, including
// messages whose fds the receiver never takes and messages the kernel had to truncate.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { BufferAllocator, PixelFormat, Usage } from '../../src/buffer/index.js';
import { MAX_MESSAGE_BYTES, MAX_MESSAGE_FDS, SeqPacketServer, SeqPacketSocket, closeFd, createSharedMemory, mappedMemory } from '../../src/os/index.js';
import type { Fd } from '../../src/os/index.js';
import { isStratumError } from '../../src/os/status.js';
import { stratumFds } from '../support/fds.js';

const dir = mkdtempSync(join(tmpdir(), 'stratum-leaks-'));
after(() => rmSync(dir, { recursive: true, force: true }));


test('1000 allocate/map/unmap/free cycles leave open fds and mapped bytes where they started', () => {
  const allocator = new BufferAllocator();
  const fdsBefore = stratumFds();
  const mappedBefore = mappedMemory();
  for (let i = 0; i < 1000; i++) {
    const buffer = allocator.allocate('cycle', { width: 64 + (i % 7), height: 48, format: PixelFormat.RGBA_8888, usage: Usage.CPU_WRITE_OFTEN });
    buffer.pixels32()[i % 64] = i;
    buffer.unmap();
    const view = buffer.bytes('read');
    assert.equal(view.length, buffer.size);
    buffer.dispose();
  }
  assert.equal(stratumFds(), fdsBefore);
  assert.deepEqual(mappedMemory(), mappedBefore);
  assert.deepEqual(allocator.usage('cycle'), { bytes: 0, buffers: 0 });
});

test('1000 send/receive cycles with fds leave open fds where they started, taken or not', async () => {
  const [a, b] = SeqPacketSocket.pair();
  const fdsBefore = stratumFds();
  const memfd = createSharedMemory('leak-check', 4096);
  let received = 0;
  let fdsTaken = 0;
  const done = new Promise<void>((resolve) =>
    b.onMessage((message) => {
      received++;
      // Take the fds of every other message; the rest must be closed for us.
      if (received % 2 === 0) {
        for (const fd of message.takeFds()) {
          fdsTaken++;
          closeFd(fd);
        }
      }
      if (received === 1000) resolve();
    }),
  );
  for (let i = 0; i < 1000; i++) {
    const fds: Fd[] = new Array<Fd>(1 + (i % 3)).fill(memfd);
    // The sender runs ahead of the reader: let the queue drain before it reaches its fd bound.
    while (a.pendingOutgoingBytes > 0) await new Promise((r) => setImmediate(r));
    a.send(Buffer.from(`message ${i}`), fds);
  }
  await done;
  let expectedTaken = 0;
  for (let i = 1; i < 1000; i += 2) expectedTaken += 1 + (i % 3);
  assert.equal(fdsTaken, expectedTaken);
  closeFd(memfd);
  assert.equal(stratumFds(), fdsBefore);
  a.close();
  b.close();
});

// A hostile peer (Python, so it is not limited by our own send checks) sends a message that is too
// big, or carries too many fds: the connection closes with PROTOCOL_ERROR and no fd is leaked.
for (const [name, script] of [
  ['a message larger than MAX_MESSAGE_BYTES', `s.send(b'x' * ${MAX_MESSAGE_BYTES + 1000})`],
  ['a message with more than MAX_MESSAGE_FDS fds', `fd = os.open('/dev/null', os.O_RDONLY); socket.send_fds(s, [b'fds'], [fd] * ${MAX_MESSAGE_FDS + 4})`],
] as const) {
  test(`${name} closes the connection with PROTOCOL_ERROR and leaks nothing`, async () => {
    const path = join(dir, `hostile-${name.length}.sock`);
    const fdsBefore = stratumFds();
    const outcome = new Promise<{ reason: Error | undefined; messages: number }>((resolve) => {
      const server = SeqPacketServer.listen(path, (socket) => {
        server.close();
        let messages = 0;
        socket.onMessage(() => messages++);
        socket.onClose((reason) => resolve({ reason, messages }));
      });
    });
    const python = spawn('python3', [
      '-c',
      `import os, socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\ns.connect(${JSON.stringify(path)})\n${script}\ns.recv(1)`,
    ]);
    const { reason, messages } = await outcome;
    assert.equal(messages, 0);
    assert.ok(isStratumError(reason, 'PROTOCOL_ERROR'), String(reason));
    await new Promise((resolve) => python.once('exit', resolve));
    assert.equal(stratumFds(), fdsBefore);
  });
}


test('closed sockets are garbage-collected (the native poller does not pin them)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let collected = 0;
  const registry = new FinalizationRegistry(() => collected++);
  for (let i = 0; i < 200; i++) {
    const [a, b] = SeqPacketSocket.pair();
    await new Promise<void>((resolve) => {
      b.onMessage(() => {
        a.close();
        b.close();
        resolve();
      });
      a.send(Buffer.from('x'));
    });
    registry.register(a, 0);
    registry.register(b, 0);
  }
  for (let round = 0; round < 10 && collected < 400; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // A systematic leak collects none; allow a few stragglers the collector has not reached yet.
  assert.ok(collected >= 360, `only ${collected} of 400 closed sockets were collected`);
});
