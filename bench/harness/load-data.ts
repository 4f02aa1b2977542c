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
 * Recall@k of one answer: the share of the true top-k ids (the first k valid rows of `truthRows` below `limit`,
 * -1 = padding) found among the answer's first k; a repeated id counts once. 1 when there is nothing to find.
 */
export function recallAt(gotIds: readonly string[], truthRows: Int32Array, ds: Pick<LoadData, 'ids'>, k: number, limit = Infinity): number {
  const want = new Set<string>();
  for (let i = 0; i < truthRows.length && want.size < k; i++) {
    const row = truthRows[i]!;
    if (row >= 0 && row < limit) want.add(ds.ids ? ds.ids[row]! : String(row));
  }
  if (want.size === 0) return 1;
  const hit = new Set<string>();
  for (let i = 0; i < Math.min(k, gotIds.length); i++) if (want.has(gotIds[i]!)) hit.add(gotIds[i]!);
  return hit.size / want.size;
}

/**
 * Recall@topK of `got` for query `q`. `limit`: rows acknowledged when the query started (streaming; Infinity
 * otherwise). While rows are still arriving, truth among the acknowledged rows is known exactly only while at least
 * topK of the k stored neighbours are among them: NaN otherwise.
 */
export function recallOf(d: LoadData, truth: TruthView, q: number, got: string[], topK: number, limit: number): number {
  const rows = truth.rows.subarray(q * truth.k, (q + 1) * truth.k);
  if (limit < d.count) {
    let known = 0;
    for (let i = 0; i < rows.length && known < topK; i++) if (rows[i]! >= 0 && rows[i]! < limit) known++;
    if (known < topK) return NaN;
  }
  return recallAt(got, rows, d, topK, limit);
}
