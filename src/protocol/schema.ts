// THE schema: every request, reply and event of the Stratum protocol with its wire type and typed
// fields. The codec, the TypeScript message types and docs/protocol.md are all derived from it.
// Times on the wire are f64 milliseconds of CLOCK_MONOTONIC (process.hrtime), which every process
// on the machine shares; see time.ts.
import { array, bool, f32, f64, fd, i32, optional, string, struct, u16, u32, u64, u8 } from './fields.js';
import type { Fields } from './fields.js';
import {
  MAX_DAMAGE_RECTS,
  MAX_DISPLAYS,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_LAYER_CHANGES_PER_TRANSACTION,
  MAX_NAME_BYTES,
  MAX_KEY_NAME_BYTES,
  MAX_SURFACE_STATS,
  MAX_TOUCHABLE_RECTS,
} from './limits.js';

// ---- shared structs -------------------------------------------------------------------------

/** Half-open integer rectangle, as src/region/rect.ts. */
export const rectField = struct('Rect', { left: i32, top: i32, right: i32, bottom: i32 });

/** A buffer handed to the producer: its descriptor and its memfd (sent once per slot). */
export const bufferHandleField = struct('BufferHandle', {
  id: u64,
  width: u32,
  height: u32,
  format: u32,
  usage: u32,
  /** Row pitch in pixels of the first plane. */
  stride: u32,
  size: u32,
  fd,
});

export const displayInfoField = struct('DisplayInfo', {
  id: u32,
  name: string(MAX_NAME_BYTES),
  /** 0 internal, 1 external, 2 virtual. */
  kind: u8,
  width: u32,
  height: u32,
  refreshRate: f32,
  /** Dots per inch. */
  density: f32,
  layerStack: u32,
  /** 0, 90, 180 or 270. */
  rotation: u16,
});

/** Modes listed for one display (getDisplayModes). */
export const MAX_DISPLAY_MODES = 32;

/** A resolution and refresh rate a display supports. */
export const displayModeField = struct('DisplayMode', {
  id: u32,
  width: u32,
  height: u32,
  /** Nominal Hz. */
  refreshRate: f32,
  /** Present when the rate wanders between min and max Hz from one VSync to the next. */
  varying: optional(struct('RefreshRange', { min: f32, max: f32 })),
});

/**
 * One layer's changes inside a transaction: `surface` names the layer (a surface id of this client),
 * every other field is optional and present only when it changes.
 */
export const layerChangeField = struct('LayerChange', {
  surface: u32,
  position: optional(struct('Position', { x: f32, y: f32 })),
  matrix: optional(struct('Matrix', { dsdx: f32, dtdx: f32, dtdy: f32, dsdy: f32 })),
  z: optional(i32),
  /** z among the siblings of another layer of this client (`relativeTo`, a surface id). */
  relativeZ: optional(struct('RelativeZ', { relativeTo: u32, z: i32 })),
  layerStack: optional(u32),
  /** New parent: a surface id, 0 = top level of the layer stack, NO_PARENT = offscreen (kept, not drawn). */
  parent: optional(u32),
  /** In layer space; an empty rectangle removes the crop. */
  crop: optional(rectField),
  /** Source rectangle in the buffer; an empty rectangle = the queued frame's crop or the whole buffer. */
  bufferCrop: optional(rectField),
  /** Transform 0..7 (flips and rotations). */
  bufferTransform: optional(u8),
  /** ScalingMode 0..3. */
  scalingMode: optional(u8),
  /** The layer's window size for the scaling mode; 0x0 = the buffer's own size. */
  size: optional(struct('Size', { width: u32, height: u32 })),
  alpha: optional(f32),
  /** Fill of a color layer, components 0..1 (the layer's alpha is `alpha`). */
  color: optional(struct('Color', { r: f32, g: f32, b: f32 })),
  /** Flag bits LayerFlag.*, applied where `mask` has a bit. */
  flags: optional(struct('FlagChange', { flags: u32, mask: u32 })),
  /** Where the layer has content, in layer space; empty = everywhere. */
  visibleRegionHint: optional(array(rectField, MAX_DAMAGE_RECTS)),
  /** Changed areas of the buffer set in this transaction, in buffer pixels; empty = everything. */
  surfaceDamage: optional(array(rectField, MAX_DAMAGE_RECTS)),
  /** A dequeued slot of this surface's queue, queued as part of the transaction (shown atomically with it). */
  buffer: optional(struct('SetBuffer', { slot: u8 })),
});

