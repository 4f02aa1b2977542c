/**
 * Latency histograms: HdrHistogram (`hdr-histogram-js`) recording microseconds with 3 significant digits (values
 * exact to 0.1%), read back in milliseconds.
 *
 * @module
 */
import { build, type Histogram } from 'hdr-histogram-js';
import type { CdfPoint, LatencyStats } from './report.js';

/** Percentiles a CDF is drawn through: dense in the tail, where latency problems live. */
const CDF_PERCENTILES = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 98, 99, 99.5, 99.9, 99.95, 99.99, 100];

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
    this.h.recordValue(Math.min(3_600_000_000, Math.max(1, Math.round(ms * 1000))));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Latency (ms) at percentile `p` (0–100). */
  percentile(p: number): number {
    return this.h.getValueAtPercentile(p) / 1000;
  }

  stats(): LatencyStats {
    const empty = this.h.totalCount === 0;
    return {
      count: this.h.totalCount,
      meanMs: empty ? 0 : this.h.mean / 1000,
      p50Ms: this.percentile(50),
      p90Ms: this.percentile(90),
      p95Ms: this.percentile(95),
      p99Ms: this.percentile(99),
      p999Ms: this.percentile(99.9),
      maxMs: empty ? 0 : this.h.maxValue / 1000,
    };
  }

  cdf(): CdfPoint[] {
    if (this.h.totalCount === 0) return [];
    return CDF_PERCENTILES.map((percentile) => ({ percentile, ms: percentile === 100 ? this.h.maxValue / 1000 : this.percentile(percentile) }));
  }
}
