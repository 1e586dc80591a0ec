// DemoHost over the public SDK: what each demo process runs on. Each surface is a window from the
// window manager (which places it by its type's policy and routes input to it); frames are paced
// by the SDK's Choreographer (a frame callback at each VSync the app asks for; never a timer loop
// or busy wait).
import type { StratumClient, Window } from '../client/index.js';
import { PixelFormat, WindowFlag } from '../client/index.js';
import type { DemoInput, DemoSurface, DemoSurfaceSpec } from './host.js';
import type { DemoHost } from './host.js';

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
    const flags =
      (spec.opaque ? WindowFlag.OPAQUE : 0) | (spec.window.focusable ? 0 : WindowFlag.NOT_FOCUSABLE) | (spec.window.touchable ? 0 : WindowFlag.NOT_TOUCHABLE);
    const window: Window = await this.client.addWindow({
      type: spec.window.type,
      title: spec.name,
      width: spec.width,
      height: spec.height,
      x: spec.x,
      y: spec.y,
      flags,
    });
    const frame = window.config.frame;
    const width = frame.right - frame.left;
    const height = frame.bottom - frame.top;
    const surface = window.surface;
    return {
      width,
      height,
      onInput(listener: (event: DemoInput) => void) {
        window.onInput((event) => {
          if (event.kind === 'key') listener({ kind: 'key', action: event.action, x: 0, y: 0, key: event.key });
          else listener({ kind: event.kind, action: event.action, x: event.x, y: event.y, key: '' });
        });
      },
      async render(draw) {
        const dequeued = await surface.dequeueBuffer({ format, width, height });
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
    return new Promise((resolve) => this.client.choreographer.postFrameCallback((frame) => resolve(frame.frameTime)));
  }
}
