// Displays and their timing: the headless display, projection, VSync sources.
export * from './vsync.js';
export * from './display.js';
