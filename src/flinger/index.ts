// The compositor core (SurfaceFlinger): layers, transactions, VSync latching, visible regions,
// damage, composition and capture. See docs/compositor.md.
export { Flinger, FlingerClient, frameDamage } from './flinger.js';
export type { ClientOptions, FlingerOptions, PresentInfo } from './flinger.js';
export { Transaction } from './transaction.js';
export { ClientComposition, toRenderLayers } from './composition.js';
export type { CompositionEngine, CompositionResult, DisplayFrame, RenderBackend } from './composition.js';
export { encodePng } from './capture.js';
export type { CaptureOptions, CaptureResult } from './capture.js';
export { buildSnapshot } from './snapshot.js';
export type { OutputFilter, SkipReason, Snapshot, SnapshotTarget } from './snapshot.js';
export { dumpText } from './dump.js';
export { DEFAULT_PROPERTIES, MAX_COORDINATE, MAX_MATRIX_ENTRY, MAX_REGION_RECTS } from './layer.js';
export * from './types.js';
