// The narrow interface through which the server drives a compositor. The server maps protocol
// requests onto it and never reaches into the flinger otherwise. Two implementations:
// `flingerCompositor` (the real one) and `DirectConsumer` (acquires and releases every frame at
// once: the consumer side for transport tests and the IPC benchmark, no composition).
import type { Flinger } from '../flinger/flinger.js';
import type { DisplayInfo } from '../protocol/display-info.js';
import type { ApplyOptions, LayerHandle, LayerId, LayerSpec, TransactionData } from '../flinger/types.js';
import { StratumError } from '../os/status.js';
import { VsyncScheduler } from '../display/scheduler.js';
import type { DisplayMode, Orientation } from '../display/display.js';
import { flingerHotplug } from './display-hotplug.js';
import type { DisplayHotplugControl } from './display-hotplug.js';
import type { AppVsyncEvent } from '../display/scheduler.js';
import { BufferQueue } from '../queue/buffer-queue.js';
import type { AcquiredFrame, AllocateBuffer } from '../queue/types.js';
import { hostVirtualDisplay } from './virtual-displays.js';
import type { HostedVirtualDisplay, VirtualDisplaySpec } from './virtual-displays.js';

/** What the server tells clients about a display. */
export type CompositorDisplay = DisplayInfo;

export interface CompositorClient {
  /** Creates a layer; buffer layers come with the producer face of their queue. */
  createLayer(spec: LayerSpec): LayerHandle;
  destroyLayer(id: LayerId): void;
  /** Checks the transaction now (StratumError on a bad field) and applies it later. */
  apply(data: TransactionData, options: ApplyOptions): void;
  /** The client is gone: destroy its layers, drop its pending transactions. */
  dispose(): void;
}

export interface CapturedImage {
  readonly width: number;
  readonly height: number;
  /** Tightly packed RGBA_8888. */
  readonly rgba: Uint8Array;
}

export interface Compositor {
  /** `allocate` allocates every buffer of the client's queues (on the client's quota). */
  createClient(name: string, allocate: AllocateBuffer): CompositorClient;
  displays(): readonly CompositorDisplay[];
  dump(format: 'text' | 'json'): string;
  capture(displayId: number): Promise<CapturedImage>;
  /** A virtual display (issue 8: recording, simulated displays); absent where no displays are driven. */
  createVirtualDisplay?(spec: VirtualDisplaySpec): HostedVirtualDisplay;
  /** One VSync event for `receiver` (a connection) at the next VSync; only receivers that asked are woken. Returns a canceller. */
  requestNextVsync(receiver: object, callback: (event: AppVsyncEvent) => void): () => void;
  /** Simulated external displays (issue 7); absent where no displays are driven. */
  readonly hotplug?: DisplayHotplugControl;
  /** A display's modes and the active one; absent where no displays are driven. */
  displayModes?(displayId: number): { readonly modes: readonly DisplayMode[]; readonly activeMode: number };
  /** Switches a display's mode (BAD_VALUE for a mode it does not have). */
  setDisplayMode?(displayId: number, modeId: number): void;
  /** Turns a display with its layer stack filling it (without window re-layout: the server goes through its window manager when it has one). */
  setDisplayRotation?(displayId: number, rotation: Orientation): void;
}


/** The real compositor: every request lands on the flinger's client API. */
export function flingerCompositor(flinger: Flinger): Compositor {
  // One upstream VSync request however many connections wait (issue 7: Choreographer).
  const scheduler = new VsyncScheduler((callback) => flinger.requestNextVsync((e) => callback({ display: e.display, vsyncId: e.vsyncId, timestamp: e.timestamp, period: e.period })));
  return {
    createClient(name, allocate) {
      const client = flinger.createClient(name, { allocate });
      return {
        createLayer: (spec) => client.createLayer(spec),
        destroyLayer: (id) => client.destroyLayer(id),
        apply: (data, options) => {
          client.apply(data, options);
        },
        dispose: () => client.dispose(),
      };
    },
    displays() {
      return flinger.displays.map((d) => ({
        id: d.id,
        name: d.name,
        kind: d.kind,
        width: d.width,
        height: d.height,
        refreshRate: d.refreshRate,
        density: d.density,
        layerStack: d.layerStack,
        rotation: d.projection.orientation,
      }));
    },
    dump(format) {
      return format === 'json' ? JSON.stringify(flinger.dump(), null, 2) : flinger.dumpText();
    },
    async capture(displayId) {
      const result = await flinger.capture(displayId);
      return { width: result.width, height: result.height, rgba: result.rgba };
    },
    requestNextVsync(receiver, callback) {
      return scheduler.requestNextVsync(receiver, callback);
    },
    hotplug: flingerHotplug(flinger),
    displayModes(displayId) {
      const display = flinger.display(displayId);
      return { modes: display.modes, activeMode: display.activeMode.id };
    },
    setDisplayMode(displayId, modeId) {
      flinger.display(displayId).setActiveMode(modeId);
    },
    setDisplayRotation(displayId, rotation) {
      flinger.display(displayId).setOrientation(rotation);
      flinger.invalidateDisplay(displayId);
    },
    createVirtualDisplay(spec) {
      return hostVirtualDisplay(flinger, spec);
    },
  };
}

