// Displays that come and go while `stratum start` runs, driven from the viewer: external displays
// through the composer's hotplug, virtual displays with an in-process output queue. Each new
// display mirrors the primary's layer stack, scaled to fit and centered (letterboxed).
import { GraphicBuffer } from '../buffer/index.js';
import type { SoftwareComposer } from '../composer/index.js';
import { HeadlessDisplay, VirtualDisplay } from '../display/index.js';
import type { Flinger } from '../flinger/index.js';
import { StratumError } from '../os/status.js';
import { BufferQueue } from '../queue/buffer-queue.js';
import type { Rect } from '../region/rect.js';
import { rect } from '../region/rect.js';
import type { DisplayInfo, DisplaySize } from '../viewer/backend.js';

/** The largest rect of the source's aspect that fits in width x height, centered. */
export function fitRect(source: { width: number; height: number }, width: number, height: number): Rect {
  const scale = Math.min(width / source.width, height / source.height);
  const w = Math.max(1, Math.round(source.width * scale));
  const h = Math.max(1, Math.round(source.height * scale));
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  return rect(left, top, left + w, top + h);
}

interface Added {
  readonly display: HeadlessDisplay;
  readonly queue?: BufferQueue;
}

export class DisplayControl {
  private readonly added = new Map<number, Added>();

  constructor(
    private readonly flinger: Flinger,
    private readonly composer: SoftwareComposer,
    private readonly onChanged: () => void,
  ) {}

  private mirrorPrimary(display: HeadlessDisplay): void {
    const primary = this.flinger.primaryDisplay;
    display.setProjection({
      orientation: 0,
      layerStackRect: rect(0, 0, primary.width, primary.height),
      displayRect: fitRect(primary, display.width, display.height),
    });
    display.layerStack = primary.layerStack;
  }

  private info(display: HeadlessDisplay): DisplayInfo {
    return { id: display.id, name: display.name, kind: display.kind, width: display.width, height: display.height, refreshHz: display.refreshRate };
  }

  connectExternal(size: DisplaySize): Promise<DisplayInfo> {
    const display = new HeadlessDisplay({ kind: 'external', width: size.width, height: size.height, refreshRate: size.refreshHz ?? 60 });
    this.mirrorPrimary(display);
    // Hotplug: the composer reports it (the flinger adds its output), then it is switched on.
    this.composer.hotplugConnect(display);
    this.composer.display(display.id).setPowerMode('on');
    this.added.set(display.id, { display });
    this.onChanged();
    return Promise.resolve(this.info(display));
  }

  createVirtual(size: DisplaySize): Promise<DisplayInfo> {
    const queue = new BufferQueue({ allocate: (spec) => GraphicBuffer.allocate(spec), name: 'viewer-virtual-display' });
    // The viewer shows the display's own pixels; the output queue's frames are taken and returned.
    queue.consumer.connect({
      onFrameAvailable: () => {
        const frame = queue.consumer.acquire();
        queue.consumer.release(frame.slot, frame.frameNumber);
      },
    });
    const display = new VirtualDisplay({ width: size.width, height: size.height, output: queue.producer });
    this.mirrorPrimary(display);
    this.flinger.addDisplay(display);
    this.added.set(display.id, { display, queue });
    this.onChanged();
    return Promise.resolve(this.info(display));
  }

  /** Unplugs an external display or removes a virtual one. The primary cannot go. */
  async remove(displayId: number): Promise<void> {
    const entry = this.added.get(displayId);
    if (!entry) {
      const known = this.flinger.displays.some((d) => d.id === displayId);
      throw new StratumError(known ? 'INVALID_OPERATION' : 'NAME_NOT_FOUND', known ? `display ${displayId} was not added from the viewer and stays` : `no display ${displayId}`);
    }
    this.added.delete(displayId);
    if (entry.display.kind === 'external') this.composer.hotplugDisconnect(displayId);
    else this.flinger.removeDisplay(displayId);
    this.onChanged();
    // Its framebuffer may still be read by a frame in flight.
    await this.flinger.settled();
    entry.display.dispose();
    entry.queue?.consumer.disconnect();
  }

  async dispose(): Promise<void> {
    for (const id of [...this.added.keys()]) await this.remove(id);
  }
}
