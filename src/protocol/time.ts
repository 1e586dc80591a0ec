// The wire's clock: f64 milliseconds of CLOCK_MONOTONIC, which all processes share (process.hrtime),
// unlike performance.now(), whose origin is each process's start. The queue and flinger count in
// performance.now() milliseconds; these helpers convert at the boundary.
import { performance } from 'node:perf_hooks';

/** CLOCK_MONOTONIC in milliseconds. */
export function wireNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

// performance.now() = CLOCK_MONOTONIC - offset; measured once (both clocks tick at the same rate).
const offsetMs = wireNow() - performance.now();

export function wireTimeToLocal(wireMs: number): number {
  return wireMs - offsetMs;
}

export function localTimeToWire(localMs: number): number {
  return localMs + offsetMs;
}