interface DirectLayer {
  readonly id: LayerId;
  readonly name: string;
  readonly queue: BufferQueue | undefined;
  readonly clientName: string;
  framesConsumed: number;
}

export interface DirectConsumerOptions {
  /** Sees every frame while it is acquired (may read the buffer's bytes). */
  readonly onFrame?: (layer: LayerId, frame: AcquiredFrame) => void;
  /** Keep the newest frame acquired until the next one arrives, as a compositor keeps what it shows. Default false. */
  readonly holdLatest?: boolean;
}

/**
 * A consumer with no composition: every frame is acquired the moment it is queued, shown to
 * `onFrame`, and released at once (or when the next one arrives, with `holdLatest`).
 * Transactions are refused.
 */
export class DirectConsumer implements Compositor {
  readonly #layers = new Map<LayerId, DirectLayer>();
  readonly #onFrame: ((layer: LayerId, frame: AcquiredFrame) => void) | undefined;
  readonly #holdLatest: boolean;
  #nextLayerId = 1;

  constructor(options: DirectConsumerOptions = {}) {
    this.#onFrame = options.onFrame;
    this.#holdLatest = options.holdLatest ?? false;
  }

  get layerCount(): number {
    return this.#layers.size;
  }

  createClient(name: string, allocate: AllocateBuffer): CompositorClient {
    const owned = new Set<LayerId>();
    return {
      createLayer: (spec) => {
        const id = this.#nextLayerId++;
        let queue: BufferQueue | undefined;
        if (spec.kind === 'buffer') {
          queue = new BufferQueue({
            allocate,
            name: `${spec.name}#${id}`,
            ...(spec.queue?.width !== undefined ? { defaultWidth: spec.queue.width } : {}),
            ...(spec.queue?.height !== undefined ? { defaultHeight: spec.queue.height } : {}),
            ...(spec.queue?.queueSize !== undefined ? { queueSize: spec.queue.queueSize } : {}),
          });
          const consumer = queue.consumer;
          let held: AcquiredFrame | undefined;
          consumer.connect({
            onFrameAvailable: () => {
              const frame = consumer.acquire();
              const layer = this.#layers.get(id);
              if (layer) layer.framesConsumed += 1;
              try {
                this.#onFrame?.(id, frame);
              } finally {
                if (held) consumer.release(held.slot, held.frameNumber);
                held = undefined;
                if (this.#holdLatest) held = frame;
                else consumer.release(frame.slot, frame.frameNumber);
              }
            },
          });
        }
        this.#layers.set(id, { id, name: spec.name, queue, clientName: name, framesConsumed: 0 });
        owned.add(id);
        return { id, name: spec.name, kind: spec.kind, producer: queue?.producer };
      },
      destroyLayer: (id) => {
        if (!owned.delete(id)) throw new StratumError('NAME_NOT_FOUND', `layer ${id} does not belong to ${name}`);
        this.#destroy(id);
      },
      apply: () => {
        throw new StratumError('UNSUPPORTED', 'the direct consumer has no layer tree: transactions need the flinger');
      },
      dispose: () => {
        for (const id of owned) this.#destroy(id);
        owned.clear();
      },
    };
  }

  #destroy(id: LayerId): void {
    const layer = this.#layers.get(id);
    if (!layer) return;
    this.#layers.delete(id);
    layer.queue?.consumer.disconnect();
  }

  displays(): readonly CompositorDisplay[] {
    return [];
  }

  dump(format: 'text' | 'json'): string {
    const layers = [...this.#layers.values()].map((l) => ({ id: l.id, name: l.name, client: l.clientName, framesConsumed: l.framesConsumed, queue: l.queue?.dump() ?? null }));
    return format === 'json' ? JSON.stringify({ layers }, null, 2) : layers.map((l) => `layer ${l.id} ${l.name} (${l.client}) frames=${l.framesConsumed}`).join('\n');
  }

  capture(displayId: number): Promise<CapturedImage> {
    return Promise.reject(new StratumError('NAME_NOT_FOUND', `display ${displayId} does not exist (the direct consumer drives no displays)`));
  }

  requestNextVsync(): () => void {
    throw new StratumError('UNSUPPORTED', 'the direct consumer drives no displays: no VSync');
  }
}
