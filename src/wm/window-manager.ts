// The window manager: apps ask it for windows; it asks the flinger for the layers (a container it
// positions, orders, scales and fades, with a buffer layer inside whose queue is the app's
// Surface), lays windows out by type policy, keeps one focused window per display, dispatches
// injected input to windows by z-order and touchable region, rotates displays and animates
// windows in and out. Everything the WM changes on screen goes through one privileged flinger
// client, one transaction per operation (or per VSync while animating). See docs/window-manager.md.
import { GraphicBuffer } from '../buffer/graphic-buffer.js';
import { PixelFormat } from '../buffer/format.js';
import type { Transform } from '../buffer/transform.js';
import { rotationTransform } from '../buffer/transform.js';
import { Usage } from '../buffer/usage.js';
import type { HeadlessDisplay } from '../display/display.js';
import type { Flinger, FlingerClient } from '../flinger/flinger.js';
import { compose, invert, localTransform, mapPoint } from '../flinger/geometry.js';
import type { Affine, DisplayId, LayerChanges, LayerId, Matrix2x2, TransactionData } from '../flinger/types.js';
import { ROOT_LAYER } from '../flinger/types.js';
import { StratumError } from '../os/status.js';
import { monotonicNow } from '../queue/fence.js';
import type { BufferProducer } from '../queue/buffer-queue.js';
import type { AllocateBuffer } from '../queue/types.js';
import type { Rect } from '../region/rect.js';
import { rectsEqual } from '../region/rect.js';
import { Animator, easeOut, lerp } from './animation.js';
import { EventChannel } from './channel.js';
import {
  MAX_TOUCHABLE_RECTS,
  MAX_WINDOWS,
  MAX_WINDOWS_PER_SESSION,
  MAX_WINDOW_SIDE,
  Z_PER_TYPE,
  barInsets,
  barThickness,
  checkRequestNumber,
  contentArea,
  isWindowType,
  layoutFrame,
  typeRank,
  typeTakesFocus,
  typeTakesTouch,
} from './policy.js';
import type {
  DeliveredInput,
  DisplayWindowsDump,
  InjectResult,
  InputEvent,
  Insets,
  Orientation,
  RelayoutRequest,
  SessionId,
  WindowConfiguration,
  WindowDump,
  WindowEventSink,
  WindowId,
  WindowLayers,
  WindowManagerDump,
  WindowSpec,
  WindowType,
} from './types.js';
import { ALL_WINDOW_FLAGS, WINDOW_TYPES, WindowFlag } from './types.js';

export interface WindowManagerOptions {
  /** Open/close transitions and the rotation animation (default true; tests turn them off). */
  readonly animations?: boolean;
  /** Open and close transitions, ms (default 200). */
  readonly transitionDuration?: number;
  /** The rotation cross-fade, ms (default 300). */
  readonly rotationDuration?: number;
  /** Errors of event sinks and animations (default: console.error). */
  readonly onError?: (error: unknown) => void;
}

export interface SessionOptions {
  /** Allocates the buffers of this session's window surfaces (the server charges the app). */
  readonly allocate?: AllocateBuffer;
  /** Receives every event of the session's windows, in order per window. */
  readonly sink: WindowEventSink;
}

/** What the owner of a new window gets. */
export interface WindowHandle {
  readonly id: WindowId;
  readonly layers: WindowLayers;
  /** The producer end of the window's buffer queue (the app's Surface). */
  readonly producer: BufferProducer;
  /** The first layout (also sent as a `configured` event). */
  readonly config: WindowConfiguration;
}

/** A window as others see it (viewer, CLI, tests). */
export interface WindowInfo {
  readonly id: WindowId;
  readonly title: string;
  readonly type: WindowType;
  readonly display: DisplayId;
  readonly visible: boolean;
  readonly focused: boolean;
  readonly frame: Rect;
  readonly z: number;
  readonly layers: WindowLayers;
}

/** Scale of a window at the start of its open transition and the end of its close. */
const TRANSITION_SCALE = 0.9;
/** Above every window type: the rotation screenshot. */
const SCREENSHOT_Z = WINDOW_TYPES.length * Z_PER_TYPE;
const IDENTITY_MATRIX: Matrix2x2 = Object.freeze({ dsdx: 1, dtdx: 0, dtdy: 0, dsdy: 1 });
const MAX_TITLE = 64;
const MAX_KEY = 32;
const MAX_POINTER_ID = 255;

interface ContainerState {
  readonly x: number;
  readonly y: number;
  readonly matrix: Matrix2x2;
  readonly alpha: number;
  readonly hidden: boolean;
  readonly z: number;
  readonly crop: Rect;
  readonly layerStack: number;
}

interface Win {
  readonly id: WindowId;
  readonly session: Session;
  readonly title: string;
  readonly type: WindowType;
  readonly flags: number;
  readonly display: DisplayId;
  readonly layers: WindowLayers;
  readonly producer: BufferProducer;
  readonly channel: EventChannel;
  request: { width: number; height: number; x: number | null; y: number | null };
  touchableRegion: readonly Rect[] | null;
  visible: boolean;
  /** Removed by its owner and fading out: no input, no focus, gone when the animation ends. */
  removing: boolean;
  /** Orders windows within a type: higher = on top (bumped on focus). */
  order: number;
  frame: Rect;
  /** The config last sent to the owner (undefined before the first layout). */
  sentConfig: WindowConfiguration | undefined;
  /** A window transform the WM applies about the frame's top-left (magnification, tests). */
  matrix: Matrix2x2;
  /** Transition values: scale about the window's center, and alpha. */
  animScale: number;
  animAlpha: number;
  cancelAnimation: (() => void) | undefined;
  applied: ContainerState | undefined;
  z: number;
  inputSequence: number;
  transformHint: Transform;
}

interface Gesture {
  readonly window: WindowId;
  readonly display: DisplayId;
  readonly kind: 'pointer' | 'touch';
  readonly pointerId: number;
  /** Last position (display pixels), where a cancel is reported. */
  x: number;
  y: number;
}

