// DemoHost over the public SDK: what each demo process runs on. Frames are paced by the
// compositor: after queueing, the app waits for an (empty) transaction's complete callback, which
// fires once the frame holding the buffer has been presented; never a timer loop or busy wait.
import type { StratumClient, SurfaceControl } from '../client/index.js';
import { PixelFormat } from '../client/index.js';
import type { DemoHost, DemoSurface, DemoSurfaceSpec } from './host.js';

export class SdkDemoHost implements DemoHost {
  private constructor(
    private readonly client: StratumClient,
    readonly displayWidth: number,
    readonly displayHeight: number,
  ) {}

  /** Uses the client's first (primary) display. */
  static async create(client: StratumClient): Promise<SdkDemoHost> {
    const [primary] = await client.listDisplays();
    if (!primary) throw new Error('the server has no display');
    return new SdkDemoHost(client, primary.width, primary.height);
  }

  async createSurface(spec: DemoSurfaceSpec): Promise<DemoSurface> {
    const format = spec.format === 'NV12' ? PixelFormat.NV12 : PixelFormat.RGBA_8888;
    const control: SurfaceControl = await this.client.createSurface({
      name: spec.name,
      width: spec.width,
      height: spec.height,
      format,
      opaque: spec.opaque,
    });
    await this.client.transaction().setPosition(control, spec.x, spec.y).setLayer(control, spec.z).show(control).apply();
    const surface = control.surface;
    return {
      width: spec.width,
      height: spec.height,
      async render(draw) {
        const dequeued = await surface.dequeueBuffer({ format });
        const buffer = dequeued.buffer;
        const damage = draw({
          width: buffer.width,
          height: buffer.height,
          format: spec.format,
          bytes: buffer.bytes(),
          planes: buffer.layout.planes,
          age: dequeued.bufferAge,
        });
        await surface.queueBuffer(dequeued, { damage });
      },
    };
  }

  nextFrame(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.client
        .transaction()
        .addCompleteCallback((stats) => resolve(stats.presentTime >= 0 ? stats.presentTime : stats.latchTime))
        .apply()
        .catch(reject);
    });
  }
}
