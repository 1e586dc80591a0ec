// The server's connection layer, driven in-process by SDK clients and by raw sockets.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';

import fc from 'fast-check';

import { connect } from '../../src/client/index.js';
import { SeqPacketServer, SeqPacketSocket } from '../../src/os/socket.js';
import type { ReceivedMessage } from '../../src/os/socket.js';
import { isStratumError } from '../../src/os/status.js';
import { PROTOCOL_VERSION, decodeServerMessage, encodeErrorReply, encodeRequest, splitDatagram } from '../../src/protocol/index.js';
import type { ServerMessage } from '../../src/protocol/index.js';
import { DirectConsumer, resolveSocketPath, startServer } from '../../src/server/index.js';
import type { ClientClosedEvent, StratumServer } from '../../src/server/index.js';
import { tempSocketPath, until } from './helpers.js';

function directServer(socketPath: string, log: string[] = []): StratumServer {
  return startServer({ socketPath, compositor: new DirectConsumer(), log: (line) => log.push(line) });
}

/** A raw protocol client: send encoded bytes, collect decoded replies and events (and how many datagrams brought them). */
async function rawClient(path: string): Promise<{ socket: SeqPacketSocket; received: ServerMessage[]; datagrams: number[]; closed: Promise<void> }> {
  const socket = await SeqPacketSocket.connect(path);
  const received: ServerMessage[] = [];
  const datagrams: number[] = [];
  socket.onMessage((message: ReceivedMessage) => {
    const slices = splitDatagram(message.data, message.takeFds());
    datagrams.push(slices.length);
    for (const slice of slices) received.push(decodeServerMessage(slice.bytes, slice.fds));
  });
  const closed = new Promise<void>((resolve) => socket.onClose(() => resolve()));
  return { socket, received, datagrams, closed };
}

function hello(serial = 1): Uint8Array {
  return encodeRequest('hello', 0, serial, { major: PROTOCOL_VERSION.major, minor: PROTOCOL_VERSION.minor, clientName: 'raw' }).bytes;
}

test('socket path rules: $STRATUM_SOCKET, then $XDG_RUNTIME_DIR/stratum-0, then /tmp/stratum-$uid/stratum-0', () => {
  assert.equal(resolveSocketPath({ STRATUM_SOCKET: '/x/y', XDG_RUNTIME_DIR: '/run/user/5' }), '/x/y');
  assert.equal(resolveSocketPath({ XDG_RUNTIME_DIR: '/run/user/5' }), '/run/user/5/stratum-0');
  assert.equal(resolveSocketPath({}), `/tmp/stratum-${process.getuid?.() ?? 0}/stratum-0`);
});

test('the socket is 0600, a second server on the same name is refused, a stale socket is replaced', async () => {
  const socket = tempSocketPath();
  const lockPath = `${socket.path}.lock`;
  try {
    const first = directServer(socket.path);
    assert.equal(statSync(socket.path).mode & 0o777, 0o600);
    assert.throws(() => directServer(socket.path), (e: unknown) => isStratumError(e, 'INVALID_OPERATION') && /already serves/.test(e.message));
    first.close();
    // Another live process holds the name (our parent stands in for a running server).
    writeFileSync(lockPath, `${process.ppid}\n`);
    assert.throws(() => directServer(socket.path), (e: unknown) => isStratumError(e, 'INVALID_OPERATION') && e.message.includes(`another Stratum server (pid ${process.ppid}) is running`));
    // A dead server's leftovers: a socket file nobody accepts on and a lock naming a dead pid.
    const stale = SeqPacketServer.listen(socket.path, () => undefined);
    stale.unref();
    writeFileSync(lockPath, '2147483646\n');
    const second = directServer(socket.path);
    const client = await connect({ socketPath: socket.path });
    assert.equal(client.server.name, 'stratum');
    assert.equal(readFileSync(lockPath, 'utf8').trim(), String(process.pid));
    client.close();
    second.close();
    assert.equal(existsSync(lockPath), false, 'the lock is released on close');
    stale.close();
  } finally {
    socket.cleanup();
  }
});

test('a client of another major version is refused with an error naming both versions', async () => {
  const socket = tempSocketPath();
  const log: string[] = [];
  const server = directServer(socket.path, log);
  try {
    await assert.rejects(
      connect({ socketPath: socket.path, protocolVersion: { major: PROTOCOL_VERSION.major + 1, minor: 3 } }),
      (e: unknown) => isStratumError(e, 'VERSION_MISMATCH') && e.message.includes(`client speaks protocol ${PROTOCOL_VERSION.major + 1}.3`) && e.message.includes(`server speaks ${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor}`),
    );
    await until(() => server.clients().length === 0, 'the refused client to be disconnected');
    // A newer minor of the same major is accepted.
    const client = await connect({ socketPath: socket.path, protocolVersion: { major: PROTOCOL_VERSION.major, minor: PROTOCOL_VERSION.minor + 5 } });
    client.close();
  } finally {
    server.close();
    socket.cleanup();
  }
});

