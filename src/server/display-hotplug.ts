// Simulated external displays through the protocol (issue 7): a client (a test, the CLI) plugs a
// display in — it starts powered off, like a real hotplugged panel, and is composed on the
// primary's VSync once powered — or unplugs it: its output goes, the layers on its stack stay.
// Every connection hears displayHotplug.
import { HeadlessDisplay } from '../display/display.js';
import type { DisplayPowerMode } from '../display/display.js';
import type { Flinger } from '../flinger/flinger.js';
import { StratumError } from '../os/status.js';

export interface ExternalDisplaySpec {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly refreshRate: number;
}

export interface DisplayHotplugControl {
  /** Plugs in an external display (off); returns its id. */
  connect(spec: ExternalDisplaySpec): number;
  /** Unplugs a display plugged in with connect. */
  disconnect(display: number): void;
  setPowerMode(display: number, mode: DisplayPowerMode): void;
  onHotplug(listener: (display: number, connected: boolean) => void): () => void;
  /** Unplugs everything plugged in (server shutdown). */
  dispose(): void;
}

/** At most this many displays plugged in through the protocol at once. */
export const MAX_EXTERNAL_DISPLAYS = 8;

export function flingerHotplug(flinger: Flinger): DisplayHotplugControl {
  const plugged = new Map<number, HeadlessDisplay>();
  const listeners = new Set<(display: number, connected: boolean) => void>();
  const notify = (display: number, connected: boolean): void => {
    for (const listener of [...listeners]) listener(display, connected);
  };
  return {
    connect(spec) {
      if (plugged.size >= MAX_EXTERNAL_DISPLAYS) throw new StratumError('LIMIT_EXCEEDED', `at most ${MAX_EXTERNAL_DISPLAYS} external displays can be connected`);
      const display = new HeadlessDisplay({
        kind: 'external',
        ...(spec.name ? { name: spec.name } : {}),
        width: spec.width,
        height: spec.height,
        refreshRate: spec.refreshRate || 60,
      });
      display.setPowerMode('off');
      flinger.addDisplay(display);
      plugged.set(display.id, display);
      notify(display.id, true);
      return display.id;
    },
    disconnect(id) {
      const display = plugged.get(id);
      if (!display) {
        flinger.display(id); // NAME_NOT_FOUND for an unknown id
        throw new StratumError('INVALID_OPERATION', `display ${id} was not connected through connectDisplay: it cannot be unplugged`);
      }
      flinger.removeDisplay(id);
      plugged.delete(id);
      // A frame in flight may still be composing into its framebuffer.
      void flinger.settled().then(() => display.dispose());
      notify(id, false);
    },
    setPowerMode(id, mode) {
      flinger.display(id).setPowerMode(mode);
    },
    onHotplug(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      for (const id of [...plugged.keys()]) this.disconnect(id);
      listeners.clear();
    },
  };
}
