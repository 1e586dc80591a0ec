import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { Fd } from '../../src/os/index.js';
import {
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_FDS,
  SeqPacketServer,
  SeqPacketSocket,
  closeFd,
  createSharedMemory,
  isOsError,
  mapFd,
  unmap,
} from '../../src/os/index.js';
import type { ReceivedMessage } from '../../src/os/index.js';
import { isStratumError } from '../../src/os/status.js';
import { stratumFds } from '../support/fds.js';

const dir = mkdtempSync(join(tmpdir(), 'stratum-socket-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A memfd whose first 4 bytes hold `tag`, so a received fd can be identified by content. */
function taggedMemfd(tag: number): Fd {
  const fd = createSharedMemory(`tag-${tag}`, 4096);
  const map = mapFd(fd, 4096, 'read-write');
  new DataView(map).setUint32(0, tag, true);
  unmap(map);
  return fd;
}

function readTag(fd: Fd): number {
  const map = mapFd(fd, 4096, 'read');
  const tag = new DataView(map).getUint32(0, true);
  unmap(map);
  return tag;
}

function nextMessages(socket: SeqPacketSocket, count: number): Promise<{ text: string; tags: number[] }[]> {
  return new Promise((resolve) => {
    const got: { text: string; tags: number[] }[] = [];
    socket.onMessage((message: ReceivedMessage) => {
      const fds = message.takeFds();
      got.push({ text: message.data.toString(), tags: fds.map(readTag) });
      for (const fd of fds) closeFd(fd);
      if (got.length === count) resolve(got);
    });
  });
}

function closed(socket: SeqPacketSocket): Promise<Error | undefined> {
  return new Promise((resolve) => socket.onClose(resolve));
}

test('messages with 0, 1 and MAX_MESSAGE_FDS fds arrive in order, each with its own fds in order', async () => {
  const [a, b] = SeqPacketSocket.pair();
  const one = taggedMemfd(1000);
  const many = Array.from({ length: MAX_MESSAGE_FDS }, (_, i) => taggedMemfd(i + 1));
  const received = nextMessages(b, 4);
  a.send(Buffer.from('none'));
  a.send(Buffer.from('one'), [one]);
  a.send(Buffer.from('many'), many);
  a.send(Buffer.from('none again'));
  assert.deepEqual(await received, [
    { text: 'none', tags: [] },
    { text: 'one', tags: [1000] },
    { text: 'many', tags: many.map((_, i) => i + 1) },
    { text: 'none again', tags: [] },
  ]);
  // The sender keeps its own fds.
  assert.equal(readTag(one), 1000);
  for (const fd of [one, ...many]) closeFd(fd);
  a.close();
  b.close();
});

test('fds not taken by the handler are closed; takeFds after the handler throws INVALID_OPERATION', async () => {
  const [a, b] = SeqPacketSocket.pair();
  const fd = taggedMemfd(7);
  const seen = new Promise<{ message: ReceivedMessage; fdCount: number }>((resolve) =>
    b.onMessage((message) => resolve({ message, fdCount: message.fdCount })),
  );
  a.send(Buffer.from('x'), [fd]);
  const { message, fdCount } = await seen;
  assert.equal(fdCount, 1);
  assert.equal(message.fdCount, 0);
  assert.throws(() => message.takeFds(), (e: unknown) => isStratumError(e, 'INVALID_OPERATION'));
  closeFd(fd);
  a.close();
  b.close();
});

test('peer close is reported once, cleanly, after the messages sent before it', async () => {
  const [a, b] = SeqPacketSocket.pair();
  const messages = nextMessages(b, 2);
  const bClosed = closed(b);
  a.send(Buffer.from('first'));
  a.send(Buffer.from('last'));
  a.close();
  a.close();
  assert.deepEqual((await messages).map((m) => m.text), ['first', 'last']);
  assert.equal(await bClosed, undefined);
  assert.equal(b.closed, true);
  assert.throws(() => b.send(Buffer.from('late')), (e: unknown) => isStratumError(e, 'DISCONNECTED'));
  assert.throws(() => a.send(Buffer.from('late')), (e: unknown) => isStratumError(e, 'INVALID_OPERATION'));
});

test('a peer that stops reading fills the outgoing queue to its bound, then send throws LIMIT_EXCEEDED', async () => {
  const [a, b] = SeqPacketSocket.pair({ maxOutgoingBytes: 256 * 1024 });
  const chunk = new Uint8Array(32 * 1024);
  let sent = 0;
  let error: unknown;
  try {
    for (; sent < 1000; sent++) a.send(chunk);
  } catch (e) {
    error = e;
  }
  assert.ok(isStratumError(error, 'LIMIT_EXCEEDED'), String(error));
  assert.match((error as Error).message, /not reading/);
  assert.ok(a.pendingOutgoingBytes > 0 && a.pendingOutgoingBytes <= 256 * 1024);
  // Once the peer reads, the queue drains and every accepted message arrives.
  let count = 0;
  const all = new Promise<void>((resolve) =>
    b.onMessage(() => {
      if (++count === sent) resolve();
    }),
  );
  await all;
  assert.equal(a.pendingOutgoingBytes, 0);
  a.close();
  b.close();
});

test('bad arguments give clear errors with the right code', async () => {
  const [a, b] = SeqPacketSocket.pair();
  const badValue = (e: unknown) => isStratumError(e, 'BAD_VALUE');
  assert.throws(() => a.send(new Uint8Array(0)), badValue);
  assert.throws(() => a.send(new Uint8Array(MAX_MESSAGE_BYTES + 1)), badValue);
  assert.throws(() => a.send('text' as unknown as Uint8Array), badValue);
  assert.throws(() => a.send(Buffer.from('x'), [-1 as Fd]), badValue);
  assert.throws(() => a.send(Buffer.from('x'), [Number.NaN as Fd]), badValue);
  assert.throws(() => a.send(Buffer.from('x'), new Array<Fd>(MAX_MESSAGE_FDS + 1).fill(0 as Fd)), badValue);
  const gone = createSharedMemory('gone', 16);
  closeFd(gone);
  assert.throws(() => a.send(Buffer.from('x'), [gone]), (e: unknown) => badValue(e) && /not open/.test((e as Error).message));
  assert.throws(() => SeqPacketSocket.pair({ maxOutgoingBytes: -1 }), badValue);
  const file = openSync(join(dir, 'plain-file'), 'w');
  assert.throws(() => SeqPacketSocket.fromFd(file as Fd), (e: unknown) => isOsError(e) && e.code === 'ENOTSOCK');
  assert.throws(() => SeqPacketSocket.fromFd(file as Fd), (e: unknown) => isOsError(e) && e.code === 'EBADF', 'a refused fd was closed');
  assert.throws(() => SeqPacketSocket.fromFd(1.5 as Fd), badValue);
  await assert.rejects(SeqPacketSocket.connect(join(dir, 'missing.sock')), (e: unknown) => isOsError(e) && e.code === 'ENOENT');
  await assert.rejects(SeqPacketSocket.connect('x'.repeat(200)), (e: unknown) => isOsError(e) && e.code === 'ENAMETOOLONG');
  a.close();
  b.close();
});

test('a server at a path: mode 0600, accepts, reports peer credentials, refuses a second bind', async () => {
  const path = join(dir, 'server.sock');
  let listener: SeqPacketServer | undefined;
  const accepted = new Promise<SeqPacketSocket>((resolve) => {
    listener = SeqPacketServer.listen(path, resolve);
  });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.throws(() => SeqPacketServer.listen(path, () => undefined), (e: unknown) => isOsError(e) && e.code === 'EADDRINUSE');
  const client = await SeqPacketSocket.connect(path);
  const server = await accepted;
  assert.deepEqual(server.peerCredentials(), { pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() });
  const reply = nextMessages(client, 1);
  const request = nextMessages(server, 1);
  client.send(Buffer.from('ping'));
  assert.equal((await request)[0]?.text, 'ping');
  server.send(Buffer.from('pong'));
  assert.equal((await reply)[0]?.text, 'pong');
  client.close();
  server.close();
  listener?.close();
});

test('server close removes its path; a socket file with no listener (stale) is ECONNREFUSED', async () => {
  const path = join(dir, 'stale.sock');
  const server = SeqPacketServer.listen(path, () => undefined);
  server.close();
  server.close();
  assert.throws(() => statSync(path), /ENOENT/);
  // A crashed server leaves its file behind: bound, nobody listening.
  const python = spawnSync('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(${JSON.stringify(path)})`]);
  assert.equal(python.status, 0, python.stderr.toString());
  await assert.rejects(SeqPacketSocket.connect(path), (e: unknown) => isOsError(e) && e.code === 'ECONNREFUSED');
});

test('sending to a peer that has closed does not throw: the socket closes with DISCONNECTED', async () => {
  const [a, b] = SeqPacketSocket.pair();
  b.close();
  const reason = closed(a);
  a.send(Buffer.from('into the void'));
  assert.ok(isStratumError(await reason, 'DISCONNECTED'));
  assert.throws(() => a.send(Buffer.from('again')), (e: unknown) => isStratumError(e, 'DISCONNECTED'));
});

test('pause holds messages in the kernel; resume delivers them in order', async () => {
  const [a, b] = SeqPacketSocket.pair();
  const got: string[] = [];
  b.pause();
  b.onMessage((message) => got.push(message.data.toString()));
  a.send(Buffer.from('1'));
  a.send(Buffer.from('2'));
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(got, []);
  const all = nextMessages(b, 3);
  b.resume();
  a.send(Buffer.from('3'));
  assert.deepEqual((await all).map((m) => m.text), ['1', '2', '3']);
  a.close();
  b.close();
});

test('a handler that pauses mid-batch: the messages one receive call took wait, and resume delivers them in order', async () => {
  const [a, b] = SeqPacketSocket.pair();
  const got: string[] = [];
  // Several messages wait in the kernel, so one receive call takes them together.
  for (let i = 1; i <= 6; i++) a.send(Buffer.from(String(i)));
  b.onMessage((message) => {
    got.push(message.data.toString());
    if (got.length === 2) b.pause();
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(got, ['1', '2'], 'nothing is delivered while paused');
  b.resume();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(got, ['1', '2', '3', '4', '5', '6']);
  a.close();
  b.close();
});

test('fds of messages taken from the kernel but never delivered are closed with the socket', async () => {
  const [a, b] = SeqPacketSocket.pair();
  const before = stratumFds();
  const memfds = [taggedMemfd(1), taggedMemfd(2), taggedMemfd(3)];
  for (const fd of memfds) a.send(Buffer.from('x'), [fd]);
  for (const fd of memfds) closeFd(fd);
  let delivered = 0;
  b.onMessage(() => {
    delivered++;
    b.close(); // after the first of a batch of three
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(delivered, 1);
  a.close();
  assert.equal(stratumFds(), before - 2, 'no received fd outlives the socket');
});

test('a server out of fds refuses the pending connection (closing it) and reports EMFILE instead of spinning', { timeout: 30_000 }, async () => {
  const path = join(dir, 'emfile.sock');
  const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'emfile-server.ts');
  const child = spawn('sh', ['-c', 'ulimit -n 256 && exec "$0" "$@"', process.execPath, '--import', 'tsx', fixture, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  let output = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  const printed = async (text: string): Promise<void> => {
    while (!output.includes(text)) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  await printed('ready');
  const client = await SeqPacketSocket.connect(path);
  client.onMessage(() => undefined);
  // Only an active refusal closes this connection: the server process stays up until we end it.
  assert.equal(await closed(client), undefined);
  await printed('error');
  assert.equal(child.exitCode, null, 'the server is still running');
  assert.match(output, /error EMFILE/);
  assert.doesNotMatch(output, /accepted/);
  child.kill('SIGTERM');
  assert.equal(await exited, 'SIGTERM');
});
