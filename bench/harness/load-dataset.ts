/**
 * The dataset a `larchdb bench` run names: read by its format (datasets/), every record given its
 * {@link BUCKET_FIELD}, and exact ground truth attached, from the dataset's own file when it has one for the metric,
 * else computed with the WASM scan kernel and cached.
 *
 * Specs:
 *   synthetic:NxD[:clusters=C][:seed=S][:sigma=X][:queries=Q][:metric=M]   seeded Gaussian clusters
 *   x_base.fvecs | x_base.bvecs | a directory holding one                  TEXMEX, queries x_query.*, truth x_groundtruth.ivecs
 *   x.hdf5 | x.h5                                                          ann-benchmarks (train, test, neighbors)
 *   x.jsonl | x.ndjson                                                     records {id, values, metadata?}, last ones held out
 *   x.parquet | a directory of .parquet files                              Pinecone bulk-import layout, last ones held out
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import type { Metric, RecordMetadata } from '../../engine/index.js';
import { BUCKETS, BUCKET_FIELD, type Dataset, type GroundTruth } from './dataset.js';
import { DatasetError } from './datasets/error.js';
import { cachedGroundTruth, computeGroundTruth } from './ground-truth.js';
import { truthProblem, type RawDataset, type ReadOptions } from './datasets/common.js';
import { readHdf5 } from './datasets/hdf5.js';
import { readJsonl } from './datasets/jsonl.js';
import { parquetFiles, readParquet } from './datasets/parquet.js';
import { SYNTHETIC, readSynthetic } from './datasets/synthetic.js';
import { baseFileIn, readTexmex } from './datasets/vecs.js';

export { DatasetError } from './datasets/error.js';

export interface LoadDatasetOptions {
  /** What to load (see the module comment). */
  spec: string;
  /** Metric of the run (default: the dataset's own, cosine for records and synthetic data). */
  metric?: Metric;
  /** Queries: files with their own query set use at most this many; held-out and synthetic queries are this many. */
  queries?: number;
  /** Depth of the ground truth (default 100; a file's own truth may hold fewer). */
  k?: number;
  /** Where computed ground truth is cached. */
  cacheDir: string;
  /** Seed of the buckets and of synthetic data that names none (default 1). */
  seed?: number;
  onProgress?: (msg: string) => void;
}

const USAGE = 'synthetic:NxD[:...], a .fvecs/.bvecs file or directory, .hdf5/.h5, .jsonl/.ndjson, or .parquet file or directory';

/** The record's bucket: a seeded integer hash of its row (murmur3's finalizer), uniform over [0, BUCKETS). */
export function bucketOf(row: number, seed: number): number {
  let h = (row + Math.imul(seed, 0x9e3779b9)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) % BUCKETS;
}

async function read(spec: string, opts: ReadOptions): Promise<RawDataset> {
  if (spec.startsWith(SYNTHETIC)) return readSynthetic(spec, opts);
  const ext = /\.([a-z0-9]+)$/i.exec(spec)?.[1]?.toLowerCase();
  const known = ['fvecs', 'bvecs', 'hdf5', 'h5', 'jsonl', 'ndjson', 'parquet'];
  let dir = false;
  try {
    dir = (await stat(spec)).isDirectory();
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    if (missing && !known.includes(ext ?? '') && !/[/\\]/.test(spec)) throw new DatasetError(`${spec}: unknown dataset (expected ${USAGE})`);
    throw new DatasetError(`${spec}: ${missing ? 'no such file or directory' : `cannot read (${(e as Error).message})`}`);
  }
  if (dir) {
    const base = await baseFileIn(spec);
    if (base) return readTexmex(base, opts);
    const parquet = await parquetFiles(spec, true);
    if (parquet.length > 0) return readParquet(spec, parquet, opts);
    throw new DatasetError(`${spec}: holds no *_base.fvecs, *_base.bvecs or .parquet files`);
  }
  switch (ext) {
    case 'fvecs':
    case 'bvecs':
      return readTexmex(spec, opts);
    case 'hdf5':
    case 'h5':
      return readHdf5(spec, opts);
    case 'jsonl':
    case 'ndjson':
      return readJsonl(spec, opts);
    case 'parquet':
      return readParquet(spec, [spec], opts);
    default:
      throw new DatasetError(`${spec}: unknown dataset format (expected ${USAGE})`);
  }
}

