/**
 * The workloads of a run, each a function from the run's context to its measurements: bulk upsert, query (a
 * concurrency sweep), filtered query per selectivity, mixed read/write, streaming (queries while inserts go on),
 * the efSearch sweep and the open-loop fixed rate.
 *
 * @module
 */
import type { Dataset, SelectiveFilter } from './dataset.js';
import type { LoadDriver } from './load-driver.js';
import { type LoadData, recordOf } from './load-data.js';
import type { LoadSpec } from './load-loop.js';
import { measure, type MeasureRequest, type TargetMeasurement } from './measure.js';
import type { BenchOptions } from './options.js';
import type { ProgressSink } from './progress.js';
import type { BenchTarget } from './target.js';

/** How often the upsert workload asks the target how many records it counts. */
const COUNT_POLL_MS = 100;
/** How long records may take to become searchable (eventually consistent targets) before the run gives up. */
const SEARCHABLE_TIMEOUT_MS = 600_000;

export interface WorkloadContext {
  opts: BenchOptions;
  target: BenchTarget;
  driver: LoadDriver;
  data: LoadData;
  ds: Dataset;
  filters: SelectiveFilter[];
  progress: ProgressSink;
  /** Records a problem that is not one measurement's (a workload this target cannot run, ...). */
  warn(message: string): void;
}

type Spec = MeasureRequest['spec'];

/** A timed query spec from the run's options. */
function querySpec(ctx: WorkloadContext, concurrency: number, extra: Partial<Spec> = {}): Spec {
  const o = ctx.opts;
  return {
    mode: 'closed', concurrency, rate: 0, warmupMs: o.warmupMs, durationMs: o.durationMs, writeRatio: 0, topK: o.topK,
    includeValues: o.includeValues, includeMetadata: o.includeMetadata, queryOffset: 0, ...extra,
  };
}

const run = (ctx: WorkloadContext, req: Omit<MeasureRequest, 'repeats' | 'seed' | 'truth'> & Partial<Pick<MeasureRequest, 'repeats' | 'truth'>>) =>
  measure(ctx.driver, ctx.progress, { repeats: ctx.opts.repeats, seed: ctx.opts.seed, truth: ctx.ds.truth, ...req });

/** Polls until the target counts `want` records; ms waited, or null on timeout. */
async function waitCount(target: BenchTarget, want: number): Promise<number | null> {
  const t0 = performance.now();
  while ((await target.count()) < want) {
    if (performance.now() - t0 > SEARCHABLE_TIMEOUT_MS) return null;
    await new Promise((r) => setTimeout(r, COUNT_POLL_MS));
  }
  return performance.now() - t0;
}

/**
 * Writes rows [from, to) with `upsertConcurrency` requests of `batchSize` in flight; measured (records/s, time
 * until searchable and until indexed) when `measured`, otherwise just loaded.
 */
export async function upsertRows(ctx: WorkloadContext, from: number, to: number, measured: boolean): Promise<TargetMeasurement | null> {
  const o = ctx.opts;
  const spec: Spec = { ...querySpec(ctx, o.upsertConcurrency), mode: 'bulk', warmupMs: 0, durationMs: 0, bulkFrom: from, bulkTo: to, batchSize: o.batchSize };
  const label = measured ? `upsert b=${o.batchSize} c=${o.upsertConcurrency}` : `load ${to - from} records`;
  const m = await run(ctx, { workload: 'upsert', label, params: { batchSize: o.batchSize, concurrency: o.upsertConcurrency }, spec, records: to - from, repeats: 1 });
  if (m.failed) return m;
  const searchableWait = await waitCount(ctx.target, to);
  if (!measured) return null;
  m.searchableMs = searchableWait === null ? null : m.durationMs + searchableWait;
  const t0 = performance.now();
  const indexed = await ctx.target.waitIndexed();
  m.indexedMs = typeof indexed === 'string' ? null : m.durationMs + (searchableWait ?? 0) + performance.now() - t0;
  m.notes = [...(m.notes ?? []), typeof indexed === 'string' ? `time until indexed: ${indexed}` : exactNote(indexed.exactRows, to - from)];
  if (m.indexedMs !== null) m.notes.push(`settled ${(m.indexedMs - m.durationMs).toFixed(0)} ms after the last write`);
  if (m.searchableMs === null) m.notes.push(`records not all counted after ${SEARCHABLE_TIMEOUT_MS / 1000} s`);
  return m;
}

/** What stays searched exactly once the builds are done (LarchDB's memtable, until it fills). */
function exactNote(exactRows: number, total: number): string {
  return exactRows === 0
    ? 'every record is in a graph'
    : `${exactRows} of ${total} records are searched exactly, not through a graph (LarchDB: its memtable, until that fills)`;
}

