// `stratum input tap|swipe|key|text`: events injected through the window manager, as the viewer
// does; each prints which window received it (or why none did).
import type { InjectInputEvent, InjectInputResult } from '../client/index.js';
import type { ServerLink } from './server-link.js';

export interface InjectedEvent {
  readonly event: InjectInputEvent;
  readonly window: number | null;
  readonly dropped: string;
}

async function send(link: ServerLink, event: InjectInputEvent, sent: InjectedEvent[]): Promise<InjectInputResult> {
  const result = await link.injectInput(event);
  sent.push({ event, window: result.window, dropped: result.dropped });
  return result;
}

function displayField(display: number | undefined): { display?: number } {
  return display === undefined ? {} : { display };
}

export async function tap(link: ServerLink, x: number, y: number, display?: number): Promise<InjectedEvent[]> {
  const sent: InjectedEvent[] = [];
  for (const action of ['down', 'up'] as const) await send(link, { kind: 'touch', action, x, y, pointerId: 0, ...displayField(display) }, sent);
  return sent;
}

/** Down at the start, a move per ~16 ms step along the line, up at the end; paced in real time. */
export async function swipe(link: ServerLink, from: { x: number; y: number }, to: { x: number; y: number }, durationMs: number, display?: number): Promise<InjectedEvent[]> {
  const sent: InjectedEvent[] = [];
  const steps = Math.max(1, Math.round(durationMs / 16));
  await send(link, { kind: 'touch', action: 'down', x: from.x, y: from.y, pointerId: 0, ...displayField(display) }, sent);
  for (let i = 1; i <= steps; i++) {
    await new Promise((resolve) => setTimeout(resolve, durationMs / steps));
    const t = i / steps;
    await send(link, { kind: 'touch', action: 'move', x: from.x + (to.x - from.x) * t, y: from.y + (to.y - from.y) * t, pointerId: 0, ...displayField(display) }, sent);
  }
  await send(link, { kind: 'touch', action: 'up', x: to.x, y: to.y, pointerId: 0, ...displayField(display) }, sent);
  return sent;
}

export async function key(link: ServerLink, name: string, display?: number): Promise<InjectedEvent[]> {
  const sent: InjectedEvent[] = [];
  for (const action of ['down', 'up'] as const) await send(link, { kind: 'key', action, key: name, ...displayField(display) }, sent);
  return sent;
}

export async function text(link: ServerLink, value: string, display?: number): Promise<InjectedEvent[]> {
  const sent: InjectedEvent[] = [];
  for (const char of value) {
    const name = char === ' ' ? 'Space' : char;
    for (const action of ['down', 'up'] as const) await send(link, { kind: 'key', action, key: name, ...displayField(display) }, sent);
  }
  return sent;
}

export function describeInjected(events: readonly InjectedEvent[]): string {
  return events
    .map(({ event, window, dropped }) => {
      const what = event.kind === 'key' ? `key ${event.action} ${event.key}` : `${event.kind} ${event.action} ${Math.round(event.x)},${Math.round(event.y)}`;
      return window !== null ? `${what} -> window ${window}` : `${what}: not delivered (${dropped})`;
    })
    .join('\n');
}
