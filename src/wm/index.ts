// The window manager: windows, types and z-order policy, layout, focus, input dispatch, rotation,
// transitions. See docs/window-manager.md.
export { WindowManager, WindowSession } from './window-manager.js';
export type { SessionOptions, WindowHandle, WindowInfo, WindowManagerOptions } from './window-manager.js';
export { EventChannel } from './channel.js';
export { Animator, easeOut, lerp } from './animation.js';
export type { Animation } from './animation.js';
export * from './policy.js';
export * from './types.js';
