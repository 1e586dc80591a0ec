// Buffer transforms (Android's bit encoding: the 8 flips and rotations) and scaling modes.
import { StratumError } from '../os/status.js';

export const Transform = {
  NONE: 0,
  FLIP_H: 1,
  FLIP_V: 2,
  ROT_90: 4,
  ROT_180: 3,
  ROT_270: 7,
  /** FLIP_H then ROT_90. */
  FLIP_H_ROT_90: 5,
  /** FLIP_V then ROT_90. */
  FLIP_V_ROT_90: 6,
} as const;

export type Transform = (typeof Transform)[keyof typeof Transform];

export function isTransform(value: unknown): value is Transform {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 7;
}

export function checkTransform(value: number): Transform {
  if (!isTransform(value)) throw new StratumError('BAD_VALUE', `transform ${value} is not one of 0..7 (flips and rotations)`);
  return value;
}

/** True when the transform swaps width and height (90 or 270 degrees). */
export function transformSwapsAxes(t: Transform): boolean {
  return (t & Transform.ROT_90) !== 0;
}

export function transformName(t: number): string {
  return Object.entries(Transform).find(([, v]) => v === t)?.[0] ?? `UNKNOWN(${t})`;
}

/** Rotation by a multiple of 90 degrees clockwise as a transform. */
export function rotationTransform(degrees: 0 | 90 | 180 | 270): Transform {
  return ({ 0: Transform.NONE, 90: Transform.ROT_90, 180: Transform.ROT_180, 270: Transform.ROT_270 } as const)[degrees];
}

export const ScalingMode = {
  /** Show the buffer only if it matches the window size (otherwise keep the previous one). */
  FREEZE: 0,
  SCALE_TO_WINDOW: 1,
  SCALE_CROP: 2,
  NO_SCALE_CROP: 3,
} as const;

export type ScalingMode = (typeof ScalingMode)[keyof typeof ScalingMode];

export function isScalingMode(value: unknown): value is ScalingMode {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 3;
}