interface Session {
  readonly id: SessionId;
  readonly name: string;
  readonly flinger: FlingerClient;
  readonly sink: WindowEventSink;
  readonly windows: Set<WindowId>;
  disposed: boolean;
}

interface DisplayState {
  readonly id: DisplayId;
  rotation: Orientation;
  focused: WindowId | null;
  insets: Insets;
}

export class WindowManager {
  readonly #flinger: Flinger;
  readonly #client: FlingerClient;
  readonly #windows = new Map<WindowId, Win>();
  readonly #sessions = new Map<SessionId, Session>();
  readonly #displays = new Map<DisplayId, DisplayState>();
  /** `${display}:${kind}:${pointerId}` -> the gesture in progress and the window it started in. */
  readonly #gestures = new Map<string, Gesture>();
  readonly #animator: Animator;
  readonly #onError: (error: unknown) => void;
  readonly #transitionDuration: number;
  readonly #rotationDuration: number;
  #animations: boolean;
  #nextWindowId = 1;
  #nextSessionId = 1;
  #nextOrder = 1;
  #disposed = false;

  constructor(flinger: Flinger, options: WindowManagerOptions = {}) {
    this.#flinger = flinger;
    this.#client = flinger.createClient('window-manager', { privileged: true });
    this.#animations = options.animations ?? true;
    this.#transitionDuration = checkDuration('transitionDuration', options.transitionDuration ?? 200);
    this.#rotationDuration = checkDuration('rotationDuration', options.rotationDuration ?? 300);
    this.#onError = options.onError ?? ((error) => console.error('window manager:', error));
    this.#animator = new Animator(flinger, () => this.#commit());
  }

  get flinger(): Flinger {
    return this.#flinger;
  }

  get animationsEnabled(): boolean {
    return this.#animations;
  }

  /** Turning animations off ends the running ones at their final state. */
  setAnimationsEnabled(enabled: boolean): void {
    this.#animations = enabled;
    if (!enabled) this.#animator.finishAll();
  }

  /** Resolves once no transition or rotation animation runs. */
  animationsDone(): Promise<void> {
    return this.#animator.idle();
  }

  // ---- sessions (one per app) -----------------------------------------------------------------

