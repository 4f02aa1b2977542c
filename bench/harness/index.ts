/**
 * `larchdb/bench`: the benchmark harness as a library, for scripts. `bench(options)` runs what `larchdb bench` runs
 * and resolves with the report; the report helpers render, validate and compare reports.
 *
 * ```ts
 * import { bench, formatText } from 'larchdb/bench';
 * const report = await bench({ target: 'memory', dataset: 'synthetic:10000x128', workloads: ['upsert', 'query'], durationMs: 5000 });
 * console.log(formatText(report));
 * ```
 *
 * @module
 */
import type { ProgressSink } from './progress.js';
import type { BenchReport } from './report.js';
import { runBench, type BenchInput } from './run.js';

/**
 * Runs a benchmark: opens the target, loads the dataset, runs the workloads and resolves with the report. Rejects
 * (before any load) with `UsageError`, `DatasetError` or `TargetError` when the options, dataset or target are
 * unusable; a target that fails during the run is reported in the result instead.
 */
export function bench(options: BenchInput, progress?: ProgressSink): Promise<BenchReport> {
  return runBench(options, progress);
}

export type { BenchInput } from './run.js';
export { UsageError, defaultOptions, type BenchOptions } from './options.js';
export { DatasetError } from './load-dataset.js';
export { TargetError } from './target-open.js';
export { silentProgress, terminalProgress, type ProgressSink } from './progress.js';
export { formatText } from './report-text.js';
export { renderHtml, renderCompareHtml } from './report-html.js';
export { readReport, validateReport } from './report-schema.js';
export { compareReports, formatCompareText, type Comparison } from './compare.js';
export * from './report.js';
