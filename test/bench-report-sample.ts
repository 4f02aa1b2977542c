/**
 * A realistic bench report for the report tests: three targets measured on the same data (in-process LarchDB, a
 * LarchDB server, hnswlib), each with every workload kind, the query sweep at three concurrencies, three filter
 * selectivities, four ef values, streaming with recall over time and an open loop; the server's c=64 failed. Figures
 * are deterministic; `speedup` and each target's own factor scale them by powers of two so ratios come out exact.
 */
import { REPORT_FORMAT_VERSION, REPORT_SCHEMA_ID, type BenchReport, type Measurement, type MeasurementParams, type TargetInfo, type WorkloadKind } from '../bench/harness/report.js';

interface Shape {
  workload: WorkloadKind;
  label: string;
  params: MeasurementParams;
  throughput: number;
  p50: number;
  recall?: number;
  unit?: Measurement['throughputUnit'];
}

const CDF_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];
/** How far above p50 each percentile of {@link CDF_PERCENTILES} sits. */
const CDF_SPREAD = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2.5, 3.5, 4, 4.5];

function measurement(target: string, s: Shape, speedup: number, seconds = 10): Measurement {
  const p50 = s.p50 / speedup;
  const throughput = s.throughput * speedup;
  const durationMs = seconds * 1000;
  const operations = Math.round(s.unit === 'records/s' ? (throughput * seconds) / 100 : throughput * seconds);
  const timeline = Array.from({ length: seconds }, (_, i) => ({
    tMs: i * 1000,
    ops: Math.round(operations / seconds),
    errors: 0,
    // A gentle wave, so the chart has a shape.
    p50Ms: p50 * (1 + 0.1 * Math.sin(i)),
    p99Ms: p50 * (2.5 + 0.3 * Math.cos(i)),
    ...(s.workload === 'streaming' ? { recall: 0.97 - 0.004 * i } : {}),
  }));
  return {
    target,
    workload: s.workload,
    label: s.label,
    params: s.params,
    operations,
    errors: 0,
    errorSamples: [],
    ...(s.unit === 'records/s' || s.workload === 'mixed' || s.workload === 'streaming' ? { records: Math.round(throughput * seconds) } : {}),
    durationMs,
    throughput,
    throughputUnit: s.unit ?? 'queries/s',
    latency: { count: operations, meanMs: p50 * 1.1, p50Ms: p50, p90Ms: p50 * 1.5, p95Ms: p50 * 1.75, p99Ms: p50 * 2.5, p999Ms: p50 * 3.5, maxMs: p50 * 4.5 },
    cdf: CDF_PERCENTILES.map((percentile, i) => ({ percentile, ms: p50 * CDF_SPREAD[i]! })),
    timeline,
    ...(s.recall === undefined ? {} : { recall: s.recall }),
    repeats: [0.98, 1, 1.02].map((f) => ({ throughput: throughput * f, p50Ms: p50 * f, p99Ms: p50 * 2.5 * f, ...(s.recall === undefined ? {} : { recall: s.recall }) })),
    clientCpu: { threads: 2, cpuMs: durationMs * 2 * 0.4, utilization: 0.4, clientBound: false },
  };
}

/** The server's name: it is where the failure and the client-bound measurement happen. */
export const SERVER = 'http://127.0.0.1:5080';

/** The sample's targets and how each differs: `speed` scales throughput (and divides latency), `recall` adds to recall. */
const TARGETS: { info: TargetInfo; speed: number; recall: number }[] = [
  { info: { name: 'memory', kind: 'memory', description: 'in-process LarchDB, in memory' }, speed: 1, recall: 0 },
  { info: { name: SERVER, kind: 'larchdb-url', description: `LarchDB server at ${SERVER}` }, speed: 0.5, recall: 0 },
  { info: { name: 'hnswlib', kind: 'hnswlib', description: 'hnswlib-node 3.0.0 (M 16, efConstruction 200, single thread)' }, speed: 2, recall: -0.01 },
];

/** Every target's name, in run order. */
export const SAMPLE_TARGETS: readonly string[] = TARGETS.map((t) => t.info.name);

