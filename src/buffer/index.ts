export * from './format.js';
export * from './usage.js';
export * from './graphic-buffer.js';
export * from './allocator.js';
export * from './transform.js';
