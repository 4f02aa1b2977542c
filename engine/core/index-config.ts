/**
 * An index's stored settings and what follows from them: the kernel's metric code and the HNSW settings with their
 * defaults and ranges (one place, used by validation, the graph build and the query planner).
 */
import { KernelMetric } from '../../wasm/kernels.js';
import type { DeletionProtection, HnswOptions, IndexEmbed, IndexSpec, Metric, VectorType } from './types.js';

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
  /** HNSW settings given by the user (absent fields: {@link HNSW_DEFAULTS}). */
  hnsw?: HnswOptions;
  /** Integrated embedding (indexes created for a model). */
  embed?: IndexEmbed;
}

/** The kernel's code for each metric. */
export const METRIC_CODE: Record<Metric, KernelMetric> = {
  dotproduct: KernelMetric.Dot,
  cosine: KernelMetric.Cosine,
  euclidean: KernelMetric.Euclidean,
};

/**
 * Defaults, chosen by measurement (recall@10 at efSearch 64 / 80 / 128; M 16, efConstruction 200):
 *   ngt-sift-5k (euclidean, real)                    0.993 (ef 64)
 *   clustered 20k × 128 cosine (20 Gaussian clusters) 0.984 / - / 0.997
 *   clustered 200k × 128 cosine (200 clusters)       0.984 / 0.992 / 0.999
 *   clustered 200k × 768 cosine (200 clusters)       0.956 / 0.976 / 0.995
 * The isotropic clusters at 768-d are the hardest case; efSearch 80 keeps them above 0.95 with margin for a few
 * percent of QPS against 64. M 16 / efConstruction 200 are hnswlib's usual values; recall curves match hnswlib-node's
 * built with the same parameters to within 0.006 at the same ef (bench/ann: 100k × 128 ef 32 0.916 vs 0.914, ef 48
 * 0.966 vs 0.967; 200k × 128 ef 32 0.896 vs 0.903, ef 48 0.961 vs 0.964).
 */
export const HNSW_DEFAULTS = {
  M: 16,
  efConstruction: 200,
  efSearch: 80,
  /** Seed of the graph's level draw: a graph is a function of its data and settings. */
  seed: 0x5eed,
} as const;

/** Allowed HNSW settings, [min, max]. */
export const HNSW_RANGES = { M: [2, 128], efConstruction: [1, 4096], efSearch: [1, 10_000] } as const;

/** The HNSW settings of an index: its own, defaults for the rest. */
export function hnswSettings(cfg: Pick<IndexConfig, 'hnsw'>): Required<HnswOptions> {
  return {
    M: cfg.hnsw?.M ?? HNSW_DEFAULTS.M,
    efConstruction: cfg.hnsw?.efConstruction ?? HNSW_DEFAULTS.efConstruction,
    efSearch: cfg.hnsw?.efSearch ?? HNSW_DEFAULTS.efSearch,
  };
}
