// The demo apps against a real in-process flinger: what they put on screen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GLYPH_HEIGHT } from '../../src/demos/font.js';
import { animation, clockText, navigationBar, phoneLayout, statusBar, video, wallpaper } from '../../src/demos/apps.js';
import { drawText } from '../../src/demos/paint.js';
import { FlingerDemoHost } from './flinger-host.js';

const W = 216;
const H = 480;

function pixelAt(rgba: Uint8Array, x: number, y: number): number[] {
  const i = (y * W + x) * 4;
  return [...rgba.subarray(i, i + 4)];
}

test('the phone layout puts bars at the edges and the video inside the content', () => {
  const l = phoneLayout(1080, 2400);
  assert.deepEqual([l.statusBar.bottom, l.navigationBar.top, l.content.top, l.content.bottom], [96, 2256, 96, 2256]);
  assert.deepEqual(l.app, { left: 54, top: 150, right: 1026, bottom: 2202 }, 'the app leaves the wallpaper visible around it');
  assert.ok(l.video.left >= 0 && l.video.right <= 1080 && l.video.top >= 96 && l.video.bottom <= 2256);
  assert.equal((l.video.right - l.video.left) % 2, 0);
});

test('wallpaper, bars and clock: the status bar shows the time in the bitmap font', async () => {
  const host = new FlingerDemoHost(W, H);
  const stop = new AbortController();
  const fixed = new Date(2026, 10, 21, 13, 37, 42);
  const apps = [wallpaper(host, stop.signal), statusBar(host, stop.signal, () => fixed), navigationBar(host, stop.signal)];
  try {
    for (let i = 0; i < 3; i++) await host.tick();
    const capture = await host.flinger.capture();
    const layout = phoneLayout(W, H);
    // The clock, drawn the same way into a scratch target, matches the screen pixel for pixel.
    const barHeight = layout.statusBar.bottom;
    const scale = Math.max(1, Math.floor((barHeight * 0.6) / GLYPH_HEIGHT));
    const scratch = { pixels: new Uint32Array(W * barHeight), width: W, height: barHeight, stride: W };
    const left = Math.round(W * 0.04);
    const top = Math.round((barHeight - GLYPH_HEIGHT * scale) / 2);
    const bounds = drawText(scratch, clockText(fixed), left, top, scale, 1);
    assert.equal(clockText(fixed), '13:37:42');
    const text = [235, 238, 245, 255];
    const bar = [12, 14, 20, 255];
    for (let y = bounds.top; y < bounds.bottom; y++) {
      for (let x = bounds.left; x < bounds.right; x++) {
        assert.deepEqual(pixelAt(capture.rgba, x, y), scratch.pixels[y * W + x] ? text : bar, `clock pixel ${x},${y}`);
      }
    }
    // Wallpaper shows between the bars (the gradient's top-left color), bars are dark.
    const [r, g, b] = pixelAt(capture.rgba, 0, layout.statusBar.bottom + 2);
    assert.ok(b !== undefined && r !== undefined && g !== undefined && b > r && b > g, `wallpaper is blue at the top: ${r},${g},${b}`);
    assert.deepEqual(pixelAt(capture.rgba, 1, H - 1), bar);
    const names = host.flinger.dump().layers.map((l) => l.name);
    assert.deepEqual(names, ['wallpaper', 'status-bar', 'navigation-bar']);
  } finally {
    stop.abort();
    await Promise.all(apps);
    host.dispose();
  }
});

