// Windows from the app's side: ask the window manager for one, draw into its Surface, hear its
// layout, focus and input. The window's SurfaceControl is restricted: it can be the parent of the
// app's own child surfaces (which the app changes freely), but the window layer itself belongs to
// the window manager: transactions that change it are refused with PERMISSION_DENIED.
import { StratumError } from '../os/status.js';
import type { Rect } from '../region/rect.js';
import { InputActionCode, InputKindCode, WindowFlagBits, WindowTypeCode } from '../protocol/index.js';
import type { EventMessage, ReplyArgs, ReplyName, RequestArgs } from '../protocol/index.js';
import type { Surface, SurfaceControl } from './surface.js';

export type WindowTypeName = keyof typeof WindowTypeCode;

export interface AddWindowOptions {
  readonly type: WindowTypeName;
  readonly title: string;
  /** Requested size; 0 or absent = the policy's (applications fill the space the bars leave). */
  readonly width?: number;
  readonly height?: number;
  /** Requested position in logical display space; absent = the policy's placement. */
  readonly x?: number;
  readonly y?: number;
  /** WindowFlag bits (NOT_FOCUSABLE, NOT_TOUCHABLE, LAYOUT_FULLSCREEN, OPAQUE, SECURE). */
  readonly flags?: number;
  /** Default: the primary display. */
  readonly display?: number;
}

export interface WindowConfig {
  readonly frame: Rect;
  readonly displayWidth: number;
  readonly displayHeight: number;
  readonly rotation: number;
  /** Pre-rotate buffers by this Transform to spare the compositor the rotation. */
  readonly transformHint: number;
  /** What the bars take from each edge of the display. */
  readonly insets: { readonly left: number; readonly top: number; readonly right: number; readonly bottom: number };
}

export type InputEventKind = 'pointer' | 'touch' | 'key';
export type InputAction = 'down' | 'move' | 'up' | 'cancel' | 'hover';

/** An input event as the window receives it. */
export interface WindowInputEvent {
  readonly kind: InputEventKind;
  readonly action: InputAction;
  /** Window space (pointer and touch). */
  readonly x: number;
  readonly y: number;
  /** Display pixels as injected. */
  readonly rawX: number;
  readonly rawY: number;
  readonly pointerId: number;
  readonly buttons: number;
  /** Keys: the key name. */
  readonly key: string;
  readonly modifiers: number;
  readonly repeat: number;
  /** When the event happened: CLOCK_MONOTONIC ms (`wireNow()` in this process's terms). */
  readonly eventTime: number;
  /** Counts this window's input events from 1, without gaps. */
  readonly sequence: number;
}

/** An event to inject (as the viewer and `stratum input` do). */
export type InjectInputEvent =
  | {
      readonly kind: 'pointer' | 'touch';
      readonly action: 'down' | 'move' | 'up' | 'cancel';
      /** Display pixels. */
      readonly x: number;
      readonly y: number;
      readonly pointerId?: number;
      readonly buttons?: number;
      readonly display?: number;
      /** CLOCK_MONOTONIC ms (wireNow()); default: when the server receives it. */
      readonly eventTime?: number;
    }
  | {
      readonly kind: 'key';
      readonly action: 'down' | 'up';
      readonly key: string;
      readonly modifiers?: number;
      readonly display?: number;
      readonly eventTime?: number;
    };

export interface InjectInputResult {
  /** The window that received it, or null. */
  readonly window: number | null;
  /** Why no window received it ('' when one did). */
  readonly dropped: string;
}

/** What a window needs from the connection. */
export interface WindowLink {
  request<N extends ReplyName>(name: N, objectId: number, args: RequestArgs<N>): Promise<ReplyArgs<N>>;
  /** Routes this window's events (including any that arrived before the reply) to `handler`. */
  onWindowEvent(window: number, handler: (event: EventMessage) => void): () => void;
}

const ACTION_NAMES: Record<number, InputAction | undefined> = { 0: 'down', 1: 'move', 2: 'up', 3: 'cancel', 4: 'hover' };
const KIND_NAMES: Record<number, InputEventKind | undefined> = { 0: 'pointer', 1: 'touch', 2: 'key' };

export const WindowFlag = WindowFlagBits;

/** A window of this app. */
export class Window {
  readonly #link: WindowLink;
  readonly #inputListeners = new Set<(event: WindowInputEvent) => void>();
  readonly #configListeners = new Set<(config: WindowConfig) => void>();
  readonly #focusListeners = new Set<(focused: boolean) => void>();
  readonly #unsubscribe: () => void;
  #config: WindowConfig;
  #focused = false;
  #removed = false;

  /** @internal StratumClient.addWindow. */
  constructor(
    link: WindowLink,
    readonly id: number,
    readonly title: string,
    readonly type: WindowTypeName,
    /** Restricted: a parent for child surfaces; the window layer itself is the window manager's. */
    readonly control: SurfaceControl,
    config: WindowConfig,
  ) {
    this.#link = link;
    this.#config = config;
    this.#unsubscribe = link.onWindowEvent(id, (event) => this.#onEvent(event));
  }

