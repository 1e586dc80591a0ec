// A WebSocket client for viewer tests that queues what arrives so tests can await the next message.
import WebSocket from 'ws';
import type { DecodedFrameMessage } from '../../src/viewer/frame-message.js';
import { decodeFrameMessage } from '../../src/viewer/frame-message.js';

export type JsonMessage = { type: string } & Record<string, unknown>;
export type Received = { kind: 'json'; message: JsonMessage } | { kind: 'frame'; frame: DecodedFrameMessage };

export class ViewerClient {
  private readonly queue: Received[] = [];
  private waiter: (() => void) | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary) => {
      this.queue.push(
        isBinary ? { kind: 'frame', frame: decodeFrameMessage(new Uint8Array(data)) } : { kind: 'json', message: JSON.parse(data.toString('utf8')) as JsonMessage },
      );
      this.waiter?.();
    });
  }

  static open(url: string): Promise<ViewerClient> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new ViewerClient(socket)));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
    });
  }

  async next(timeoutMs = 5000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no viewer message arrived');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const item = this.queue.shift();
    if (!item) throw new Error('queue empty');
    return item;
  }

  async nextFrame(): Promise<DecodedFrameMessage> {
    for (;;) {
      const item = await this.next();
      if (item.kind === 'frame') return item.frame;
    }
  }

  async nextJson(type: string): Promise<JsonMessage> {
    for (;;) {
      const item = await this.next();
      if (item.kind === 'json' && item.message.type === type) return item.message;
    }
  }

  /** What has arrived and not been read yet. */
  drain(): Received[] {
    return this.queue.splice(0);
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  ack(frame: DecodedFrameMessage): void {
    this.send({ type: 'ack', seq: frame.seq });
  }

  close(): void {
    this.socket.close();
  }
}
