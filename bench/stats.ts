/**
 * Latency statistics for the developer benchmarks: the harness's HdrHistogram (bench/harness/histogram.ts), with the
 * summary these scripts print.
 *
 * @module
 */
import { LatencyHistogram as HarnessHistogram } from './harness/histogram.js';

/** Percentiles of one run, in milliseconds. */
export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Records request latencies (ms, fractional) and reports percentiles. */
export class LatencyHistogram extends HarnessHistogram {
  summary(): LatencySummary {
    const { count, meanMs, p50Ms, p95Ms, p99Ms, maxMs } = this.stats();
    return { count, meanMs, p50Ms, p95Ms, p99Ms, maxMs };
  }
}