export async function queryWorkload(ctx: WorkloadContext): Promise<TargetMeasurement[]> {
  const out: TargetMeasurement[] = [];
  for (const c of ctx.opts.concurrency) {
    out.push(await run(ctx, { workload: 'query', label: `query c=${c}`, params: { concurrency: c, topK: ctx.opts.topK, includeValues: ctx.opts.includeValues, includeMetadata: ctx.opts.includeMetadata }, spec: querySpec(ctx, c) }));
  }
  return out;
}

export async function filteredWorkload(ctx: WorkloadContext): Promise<TargetMeasurement[]> {
  const c = ctx.opts.concurrency[0]!;
  const out: TargetMeasurement[] = [];
  for (const f of ctx.filters) {
    out.push(await run(ctx, {
      workload: 'filtered', label: `filtered s=${f.selectivity} c=${c}`,
      params: { concurrency: c, topK: ctx.opts.topK, selectivity: f.selectivity, actualSelectivity: f.actualSelectivity },
      spec: querySpec(ctx, c, { filter: f.filter }), truth: f.truth,
    }));
  }
  return out;
}

export async function mixedWorkload(ctx: WorkloadContext): Promise<TargetMeasurement[]> {
  const w = ctx.opts.writeRatio;
  const out: TargetMeasurement[] = [];
  for (const c of ctx.opts.concurrency) {
    out.push(await run(ctx, { workload: 'mixed', label: `mixed w=${w} c=${c}`, params: { concurrency: c, topK: ctx.opts.topK, writeRatio: w }, spec: querySpec(ctx, c, { writeRatio: w }) }));
  }
  return out;
}

/** Queries at the first concurrency while one writer inserts rows [from, count) in batches. */
export async function streamingWorkload(ctx: WorkloadContext, from: number): Promise<TargetMeasurement[]> {
  const c = ctx.opts.concurrency[0]!;
  const control = new Int32Array(new SharedArrayBuffer(8));
  Atomics.store(control, 0, from);
  const writer = async (ctl: Int32Array, startAt: number): Promise<string[]> => {
    await new Promise((r) => setTimeout(r, Math.max(0, startAt - performance.timeOrigin - performance.now())));
    const t0 = performance.now();
    let failed: string | null = null;
    try {
      for (let at = from; at < ctx.data.count; at += ctx.opts.batchSize) {
        const end = Math.min(ctx.data.count, at + ctx.opts.batchSize);
        await ctx.target.upsert(Array.from({ length: end - at }, (_, i) => recordOf(ctx.data, at + i)));
        Atomics.store(ctl, 0, end);
      }
    } catch (err) {
      failed = (err as Error).message;
    } finally {
      Atomics.store(ctl, 1, 1);
    }
    const s = (performance.now() - t0) / 1000;
    return [`${ctx.data.count - from} records inserted during the run by one writer (batches of ${ctx.opts.batchSize}) in ${s.toFixed(1)} s: ${((ctx.data.count - from) / s).toFixed(0)} records/s`,
      ...(failed ? [`the writer failed: ${failed}`] : [])];
  };
  const m = await run(ctx, {
    workload: 'streaming', label: `streaming c=${c}`, params: { concurrency: c, topK: ctx.opts.topK, batchSize: ctx.opts.batchSize },
    spec: querySpec(ctx, c, { warmupMs: 0, durationMs: 24 * 3_600_000, control }), alongside: writer, repeats: 1,
  });
  return [m];
}

export async function efSweepWorkload(ctx: WorkloadContext): Promise<TargetMeasurement[]> {
  const c = ctx.opts.concurrency[0]!;
  const out: TargetMeasurement[] = [];
  for (const ef of ctx.opts.ef) {
    const set = await ctx.target.setEf(ef);
    if (set !== true) {
      ctx.warn(`ef sweep not measured: ${set}`);
      return out;
    }
    out.push(await run(ctx, { workload: 'ef-sweep', label: `ef-sweep ef=${ef} c=${c}`, params: { concurrency: c, topK: ctx.opts.topK, ef }, spec: querySpec(ctx, c) }));
  }
  return out;
}

export async function openLoopWorkload(ctx: WorkloadContext): Promise<TargetMeasurement[]> {
  const rate = ctx.opts.rate!;
  const spec: Spec = { ...querySpec(ctx, 4096), mode: 'open', rate } satisfies Partial<LoadSpec>;
  return [await run(ctx, { workload: 'open-loop', label: `open-loop rate=${rate}`, params: { rate, topK: ctx.opts.topK }, spec })];
}
