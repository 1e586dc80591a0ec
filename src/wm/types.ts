// The window manager's public data: window types and flags, what an app asks for, the frame it
// gets, input events as injected and as delivered, and the events a window's owner receives.
// Coordinates: frames are in the display's logical space (the layer stack, after rotation swaps
// width and height); injected input is in display pixels (the panel, what the viewer shows);
// delivered input is in the window's own space (0,0 = its top-left corner, before any window
// transform). Times are monotonic milliseconds (queue/fence.ts monotonicNow, CLOCK_MONOTONIC).
import type { Transform } from '../buffer/transform.js';
import type { DisplayId, LayerId, Matrix2x2 } from '../flinger/types.js';
import type { Rect } from '../region/rect.js';

/** Window types, lowest to highest in the fixed z-order policy. */
export const WINDOW_TYPES = [
  'wallpaper',
  'application',
  'dialog',
  'status-bar',
  'navigation-bar',
  'input-method',
  'toast',
  'system-overlay',
] as const;
export type WindowType = (typeof WINDOW_TYPES)[number];

export type WindowId = number;
export type SessionId = number;
export type Orientation = 0 | 90 | 180 | 270;

/** Window flags (bits, also on the wire). */
export const WindowFlag = {
  /** Never takes focus (keys go elsewhere); touches still land on it. */
  NOT_FOCUSABLE: 0x01,
  /** Touches pass through to the window below. */
  NOT_TOUCHABLE: 0x02,
  /** Lays out over the status and navigation bars (the whole display) instead of between them. */
  LAYOUT_FULLSCREEN: 0x04,
  /** The buffer is opaque (lets the compositor skip what is below). */
  OPAQUE: 0x08,
  /** Black in captures and on non-secure displays. */
  SECURE: 0x10,
} as const;
export const ALL_WINDOW_FLAGS = Object.values(WindowFlag).reduce((a, b) => a | b, 0);

export interface WindowSpec {
  readonly type: WindowType;
  /** Shown in dump and as the layer name; 1..64 characters. */
  readonly title: string;
  /** Requested size; 0 (or absent) = the policy's size for the type (applications: fill the content area). */
  readonly width?: number;
  readonly height?: number;
  /** Requested position (logical display space); absent = the policy's placement. */
  readonly x?: number;
  readonly y?: number;
  /** WindowFlag bits. */
  readonly flags?: number;
  /** Default: the primary display. */
  readonly display?: DisplayId;
  /** Start visible (default true). */
  readonly visible?: boolean;
}

/** What relayout may change; absent fields keep their request. width/height 0 = back to the policy size. */
export interface RelayoutRequest {
  readonly width?: number;
  readonly height?: number;
  readonly x?: number;
  readonly y?: number;
  /** The part of the window that takes touches, in window space; null = the whole window. */
  readonly touchableRegion?: readonly Rect[] | null;
}

