/**
 * One measurement: runs a load spec (with warm-up and repeats), shows its progress and turns the samples into a
 * report {@link Measurement}. The headline figures are the repeat with the median throughput.
 *
 * @module
 */
import type { LoadDriver } from './load-driver.js';
import type { TruthView } from './load-data.js';
import type { LoadSpec } from './load-loop.js';
import { aggregate } from './load-samples.js';
import type { ProgressSink } from './progress.js';
import type { Measurement, MeasurementParams, WorkloadKind } from './report.js';

/** A measurement as one target's workloads produce it; the run adds which target it was. */
export type TargetMeasurement = Omit<Measurement, 'target'>;

/** How often the progress display reads the shared counter. */
const PROGRESS_MS = 250;
/** Time given to worker threads to receive a task before the common start. */
const START_DELAY_MS = 30;

export interface MeasureRequest {
  workload: WorkloadKind;
  label: string;
  params: MeasurementParams;
  /** The spec without its clock and counter (set here). */
  spec: Omit<LoadSpec, 'startAt' | 'counter' | 'seed'>;
  truth: TruthView;
  repeats: number;
  seed: number;
  /** Bulk loads: records written per repeat (throughput is records/s over the whole load). */
  records?: number;
  /**
   * Runs beside the load (streaming's writer), starting at `startAt` (performance.timeOrigin + now()) with the load;
   * the measurement lasts until it resolves. Returns notes.
   */
  alongside?: (control: Int32Array, startAt: number) => Promise<string[]>;
}

/** Runs `req` on `driver`; progress goes to `progress`. */
export async function measure(driver: LoadDriver, progress: ProgressSink, req: MeasureRequest): Promise<TargetMeasurement> {
  const runs: Omit<TargetMeasurement, 'repeats'>[] = [];
  for (let r = 0; r < req.repeats; r++) {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const control = req.spec.control;
    const bulk = req.spec.mode === 'bulk';
    const total = bulk ? req.records! : req.alongside ? 0 : req.spec.warmupMs + req.spec.durationMs;
    progress.begin(req.repeats > 1 ? `${req.label} (${r + 1}/${req.repeats})` : req.label, total, bulk ? 'records' : 'ms');
    const startAt = performance.timeOrigin + performance.now() + START_DELAY_MS;
    const timer = setInterval(() => {
      const elapsed = performance.timeOrigin + performance.now() - startAt;
      const done = Atomics.load(counter, 0);
      progress.update(bulk ? done : Math.min(total, elapsed), elapsed > 0 ? (done * 1000) / elapsed : 0);
    }, PROGRESS_MS);
    let notes: string[] = [];
    let result;
    try {
      const load = driver.run({ ...req.spec, startAt, counter, seed: req.seed + r }, req.truth);
      if (req.alongside) notes = await req.alongside(control!, startAt);
      result = await load;
    } finally {
      clearInterval(timer);
    }
    const wallMs = performance.timeOrigin + performance.now() - startAt;
    const durationMs = bulk || req.alongside ? wallMs - req.spec.warmupMs : req.spec.durationMs;
    const agg = aggregate(result.sets, durationMs);
    const throughput = ((bulk ? req.records! : agg.ok) * 1000) / durationMs;
    const m: Omit<TargetMeasurement, 'repeats'> = {
      workload: req.workload,
      label: req.label,
      params: req.params,
      operations: agg.ok,
      errors: agg.errors,
      errorSamples: agg.errorSamples,
      ...(bulk ? { records: req.records! } : {}),
      durationMs,
      throughput,
      throughputUnit: bulk ? 'records/s' : req.workload === 'mixed' ? 'ops/s' : 'queries/s',
      latency: agg.latency,
      cdf: agg.cdf,
      timeline: agg.timeline,
      ...(agg.recall !== undefined ? { recall: agg.recall } : {}),
      clientCpu: result.clientCpu,
      ...(notes.length > 0 ? { notes } : {}),
      ...(result.fatal ? { failed: `the target failed during the run: ${result.fatal}` } : {}),
    };
    progress.end(summaryLine(m));
    runs.push(m);
    if (m.failed) break;
  }
  const byThroughput = [...runs].sort((a, b) => a.throughput - b.throughput);
  const headline = runs.find((m) => m.failed) ?? byThroughput[Math.floor((byThroughput.length - 1) / 2)]!;
  return {
    ...headline,
    repeats: runs.map((m) => ({ throughput: m.throughput, p50Ms: m.latency.p50Ms, p99Ms: m.latency.p99Ms, ...(m.recall !== undefined ? { recall: m.recall } : {}) })),
  };
}

/** One line for the progress display and logs. */
export function summaryLine(m: Omit<TargetMeasurement, 'repeats'>): string {
  const parts = [
    `${m.throughput.toFixed(m.throughput >= 100 ? 0 : 1)} ${m.throughputUnit}`,
    `p50 ${m.latency.p50Ms.toFixed(2)} ms`,
    `p99 ${m.latency.p99Ms.toFixed(2)} ms`,
  ];
  if (m.recall !== undefined) parts.push(`recall ${m.recall.toFixed(3)}`);
  if (m.errors > 0) parts.push(`${m.errors} errors`);
  if (m.clientCpu.clientBound) parts.push('client-bound');
  if (m.failed) parts.push(`FAILED: ${m.failed}`);
  return parts.join(', ');
}
