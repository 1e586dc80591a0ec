// A DemoHost over an in-process flinger, ticked by hand: lets tests run the demo apps and look at
// what the compositor shows, without sockets or processes.
import { PixelFormat } from '../../src/buffer/index.js';
import { HeadlessDisplay, ManualVsyncSource } from '../../src/display/index.js';
import { Flinger } from '../../src/flinger/index.js';
import type { FlingerClient } from '../../src/flinger/index.js';
import type { DemoHost, DemoInput, DemoSurface, DemoSurfaceSpec } from '../../src/demos/host.js';

export class FlingerDemoHost implements DemoHost {
  readonly vsync: ManualVsyncSource;
  readonly display: HeadlessDisplay;
  readonly flinger: Flinger;
  readonly client: FlingerClient;

  constructor(
    readonly displayWidth: number,
    readonly displayHeight: number,
  ) {
    this.vsync = new ManualVsyncSource(60, 1000);
    this.display = new HeadlessDisplay({ width: displayWidth, height: displayHeight, vsync: this.vsync });
    this.flinger = new Flinger({ displays: [this.display], clock: () => this.vsync.now, onError: (e) => { throw e; } });
    this.client = this.flinger.createClient('demos');
  }

  createSurface(spec: DemoSurfaceSpec): Promise<DemoSurface> {
    const layer = this.client.createLayer({
      name: spec.name,
      kind: 'buffer',
      initial: { position: { x: spec.x, y: spec.y }, z: spec.z, opaque: spec.opaque },
      queue: { width: spec.width, height: spec.height },
    });
    const producer = layer.producer;
    if (!producer) throw new Error('buffer layer without a producer');
    producer.connect({ label: spec.name });
    const format = spec.format === 'NV12' ? PixelFormat.NV12 : PixelFormat.RGBA_8888;
    const vsync = this.vsync;
    const inputs = this.inputListeners;
    return Promise.resolve({
      width: spec.width,
      height: spec.height,
      onInput(listener: (event: DemoInput) => void) {
        inputs.set(spec.name, listener);
      },
      async render(draw) {
        const { slot, buffer, bufferAge } = await producer.dequeue({ format });
        const damage = draw({ width: buffer.width, height: buffer.height, format: spec.format, bytes: buffer.bytes(), planes: buffer.layout.planes, age: bufferAge });
        // Timestamped on the manual clock the flinger runs on, so the frame is due at the next VSync.
        producer.queue(slot, { damage, timestamp: vsync.now });
      },
    });
  }

  /** The apps' input listeners by surface name: no window manager here, tests deliver input directly. */
  readonly inputListeners = new Map<string, (event: DemoInput) => void>();
  private frameRequested: (() => void) | undefined;
  private pendingRequests = 0;

  nextFrame(): Promise<number> {
    this.pendingRequests++;
    this.frameRequested?.();
    return new Promise((resolve) =>
      this.flinger.requestNextVsync((event) => {
        this.pendingRequests--;
        resolve(event.timestamp);
      }),
    );
  }

  /** Waits until an app asks for its next frame (it has queued what it drew), then runs that frame. */
  async animationFrame(): Promise<void> {
    if (this.pendingRequests === 0) await new Promise<void>((resolve) => (this.frameRequested = resolve));
    this.frameRequested = undefined;
    await this.tick();
  }

  /** Lets the apps run until they wait for something, then ticks one VSync and waits for its frame. */
  async tick(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    this.vsync.tick();
    await this.flinger.settled();
  }

  dispose(): void {
    this.flinger.dispose();
    this.display.dispose();
  }
}
