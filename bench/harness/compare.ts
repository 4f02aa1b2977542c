/**
 * `bench compare`: two runs side by side. Measurements pair by label (stable across runs of the same settings);
 * each pair gets B/A ratios, and differences that make the comparison unfair (another dataset, machine, topK, ...)
 * become warnings rather than silently skewed ratios. With several targets per run a label starts with its target's
 * name, so pairs form per target; two single-target runs pair whatever they measured (comparing two systems is
 * what `bench compare` is for).
 *
 * @module
 */
import { fmtDelta, fmtDuration, fmtInt, fmtMs, fmtRate, fmtRatio, fmtRecall, layoutTable } from './format.js';
import type { BenchReport, Measurement, TargetInfo, WorkloadKind } from './report.js';
import { targetText } from './report-rows.js';

/** One run as the comparison names it. */
export interface ComparedRun {
  /** Each target measured, as `name (kind): description`, in run order. */
  targets: string[];
  dataset: string;
  startedAt: string;
}

/** Two measurements with the same label, and how B differs from A. */
export interface MeasurementPair {
  label: string;
  workload: WorkloadKind;
  a: Measurement;
  b: Measurement;
  /** B's throughput / A's: above 1, B did more per second. Null when A's is 0. */
  throughputRatio: number | null;
  /** B's p50 / A's: below 1, B answered faster. Null when A's is 0. */
  p50Ratio: number | null;
  /** B's p99 / A's. Null when A's is 0. */
  p99Ratio: number | null;
  /** B's recall − A's, rounded to 6 decimals; null when either has none. */
  recallDelta: number | null;
}

/** What `bench compare` found. */
export interface Comparison {
  a: ComparedRun;
  b: ComparedRun;
  /** In A's order. */
  pairs: MeasurementPair[];
  /** Labels measured in one run only. */
  onlyInA: string[];
  onlyInB: string[];
  /** Differences that make ratios misleading, in plain words. */
  warnings: string[];
}

const ratio = (b: number, a: number): number | null => (a > 0 ? b / a : null);

function run(r: BenchReport): ComparedRun {
  return { targets: r.targets.map(targetText), dataset: r.dataset.name, startedAt: r.startedAt };
}

/** Fields that differ, as "name A vs B". */
function differing(fields: [string, unknown, unknown][]): string[] {
  return fields.filter(([, x, y]) => JSON.stringify(x) !== JSON.stringify(y)).map(([n, x, y]) => `${n} ${String(x)} vs ${String(y)}`);
}

const names = (ts: TargetInfo[]): string => ts.map((t) => t.name).join(', ');

/** Target lists that differ (by name and kind) leave measurements unpaired or pair different systems under one name. */
function targetWarnings(a: BenchReport, b: BenchReport): string[] {
  const ta = a.targets;
  const tb = b.targets;
  // One target each: A vs B is the comparison asked for, and the header names both.
  if (ta.length === 1 && tb.length === 1) return [];
  const out: string[] = [];
  const kindInB = new Map(tb.map((t) => [t.name, t.kind]));
  const inA = new Set(ta.map((t) => t.name));
  if (ta.some((t) => !kindInB.has(t.name)) || tb.some((t) => !inA.has(t.name))) {
    out.push(`different targets: ${names(ta)} vs ${names(tb)} (a target's measurements pair only when both runs measured it)`);
  }
  for (const t of ta) {
    const k = kindInB.get(t.name);
    if (k !== undefined && k !== t.kind) out.push(`target ${t.name} is ${t.kind} in A but ${k} in B`);
  }
  if (ta.length === 1 || tb.length === 1) {
    const [one, name] = ta.length === 1 ? ['A', 'B'] : ['B', 'A'];
    out.push(`${one} measured one target, ${name} several: ${one}'s labels carry no target name, so they pair with none of ${name}'s`);
  }
  return out;
}

function runWarnings(a: BenchReport, b: BenchReport): string[] {
  const out: string[] = targetWarnings(a, b);
  const da = a.dataset;
  const db = b.dataset;
  const data = differing([['name', da.name, db.name], ['dimension', da.dimension, db.dimension], ['metric', da.metric, db.metric], ['records', da.records, db.records], ['queries', da.queries, db.queries]]);
  if (data.length > 0) out.push(`different datasets: ${data.join(', ')}`);
  const ea = a.environment;
  const eb = b.environment;
  const machine = differing([['cpu', ea.cpuModel, eb.cpuModel], ['cores', ea.cpus, eb.cpus], ['memory', ea.memoryBytes, eb.memoryBytes], ['platform', `${ea.platform}/${ea.arch}`, `${eb.platform}/${eb.arch}`]]);
  if (machine.length > 0) out.push(`different machines: ${machine.join(', ')}`);
  if (ea.node !== eb.node) out.push(`different Node.js versions: ${ea.node} vs ${eb.node}`);
  if (a.settings.topK !== b.settings.topK) out.push(`different topK: ${a.settings.topK} vs ${b.settings.topK} (recall and latency are not comparable)`);
  const sa = a.settings;
  const sb = b.settings;
  const settings = differing([
    ['duration', fmtDuration(sa.durationMs), fmtDuration(sb.durationMs)],
    ['warm-up', fmtDuration(sa.warmupMs), fmtDuration(sb.warmupMs)],
    ['repeats', sa.repeats, sb.repeats],
    ['batch', sa.batchSize, sb.batchSize],
    ['write ratio', sa.writeRatio, sb.writeRatio],
    ['rate', sa.rate, sb.rate],
    ['load threads', sa.loadThreads, sb.loadThreads],
  ]);
  if (settings.length > 0) out.push(`different settings: ${settings.join(', ')}`);
  for (const [name, e] of [['A', ea], ['B', eb]] as const) {
    // A load average above half the cores means other work competed with the run.
    if (e.loadAverage > e.cpus / 2) out.push(`the machine was busy when run ${name} started (load avg ${e.loadAverage.toFixed(2)} on ${e.cpus} cores)`);
  }
  return out;
}