export const surfaceStatsField = struct('SurfaceStats', {
  surface: u32,
  /** Frame number of the buffer this transaction latched on the surface (0 if none). */
  frameNumber: u64,
  /** When that buffer's acquire fence signalled; -1 if no buffer. */
  acquireTime: f64,
  /** When the previously shown buffer was released; -1 if it is not yet released. */
  previousReleaseTime: f64,
});

/** A window's layout as the window manager decided it (logical display space). */
export const windowConfigField = struct('WindowConfig', {
  frame: rectField,
  /** The display's size after rotation. */
  displayWidth: u32,
  displayHeight: u32,
  /** 0, 90, 180 or 270. */
  rotation: u16,
  /** Transform 0..7 the producer should pre-rotate by. */
  transformHint: u8,
  /** What the status and navigation bars take from each edge. */
  insets: rectField,
});

/** The answer to a dequeue (the dequeueBuffer reply, and queueBuffer's `next`). */
const dequeuedFields = {
  slot: u8,
  /** Always present: the client finds a buffer it already holds by id. */
  bufferId: u64,
  needsReallocation: bool,
  releaseAllBuffers: bool,
  bufferAge: u32,
  /** Only when the buffer is new to the client. */
  buffer: optional(bufferHandleField),
} as const;

// ---- messages -------------------------------------------------------------------------------

interface RequestSpec {
  readonly type: number;
  readonly doc: string;
  /** Whether the header's object id names a surface of the client (else it must be 0). */
  readonly target: 'connection' | 'surface';
  readonly fields: Fields;
  /** Reply fields; null for one-way requests. The reply's wire type is 0x8000 | type. */
  readonly reply: Fields | null;
}

interface EventSpec {
  readonly type: number;
  readonly doc: string;
  readonly target: 'connection' | 'surface';
  readonly fields: Fields;
}

export const REPLY_BIT = 0x8000;
export const ERROR_REPLY_TYPE = 0xffff;

