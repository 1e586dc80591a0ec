// Compile-time checks that the message types derived from the schema are exact (tsc runs in `npm test`),
// plus a run-time check that what type-checks also encodes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Fd } from '../../src/os/index.js';
import { decodeServerMessage, encodeEvent, encodeReply, encodeRequest } from '../../src/protocol/index.js';
import type { ReplyArgs, RequestArgs, ServerMessage } from '../../src/protocol/index.js';

test('message types derived from the schema accept exactly the schema', () => {
  const create: RequestArgs<'createSurface'> = { name: 'a', width: 1, height: 2, format: 1, kind: 0, flags: 0, queueSize: 0 };
  const withParent: RequestArgs<'createSurface'> = { ...create, parent: 3 };
  // @ts-expect-error a required field is missing
  const missing: RequestArgs<'createSurface'> = { name: 'a', width: 1, height: 2, format: 1, kind: 0, flags: 0 };
  // @ts-expect-error a string where a number belongs
  const wrongType: RequestArgs<'createSurface'> = { ...create, width: '1' };
  // @ts-expect-error the dequeue reply's buffer needs its fd
  const noFd: ReplyArgs<'dequeueBuffer'> = { slot: 0, bufferId: 1, needsReallocation: true, releaseAllBuffers: false, bufferAge: 0, buffer: { id: 1, width: 1, height: 1, format: 1, usage: 0, stride: 1, size: 1 } };
  // @ts-expect-error disconnect is one-way: it has no reply (and the run-time table agrees)
  assert.throws(() => encodeReply('disconnect', 0, 1, {}), /unknown message disconnect/);
  void [missing, wrongType, noFd];
  const change: RequestArgs<'applyTransaction'>['changes'][number] = { surface: 1, position: { x: 1, y: 2 }, flags: { flags: 1, mask: 1 } };
  for (const args of [create, withParent]) assert.ok(encodeRequest('createSurface', 0, 1, args).bytes.length > 16);
  assert.ok(encodeRequest('applyTransaction', 0, 2, { changes: [change] }).bytes.length > 16);
  const fd = 5 as Fd;
  const message: ServerMessage = decodeServerMessage(encodeReply('screencap', 0, 3, { buffer: { id: 1, width: 1, height: 1, format: 1, usage: 0, stride: 16, size: 4096, fd } }).bytes, [fd]);
  // The union narrows by kind and name to the exact reply type.
  if (message.kind === 'reply' && message.name === 'screencap') assert.equal(message.args.buffer.fd, fd);
  else assert.fail('expected the screencap reply');
  const event = decodeServerMessage(encodeEvent('bufferReleased', 4, { slot: 2, frameNumber: 9 }).bytes);
  assert.ok(event.kind === 'event' && event.name === 'bufferReleased' && event.args.slot === 2);
});
