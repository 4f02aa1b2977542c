/**
 * What a load thread needs of the dataset, as views on SharedArrayBuffers (so worker threads get them without a
 * copy), and recall@k of one answer against them.
 *
 * @module
 */
import type { RecordMetadata } from '../../engine/index.js';
import type { BenchRecord } from './target.js';

/** The dataset as seen by a load thread. */
export interface LoadData {
  dimension: number;
  vectors: Float32Array;
  count: number;
  queries: Float32Array;
  queryCount: number;
  ids: string[] | null;
  metadata: RecordMetadata[];
}

/** Exact neighbours the answers of a measurement are scored against. */
export interface TruthView {
  k: number;
  rows: Int32Array;
}

export const idOf = (d: LoadData, row: number): string => (d.ids ? d.ids[row]! : String(row));

export function recordOf(d: LoadData, row: number): BenchRecord {
  return { id: idOf(d, row), values: d.vectors.subarray(row * d.dimension, (row + 1) * d.dimension), metadata: d.metadata[row] };
}

export function queryVector(d: LoadData, q: number): Float32Array {
  return d.queries.subarray(q * d.dimension, (q + 1) * d.dimension);
}

/**
 * Recall@topK of `got` for query `q`: the share of the true top-topK ids found among the answer's first topK.
 * `limit`: rows acknowledged when the query started (streaming; Infinity otherwise). NaN when the truth is not known
 * (streaming: too few stored neighbours acknowledged yet).
 */
export function recallOf(d: LoadData, truth: TruthView, q: number, got: string[], topK: number, limit: number): number {
  const want = new Set<string>();
  for (let i = 0; i < truth.k && want.size < topK; i++) {
    const row = truth.rows[q * truth.k + i]!;
    if (row >= 0 && row < limit) want.add(idOf(d, row));
  }
  // While rows are still arriving (streaming), truth among the acknowledged rows is known exactly only while at
  // least topK of the k stored neighbours are among them.
  if (want.size < topK && limit < d.count) return NaN;
  if (want.size === 0) return 1;
  let hit = 0;
  for (let i = 0; i < Math.min(topK, got.length); i++) if (want.has(got[i]!)) hit++;
  return hit / want.size;
}
