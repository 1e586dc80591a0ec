// Sockets in worker threads: a worker that exits (even from inside a socket callback, with other
// sockets still open) must not take the process down. The worker drives the addon directly
// because worker threads do not inherit the TypeScript loader.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

const addonPath = createRequire(import.meta.url).resolve('../../build/Release/stratum.node');

const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData.addonPath);
const [a, b] = addon.socketPair();
// One poller stays open and polling when the worker exits.
const idle = new addon.FdPoller(a, () => {});
idle.setEvents(1);
const reader = new addon.FdPoller(b, () => {
  const arena = new Uint8Array(addon.maxMessageBytes);
  const meta = new Int32Array(3);
  addon.socketRecv(b, arena, meta, new Int32Array(addon.maxMessageFds), 1);
  parentPort.postMessage(Buffer.from(arena.subarray(0, meta[0])).toString());
  if (workerData.closeFirst) reader.close();
  process.exit(0);
});
reader.setEvents(1);
addon.socketSend(a, Buffer.from('hello from the worker'), []);
`;

for (const closeFirst of [false, true]) {
  test(`a worker exiting inside a poll callback ${closeFirst ? 'right after closing its poller' : 'with pollers open'} exits cleanly`, async () => {
    const worker = new Worker(workerCode, { eval: true, workerData: { addonPath, closeFirst } });
    const message = new Promise((resolve) => worker.once('message', resolve));
    const exitCode = await new Promise((resolve) => worker.once('exit', resolve));
    assert.equal(await message, 'hello from the worker');
    assert.equal(exitCode, 0);
  });
}