/** One target's measurements: `prefix` starts every label (`name · ` when the run has several targets). */
function targetMeasurements(t: (typeof TARGETS)[number], prefix: string, speedup: number, recallGain: number): Measurement[] {
  const r = (x: number): number => x + recallGain + t.recall;
  const shapes: Shape[] = [
    { workload: 'upsert', label: 'upsert b=100', params: { batchSize: 100, concurrency: 4 }, throughput: 25_600, p50: 3.2, unit: 'records/s' },
    { workload: 'query', label: 'query c=1', params: { concurrency: 1, topK: 10, includeValues: false, includeMetadata: false }, throughput: 1024, p50: 0.8, recall: r(0.953) },
    { workload: 'query', label: 'query c=8', params: { concurrency: 8, topK: 10, includeValues: false, includeMetadata: false }, throughput: 4096, p50: 1.6, recall: r(0.953) },
    { workload: 'query', label: 'query c=64', params: { concurrency: 64, topK: 10, includeValues: false, includeMetadata: false }, throughput: 5120, p50: 9, recall: r(0.953) },
    { workload: 'filtered', label: 'filtered s=0.01', params: { concurrency: 8, topK: 10, selectivity: 0.01, actualSelectivity: 0.0102 }, throughput: 6144, p50: 1.2, recall: r(0.985) },
    { workload: 'filtered', label: 'filtered s=0.1', params: { concurrency: 8, topK: 10, selectivity: 0.1, actualSelectivity: 0.0998 }, throughput: 3072, p50: 2.4, recall: r(0.962) },
    { workload: 'filtered', label: 'filtered s=0.5', params: { concurrency: 8, topK: 10, selectivity: 0.5, actualSelectivity: 0.5003 }, throughput: 3584, p50: 2, recall: r(0.957) },
    { workload: 'ef-sweep', label: 'ef-sweep ef=16', params: { concurrency: 8, topK: 10, ef: 16 }, throughput: 8192, p50: 0.8, recall: r(0.812) },
    { workload: 'ef-sweep', label: 'ef-sweep ef=32', params: { concurrency: 8, topK: 10, ef: 32 }, throughput: 6144, p50: 1.1, recall: r(0.905) },
    { workload: 'ef-sweep', label: 'ef-sweep ef=64', params: { concurrency: 8, topK: 10, ef: 64 }, throughput: 4096, p50: 1.6, recall: r(0.958) },
    { workload: 'ef-sweep', label: 'ef-sweep ef=128', params: { concurrency: 8, topK: 10, ef: 128 }, throughput: 2048, p50: 3.1, recall: r(0.987) },
    { workload: 'mixed', label: 'mixed w=0.1', params: { concurrency: 8, topK: 10, writeRatio: 0.1, batchSize: 100 }, throughput: 2560, p50: 2.2, unit: 'ops/s', recall: r(0.948) },
    { workload: 'streaming', label: 'streaming', params: { concurrency: 4, topK: 10, batchSize: 100 }, throughput: 1536, p50: 2.8, unit: 'ops/s', recall: r(0.951) },
    { workload: 'open-loop', label: 'open-loop r=1000', params: { rate: 1000, topK: 10 }, throughput: 1000, p50: 1.4, recall: r(0.953) },
  ];
  const name = t.info.name;
  const server = name === SERVER;
  const ms = shapes.map((s) => {
    const shape = { ...s, label: prefix + s.label };
    // The server's c=64 died 3.2 s in: what it has covers those seconds only.
    return server && s.label === 'query c=64' ? measurement(name, shape, speedup * t.speed, 3) : measurement(name, shape, speedup * t.speed);
  });
  const upsert = ms[0]!;
  if (t.info.kind === 'larchdb-url') {
    upsert.searchableMs = 240 / speedup;
    upsert.indexedMs = 850 / speedup;
  } else {
    upsert.searchableMs = 120 / speedup;
    upsert.indexedMs = null;
    upsert.notes = [`indexedMs: the ${t.info.kind === 'memory' ? 'in-memory' : 'hnswlib'} target indexes as it writes; no separate indexing time to measure`];
  }
  if (server) {
    ms[2]!.clientCpu = { threads: 2, cpuMs: 19_000, utilization: 0.95, clientBound: true };
    const failed = ms[3]!;
    failed.failed = 'target exited (signal SIGKILL) 3.2 s into the measurement';
    failed.errors = 17;
    failed.errorSamples = ['connect ECONNREFUSED 127.0.0.1:5080', 'socket hang up'];
    failed.timeline.at(-1)!.errors = 17;
  } else {
    // In process: the load is the target's own thread.
    for (const m of ms) m.clientCpu = { ...m.clientCpu, threads: 1, cpuMs: m.durationMs * 0.4 };
  }
  return ms;
}

/**
 * The sample run of `names` (every target by default), one after another; `speedup` 2 doubles every throughput and
 * halves every latency, `recallGain` adds to recall. With one target its labels have no target prefix.
 */
export function sampleReport(speedup = 1, recallGain = 0, names: readonly string[] = SAMPLE_TARGETS): BenchReport {
  const targets = names.map((n) => TARGETS.find((t) => t.info.name === n)!);
  const several = targets.length > 1;
  const measurements = targets.flatMap((t) => targetMeasurements(t, several ? `${t.info.name} · ` : '', speedup, recallGain));
  return {
    $schema: REPORT_SCHEMA_ID,
    formatVersion: REPORT_FORMAT_VERSION,
    startedAt: '2026-03-02T10:15:00.000Z',
    finishedAt: '2026-03-02T10:29:42.512Z',
    environment: {
      node: 'v20.20.2',
      platform: 'linux',
      arch: 'x64',
      cpuModel: 'AMD EPYC 7B13',
      cpus: 8,
      memoryBytes: 32 * 2 ** 30,
      loadAverage: 0.42,
      larchdbVersion: '0.1.0',
      libraries: { 'hnswlib-node': '3.0.0' },
    },
    settings: {
      targets: targets.map((t) => t.info.name),
      dataset: 'random-16k-64',
      workloads: ['upsert', 'query', 'filtered', 'ef-sweep', 'mixed', 'streaming', 'open-loop'],
      concurrency: [1, 8, 64],
      topK: 10,
      selectivities: [0.01, 0.1, 0.5],
      ef: [16, 32, 64, 128],
      rate: 1000,
      durationMs: 10_000,
      warmupMs: 2000,
      repeats: 3,
      batchSize: 100,
      writeRatio: 0.1,
      loadThreads: 2,
      index: 'bench',
      namespace: '',
    },
    dataset: { name: 'random-16k-64', dimension: 64, metric: 'cosine', records: 16_384, queries: 500, groundTruth: 'computed', groundTruthK: 100 },
    targets: targets.map((t) => ({ ...t.info })),
    measurements,
    warnings: measurements.filter((m) => m.target === SERVER && m.workload === 'open-loop').map((m) => `${m.label}: 3 requests started more than 10 ms late (the load generator fell behind)`),
  };
}
