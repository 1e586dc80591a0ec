// Window manager test scaffolding: a real flinger on a ManualVsyncSource display, a WM with
// animations off unless asked, and apps whose sinks record every event they receive.
import { PixelFormat } from '../../src/buffer/index.js';
import type { BufferProducer } from '../../src/queue/index.js';
import { WindowManager } from '../../src/wm/index.js';
import type { DeliveredInput, WindowEvent, WindowEventSink, WindowManagerOptions, WindowSession } from '../../src/wm/index.js';
import { fillRect, harness } from '../flinger/support.js';
import type { Harness, RGBA } from '../flinger/support.js';

export interface WmHarness extends Harness {
  readonly wm: WindowManager;
  app(name: string, sink?: WindowEventSink): TestApp;
}

export interface TestApp {
  readonly session: WindowSession;
  readonly events: WindowEvent[];
  /** Input events received by one window (or all). */
  inputs(window?: number): DeliveredInput[];
  focusEvents(window: number): boolean[];
}

export function wmHarness(size: { width: number; height: number } = { width: 200, height: 400 }, options: WindowManagerOptions = {}): WmHarness {
  const h = harness(size);
  const wm = new WindowManager(h.flinger, {
    animations: false,
    onError: (error) => {
      throw error;
    },
    ...options,
  });
  return {
    ...h,
    wm,
    app(name: string, sink?: WindowEventSink): TestApp {
      const events: WindowEvent[] = [];
      const session = wm.createSession(name, {
        sink: (event) => {
          events.push(event);
          return sink?.(event);
        },
      });
      return {
        session,
        events,
        inputs: (window) => events.flatMap((e) => (e.type === 'input' && (window === undefined || e.window === window) ? [e.input] : [])),
        focusEvents: (window) => events.flatMap((e) => (e.type === 'focus' && e.window === window ? [e.focused] : [])),
      };
    },
    dispose(): void {
      wm.dispose();
      h.dispose();
    },
  };
}

/** Draws one solid frame into a window's surface at its frame size and queues it. */
export async function drawWindow(producer: BufferProducer, width: number, height: number, color: RGBA): Promise<number> {
  if (!producer.connected) producer.connect({});
  const { slot, buffer } = await producer.dequeue({ width, height, format: PixelFormat.RGBA_8888 });
  fillRect(buffer, { left: 0, top: 0, right: width, bottom: height }, color);
  return producer.queue(slot, {}).transformHint;
}
