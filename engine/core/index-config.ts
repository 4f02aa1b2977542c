import type { DeletionProtection, HnswOptions, IndexSpec, Metric, VectorType } from './types.js';

/** An index as the catalog stores it (validated, defaults filled in). */
export interface IndexConfig {
  name: string;
  /** Dense dimension; absent for sparse indexes. */
  dimension?: number;
  metric: Metric;
  vectorType: VectorType;
  deletionProtection: DeletionProtection;
  tags?: Record<string, string>;
  spec: IndexSpec;
  /** ISO time of creation. */
  createdAt: string;
  /** HNSW settings given by the user (absent fields: defaults, see HNSW_DEFAULTS in actors/hnsw-index.ts). */
  hnsw?: HnswOptions;
}

/** Metric numbers shared with the WASM kernel (wasm/assembly/kernels.ts). */
export const METRIC_CODE: Record<Metric, number> = { dotproduct: 0, cosine: 1, euclidean: 2 };

/** Largest topK a query may ask for (API-DIGEST §9.1). */
export const MAX_TOP_K = 10_000;