function pairWarnings(p: MeasurementPair): string[] {
  const out: string[] = [];
  const params = (m: Measurement): string => JSON.stringify({ ...m.params, actualSelectivity: undefined });
  if (params(p.a) !== params(p.b)) out.push(`${p.label}: parameters differ (${params(p.a)} vs ${params(p.b)})`);
  for (const [name, m] of [['A', p.a], ['B', p.b]] as const) {
    if (m.failed !== undefined) out.push(`${p.label}: failed in ${name} (${m.failed}); its figures cover only what completed`);
    if (m.clientCpu.clientBound) out.push(`${p.label}: client-bound in ${name}; its throughput may be understated`);
  }
  return out;
}

/** Pairs `b`'s measurements with `a`'s by label and says how B differs from A. */
export function compareReports(a: BenchReport, b: BenchReport): Comparison {
  const byLabel = new Map(b.measurements.map((m) => [m.label, m]));
  const labelsA = new Set(a.measurements.map((m) => m.label));
  const pairs: MeasurementPair[] = [];
  for (const ma of a.measurements) {
    const mb = byLabel.get(ma.label);
    if (!mb) continue;
    pairs.push({
      label: ma.label,
      workload: ma.workload,
      a: ma,
      b: mb,
      throughputRatio: ratio(mb.throughput, ma.throughput),
      p50Ratio: ratio(mb.latency.p50Ms, ma.latency.p50Ms),
      p99Ratio: ratio(mb.latency.p99Ms, ma.latency.p99Ms),
      recallDelta: ma.recall === undefined || mb.recall === undefined ? null : Math.round((mb.recall - ma.recall) * 1e6) / 1e6,
    });
  }
  return {
    a: run(a),
    b: run(b),
    pairs,
    onlyInA: a.measurements.filter((m) => !byLabel.has(m.label)).map((m) => m.label),
    onlyInB: b.measurements.filter((m) => !labelsA.has(m.label)).map((m) => m.label),
    warnings: [...runWarnings(a, b), ...pairs.flatMap(pairWarnings)],
  };
}

/** Header of the comparison table; ratios are B/A. */
export const COMPARE_HEADERS = ['measurement', 'unit', 'thr A', 'thr B', 'thr B/A', 'p50 A', 'p50 B', 'p50 B/A', 'p99 A', 'p99 B', 'p99 B/A', 'recall A', 'recall B', 'recall Δ'];

/** One pair's cells, in the order of {@link COMPARE_HEADERS}. */
export function compareRow(p: MeasurementPair): string[] {
  const unit = p.a.throughputUnit === p.b.throughputUnit ? p.a.throughputUnit : `${p.a.throughputUnit} vs ${p.b.throughputUnit}`;
  return [
    p.label,
    unit,
    fmtRate(p.a.throughput),
    fmtRate(p.b.throughput),
    fmtRatio(p.throughputRatio),
    fmtMs(p.a.latency.p50Ms),
    fmtMs(p.b.latency.p50Ms),
    fmtRatio(p.p50Ratio),
    fmtMs(p.a.latency.p99Ms),
    fmtMs(p.b.latency.p99Ms),
    fmtRatio(p.p99Ratio),
    fmtRecall(p.a.recall),
    fmtRecall(p.b.recall),
    fmtDelta(p.recallDelta),
  ];
}

/** A run's lines in the comparison's heading: dataset and start, then one line per target. */
function runLines(name: string, r: ComparedRun): string[] {
  return [`${name}  dataset ${r.dataset}, started ${r.startedAt}`, ...r.targets.map((t) => `     ${t}`)];
}

/** The comparison as text: both runs named, the side-by-side table, unpaired labels and warnings. */
export function formatCompareText(c: Comparison): string {
  const lines = [
    'LarchDB bench comparison (ratios are B/A: throughput above ×1 and latency below ×1 mean B is faster)',
    ...runLines('A', c.a),
    ...runLines('B', c.b),
    '',
  ];
  if (c.pairs.length === 0) lines.push('(no measurement label is in both runs)');
  else lines.push(layoutTable(COMPARE_HEADERS, c.pairs.map(compareRow), ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']));
  if (c.onlyInA.length > 0) lines.push('', `Only in A (${fmtInt(c.onlyInA.length)}): ${c.onlyInA.join(', ')}`);
  if (c.onlyInB.length > 0) lines.push('', `Only in B (${fmtInt(c.onlyInB.length)}): ${c.onlyInB.join(', ')}`);
  if (c.warnings.length > 0) lines.push('', 'Warnings', ...c.warnings.map((w) => `  ${w}`));
  return lines.join('\n') + '\n';
}
