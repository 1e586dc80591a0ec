// The demo apps `stratum start` runs and `stratum demo NAME` starts: each is its own process that
// uses only the public SDK. Their layout is for the default 1080x2400 display, like a phone.

export interface DemoInfo {
  readonly name: string;
  readonly description: string;
}

export const DEMOS: readonly DemoInfo[] = [
  { name: 'wallpaper', description: 'a full-screen gradient, drawn once' },
  { name: 'status-bar', description: 'the top bar with a live clock in a tiny bitmap font' },
  { name: 'navigation-bar', description: 'the bottom bar with back, home and recents buttons' },
  { name: 'animation', description: 'a bouncing ball paced by the compositor (VSync, latching and damage)' },
  { name: 'video', description: 'NV12 video-like frames (moving color bars)' },
];

export function findDemo(name: string): DemoInfo | undefined {
  return DEMOS.find((d) => d.name === name);
}
