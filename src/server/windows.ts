// One connection's windows: the window requests mapped onto a window manager session, and the
// session's events (layout, focus, input) turned into protocol events. Sending is never awaited:
// each event is written to this client's socket at once (its own bounded backlog), so a client
// that stops reading delays nobody else's input.
import type { LayerHandle } from '../flinger/types.js';
import { StratumError } from '../os/status.js';
import { InputActionCode, InputKindCode, WindowTypeCode, localTimeToWire, wireTimeToLocal } from '../protocol/index.js';
import type { EventArgs, EventName, ReplyArgs, RequestArgs } from '../protocol/index.js';
import type { AllocateBuffer } from '../queue/types.js';
import type { InputEvent, WindowConfiguration, WindowEvent, WindowManager, WindowSession, WindowType } from '../wm/index.js';

export interface WindowLink {
  /** Sends one event to the client (never throws; a dead client is the connection's business). */
  event<N extends EventName>(name: N, args: EventArgs<N>): void;
  /** Registers the window's buffer layer as a surface of the connection; returns its surface id. */
  adoptSurface(layer: LayerHandle, title: string): number;
  /** The window is gone: its surface id stops working. */
  dropSurface(surface: number): void;
}

const TYPE_BY_CODE = new Map<number, WindowType>(Object.entries(WindowTypeCode).map(([name, code]) => [code, name as WindowType]));
const KIND_BY_CODE = new Map<number, 'pointer' | 'touch' | 'key'>(Object.entries(InputKindCode).map(([name, code]) => [code, name as 'pointer' | 'touch' | 'key']));
const ACTION_BY_CODE = new Map<number, 'down' | 'move' | 'up' | 'cancel'>([
  [InputActionCode.down, 'down'],
  [InputActionCode.move, 'move'],
  [InputActionCode.up, 'up'],
  [InputActionCode.cancel, 'cancel'],
]);

export class ConnectionWindows {
  readonly #wm: WindowManager;
  readonly #session: WindowSession;
  readonly #link: WindowLink;
  /** Window id -> the surface id the client knows it by. */
  readonly #surfaces = new Map<number, number>();

  constructor(wm: WindowManager, name: string, allocate: AllocateBuffer, link: WindowLink) {
    this.#wm = wm;
    this.#link = link;
    this.#session = wm.createSession(name, { allocate, sink: (event) => this.#send(event) });
  }

  addWindow(args: RequestArgs<'addWindow'>): ReplyArgs<'addWindow'> {
    const type = TYPE_BY_CODE.get(args.type);
    if (!type) throw new StratumError('BAD_VALUE', `window type ${args.type} is not one of 0..${TYPE_BY_CODE.size - 1} (WindowTypeCode)`);
    const handle = this.#session.addWindow({
      type,
      title: args.title,
      width: args.width,
      height: args.height,
      ...(args.x !== undefined ? { x: args.x } : {}),
      ...(args.y !== undefined ? { y: args.y } : {}),
      flags: args.flags,
      ...(args.display !== 0 ? { display: args.display } : {}),
    });
    let surface: number;
    try {
      surface = this.#link.adoptSurface({ id: handle.layers.surface, name: args.title, kind: 'buffer', producer: handle.producer }, args.title);
    } catch (error) {
      this.#session.removeWindow(handle.id);
      throw error;
    }
    this.#surfaces.set(handle.id, surface);
    return { window: handle.id, surface, layerId: handle.layers.surface, config: wireConfig(handle.config) };
  }

  relayout(args: RequestArgs<'relayoutWindow'>): ReplyArgs<'relayoutWindow'> {
    const config = this.#session.relayout(args.window, {
      ...(args.width !== undefined ? { width: args.width } : {}),
      ...(args.height !== undefined ? { height: args.height } : {}),
      ...(args.x !== undefined ? { x: args.x } : {}),
      ...(args.y !== undefined ? { y: args.y } : {}),
      ...(args.touchableRegion !== undefined ? { touchableRegion: args.touchableRegion.length === 0 ? null : args.touchableRegion } : {}),
    });
    return { config: wireConfig(config) };
  }

  setVisible(args: RequestArgs<'setWindowVisible'>): void {
    this.#session.setVisible(args.window, args.visible);
  }

  remove(args: RequestArgs<'removeWindow'>): void {
    this.#session.removeWindow(args.window);
    const surface = this.#surfaces.get(args.window);
    this.#surfaces.delete(args.window);
    if (surface !== undefined) this.#link.dropSurface(surface);
  }

  injectInput(args: RequestArgs<'injectInput'>): ReplyArgs<'injectInput'> {
    const kind = KIND_BY_CODE.get(args.kind);
    if (!kind) throw new StratumError('BAD_VALUE', `input kind ${args.kind} is not 0 (pointer), 1 (touch) or 2 (key)`);
    const action = ACTION_BY_CODE.get(args.action);
    if (!action) throw new StratumError('BAD_VALUE', `input action ${args.action} is not 0 (down), 1 (move), 2 (up) or 3 (cancel)`);
    const common = {
      ...(args.display !== 0 ? { display: args.display } : {}),
      ...(args.eventTime !== undefined ? { eventTime: wireTimeToLocal(args.eventTime) } : {}),
    };
    let event: InputEvent;
    if (kind === 'key') {
      if (action !== 'down' && action !== 'up') throw new StratumError('BAD_VALUE', `key action must be 0 (down) or 2 (up), got ${args.action}`);
      event = { kind, action, key: args.key, modifiers: args.modifiers, ...common };
    } else {
      event = { kind, action, x: args.x, y: args.y, pointerId: args.pointerId, buttons: args.buttons, ...common };
    }
    const result = this.#wm.injectInput(event);
    return { window: result.window ?? 0, dropped: result.dropped ?? '' };
  }

  /** The client is gone: every one of its windows disappears now. */
  dispose(): void {
    this.#surfaces.clear();
    this.#session.dispose();
  }

  #send(event: WindowEvent): void {
    switch (event.type) {
      case 'configured':
        this.#link.event('windowConfigured', { window: event.window, config: wireConfig(event.config) });
        return;
      case 'focus':
        this.#link.event('windowFocus', { window: event.window, focused: event.focused });
        return;
      case 'input': {
        const input = event.input;
        const eventTime = localTimeToWire(input.eventTime);
        if (input.kind === 'key') {
          this.#link.event('inputEvent', {
            window: event.window,
            kind: InputKindCode.key,
            action: InputActionCode[input.action],
            x: 0,
            y: 0,
            rawX: 0,
            rawY: 0,
            pointerId: 0,
            buttons: 0,
            key: input.key,
            modifiers: input.modifiers,
            repeat: input.repeat,
            eventTime,
            sequence: input.sequence,
          });
        } else {
          this.#link.event('inputEvent', {
            window: event.window,
            kind: InputKindCode[input.kind],
            action: InputActionCode[input.action],
            x: input.x,
            y: input.y,
            rawX: input.rawX,
            rawY: input.rawY,
            pointerId: input.pointerId,
            buttons: input.buttons,
            key: '',
            modifiers: 0,
            repeat: 0,
            eventTime,
            sequence: input.sequence,
          });
        }
        return;
      }
    }
  }
}

function wireConfig(config: WindowConfiguration): ReplyArgs<'addWindow'>['config'] {
  const i = config.insets;
  return {
    frame: config.frame,
    displayWidth: config.displayWidth,
    displayHeight: config.displayHeight,
    rotation: config.rotation,
    transformHint: config.transformHint,
    insets: { left: i.left, top: i.top, right: i.right, bottom: i.bottom },
  };
}
