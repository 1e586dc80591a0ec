// Parsers for command-line values; each error names the option and the bad value.
import { InvalidArgumentError } from 'commander';

export interface DisplayMode {
  readonly width: number;
  readonly height: number;
  readonly refreshHz?: number;
}

const MAX_SIDE = 8192;

/** "WxH" or "WxH@HZ", e.g. 1080x2400@60. */
export function parseDisplayMode(text: string): DisplayMode {
  const match = /^(\d+)x(\d+)(?:@(\d+(?:\.\d+)?))?$/.exec(text.trim());
  if (!match?.[1] || !match[2]) throw new InvalidArgumentError(`expected WxH or WxH@HZ (e.g. 1080x2400@60), got "${text}"`);
  const width = Number(match[1]);
  const height = Number(match[2]);
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new InvalidArgumentError(`width and height must be in 1..${MAX_SIDE}, got ${width}x${height}`);
  }
  if (match[3] === undefined) return { width, height };
  const refreshHz = Number(match[3]);
  if (refreshHz < 1 || refreshHz > 480) throw new InvalidArgumentError(`refresh rate must be in 1..480 Hz, got ${refreshHz}`);
  return { width, height, refreshHz };
}

export function collectDisplayModes(text: string, previous: DisplayMode[] | undefined): DisplayMode[] {
  return [...(previous ?? []), parseDisplayMode(text)];
}

export function parseNonNegativeInt(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`expected a non-negative integer, got "${text}"`);
  return Number(text);
}

export function parsePort(text: string): number {
  const port = parseNonNegativeInt(text);
  if (port > 65535) throw new InvalidArgumentError(`expected a port in 0..65535, got ${port}`);
  return port;
}

export function parseCoordinate(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`expected a coordinate >= 0, got "${text}"`);
  return value;
}

export function parseRotation(text: string): 0 | 90 | 180 | 270 {
  const value = Number(text);
  if (value === 0 || value === 90 || value === 180 || value === 270) return value;
  throw new InvalidArgumentError(`rotation must be 0, 90, 180 or 270, got "${text}"`);
}
