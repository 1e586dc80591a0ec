// The adapter from the compositor to the viewer: the flinger's displays, presented frames, dump and
// capture, seen through ViewerBackend. Uses only the flinger's and the display's public faces.
//
// Each display's presented pixels are mirrored into a shadow copy, damage only, at present time:
// the flinger composes the next frame into the same framebuffer (possibly on worker threads), and
// the viewer may read a frame later than it was presented, when a slow page catches up.
import type { HeadlessDisplay } from '../display/index.js';
import type { Flinger, FlingerDump, PresentInfo } from '../flinger/index.js';
import { encodePng } from '../flinger/index.js';
import type { Rect } from '../region/rect.js';
import { rect } from '../region/rect.js';
import type { DisplayInfo, DisplayKind, Unsubscribe, ViewerBackend, ViewerDump, ViewerFrame, ViewerLayer, ViewerOutputLayer } from './backend.js';

/** Features that arrive with later work (hotplug, virtual displays, recording, input): each one optional. */
export type FlingerViewerExtensions = Pick<
  ViewerBackend,
  | 'connectExternalDisplay'
  | 'disconnectDisplay'
  | 'createVirtualDisplay'
  | 'createSimulatedDisplay'
  | 'removeDisplay'
  | 'recordingUnavailableReason'
  | 'startRecording'
  | 'stopRecording'
  | 'injectInput'
> & {
  /** How a display is described; default its own kind. */
  readonly kindOf?: (display: HeadlessDisplay) => DisplayKind;
};

interface Shadow {
  frame: ViewerFrame;
  readonly listeners: Set<(frame: ViewerFrame) => void>;
}

export class FlingerViewerBackend implements ViewerBackend {
  private readonly shadows = new Map<number, Shadow>();
  private readonly displayListeners = new Set<() => void>();
  private readonly unsubscribePresent: Unsubscribe;
  private knownDisplays: string;

  connectExternalDisplay?: ViewerBackend['connectExternalDisplay'];
  disconnectDisplay?: ViewerBackend['disconnectDisplay'];
  createVirtualDisplay?: ViewerBackend['createVirtualDisplay'];
  createSimulatedDisplay?: ViewerBackend['createSimulatedDisplay'];
  removeDisplay?: ViewerBackend['removeDisplay'];
  recordingUnavailableReason?: ViewerBackend['recordingUnavailableReason'];
  startRecording?: ViewerBackend['startRecording'];
  stopRecording?: ViewerBackend['stopRecording'];
  injectInput?: ViewerBackend['injectInput'];

  constructor(
    private readonly flinger: Flinger,
    private readonly extensions: FlingerViewerExtensions = {},
  ) {
    const { kindOf: _kindOf, ...actions } = extensions;
    Object.assign(this, actions);
    this.knownDisplays = this.displayKey();
    for (const display of flinger.displays) this.shadowFor(display);
    this.unsubscribePresent = flinger.onPresent((info) => this.presented(info));
  }

  /** Call after adding or removing a display; also noticed on the next present. */
  displaysChanged(): void {
    const key = this.displayKey();
    if (key === this.knownDisplays) return;
    this.knownDisplays = key;
    const ids = new Set(this.flinger.displays.map((d) => d.id));
    for (const id of this.shadows.keys()) if (!ids.has(id)) this.shadows.delete(id);
    for (const display of this.flinger.displays) this.shadowFor(display);
    for (const listener of this.displayListeners) listener();
  }

  dispose(): void {
    this.unsubscribePresent();
    this.shadows.clear();
    this.displayListeners.clear();
  }

  displays(): readonly DisplayInfo[] {
    const kindOf = this.extensions.kindOf ?? ((d: HeadlessDisplay): DisplayKind => d.kind);
    return this.flinger.displays.map((d) => ({
      id: d.id,
      name: d.name,
      kind: kindOf(d),
      width: d.width,
      height: d.height,
      refreshHz: Math.round(d.refreshRate * 100) / 100,
    }));
  }

  onDisplaysChanged(listener: () => void): Unsubscribe {
    this.displayListeners.add(listener);
    return () => this.displayListeners.delete(listener);
  }

  latestFrame(displayId: number): ViewerFrame | undefined {
    return this.shadows.get(displayId)?.frame;
  }

