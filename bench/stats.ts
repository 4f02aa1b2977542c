/**
 * Latency statistics for benchmarks: an HdrHistogram (`hdr-histogram-js`) recording microseconds with 3 significant
 * digits (values are exact to 0.1%), read back in milliseconds.
 *
 * @module
 */
import { build, type Histogram } from 'hdr-histogram-js';

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
export class LatencyHistogram {
  private readonly h: Histogram = build({
    lowestDiscernibleValue: 1, // 1 µs
    highestTrackableValue: 3_600_000_000, // 1 h in µs
    numberOfSignificantValueDigits: 3,
    autoResize: false,
    useWebAssembly: false,
  });

  /** Records one latency given in milliseconds. */
  record(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Latency (ms) at percentile `p` (0–100). */
  percentile(p: number): number {
    return this.h.getValueAtPercentile(p) / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.h.totalCount,
      meanMs: this.h.mean / 1000,
      p50Ms: this.percentile(50),
      p95Ms: this.percentile(95),
      p99Ms: this.percentile(99),
      maxMs: this.h.maxValue / 1000,
    };
  }
}
