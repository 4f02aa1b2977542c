/**
 * The HTML page's charts as data: which charts a run (or two, for `bench compare`) has, their axes and series, and
 * the points in uPlot's aligned-columns form. Everything is decided here, in typed code; the page's own script only
 * hands each spec to uPlot. The summary charts draw one series per target (and per run), so a run of several targets
 * compares them on one chart, each target in a colour of its own.
 *
 * @module
 */
import type { BenchReport, Measurement, WorkloadKind } from './report.js';

/** The five kinds of chart the page draws. */
export type ChartKind = 'latency-over-time' | 'latency-cdf' | 'recall-vs-qps' | 'throughput-per-concurrency' | 'filtered-recall';

/**
 * An axis: `log` is the base of a log scale; `zero` starts a linear one at 0; `nines` ticks a -log10(1 - p) scale as
 * percentiles, with 100% (which has no finite position) drawn at `maxAt` and labelled 'max'.
 */
export interface ChartAxis {
  label: string;
  log?: 2 | 10;
  zero?: boolean;
  nines?: boolean;
  maxAt?: number;
}

/** One line or set of points; `scale` 'y2' is the right-hand axis. */
export interface ChartSeries {
  label: string;
  color: string;
  scale: 'y' | 'y2';
  /** False: points only. */
  line: boolean;
  /** Dashed: the second run of a comparison. */
  dash: boolean;
  /**
   * Drawn thinner with hollow points: a second figure of the same target (p99 beside QPS, filtered beside plain
   * queries), which shares its colour and is told apart by style.
   */
  secondary: boolean;
}

/** One uPlot chart. `data[0]` holds the x values (ascending), then one column per series (null = no point). */
export interface ChartSpec {
  id: string;
  kind: ChartKind;
  title: string;
  x: ChartAxis;
  y: ChartAxis;
  y2?: ChartAxis;
  series: ChartSeries[];
  data: (number | null)[][];
}

/** A section of the page: one kind of chart, drawn once or as small multiples; no charts = no data in this run. */
export interface ChartSection {
  kind: ChartKind;
  title: string;
  description: string;
  charts: ChartSpec[];
}

/** A run as a chart shows it: `name` prefixes its series ('' for a single run; 'A', 'B' in a comparison). */
export interface ChartRun {
  name: string;
  report: BenchReport;
}

// Twelve: a run's CDF of an ef sweep (four ef values) over three targets stays one colour per line.
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#92400e', '#312e81'];
const KINDS: readonly WorkloadKind[] = ['upsert', 'query', 'filtered', 'mixed', 'streaming', 'ef-sweep', 'open-loop'];

type Points = [number, number][];

/** Series given as point lists, in uPlot's aligned columns: one x column (the union, sorted), nulls where absent. */
function align(columns: Points[]): (number | null)[][] {
  const xs = [...new Set(columns.flatMap((c) => c.map(([x]) => x)))].sort((p, q) => p - q);
  const at = new Map(xs.map((x, i) => [x, i]));
  return [xs, ...columns.map((c) => {
    const col: (number | null)[] = xs.map(() => null);
    for (const [x, y] of c) col[at.get(x)!] = y;
    return col;
  })];
}

/** Distinct x values within one series (two queries at different concurrency can share a recall exactly). */
function nudge(points: Points): Points {
  const used = new Set<number>();
  return points.map(([x, y]) => {
    let v = x;
    while (used.has(v)) v += 1e-9;
    used.add(v);
    return [v, y];
  });
}

const prefix = (run: ChartRun, s: string): string => (run.name ? `${run.name}: ${s}` : s);
const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
/** Log scales cannot show 0. */
const positive = (ms: number): number => Math.max(ms, 0.001);
/** x of the CDF chart: 90% → 1, 99% → 2, 99.9% → 3 (100% is placed by the caller); rounded, as 99.99% is 3.99999... */
const nines = (percentile: number): number => Math.round(-Math.log10(1 - percentile / 100) * 1e9) / 1e9;