/** The file's own truth trimmed to `k` columns, when it is for `metric` and covers the queries; else null. */
function fileTruth(raw: RawDataset, metric: Metric, k: number, onProgress: (msg: string) => void): GroundTruth | null {
  const t = raw.truth;
  if (!t) return null;
  if (t.metric !== metric) {
    onProgress(`${t.file}: neighbours are for ${t.metric}, the run is ${metric}: computing them`);
    return null;
  }
  const problem = truthProblem(t, raw.queryCount, raw.count);
  if (problem) {
    onProgress(`${problem}: computing the neighbours instead`);
    return null;
  }
  const kk = Math.min(k, t.k);
  const rows = new Int32Array(raw.queryCount * kk);
  for (let q = 0; q < raw.queryCount; q++) rows.set(t.rows.subarray(q * t.k, q * t.k + kk), q * kk);
  return { k: kk, rows };
}

/** Loads the dataset `opts.spec` names, with its buckets and exact ground truth. Bad input throws {@link DatasetError}. */
export async function loadDataset(opts: LoadDatasetOptions): Promise<Dataset> {
  const onProgress = opts.onProgress ?? (() => {});
  const seed = opts.seed ?? 1;
  const k = opts.k ?? 100;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (opts.queries !== undefined && !(Number.isInteger(opts.queries) && opts.queries >= 1)) throw new RangeError(`queries must be a positive integer, got ${opts.queries}`);
  const raw = await read(opts.spec, { queries: opts.queries, seed, onProgress });
  if (raw.count === 0 || raw.queryCount === 0) throw new DatasetError(`${opts.spec}: has no ${raw.count === 0 ? 'base vectors' : 'queries'}`);
  const metric = opts.metric ?? raw.metric;
  const identity = `${raw.identity}|buckets=${seed}`;

  let truth = fileTruth(raw, metric, k, onProgress);
  let source: Dataset['info']['groundTruth'] = 'file';
  if (!truth) {
    const key = JSON.stringify({ data: identity, metric, k, queries: raw.queryCount, filter: null });
    onProgress(`ground truth: ${raw.queryCount} queries × ${raw.count} rows (${metric}, k=${k})`);
    const got = cachedGroundTruth(key, opts.cacheDir, () =>
      computeGroundTruth(raw.vectors, raw.count, raw.dimension, metric, raw.queries, raw.queryCount, k, undefined, { onProgress }));
    if (got.truth.k !== k || got.truth.rows.length !== raw.queryCount * k) throw new DatasetError(`${opts.cacheDir}: a cached ground truth does not fit this dataset; delete it`);
    truth = got.truth;
    source = got.source;
  }

  const metadata: RecordMetadata[] = new Array<RecordMetadata>(raw.count);
  for (let r = 0; r < raw.count; r++) metadata[r] = { ...raw.metadata?.[r], [BUCKET_FIELD]: bucketOf(r, seed) };
  return {
    info: {
      name: raw.name,
      dimension: raw.dimension,
      metric,
      records: raw.count,
      queries: raw.queryCount,
      groundTruth: source,
      groundTruthK: source === 'file' ? truth.k : Math.min(k, raw.count),
    },
    dimension: raw.dimension,
    vectors: raw.vectors,
    count: raw.count,
    ids: raw.ids,
    metadata,
    queries: raw.queries,
    queryCount: raw.queryCount,
    truth,
    identity,
  };
}