  /** An app's session: its windows, charged to `allocate`, events to `sink`. Dispose it when the app dies. */
  createSession(name: string, options: SessionOptions): WindowSession {
    this.#checkAlive();
    if (typeof options?.sink !== 'function') throw new StratumError('BAD_VALUE', 'a window session needs an event sink function');
    const flinger = this.#flinger.createClient(`wm:${name}`, options.allocate ? { allocate: options.allocate } : {});
    const session: Session = { id: this.#nextSessionId++, name, flinger, sink: options.sink, windows: new Set(), disposed: false };
    this.#sessions.set(session.id, session);
    return new WindowSession(this, session);
  }

  // ---- windows ----------------------------------------------------------------------------------

  /** @internal WindowSession.addWindow. */
  addWindowFor(session: Session, spec: WindowSpec): WindowHandle {
    this.#checkSession(session);
    if (typeof spec !== 'object' || spec === null) throw new StratumError('BAD_VALUE', 'addWindow needs a window spec object');
    if (!isWindowType(spec.type)) throw new StratumError('BAD_VALUE', `window type must be one of ${WINDOW_TYPES.join(', ')}, got ${String(spec.type)}`);
    if (typeof spec.title !== 'string' || spec.title.length === 0 || spec.title.length > MAX_TITLE) {
      throw new StratumError('BAD_VALUE', `window title must be a string of 1..${MAX_TITLE} characters`);
    }
    const flags = spec.flags ?? 0;
    checkRequestNumber('flags', flags, 0, ALL_WINDOW_FLAGS);
    if ((flags & ~ALL_WINDOW_FLAGS) !== 0) throw new StratumError('BAD_VALUE', `window flags 0x${flags.toString(16)} have unknown bits`);
    const width = checkRequestNumber('width', spec.width ?? 0, 0, MAX_WINDOW_SIDE);
    const height = checkRequestNumber('height', spec.height ?? 0, 0, MAX_WINDOW_SIDE);
    const x = spec.x === undefined ? null : checkRequestNumber('x', spec.x, -MAX_WINDOW_SIDE, MAX_WINDOW_SIDE);
    const y = spec.y === undefined ? null : checkRequestNumber('y', spec.y, -MAX_WINDOW_SIDE, MAX_WINDOW_SIDE);
    const display = this.#display(spec.display ?? this.#flinger.primaryDisplay.id);
    if (session.windows.size >= MAX_WINDOWS_PER_SESSION) throw new StratumError('LIMIT_EXCEEDED', `the session already has ${MAX_WINDOWS_PER_SESSION} windows`);
    if (this.#windows.size >= MAX_WINDOWS) throw new StratumError('LIMIT_EXCEEDED', `the window manager already holds ${MAX_WINDOWS} windows`);
    const state = this.#displayState(display);
    const id = this.#nextWindowId++;
    const hint = rotationTransform(state.rotation);
    const container = session.flinger.createLayer({
      name: `Window#${id} ${spec.title}`,
      kind: 'container',
      parent: ROOT_LAYER,
      initial: { hidden: true, layerStack: display.layerStack },
    });
    let surface;
    try {
      surface = session.flinger.createLayer({
        name: spec.title,
        kind: 'buffer',
        parent: container.id,
        initial: { opaque: (flags & WindowFlag.OPAQUE) !== 0, secure: (flags & WindowFlag.SECURE) !== 0 },
        queue: width > 0 && height > 0 ? { width, height } : {},
      });
    } catch (error) {
      session.flinger.destroyLayer(container.id);
      throw error;
    }
    const producer = surface.producer;
    if (!producer) throw new StratumError('INVALID_OPERATION', 'the flinger gave a buffer layer without a queue');
    const win: Win = {
      id,
      session,
      title: spec.title,
      type: spec.type,
      flags,
      display: display.id,
      layers: { container: container.id, surface: surface.id },
      producer,
      channel: new EventChannel((event) => session.sink(event), (error) => this.#onError(error)),
      request: { width, height, x, y },
      touchableRegion: null,
      visible: spec.visible ?? true,
      removing: false,
      order: this.#nextOrder++,
      frame: { left: 0, top: 0, right: 1, bottom: 1 },
      sentConfig: undefined,
      matrix: IDENTITY_MATRIX,
      animScale: 1,
      animAlpha: 1,
      cancelAnimation: undefined,
      applied: undefined,
      z: 0,
      inputSequence: 0,
      transformHint: hint,
    };
    this.#windows.set(id, win);
    session.windows.add(id);
    this.#setTransformHint(win, hint);
    if (win.visible) this.#startTransition(win, 'open');
    this.#layoutDisplay(state);
    if (win.visible && typeTakesFocus(win.type, win.flags)) this.#setFocus(state, win);
    this.#commit();
    const config = win.sentConfig ?? this.#configFor(win, state);
    return { id, layers: win.layers, producer, config };
  }

  /** @internal */
  relayoutFor(session: Session | null, id: WindowId, request: RelayoutRequest): WindowConfiguration {
    const win = this.#window(session, id);
    if (typeof request !== 'object' || request === null) throw new StratumError('BAD_VALUE', 'relayout needs a request object');
    const next = { ...win.request };
    if (request.width !== undefined) next.width = checkRequestNumber('width', request.width, 0, MAX_WINDOW_SIDE);
    if (request.height !== undefined) next.height = checkRequestNumber('height', request.height, 0, MAX_WINDOW_SIDE);
    if (request.x !== undefined) next.x = checkRequestNumber('x', request.x, -MAX_WINDOW_SIDE, MAX_WINDOW_SIDE);
    if (request.y !== undefined) next.y = checkRequestNumber('y', request.y, -MAX_WINDOW_SIDE, MAX_WINDOW_SIDE);
    if (request.touchableRegion !== undefined) win.touchableRegion = checkRegion(request.touchableRegion);
    win.request = next;
    const state = this.#displayState(this.#display(win.display));
    this.#layoutDisplay(state);
    this.#commit();
    return win.sentConfig ?? this.#configFor(win, state);
  }

  /** @internal */
  setVisibleFor(session: Session | null, id: WindowId, visible: boolean): void {
    const win = this.#window(session, id);
    if (typeof visible !== 'boolean') throw new StratumError('BAD_VALUE', `visible must be a boolean, got ${String(visible)}`);
    if (win.visible === visible) return;
    win.visible = visible;
    const state = this.#displayState(this.#display(win.display));
    if (visible) {
      this.#startTransition(win, 'open');
      this.#layoutDisplay(state);
      if (typeTakesFocus(win.type, win.flags)) this.#setFocus(state, win);
    } else {
      this.#cancelGestures(win, true);
      this.#stopAnimation(win);
      win.animAlpha = 1;
      win.animScale = 1;
      this.#layoutDisplay(state);
      if (state.focused === win.id) this.#setFocus(state, this.#topFocusable(state));
    }
    this.#commit();
  }

  /** @internal Removes a window: it stops taking input and focus now and leaves the screen after its close transition. */
  removeWindowFor(session: Session | null, id: WindowId): void {
    const win = this.#window(session, id);
    win.removing = true;
    win.session.windows.delete(win.id);
    win.channel.close();
    this.#cancelGestures(win, false);
    const state = this.#displayState(this.#display(win.display));
    if (state.focused === win.id) {
      state.focused = null;
      this.#setFocus(state, this.#topFocusable(state));
    }
    if (win.visible && this.#animations) {
      this.#startTransition(win, 'close');
    } else {
      this.#destroyWindow(win);
    }
    this.#layoutDisplay(state);
    this.#commit();
  }

  /** @internal The app is gone: every window of it disappears at once (no transition). */
  disposeSession(session: Session): void {
    if (session.disposed) return;
    session.disposed = true;
    const touched = new Set<DisplayState>();
    for (const id of [...session.windows]) {
      const win = this.#windows.get(id);
      if (!win) continue;
      win.channel.close();
      this.#cancelGestures(win, false);
      const state = this.#displays.get(win.display);
      if (state) {
        touched.add(state);
        if (state.focused === win.id) state.focused = null;
      }
      this.#destroyWindow(win);
    }
    // Windows still closing belong to the session's layers too: they go with it.
    for (const win of [...this.#windows.values()]) if (win.session === session) this.#destroyWindow(win);
    session.windows.clear();
    session.flinger.dispose();
    this.#sessions.delete(session.id);
    for (const state of touched) {
      if (state.focused === null) this.#setFocus(state, this.#topFocusable(state));
      this.#layoutDisplay(state);
    }
    this.#commit();
  }

  // ---- privileged operations (viewer, CLI, system) ------------------------------------------------

  relayout(id: WindowId, request: RelayoutRequest): WindowConfiguration {
    return this.relayoutFor(null, id, request);
  }

  setVisible(id: WindowId, visible: boolean): void {
    this.setVisibleFor(null, id, visible);
  }

  removeWindow(id: WindowId): void {
    this.removeWindowFor(null, id);
  }

  /**
   * Sets a window transform (scale, flips, quarter turns) applied about the frame's top-left
   * corner, as a magnifier or a rotated surface would. Input follows it.
   */
  setWindowTransform(id: WindowId, matrix: Matrix2x2): void {
    const win = this.#window(null, id);
    for (const key of ['dsdx', 'dtdx', 'dtdy', 'dsdy'] as const) {
      const value = matrix?.[key];
      if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > 64) throw new StratumError('BAD_VALUE', `matrix.${key} must be a finite number in -64..64`);
    }
    if (!invert(localTransform({ x: 0, y: 0 }, matrix))) throw new StratumError('BAD_VALUE', 'the window matrix must be invertible');
    win.matrix = { dsdx: matrix.dsdx, dtdx: matrix.dtdx, dtdy: matrix.dtdy, dsdy: matrix.dsdy };
    this.#commit();
  }

  /** Gives focus to a window (as a click would), or clears it with null. */
  focusWindow(display: DisplayId, id: WindowId | null): void {
    const state = this.#displayState(this.#display(display));
    if (id === null) {
      this.#setFocus(state, null);
    } else {
      const win = this.#window(null, id);
      if (win.display !== display) throw new StratumError('BAD_VALUE', `window ${id} is on display ${win.display}, not ${display}`);
      if (!this.#focusable(win)) throw new StratumError('INVALID_OPERATION', `window ${id} (${win.title}) cannot take focus`);
      this.#setFocus(state, win);
    }
    this.#commit();
  }

  focusedWindow(display: DisplayId = this.#flinger.primaryDisplay.id): WindowId | null {
    return this.#displays.get(display)?.focused ?? null;
  }

  window(id: WindowId): WindowInfo {
    return this.#info(this.#window(null, id));
  }

  /** Windows of a display (or all), top to bottom; windows fading out after removal are left out. */
  windows(display?: DisplayId): WindowInfo[] {
    return this.#stacked(display).filter((w) => !w.removing).map((w) => this.#info(w));
  }

  /** The window a touch at display pixel (x, y) would land on, if any. */
  windowAt(x: number, y: number, display: DisplayId = this.#flinger.primaryDisplay.id): WindowId | null {
    return this.#hitTest(this.#displayState(this.#display(display)), x, y)?.id ?? null;
  }

  /** The display's rotation (0 until rotateDisplay). */
  rotation(display: DisplayId = this.#flinger.primaryDisplay.id): Orientation {
    return this.#displayState(this.#display(display)).rotation;
  }

  insets(display: DisplayId = this.#flinger.primaryDisplay.id): Insets {
    const state = this.#displayState(this.#display(display));
    this.#layoutDisplay(state);
    return state.insets;
  }

  // ---- input ----------------------------------------------------------------------------------------

  /**
   * Dispatches one injected event: pointer and touch events by hit-testing (a gesture stays with
   * the window it started in), keys to the focused window. Never waits for any app.
   */
  injectInput(event: InputEvent): InjectResult {
    this.#checkAlive();
    if (typeof event !== 'object' || event === null) throw new StratumError('BAD_VALUE', 'an input event must be an object');
    const display = this.#display(event.display ?? this.#flinger.primaryDisplay.id);
    const state = this.#displayState(display);
    const eventTime = event.eventTime ?? monotonicNow();
    if (!Number.isFinite(eventTime)) throw new StratumError('BAD_VALUE', `eventTime must be a finite time in ms, got ${String(eventTime)}`);
    if (event.kind === 'key') {
      if (event.action !== 'down' && event.action !== 'up') throw new StratumError('BAD_VALUE', `key action must be 'down' or 'up', got ${String(event.action)}`);
      if (typeof event.key !== 'string' || event.key.length === 0 || event.key.length > MAX_KEY) throw new StratumError('BAD_VALUE', `key must be a name of 1..${MAX_KEY} characters`);
      const modifiers = checkRequestNumber('modifiers', event.modifiers ?? 0, 0, 15);
      const repeat = checkRequestNumber('repeat', event.repeat ?? 0, 0, 0xffff);
      const target = state.focused === null ? undefined : this.#windows.get(state.focused);
      if (!target) return { window: null, dropped: 'no window has focus' };
      return this.#deliver(target, { kind: 'key', action: event.action, key: event.key, modifiers, repeat, eventTime, sequence: 0 });
    }
    if (event.kind !== 'pointer' && event.kind !== 'touch') throw new StratumError('BAD_VALUE', `input kind must be 'pointer', 'touch' or 'key', got ${String((event as { kind: unknown }).kind)}`);
    if (!['down', 'move', 'up', 'cancel'].includes(event.action)) throw new StratumError('BAD_VALUE', `pointer action must be down, move, up or cancel, got ${String(event.action)}`);
    for (const [name, value] of [['x', event.x], ['y', event.y]] as const) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new StratumError('BAD_VALUE', `${name} must be a finite number, got ${String(value)}`);
    }
    const pointerId = checkRequestNumber('pointerId', event.pointerId ?? 0, 0, MAX_POINTER_ID);
    const buttons = checkRequestNumber('buttons', event.buttons ?? (event.kind === 'pointer' && event.action !== 'up' && event.action !== 'cancel' ? 1 : 0), 0, 0xff);
    const key = `${display.id}:${event.kind}:${pointerId}`;
    let target: Win | undefined;
    let action: DeliveredInput['action'] = event.action;
    if (event.action === 'down') {
      target = this.#hitTest(state, event.x, event.y);
      if (!target) {
        this.#gestures.delete(key);
        return { window: null, dropped: `no touchable window at (${event.x}, ${event.y})` };
      }
      this.#gestures.set(key, { window: target.id, display: display.id, kind: event.kind, pointerId, x: event.x, y: event.y });
      if (this.#focusable(target) && state.focused !== target.id) {
        this.#setFocus(state, target);
        this.#commit();
      }
    } else {
      const gesture = this.#gestures.get(key);
      if (gesture !== undefined) {
        target = this.#windows.get(gesture.window);
        gesture.x = event.x;
        gesture.y = event.y;
        if (event.action === 'up' || event.action === 'cancel') this.#gestures.delete(key);
      } else if (event.kind === 'pointer' && event.action === 'move') {
        target = this.#hitTest(state, event.x, event.y);
        action = 'hover';
      }
      if (!target) return { window: null, dropped: `no ${event.kind} gesture in progress for pointer ${pointerId}` };
    }
    const local = this.#toWindow(target, state, event.x, event.y);
    return this.#deliver(target, { kind: event.kind, action, x: local.x, y: local.y, rawX: event.x, rawY: event.y, pointerId, buttons, eventTime, sequence: 0 });
  }

  /** Types text into the focused window: a key down and up per character. */
  injectText(text: string, display?: DisplayId): InjectResult[] {
    if (typeof text !== 'string' || text.length > 4096) throw new StratumError('BAD_VALUE', 'text must be a string of at most 4096 characters');
    const results: InjectResult[] = [];
    for (const ch of text) {
      const key = ch === '\n' ? 'Enter' : ch;
      results.push(this.injectInput({ kind: 'key', action: 'down', key, ...(display !== undefined ? { display } : {}) }));
      results.push(this.injectInput({ kind: 'key', action: 'up', key, ...(display !== undefined ? { display } : {}) }));
    }
    return results;
  }

  // ---- rotation -------------------------------------------------------------------------------------

  /**
   * Rotates a display: its projection turns the layer stack by `orientation`, every window is laid
   * out again in the new logical size and told so, every window producer's transform hint follows,
   * and (animations on) a screenshot of the old screen fades out over the new layout.
   */
  async rotateDisplay(displayId: DisplayId, orientation: Orientation): Promise<void> {
    this.#checkAlive();
    if (![0, 90, 180, 270].includes(orientation)) throw new StratumError('BAD_VALUE', `orientation must be 0, 90, 180 or 270, got ${String(orientation)}`);
    const display = this.#display(displayId);
    const state = this.#displayState(display);
    if (state.rotation === orientation) return;
    const screenshot = this.#animations ? await this.#screenshotLayer(display) : undefined;
    if (this.#disposed) {
      // Its layer went with the WM's client; the buffer was never handed to the flinger.
      screenshot?.buffer.dispose();
      return;
    }
    // Gestures end in the geometry they started in.
    this.#cancelGesturesOnDisplay(display.id);
    state.rotation = orientation;
    const [w, h] = orientation === 90 || orientation === 270 ? [display.height, display.width] : [display.width, display.height];
    display.setProjection({ orientation, layerStackRect: { left: 0, top: 0, right: w, bottom: h }, displayRect: { left: 0, top: 0, right: w, bottom: h } });
    this.#flinger.invalidateDisplay(display.id);
    const hint = rotationTransform(orientation);
    for (const win of this.#windows.values()) if (win.display === display.id) this.#setTransformHint(win, hint);
    this.#hintOtherProducers(display, hint);
    this.#layoutDisplay(state);
    this.#commit(screenshot ? [this.#placeScreenshot(screenshot, display)] : []);
    if (screenshot) this.#fadeScreenshot(screenshot);
  }

  // ---- dump -------------------------------------------------------------------------------------------

  dump(): WindowManagerDump {
    const displays: DisplayWindowsDump[] = [];
    for (const display of this.#flinger.displays) {
      const state = this.#displayState(display);
      this.#layoutDisplay(state);
      const { width, height } = logicalSize(display, state.rotation);
      displays.push({
        display: display.id,
        width,
        height,
        rotation: state.rotation,
        insets: state.insets,
        focused: state.focused,
        windows: this.#stacked(display.id).map((w) => this.#dumpWindow(w, state)),
      });
    }
    return {
      animations: this.#animations,
      displays,
      activeAnimations: this.#animator.active,
      sessions: [...this.#sessions.values()].map((s) => ({ id: s.id, name: s.name, windows: s.windows.size })),
    };
  }

  dumpText(): string {
    const d = this.dump();
    const lines = [`WINDOW MANAGER (animations ${d.animations ? 'on' : 'off'}, ${d.activeAnimations} running)`];
    for (const display of d.displays) {
      const i = display.insets;
      lines.push(`display ${display.display}: ${display.width}x${display.height} rotation ${display.rotation} insets t${i.top} b${i.bottom} l${i.left} r${i.right} focus ${display.focused ?? 'none'}`);
      for (const w of display.windows) {
        const f = w.frame;
        const state = [w.visible ? 'visible' : 'hidden', w.focused ? 'FOCUSED' : '', w.removing ? 'removing' : ''].filter(Boolean).join(' ');
        lines.push(`  #${w.id} ${w.type} '${w.title}' (${w.session}) frame [${f.left},${f.top},${f.right},${f.bottom}] z ${w.z} ${state} alpha ${round3(w.alpha)} layers ${w.layers.container}/${w.layers.surface} events pending ${w.pendingEvents} dropped ${w.eventsDropped}`);
      }
    }
    for (const s of d.sessions) lines.push(`session ${s.id} '${s.name}': ${s.windows} windows`);
    return lines.join('\n');
  }

  /** Ends animations, removes every window and session, releases the WM's flinger client. */
  dispose(): void {
    if (this.#disposed) return;
    this.#animator.dispose();
    for (const session of [...this.#sessions.values()]) this.disposeSession(session);
    this.#disposed = true;
    this.#client.dispose();
  }

  // ---- internals: layout and z ------------------------------------------------------------------------

  #layoutDisplay(state: DisplayState): void {
    const display = this.#displayOrUndefined(state.id);
    if (!display) return;
    const { width, height } = logicalSize(display, state.rotation);
    const whole: Rect = { left: 0, top: 0, right: width, bottom: height };
    const wins = [...this.#windows.values()].filter((w) => w.display === state.id);
    const bar = (type: 'status-bar' | 'navigation-bar'): number => {
      const w = wins.filter((x) => x.type === type && x.visible && !x.removing).sort((a, b) => b.order - a.order)[0];
      return w ? barThickness(type, w.request.height, height) : 0;
    };
    const bars = { statusBar: bar('status-bar'), navigationBar: bar('navigation-bar') };
    state.insets = barInsets(bars.statusBar, bars.navigationBar);
    const content = contentArea(whole, state.insets);
    for (const type of WINDOW_TYPES) {
      const ofType = wins.filter((w) => w.type === type).sort((a, b) => a.order - b.order);
      ofType.forEach((w, i) => {
        w.z = typeRank(type) * Z_PER_TYPE + i;
      });
    }
    for (const win of wins) {
      if (win.removing) continue;
      win.frame = layoutFrame({ type: win.type, flags: win.flags, ...win.request }, whole, content, bars);
      const config = this.#configFor(win, state);
      if (!win.sentConfig || !configsEqual(win.sentConfig, config)) {
        win.sentConfig = config;
        win.channel.post({ type: 'configured', window: win.id, config });
      }
    }
  }

  #configFor(win: Win, state: DisplayState): WindowConfiguration {
    const display = this.#display(win.display);
    const { width, height } = logicalSize(display, state.rotation);
    return { frame: { ...win.frame }, displayWidth: width, displayHeight: height, rotation: state.rotation, transformHint: win.transformHint, insets: state.insets };
  }

  /** The container state a window should have now. */
  #target(win: Win): ContainerState {
    const w = win.frame.right - win.frame.left;
    const h = win.frame.bottom - win.frame.top;
    const s = win.animScale;
    const m = win.matrix;
    // Scale about the window's center, then the window matrix, then move to the frame.
    const cx = ((1 - s) * w) / 2;
    const cy = ((1 - s) * h) / 2;
    return {
      x: win.frame.left + m.dsdx * cx + m.dtdy * cy,
      y: win.frame.top + m.dtdx * cx + m.dsdy * cy,
      matrix: s === 1 ? m : { dsdx: m.dsdx * s, dtdx: m.dtdx * s, dtdy: m.dtdy * s, dsdy: m.dsdy * s },
      alpha: win.animAlpha,
      hidden: !win.visible,
      z: win.z,
      crop: { left: 0, top: 0, right: w, bottom: h },
      layerStack: this.#display(win.display).layerStack,
    };
  }

  /** Sends what changed on screen since the last commit as one transaction. */
  #commit(extra: TransactionData['layers'] = []): void {
    if (this.#disposed) return;
    const layers: { layer: LayerId; changes: LayerChanges }[] = [...extra];
    for (const win of this.#windows.values()) {
      const target = this.#target(win);
      const before = win.applied;
      const changes: Mutable<LayerChanges> = {};
      if (!before || before.x !== target.x || before.y !== target.y) changes.position = { x: target.x, y: target.y };
      if (!before || !matricesEqual(before.matrix, target.matrix)) changes.matrix = target.matrix;
      if (!before || before.alpha !== target.alpha) changes.alpha = target.alpha;
      if (!before || before.hidden !== target.hidden) changes.hidden = target.hidden;
      if (!before || before.z !== target.z) changes.z = target.z;
      if (!before || !rectsEqual(before.crop, target.crop)) changes.crop = target.crop;
      if (!before || before.layerStack !== target.layerStack) changes.layerStack = target.layerStack;
      if (Object.keys(changes).length === 0) continue;
      win.applied = target;
      layers.push({ layer: win.layers.container, changes });
    }
    if (layers.length === 0) return;
    try {
      this.#client.apply({ layers });
    } catch (error) {
      this.#onError(error);
    }
  }

  #stacked(display?: DisplayId): Win[] {
    return [...this.#windows.values()].filter((w) => display === undefined || w.display === display).sort((a, b) => b.z - a.z || b.order - a.order);
  }

  // ---- internals: focus -----------------------------------------------------------------------------

  #focusable(win: Win): boolean {
    return win.visible && !win.removing && typeTakesFocus(win.type, win.flags);
  }

  #topFocusable(state: DisplayState): Win | null {
    return this.#stacked(state.id).find((w) => this.#focusable(w)) ?? null;
  }

  #setFocus(state: DisplayState, win: Win | null): void {
    if (win && win.order !== this.#nextOrder - 1) {
      // Most recently focused on top of its type.
      win.order = this.#nextOrder++;
      this.#layoutDisplay(state);
    }
    const next = win?.id ?? null;
    if (state.focused === next) return;
    const previous = state.focused === null ? undefined : this.#windows.get(state.focused);
    state.focused = next;
    if (previous && !previous.removing) previous.channel.post({ type: 'focus', window: previous.id, focused: false });
    if (win) win.channel.post({ type: 'focus', window: win.id, focused: true });
  }

  // ---- internals: input ---------------------------------------------------------------------------

  /** Window space -> display pixels. */
  #windowToDisplay(win: Win, state: DisplayState): Affine {
    const target = this.#target(win);
    const display = this.#display(state.id);
    return compose(display.projectionTransform(), localTransform({ x: target.x, y: target.y }, target.matrix));
  }

  #toWindow(win: Win, state: DisplayState, x: number, y: number): { x: number; y: number } {
    const inverse = invert(this.#windowToDisplay(win, state));
    if (!inverse) return { x: Number.NaN, y: Number.NaN };
    const p = mapPoint(inverse, x, y);
    return { x: p.x, y: p.y };
  }

  /** The top window whose touchable region holds the point (half-open edges, like pixels). */
  #hitTest(state: DisplayState, x: number, y: number): Win | undefined {
    for (const win of this.#stacked(state.id)) {
      if (!win.visible || win.removing || !typeTakesTouch(win.type, win.flags)) continue;
      const p = this.#toWindow(win, state, x, y);
      const w = win.frame.right - win.frame.left;
      const h = win.frame.bottom - win.frame.top;
      if (!(p.x >= 0 && p.y >= 0 && p.x < w && p.y < h)) continue;
      const region = win.touchableRegion;
      if (region && !region.some((r) => p.x >= r.left && p.x < r.right && p.y >= r.top && p.y < r.bottom)) continue;
      return win;
    }
    return undefined;
  }

  #deliver(win: Win, input: DeliveredInput): InjectResult {
    const numbered = { ...input, sequence: win.inputSequence + 1 } as DeliveredInput;
    if (!win.channel.post({ type: 'input', window: win.id, input: numbered })) return { window: null, dropped: `window ${win.id}'s event queue is full` };
    win.inputSequence++;
    return { window: win.id, dropped: null };
  }

  /** Ends the window's gestures; with `notify` the window is sent a cancel for each (it was hidden under them). */
  #cancelGestures(win: Win, notify: boolean): void {
    for (const [key, gesture] of [...this.#gestures]) {
      if (gesture.window !== win.id) continue;
      this.#gestures.delete(key);
      if (notify) this.#sendCancel(win, gesture);
    }
  }

  /** The display's geometry changed under its gestures (rotation): each window is sent a cancel. */
  #cancelGesturesOnDisplay(display: DisplayId): void {
    for (const [key, gesture] of [...this.#gestures]) {
      if (gesture.display !== display) continue;
      this.#gestures.delete(key);
      const win = this.#windows.get(gesture.window);
      if (win && !win.removing) this.#sendCancel(win, gesture);
    }
  }

  #sendCancel(win: Win, gesture: Gesture): void {
    const state = this.#displays.get(gesture.display);
    if (!state) return;
    const local = this.#toWindow(win, state, gesture.x, gesture.y);
    this.#deliver(win, { kind: gesture.kind, action: 'cancel', x: local.x, y: local.y, rawX: gesture.x, rawY: gesture.y, pointerId: gesture.pointerId, buttons: 0, eventTime: monotonicNow(), sequence: 0 });
  }