/** The space the bars take from each edge of the display (logical space). */
export interface Insets {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** What a window's owner is told after every layout that changed something for it. */
export interface WindowConfiguration {
  /** The final frame, logical display space. */
  readonly frame: Rect;
  /** The display's logical size (after rotation). */
  readonly displayWidth: number;
  readonly displayHeight: number;
  readonly rotation: Orientation;
  /** What the producer should pre-rotate by (the window's buffer queue has the same hint). */
  readonly transformHint: Transform;
  /** The bars' insets on this display. */
  readonly insets: Insets;
}

export type PointerAction = 'down' | 'move' | 'up' | 'cancel';

/** An input event as injected (viewer, CLI, SDK). */
export type InputEvent =
  | {
      /** `pointer` (mouse) and `touch` differ in that a pointer move without a button is a hover. */
      readonly kind: 'pointer' | 'touch';
      readonly action: PointerAction;
      /** Display pixels. */
      readonly x: number;
      readonly y: number;
      /** Touch: which finger (0..255, each its own gesture); pointer: which pointer (the viewer passes the browser's id). */
      readonly pointerId?: number;
      /** Pointer buttons held (bit 0 primary); informational. */
      readonly buttons?: number;
      readonly display?: DisplayId;
      /** When the event happened (monotonic ms); default: when injected. */
      readonly eventTime?: number;
    }
  | {
      readonly kind: 'key';
      readonly action: 'down' | 'up';
      /** A key name ('a', 'Enter', 'ArrowLeft', ...), 1..32 characters. */
      readonly key: string;
      /** Modifier bits (1 shift, 2 ctrl, 4 alt, 8 meta). */
      readonly modifiers?: number;
      readonly repeat?: number;
      readonly display?: DisplayId;
      readonly eventTime?: number;
    };

/** An input event as a window receives it. */
export type DeliveredInput =
  | {
      readonly kind: 'pointer' | 'touch';
      /** `hover` = a pointer move with no gesture in progress. `outside` is never sent. */
      readonly action: PointerAction | 'hover';
      /** Window space (may lie outside the window during a gesture that left it). */
      readonly x: number;
      readonly y: number;
      /** Display pixels as injected. */
      readonly rawX: number;
      readonly rawY: number;
      readonly pointerId: number;
      readonly buttons: number;
      readonly eventTime: number;
      /** Per window, counts every input event it was sent (1, 2, ...): gaps never happen. */
      readonly sequence: number;
    }
  | {
      readonly kind: 'key';
      readonly action: 'down' | 'up';
      readonly key: string;
      readonly modifiers: number;
      readonly repeat: number;
      readonly eventTime: number;
      readonly sequence: number;
    };

/** Everything a window's owner is told, in order, per window. */
export type WindowEvent =
  | { readonly type: 'configured'; readonly window: WindowId; readonly config: WindowConfiguration }
  | { readonly type: 'focus'; readonly window: WindowId; readonly focused: boolean }
  | { readonly type: 'input'; readonly window: WindowId; readonly input: DeliveredInput };

/**
 * Receives a session's window events. Called in order per window. A returned promise holds back
 * that window's later events until it settles (its queue waits); other windows never wait.
 */
export type WindowEventSink = (event: WindowEvent) => void | Promise<void>;

/** What injectInput did with an event. */
export interface InjectResult {
  /** The window that received it, null when no window took it. */
  readonly window: WindowId | null;
  /** Why nobody got it (null when delivered). */
  readonly dropped: string | null;
}

/** The window's layers, for the owner: the surface producer and the parent for child layers. */
export interface WindowLayers {
  /** The container the WM positions, scales, fades and orders (the app cannot change it). */
  readonly container: LayerId;
  /** The buffer layer whose queue is the window's Surface; the parent of the app's child layers. */
  readonly surface: LayerId;
}

export interface WindowDump {
  readonly id: WindowId;
  readonly title: string;
  readonly type: WindowType;
  readonly session: string;
  readonly display: DisplayId;
  readonly flags: number;
  readonly visible: boolean;
  readonly focused: boolean;
  readonly removing: boolean;
  readonly frame: Rect;
  readonly requested: { readonly width: number; readonly height: number; readonly x: number | null; readonly y: number | null };
  readonly z: number;
  readonly layers: WindowLayers;
  readonly matrix: Matrix2x2;
  readonly alpha: number;
  readonly transformHint: Transform;
  readonly pendingEvents: number;
  readonly eventsDropped: number;
}

export interface DisplayWindowsDump {
  readonly display: DisplayId;
  readonly width: number;
  readonly height: number;
  readonly rotation: Orientation;
  readonly insets: Insets;
  readonly focused: WindowId | null;
  /** Top to bottom. */
  readonly windows: readonly WindowDump[];
}

export interface WindowManagerDump {
  readonly animations: boolean;
  readonly displays: readonly DisplayWindowsDump[];
  readonly activeAnimations: number;
  readonly sessions: readonly { readonly id: SessionId; readonly name: string; readonly windows: number }[];
}