function timelines(runs: ChartRun[]): ChartSpec[] {
  const labels = [...new Set(runs.flatMap((r) => r.report.measurements.filter((m) => m.timeline.length > 0).map((m) => m.label)))];
  return labels.map((label, i) => {
    const series: ChartSeries[] = [];
    const cols: Points[] = [];
    let withRecall = false;
    runs.forEach((run, ri) => {
      const m = run.report.measurements.find((x) => x.label === label && x.timeline.length > 0);
      if (!m) return;
      const t = (p: { tMs: number }): number => p.tMs / 1000;
      series.push({ label: prefix(run, 'p50'), color: PALETTE[0]!, scale: 'y', line: true, dash: ri > 0, secondary: false });
      cols.push(m.timeline.map((p) => [t(p), p.p50Ms]));
      series.push({ label: prefix(run, 'p99'), color: PALETTE[1]!, scale: 'y', line: true, dash: ri > 0, secondary: false });
      cols.push(m.timeline.map((p) => [t(p), p.p99Ms]));
      const recall = m.timeline.filter((p) => p.recall !== undefined);
      if (recall.length > 0) {
        withRecall = true;
        series.push({ label: prefix(run, 'recall'), color: PALETTE[2]!, scale: 'y2', line: true, dash: ri > 0, secondary: false });
        cols.push(recall.map((p) => [t(p), p.recall!]));
      }
    });
    return {
      id: `chart-timeline-${i}-${slug(label)}`,
      kind: 'latency-over-time',
      title: label,
      x: { label: 'seconds into the measurement' },
      y: { label: 'latency ms', zero: true },
      ...(withRecall ? { y2: { label: 'recall' } } : {}),
      series,
      data: align(cols),
    };
  });
}

function cdfs(runs: ChartRun[]): ChartSpec[] {
  const out: ChartSpec[] = [];
  for (const kind of KINDS) {
    const ms = runs.flatMap((run, ri) => run.report.measurements.filter((m) => m.workload === kind && m.cdf.length > 0).map((m, mi) => ({ run, ri, m, mi })));
    if (ms.length === 0) continue;
    // 100% (the maximum) sits one step right of the deepest finite percentile, on a tick of its own.
    const deepest = Math.max(0, ...ms.flatMap(({ m }) => m.cdf.filter((p) => p.percentile < 100).map((p) => nines(p.percentile))));
    const maxAt = Math.floor(deepest) + 1;
    const series: ChartSeries[] = ms.map(({ run, ri, m, mi }) => ({ label: prefix(run, m.label), color: PALETTE[mi % PALETTE.length]!, scale: 'y', line: true, dash: ri > 0, secondary: false }));
    const cols: Points[] = ms.map(({ m }) => m.cdf.map((p) => [p.percentile >= 100 ? maxAt : nines(p.percentile), positive(p.ms)]));
    out.push({ id: `chart-cdf-${kind}`, kind: 'latency-cdf', title: kind, x: { label: 'percentile', nines: true, maxAt }, y: { label: 'latency ms', log: 10 }, series, data: align(cols) });
  }
  return out;
}

/** A failed measurement's partial figures would bend the summary curves; its timeline and CDF still show it. */
const completed = (ms: Measurement[]): Measurement[] => ms.filter((m) => m.failed === undefined);

/** One target of one run, as the summary charts draw it. */
interface Group {
  run: ChartRun;
  /** Index of the run: the second is dashed. */
  ri: number;
  /** Its completed measurements. */
  ms: Measurement[];
  /** Series label for one of its figures: the run and, when the charts show several targets, the target. */
  label: (what: string) => string;
  /** The target's colour when the charts show several targets; undefined with one (colours then tell figures apart). */
  color: string | undefined;
}

/**
 * Every target of every run. Colours go by target name across runs, so a comparison draws the same target in the
 * same colour in A and B (B dashed).
 */
function groups(runs: ChartRun[]): Group[] {
  const names = [...new Set(runs.flatMap((r) => r.report.targets.map((t) => t.name)))];
  const several = names.length > 1;
  return runs.flatMap((run, ri) => run.report.targets.map((t) => ({
    run,
    ri,
    ms: completed(run.report.measurements.filter((m) => m.target === t.name)),
    label: (what: string) => prefix(run, several ? `${t.name} · ${what}` : what),
    color: several ? PALETTE[names.indexOf(t.name) % PALETTE.length]! : undefined,
  })));
}

const RECALL_KINDS: readonly WorkloadKind[] = ['ef-sweep', 'query', 'filtered'];

