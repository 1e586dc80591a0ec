export * from './rect.js';
export * from './region.js';
