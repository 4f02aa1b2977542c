/**
 * One bench run: opens the target, loads the dataset (with exact ground truth), creates the index, runs the
 * workloads in a fixed order and returns the report. The library's `bench()` and the CLI both call {@link runBench}.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, loadavg, platform, totalmem } from 'node:os';
import { loadDataset } from './load-dataset.js';
import { selectiveFilters } from './ground-truth.js';
import { LoadDriver } from './load-driver.js';
import type { Dataset, SelectiveFilter } from './dataset.js';
import type { LoadData } from './load-data.js';
import { resolveOptions, type BenchOptions } from './options.js';
import type { TargetMeasurement } from './measure.js';
import { silentProgress, type ProgressSink } from './progress.js';
import { REPORT_FORMAT_VERSION, REPORT_SCHEMA_ID, type BenchReport, type Environment, type Measurement, type RunSettings } from './report.js';
import { openTarget, TargetError } from './target-open.js';
import type { BenchTarget } from './target.js';
import { efSweepWorkload, filteredWorkload, mixedWorkload, openLoopWorkload, queryWorkload, streamingWorkload, upsertRows, type WorkloadContext } from './workloads.js';

/**
 * Options of a run as the library takes them: the dataset and the target (or several, `targets`), the rest
 * defaulted (see {@link BenchOptions}).
 */
export type BenchInput = Partial<BenchOptions> & Pick<BenchOptions, 'dataset'> & ({ target: string } | { targets: string[] });

