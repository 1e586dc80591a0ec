import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import type { Fd } from '../../src/os/index.js';
import { StratumError, isStratumError } from '../../src/os/status.js';
import {
  ERROR_REPLY_TYPE,
  HEADER_BYTES,
  MAX_FDS_PER_MESSAGE,
  MAX_MESSAGE_BYTES,
  REPLY_BIT,
  decodeRequest,
  decodeServerMessage,
  encodeErrorReply,
  encodeEvent,
  encodeReply,
  encodeRequest,
  events,
  requests,
} from '../../src/protocol/index.js';
import type { EncodedMessage, EventName, ReplyName, RequestName } from '../../src/protocol/index.js';
import { arbitraryStruct } from './arbitraries.js';

// Encoders are typed per message; the generated values are checked against the same schema at runtime.
type LooseEncoder = (name: string, objectId: number, serial: number, args: unknown) => EncodedMessage;
const encodeRequestLoose = encodeRequest as unknown as LooseEncoder;
const encodeReplyLoose = encodeReply as unknown as LooseEncoder;
const encodeEventLoose = encodeEvent as unknown as (name: string, objectId: number, args: unknown) => EncodedMessage;

const requestNames = Object.keys(requests) as RequestName[];
const replyNames = requestNames.filter((n): n is ReplyName => requests[n].reply !== null);
const eventNames = Object.keys(events) as EventName[];

function assertProtocolError(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!isStratumError(error, 'PROTOCOL_ERROR')) throw new Error(`expected PROTOCOL_ERROR, got ${String(error)}`, { cause: error });
    assert.ok(error.message.length > 'PROTOCOL_ERROR: '.length, 'the error names what was wrong');
    return;
  }
}

const requestCase = fc.constantFrom(...requestNames).chain((name) =>
  fc.record({
    name: fc.constant(name),
    objectId: requests[name].target === 'connection' ? fc.constant(0) : fc.integer({ min: 1, max: 0xffffffff }),
    serial: fc.integer({ min: 0, max: 0xffffffff }),
    args: arbitraryStruct(requests[name].fields),
  }),
);

test('every request round-trips through the codec', () => {
  fc.assert(
    fc.property(requestCase, ({ name, objectId, serial, args }) => {
      const encoded = encodeRequestLoose(name, objectId, serial, args);
      const decoded = decodeRequest(encoded.bytes, encoded.fds);
      assert.deepEqual(decoded, { kind: 'request', name, objectId, serial, args });
    }),
    { numRuns: 2000 },
  );
});

test('every reply, event and the error reply round-trip, fds in field order', () => {
  const replyCase = fc.constantFrom(...replyNames).chain((name) =>
    fc.record({ name: fc.constant(name), serial: fc.integer({ min: 1, max: 0xffffffff }), args: arbitraryStruct(requests[name].reply as never) }),
  );
  fc.assert(
    fc.property(replyCase, ({ name, serial, args }) => {
      const encoded = encodeReplyLoose(name, 7, serial, args);
      assert.equal(encoded.bytes[6], encoded.fds.length);
      assert.deepEqual(decodeServerMessage(encoded.bytes, encoded.fds), { kind: 'reply', name, objectId: 7, serial, args });
    }),
    { numRuns: 1000 },
  );
  const eventCase = fc.constantFrom(...eventNames).chain((name) => fc.record({ name: fc.constant(name), args: arbitraryStruct(events[name].fields) }));
  fc.assert(
    fc.property(eventCase, ({ name, args }) => {
      const encoded = encodeEventLoose(name, 3, args);
      assert.deepEqual(decodeServerMessage(encoded.bytes, encoded.fds), { kind: 'event', name, objectId: 3, serial: 0, args });
    }),
    { numRuns: 1000 },
  );
  const error = encodeErrorReply(5, 9, 1, 'slot 70 is out of range');
  assert.deepEqual(decodeServerMessage(error.bytes), { kind: 'error', objectId: 5, serial: 9, code: 1, message: 'slot 70 is out of range' });
});

