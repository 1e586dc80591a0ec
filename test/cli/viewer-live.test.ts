// The viewer on the real stack (server, composer, flinger, window manager, demo processes) in a
// real browser: pixels equal the server's capture, hotplug and simulated displays show up as
// canvases, recording writes a file.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { ServerStack } from '../../src/cli/stack.js';
import { launchServer } from '../../src/cli/stack.js';
import { spawnDemo, stopDemo } from '../../src/demos/launcher.js';
import { ViewerServer } from '../../src/viewer/server.js';
import { requireTools } from '../support/optional-tool.js';

const skip = requireTools('chromium');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const dir = mkdtempSync(join(tmpdir(), 'stratum-viewer-live-'));
let stack: ServerStack;
let viewer: ViewerServer;
let browser: Browser;
let page: Page;
const demos: ChildProcess[] = [];

async function waitForLayers(names: readonly string[]): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const layers = stack.flinger.dump().layers;
    if (names.every((n) => layers.some((l) => l.name === n && l.buffer !== null))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`layers ${names.join(', ')} did not appear`);
}

before(async () => {
  if (skip) return;
  stack = await launchServer({ socketPath: join(dir, 'stratum-0'), displays: [{ width: 240, height: 480, refreshHz: 60 }], recordingsDir: dir });
  // Static content only, so the page and a capture can be compared at any moment.
  for (const name of ['wallpaper', 'navigation-bar']) demos.push(spawnDemo(name, { socketPath: stack.socketPath }));
  await waitForLayers(['wallpaper', 'navigation-bar']);
  viewer = await ViewerServer.start(stack.viewerBackend);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  page = await browser.newPage();
  await page.goto(viewer.url);
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await viewer?.close();
  await stack?.quiesce();
  await Promise.all(demos.map((d) => stopDemo(d)));
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function canvasPixels(displayId: number): Promise<Buffer> {
  const data: unknown = await page.evaluate(`(() => {
    const canvas = document.querySelector('canvas.display-canvas[data-display-id="${displayId}"]');
    return Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data);
  })()`);
  assert.ok(Array.isArray(data));
  return Buffer.from(data as number[]);
}

test('the page shows what the server composes: canvas pixels equal the capture', { skip }, async () => {
  const primary = stack.flinger.primaryDisplay.id;
  await page.waitForFunction(`(window.stratumViewer.displays.get(${primary})?.framesDrawn ?? 0) > 0`);
  // The demos drew once; wait until the page holds the latest presented frame.
  await page.waitForFunction(`window.stratumViewer.displays.get(${primary}).frameNumber >= ${stack.viewerBackend.latestFrame(primary)?.frameNumber ?? 0}`);
  const capture = await stack.flinger.capture(primary);
  assert.ok((await canvasPixels(primary)).equals(Buffer.from(capture.rgba)), 'canvas differs from capture');
  await page.waitForSelector('#layer-tree li .layer-name');
  assert.match((await page.textContent('#layer-tree')) ?? '', /wallpaper/);
});

test('connect display adds a canvas that mirrors the primary; disconnect removes it', { skip }, async () => {
  await page.fill('#display-size', '320x240@60');
  await page.click('#connect-external');
  await page.waitForFunction(`[...window.stratumViewer.displays.values()].some((v) => v.info.kind === 'external' && v.framesDrawn > 0)`);
  assert.equal(await page.locator('canvas.display-canvas').count(), 2);
  await page.click('.display button.disconnect:not([hidden])');
  await page.waitForFunction(`window.stratumViewer.displays.size === 1`);
});

test('a simulated display appears as its own canvas and goes away when removed', { skip }, async () => {
  await page.fill('#display-size', '160x120');
  await page.click('#create-simulated');
  await page.waitForFunction(`[...window.stratumViewer.displays.values()].some((v) => v.info.kind === 'simulated' && v.framesDrawn > 0)`, undefined, { timeout: 60_000 });
  await page.click('.display button.remove:not([hidden])');
  await page.waitForFunction(`window.stratumViewer.displays.size === 1`, undefined, { timeout: 30_000 });
});

test('start/stop recording writes a video file', { skip: skip || requireTools('ffmpeg') }, async () => {
  await page.click('#record-start');
  await page.waitForFunction(`window.stratumViewer.recording.active === true`);
  const file: unknown = await page.evaluate('window.stratumViewer.recording.file');
  assert.ok(typeof file === 'string' && file.startsWith(dir), `recording to ${String(file)}`);
  // The recorder is its own process: give it time to start and write frames before stopping it.
  for (let i = 0; i < 300 && !(existsSync(file) && statSync(file).size > 0); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await page.click('#record-stop');
  await page.waitForFunction(`window.stratumViewer.recording.active === false`, undefined, { timeout: 30_000 });
  assert.ok(existsSync(file) && statSync(file).size > 0, `${file} was written`);
});
