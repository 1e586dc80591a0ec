// Virtual displays: composed like any display, but their frames go into a BufferQueue whose
// producer the compositor holds (screen recording, casting, "simulate secondary displays"). They
// have no VSync of their own: the primary display's VSync drives their frames. Non-secure by
// default (secure layers black), and skip-screenshot layers are left out.
import { StratumError } from '../os/status.js';
import type { BufferProducer } from '../queue/buffer-queue.js';
import type { LayerStack } from '../flinger/types.js';
import { HeadlessDisplay } from './display.js';
import { ManualVsyncSource } from './vsync.js';

export interface VirtualDisplayConfig {
  readonly name?: string;
  readonly width: number;
  readonly height: number;
  /** Where frames go; the display connects as its producer and never waits for a free buffer. */
  readonly output: BufferProducer;
  /** The stack it shows: the primary's to mirror it, or one of its own. Default 0. */
  readonly layerStack?: LayerStack;
  /** Show secure layers' content. Default false. */
  readonly secure?: boolean;
}

export class VirtualDisplay extends HeadlessDisplay {
  readonly output: BufferProducer;
  /** Frames written into the output queue. */
  framesQueued = 0;
  /** Frames composed while the output queue had no free buffer (or was gone). */
  framesDropped = 0;

  constructor(config: VirtualDisplayConfig) {
    if (typeof config !== 'object' || config === null) throw new StratumError('BAD_VALUE', 'virtual display config must be an object');
    const output = config.output;
    if (typeof output !== 'object' || output === null || typeof output.dequeue !== 'function') throw new StratumError('BAD_VALUE', 'virtual display output must be a BufferProducer');
    super({
      ...(config.name !== undefined ? { name: config.name } : {}),
      width: config.width,
      height: config.height,
      kind: 'virtual',
      secure: config.secure ?? false,
      layerStack: config.layerStack ?? 0,
      // Never asked for: the primary's VSync drives virtual displays.
      vsync: new ManualVsyncSource(60),
      modes: [{ width: config.width, height: config.height, refreshRate: 60 }],
    });
    output.connect({ label: `virtual display ${this.name}` });
    output.setWhenFull('fail');
    this.output = output;
  }

  override dispose(): void {
    if (this.output.connected) this.output.disconnect();
    super.dispose();
  }
}