/** Requests, client -> server. Types 0x0001..0x3fff. */
export const requests = {
  hello: {
    type: 0x0001,
    doc: 'First message of every connection. A different major version is refused with VERSION_MISMATCH naming both versions, then the connection closes.',
    target: 'connection',
    fields: { major: u16, minor: u16, clientName: string(MAX_NAME_BYTES) },
    reply: {
      major: u16,
      minor: u16,
      serverName: string(MAX_NAME_BYTES),
      /** The server's limits (same order as docs/protocol.md). */
      maxMessageBytes: u32,
      maxObjects: u32,
      maxBufferBytes: u64,
      maxPendingRequests: u32,
    },
  },
  disconnect: {
    type: 0x0002,
    doc: 'Orderly goodbye; the server releases everything of the client and closes. One-way.',
    target: 'connection',
    fields: {},
    reply: null,
  },
  sync: {
    type: 0x0003,
    doc: 'Answers once every earlier request of this client has been handled (a barrier).',
    target: 'connection',
    fields: {},
    reply: {},
  },
  listDisplays: {
    type: 0x0010,
    doc: 'Every display the server drives.',
    target: 'connection',
    fields: {},
    reply: { displays: array(displayInfoField, MAX_DISPLAYS) },
  },
  getDisplayInfo: {
    type: 0x0011,
    doc: 'One display; NAME_NOT_FOUND for an unknown id.',
    target: 'connection',
    fields: { display: u32 },
    reply: { info: displayInfoField },
  },
  createSurface: {
    type: 0x0020,
    doc: 'Creates a layer (kind 0 buffer, 1 color, 2 container) and, for buffer layers, its BufferQueue whose consumer is the server. Returns the new surface id, valid on this connection only.',
    target: 'connection',
    fields: {
      name: string(MAX_NAME_BYTES),
      width: u32,
      height: u32,
      format: u32,
      /** 0 buffer, 1 color, 2 container. */
      kind: u8,
      /** Parent surface id; absent = a root layer on the display's layer stack. */
      parent: optional(u32),
      /** LayerFlag.* bits set at creation. */
      flags: u32,
      /** Buffer slots of the surface's queue, 0 = the default (3). */
      queueSize: u8,
    },
    reply: { surface: u32, layerId: u32 },
  },
  destroySurface: {
    type: 0x0021,
    doc: 'Removes the layer (it leaves the screen on the next frame) and frees its queue and buffers.',
    target: 'surface',
    fields: {},
    reply: {},
  },
  dequeueBuffer: {
    type: 0x0030,
    doc: 'Takes a free slot. The buffer (descriptor + fd) is attached only when the client has not seen this slot\'s buffer: first use, reallocation, or after a release-all.',
    target: 'surface',
    fields: { width: u32, height: u32, format: u32, usage: u32 },
    reply: dequeuedFields,
  },
  queueBuffer: {
    type: 0x0031,
    doc: 'Queues a dequeued slot for the compositor with its frame metadata; with dequeueNext, the reply may also carry the next buffer (one round trip per frame).',
    target: 'surface',
    fields: {
      slot: u8,
      /** When the content was produced; absent = now (auto timestamp). */
      timestamp: optional(f64),
      desiredPresentTime: optional(f64),
      crop: optional(rectField),
      transform: u8,
      scalingMode: u8,
      damage: array(rectField, MAX_DAMAGE_RECTS),
      /** Also dequeue the next buffer (default size, format, usage) if a slot is free right now, answered in `next`. */
      dequeueNext: bool,
    },
    reply: {
      frameNumber: u64,
      bufferReplaced: bool,
      pendingFrames: u32,
      width: u32,
      height: u32,
      transformHint: u8,
      /** With dequeueNext: the next buffer, when a slot was free at once (never waits, never takes a queued frame back). */
      next: optional(struct('Dequeued', dequeuedFields)),
    },
  },
  cancelBuffer: {
    type: 0x0032,
    doc: 'Returns a dequeued slot unused.',
    target: 'surface',
    fields: { slot: u8 },
    reply: {},
  },
  setProducerOptions: {
    type: 0x0033,
    doc: 'BufferQueue producer options: whenFull 0 wait / 1 fail (WOULD_BLOCK) / 2 take-oldest-queued, mailbox (async) mode, counts, dequeue timeout (ms, -1 forever).',
    target: 'surface',
    fields: {
      whenFull: optional(u8),
      mailbox: optional(bool),
      maxDequeued: optional(u8),
      dequeueTimeoutMs: optional(i32),
    },
    reply: {},
  },
  applyTransaction: {
    type: 0x0040,
    doc: 'An atomic batch of layer changes, applied together on a VSync once its desired present time has come. Callback ids come back in transactionCommitted / transactionCompleted events.',
    target: 'connection',
    fields: {
      changes: array(layerChangeField, MAX_LAYER_CHANGES_PER_TRANSACTION),
      desiredPresentTime: optional(f64),
      commitCallbackId: optional(u32),
      completeCallbackId: optional(u32),
    },
    reply: {},
  },
  dump: {
    type: 0x0050,
    doc: 'The compositor\'s state as text (format 0) or JSON (format 1), written to a memfd whose fd is attached (large dumps never hit the message size limit).',
    target: 'connection',
    fields: { format: u8 },
    reply: { size: u32, fd },
  },
  screencap: {
    type: 0x0051,
    doc: 'Captures a display into a new RGBA_8888 buffer whose handle is attached; the pixels never cross the socket.',
    target: 'connection',
    fields: { display: u32 },
    reply: { buffer: bufferHandleField },
  },
  addWindow: {
    type: 0x0300,
    doc: 'Asks the window manager for a window (type WindowTypeCode, flags WindowFlagBits). The reply names the window, the surface whose queue the app draws into (valid on this connection; it can parent child surfaces, but its own layer belongs to the window manager) and the first layout, also sent as windowConfigured.',
    target: 'connection',
    fields: {
      type: u8,
      title: string(MAX_NAME_BYTES),
      /** Requested size; 0 = the policy's size for the type (applications fill the space the bars leave). */
      width: u32,
      height: u32,
      /** Requested position; absent = the policy's placement. */
      x: optional(i32),
      y: optional(i32),
      flags: u32,
      /** 0 = the primary display. */
      display: u32,
    },
    reply: { window: u32, surface: u32, layerId: u32, config: windowConfigField },
  },
  relayoutWindow: {
    type: 0x0301,
    doc: 'Changes what the window asks for (size 0 = back to the policy size); the reply is the final layout after the policy clamped it.',
    target: 'connection',
    fields: {
      window: u32,
      width: optional(u32),
      height: optional(u32),
      x: optional(i32),
      y: optional(i32),
      /** The part that takes touches, window space; an empty list = the whole window. */
      touchableRegion: optional(array(rectField, MAX_TOUCHABLE_RECTS)),
    },
    reply: { config: windowConfigField },
  },
  setWindowVisible: {
    type: 0x0302,
    doc: 'Shows or hides a window (showing a focusable window gives it focus).',
    target: 'connection',
    fields: { window: u32, visible: bool },
    reply: {},
  },
  removeWindow: {
    type: 0x0303,
    doc: 'Removes a window: it stops taking input at once and leaves the screen after its close transition; its surface is dead.',
    target: 'connection',
    fields: { window: u32 },
    reply: {},
  },
  injectInput: {
    type: 0x0400,
    doc: 'Injects one input event (as the viewer and the CLI do): kind InputKindCode, action InputActionCode; pointer and touch in display pixels, keys to the focused window. The reply names the window that got it (0 = none, with the reason).',
    target: 'connection',
    fields: {
      kind: u8,
      action: u8,
      display: u32,
      x: f64,
      y: f64,
      pointerId: u8,
      buttons: u8,
      key: string(MAX_KEY_NAME_BYTES),
      modifiers: u8,
      /** When the event happened; absent = now. */
      eventTime: optional(f64),
    },
    reply: { window: u32, dropped: string(MAX_ERROR_MESSAGE_BYTES) },
  },
  createVirtualDisplay: {
    type: 0x0200,
    doc: 'Creates a virtual display composed on the primary\'s VSync: mirroring display `mirror` (its layer stack, letterboxed and re-projected when that display rotates) or showing `layerStack`. sink 0: this client consumes its output queue (virtualDisplayFrame events, buffers by handle, releaseVirtualDisplayFrame); sink 1: an overlay layer on the primary display shows it (a simulated secondary display). Removed with destroyVirtualDisplay or when the client leaves.',
    target: 'connection',
    fields: {
      name: string(MAX_NAME_BYTES),
      width: u32,
      height: u32,
      /** A display to mirror; absent = show `layerStack`. */
      mirror: optional(u32),
      /** The stack to show when not mirroring; absent = a new, empty stack of its own. */
      layerStack: optional(u32),
      /** 0 this client, 1 an overlay on the primary display. */
      sink: u8,
      /** Dots per inch reported for the display (0 = 160). */
      density: f32,
    },
    reply: { display: u32, layerStack: u32 },
  },
  destroyVirtualDisplay: {
    type: 0x0201,
    doc: 'Removes a virtual display of this client with its queue, buffers and overlay.',
    target: 'connection',
    fields: { display: u32 },
    reply: {},
  },
  releaseVirtualDisplayFrame: {
    type: 0x0202,
    doc: 'Gives a frame of a virtual display (from virtualDisplayFrame) back to its queue once read.',
    target: 'connection',
    fields: { display: u32, slot: u8, frameNumber: u64 },
    reply: {},
  },
  connectDisplay: {
    type: 0x0210,
    doc: 'Plugs in a simulated external display (tests, the CLI): it starts powered off and is composed on the primary\'s VSync once powered. Every connection gets displayHotplug. refreshRate 0 = 60 Hz.',
    target: 'connection',
    fields: { name: string(MAX_NAME_BYTES), width: u32, height: u32, refreshRate: f32 },
    reply: { display: u32 },
  },
  disconnectDisplay: {
    type: 0x0211,
    doc: 'Unplugs a display plugged in with connectDisplay: its output goes, the layers on its stack stay. Every connection gets displayHotplug.',
    target: 'connection',
    fields: { display: u32 },
    reply: {},
  },
  setDisplayPowerMode: {
    type: 0x0212,
    doc: 'Powers a display: mode 0 off (nothing composed), 1 doze, 2 on.',
    target: 'connection',
    fields: { display: u32, mode: u8 },
    reply: {},
  },
  setDisplayRotation: {
    type: 0x0213,
    doc: 'Turns a display to rotation 0, 90, 180 or 270 with its layer stack filling it; where the server has a window manager, windows are laid out again for the new orientation (and the turn animated). BAD_VALUE for another angle, NAME_NOT_FOUND for an unknown display.',
    target: 'connection',
    fields: { display: u32, rotation: u16 },
    reply: {},
  },
  getDisplayModes: {
    type: 0x0214,
    doc: 'The modes (resolution and refresh rate) a display supports, and the id of the active one.',
    target: 'connection',
    fields: { display: u32 },
    reply: { modes: array(displayModeField, MAX_DISPLAY_MODES), activeMode: u32 },
  },
  setDisplayMode: {
    type: 0x0215,
    doc: 'Switches a display to one of its modes (an id from getDisplayModes): the refresh rate changes from the next VSync. BAD_VALUE for a mode the display does not have.',
    target: 'connection',
    fields: { display: u32, mode: u32 },
    reply: {},
  },
  requestNextVsync: {
    type: 0x0100,
    doc: 'Asks for one vsync event at the next VSync of the primary display (Choreographer). Asking again before it comes changes nothing; only connections that asked are woken.',
    target: 'connection',
    fields: {},
    reply: {},
  },
} as const satisfies Record<string, RequestSpec>;

