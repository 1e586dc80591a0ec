// Simulated secondary displays (the seeds' closed loop): a virtual display whose output queue is
// the queue of an overlay layer on a host display, so the flinger itself consumes the frames it
// produced, zero copy. Mirroring the host's stack shows the overlay inside itself: the nested
// images of the loop. remove() takes the display, the layer and its buffers away.
import { VirtualDisplay } from '../display/virtual.js';
import type { HeadlessDisplay } from '../display/display.js';
import type { Flinger } from '../flinger/flinger.js';
import type { FlingerClient } from '../flinger/flinger.js';
import type { LayerId, LayerStack } from '../flinger/types.js';
import { StratumError } from '../os/status.js';
import type { AllocateBuffer } from '../queue/types.js';
import type { Rect } from '../region/rect.js';
import { rect } from '../region/rect.js';
import { followDisplay } from './mirror.js';

export interface SimulatedDisplayOptions {
  readonly width: number;
  readonly height: number;
  /** Reported dots per inch. Default 160. */
  readonly density?: number;
  /** Mirror this display (the closed loop when it is the host); default: a stack of its own. */
  readonly mirror?: HeadlessDisplay;
  /** The stack to show when not mirroring; default a new, empty one. */
  readonly layerStack?: LayerStack;
  /** Where the overlay is shown; default the primary display. */
  readonly host?: HeadlessDisplay;
  /** Allocates the overlay queue's buffers (for accounting); default plain allocation. */
  readonly allocate?: AllocateBuffer;
  readonly name?: string;
}

/** Overlay z: above application windows and bars. */
const OVERLAY_Z = 1_000_000;
const MARGIN = 16;

export class SimulatedDisplay {
  #removed = false;

  /** @internal use simulateDisplay(). */
  constructor(
    private readonly flinger: Flinger,
    readonly display: VirtualDisplay,
    readonly layer: LayerId,
    /** The overlay's place on the host display, in its layer-stack space. */
    readonly frame: Rect,
    readonly density: number,
    private readonly client: FlingerClient,
    private readonly unfollow: () => void,
  ) {}

  get removed(): boolean {
    return this.#removed;
  }

  /** Removes the display, the overlay layer, its queue and buffers. Idempotent. */
  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.unfollow();
    if (this.flinger.displays.includes(this.display)) this.flinger.removeDisplay(this.display.id);
    // A composition in flight may still write into the display's framebuffer and the overlay's
    // queue: free them once it is over.
    void this.flinger.settled().then(() => {
      this.display.dispose();
      this.client.dispose();
    });
  }
}

export function simulateDisplay(flinger: Flinger, options: SimulatedDisplayOptions): SimulatedDisplay {
  if (typeof options !== 'object' || options === null) throw new StratumError('BAD_VALUE', 'simulated display options must be an object');
  const { width, height } = options;
  for (const [what, side] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(side) || side < 2 || side > 8192) throw new StratumError('BAD_VALUE', `simulated display ${what} must be an integer in 2..8192, got ${String(side)}`);
  }
  const density = options.density ?? 160;
  if (!Number.isFinite(density) || density < 40 || density > 1000) throw new StratumError('BAD_VALUE', `simulated display density must be 40..1000 dpi, got ${String(density)}`);
  const host = options.host ?? flinger.primaryDisplay;
  const name = options.name ?? `simulated ${width}x${height}`;
  const client = flinger.createClient(name, options.allocate ? { allocate: options.allocate } : {});
  try {
    // Fit the overlay in half the host's layer-stack space, at its bottom-right corner.
    const hostStack = host.projection.layerStackRect;
    const hostW = hostStack.right - hostStack.left;
    const hostH = hostStack.bottom - hostStack.top;
    const scale = Math.min(1, (hostW / 2) / width, (hostH / 2) / height);
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const left = Math.max(0, hostStack.right - MARGIN - w);
    const top = Math.max(0, hostStack.bottom - MARGIN - h);
    const frame = rect(left, top, left + w, top + h);
    const layer = client.createLayer({
      kind: 'buffer',
      name,
      queue: { width, height, queueSize: 3 },
      initial: { layerStack: host.layerStack, position: { x: left, y: top }, matrix: { dsdx: scale, dtdx: 0, dtdy: 0, dsdy: scale }, z: OVERLAY_Z, opaque: true },
    });
    if (!layer.producer) throw new StratumError('INVALID_OPERATION', 'the overlay layer has no queue');
    const stack = options.layerStack ?? Math.max(0, ...flinger.displays.map((d) => d.layerStack)) + 1;
    const display = new VirtualDisplay({ name, width, height, output: layer.producer, layerStack: stack });
    const unfollow = options.mirror ? followDisplay(options.mirror, display) : () => undefined;
    flinger.addDisplay(display);
    return new SimulatedDisplay(flinger, display, layer.id, frame, density, client, unfollow);
  } catch (error) {
    client.dispose();
    throw error;
  }
}
