export * from './fields.js';
export * from './limits.js';
export * from './schema.js';
export * from './codec.js';
export * from './version.js';
export * from './time.js';
export * from './display-info.js';
export * from './socket-path.js';