function recallVsQps(runs: ChartRun[]): ChartSpec[] {
  const series: ChartSeries[] = [];
  const cols: Points[] = [];
  for (const g of groups(runs)) {
    RECALL_KINDS.forEach((kind, ki) => {
      const ms = g.ms.filter((m): m is Measurement & { recall: number } => m.workload === kind && m.recall !== undefined);
      if (ms.length === 0) return;
      // The ef sweep is a curve (recall rises with ef); other queries are single operating points.
      series.push({ label: g.label(kind), color: g.color ?? PALETTE[ki]!, scale: 'y', line: kind === 'ef-sweep', dash: g.ri > 0, secondary: kind === 'filtered' });
      cols.push(nudge(ms.map((m) => [m.recall, m.throughput] as [number, number]).sort((p, q) => p[0] - q[0])));
    });
  }
  if (series.length === 0) return [];
  return [{ id: 'chart-recall-vs-qps', kind: 'recall-vs-qps', title: 'recall vs QPS', x: { label: 'recall' }, y: { label: 'queries/s', zero: true }, series, data: align(cols) }];
}

function perConcurrency(runs: ChartRun[]): ChartSpec[] {
  const series: ChartSeries[] = [];
  const cols: Points[] = [];
  for (const g of groups(runs)) {
    const ms = g.ms.filter((m) => m.workload === 'query' && m.params.concurrency !== undefined);
    if (ms.length === 0) continue;
    series.push({ label: g.label('QPS'), color: g.color ?? PALETTE[0]!, scale: 'y', line: true, dash: g.ri > 0, secondary: false });
    cols.push(ms.map((m) => [m.params.concurrency!, m.throughput]));
    series.push({ label: g.label('p99 ms'), color: g.color ?? PALETTE[1]!, scale: 'y2', line: true, dash: g.ri > 0, secondary: true });
    cols.push(ms.map((m) => [m.params.concurrency!, m.latency.p99Ms]));
  }
  if (series.length === 0) return [];
  return [{
    id: 'chart-throughput-per-concurrency', kind: 'throughput-per-concurrency', title: 'throughput per concurrency',
    x: { label: 'concurrent requests', log: 2 }, y: { label: 'queries/s', zero: true }, y2: { label: 'p99 ms', zero: true }, series, data: align(cols),
  }];
}

function filtered(runs: ChartRun[]): ChartSpec[] {
  const series: ChartSeries[] = [];
  const cols: Points[] = [];
  for (const g of groups(runs)) {
    const ms = g.ms.filter((m) => m.workload === 'filtered' && (m.params.actualSelectivity ?? m.params.selectivity) !== undefined);
    if (ms.length === 0) continue;
    const sel = (m: Measurement): number => Math.max(m.params.actualSelectivity ?? m.params.selectivity!, 1e-6);
    const withRecall = ms.filter((m) => m.recall !== undefined);
    if (withRecall.length > 0) {
      series.push({ label: g.label('recall'), color: g.color ?? PALETTE[2]!, scale: 'y', line: true, dash: g.ri > 0, secondary: false });
      cols.push(withRecall.map((m) => [sel(m), m.recall!]));
    }
    series.push({ label: g.label('QPS'), color: g.color ?? PALETTE[0]!, scale: 'y2', line: true, dash: g.ri > 0, secondary: true });
    cols.push(ms.map((m) => [sel(m), m.throughput]));
  }
  if (series.length === 0) return [];
  return [{
    id: 'chart-filtered-recall', kind: 'filtered-recall', title: 'filtered recall per selectivity',
    x: { label: 'fraction of records the filter matches', log: 10 }, y: { label: 'recall' }, y2: { label: 'queries/s', zero: true }, series, data: align(cols),
  }];
}

/** Every chart section of the page, in page order; a section without charts has no data in these runs. */
export function chartSections(runs: ChartRun[]): ChartSection[] {
  return [
    { kind: 'latency-over-time', title: 'Latency over time', description: 'p50 and p99 per interval of each measurement (recall on the right axis where measured).', charts: timelines(runs) },
    { kind: 'latency-cdf', title: 'Latency CDF', description: 'Share of requests answered within a latency, per workload; the x axis spreads the tail (90%, 99%, 99.9%, ...).', charts: cdfs(runs) },
    { kind: 'recall-vs-qps', title: 'Recall vs QPS', description: 'Each completed query measurement with a recall: the ef sweep as a curve, queries as points, filtered queries as hollow points; one colour per target when the run has several.', charts: recallVsQps(runs) },
    { kind: 'throughput-per-concurrency', title: 'Throughput per concurrency', description: 'Completed unfiltered queries: queries/s (left, thick) and p99 (right, thin) at each concurrency; one colour per target when the run has several.', charts: perConcurrency(runs) },
    { kind: 'filtered-recall', title: 'Filtered recall per selectivity', description: 'Completed filtered queries: recall (left, thick) and queries/s (right, thin) by the fraction of records the filter matches; one colour per target when the run has several.', charts: filtered(runs) },
  ];
}