  /** The producer end of the window's buffer queue: draw here at the frame's size. */
  get surface(): Surface {
    return this.control.surface;
  }

  /** The latest layout the window manager sent. */
  get config(): WindowConfig {
    return this.#config;
  }

  get focused(): boolean {
    return this.#focused;
  }

  get removed(): boolean {
    return this.#removed;
  }

  onInput(listener: (event: WindowInputEvent) => void): () => void {
    this.#inputListeners.add(listener);
    return () => this.#inputListeners.delete(listener);
  }

  onConfigured(listener: (config: WindowConfig) => void): () => void {
    this.#configListeners.add(listener);
    return () => this.#configListeners.delete(listener);
  }

  onFocus(listener: (focused: boolean) => void): () => void {
    this.#focusListeners.add(listener);
    return () => this.#focusListeners.delete(listener);
  }

  /** Asks for another size or position (0 = the policy's size); resolves with the final layout. */
  async relayout(request: { width?: number; height?: number; x?: number; y?: number; touchableRegion?: readonly Rect[] | null }): Promise<WindowConfig> {
    this.#checkAlive();
    const reply = await this.#link.request('relayoutWindow', 0, {
      window: this.id,
      ...(request.width !== undefined ? { width: request.width } : {}),
      ...(request.height !== undefined ? { height: request.height } : {}),
      ...(request.x !== undefined ? { x: request.x } : {}),
      ...(request.y !== undefined ? { y: request.y } : {}),
      ...(request.touchableRegion !== undefined ? { touchableRegion: [...(request.touchableRegion ?? [])] } : {}),
    });
    this.#config = windowConfig(reply.config);
    return this.#config;
  }

  async setVisible(visible: boolean): Promise<void> {
    this.#checkAlive();
    await this.#link.request('setWindowVisible', 0, { window: this.id, visible });
  }

  /** Removes the window; its surface is dead afterwards. */
  async remove(): Promise<void> {
    if (this.#removed) return;
    this.#removed = true;
    this.#unsubscribe();
    this.control.surface.dropBuffers();
    await this.#link.request('removeWindow', 0, { window: this.id });
  }

  #checkAlive(): void {
    if (this.#removed) throw new StratumError('DEAD_OBJECT', `window ${this.id} (${this.title}) was removed`);
  }

  #onEvent(event: EventMessage): void {
    switch (event.name) {
      case 'windowConfigured': {
        this.#config = windowConfig(event.args.config);
        for (const listener of this.#configListeners) listener(this.#config);
        return;
      }
      case 'windowFocus': {
        this.#focused = event.args.focused;
        for (const listener of this.#focusListeners) listener(this.#focused);
        return;
      }
      case 'inputEvent': {
        const a = event.args;
        const input: WindowInputEvent = {
          kind: KIND_NAMES[a.kind] ?? 'pointer',
          action: ACTION_NAMES[a.action] ?? 'move',
          x: a.x,
          y: a.y,
          rawX: a.rawX,
          rawY: a.rawY,
          pointerId: a.pointerId,
          buttons: a.buttons,
          key: a.key,
          modifiers: a.modifiers,
          repeat: a.repeat,
          eventTime: a.eventTime,
          sequence: a.sequence,
        };
        for (const listener of this.#inputListeners) listener(input);
        return;
      }
      default:
        return;
    }
  }
}

/** @internal */
export function windowConfig(c: ReplyArgs<'addWindow'>['config']): WindowConfig {
  return { frame: c.frame, displayWidth: c.displayWidth, displayHeight: c.displayHeight, rotation: c.rotation, transformHint: c.transformHint, insets: c.insets };
}

/** @internal The injectInput request for an event. */
export function injectArgs(event: InjectInputEvent): RequestArgs<'injectInput'> {
  if (typeof event !== 'object' || event === null) throw new StratumError('BAD_VALUE', 'injectInput needs an event object');
  const kind = (InputKindCode as Record<string, number | undefined>)[event.kind];
  if (kind === undefined) throw new StratumError('BAD_VALUE', `input kind must be 'pointer', 'touch' or 'key', got ${String(event.kind)}`);
  const action = (InputActionCode as Record<string, number | undefined>)[event.action];
  if (action === undefined || action === InputActionCode.hover) throw new StratumError('BAD_VALUE', `input action must be down, move, up or cancel, got ${String(event.action)}`);
  const common = { kind, action, display: event.display ?? 0, ...(event.eventTime !== undefined ? { eventTime: event.eventTime } : {}) };
  if (event.kind === 'key') return { ...common, x: 0, y: 0, pointerId: 0, buttons: 0, key: event.key, modifiers: event.modifiers ?? 0 };
  return { ...common, x: event.x, y: event.y, pointerId: event.pointerId ?? 0, buttons: event.buttons ?? 0, key: '', modifiers: 0 };
}

export function windowTypeCode(type: WindowTypeName): number {
  const code = (WindowTypeCode as Record<string, number | undefined>)[type];
  if (code === undefined) throw new StratumError('BAD_VALUE', `window type must be one of ${Object.keys(WindowTypeCode).join(', ')}, got ${String(type)}`);
  return code;
}
