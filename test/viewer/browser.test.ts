// The viewer page in a real browser (Debian's chromium through playwright-core).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decode } from 'fast-png';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { rect } from '../../src/region/rect.js';
import { ViewerServer } from '../../src/viewer/server.js';
import { requireTools } from '../support/optional-tool.js';
import { MemoryBackend } from './memory-backend.js';

const skip = requireTools('chromium');
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const W = 120;
const H = 90;

let backend: MemoryBackend;
let viewer: ViewerServer;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  backend = new MemoryBackend();
  backend.addDisplay({ width: W, height: H });
  for (let y = 0; y < H; y += 10) for (let x = 0; x < W; x += 10) backend.fill(0, rect(x, y, x + 10, y + 10), [x * 2, y * 2, (x + y) % 256, 255]);
  backend.present(0, [rect(0, 0, W, H)]);
  viewer = await ViewerServer.start(backend);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage();
  await page.goto(viewer.url);
});

after(async () => {
  if (skip) return;
  await browser.close();
  await viewer.close();
});

// Page-side code is passed as strings: this project type-checks against Node's globals, not the DOM.
async function waitForFrame(displayId: number, frameNumber: number): Promise<void> {
  await page.waitForFunction(`(window.stratumViewer.displays.get(${displayId})?.frameNumber ?? -1) >= ${frameNumber}`);
}

async function canvasPixels(displayId: number): Promise<Buffer> {
  const data: unknown = await page.evaluate(`(() => {
    const canvas = document.querySelector('canvas.display-canvas[data-display-id="${displayId}"]');
    return Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data);
  })()`);
  assert.ok(Array.isArray(data));
  return Buffer.from(data as number[]);
}

async function capturePixels(displayId: number): Promise<Buffer> {
  const response = await fetch(`http://127.0.0.1:${viewer.port}/capture/${displayId}.png?token=${viewer.token}`);
  return Buffer.from(decode(new Uint8Array(await response.arrayBuffer())).data as Uint8Array);
}

test('the page shows the display: canvas pixels equal the server capture, frame after frame', { skip }, async () => {
  await waitForFrame(0, 1);
  assert.ok((await canvasPixels(0)).equals(await capturePixels(0)), 'first frame differs from capture');

  backend.fill(0, rect(30, 40, 50, 45), [255, 255, 255, 255]);
  const frame = backend.present(0, [rect(30, 40, 50, 45)]);
  await waitForFrame(0, frame.frameNumber);
  const shown = await canvasPixels(0);
  assert.ok(shown.equals(await capturePixels(0)), 'damaged frame differs from capture');
  assert.deepEqual([...shown.subarray((41 * W + 35) * 4, (41 * W + 35) * 4 + 4)], [255, 255, 255, 255]);
  assert.match((await page.textContent('.display .stats')) ?? '', /fps · frame 2/);
});

test('the side panel shows the layer tree with composition types', { skip }, async () => {
  await page.waitForSelector('#layer-tree li[data-layer-id="1"]');
  assert.equal(await page.textContent('#layer-tree li[data-layer-id="1"] .ctype'), 'CLIENT');
  assert.equal(await page.isDisabled('#create-virtual'), true);
  assert.match((await page.textContent('#display-note')) ?? '', /not available yet: needs .*virtual displays \(issue 7\)/);
  assert.match((await page.textContent('#record-note')) ?? '', /not available yet: needs screenrecord/);
});

test('"connect external display" adds a canvas, "disconnect" removes it', { skip }, async () => {
  await page.fill('#display-size', '64x32@30');
  await page.click('#connect-external');
  await page.waitForSelector('canvas.display-canvas[data-display-id="1"]');
  await waitForFrame(1, 1);
  assert.equal(await page.locator('canvas.display-canvas').count(), 2);
  assert.ok((await canvasPixels(1)).equals(await capturePixels(1)));
  await page.click('.display[data-display-id="1"] button.disconnect');
  await page.waitForSelector('canvas.display-canvas[data-display-id="1"]', { state: 'detached' });
  assert.equal(await page.locator('canvas.display-canvas').count(), 1);
});

test('a click on the canvas arrives as a pointer event in display coordinates', { skip }, async () => {
  const box = await page.locator('.display[data-display-id="0"] canvas.overlay').boundingBox();
  assert.ok(box);
  const before = backend.inputs.length;
  // The point at display pixel (60, 30), whatever the canvas' on-screen scale.
  await page.mouse.click(box.x + ((60 + 0.5) * box.width) / W, box.y + ((30 + 0.5) * box.height) / H);
  await page.keyboard.press('a');
  await backend.waitForInputs(before + 4);
  const events = backend.inputs.slice(before);
  assert.deepEqual(
    events.map((e) => (e.kind === 'pointer' ? `${e.action} ${e.x},${e.y}` : `key ${e.action} ${e.key}`)),
    ['down 60,30', 'up 60,30', 'key down a', 'key up a'],
  );
});

test('debug overlays: surface updates flash the damaged rect, tint colours layers by composition type', { skip }, async () => {
  await page.check('#show-updates');
  backend.fill(0, rect(5, 6, 25, 16), [0, 0, 0, 255]);
  const frame = backend.present(0, [rect(5, 6, 25, 16)]);
  await waitForFrame(0, frame.frameNumber);
  const flashed: unknown = await page.evaluate('window.stratumViewer.displays.get(0).lastFlash');
  assert.deepEqual(flashed, [5, 6, 20, 10]);
  await page.uncheck('#show-updates');

  await page.check('#tint-composition');
  // The memory backend's one output layer covers the display and is CLIENT: red tint everywhere.
  await page.waitForFunction(`(() => {
    const overlay = document.querySelector('.display[data-display-id="0"] canvas.overlay');
    const [r, g, b, a] = overlay.getContext('2d').getImageData(60, 45, 1, 1).data;
    return a > 0 && r > g && r > b;
  })()`);
  await page.uncheck('#tint-composition');
  await page.waitForFunction(`document.querySelector('.display[data-display-id="0"] canvas.overlay').getContext('2d').getImageData(60, 45, 1, 1).data[3] === 0`);
});

test('a wrong token gets a 403 page and no stream', { skip }, async () => {
  const other = await browser.newPage();
  try {
    const response = await other.goto(viewer.url.replace(/token=.*/, 'token=not-the-token-not-the-token-1234'));
    assert.equal(response?.status(), 403);
    assert.match(await other.content(), /forbidden/);
  } finally {
    await other.close();
  }
});
