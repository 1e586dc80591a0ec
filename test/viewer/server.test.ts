import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decode } from 'fast-png';
import { rect } from '../../src/region/rect.js';
import type { DisplayInfo } from '../../src/viewer/backend.js';
import { MAX_UNACKED_FRAMES, ViewerServer } from '../../src/viewer/server.js';
import { MemoryBackend } from './memory-backend.js';
import { ViewerClient } from './ws-client.js';

const W = 64;
const H = 48;
let backend: MemoryBackend;
let viewer: ViewerServer;

before(async () => {
  backend = new MemoryBackend();
  backend.addDisplay({ width: W, height: H });
  backend.fill(0, rect(0, 0, W, H), [255, 0, 0, 255]);
  backend.present(0, [rect(0, 0, W, H)]);
  viewer = await ViewerServer.start(backend);
});

after(async () => {
  await viewer.close();
});

function wsUrl(token = viewer.token): string {
  return `ws://127.0.0.1:${viewer.port}/ws?token=${encodeURIComponent(token)}`;
}

/** token null: none at all. */
function httpUrl(path: string, token: string | null = viewer.token): string {
  return `http://127.0.0.1:${viewer.port}${path}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
}

test('the viewer listens on 127.0.0.1 and prints a URL carrying its token', () => {
  assert.equal(viewer.host, '127.0.0.1');
  assert.match(viewer.url, new RegExp(`^http://127\\.0\\.0\\.1:${viewer.port}/\\?token=[A-Za-z0-9_-]{32}$`));
});

test('every HTTP request without the right token is refused with 403', async () => {
  for (const path of ['/', '/viewer.js', '/capture/0.png', '/dump.json', '/nothing']) {
    assert.equal((await fetch(httpUrl(path, null))).status, 403, `${path} without token`);
    assert.equal((await fetch(httpUrl(path, 'x'.repeat(32)))).status, 403, `${path} with a wrong token`);
  }
  const page = await fetch(httpUrl('/'));
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>Stratum viewer<\/title>/);
  assert.equal((await fetch(httpUrl('/viewer.js'))).headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await fetch(httpUrl('/nothing'))).status, 404);
});

test('the WebSocket upgrade is refused without the right token', async () => {
  await assert.rejects(ViewerClient.open(wsUrl('wrong-token-wrong-token-wrong')), /403/);
  await assert.rejects(ViewerClient.open(`ws://127.0.0.1:${viewer.port}/ws`), /403/);
});

test('screenshot download is the PNG of the displayed frame', async () => {
  const response = await fetch(httpUrl('/capture/0.png'));
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-disposition') ?? '', /attachment; filename="stratum-display-0-/);
  const png = decode(new Uint8Array(await response.arrayBuffer()));
  assert.deepEqual([png.width, png.height], [W, H]);
  assert.deepEqual(Buffer.from(png.data as Uint8Array), Buffer.from(backend.latestFrame(0)?.rgba ?? []));
  assert.equal((await fetch(httpUrl('/capture/99.png'))).status, 404);
});

test('a page gets the displays, the dump, then one full frame, then only damage', async () => {
  const client = await ViewerClient.open(wsUrl());
  try {
    const hello = await client.nextJson('hello');
    assert.deepEqual((hello.displays as DisplayInfo[]).map((d) => [d.id, d.width, d.height]), [[0, W, H]]);
    const dump = await client.nextJson('dump');
    assert.equal((dump.dump as { text: string }).text, '1 display(s)');
    const full = await client.nextFrame();
    assert.deepEqual(full.rects.map((r) => r.rect), [rect(0, 0, W, H)]);
    assert.deepEqual([...(full.rects[0]?.rgba.subarray(0, 4) ?? [])], [255, 0, 0, 255]);
    client.ack(full);

    backend.fill(0, rect(10, 20, 14, 22), [0, 255, 0, 255]);
    backend.present(0, [rect(10, 20, 14, 22)]);
    const partial = await client.nextFrame();
    assert.deepEqual(partial.rects.map((r) => r.rect), [rect(10, 20, 14, 22)]);
    assert.equal(partial.rects[0]?.rgba.length, 4 * 2 * 4);
    assert.ok(partial.rects[0]?.rgba.every((v, i) => v === [0, 255, 0, 255][i % 4]));
    client.ack(partial);
  } finally {
    client.close();
  }
});

