// Virtual displays created through the protocol (issue 8: screenrecord and simulated displays).
// sink 'client': the server acquires each frame of the display's output queue on the client's
// behalf and sends it as a virtualDisplayFrame event (the buffer's fd once per buffer: zero copy);
// the client gives it back with releaseVirtualDisplayFrame. sink 'overlay': a simulated display
// shown on the primary (src/media/simulate.ts). Mirrors follow their source's rotation, and end
// with a virtualDisplayRemoved event when the source is disconnected.
import type { HeadlessDisplay } from '../display/display.js';
import { VirtualDisplay } from '../display/virtual.js';
import type { Flinger } from '../flinger/flinger.js';
import { followDisplay } from '../media/mirror.js';
import { simulateDisplay } from '../media/simulate.js';
import { StratumError } from '../os/status.js';
import { localTimeToWire } from '../protocol/index.js';
import type { EventArgs } from '../protocol/index.js';
import type { BufferConsumer } from '../queue/buffer-queue.js';
import { BufferQueue } from '../queue/buffer-queue.js';
import type { AcquiredFrame, AllocateBuffer } from '../queue/types.js';

/** Virtual displays one client may hold at once. */
export const MAX_VIRTUAL_DISPLAYS_PER_CLIENT = 4;
/** Output buffers of a client-consumed virtual display, and how many the client may hold at once. */
const CLIENT_QUEUE_SIZE = 6;
const CLIENT_MAX_ACQUIRED = 3;

export interface VirtualDisplaySpec {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly mirror?: number | undefined;
  readonly layerStack?: number | undefined;
  readonly sink: 'client' | 'overlay';
  readonly density: number;
  readonly allocate: AllocateBuffer;
  /** sink 'client': a frame was queued into the output (acquire it from `consumer`). */
  readonly onFrameAvailable?: () => void;
}

export interface VirtualDisplayFrame {
  readonly frame: AcquiredFrame;
  readonly framesDropped: number;
}

/** A virtual display as the server holds it for one client. */
export interface HostedVirtualDisplay {
  readonly id: number;
  readonly layerStack: number;
  /** sink 'client' only: the output queue's consumer face. */
  readonly consumer: BufferConsumer | undefined;
  readonly framesDropped: () => number;
  /** Called once if the display ends on its own (its source went away). */
  onEnded(listener: (reason: string) => void): void;
  dispose(): void;
}

/** Creates a virtual display on the flinger as `spec` asks. */
export function hostVirtualDisplay(flinger: Flinger, spec: VirtualDisplaySpec): HostedVirtualDisplay {
  let source: HeadlessDisplay | undefined;
  if (spec.mirror !== undefined) {
    source = flinger.displays.find((d) => d.id === spec.mirror);
    if (!source) throw new StratumError('NAME_NOT_FOUND', `display ${spec.mirror} does not exist: nothing to mirror`);
  }
  const endListeners: ((reason: string) => void)[] = [];
  let disposed = false;
  let stopWatch = (): void => undefined;
  let unfollow = (): void => undefined;
  let removeDisplay: () => void;
  let display: VirtualDisplay;
  let consumer: BufferConsumer | undefined;

  if (spec.sink === 'overlay') {
    const simulated = simulateDisplay(flinger, {
      width: spec.width,
      height: spec.height,
      density: spec.density,
      allocate: spec.allocate,
      name: spec.name,
      ...(source ? { mirror: source } : {}),
      ...(spec.layerStack !== undefined ? { layerStack: spec.layerStack } : {}),
    });
    display = simulated.display;
    removeDisplay = () => simulated.remove();
  } else {
    const queue = new BufferQueue({ allocate: spec.allocate, name: `${spec.name} output`, queueSize: CLIENT_QUEUE_SIZE, maxAcquired: CLIENT_MAX_ACQUIRED, defaultWidth: spec.width, defaultHeight: spec.height });
    const stack = spec.layerStack ?? Math.max(0, ...flinger.displays.map((d) => d.layerStack)) + 1;
    const onFrameAvailable = spec.onFrameAvailable;
    queue.consumer.connect({ onFrameAvailable: () => onFrameAvailable?.() });
    display = new VirtualDisplay({ name: spec.name, width: spec.width, height: spec.height, output: queue.producer, layerStack: stack });
    consumer = queue.consumer;
    if (source) unfollow = followDisplay(source, display);
    flinger.addDisplay(display);
    const vd = display;
    const q = queue;
    removeDisplay = () => {
      unfollow();
      if (flinger.displays.includes(vd)) flinger.removeDisplay(vd.id);
      // A composition in flight may still write into the framebuffer or an output buffer: free
      // them only once it is over (unmapping under it would crash the process).
      void flinger.settled().then(() => {
        vd.dispose();
        q.consumer.disconnect();
      });
    };
  }

  if (source) {
    const watched = source;
    // Hotplug removes a display from the flinger without telling its listeners: notice it at the
    // next composed frame (something is presented whenever the screens change).
    stopWatch = flinger.onPresent(() => {
      if (disposed || flinger.displays.includes(watched)) return;
      const reason = `display ${watched.id} (${watched.name}) was disconnected`;
      disposed = true;
      stopWatch();
      // Not inside the flinger's present loop: tear down once it is over.
      setImmediate(() => {
        removeDisplay();
        for (const listener of endListeners) listener(reason);
      });
    });
  }

  const shown = display;
  const hosted: HostedVirtualDisplay = {
    id: shown.id,
    layerStack: shown.layerStack,
    consumer,
    framesDropped: () => shown.framesDropped,
    onEnded: (listener) => void endListeners.push(listener),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      stopWatch();
      removeDisplay();
    },
  };
  return hosted;
}