/** Events, server -> client (serial 0). Types 0x4000..0x7fff. */
export const events = {
  protocolError: {
    type: 0x4001,
    doc: 'The client sent a malformed message; the server closes the connection right after this event.',
    target: 'connection',
    fields: { code: u16, message: string(MAX_ERROR_MESSAGE_BYTES) },
  },
  bufferReleased: {
    type: 0x4010,
    doc: 'The compositor released a slot of the surface named by the object id: it can be dequeued again.',
    target: 'surface',
    fields: { slot: u8, frameNumber: u64 },
  },
  transactionCommitted: {
    type: 0x4020,
    doc: 'A transaction with a commit callback was applied (latched); always before its completion.',
    target: 'connection',
    fields: { callbackId: u32, latchTime: f64 },
  },
  transactionCompleted: {
    type: 0x4021,
    doc: 'A transaction with a complete callback was presented. Destroyed layers are left out of the stats; the event still comes.',
    target: 'connection',
    fields: { callbackId: u32, latchTime: f64, presentTime: f64, surfaces: array(surfaceStatsField, MAX_SURFACE_STATS) },
  },
  windowConfigured: {
    type: 0x4300,
    doc: 'A window of this client got a new layout (frame, display size and rotation, transform hint, insets). In order with the window\'s other events.',
    target: 'connection',
    fields: { window: u32, config: windowConfigField },
  },
  windowFocus: {
    type: 0x4301,
    doc: 'A window of this client gained (focused) or lost focus; at most one window per display has it.',
    target: 'connection',
    fields: { window: u32, focused: bool },
  },
  inputEvent: {
    type: 0x4400,
    doc: 'An input event for a window of this client: pointer and touch in window space (raw = display pixels), keys as names. `sequence` counts the window\'s input events from 1 with no gaps; `eventTime` is when it happened.',
    target: 'connection',
    fields: {
      window: u32,
      kind: u8,
      /** InputActionCode; 4 = hover. */
      action: u8,
      x: f64,
      y: f64,
      rawX: f64,
      rawY: f64,
      pointerId: u8,
      buttons: u8,
      key: string(MAX_KEY_NAME_BYTES),
      modifiers: u8,
      repeat: u16,
      eventTime: f64,
      sequence: u32,
    },
  },
  virtualDisplayFrame: {
    type: 0x4200,
    doc: 'A frame of a virtual display this client consumes, acquired for it: read the buffer, then releaseVirtualDisplayFrame. The buffer handle comes only the first time the client sees that buffer (by bufferId). framesDropped counts frames composed while every buffer was held.',
    target: 'connection',
    fields: { display: u32, slot: u8, frameNumber: u64, bufferId: u64, timestamp: f64, framesDropped: u32, buffer: optional(bufferHandleField) },
  },
  virtualDisplayRemoved: {
    type: 0x4201,
    doc: 'A virtual display of this client ended without being asked (the display it mirrored was disconnected); the reason says why. Its queue and buffers are gone.',
    target: 'connection',
    fields: { display: u32, reason: string(MAX_ERROR_MESSAGE_BYTES) },
  },
  displayHotplug: {
    type: 0x4210,
    doc: 'A display was connected or disconnected (sent to every connection).',
    target: 'connection',
    fields: { display: u32, connected: bool },
  },
  vsync: {
    type: 0x4100,
    doc: 'The VSync a requestNextVsync asked for: frameTime = VSync + app phase offset; queue before `deadline` (the next compositor wake-up) to be shown at `expectedPresentTime`. Times in monotonic ms.',
    target: 'connection',
    fields: { display: u32, vsyncId: u64, frameTime: f64, deadline: f64, expectedPresentTime: f64, period: f64 },
  },
} as const satisfies Record<string, EventSpec>;

