// The Stratum SDK: connect to the server, create surfaces, produce buffers, describe layers.
export { StratumClient, connect } from './connection.js';
export type { ConnectOptions, DisplayModeInfo, Screenshot, ServerInfo } from './connection.js';
export type { DisplayInfo, DisplayKindName, DisplayRotation } from '../protocol/display-info.js';
export { Surface, SurfaceControl } from './surface.js';
export type {
  BufferReleasedEvent,
  CreateSurfaceOptions,
  DequeueOptions,
  DequeuedBuffer,
  ProducerOptions,
  QueueOptions,
  QueueResult,
  SurfaceKindName,
} from './surface.js';
export { Transaction } from './transaction.js';
export { Choreographer } from './choreographer.js';
export type { FrameCallback, FrameInfo } from './choreographer.js';
export { Window, WindowFlag } from './window.js';
export { RemoteVirtualDisplay } from './virtual-display.js';
export type { CreateVirtualDisplayOptions, VirtualDisplayFrame } from './virtual-display.js';
export type { AddWindowOptions, InjectInputEvent, InjectInputResult, InputAction, InputEventKind, WindowConfig, WindowInputEvent, WindowTypeName } from './window.js';
export type { SurfaceStats, TransactionCallback, TransactionStats } from './transaction.js';
export { GraphicBuffer } from '../buffer/graphic-buffer.js';
export { PixelFormat } from '../buffer/format.js';
export { ScalingMode, Transform } from '../buffer/transform.js';
export { Usage } from '../buffer/usage.js';
export { StratumError, isStratumError } from '../os/status.js';
export type { StatusCode } from '../os/status.js';
export type { Rect } from '../region/rect.js';
export { LayerFlag, PROTOCOL_VERSION, wireNow } from '../protocol/index.js';
export type { ProtocolVersion } from '../protocol/index.js';
