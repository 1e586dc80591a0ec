// The Composer (HWC): the HWC2-contract device (layers, validate -> accept -> present, fences,
// hotplug and VSync callbacks), plane planning, and the flinger engine that drives it (docs/composer.md).
export * from './types.js';
export * from './planner.js';
export * from './device.js';
export * from './engine.js';
export * from './hotplug.js';