test('a client cannot touch another client\'s surface by guessing ids', async () => {
  const socket = tempSocketPath();
  const server = directServer(socket.path);
  try {
    const alice = await connect({ socketPath: socket.path, name: 'alice' });
    const mallory = await connect({ socketPath: socket.path, name: 'mallory' });
    const surface = await alice.createSurface({ name: 'alice-window', width: 8, height: 8 });
    const raw = await rawClient(socket.path);
    raw.socket.send(hello());
    await until(() => raw.received.length === 1, 'hello reply');
    // Every id a guesser could try, through every surface request.
    for (let id = 0; id <= 8; id++) {
      for (const bytes of [
        encodeRequest('destroySurface', id, 10 + id, {}).bytes,
        encodeRequest('dequeueBuffer', id, 20 + id, { width: 0, height: 0, format: 0, usage: 0 }).bytes,
        encodeRequest('queueBuffer', id, 30 + id, { slot: 0, transform: 0, scalingMode: 0, damage: [], dequeueNext: false }).bytes,
        encodeRequest('cancelBuffer', id, 40 + id, { slot: 0 }).bytes,
        encodeRequest('setProducerOptions', id, 50 + id, { mailbox: true }).bytes,
        encodeRequest('applyTransaction', 0, 60 + id, { changes: [{ surface: id, alpha: 0 }] }).bytes,
      ]) {
        raw.socket.send(bytes);
      }
    }
    const sent = 9 * 6;
    await until(() => raw.received.length === 1 + sent || raw.socket.closed, 'answers to every guess');
    const answers = raw.received.slice(1);
    assert.equal(answers.length, sent);
    for (const answer of answers) {
      // destroySurface/dequeue on id 0 are protocol-valid but name nothing; all are NAME_NOT_FOUND.
      assert.ok(answer.kind === 'error' && answer.code === 10, `expected NAME_NOT_FOUND, got ${JSON.stringify(answer)}`);
    }
    await assert.rejects(mallory.transaction().setAlpha(surface, 0).apply(), (e: unknown) => isStratumError(e, 'NAME_NOT_FOUND'));
    // Alice's surface is untouched and works.
    const d = await surface.surface.dequeueBuffer();
    await surface.surface.queueBuffer(d);
    assert.equal(server.clients().find((c) => c.name === 'alice')?.surfaces, 1);
    raw.socket.close();
    alice.close();
    mallory.close();
  } finally {
    server.close();
    socket.cleanup();
  }
});

function datagramOf(...messages: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(messages.reduce((n, m) => n + m.length, 0));
  let offset = 0;
  for (const m of messages) {
    out.set(m, offset);
    offset += m.length;
  }
  return out;
}

test('requests sharing one datagram are each answered in order, and the answers of one turn share a datagram', async () => {
  const socket = tempSocketPath();
  const server = directServer(socket.path);
  try {
    const raw = await rawClient(socket.path);
    const surfaceSpec = { name: 's', width: 4, height: 4, format: 1, kind: 0, flags: 0, queueSize: 0 };
    raw.socket.send(datagramOf(hello(1), encodeRequest('listDisplays', 0, 2, {}).bytes, encodeRequest('createSurface', 0, 3, surfaceSpec).bytes, encodeRequest('sync', 0, 4, {}).bytes));
    await until(() => raw.received.length === 4, 'four answers');
    assert.deepEqual(raw.received.map((m) => [m.kind, m.serial]), [['reply', 1], ['reply', 2], ['reply', 3], ['reply', 4]]);
    assert.ok(raw.datagrams.length < 4 && raw.datagrams.some((n) => n > 1), `answers came in datagrams of ${raw.datagrams.join(', ')} messages`);
    assert.equal(server.clients()[0]?.messagesIn, 4, 'each message counts, not each datagram');
    raw.socket.close();
  } finally {
    server.close();
    socket.cleanup();
  }
});

test('one malformed message spoils its whole datagram: nothing in it runs, the client hears why', async () => {
  const socket = tempSocketPath();
  const log: string[] = [];
  const consumer = new DirectConsumer();
  const server = startServer({ socketPath: socket.path, compositor: consumer, log: (line) => log.push(line) });
  try {
    const raw = await rawClient(socket.path);
    raw.socket.send(hello(1));
    await until(() => raw.received.length === 1, 'hello reply');
    const create = encodeRequest('createSurface', 0, 2, { name: 's', width: 4, height: 4, format: 1, kind: 0, flags: 0, queueSize: 0 }).bytes;
    const lying = encodeRequest('sync', 0, 3, {}).bytes.slice();
    new DataView(lying.buffer).setUint32(0, lying.length + 8, true);
    raw.socket.send(datagramOf(create, lying));
    await raw.closed;
    const last = raw.received.at(-1);
    assert.ok(last?.kind === 'event' && last.name === 'protocolError' && /message 1 of the datagram/.test(last.args.message), JSON.stringify(last));
    assert.equal(consumer.layerCount, 0, 'the well-formed createSurface before it did not run');
    assert.ok(log.some((l) => /protocol error: message 1 of the datagram/.test(l)));
  } finally {
    server.close();
    socket.cleanup();
  }
});

