// The window policy: where each type sits in z, which types take focus and touches, what the bars
// take from the display, and how a request becomes a frame. Pure functions of their inputs.
import { StratumError } from '../os/status.js';
import type { Rect } from '../region/rect.js';
import type { Insets, WindowType } from './types.js';
import { WINDOW_TYPES, WindowFlag } from './types.js';

/** z of a type's lowest window; windows of one type use rank * Z_PER_TYPE + 0..Z_PER_TYPE-1. */
export const Z_PER_TYPE = 10_000;
/** Windows per session (an app cannot flood the layer tree). */
export const MAX_WINDOWS_PER_SESSION = 64;
/** Windows in the whole window manager. */
export const MAX_WINDOWS = 512;
/** Events waiting in one window's queue; beyond it new events for that window are dropped (counted in dump). */
export const MAX_PENDING_EVENTS = 1024;
/** Largest requested window side. */
export const MAX_WINDOW_SIDE = 8192;
/** Rectangles in a touchable region. */
export const MAX_TOUCHABLE_RECTS = 32;
/** Default thickness of the bars when they ask for 0 (logical pixels). */
export const DEFAULT_STATUS_BAR_HEIGHT = 72;
export const DEFAULT_NAVIGATION_BAR_HEIGHT = 96;
/** A bar may take at most this fraction of the display's height. */
export const MAX_BAR_FRACTION = 0.25;

export function typeRank(type: WindowType): number {
  return WINDOW_TYPES.indexOf(type);
}

export function isWindowType(value: unknown): value is WindowType {
  return typeof value === 'string' && (WINDOW_TYPES as readonly string[]).includes(value);
}

/** Types that may hold focus (the others never receive keys). */
export function typeTakesFocus(type: WindowType, flags: number): boolean {
  if ((flags & WindowFlag.NOT_FOCUSABLE) !== 0) return false;
  return type === 'application' || type === 'dialog' || type === 'system-overlay';
}

/** Types that receive touches (toasts never do, like Android's). */
export function typeTakesTouch(type: WindowType, flags: number): boolean {
  if ((flags & WindowFlag.NOT_TOUCHABLE) !== 0) return false;
  return type !== 'toast';
}

/** The insets of a display given the bars' thicknesses (0 when a bar is absent or hidden). */
export function barInsets(statusBar: number, navigationBar: number): Insets {
  return { left: 0, top: statusBar, right: 0, bottom: navigationBar };
}

/** A bar's thickness from its request, clamped to policy. */
export function barThickness(type: 'status-bar' | 'navigation-bar', requested: number, displayHeight: number): number {
  const fallback = type === 'status-bar' ? DEFAULT_STATUS_BAR_HEIGHT : DEFAULT_NAVIGATION_BAR_HEIGHT;
  const wanted = requested > 0 ? requested : fallback;
  return Math.max(1, Math.min(wanted, Math.floor(displayHeight * MAX_BAR_FRACTION)));
}

export interface LayoutRequest {
  readonly type: WindowType;
  readonly flags: number;
  readonly width: number;
  readonly height: number;
  readonly x: number | null;
  readonly y: number | null;
}

/**
 * The frame a window gets. `display` is the whole logical display; `content` is what the bars
 * leave. Applications fill the content area unless they ask for a size; every request is clamped
 * into the area its type may use.
 */
export function layoutFrame(request: LayoutRequest, display: Rect, content: Rect, bars: { statusBar: number; navigationBar: number }): Rect {
  const fullscreen = (request.flags & WindowFlag.LAYOUT_FULLSCREEN) !== 0;
  switch (request.type) {
    case 'wallpaper':
      return { ...display };
    case 'status-bar':
      return { left: display.left, top: display.top, right: display.right, bottom: display.top + bars.statusBar };
    case 'navigation-bar':
      return { left: display.left, top: display.bottom - bars.navigationBar, right: display.right, bottom: display.bottom };
    case 'input-method': {
      const area = content;
      const h = clampSide(request.height > 0 ? request.height : Math.round(height(area) * 0.4), height(area));
      return { left: area.left, top: area.bottom - h, right: area.right, bottom: area.bottom };
    }
    case 'application':
      return placed(request, fullscreen ? display : content, 'fill');
    case 'dialog':
      return placed(request, fullscreen ? display : content, 'center');
    case 'toast': {
      const area = content;
      const w = clampSide(request.width > 0 ? request.width : Math.round(width(area) * 0.6), width(area));
      const h = clampSide(request.height > 0 ? request.height : 96, height(area));
      const left = area.left + Math.floor((width(area) - w) / 2);
      const bottom = area.bottom - Math.floor(height(area) / 10);
      return { left, top: bottom - h, right: left + w, bottom };
    }
    case 'system-overlay':
      return placed(request, display, 'fill');
  }
}

/** A requested size and position clamped into `area`; no size = fill (or a centered half). */
function placed(request: LayoutRequest, area: Rect, fallback: 'fill' | 'center'): Rect {
  const aw = width(area);
  const ah = height(area);
  if (request.width <= 0 && request.height <= 0 && request.x === null && request.y === null) {
    if (fallback === 'fill') return { ...area };
  }
  const defaultW = fallback === 'fill' ? aw : Math.round(aw * 0.8);
  const defaultH = fallback === 'fill' ? ah : Math.round(ah * 0.4);
  const w = clampSide(request.width > 0 ? request.width : defaultW, aw);
  const h = clampSide(request.height > 0 ? request.height : defaultH, ah);
  const x = request.x === null ? area.left + Math.floor((aw - w) / 2) : clamp(request.x, area.left, area.right - w);
  const y = request.y === null ? area.top + Math.floor((ah - h) / 2) : clamp(request.y, area.top, area.bottom - h);
  return { left: x, top: y, right: x + w, bottom: y + h };
}

export function contentArea(display: Rect, insets: Insets): Rect {
  return {
    left: display.left + insets.left,
    top: display.top + insets.top,
    right: Math.max(display.left + insets.left + 1, display.right - insets.right),
    bottom: Math.max(display.top + insets.top + 1, display.bottom - insets.bottom),
  };
}

/** Checks a requested size or position field (StratumError naming it). */
export function checkRequestNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new StratumError('BAD_VALUE', `${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

function clampSide(value: number, max: number): number {
  return Math.max(1, Math.min(value, max));
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(value, Math.max(lo, hi)));
}

function width(r: Rect): number {
  return r.right - r.left;
}

function height(r: Rect): number {
  return r.bottom - r.top;
}
