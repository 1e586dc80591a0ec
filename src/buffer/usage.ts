// Usage bits: who will touch a buffer and how. They travel on the wire as one 32-bit number.

export const Usage = {
  CPU_READ_RARELY: 1 << 0,
  CPU_READ_OFTEN: 1 << 1,
  CPU_WRITE_RARELY: 1 << 2,
  CPU_WRITE_OFTEN: 1 << 3,
  /** Scanned out by a composer overlay plane. */
  COMPOSER_OVERLAY: 1 << 4,
  /** Sampled by the renderer. */
  RENDERER_TEXTURE: 1 << 5,
  /** Written by the renderer (client targets, virtual display outputs). */
  RENDER_TARGET: 1 << 6,
  VIDEO_ENCODER: 1 << 7,
  /** Must never reach an unsecured output (captures show it black). */
  PROTECTED: 1 << 8,
} as const;

export type UsageBits = number;

export const ALL_USAGE_BITS = Object.values(Usage).reduce((a, b) => a | b, 0);

/** What a producer drawing with the CPU and a compositor sampling it need: the default. */
export const DEFAULT_PRODUCER_USAGE = Usage.CPU_WRITE_OFTEN | Usage.RENDERER_TEXTURE | Usage.COMPOSER_OVERLAY;

export function usageNames(bits: UsageBits): string[] {
  return Object.entries(Usage)
    .filter(([, bit]) => (bits & bit) !== 0)
    .map(([name]) => name);
}
