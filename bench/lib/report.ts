// The one benchmark convention (docs/architecture.md): a suite measures cases, prints a table and
// writes bench/out/SUITE.json with machine facts. Peers are measured in the same run or left out.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchResult {
  case: string;
  metric: string;
  median: number;
  p99?: number;
  peer?: string;
  peerMedian?: number;
  /** ours / peer's, both from this run (lower is better for times). */
  ratio?: number;
  /** Free-form facts about the case (sizes, counts, goals). */
  note?: string;
}

export const benchOutDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'out');

/** Median and 99th percentile of a sample (nearest-rank). */
export function summarize(samples: readonly number[]): { median: number; p99: number; min: number; max: number } {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return { median: at(0.5), p99: at(0.99), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Attaches a peer's median and the ratio ours/peer. */
export function withPeer(result: BenchResult, peer: string, peerMedian: number | undefined): BenchResult {
  if (peerMedian === undefined || !Number.isFinite(peerMedian) || peerMedian <= 0) return result;
  return { ...result, peer, peerMedian, ratio: round(result.median / peerMedian, 3) };
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Prints the table and writes bench/out/SUITE.json. */
export function report(suite: string, results: BenchResult[], notes: string[] = []): void {
  const rows = results.map((r) => [
    r.case,
    r.metric,
    fmt(r.median),
    r.p99 === undefined ? '' : fmt(r.p99),
    r.peer ?? '',
    r.peerMedian === undefined ? '' : fmt(r.peerMedian),
    r.ratio === undefined ? '' : fmt(r.ratio),
    r.note ?? '',
  ]);
  const header = ['case', 'metric', 'median', 'p99', 'peer', 'peer median', 'ratio', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`\n## ${suite}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  for (const note of notes) process.stdout.write(`note: ${note}\n`);
  mkdirSync(benchOutDir, { recursive: true });
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  writeFileSync(join(benchOutDir, `${suite}.json`), `${JSON.stringify({ suite, machine, results, notes }, null, 2)}\n`);
}

function fmt(value: number): string {
  if (Math.abs(value) >= 1000) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}