  // ---- internals: transitions and rotation animation --------------------------------------------------

  #startTransition(win: Win, kind: 'open' | 'close'): void {
    this.#stopAnimation(win);
    if (!this.#animations) {
      win.animAlpha = 1;
      win.animScale = 1;
      return;
    }
    const [fromAlpha, toAlpha, fromScale, toScale] = kind === 'open' ? [0, 1, TRANSITION_SCALE, 1] : [win.animAlpha, 0, win.animScale, TRANSITION_SCALE];
    win.animAlpha = fromAlpha;
    win.animScale = fromScale;
    win.cancelAnimation = this.#animator.start({
      duration: this.#transitionDuration,
      step: (progress) => {
        const t = easeOut(progress);
        win.animAlpha = lerp(fromAlpha, toAlpha, t);
        win.animScale = lerp(fromScale, toScale, t);
      },
      done: () => {
        win.cancelAnimation = undefined;
        if (kind === 'close') {
          this.#destroyWindow(win);
        }
      },
    });
  }

  #stopAnimation(win: Win): void {
    const cancel = win.cancelAnimation;
    win.cancelAnimation = undefined;
    cancel?.();
  }

  async #screenshotLayer(display: HeadlessDisplay): Promise<{ layer: LayerId; buffer: GraphicBuffer } | undefined> {
    let image;
    try {
      image = await this.#flinger.capture(display.id);
    } catch (error) {
      this.#onError(error);
      return undefined;
    }
    const buffer = GraphicBuffer.allocate({ width: image.width, height: image.height, format: PixelFormat.RGBA_8888, usage: Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE, strideAlignment: 4 });
    const bytes = buffer.bytes();
    const row = image.width * 4;
    for (let y = 0; y < image.height; y++) bytes.set(image.rgba.subarray(y * row, (y + 1) * row), y * buffer.stride * 4);
    const layer = this.#client.createLayer({ name: `RotationScreenshot display ${display.id}`, kind: 'buffer', parent: ROOT_LAYER, initial: { hidden: true, layerStack: display.layerStack } });
    return { layer: layer.id, buffer };
  }

  /** The screenshot shows the old panel pixels unchanged: its layer maps panel pixels back through the new projection. */
  #placeScreenshot(shot: { layer: LayerId; buffer: GraphicBuffer }, display: HeadlessDisplay): { layer: LayerId; changes: LayerChanges } {
    const inverse = invert(display.projectionTransform());
    const m = inverse ?? { a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0 };
    const buffer = shot.buffer;
    return {
      layer: shot.layer,
      changes: {
        position: { x: m.tx, y: m.ty },
        matrix: { dsdx: m.a, dtdx: m.b, dtdy: m.c, dsdy: m.d },
        z: SCREENSHOT_Z,
        hidden: false,
        alpha: 1,
        buffer: { buffer, onRelease: () => buffer.dispose() },
      },
    };
  }

  #fadeScreenshot(shot: { layer: LayerId }): void {
    let alpha = 1;
    this.#animator.start({
      duration: this.#rotationDuration,
      step: (progress) => {
        alpha = lerp(1, 0, easeOut(progress));
        if (alpha > 0) this.#client.apply({ layers: [{ layer: shot.layer, changes: { alpha } }] });
      },
      done: () => {
        try {
          this.#client.apply({ layers: [], destroy: [shot.layer] });
        } catch (error) {
          this.#onError(error);
        }
      },
    });
  }

  // ---- internals: bookkeeping ------------------------------------------------------------------------

  #destroyWindow(win: Win): void {
    if (!this.#windows.delete(win.id)) return;
    this.#stopAnimation(win);
    win.channel.close();
    win.session.windows.delete(win.id);
    if (!win.session.flinger.disposed) {
      try {
        win.session.flinger.destroyLayer(win.layers.surface);
        win.session.flinger.destroyLayer(win.layers.container);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  #setTransformHint(win: Win, hint: Transform): void {
    win.transformHint = hint;
    try {
      this.#client.setTransformHint(win.layers.surface, hint);
    } catch (error) {
      this.#onError(error);
    }
  }

  /** Every other buffer layer shown on the display (apps' child surfaces, free surfaces) gets the hint too. */
  #hintOtherProducers(display: HeadlessDisplay, hint: Transform): void {
    const layers = this.#flinger.dump().layers;
    const byId = new Map(layers.map((l) => [l.id, l]));
    const windowSurfaces = new Set([...this.#windows.values()].map((w) => w.layers.surface));
    for (const layer of layers) {
      if (layer.kind !== 'buffer' || windowSurfaces.has(layer.id)) continue;
      let root = layer;
      for (let parent = root.parent; parent !== null && parent !== ROOT_LAYER; parent = root.parent) {
        const next = byId.get(parent);
        if (!next) break;
        root = next;
      }
      if (root.parent !== ROOT_LAYER || root.properties.layerStack !== display.layerStack) continue;
      try {
        this.#client.setTransformHint(layer.id, hint);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  #info(win: Win): WindowInfo {
    const state = this.#displays.get(win.display);
    return {
      id: win.id,
      title: win.title,
      type: win.type,
      display: win.display,
      visible: win.visible && !win.removing,
      focused: state?.focused === win.id,
      frame: { ...win.frame },
      z: win.z,
      layers: win.layers,
    };
  }

  #dumpWindow(win: Win, state: DisplayState): WindowDump {
    const target = this.#target(win);
    return {
      id: win.id,
      title: win.title,
      type: win.type,
      session: win.session.name,
      display: win.display,
      flags: win.flags,
      visible: win.visible,
      focused: state.focused === win.id,
      removing: win.removing,
      frame: { ...win.frame },
      requested: { ...win.request },
      z: win.z,
      layers: win.layers,
      matrix: target.matrix,
      alpha: target.alpha,
      transformHint: win.transformHint,
      pendingEvents: win.channel.pending,
      eventsDropped: win.channel.dropped,
    };
  }

  #window(session: Session | null, id: WindowId): Win {
    this.#checkAlive();
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new StratumError('BAD_VALUE', `window id must be an integer, got ${String(id)}`);
    const win = this.#windows.get(id);
    if (!win || win.removing) throw new StratumError('NAME_NOT_FOUND', `window ${id} does not exist`);
    if (session && win.session !== session) throw new StratumError('PERMISSION_DENIED', `window ${id} belongs to another app`);
    return win;
  }

  #display(id: DisplayId): HeadlessDisplay {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new StratumError('BAD_VALUE', `display must be a display id, got ${String(id)}`);
    return this.#flinger.display(id);
  }

  #displayOrUndefined(id: DisplayId): HeadlessDisplay | undefined {
    return this.#flinger.displays.find((d) => d.id === id);
  }

  #displayState(display: HeadlessDisplay): DisplayState {
    let state = this.#displays.get(display.id);
    if (!state) {
      state = { id: display.id, rotation: display.projection.orientation, focused: null, insets: { left: 0, top: 0, right: 0, bottom: 0 } };
      this.#displays.set(display.id, state);
    }
    return state;
  }

  #checkSession(session: Session): void {
    this.#checkAlive();
    if (session.disposed) throw new StratumError('DEAD_OBJECT', `window session ${session.name} has been disposed`);
  }

  #checkAlive(): void {
    if (this.#disposed) throw new StratumError('DEAD_OBJECT', 'the window manager has been disposed');
  }
}

