// dequeueAhead: the SDK asks for the next buffer right behind each queue; frames stay correct.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect } from '../../src/client/index.js';
import { DirectConsumer, startServer } from '../../src/server/index.js';
import { tempSocketPath } from '../server/helpers.js';

test('dequeueAhead (the default) makes a frame one request, and every frame still arrives with its own content and buffers cross once per slot', async () => {
  const socket = tempSocketPath();
  const seen: number[] = [];
  const server = startServer({ socketPath: socket.path, compositor: new DirectConsumer({ holdLatest: true, onFrame: (_l, f) => seen.push(f.buffer.pixels32()[0] ?? -1) }), log: () => undefined });
  try {
    const client = await connect({ socketPath: socket.path });
    const sc = await client.createSurface({ name: 'ahead', width: 8, height: 8 });
    // On by default: after the first dequeue, each frame is one request (its queue).
    const first = await sc.surface.dequeueBuffer();
    first.buffer.pixels32()[0] = 1;
    await sc.surface.queueBuffer(first);
    const before = server.clients()[0]?.messagesIn ?? 0;
    for (let i = 2; i <= 50; i++) {
      const d = await sc.surface.dequeueBuffer();
      d.buffer.pixels32()[0] = i;
      await sc.surface.queueBuffer(d);
    }
    assert.equal((server.clients()[0]?.messagesIn ?? 0) - before, 49, 'one request per frame');
    await client.sync();
    assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i + 1));
    assert.ok(sc.surface.buffersReceived <= 3);
    assert.equal(server.clients()[0]?.fdsSent, sc.surface.buffersReceived);
    // A dequeue with other parameters gives the prefetched buffer back first.
    const big = await sc.surface.dequeueBuffer({ width: 16, height: 16 });
    assert.equal(big.buffer.width, 16);
    await sc.surface.cancelBuffer(big);
    // Changing options with a prefetched buffer outstanding works (it is cancelled first).
    await sc.surface.setOptions({ maxDequeued: 1, dequeueAhead: false });
    const d = await sc.surface.dequeueBuffer();
    await sc.surface.queueBuffer(d);
    client.close();
  } finally {
    server.close();
    socket.cleanup();
  }
});