function packageVersion(name: string, from: string): string | undefined {
  try {
    return (createRequire(from)(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

function environment(): Environment {
  const ownPkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const libraries: Record<string, string> = {};
  for (const lib of ['hnswlib-node', 'hdr-histogram-js']) {
    const v = packageVersion(lib, `${process.cwd()}/`) ?? packageVersion(lib, import.meta.url);
    if (v) libraries[lib] = v;
  }
  return {
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: availableParallelism(),
    memoryBytes: totalmem(),
    loadAverage: loadavg()[0]!,
    larchdbVersion: ownPkg.version,
    libraries,
  };
}

function settingsOf(o: BenchOptions): RunSettings {
  return {
    targets: o.targets, dataset: o.dataset, workloads: o.workloads, concurrency: o.concurrency, topK: o.topK,
    selectivities: o.selectivities, ef: o.ef, rate: o.rate, durationMs: o.durationMs, warmupMs: o.warmupMs,
    repeats: o.repeats, batchSize: o.batchSize, writeRatio: o.writeRatio, loadThreads: o.loadThreads, index: o.index,
    namespace: o.namespace,
  };
}

/** A URL without credentials, query or fragment; other targets as given. */
function targetName(spec: string): string {
  try {
    const u = new URL(spec);
    if (u.protocol === 'http:' || u.protocol === 'https:') return `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}`;
  } catch {
    // not a URL
  }
  return spec;
}

/** Runs the benchmark `input` describes. Rejects with a UsageError, DatasetError or TargetError before any load. */
export async function runBench(input: BenchInput, progress: ProgressSink = silentProgress): Promise<BenchReport> {
  const { target, targets, ...rest } = input as BenchInput & { target?: string; targets?: string[] };
  const opts = resolveOptions({ ...rest, targets: targets ?? (target === undefined ? [] : [target]) });
  const startedAt = new Date().toISOString();
  const env = environment();
  // Every target is opened before any work, so an unreachable one fails the run at once.
  const opened: { name: string; target: BenchTarget }[] = [];
  /** Releases every target after a failure before the load (what prepare() created is removed unless --keep). */
  const abandon = async (err: unknown): Promise<never> => {
    await Promise.all(opened.map((t) => t.target.close(opts.keep).catch(() => undefined)));
    throw err;
  };
  try {
    for (const spec of opts.targets) opened.push({ name: targetName(spec), target: await openTarget(spec, opts.apiKey) });
  } catch (err) {
    await abandon(err);
  }
  const warnings: string[] = [];
  const measurements: Measurement[] = [];
  const ds: Dataset = await loadDataset({
    spec: opts.dataset, metric: opts.metric, queries: opts.queries, k: Math.max(100, opts.topK), cacheDir: opts.cacheDir,
    seed: opts.seed, onProgress: (msg) => progress.log(msg),
  }).catch(abandon);
  // Every target gets its index before any load, so a mismatch (an index host of another dimension) fails at once.
  const maxEf = Math.max(opts.topK, ...(opts.workloads.includes('ef-sweep') ? opts.ef : []));
  for (const { name, target } of opened) {
    try {
      await target.prepare({ name: opts.index, namespace: opts.namespace, dimension: ds.dimension, metric: ds.info.metric, maxEf });
    } catch (err) {
      await abandon(new TargetError(`target ${name}: ${(err as Error).message}`));
    }
  }
  if (opts.topK > ds.truth.k) warnings.push(`recall is scored against the ${ds.truth.k} exact neighbours the dataset has, fewer than topK ${opts.topK}`);
  const filters = opts.workloads.includes('filtered') ? selectiveFilters(ds, opts.selectivities, ds.truth.k, opts.cacheDir, (msg) => progress.log(msg)) : [];
  progress.log(`dataset: ${ds.info.name}, ${ds.count} × ${ds.dimension} ${ds.info.metric}, ${ds.queryCount} queries, ground truth: ${ds.info.groundTruth}`);
  for (const { name, target } of opened) {
    const several = opened.length > 1;
    const got = await runTarget(opts, target, ds, filters, progress, (w) => warnings.push(several ? `${name}: ${w}` : w));
    measurements.push(...got.map((m) => ({ ...m, target: name, label: several ? `${name} · ${m.label}` : m.label })));
  }
  return {
    $schema: REPORT_SCHEMA_ID,
    formatVersion: REPORT_FORMAT_VERSION,
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: env,
    settings: settingsOf(opts),
    dataset: { ...ds.info },
    targets: opened.map(({ name, target }) => ({ name, ...target.info })),
    measurements,
    warnings,
  };
}

/** Every workload against one target; its measurements (labels without the target's name). */
async function runTarget(opts: BenchOptions, target: BenchTarget, ds: Dataset, filters: SelectiveFilter[], progress: ProgressSink, warn: (w: string) => void): Promise<TargetMeasurement[]> {
  const measurements: TargetMeasurement[] = [];
  let driver: LoadDriver | null = null;
  progress.log(`target: ${target.info.description}`);
  try {
    const data: LoadData = { dimension: ds.dimension, vectors: ds.vectors, count: ds.count, queries: ds.queries, queryCount: ds.queryCount, ids: ds.ids, metadata: ds.metadata };
    driver = new LoadDriver(target, data, opts.loadThreads);
    const has = (w: string) => opts.workloads.includes(w as never);
    const ctx: WorkloadContext = { opts, target, driver, data, ds, filters, progress, warn };
    // Streaming inserts the second half while querying; everything else starts from the full dataset.
    const initial = has('streaming') ? Math.floor(ds.count / 2) : ds.count;
    // Fixed order; ef-sweep last because it leaves the target at its last efSearch. A target that fails ends the run:
    // what was measured until then is reported, the failure with it.
    const steps: [string, () => Promise<TargetMeasurement[]>][] = [];
    steps.push(['load', async () => {
      const m = await upsertRows(ctx, 0, initial, has('upsert'));
      return m ? [m] : [];
    }]);
    if (has('streaming')) steps.push(['streaming', () => streamingWorkload(ctx, initial)]);
    steps.push(['settle', async () => {
      // Queries are measured on settled data: the background index builds the load started are done.
      const indexed = await target.waitIndexed();
      if (typeof indexed === 'string') warn(`queries may have run before the target finished indexing: ${indexed}`);
      return [];
    }]);
    if (has('query')) steps.push(['query', () => queryWorkload(ctx)]);
    if (has('filtered')) steps.push(['filtered', () => filteredWorkload(ctx)]);
    if (has('mixed')) steps.push(['mixed', () => mixedWorkload(ctx)]);
    if (has('open-loop')) steps.push(['open-loop', () => openLoopWorkload(ctx)]);
    if (has('ef-sweep')) steps.push(['ef-sweep', () => efSweepWorkload(ctx)]);
    for (const [name, step] of steps) {
      let got: TargetMeasurement[];
      try {
        got = await step();
      } catch (err) {
        warn(`the run stopped at '${name}': ${(err as Error).message}`);
        break;
      }
      measurements.push(...got);
      if (got.some((m) => m.failed)) {
        warn(`the run stopped after '${name}': the target failed`);
        break;
      }
    }
    for (const m of measurements) if (m.failed) warn(`${m.label}: ${m.failed}`);
  } catch (err) {
    warn(`the run stopped: ${(err as Error).message}`);
  } finally {
    await driver?.close();
    await target.close(opts.keep).catch((err: Error) => progress.log(`cleaning up the target failed: ${err.message}`));
  }
  return measurements;
}
