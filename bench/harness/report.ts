/**
 * The bench report: what one `larchdb bench` run measured, as written to `--out report.json`. Its JSON Schema is
 * published beside it (report.schema.json, `$id` {@link REPORT_SCHEMA_ID}); a change to these types is a change to
 * the schema and, when not backward compatible, to {@link REPORT_FORMAT_VERSION}.
 *
 * @module
 */

/** Version of the report format; `bench compare` reads reports of this version. */
export const REPORT_FORMAT_VERSION = 1;

/** The `$id` of the report's JSON Schema (the file ships in the package as bench/harness/report.schema.json). */
export const REPORT_SCHEMA_ID = 'https://larchdb.dev/schemas/bench-report-1.json';

/** The workloads a run can include. */
export type WorkloadKind = 'upsert' | 'query' | 'filtered' | 'mixed' | 'streaming' | 'ef-sweep' | 'open-loop';

/** Latency percentiles of one measurement, in milliseconds (HdrHistogram, 3 significant digits). */
export interface LatencyStats {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** One point of a latency CDF: `percentile` (0–100) of requests took at most `ms`. */
export interface CdfPoint {
  percentile: number;
  ms: number;
}

/** One interval (usually one second) of a measurement, for latency-over-time charts. */
export interface TimelinePoint {
  /** Start of the interval, ms since the measurement started. */
  tMs: number;
  /** Operations completed in the interval (ok + failed). */
  ops: number;
  /** Failed operations in the interval. */
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** Mean recall@k of the queries completed in the interval (streaming), when known. */
  recall?: number;
}

/** CPU the load generator itself used: how much of its capacity the client spent, and whether that limited the run. */
export interface ClientCpu {
  /** Threads generating load (worker threads, or 1 for the in-process target's own thread). */
  threads: number;
  /** Busy ms of the load threads (their event loops' active time: running JavaScript, the client's work). */
  cpuMs: number;
  /** cpuMs / (threads × wall ms): 1.0 means every load thread was busy all the time. */
  utilization: number;
  /**
   * True when the client was the limit (load worker threads ≥ 90% busy): the target may be faster than reported.
   * Never set for in-process targets, whose work runs on the calling thread itself.
   */
  clientBound: boolean;
}

/** Parameters of one measurement (only those that apply are present). */
export interface MeasurementParams {
  concurrency?: number;
  topK?: number;
  includeValues?: boolean;
  includeMetadata?: boolean;
  /** Fraction of records the filter matches (requested; the dataset's actual fraction is in `actualSelectivity`). */
  selectivity?: number;
  actualSelectivity?: number;
  /** HNSW efSearch set on the target for this measurement. */
  ef?: number;
  /** Open loop: requests started per second. */
  rate?: number;
  /** Upserts: records per request. */
  batchSize?: number;
  /** Mixed: share of operations that are writes (0–1). */
  writeRatio?: number;
}

/** What one workload step measured (one concurrency, one selectivity, one ef, ...). */
export interface Measurement {
  /** Name of the target measured (a {@link TargetInfo.name} of the report's `targets`). */
  target: string;
  workload: WorkloadKind;
  /**
   * Unique within a report, stable across runs of the same settings: how `bench compare` pairs measurements. With
   * several targets in a run it starts with the target's name: `hnswlib · query c=1`.
   */
  label: string;
  params: MeasurementParams;
  /** Operations that succeeded (queries, upsert requests, ...). */
  operations: number;
  /** Operations that failed; `errorSamples` holds the first few messages. */
  errors: number;
  errorSamples: string[];
  /** Records written (upsert, mixed, streaming). */
  records?: number;
  /** Wall time of the measured part (warm-up excluded), ms. */
  durationMs: number;
  /** Successful operations (or records, for upserts) per second. */
  throughput: number;
  throughputUnit: 'queries/s' | 'records/s' | 'ops/s';
  latency: LatencyStats;
  /** Open loop: latency measured from each request's intended start (no coordinated omission). */
  cdf: CdfPoint[];
  timeline: TimelinePoint[];
  /** Mean recall@topK against exact ground truth (queries only). */
  recall?: number;
  /** Repeats of this measurement: throughput, p50, p99 and recall of each (the headline is their median). */
  repeats: { throughput: number; p50Ms: number; p99Ms: number; recall?: number }[];
  clientCpu: ClientCpu;
  /** Upserts: ms from the first write until every record was counted by the target, and until it was indexed. */
  searchableMs?: number | null;
  indexedMs?: number | null;
  /** Why `indexedMs` (or another figure) could not be measured on this target. */
  notes?: string[];
  /** Set when the target failed during the measurement: the figures above cover what completed before. */
  failed?: string;
}

/** The machine and software a run was made on. */
export interface Environment {
  node: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  memoryBytes: number;
  /** 1-minute load average when the run started (other work on the machine skews results). */
  loadAverage: number;
  larchdbVersion: string;
  /** Versions of peer libraries used (hnswlib-node, ...). */
  libraries: Record<string, string>;
}

/** The settings a run was made with (the command line, parsed; the API key never appears). */
export interface RunSettings {
  /**
   * Systems measured, one after the other on the same data (`--target`, comma-separated): `memory`, a data
   * directory, an http(s) URL (a LarchDB server or Pinecone control plane, or an index host), `exact` or `hnswlib`.
   */
  targets: string[];
  /** Dataset spec: `synthetic:NxD[:clusters=C][:seed=S]...`, a .fvecs/.bvecs file, .hdf5, .jsonl or .parquet. */
  dataset: string;
  workloads: WorkloadKind[];
  /** Requests in flight, swept by the query and mixed workloads (the others use the first). */
  concurrency: number[];
  topK: number;
  /** Fractions of the records the filtered workload's filters match. */
  selectivities: number[];
  /** efSearch values of the ef sweep. */
  ef: number[];
  /** Open loop: requests per second. */
  rate: number | null;
  /** Length of each timed measurement, after its warm-up. */
  durationMs: number;
  warmupMs: number;
  /** Runs of each timed measurement; the headline figures are the median run's. */
  repeats: number;
  /** Records per upsert request. */
  batchSize: number;
  /** Mixed: share of operations that re-write a record. */
  writeRatio: number;
  /** Load-generating worker threads for remote targets. */
  loadThreads: number;
  /** Index (and namespace) the run creates or uses on each target. */
  index: string;
  namespace: string;
}

/** The dataset as the run used it. */
export interface DatasetInfo {
  name: string;
  dimension: number;
  metric: 'cosine' | 'euclidean' | 'dotproduct';
  records: number;
  queries: number;
  /** Where the exact neighbours came from: the dataset's own file, computed now (WASM scan) or a cached computation. */
  groundTruth: 'file' | 'computed' | 'cache';
  /** k of the ground truth (recall@k is reported for topK ≤ k). */
  groundTruthK: number;
}

/** A system measured. */
export interface TargetInfo {
  /** Short name, unique in the run: the `--target` value (a URL without credentials, query or fragment). */
  name: string;
  kind: 'memory' | 'directory' | 'larchdb-url' | 'pinecone' | 'exact' | 'hnswlib';
  /** Human description: a path, a URL (without credentials), a library and version. */
  description: string;
}

/** One `larchdb bench` run. */
export interface BenchReport {
  $schema: typeof REPORT_SCHEMA_ID;
  formatVersion: typeof REPORT_FORMAT_VERSION;
  startedAt: string;
  finishedAt: string;
  environment: Environment;
  settings: RunSettings;
  dataset: DatasetInfo;
  /** The systems measured, in the order they ran (the same dataset and ground truth for all). */
  targets: TargetInfo[];
  measurements: Measurement[];
  /** Problems that are not one measurement's (a workload the target cannot run, ...), in plain words. */
  warnings: string[];
}