test('a page that stops acknowledging gets its damage merged, not queued', async () => {
  const client = await ViewerClient.open(wsUrl());
  try {
    const full = await client.nextFrame(); // unacked: 1
    backend.fill(0, rect(0, 0, 4, 4), [0, 0, 255, 255]);
    backend.present(0, [rect(0, 0, 4, 4)]);
    const second = await client.nextFrame(); // unacked: 2 = the limit
    assert.equal(MAX_UNACKED_FRAMES, 2);
    for (let i = 0; i < 20; i++) {
      const r = rect(i * 2, 30, i * 2 + 2, 32);
      backend.fill(0, r, [i, 100, 200, 255]);
      backend.present(0, [r]);
    }
    // Messages on one socket arrive in order: once the dump reply is here, nothing else was sent.
    client.send({ type: 'dump' });
    await client.nextJson('dump');
    assert.deepEqual(client.drain().filter((m) => m.kind === 'frame'), []);

    client.ack(full);
    client.ack(second);
    const merged = await client.nextFrame();
    assert.deepEqual(merged.rects.map((r) => r.rect), [rect(0, 30, 40, 32)]);
    assert.equal(merged.frameNumber, backend.latestFrame(0)?.frameNumber);
    const rgba = merged.rects[0]?.rgba;
    assert.ok(rgba);
    for (let i = 0; i < 20; i++) assert.deepEqual([...rgba.subarray(i * 8, i * 8 + 4)], [i, 100, 200, 255]);
    client.ack(merged);
  } finally {
    client.close();
  }
});

test('actions the backend lacks answer "not available yet", hotplug shows the new display', async () => {
  const client = await ViewerClient.open(wsUrl());
  try {
    const hello = await client.nextJson('hello');
    const caps = hello.capabilities as Record<string, unknown>;
    assert.equal(caps.connectExternalDisplay, true);
    assert.equal(caps.createVirtualDisplay, false);
    assert.equal(caps.recording, false);
    assert.equal(caps.recordingNote, 'not available yet: needs screenrecord (issue 8)');

    client.send({ type: 'action', id: 1, name: 'createVirtualDisplay', args: { width: 100, height: 100 } });
    const refused = await client.nextJson('result');
    assert.deepEqual([refused.id, refused.ok], [1, false]);
    assert.match(String(refused.error), /not available yet: needs virtual displays/);

    client.send({ type: 'action', id: 2, name: 'connectExternalDisplay', args: { width: 0, height: 100 } });
    assert.match(String((await client.nextJson('result')).error), /width must be an integer in 1\.\.8192, got 0/);

    client.send({ type: 'action', id: 3, name: 'connectExternalDisplay', args: { width: 32, height: 16 } });
    const displays = await client.nextJson('displays');
    assert.deepEqual((displays.displays as DisplayInfo[]).map((d) => d.kind), ['internal', 'external']);
    const external = (displays.displays as DisplayInfo[])[1];
    assert.ok(external);
    let frame = await client.nextFrame();
    while (frame.displayId !== external.id) {
      client.ack(frame);
      frame = await client.nextFrame();
    }
    assert.deepEqual(frame.rects.map((r) => r.rect), [rect(0, 0, 32, 16)]);
    assert.deepEqual([...(frame.rects[0]?.rgba.subarray(0, 4) ?? [])], [0, 0, 255, 255]);
    client.ack(frame);

    client.send({ type: 'action', id: 4, name: 'disconnectDisplay', args: { displayId: external.id } });
    const after = await client.nextJson('displays');
    assert.deepEqual((after.displays as DisplayInfo[]).map((d) => d.id), [0]);
    assert.equal(backend.listenerCount(external.id), 0);
  } finally {
    client.close();
  }
});

test('input in display space reaches the backend; out-of-range input is refused with a reason', async () => {
  const client = await ViewerClient.open(wsUrl());
  try {
    await client.nextJson('hello');
    const before = backend.inputs.length;
    client.send({ type: 'input', event: { kind: 'pointer', displayId: 0, action: 'down', x: 5, y: 6, pointerId: 1, buttons: 1 } });
    client.send({ type: 'input', event: { kind: 'pointer', displayId: 0, action: 'down', x: W, y: 0, pointerId: 1, buttons: 1 } });
    assert.match(String((await client.nextJson('error')).message), /pointer 64,0 is outside display 0 \(64x48\)/);
    client.send({ type: 'input', event: { kind: 'key', displayId: 7, action: 'down', key: 'a' } });
    assert.match(String((await client.nextJson('error')).message), /unknown display 7/);
    assert.deepEqual(backend.inputs.slice(before), [{ kind: 'pointer', displayId: 0, action: 'down', x: 5, y: 6, pointerId: 1, buttons: 1 }]);
  } finally {
    client.close();
  }
});

test('closing the viewer drops its frame listeners and refuses new pages', async () => {
  const own = new MemoryBackend();
  own.addDisplay({ width: 8, height: 8 });
  const second = await ViewerServer.start(own);
  assert.equal(own.listenerCount(0), 1);
  const port = second.port;
  await second.close();
  assert.equal(own.listenerCount(0), 0);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/?token=${second.token}`));
});
