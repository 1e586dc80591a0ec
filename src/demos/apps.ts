// The demo apps, written against DemoHost only. Layout for a phone-like 1080x2400 display: status
// bar on top, navigation bar at the bottom, a wallpaper under everything, an animated app in
// between and a video overlay. Other display sizes scale the bars and keep the layout.
import type { Rect } from '../region/rect.js';
import { boundsOfRects, intersectRect, isEmptyRect, rect } from '../region/rect.js';
import { GLYPH_HEIGHT, textWidth } from './font.js';
import type { DemoBuffer, DemoFormat, DemoHost, DemoSurface, DemoSurfaceSpec } from './host.js';
import { redrawRegion } from './host.js';
import type { PixelTarget } from './paint.js';

/** An opaque demo surface (a window where the host has a window manager) covering `area` of the display. */
function openSurface(host: DemoHost, name: string, window: DemoSurfaceSpec['window'], area: Rect, z: number, format: DemoFormat = 'RGBA_8888'): Promise<DemoSurface> {
  return host.createSurface({ name, window, width: area.right - area.left, height: area.bottom - area.top, format, x: area.left, y: area.top, z, opaque: true });
}
import { drawNv12Bars, drawText, fillCircle, fillGradient, fillLeftTriangle, fillRect, pack, strokeRect } from './paint.js';

export interface PhoneLayout {
  readonly width: number;
  readonly height: number;
  readonly statusBar: Rect;
  readonly navigationBar: Rect;
  readonly content: Rect;
  /** The animated app: the content area inset by a margin, so the wallpaper shows around it. */
  readonly app: Rect;
  readonly video: Rect;
}

/** Bars are 4% and 6% of the height (96 and 144 px on 1080x2400). */
export function phoneLayout(width: number, height: number): PhoneLayout {
  const status = Math.max(8, Math.round(height * 0.04));
  const nav = Math.max(8, Math.round(height * 0.06));
  const videoWidth = Math.max(2, Math.round((width * 0.6) / 2) * 2);
  const videoHeight = Math.max(2, Math.round((videoWidth * 9) / 16 / 2) * 2);
  const videoLeft = Math.round((width - videoWidth) / 2);
  const videoTop = Math.max(status, height - nav - videoHeight - Math.round(height * 0.05));
  const margin = Math.round(width * 0.05);
  return {
    width,
    height,
    statusBar: rect(0, 0, width, status),
    navigationBar: rect(0, height - nav, width, height),
    content: rect(0, status, width, height - nav),
    app: rect(margin, status + margin, width - margin, height - nav - margin),
    video: rect(videoLeft, videoTop, videoLeft + videoWidth, videoTop + videoHeight),
  };
}

function rgbaTarget(buffer: DemoBuffer): PixelTarget {
  const plane = buffer.planes[0];
  if (!plane) throw new Error('buffer has no plane');
  return {
    pixels: new Uint32Array(buffer.bytes.buffer, buffer.bytes.byteOffset + plane.offset, (plane.bytesPerRow / 4) * buffer.height),
    width: buffer.width,
    height: buffer.height,
    stride: plane.bytesPerRow / 4,
  };
}

function full(surface: { width: number; height: number }): Rect {
  return rect(0, 0, surface.width, surface.height);
}

const abortPromises = new WeakMap<AbortSignal, Promise<void>>();

