/**
 * A report as rows of text: the header fields (what was measured, where, how) and one row per measurement. The text
 * report lays them out in fixed width and the HTML page as tables, so both always show the same figures. A run of
 * several targets gets a `target` column, its rows grouped by target.
 *
 * @module
 */
import { fmtDuration, fmtGiB, fmtInt, fmtMs, fmtPct, fmtRate, fmtRecall, type Align } from './format.js';
import type { BenchReport, Measurement, TargetInfo } from './report.js';

/** Header of the measurement table of a single-target run (a run of several adds {@link TARGET_HEADER} first). */
export const MEASUREMENT_HEADERS = ['measurement', 'throughput', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'recall', 'errors', 'client CPU', 'status'];
/** Alignment of {@link MEASUREMENT_HEADERS}. */
export const MEASUREMENT_ALIGN: Align[] = ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'];
/** The first column of the measurement table when a run measured several targets. */
export const TARGET_HEADER = 'target';

/** A target as the header shows it: name, kind, then description. */
export function targetText(t: TargetInfo): string {
  return `${t.name} (${t.kind}): ${t.description}`;
}

/** The measurement table of a run: headers, alignment and one row of cells per measurement. */
export interface MeasurementTable {
  headers: string[];
  align: Align[];
  /** The measurement each row shows, row for row. */
  measurements: Measurement[];
  rows: string[][];
}

/** The label without its `target · ` prefix: the target column already says it. */
function labelInTarget(m: Measurement): string {
  const prefix = `${m.target} · `;
  return m.label.startsWith(prefix) ? m.label.slice(prefix.length) : m.label;
}

/**
 * The measurement table. One target: {@link MEASUREMENT_HEADERS} and full labels, as before targets could be several.
 * Several: a target column first, rows grouped by target in run order (the run may interleave them), and each
 * label without the target prefix the column repeats.
 */
export function measurementTable(r: BenchReport): MeasurementTable {
  if (r.targets.length <= 1) {
    return { headers: MEASUREMENT_HEADERS, align: MEASUREMENT_ALIGN, measurements: r.measurements, rows: r.measurements.map((m) => measurementRow(m)) };
  }
  const order = new Map(r.targets.map((t, i) => [t.name, i]));
  const rank = (m: Measurement): number => order.get(m.target) ?? r.targets.length;
  // Array.prototype.sort is stable: within a target, the run's order stays.
  const measurements = [...r.measurements].sort((a, b) => rank(a) - rank(b));
  return {
    headers: [TARGET_HEADER, ...MEASUREMENT_HEADERS],
    align: ['l', ...MEASUREMENT_ALIGN],
    measurements,
    rows: measurements.map((m) => [m.target, labelInTarget(m), ...measurementRow(m).slice(1)]),
  };
}

/** The run's context as label/value pairs, in reading order. */
export function headerFields(r: BenchReport): [string, string][] {
  const { environment: env, settings: s, dataset: d } = r;
  const libs = Object.entries(env.libraries).map(([k, v]) => `${k} ${v}`);
  const list = (xs: readonly (string | number)[]): string => (xs.length > 0 ? xs.join(',') : '—');
  // Numbered keys when several: the compare page matches A's and B's fields by key.
  const targets: [string, string][] = r.targets.length === 1 ? [['target', targetText(r.targets[0]!)]] : r.targets.map((t, i) => [`target ${i + 1}`, targetText(t)]);
  return [
    ...targets,
    ['dataset', `${d.name}: ${fmtInt(d.records)} × ${d.dimension} ${d.metric}, ${fmtInt(d.queries)} queries`],
    ['ground truth', `${d.groundTruth}, k=${d.groundTruthK}`],
    ['machine', `${env.cpuModel} × ${env.cpus} cores, ${fmtGiB(env.memoryBytes)}, ${env.platform}/${env.arch}, load avg ${env.loadAverage.toFixed(2)}`],
    ['software', [`node ${env.node}`, `larchdb ${env.larchdbVersion}`, ...libs].join(', ')],
    [
      'settings',
      [
        `workloads ${list(s.workloads)}`,
        `concurrency ${list(s.concurrency)}`,
        `topK ${s.topK}`,
        `selectivity ${list(s.selectivities)}`,
        `ef ${list(s.ef)}`,
        `rate ${s.rate === null ? '—' : `${fmtRate(s.rate)}/s`}`,
        `duration ${fmtDuration(s.durationMs)}`,
        `warm-up ${fmtDuration(s.warmupMs)}`,
        `repeats ${s.repeats}`,
        `batch ${s.batchSize}`,
        `write ratio ${s.writeRatio}`,
        `load threads ${s.loadThreads}`,
        `index ${s.index}`,
        `namespace '${s.namespace}'`,
      ].join(', '),
    ],
    ['run', `${r.startedAt} → ${r.finishedAt} (format ${r.formatVersion})`],
  ];
}

/** One measurement's cells, in the order of {@link MEASUREMENT_HEADERS} (its full label first). */
export function measurementRow(m: Measurement): string[] {
  const l = m.latency;
  const cpu = `${fmtPct(m.clientCpu.utilization)}${m.clientCpu.clientBound ? ' (client-bound)' : ''}`;
  return [
    m.label,
    `${fmtRate(m.throughput)} ${m.throughputUnit}`,
    fmtMs(l.p50Ms),
    fmtMs(l.p95Ms),
    fmtMs(l.p99Ms),
    fmtMs(l.maxMs),
    fmtRecall(m.recall),
    fmtInt(m.errors),
    cpu,
    m.failed === undefined ? '' : 'FAILED',
  ];
}

/** What a reader should know about one measurement beyond its row: failure, notes, error samples, time to index. */
export function measurementNotes(m: Measurement): string[] {
  const out: string[] = [];
  if (m.failed !== undefined) out.push(`failed: ${m.failed}`);
  if (m.searchableMs !== undefined || m.indexedMs !== undefined) {
    const t = (what: string, x: number | null | undefined): string => (x === null || x === undefined ? `${what}: not measured` : `${what} after ${fmtMs(x)} ms`);
    out.push(`${t('searchable', m.searchableMs)}, ${t('indexed', m.indexedMs)}`);
  }
  if (m.clientCpu.clientBound) {
    out.push(`the load generator was the limit (${m.clientCpu.threads} threads at ${fmtPct(m.clientCpu.utilization)}): the target may be faster`);
  }
  for (const n of m.notes ?? []) out.push(n);
  if (m.errors > 0) out.push(`${fmtInt(m.errors)} errors, e.g. ${m.errorSamples.slice(0, 3).map((e) => JSON.stringify(e)).join('; ') || '(no sample)'}`);
  return out;
}