/** Wire type ranges kept for later protocol additions (minor versions). */
export const RESERVED_TYPE_RANGES = [
  { from: 0x0100, to: 0x01ff, purpose: 'requests: VSync / Choreographer (request next vsync, vsync rate)' },
  { from: 0x0200, to: 0x02ff, purpose: 'requests: displays (virtual displays, projection, power)' },
  { from: 0x0300, to: 0x03ff, purpose: 'requests: windows (window manager)' },
  { from: 0x0400, to: 0x04ff, purpose: 'requests: input (focus, injection)' },
  { from: 0x4100, to: 0x41ff, purpose: 'events: VSync' },
  { from: 0x4200, to: 0x42ff, purpose: 'events: display hotplug and changes' },
  { from: 0x4300, to: 0x43ff, purpose: 'events: windows' },
  { from: 0x4400, to: 0x44ff, purpose: 'events: input' },
] as const;

/** The error reply (wire type 0xffff): a request failed; its serial names the request. */
export const errorReplyFields = { code: u16, message: string(MAX_ERROR_MESSAGE_BYTES) } as const;

/** Layer flag bits (createSurface.flags, LayerChange.flags). */
export const LayerFlag = {
  HIDDEN: 0x01,
  OPAQUE: 0x02,
  SKIP_SCREENSHOT: 0x40,
  SECURE: 0x80,
  /** Buffer content is not premultiplied by alpha (COVERAGE blending). */
  NON_PREMULTIPLIED: 0x100,
} as const;
export const ALL_LAYER_FLAGS = Object.values(LayerFlag).reduce((a, b) => a | b, 0);