test('a bad request gets an error reply and the connection stays usable', async () => {
  const socket = tempSocketPath();
  const server = directServer(socket.path);
  try {
    const client = await connect({ socketPath: socket.path });
    const sc = await client.createSurface({ name: 'w', width: 8, height: 8 });
    await assert.rejects(sc.surface.queueBuffer(5), (e: unknown) => isStratumError(e, 'BAD_VALUE') && /slot 5/.test(e.message));
    await assert.rejects(sc.surface.dequeueBuffer({ width: 8, height: 0 }), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
    await assert.rejects(client.createSurface({ name: 'x', kind: 'buffer', width: 5, height: 0 }), (e: unknown) => isStratumError(e, 'BAD_VALUE') && /both be 0/.test(e.message));
    await assert.rejects(client.getDisplayInfo(99), (e: unknown) => isStratumError(e, 'NAME_NOT_FOUND'));
    await assert.rejects(sc.surface.setOptions({ maxDequeued: 0 }), (e: unknown) => isStratumError(e, 'BAD_VALUE'));
    const d = await sc.surface.dequeueBuffer();
    assert.equal(d.buffer.width, 8);
    await sc.surface.queueBuffer(d);
    client.close();
  } finally {
    server.close();
    socket.cleanup();
  }
});

test('fuzz: malformed messages on a live socket disconnect only the offender; the server keeps serving', async () => {
  const socket = tempSocketPath();
  const log: string[] = [];
  const server = directServer(socket.path, log);
  try {
    const bystander = await connect({ socketPath: socket.path, name: 'bystander' });
    const sc = await bystander.createSurface({ name: 'b', width: 4, height: 4 });
    let disconnects = 0;
    server.onClientClosed(() => disconnects++);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.boolean(), async (garbage, afterHello) => {
        const raw = await rawClient(socket.path);
        if (afterHello) raw.socket.send(hello());
        // Make it malformed for sure: a length field that lies.
        const bytes = Uint8Array.from(garbage.length >= 4 ? garbage : [...garbage, 0, 0, 0, 0]);
        new DataView(bytes.buffer).setUint32(0, bytes.length + 1, true);
        raw.socket.send(bytes);
        await raw.closed;
        const last = raw.received.at(-1);
        assert.ok(last?.kind === 'event' && last.name === 'protocolError', 'the offender hears why');
      }),
      { numRuns: 40 },
    );
    await until(() => disconnects >= 40, 'every offender to be cleaned up');
    assert.ok(log.some((l) => /protocol error: .*(header length|shorter than)/.test(l)), `the reason is logged: ${log.slice(0, 3).join(' | ')}`);
    // The bystander never noticed.
    const d = await sc.surface.dequeueBuffer();
    await sc.surface.queueBuffer(d);
    assert.equal(server.clients().length, 1);
    bystander.close();
  } finally {
    server.close();
    socket.cleanup();
  }
});

test('requests before hello and garbage after hello are protocol errors', async () => {
  const socket = tempSocketPath();
  const server = directServer(socket.path);
  try {
    const raw = await rawClient(socket.path);
    raw.socket.send(encodeRequest('listDisplays', 0, 1, {}).bytes);
    await raw.closed;
    const event = raw.received.at(-1);
    assert.ok(event?.kind === 'event' && event.name === 'protocolError' && /listDisplays before hello/.test(event.args.message));
  } finally {
    server.close();
    socket.cleanup();
  }
});

