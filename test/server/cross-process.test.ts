// Two real processes: a producer child draws, the server (this process) reads the same bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DirectConsumer, startServer } from '../../src/server/index.js';
import type { ClientClosedEvent } from '../../src/server/index.js';
import { patternPixel } from './fixtures/pattern.js';
import { clientFixture, spawnFixture, tempSocketPath } from './helpers.js';

test('a producer process draws a pattern and the server-side consumer reads the same bytes; a few hundred bytes cross per frame', async () => {
  const socket = tempSocketPath();
  let framesChecked = 0;
  const mismatches: string[] = [];
  const consumer = new DirectConsumer({
    holdLatest: true,
    onFrame: (_layer, frame) => {
      const { buffer } = frame;
      const pixels = buffer.pixels32();
      for (let y = 0; y < buffer.height; y++) {
        for (let x = 0; x < buffer.width; x++) {
          const expected = patternPixel(frame.frameNumber, x, y);
          const actual = pixels[y * buffer.stride + x];
          if (actual !== expected && mismatches.length < 5) mismatches.push(`frame ${frame.frameNumber} (${x},${y}): ${actual?.toString(16)} != ${expected.toString(16)}`);
        }
      }
      framesChecked += 1;
    },
  });
  const server = startServer({ socketPath: socket.path, compositor: consumer, log: () => undefined });
  const closed = new Promise<ClientClosedEvent>((resolve) => server.onClientClosed(resolve));
  try {
    const frames = 60;
    const child = spawnFixture(clientFixture, ['pattern', socket.path, String(frames)]);
    const summary = JSON.parse(await child.waitFor(/buffersReceived/)) as { buffersReceived: number };
    const { stats } = await closed;
    assert.deepEqual(mismatches, []);
    assert.equal(framesChecked, frames);
    assert.equal(stats.fdsSent, summary.buffersReceived, 'every fd the server sent arrived, and no other');
    // Handshake, surface creation and the final sync are a few hundred bytes; the rest is per frame.
    const perFrame = (stats.bytesIn + stats.bytesOut) / frames;
    assert.ok(perFrame < 300, `${perFrame.toFixed(1)} bytes crossed the socket per frame`);
    assert.ok(perFrame > 50, `${perFrame.toFixed(1)} bytes per frame is too few to be counting the traffic`);
  } finally {
    server.close();
    socket.cleanup();
  }
});

test('in a 1000-frame run buffer fds cross once per slot', async () => {
  const socket = tempSocketPath();
  const server = startServer({ socketPath: socket.path, compositor: new DirectConsumer({ holdLatest: true }), log: () => undefined });
  const closed = new Promise<ClientClosedEvent>((resolve) => server.onClientClosed(resolve));
  try {
    const child = spawnFixture(clientFixture, ['pattern', socket.path, '1000']);
    const summary = JSON.parse(await child.waitFor(/buffersReceived/)) as { buffersReceived: number };
    const { stats } = await closed;
    // Holding the newest frame makes the producer cycle through more than one slot.
    assert.ok(summary.buffersReceived >= 2 && summary.buffersReceived <= 3, `${summary.buffersReceived} buffers received for a 3-slot queue`);
    assert.equal(stats.fdsSent, summary.buffersReceived);
    assert.ok(stats.messagesIn >= 1000, `the frames really crossed the socket (${stats.messagesIn} messages in)`);
  } finally {
    server.close();
    socket.cleanup();
  }
});
