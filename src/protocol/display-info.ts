// A display as both ends of the wire see it: one TypeScript shape for the server's compositor and
// the SDK, with the conversions to and from the schema's DisplayInfo struct.
import type { ReplyArgs } from './codec.js';
import { truncateUtf8 } from './codec.js';
import { MAX_NAME_BYTES } from './limits.js';

/** The names of the schema's DisplayKind codes, by code. */
export const DISPLAY_KIND_NAMES = ['internal', 'external', 'virtual'] as const;
export type DisplayKindName = (typeof DISPLAY_KIND_NAMES)[number];
export type DisplayRotation = 0 | 90 | 180 | 270;

type WireDisplayInfo = ReplyArgs<'getDisplayInfo'>['info'];

export interface DisplayInfo {
  readonly id: number;
  readonly name: string;
  readonly kind: DisplayKindName;
  readonly width: number;
  readonly height: number;
  readonly refreshRate: number;
  /** Dots per inch. */
  readonly density: number;
  readonly layerStack: number;
  readonly rotation: DisplayRotation;
}

export function displayInfoToWire(d: DisplayInfo): WireDisplayInfo {
  return { ...d, name: truncateUtf8(d.name, MAX_NAME_BYTES), kind: DISPLAY_KIND_NAMES.indexOf(d.kind) };
}

export function displayInfoFromWire(w: WireDisplayInfo): DisplayInfo {
  const rotation = w.rotation === 90 || w.rotation === 180 || w.rotation === 270 ? w.rotation : 0;
  return { ...w, kind: DISPLAY_KIND_NAMES[w.kind] ?? 'internal', rotation };
}
