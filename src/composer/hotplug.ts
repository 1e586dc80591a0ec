// Hotplug glue: the composer reports displays coming and going; the flinger adds or removes their
// outputs. A removed display's layer stack (its layers) stays: plugging a display with that stack
// back in shows them again.
import type { Flinger } from '../flinger/flinger.js';
import type { SoftwareComposer } from './device.js';

/** Routes the composer's hotplug and refresh callbacks into the flinger. Returns an unbinder. */
export function bindComposerToFlinger(composer: SoftwareComposer, flinger: Flinger): () => void {
  return composer.registerCallback({
    onHotplug(id, connected) {
      const present = flinger.displays.some((d) => d.id === id);
      if (connected && !present) flinger.addDisplay(composer.display(id).target);
      else if (!connected && present) flinger.removeDisplay(id);
    },
    onRefresh(id) {
      if (flinger.displays.some((d) => d.id === id)) flinger.invalidateDisplay(id);
    },
  });
}