  onFrame(displayId: number, listener: (frame: ViewerFrame) => void): Unsubscribe {
    const display = this.flinger.displays.find((d) => d.id === displayId);
    const shadow = display ? this.shadowFor(display) : undefined;
    if (!shadow) return () => undefined;
    shadow.listeners.add(listener);
    return () => shadow.listeners.delete(listener);
  }

  dump(): ViewerDump {
    return toViewerDump(this.flinger.dump(), this.flinger.dumpText());
  }

  async captureDisplayPng(displayId: number): Promise<Uint8Array> {
    const capture = await this.flinger.capture(displayId);
    return encodePng(capture.width, capture.height, capture.rgba);
  }

  // The kind is part of the key: a display can become 'simulated' after its first frame was seen
  // as 'virtual' (the simulating process names it only once the server made it).
  private displayKey(): string {
    const kindOf = this.extensions.kindOf ?? ((d: HeadlessDisplay): DisplayKind => d.kind);
    return this.flinger.displays.map((d) => `${d.id}:${d.width}x${d.height}:${kindOf(d)}`).join(',');
  }

  /** The shadow of a display, created holding what its framebuffer shows now. */
  private shadowFor(display: HeadlessDisplay): Shadow {
    const existing = this.shadows.get(display.id);
    if (existing && existing.frame.width === display.width && existing.frame.height === display.height) return existing;
    const full = rect(0, 0, display.width, display.height);
    const frame: ViewerFrame = {
      width: display.width,
      height: display.height,
      stride: display.width * 4,
      rgba: display.readFramebuffer(),
      damage: [full],
      frameNumber: 0,
      presentTime: 0,
    };
    const shadow: Shadow = { frame, listeners: existing?.listeners ?? new Set() };
    this.shadows.set(display.id, shadow);
    return shadow;
  }

  private presented(info: PresentInfo): void {
    if (this.displayKey() !== this.knownDisplays) this.displaysChanged();
    const display = info.display;
    const shadow = this.shadowFor(display);
    const damage: Rect[] = info.damage.rects();
    const source = display.framebuffer.bytes('read');
    const sourceStride = display.framebuffer.stride * 4;
    const target = shadow.frame.rgba;
    const targetStride = shadow.frame.stride;
    for (const r of damage) {
      const rowBytes = (r.right - r.left) * 4;
      for (let y = r.top; y < r.bottom; y++) {
        const from = y * sourceStride + r.left * 4;
        target.set(source.subarray(from, from + rowBytes), y * targetStride + r.left * 4);
      }
    }
    shadow.frame = { ...shadow.frame, damage, frameNumber: info.frame, presentTime: info.presentTime };
    for (const listener of shadow.listeners) listener(shadow.frame);
  }
}

function toViewerDump(dump: FlingerDump, text: string): ViewerDump {
  const byId = new Map(dump.layers.map((l) => [l.id, l]));
  const build = (id: number): ViewerLayer | undefined => {
    const layer = byId.get(id);
    if (!layer) return undefined;
    const p = layer.properties;
    const properties: Record<string, string | number | boolean> = {
      client: layer.client,
      pos: `${p.position.x},${p.position.y}`,
      alpha: p.alpha,
      latched: layer.framesLatched,
      dropped: layer.framesDropped,
    };
    if (layer.buffer) properties.buffer = `${layer.buffer.width}x${layer.buffer.height} ${layer.buffer.format} #${layer.buffer.frameNumber}`;
    if (layer.parent === null) properties.offscreen = true;
    if (p.hidden) properties.hidden = true;
    if (p.opaque) properties.opaque = true;
    if (p.secure) properties.secure = true;
    if (p.skipScreenshot) properties.skipScreenshot = true;
    return {
      id: layer.id,
      name: layer.name,
      kind: layer.kind,
      z: p.z,
      properties,
      children: layer.children.map(build).filter((c): c is ViewerLayer => c !== undefined).sort((a, b) => a.z - b.z),
    };
  };
  const roots = dump.layers.filter((l) => l.parent === null || !byId.has(l.parent));
  const outputLayers: Record<number, ViewerOutputLayer[]> = {};
  for (const display of dump.displays) {
    outputLayers[display.id] = (display.lastFrame?.layers ?? []).map((l) => ({
      layerId: l.layer,
      name: l.name,
      compositionType: String(l.compositionType),
      displayFrame: l.displayFrame,
    }));
  }
  return {
    layers: roots.map((l) => build(l.id)).filter((l): l is ViewerLayer => l !== undefined).sort((a, b) => a.z - b.z),
    outputLayers,
    text,
  };
}
