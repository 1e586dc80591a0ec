// `stratum display connect|disconnect|rotate|mode`: external displays plugged in over the protocol
// (they belong to the server and stay until `display disconnect`), rotation and display modes.
import { InvalidArgumentError } from 'commander';
import type { DisplayModeInfo, DisplayRotation } from '../client/index.js';
import { CliError } from './errors.js';
import type { DisplayMode } from './parse.js';
import { parseDisplayMode } from './parse.js';
import type { CliDisplay, ServerLink } from './server-link.js';

export const DEFAULT_EXTERNAL_MODE = { width: 1920, height: 1080, refreshHz: 60 } as const;

/** Plugs in an external display and powers it on (a hotplugged panel starts off); returns it as listed. */
export async function connectExternalDisplay(link: ServerLink, mode: DisplayMode | undefined, name: string | undefined): Promise<CliDisplay> {
  const { width, height, refreshHz } = { ...DEFAULT_EXTERNAL_MODE, ...mode };
  const id = await link.client.connectDisplay({ width, height, refreshRate: refreshHz, ...(name === undefined ? {} : { name }) });
  try {
    await link.client.setDisplayPowerMode(id, 'on');
  } catch (error) {
    // Half plugged in helps nobody: take it out again.
    await link.client.disconnectDisplay(id).catch(() => undefined);
    throw error;
  }
  return link.getDisplay(id);
}

export async function rotateDisplay(link: ServerLink, id: number, rotation: DisplayRotation): Promise<CliDisplay> {
  await link.client.setDisplayRotation(id, rotation);
  return link.getDisplay(id);
}

/** A mode named on the command line: its id from `display mode ID`, or WxH[@HZ]. */
export type ModeChoice = { readonly id: number } | DisplayMode;

export function parseModeChoice(text: string): ModeChoice {
  if (/^\d+$/.test(text)) return { id: Number(text) };
  try {
    return parseDisplayMode(text);
  } catch {
    throw new InvalidArgumentError(`expected a mode id (see \`stratum display mode ID\`) or WxH[@HZ], got "${text}"`);
  }
}

export function formatMode(mode: DisplayModeInfo): string {
  const rate = Math.round(mode.refreshRate * 100) / 100;
  return `${mode.width}x${mode.height}@${rate}${mode.varying ? ` (varying ${mode.varying.min}-${mode.varying.max} Hz)` : ''}`;
}

export function formatModes(modes: readonly DisplayModeInfo[]): string {
  const rows = modes.map((m) => `${String(m.id).padEnd(4)}${formatMode(m).padEnd(36)}${m.active ? '*' : ''}`);
  return [`${'ID'.padEnd(4)}${'MODE'.padEnd(36)}ACTIVE`, ...rows].join('\n') + '\n';
}

/** The display's mode that `choice` names: an id passes through (the server checks it), WxH[@HZ] must match one fixed-rate mode. */
export function resolveMode(displayId: number, modes: readonly DisplayModeInfo[], choice: ModeChoice): number {
  if ('id' in choice) return choice.id;
  const matches = modes.filter((m) => !m.varying && m.width === choice.width && m.height === choice.height && (choice.refreshHz === undefined || Math.abs(m.refreshRate - choice.refreshHz) < 0.01));
  const wanted = `${choice.width}x${choice.height}${choice.refreshHz === undefined ? '' : `@${choice.refreshHz}`}`;
  const [match] = matches;
  if (match && matches.length === 1) return match.id;
  if (matches.length > 1) throw new CliError(`display ${displayId} has ${matches.length} modes of ${wanted}: add @HZ or give a mode id (${matches.map((m) => `${m.id} = ${formatMode(m)}`).join(', ')})`);
  throw new CliError(`display ${displayId} has no mode ${wanted}; its modes: ${modes.map((m) => `${m.id} = ${formatMode(m)}`).join(', ')}`);
}

/** Switches the display's mode; returns the modes as they are afterwards. */
export async function setDisplayMode(link: ServerLink, id: number, choice: ModeChoice): Promise<DisplayModeInfo[]> {
  const modes = await link.client.getDisplayModes(id);
  await link.client.setDisplayMode(id, resolveMode(id, modes, choice));
  return link.client.getDisplayModes(id);
}