/** Resolves when `signal` aborts; one listener per signal however often it is asked. */
function aborted(signal: AbortSignal): Promise<void> {
  let promise = abortPromises.get(signal);
  if (!promise) {
    promise = new Promise((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    abortPromises.set(signal, promise);
  }
  return promise;
}

/** The next frame time, or undefined once the app is told to stop. */
async function nextFrameUnlessAborted(host: DemoHost, signal: AbortSignal): Promise<number | undefined> {
  if (signal.aborted) return undefined;
  const time = await Promise.race([host.nextFrame(), aborted(signal)]);
  return signal.aborted || time === undefined ? undefined : time;
}

/** A full-screen gradient, drawn once. */
export async function wallpaper(host: DemoHost, signal: AbortSignal): Promise<void> {
  const surface = await openSurface(host, 'wallpaper', { type: 'wallpaper', focusable: false, touchable: false }, rect(0, 0, host.displayWidth, host.displayHeight), 0);
  await surface.render((buffer) => {
    fillGradient(rgbaTarget(buffer), [38, 70, 140], [150, 60, 110]);
    return [full(surface)];
  });
  await aborted(signal);
}

const BAR_COLOR = pack(12, 14, 20);
const BAR_TEXT = pack(235, 238, 245);

export function clockText(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** The status bar: a clock that changes every second (only its digits are damaged). */
export async function statusBar(host: DemoHost, signal: AbortSignal, now: () => Date = () => new Date()): Promise<void> {
  const layout = phoneLayout(host.displayWidth, host.displayHeight);
  const bar = layout.statusBar;
  const surface = await openSurface(host, 'status-bar', { type: 'status-bar', focusable: false, touchable: false }, bar, 20);
  const { width, height } = surface;
  const scale = Math.max(1, Math.floor((height * 0.6) / GLYPH_HEIGHT));
  const clockWidth = textWidth('00:00:00', scale);
  const clockRect = rect(Math.round(width * 0.04), Math.round((height - GLYPH_HEIGHT * scale) / 2), 0, 0);
  const clockArea = rect(clockRect.left, clockRect.top, clockRect.left + clockWidth, clockRect.top + GLYPH_HEIGHT * scale);
  const draw = (time: string, buffer: DemoBuffer): readonly Rect[] => {
    const target = rgbaTarget(buffer);
    if (buffer.age === 0) {
      fillRect(target, full(surface), BAR_COLOR);
      const label = 'STRATUM';
      drawText(target, label, width - Math.round(width * 0.04) - textWidth(label, scale), clockArea.top, scale, BAR_TEXT);
      // A battery outline, like a phone.
      const batteryHeight = GLYPH_HEIGHT * scale;
      const batteryRight = width - Math.round(width * 0.04) - textWidth(label, scale) - scale * 6;
      strokeRect(target, rect(batteryRight - batteryHeight * 2, clockArea.top, batteryRight, clockArea.bottom), Math.max(1, scale >> 1), BAR_TEXT);
      fillRect(target, rect(batteryRight - batteryHeight * 2 + scale, clockArea.top + scale, batteryRight - batteryHeight, clockArea.bottom - scale), pack(90, 200, 110));
    }
    fillRect(target, clockArea, BAR_COLOR);
    drawText(target, time, clockArea.left, clockArea.top, scale, BAR_TEXT);
    return buffer.age === 0 ? [full(surface)] : [clockArea];
  };
  while (!signal.aborted) {
    const time = clockText(now());
    await surface.render((buffer) => draw(time, buffer));
    // Sleep to the next whole second: a timer, not a loop.
    const wait = 1000 - (Date.now() % 1000) + 5;
    await Promise.race([new Promise((resolve) => setTimeout(resolve, wait)), aborted(signal)]);
  }
}

/** The navigation bar: back, home and recents, drawn once. */
export async function navigationBar(host: DemoHost, signal: AbortSignal): Promise<void> {
  const layout = phoneLayout(host.displayWidth, host.displayHeight);
  const bar = layout.navigationBar;
  const surface = await openSurface(host, 'navigation-bar', { type: 'navigation-bar', focusable: false, touchable: false }, bar, 20);
  const { width, height } = surface;
  await surface.render((buffer) => {
    const target = rgbaTarget(buffer);
    fillRect(target, full(surface), BAR_COLOR);
    const size = Math.round(height * 0.36);
    const cy = height / 2;
    fillLeftTriangle(target, width * 0.25, cy, size, BAR_TEXT);
    fillCircle(target, width * 0.5, cy, size / 2, BAR_TEXT);
    fillCircle(target, width * 0.5, cy, size / 2 - Math.max(2, size / 8), BAR_COLOR);
    const half = Math.round(size / 2);
    strokeRect(target, rect(Math.round(width * 0.75) - half, Math.round(cy) - half, Math.round(width * 0.75) + half, Math.round(cy) + half), Math.max(2, Math.round(size / 8)), BAR_TEXT);
    return [full(surface)];
  });
  await aborted(signal);
}

const APP_BACKGROUND = pack(24, 26, 34);
const GRID = pack(44, 48, 60);
const BALL = pack(255, 170, 40);
const BALL_COLORS: readonly number[] = [BALL, pack(80, 200, 255), pack(120, 230, 120), pack(240, 90, 160)];
const GRID_STEP = 60;

/** Paints the app's background (a grid) inside `area` only. */
function paintAppBackground(target: PixelTarget, area: Rect): void {
  const r = intersectRect(area, rect(0, 0, target.width, target.height));
  if (isEmptyRect(r)) return;
  fillRect(target, r, APP_BACKGROUND);
  for (let x = Math.ceil(r.left / GRID_STEP) * GRID_STEP; x < r.right; x += GRID_STEP) fillRect(target, rect(x, r.top, x + 2, r.bottom), GRID);
  for (let y = Math.ceil(r.top / GRID_STEP) * GRID_STEP; y < r.bottom; y += GRID_STEP) fillRect(target, rect(r.left, y, r.right, y + 2), GRID);
}

export interface BallState {
  x: number;
  y: number;
  vx: number;
  vy: number;
}

/** Moves the ball `dt` ms inside width x height, bouncing off the edges. */
export function stepBall(ball: BallState, radius: number, width: number, height: number, dt: number): void {
  ball.x += (ball.vx * dt) / 1000;
  ball.y += (ball.vy * dt) / 1000;
  if (ball.x < radius) [ball.x, ball.vx] = [2 * radius - ball.x, Math.abs(ball.vx)];
  if (ball.x > width - radius) [ball.x, ball.vx] = [2 * (width - radius) - ball.x, -Math.abs(ball.vx)];
  if (ball.y < radius) [ball.y, ball.vy] = [2 * radius - ball.y, Math.abs(ball.vy)];
  if (ball.y > height - radius) [ball.y, ball.vy] = [2 * (height - radius) - ball.y, -Math.abs(ball.vy)];
}

/**
 * A bouncing ball and a frame counter, one frame per compositor frame. Each buffer is brought up to
 * date by redrawing only what changed since it was last shown (its age), and only the ball's old
 * and new places and the counter are reported as damage.
 */
export async function animation(host: DemoHost, signal: AbortSignal, frames = Infinity): Promise<void> {
  const layout = phoneLayout(host.displayWidth, host.displayHeight);
  const area = layout.app;
  const surface: DemoSurface = await openSurface(host, 'animation', { type: 'application', focusable: true, touchable: true }, area, 10);
  const { width, height } = surface;
  const radius = Math.max(4, Math.round(width * 0.055));
  const scale = Math.max(1, Math.round(width / 180));
  const counterArea = rect(scale * 4, scale * 4, scale * 4 + textWidth('FRAME 000000', scale), scale * 4 + GLYPH_HEIGHT * scale);
  const ball: BallState = { x: width / 3, y: height / 3, vx: width * 0.45, vy: height * 0.31 };
  let ballColor = 0;
  // A touch or click puts the ball there; any key changes its colour (input through the window manager).
  surface.onInput((event) => {
    if ((event.kind === 'touch' || event.kind === 'pointer') && event.action === 'down') {
      ball.x = Math.min(width - radius, Math.max(radius, event.x));
      ball.y = Math.min(height - radius, Math.max(radius, event.y));
    } else if (event.kind === 'key' && event.action === 'down') {
      ballColor = (ballColor + 1) % BALL_COLORS.length;
    }
  });
  const history: Rect[][] = [];
  let previousBall: Rect | undefined;
  let lastTime: number | undefined;
  let frame = 0;
  while (!signal.aborted && frame < frames) {
    const time = await nextFrameUnlessAborted(host, signal);
    if (time === undefined) break;
    if (lastTime !== undefined) stepBall(ball, radius, width, height, Math.min(100, time - lastTime));
    lastTime = time;
    frame++;
    const ballRect = rect(Math.floor(ball.x - radius), Math.floor(ball.y - radius), Math.ceil(ball.x + radius), Math.ceil(ball.y + radius));
    const damage = [previousBall ? boundsOfRects(previousBall, ballRect) : ballRect, counterArea];
    await surface.render((buffer) => {
      const target = rgbaTarget(buffer);
      for (const r of redrawRegion(buffer.age, history, damage, full(surface))) {
        paintAppBackground(target, r);
      }
      fillCircle(target, ball.x, ball.y, radius, BALL_COLORS[ballColor] ?? BALL);
      fillRect(target, counterArea, APP_BACKGROUND);
      drawText(target, `FRAME ${String(frame % 1_000_000).padStart(6, '0')}`, counterArea.left, counterArea.top, scale, BAR_TEXT);
      return buffer.age === 0 && history.length === 0 ? [full(surface)] : damage;
    });
    history.push(damage);
    if (history.length > 4) history.shift();
    previousBall = ballRect;
  }
}

/** NV12 video-like frames (moving color bars) at 30 fps, paced by the compositor's frames. */
export async function video(host: DemoHost, signal: AbortSignal, frames = Infinity): Promise<void> {
  const layout = phoneLayout(host.displayWidth, host.displayHeight);
  const r = layout.video;
  // A dialog-type window: above the application, never focused or touched.
  const surface = await openSurface(host, 'video', { type: 'dialog', focusable: false, touchable: false }, r, 15, 'NV12');
  const framePeriod = 1000 / 30;
  let start: number | undefined;
  let shown = -1;
  while (!signal.aborted && shown + 1 < frames) {
    const time = await nextFrameUnlessAborted(host, signal);
    if (time === undefined) break;
    start ??= time;
    const videoFrame = Math.floor((time - start) / framePeriod);
    if (videoFrame === shown) continue;
    shown = videoFrame;
    await surface.render((buffer) => {
      const [luma, chroma] = buffer.planes;
      if (!luma || !chroma) throw new Error('NV12 buffer without two planes');
      drawNv12Bars({ bytes: buffer.bytes, width: buffer.width, height: buffer.height, luma, chroma }, videoFrame);
      return [full(surface)];
    });
  }
}

export type DemoApp = (host: DemoHost, signal: AbortSignal) => Promise<void>;

export const DEMO_APPS: Readonly<Record<string, DemoApp>> = {
  wallpaper,
  'status-bar': statusBar,
  'navigation-bar': navigationBar,
  animation,
  video,
};