/** An app's face of the window manager: only its own windows. */
export class WindowSession {
  readonly #wm: WindowManager;
  readonly #session: Session;

  /** @internal WindowManager.createSession. */
  constructor(wm: WindowManager, session: Session) {
    this.#wm = wm;
    this.#session = session;
  }

  get id(): SessionId {
    return this.#session.id;
  }

  get name(): string {
    return this.#session.name;
  }

  get disposed(): boolean {
    return this.#session.disposed;
  }

  /** This session's live windows. */
  get windows(): readonly WindowId[] {
    return [...this.#session.windows];
  }

  addWindow(spec: WindowSpec): WindowHandle {
    return this.#wm.addWindowFor(this.#session, spec);
  }

  relayout(id: WindowId, request: RelayoutRequest): WindowConfiguration {
    return this.#wm.relayoutFor(this.#session, id, request);
  }

  setVisible(id: WindowId, visible: boolean): void {
    this.#wm.setVisibleFor(this.#session, id, visible);
  }

  removeWindow(id: WindowId): void {
    this.#wm.removeWindowFor(this.#session, id);
  }

  /** The app died or disconnected: every one of its windows disappears now. */
  dispose(): void {
    this.#wm.disposeSession(this.#session);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function logicalSize(display: HeadlessDisplay, rotation: Orientation): { width: number; height: number } {
  return rotation === 90 || rotation === 270 ? { width: display.height, height: display.width } : { width: display.width, height: display.height };
}

function configsEqual(a: WindowConfiguration, b: WindowConfiguration): boolean {
  return (
    rectsEqual(a.frame, b.frame) &&
    a.displayWidth === b.displayWidth &&
    a.displayHeight === b.displayHeight &&
    a.rotation === b.rotation &&
    a.transformHint === b.transformHint &&
    a.insets.top === b.insets.top &&
    a.insets.bottom === b.insets.bottom &&
    a.insets.left === b.insets.left &&
    a.insets.right === b.insets.right
  );
}

function matricesEqual(a: Matrix2x2, b: Matrix2x2): boolean {
  return a.dsdx === b.dsdx && a.dtdx === b.dtdx && a.dtdy === b.dtdy && a.dsdy === b.dsdy;
}

function checkRegion(region: readonly Rect[] | null): readonly Rect[] | null {
  if (region === null) return null;
  if (!Array.isArray(region) || region.length > MAX_TOUCHABLE_RECTS) throw new StratumError('BAD_VALUE', `touchableRegion must be null or an array of at most ${MAX_TOUCHABLE_RECTS} rectangles`);
  return region.map((r: Rect, i) => {
    for (const key of ['left', 'top', 'right', 'bottom'] as const) checkRequestNumber(`touchableRegion[${i}].${key}`, r?.[key], -MAX_WINDOW_SIDE, MAX_WINDOW_SIDE);
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  });
}

function checkDuration(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 10_000) throw new StratumError('BAD_VALUE', `${name} must be 0..10000 ms, got ${String(value)}`);
  return value;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
