// A ViewerBackend over plain RGBA framebuffers, for testing the viewer without the compositor:
// tests paint rectangles and present them with their damage, like a display would.
import { encode } from 'fast-png';
import type { Rect } from '../../src/region/rect.js';
import { rect } from '../../src/region/rect.js';
import type {
  DisplayInfo,
  DisplaySize,
  InputEvent,
  Unsubscribe,
  ViewerBackend,
  ViewerDump,
  ViewerFrame,
} from '../../src/viewer/backend.js';

interface MemoryDisplay {
  info: DisplayInfo;
  pixels: Uint8Array;
  frame: ViewerFrame | undefined;
  frameNumber: number;
  listeners: Set<(frame: ViewerFrame) => void>;
}

export class MemoryBackend implements ViewerBackend {
  private readonly list = new Map<number, MemoryDisplay>();
  private readonly displayListeners = new Set<() => void>();
  private nextId = 0;
  readonly inputs: InputEvent[] = [];
  hotplug = true;

  addDisplay(size: DisplaySize, kind: DisplayInfo['kind'] = 'internal'): DisplayInfo {
    const id = this.nextId++;
    const info: DisplayInfo = { id, name: `${kind}-${id}`, kind, width: size.width, height: size.height, refreshHz: size.refreshHz ?? 60 };
    this.list.set(id, { info, pixels: new Uint8Array(size.width * size.height * 4), frame: undefined, frameNumber: 0, listeners: new Set() });
    for (const listener of this.displayListeners) listener();
    return info;
  }

  private get(id: number): MemoryDisplay {
    const display = this.list.get(id);
    if (!display) throw new Error(`no display ${id}`);
    return display;
  }

  /** Fills a rectangle of the back framebuffer; nothing is shown until present(). */
  fill(displayId: number, r: Rect, color: readonly [number, number, number, number]): void {
    const display = this.get(displayId);
    const stride = display.info.width * 4;
    for (let y = r.top; y < r.bottom; y++) {
      for (let x = r.left; x < r.right; x++) display.pixels.set(color, y * stride + x * 4);
    }
  }

  /** Presents the framebuffer with the given damage; the shown copy is stable until the next present. */
  present(displayId: number, damage: readonly Rect[], presentTime = performance.now()): ViewerFrame {
    const display = this.get(displayId);
    const { width, height } = display.info;
    display.frameNumber++;
    const frame: ViewerFrame = { width, height, stride: width * 4, rgba: display.pixels.slice(), damage, frameNumber: display.frameNumber, presentTime };
    display.frame = frame;
    for (const listener of display.listeners) listener(frame);
    return frame;
  }

  displays(): readonly DisplayInfo[] {
    return [...this.list.values()].map((d) => d.info);
  }

  onDisplaysChanged(listener: () => void): Unsubscribe {
    this.displayListeners.add(listener);
    return () => this.displayListeners.delete(listener);
  }

  latestFrame(displayId: number): ViewerFrame | undefined {
    return this.list.get(displayId)?.frame;
  }

  onFrame(displayId: number, listener: (frame: ViewerFrame) => void): Unsubscribe {
    const display = this.get(displayId);
    display.listeners.add(listener);
    return () => display.listeners.delete(listener);
  }

  listenerCount(displayId: number): number {
    return this.list.get(displayId)?.listeners.size ?? 0;
  }

  dump(): ViewerDump {
    return {
      layers: [{ id: 1, name: 'background', kind: 'color', z: 0, properties: { alpha: 1 }, children: [] }],
      outputLayers: Object.fromEntries(
        this.displays().map((d) => [d.id, [{ layerId: 1, name: 'background', compositionType: 'CLIENT', displayFrame: rect(0, 0, d.width, d.height) }]]),
      ),
      text: `${this.list.size} display(s)`,
    };
  }

  captureDisplayPng(displayId: number): Promise<Uint8Array> {
    const display = this.get(displayId);
    const frame = display.frame;
    if (!frame) return Promise.reject(new Error(`display ${displayId} has not presented`));
    return Promise.resolve(encode({ width: frame.width, height: frame.height, data: frame.rgba, channels: 4, depth: 8 }));
  }

  connectExternalDisplay(size: DisplaySize): Promise<DisplayInfo> {
    const info = this.addDisplay(size, 'external');
    this.fill(info.id, rect(0, 0, size.width, size.height), [0, 0, 255, 255]);
    this.present(info.id, [rect(0, 0, size.width, size.height)]);
    return Promise.resolve(info);
  }

  disconnectDisplay(displayId: number): Promise<void> {
    this.get(displayId);
    this.list.delete(displayId);
    for (const listener of this.displayListeners) listener();
    return Promise.resolve();
  }

  private inputWaiters: { count: number; resolve: () => void }[] = [];

  injectInput(event: InputEvent): void {
    this.inputs.push(event);
    const ready = this.inputWaiters.filter((w) => this.inputs.length >= w.count);
    this.inputWaiters = this.inputWaiters.filter((w) => this.inputs.length < w.count);
    for (const waiter of ready) waiter.resolve();
  }

  /** Resolves once `count` input events in total have arrived. */
  waitForInputs(count: number): Promise<void> {
    if (this.inputs.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.inputWaiters.push({ count, resolve }));
  }
}
