// The render pool's threads belong to the environment that started them: a worker thread that
// renders and then exits (mid-compose or after) must exit cleanly, and a process whose pool is
// spinning or parked must end when its work does. Workers drive the addon directly because they
// do not inherit the TypeScript loader.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { OP_HEADER_INTS, OpKind } from '../../src/render/plan.js';

const addonPath = createRequire(import.meta.url).resolve('../../build/Release/stratum.node');

// A full-target FILL of a 1024x1024 target in 8 bands, on a pool of 2 threads that spin 5 ms.
const renderCode = `
const addon = require(ADDON);
const W = 1024, H = 1024;
function fill(color) {
  const target = new ArrayBuffer(W * H * 4);
  const ops = new Int32Array(${OP_HEADER_INTS} + 4);
  ops[0] = ${OpKind.FILL}; ops[1] = 1; ops[2] = color;
  ops.set([0, 0, W, H], ${OP_HEADER_INTS});
  return { target, done: addon.renderExecute(target, 0, W * 4, W, H, [], ops, 8, 2, 5000) };
}
`;

function workerSource(mode: 'await' | 'exit-mid-compose' | 'busy'): string {
  return `const { parentPort, workerData } = require('node:worker_threads');
${renderCode.replace('ADDON', 'workerData.addonPath')}
(async () => {
  if (${JSON.stringify(mode)} === 'exit-mid-compose') {
    fill(0x01020304);
    process.exit(0);
  }
  if (${JSON.stringify(mode)} === 'busy') {
    for (let i = 0; i < 40; i++) fill(i);
    parentPort.postMessage('queued');
    return;
  }
  const { target, done } = fill(0x11223344);
  await done;
  const words = new Uint32Array(target);
  parentPort.postMessage(words.every((w) => w === 0x11223344) ? 'filled' : 'wrong pixels');
})();`;
}

for (const mode of ['await', 'exit-mid-compose', 'busy'] as const) {
  test(`a worker thread that renders (${mode}) exits cleanly and its pool goes with it`, async () => {
    const worker = new Worker(workerSource(mode), { eval: true, workerData: { addonPath } });
    const messages: unknown[] = [];
    worker.on('message', (m: unknown) => {
      messages.push(m);
      // A worker with composes still queued is terminated from outside.
      if (m === 'queued') void worker.terminate();
    });
    const exitCode = await new Promise((resolve) => worker.once('exit', resolve));
    if (mode === 'await') {
      assert.deepEqual(messages, ['filled']);
      assert.equal(exitCode, 0);
    } else if (mode === 'busy') {
      assert.deepEqual(messages, ['queued']);
      assert.equal(exitCode, 1, 'terminate() ends a worker with code 1');
    } else {
      assert.equal(exitCode, 0);
    }
  });
}

async function runChild(code: string): Promise<{ out: string; exitCode: unknown }> {
  const child = spawn(process.execPath, ['-e', `${renderCode.replace('ADDON', JSON.stringify(addonPath))}\n${code}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exitCode = await new Promise((resolve) => child.once('exit', resolve));
  return { out, exitCode };
}

test('a process ends when its composes are done, with the pool spinning or parked', async () => {
  // The pending compose keeps the process alive until it resolves; then nothing does.
  assert.deepEqual(await runChild(`fill(7).done.then(() => { process.stdout.write('done'); });`), { out: 'done', exitCode: 0 });
});

test('process.exit() while render threads are mid-compose exits with its code', async () => {
  assert.deepEqual(await runChild(`for (let i = 0; i < 8; i++) fill(i); process.stdout.write('queued'); process.exit(3);`), { out: 'queued', exitCode: 3 });
});
