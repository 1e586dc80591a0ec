import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import type { Fd } from '../../src/os/index.js';
import { isStratumError } from '../../src/os/status.js';
import {
  DatagramWriter,
  HEADER_BYTES,
  MAX_FDS_PER_DATAGRAM,
  MAX_MESSAGE_BYTES,
  decodeRequest,
  decodeServerMessage,
  encodeEvent,
  encodeReply,
  encodeRequest,
  splitDatagram,
} from '../../src/protocol/index.js';
import type { EncodedMessage } from '../../src/protocol/index.js';

function concat(messages: readonly EncodedMessage[]): { bytes: Uint8Array; fds: Fd[] } {
  const bytes = new Uint8Array(messages.reduce((n, m) => n + m.bytes.length, 0));
  let offset = 0;
  for (const m of messages) {
    bytes.set(m.bytes, offset);
    offset += m.bytes.length;
  }
  return { bytes, fds: messages.flatMap((m) => [...m.fds]) };
}

// A reply carrying one fd (the dump reply's), with a fake fd number: the codec only counts fds.
function replyWithFd(fd: number, serial: number): EncodedMessage {
  return encodeReply('dump', 0, serial, { fd: fd as Fd, size: 10 });
}

test('a datagram of several messages splits back into them, each with its own fds, in order', () => {
  const messages = [
    encodeRequest('listDisplays', 0, 1, {}),
    encodeRequest('cancelBuffer', 7, 2, { slot: 3 }),
    encodeRequest('sync', 0, 3, {}),
  ];
  const { bytes, fds } = concat(messages);
  const slices = splitDatagram(bytes, fds);
  assert.deepEqual(
    slices.map((s) => decodeRequest(s.bytes, s.fds)),
    messages.map((m) => decodeRequest(m.bytes, m.fds)),
  );

  const withFds = [encodeEvent('bufferReleased', 5, { slot: 1, frameNumber: 9 }), replyWithFd(40, 7), replyWithFd(41, 8)];
  const both = concat(withFds);
  const split = splitDatagram(both.bytes, both.fds);
  assert.deepEqual(split.map((s) => s.fds), [[], [40], [41]]);
  const second = decodeServerMessage(split[1]!.bytes, split[1]!.fds);
  assert.ok(second.kind === 'reply' && second.serial === 7);
});

test('splitDatagram refuses lengths that overrun or underrun, and fd counts that do not add up', () => {
  const one = encodeRequest('sync', 0, 1, {}).bytes;
  const twice = concat([encodeRequest('sync', 0, 1, {}), encodeRequest('sync', 0, 2, {})]).bytes;
  const cases: [string, Uint8Array, number[], RegExp][] = [
    ['empty', new Uint8Array(0), [], /empty datagram/],
    ['a short tail after a whole message', Uint8Array.from([...one, 1, 2, 3]), [], /3 bytes left, shorter than the 16-byte header/],
    ['a length past the end', (() => { const b = twice.slice(); new DataView(b.buffer).setUint32(one.length, one.length + 1, true); return b; })(), [], /message 1 of the datagram: header length/],
    ['a length shorter than a header', (() => { const b = one.slice(); new DataView(b.buffer).setUint32(0, 4, true); return b; })(), [], /header length 4/],
    ['fds announced that did not come', (() => { const b = one.slice(); b[6] = 1; return b; })(), [], /announces 1 fds, 0 are left/],
    ['fds that came but were not announced', one, [9], /announce 0 fds, 1 arrived/],
  ];
  for (const [what, bytes, fds, message] of cases) {
    assert.throws(() => splitDatagram(bytes, fds as Fd[]), (e: unknown) => isStratumError(e, 'PROTOCOL_ERROR') && message.test((e as Error).message), what);
  }
});

test('fuzz: splitDatagram either accounts for every byte and fd or throws PROTOCOL_ERROR', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.array(fc.nat(1000), { maxLength: 8 }), (bytes, fdNumbers) => {
      const fds = fdNumbers as Fd[];
      try {
        const slices = splitDatagram(bytes, fds);
        assert.equal(slices.reduce((n, s) => n + s.bytes.length, 0), bytes.length);
        assert.deepEqual(slices.flatMap((s) => s.fds), fds);
        for (const s of slices) assert.ok(s.bytes.length >= HEADER_BYTES);
      } catch (error) {
        assert.ok(isStratumError(error, 'PROTOCOL_ERROR'), String(error));
      }
    }),
    { numRuns: 2000 },
  );
});

test('DatagramWriter sends what one piece of work collected as one datagram, after callbacks once it is sent', async () => {
  const sent: { bytes: Uint8Array; fds: readonly Fd[] }[] = [];
  const order: string[] = [];
  const writer = new DatagramWriter((bytes, fds) => {
    sent.push({ bytes, fds });
    order.push('send');
  });
  const messages = [encodeEvent('bufferReleased', 5, { slot: 1, frameNumber: 9 }), replyWithFd(40, 7), encodeRequest('sync', 0, 3, {})];
  for (const m of messages) writer.push(m, () => order.push('after'));
  assert.equal(sent.length, 0, 'nothing leaves while the work is still running');
  await Promise.resolve();
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0], concat(messages));
  assert.deepEqual(order, ['send', 'after', 'after', 'after']);
  // flush() sends at once; a lone message goes as it is.
  writer.push(messages[0]!);
  writer.flush();
  assert.equal(sent.length, 2);
  assert.equal(sent[1]!.bytes, messages[0]!.bytes);
  writer.flush();
  assert.equal(sent.length, 2, 'nothing to flush sends nothing');
});

test('DatagramWriter never makes a datagram over the byte or fd limit', () => {
  const sent: { bytes: Uint8Array; fds: readonly Fd[] }[] = [];
  const writer = new DatagramWriter((bytes, fds) => sent.push({ bytes, fds }));
  // Events of about 1 KiB (a protocol error's message) until well past one datagram's worth.
  const big = encodeEvent('protocolError', 0, { code: 1, message: 'x'.repeat(1000) });
  const count = Math.ceil((3 * MAX_MESSAGE_BYTES) / big.bytes.length);
  for (let i = 0; i < count; i++) writer.push(big);
  const fdMessages = MAX_FDS_PER_DATAGRAM + 5;
  for (let i = 0; i < fdMessages; i++) writer.push(replyWithFd(100 + i, i));
  writer.flush();
  for (const d of sent) {
    assert.ok(d.bytes.length <= MAX_MESSAGE_BYTES, `${d.bytes.length} bytes`);
    assert.ok(d.fds.length <= MAX_FDS_PER_DATAGRAM, `${d.fds.length} fds`);
  }
  const slices = sent.flatMap((d) => splitDatagram(d.bytes, [...d.fds]));
  assert.equal(slices.length, count + fdMessages, 'every message arrives exactly once');
  assert.deepEqual(slices.flatMap((s) => s.fds), Array.from({ length: fdMessages }, (_, i) => 100 + i));
  assert.ok(sent.length >= 4, 'the limits split the stream');
});
