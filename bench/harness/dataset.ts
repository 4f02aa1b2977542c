/**
 * A benchmark dataset in memory: base vectors, held-out queries and their exact neighbours, with the metadata field
 * that makes filters of known selectivity. Vectors live in SharedArrayBuffers so load-generating worker threads read
 * them without copies.
 *
 * @module
 */
import type { RecordMetadata } from '../../engine/index.js';
import type { DatasetInfo } from './report.js';

/** Metadata field every dataset's records carry: an integer in [0, BUCKETS), uniform, seeded by the record's index. */
export const BUCKET_FIELD = 'bench_bucket';
/** Buckets of {@link BUCKET_FIELD}: a filter `bench_bucket < s × BUCKETS` matches a fraction s of the records. */
export const BUCKETS = 10_000;

/** Exact neighbours of every query: row indexes into the base vectors, `k` per query, best first (-1 = none). */
export interface GroundTruth {
  k: number;
  rows: Int32Array;
}

/** A filter of known selectivity with its own exact neighbours (among the records it matches). */
export interface SelectiveFilter {
  /** Requested fraction. */
  selectivity: number;
  /** Fraction of the base records the filter matches. */
  actualSelectivity: number;
  /** Pinecone filter: `{ bench_bucket: { $lt: n } }`. */
  filter: Record<string, unknown>;
  truth: GroundTruth;
}

export interface Dataset {
  info: DatasetInfo;
  dimension: number;
  /** Base vectors, row-major, `count × dimension`, on a SharedArrayBuffer. */
  vectors: Float32Array;
  count: number;
  /** Record ids (null: row i has id `String(i)`). */
  ids: string[] | null;
  /** Metadata of each row (always holds {@link BUCKET_FIELD}). */
  metadata: RecordMetadata[];
  /** Query vectors, row-major, `queryCount × dimension`, on a SharedArrayBuffer. */
  queries: Float32Array;
  queryCount: number;
  truth: GroundTruth;
  /**
   * What names this data in ground-truth cache keys (the spec, or the files' paths, sizes and mtimes, with the bucket
   * seed), set by the loader; absent, the filtered truth's cache key hashes the vectors, queries and buckets instead.
   */
  identity?: string;
}