test('when the server goes away every pending and later call rejects with DISCONNECTED', async () => {
  const socket = tempSocketPath();
  const server = directServer(socket.path);
  try {
    const client = await connect({ socketPath: socket.path });
    const sc = await client.createSurface({ name: 'w', width: 4, height: 4 });
    await sc.surface.setOptions({ dequeueTimeout: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 3; i++) await sc.surface.dequeueBuffer();
    const disconnected = new Promise((resolve) => client.onDisconnect(resolve));
    // Every slot is dequeued: this one waits in the server for a free slot that never comes.
    const pending = sc.surface.dequeueBuffer();
    await until(() => server.clients()[0]?.pendingRequests === 1, 'the dequeue to wait in the server');
    server.close();
    await assert.rejects(pending, (e: unknown) => isStratumError(e, 'DISCONNECTED') && /disconnected from the Stratum server/.test(e.message));
    await disconnected;
    await assert.rejects(client.listDisplays(), (e: unknown) => isStratumError(e, 'DISCONNECTED'));
    await assert.rejects(sc.surface.dequeueBuffer(), (e: unknown) => isStratumError(e, 'DISCONNECTED'));
    await assert.rejects(client.transaction().setAlpha(sc, 1).apply(), (e: unknown) => isStratumError(e, 'DISCONNECTED'));
    assert.equal(client.connected, false);
  } finally {
    server.close();
    socket.cleanup();
  }
});

test('a client that stops reading is disconnected past the backlog limit without stalling others', async () => {
  const socket = tempSocketPath();
  const log: string[] = [];
  const server = directServer(socket.path, log);
  try {
    const other = await connect({ socketPath: socket.path, name: 'other' });
    const closed = new Promise<ClientClosedEvent>((resolve) => server.onClientClosed(resolve));
    const raw = await rawClient(socket.path);
    raw.socket.send(hello());
    await until(() => raw.received.length === 1, 'hello reply');
    raw.socket.pause();
    // Each request's reply is queued toward a reader that never reads: past 1 MiB (plus what the
    // kernel buffers) the server gives up on it.
    // Each answer is an error reply of about 70 bytes (the direct consumer has no displays).
    const request = encodeRequest('getDisplayInfo', 0, 2, { display: 12345 }).bytes;
    const replyBytes = encodeErrorReply(0, 2, 10, 'NAME_NOT_FOUND: display 12345 does not exist').bytes.length;
    let sent = 0;
    let otherCalls = 0;
    for (let burst = 0; burst < 400 && !raw.socket.closed; burst++) {
      for (let i = 0; i < 200; i++) {
        try {
          raw.socket.send(request);
          sent++;
        } catch {
          break;
        }
      }
      // Others are served all along.
      await other.listDisplays();
      otherCalls++;
      if (log.some((l) => /outgoing backlog/.test(l))) break;
    }
    const event = await closed;
    assert.match(event.reason, /outgoing backlog over 1048576 bytes: the client stopped reading/);
    assert.ok(log.some((l) => /disconnecting client \d+ 'raw'.*outgoing backlog/.test(l)), 'the reason is logged');
    assert.ok(sent * replyBytes > 1024 * 1024, `the server tolerated ${sent} unread replies of ${replyBytes} bytes before giving up`);
    assert.ok(otherCalls > 1);
    await other.sync();
    other.close();
    raw.socket.close();
  } finally {
    server.close();
    socket.cleanup();
  }
});

test('per-client limits: objects, buffer bytes and pending requests are refused with clear errors', async () => {
  const socket = tempSocketPath();
  const server = startServer({
    socketPath: socket.path,
    compositor: new DirectConsumer(),
    limits: { maxObjects: 2, maxBufferBytes: 64 * 1024, maxPendingRequests: 2 },
    log: () => undefined,
  });
  try {
    const client = await connect({ socketPath: socket.path });
    assert.equal(client.server.maxObjects, 2, 'the hello reply announces the limits');
    const a = await client.createSurface({ name: 'a', width: 64, height: 64 });
    await client.createSurface({ name: 'b', kind: 'color' });
    await assert.rejects(client.createSurface({ name: 'c', kind: 'color' }), (e: unknown) => isStratumError(e, 'LIMIT_EXCEEDED') && /MAX_OBJECTS_PER_CLIENT 2/.test(e.message));
    // 64x64 RGBA is 16 KiB: four fit in 64 KiB, a 256x256 one does not.
    await assert.rejects(a.surface.dequeueBuffer({ width: 256, height: 256 }), (e: unknown) => isStratumError(e, 'NO_MEMORY') && /limit 65536/.test(e.message));
    // Fill every slot, then two dequeues wait in the server; a third request over the limit is refused at once.
    await a.surface.setOptions({ dequeueTimeout: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 3; i++) await a.surface.dequeueBuffer();
    const waiting = [a.surface.dequeueBuffer(), a.surface.dequeueBuffer()];
    for (const w of waiting) w.catch(() => undefined);
    await until(() => server.clients()[0]?.pendingRequests === 2, 'two dequeues to wait');
    await assert.rejects(client.sync(), (e: unknown) => isStratumError(e, 'LIMIT_EXCEEDED') && /MAX_PENDING_REQUESTS_PER_CLIENT/.test(e.message));
    // Other requests that answer at once still work.
    assert.deepEqual(await client.listDisplays(), []);
    client.close();
    await Promise.allSettled(waiting);
    await until(() => server.allocator.totals().bytes === 0, 'the client\'s buffers to be reclaimed');
  } finally {
    server.close();
    socket.cleanup();
  }
});