test('a dequeue reply carries its buffer fd only when the buffer is new for the slot', () => {
  const handle = { id: 1, width: 4, height: 4, format: 1, usage: 8, stride: 16, size: 4096, fd: 42 as Fd };
  const withBuffer = encodeReply('dequeueBuffer', 1, 2, { slot: 0, bufferId: 1, needsReallocation: true, releaseAllBuffers: false, bufferAge: 0, buffer: handle });
  assert.deepEqual(withBuffer.fds, [42]);
  const cached = encodeReply('dequeueBuffer', 1, 3, { slot: 0, bufferId: 1, needsReallocation: false, releaseAllBuffers: false, bufferAge: 2 });
  assert.deepEqual(cached.fds, []);
  assert.ok(cached.bytes.length < 40, `a cached dequeue reply is ${cached.bytes.length} bytes`);
});

test('decoding random bytes throws nothing but a PROTOCOL_ERROR', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 5 }), (bytes, fdCount) => {
      const fds = Array.from({ length: fdCount }, (_, i) => (100 + i) as Fd);
      assertProtocolError(() => decodeRequest(bytes, fds));
      assertProtocolError(() => decodeServerMessage(bytes, fds));
    }),
    { numRuns: 5000 },
  );
});

test('decoding mutated valid messages throws nothing but a PROTOCOL_ERROR', () => {
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), value: fc.constant(0) }),
    fc.record({ op: fc.constant('extend' as const), at: fc.nat({ max: 8 }), value: fc.integer({ min: 0, max: 255 }) }),
  );
  fc.assert(
    fc.property(requestCase, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: -1, max: 2 }), ({ name, objectId, serial, args }, mutations, fdDelta) => {
      const encoded = encodeRequestLoose(name, objectId, serial, args);
      let bytes = encoded.bytes;
      for (const m of mutations) {
        if (m.op === 'flip' && bytes.length > 0) bytes[m.at % bytes.length] = m.value;
        else if (m.op === 'truncate') bytes = bytes.slice(0, m.at % (bytes.length + 1));
        else if (m.op === 'extend') bytes = Uint8Array.from([...bytes, ...new Array<number>(m.at + 1).fill(m.value)]);
      }
      const fds = Array.from({ length: Math.max(0, encoded.fds.length + fdDelta) }, (_, i) => (200 + i) as Fd);
      assertProtocolError(() => decodeRequest(bytes, fds));
      assertProtocolError(() => decodeServerMessage(bytes, fds));
    }),
    { numRuns: 5000 },
  );
});