test('the animation moves a ball one step per frame, damaging only around it, leaving no trail', async () => {
  const host = new FlingerDemoHost(W, H);
  const stop = new AbortController();
  const app = animation(host, stop.signal, 12);
  try {
    const ballColor = [255, 170, 40, 255];
    const areas: number[] = [];
    let previous: string | undefined;
    for (let i = 0; i < 12; i++) {
      await host.animationFrame();
      const display = host.flinger.dump().displays[0];
      const damage = display?.lastFrame?.damage ?? [];
      if (i >= 2) areas.push(damage.reduce((n, [left, top, right, bottom]) => n + (right - left) * (bottom - top), 0));
      const capture = await host.flinger.capture();
      let count = 0;
      let sumX = 0;
      for (let p = 0; p < W * H; p++) {
        if (capture.rgba[p * 4] === ballColor[0] && capture.rgba[p * 4 + 1] === ballColor[1] && capture.rgba[p * 4 + 2] === ballColor[2]) {
          count++;
          sumX += p % W;
        }
      }
      if (i >= 2) {
        const app = phoneLayout(W, H).app;
        const radius = Math.max(4, Math.round((app.right - app.left) * 0.055));
        // One ball's worth of pixels: a partial redraw that missed an old place would leave two.
        assert.ok(Math.abs(count - Math.PI * radius * radius) < 2 * Math.PI * radius, `frame ${i}: ${count} ball pixels`);
        const position = (sumX / count).toFixed(1);
        assert.notEqual(position, previous, 'the ball moved');
        previous = position;
      }
    }
    assert.ok(Math.max(...areas) < (W * H) / 10, `damage per frame ${areas.join(',')} should be a small part of ${W * H}`);
  } finally {
    stop.abort();
    await app;
    host.dispose();
  }
});

test('the video app shows NV12 color bars, composed to RGB', async () => {
  const host = new FlingerDemoHost(W, H);
  const stop = new AbortController();
  const app = video(host, stop.signal);
  try {
    for (let i = 0; i < 4; i++) await host.animationFrame();
    const r = phoneLayout(W, H).video;
    const capture = await host.flinger.capture();
    const [red, green, blue] = pixelAt(capture.rgba, r.left + 1, r.bottom - 2);
    // The first bar is 75% grey: equal channels near 192.
    for (const c of [red, green, blue]) assert.ok(c !== undefined && Math.abs(c - 192) <= 6, `grey bar ${red},${green},${blue}`);
    const layer = host.flinger.dump().layers.find((l) => l.name === 'video');
    assert.equal(layer?.buffer?.format, 'NV12');
  } finally {
    stop.abort();
    await app;
    host.dispose();
  }
});

test('a touch in the animation puts the ball where it landed; a key changes its colour', async () => {
  const host = new FlingerDemoHost(W, H);
  const stop = new AbortController();
  const app = animation(host, stop.signal);
  try {
    await host.animationFrame();
    const area = phoneLayout(W, H).app;
    const touch = host.inputListeners.get('animation');
    assert.ok(touch, 'the animation listens for input');
    touch({ kind: 'touch', action: 'down', x: 100, y: 200, key: '' });
    await host.animationFrame();
    await host.animationFrame();
    const capture = await host.flinger.capture();
    let count = 0;
    let sumX = 0;
    let sumY = 0;
    for (let p = 0; p < W * H; p++) {
      if (capture.rgba[p * 4] === 255 && capture.rgba[p * 4 + 1] === 170) {
        count++;
        sumX += p % W;
        sumY += Math.floor(p / W);
      }
    }
    assert.ok(count > 0);
    // Within a couple of frames' travel of the touch point (surface pixels + the app's offset).
    assert.ok(Math.abs(sumX / count - (area.left + 100)) < 12 && Math.abs(sumY / count - (area.top + 200)) < 12, `ball at ${sumX / count},${sumY / count}`);
    touch({ kind: 'key', action: 'down', x: 0, y: 0, key: 'c' });
    await host.animationFrame();
    await host.animationFrame();
    const after = await host.flinger.capture();
    let orange = 0;
    let blue = 0;
    for (let p = 0; p < W * H; p++) {
      if (after.rgba[p * 4] === 255 && after.rgba[p * 4 + 1] === 170) orange++;
      if (after.rgba[p * 4] === 80 && after.rgba[p * 4 + 1] === 200 && after.rgba[p * 4 + 2] === 255) blue++;
    }
    assert.equal(orange, 0);
    assert.ok(blue > 0, 'the ball changed colour');
  } finally {
    stop.abort();
    await app;
    host.dispose();
  }
});