export interface VirtualDisplayLink {
  readonly create: ((spec: VirtualDisplaySpec) => HostedVirtualDisplay) | undefined;
  readonly allocate: AllocateBuffer;
  readonly frame: (args: EventArgs<'virtualDisplayFrame'>) => void;
  readonly removed: (display: number, reason: string) => void;
}

interface ClientDisplay {
  readonly hosted: HostedVirtualDisplay;
  /** Buffers whose fd the client holds, by id. */
  readonly sent: Set<number>;
  /** Frames acquired for the client and not yet released: slot -> frame number. */
  readonly held: Map<number, number>;
}

/** One connection's virtual displays. */
export class ConnectionVirtualDisplays {
  readonly #displays = new Map<number, ClientDisplay>();

  constructor(private readonly link: VirtualDisplayLink) {}

  create(args: { name: string; width: number; height: number; mirror?: number | undefined; layerStack?: number | undefined; sink: number; density: number }): { display: number; layerStack: number } {
    const create = this.link.create;
    if (!create) throw new StratumError('UNSUPPORTED', 'this server drives no displays: no virtual displays');
    if (args.sink !== 0 && args.sink !== 1) throw new StratumError('BAD_VALUE', `sink ${args.sink} is not 0 (this client) or 1 (an overlay on the primary display)`);
    if (this.#displays.size >= MAX_VIRTUAL_DISPLAYS_PER_CLIENT) throw new StratumError('LIMIT_EXCEEDED', `the client already holds ${this.#displays.size} virtual displays (MAX_VIRTUAL_DISPLAYS_PER_CLIENT)`);
    let deliver = (): void => undefined;
    if (args.mirror !== undefined && args.layerStack !== undefined) throw new StratumError('BAD_VALUE', 'a virtual display either mirrors a display or shows a layer stack, not both');
    const hosted = create({
      name: args.name || 'virtual',
      width: args.width,
      height: args.height,
      mirror: args.mirror,
      layerStack: args.layerStack,
      sink: args.sink === 0 ? 'client' : 'overlay',
      density: args.density || 160,
      allocate: this.link.allocate,
      onFrameAvailable: () => deliver(),
    });
    const entry: ClientDisplay = { hosted, sent: new Set(), held: new Map() };
    deliver = () => this.#deliver(entry);
    this.#displays.set(hosted.id, entry);
    hosted.onEnded((reason) => {
      if (this.#displays.delete(hosted.id)) this.link.removed(hosted.id, reason);
    });
    return { display: hosted.id, layerStack: hosted.layerStack };
  }

  release(args: { display: number; slot: number; frameNumber: number }): void {
    const entry = this.#entry(args.display);
    const consumer = entry.hosted.consumer;
    if (!consumer) throw new StratumError('INVALID_OPERATION', `virtual display ${args.display} is shown by an overlay: it has no frames to release`);
    if (entry.held.get(args.slot) !== args.frameNumber) throw new StratumError('BAD_VALUE', `virtual display ${args.display}: frame ${args.frameNumber} in slot ${args.slot} is not held by this client`);
    entry.held.delete(args.slot);
    consumer.release(args.slot, args.frameNumber);
    this.#deliver(entry);
  }

  destroy(display: number): void {
    const entry = this.#entry(display);
    this.#displays.delete(display);
    entry.hosted.dispose();
  }

  dispose(): void {
    for (const entry of this.#displays.values()) entry.hosted.dispose();
    this.#displays.clear();
  }

  #entry(display: number): ClientDisplay {
    const entry = this.#displays.get(display);
    if (!entry) throw new StratumError('NAME_NOT_FOUND', `virtual display ${display} does not exist or is not this client's`);
    return entry;
  }

  /** Hands queued frames to the client while it holds fewer than it may. */
  #deliver(entry: ClientDisplay): void {
    const consumer = entry.hosted.consumer;
    if (!consumer?.connected) return;
    while (entry.held.size < CLIENT_MAX_ACQUIRED && consumer.pendingFrames > 0 && this.#displays.get(entry.hosted.id) === entry) {
      const frame = consumer.acquire();
      entry.held.set(frame.slot, frame.frameNumber);
      void this.#send(entry, frame);
    }
  }

  async #send(entry: ClientDisplay, frame: AcquiredFrame): Promise<void> {
    // The client reads with the CPU: only once the compositor has finished writing.
    if (!frame.fence.signalled) await frame.fence.wait();
    if (this.#displays.get(entry.hosted.id) !== entry) return;
    const buffer = frame.buffer;
    const first = !entry.sent.has(buffer.id);
    entry.sent.add(buffer.id);
    this.link.frame({
      display: entry.hosted.id,
      slot: frame.slot,
      frameNumber: frame.frameNumber,
      bufferId: buffer.id,
      timestamp: localTimeToWire(frame.timestamp ?? frame.presentTime),
      framesDropped: entry.hosted.framesDropped(),
      ...(first ? { buffer: { ...buffer.describe(), fd: buffer.fd } } : {}),
    });
  }
}