test('malformed messages are refused with a message that names the problem', () => {
  const ok = encodeRequest('createSurface', 0, 1, { name: 'a', width: 1, height: 1, format: 1, kind: 0, flags: 0, queueSize: 0 });
  const cases: [Uint8Array, number, RegExp][] = [
    [ok.bytes.slice(0, 10), 0, /shorter than the 16-byte header/],
    [ok.bytes.slice(0, ok.bytes.length - 1), 0, /header length \d+ does not match/],
    [withHeader(ok.bytes, (v) => v.setUint16(4, 0x3333, true)), 0, /unknown request type 0x3333/],
    [withHeader(ok.bytes, (v) => v.setUint32(8, 5, true)), 0, /createSurface: object id must be 0, got 5/],
    [withHeader(ok.bytes, (v) => v.setUint8(7, 1)), 0, /reserved byte/],
    [ok.bytes, 1, /header announces 0 fds, 1 arrived/],
    [withHeader(ok.bytes, (v) => v.setUint8(6, 1)), 1, /1 fds attached, the message has 0 fd fields/],
    [withHeader(ok.bytes, (v) => v.setUint8(6, 9)), 9, /more than MAX_FDS_PER_MESSAGE/],
    [withHeader(ok.bytes, (v) => v.setUint16(4, REPLY_BIT | 0x20, true)), 0, /unknown request type 0x8020/],
    [withHeader(new Uint8Array(MAX_MESSAGE_BYTES + 1), (v) => v.setUint32(0, MAX_MESSAGE_BYTES + 1, true)), 0, /exceeds MAX_MESSAGE_BYTES/],
  ];
  for (const [bytes, fdCount, pattern] of cases) {
    const fds = Array.from({ length: fdCount }, (_, i) => (300 + i) as Fd);
    assert.throws(() => decodeRequest(bytes, fds), (e: unknown) => isStratumError(e, 'PROTOCOL_ERROR') && pattern.test(e.message));
  }
  // A bad UTF-8 name, an overlong string length, a bad boolean, a trailing byte.
  const name = encodeRequest('createSurface', 0, 1, { name: 'ab', width: 1, height: 1, format: 1, kind: 0, flags: 0, queueSize: 0 });
  const badUtf8 = name.bytes.slice();
  badUtf8[HEADER_BYTES + 2] = 0xff;
  assert.throws(() => decodeRequest(badUtf8), /createSurface.name: string is not valid UTF-8/);
  const longName = name.bytes.slice();
  new DataView(longName.buffer).setUint16(HEADER_BYTES, 200, true);
  assert.throws(() => decodeRequest(longName), /createSurface.name: string of 200 bytes is longer than 128/);
  const trailing = Uint8Array.from([...name.bytes, 0]);
  new DataView(trailing.buffer).setUint32(0, trailing.length, true);
  assert.throws(() => decodeRequest(trailing), /1 trailing bytes/);
  const queue = encodeRequest('queueBuffer', 4, 1, { slot: 0, transform: 0, scalingMode: 0, damage: [], dequeueNext: false });
  const badOptional = queue.bytes.slice();
  badOptional[HEADER_BYTES + 1] = 7;
  assert.throws(() => decodeRequest(badOptional), /queueBuffer.timestamp: optional presence byte is 7/);
  const nanPosition = encodeRequest('applyTransaction', 0, 1, { changes: [{ surface: 1, position: { x: 1, y: 2 } }] });
  const nanBytes = nanPosition.bytes.slice();
  new DataView(nanBytes.buffer).setFloat32(HEADER_BYTES + 2 + 4 + 1, Number.NaN, true);
  assert.throws(() => decodeRequest(nanBytes), /applyTransaction.changes\[\].position.x: f32 is not finite/);
  // Events carry serial 0; the error reply type decodes only on the client side.
  const event = encodeEvent('bufferReleased', 1, { slot: 1, frameNumber: 2 });
  assert.throws(() => decodeServerMessage(withHeader(event.bytes, (v) => v.setUint32(12, 4, true))), /events carry serial 0/);
  assert.throws(() => decodeRequest(encodeErrorReply(0, 1, 1, 'x').bytes), new RegExp(`unknown request type 0x${ERROR_REPLY_TYPE.toString(16)}`));
});

test('encoding a value that does not fit its field is a BAD_VALUE naming the field', () => {
  const base = { name: 'ok', width: 1, height: 1, format: 1, kind: 0, flags: 0, queueSize: 0 };
  assert.throws(() => encodeRequest('createSurface', 0, 1, { ...base, width: -1 }), (e: unknown) => e instanceof StratumError && e.code === 'BAD_VALUE' && /createSurface.width: expected an integer in 0..4294967295/.test(e.message));
  assert.throws(() => encodeRequest('createSurface', 0, 1, { ...base, name: 'x'.repeat(129) }), /createSurface.name: string of 129 UTF-8 bytes is longer than 128/);
  assert.throws(() => encodeRequest('createSurface', 0, 1, { ...base, kind: 256 }), /createSurface.kind/);
  assert.throws(() => encodeRequest('applyTransaction', 0, 1, { changes: [{ surface: 1, alpha: Number.NaN }] }), /applyTransaction.changes\[\].alpha: expected a finite number/);
  assert.throws(() => encodeRequest('applyTransaction', 0, 1, { changes: [{ surface: 1, alpha: 1e39 }] }), /finite number \(f32\)/);
  assert.throws(() => encodeRequest('queueBuffer', 1, 1, { slot: 0, transform: 0, scalingMode: 0, damage: Array.from({ length: 65 }, () => ({ left: 0, top: 0, right: 1, bottom: 1 })), dequeueNext: false }), /queueBuffer.damage: array of 65 is longer than 64/);
  const longMessage = encodeErrorReply(0, 1, 1, 'é'.repeat(2000));
  const decoded = decodeServerMessage(longMessage.bytes);
  assert.ok(decoded.kind === 'error' && decoded.message.endsWith('...') && new TextEncoder().encode(decoded.message).length <= 1024);
  assert.ok(MAX_FDS_PER_MESSAGE >= 1);
});

function withHeader(bytes: Uint8Array, edit: (view: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer));
  return copy;
}
