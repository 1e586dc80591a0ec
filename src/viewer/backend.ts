// What the viewer needs from the compositor, and nothing more. The viewer is written only against
// this interface; the adapter in ./stratum-backend.ts maps the real server onto it, and tests may
// implement it over plain framebuffers. Optional members are features that arrive with later work
// (hotplug, virtual displays, recording, input); the viewer shows their controls disabled until a
// backend provides them.
import type { Rect } from '../region/rect.js';

export type DisplayKind = 'internal' | 'external' | 'virtual' | 'simulated';

export interface DisplayInfo {
  readonly id: number;
  readonly name: string;
  readonly kind: DisplayKind;
  readonly width: number;
  readonly height: number;
  readonly refreshHz: number;
}

/**
 * One presented frame of a display. `rgba` is the display's framebuffer (rows of `stride` bytes,
 * RGBA8888); it must stay valid and unchanged until the next frame of the same display is reported.
 */
export interface ViewerFrame {
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly rgba: Uint8Array;
  /** What changed since the previous frame, in display pixels. */
  readonly damage: readonly Rect[];
  readonly frameNumber: number;
  /** Milliseconds on the server's monotonic clock. */
  readonly presentTime: number;
}

/** As the composer names it: DEVICE, CLIENT, SOLID_COLOR, CURSOR. */
export type CompositionType = string;

export interface ViewerLayer {
  readonly id: number;
  readonly name: string;
  readonly kind: string;
  readonly z: number;
  /** Short property strings shown in the panel, e.g. { position: '0,0', alpha: '1' }. */
  readonly properties: Readonly<Record<string, string | number | boolean>>;
  readonly children: readonly ViewerLayer[];
}

export interface ViewerOutputLayer {
  readonly layerId: number;
  readonly name: string;
  readonly compositionType: CompositionType;
  readonly displayFrame: Rect;
}

export interface ViewerDump {
  readonly layers: readonly ViewerLayer[];
  /** The last frame's output layers, by display id. */
  readonly outputLayers: Readonly<Record<number, readonly ViewerOutputLayer[]>>;
  /** The server's own text dump, shown verbatim when present. */
  readonly text?: string;
}

export type PointerAction = 'down' | 'move' | 'up' | 'cancel';

export type InputEvent =
  | {
      readonly kind: 'pointer';
      readonly displayId: number;
      readonly action: PointerAction;
      readonly x: number;
      readonly y: number;
      readonly pointerId: number;
      readonly buttons: number;
    }
  | {
      readonly kind: 'key';
      readonly displayId: number;
      readonly action: 'down' | 'up';
      /** The DOM `key` value, e.g. 'a', 'Enter', 'ArrowLeft'. */
      readonly key: string;
    };

export interface DisplaySize {
  readonly width: number;
  readonly height: number;
  readonly refreshHz?: number;
}

export interface RecordingState {
  readonly active: boolean;
  readonly displayId?: number;
  readonly file?: string;
}

export type Unsubscribe = () => void;

export interface ViewerBackend {
  displays(): readonly DisplayInfo[];
  onDisplaysChanged(listener: () => void): Unsubscribe;
  /** The most recent frame of a display, if it has presented one. */
  latestFrame(displayId: number): ViewerFrame | undefined;
  onFrame(displayId: number, listener: (frame: ViewerFrame) => void): Unsubscribe;
  dump(): ViewerDump;
  captureDisplayPng(displayId: number): Promise<Uint8Array>;

  connectExternalDisplay?(size: DisplaySize): Promise<DisplayInfo>;
  disconnectDisplay?(displayId: number): Promise<void>;
  createVirtualDisplay?(size: DisplaySize): Promise<DisplayInfo>;
  createSimulatedDisplay?(size: DisplaySize): Promise<DisplayInfo>;
  removeDisplay?(displayId: number): Promise<void>;
  /** Why recording cannot work here (e.g. ffmpeg missing), or undefined when it can. */
  recordingUnavailableReason?(): string | undefined;
  startRecording?(displayId: number): Promise<RecordingState>;
  stopRecording?(): Promise<RecordingState>;
  injectInput?(event: InputEvent): void;
}

/** The actions a backend offers, sent to the page so it can enable its buttons. */
export interface ViewerCapabilities {
  readonly connectExternalDisplay: boolean;
  readonly disconnectDisplay: boolean;
  readonly createVirtualDisplay: boolean;
  readonly createSimulatedDisplay: boolean;
  readonly removeDisplay: boolean;
  readonly recording: boolean;
  readonly recordingNote?: string;
  readonly input: boolean;
}

export function capabilitiesOf(backend: ViewerBackend): ViewerCapabilities {
  const recordingReason = backend.startRecording
    ? backend.recordingUnavailableReason?.()
    : 'not available yet: needs screenrecord (issue 8)';
  return {
    connectExternalDisplay: backend.connectExternalDisplay !== undefined,
    disconnectDisplay: backend.disconnectDisplay !== undefined,
    createVirtualDisplay: backend.createVirtualDisplay !== undefined,
    createSimulatedDisplay: backend.createSimulatedDisplay !== undefined,
    removeDisplay: backend.removeDisplay !== undefined,
    recording: backend.startRecording !== undefined && recordingReason === undefined,
    ...(recordingReason === undefined ? {} : { recordingNote: recordingReason }),
    input: backend.injectInput !== undefined,
  };
}