/** LayerChange.parent value that takes a layer offscreen. */
export const NO_PARENT = 0xffffffff;

export const SurfaceKind = { BUFFER: 0, COLOR: 1, CONTAINER: 2 } as const;
export type SurfaceKind = (typeof SurfaceKind)[keyof typeof SurfaceKind];

export const DisplayKind = { INTERNAL: 0, EXTERNAL: 1, VIRTUAL: 2 } as const;

export const WhenFullCode = { wait: 0, fail: 1, 'take-oldest-queued': 2 } as const;

/** addWindow.type: the window manager's types, lowest to highest in its z-order. */
export const WindowTypeCode = {
  wallpaper: 0,
  application: 1,
  dialog: 2,
  'status-bar': 3,
  'navigation-bar': 4,
  'input-method': 5,
  toast: 6,
  'system-overlay': 7,
} as const;

/** addWindow.flags bits. */
export const WindowFlagBits = { NOT_FOCUSABLE: 0x01, NOT_TOUCHABLE: 0x02, LAYOUT_FULLSCREEN: 0x04, OPAQUE: 0x08, SECURE: 0x10 } as const;

export const InputKindCode = { pointer: 0, touch: 1, key: 2 } as const;

export const InputActionCode = { down: 0, move: 1, up: 2, cancel: 3, hover: 4 } as const;

export type Requests = typeof requests;
export type Events = typeof events;
export type RequestName = keyof Requests;
export type EventName = keyof Events;
