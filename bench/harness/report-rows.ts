/**
 * A report as rows of text: the header fields (what was measured, where, how) and one row per measurement. The text
 * report lays them out in fixed width and the HTML page as tables, so both always show the same figures.
 *
 * @module
 */
import { fmtDuration, fmtGiB, fmtInt, fmtMs, fmtPct, fmtRate, fmtRecall, type Align } from './format.js';
import type { BenchReport, Measurement } from './report.js';

/** Header of the measurement table. */
export const MEASUREMENT_HEADERS = ['measurement', 'throughput', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'recall', 'errors', 'client CPU', 'status'];
/** Alignment of {@link MEASUREMENT_HEADERS}. */
export const MEASUREMENT_ALIGN: Align[] = ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'];

/** The run's context as label/value pairs, in reading order. */
export function headerFields(r: BenchReport): [string, string][] {
  const { environment: env, settings: s, dataset: d } = r;
  const libs = Object.entries(env.libraries).map(([k, v]) => `${k} ${v}`);
  const list = (xs: readonly (string | number)[]): string => (xs.length > 0 ? xs.join(',') : '—');
  return [
    ['target', `${r.target.kind}: ${r.target.description}`],
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

/** One measurement's cells, in the order of {@link MEASUREMENT_HEADERS}. */
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
