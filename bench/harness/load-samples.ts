/**
 * Raw samples of one load thread (start, latency, outcome, recall per operation) in a growable Float64Array that is
 * transferred, not copied, to the main thread, and their aggregation into a measurement's figures.
 *
 * @module
 */
import { LatencyHistogram } from './histogram.js';
import type { CdfPoint, LatencyStats, TimelinePoint } from './report.js';

/** Fields per sample: start (ms since the measured window began), latency ms, ok (1/0), recall (NaN: none). */
const FIELDS = 4;
/** Distinct error messages kept per measurement. */
const ERROR_SAMPLES = 5;

/** Samples of one thread. */
export class SampleBuffer {
  private data = new Float64Array(FIELDS * 4096);
  length = 0;
  readonly errorMessages: string[] = [];
  errors = 0;

  record(startMs: number, latencyMs: number, ok: boolean, recall = NaN): void {
    if ((this.length + 1) * FIELDS > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set([startMs, latencyMs, ok ? 1 : 0, recall], this.length * FIELDS);
    this.length++;
  }

  /** Counts a failure and keeps its message when it is new. */
  fail(startMs: number, latencyMs: number, message: string): void {
    this.errors++;
    if (this.errorMessages.length < ERROR_SAMPLES && !this.errorMessages.includes(message)) this.errorMessages.push(message);
    this.record(startMs, latencyMs, false);
  }

  /** The samples, trimmed, ready to transfer. */
  take(): SampleSet {
    return { samples: this.data.slice(0, this.length * FIELDS), errors: this.errors, errorMessages: this.errorMessages };
  }
}

/** What one thread sends back. */
export interface SampleSet {
  samples: Float64Array;
  errors: number;
  errorMessages: string[];
}

/** The figures of one measurement, from every thread's samples. */
export interface Aggregate {
  ok: number;
  errors: number;
  errorSamples: string[];
  latency: LatencyStats;
  cdf: CdfPoint[];
  timeline: TimelinePoint[];
  /** Mean recall of the operations that have one (undefined: none). */
  recall: number | undefined;
}

/** Aggregates samples over a window of `durationMs`: latencies of successful operations, timeline buckets. */
export function aggregate(sets: SampleSet[], durationMs: number): Aggregate {
  const hist = new LatencyHistogram();
  // A timeline of about 30 points, between 0.1 s and 1 s apart.
  const bucketMs = Math.min(1000, Math.max(100, Math.round(durationMs / 30)));
  const buckets = new Map<number, { lat: number[]; errors: number; recallSum: number; recallN: number }>();
  let ok = 0;
  let recallSum = 0;
  let recallN = 0;
  for (const s of sets) {
    const d = s.samples;
    for (let i = 0; i < d.length; i += FIELDS) {
      const [start, lat, good, recall] = [d[i]!, d[i + 1]!, d[i + 2]! === 1, d[i + 3]!];
      const key = Math.floor(Math.max(0, start) / bucketMs);
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = { lat: [], errors: 0, recallSum: 0, recallN: 0 }));
      if (!good) {
        b.errors++;
        continue;
      }
      ok++;
      hist.record(lat);
      b.lat.push(lat);
      if (!Number.isNaN(recall)) {
        recallSum += recall;
        recallN++;
        b.recallSum += recall;
        b.recallN++;
      }
    }
  }
  const timeline = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([key, b]): TimelinePoint => {
    const sorted = b.lat.sort((x, y) => x - y);
    const at = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
    return {
      tMs: key * bucketMs,
      ops: sorted.length + b.errors,
      errors: b.errors,
      p50Ms: at(50),
      p99Ms: at(99),
      ...(b.recallN > 0 ? { recall: b.recallSum / b.recallN } : {}),
    };
  });
  return {
    ok,
    errors: sets.reduce((n, s) => n + s.errors, 0),
    errorSamples: [...new Set(sets.flatMap((s) => s.errorMessages))].slice(0, ERROR_SAMPLES),
    latency: hist.stats(),
    cdf: hist.cdf(),
    timeline,
    recall: recallN > 0 ? recallSum / recallN : undefined,
  };
}
