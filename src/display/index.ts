// Displays and their timing: the headless (internal/external) display, virtual displays, modes, projection, VSync sources.
export * from './vsync.js';
export * from './display.js';
export * from './virtual.js';
export * from './scheduler.js';
