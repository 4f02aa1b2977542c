/**
 * What the harness measures: a system that stores records and answers nearest-neighbour queries. Every target
 * (the in-process engine, a LarchDB server, a Pinecone index host, the exact and hnswlib-node baselines) is driven
 * through this one interface, so every workload runs unchanged against each.
 *
 * @module
 */
import type { RecordMetadata } from '../../engine/index.js';
import type { TargetInfo } from './report.js';
import type { Indexed } from './target-indexed.js';

/** One record as the harness writes it. */
export interface BenchRecord {
  id: string;
  values: Float32Array;
  metadata?: RecordMetadata;
}

/** One query as the harness sends it. */
export interface BenchQuery {
  vector: Float32Array;
  topK: number;
  filter?: Record<string, unknown>;
  includeValues: boolean;
  includeMetadata: boolean;
}

/** The index a run creates (or finds) on the target. */
export interface IndexPlan {
  name: string;
  namespace: string;
  dimension: number;
  metric: 'cosine' | 'euclidean' | 'dotproduct';
  /** Highest efSearch the run will use (baselines size their search buffers by it). */
  maxEf: number;
}

/** A target the harness drives. Methods reject with an Error whose message says what failed. */
export interface BenchTarget {
  readonly info: Omit<TargetInfo, 'name'>;
  /**
   * How worker threads reach this target (remote targets), or null when it lives in this thread (in-process engine,
   * baselines) and load must be generated here.
   */
  readonly remote: RemoteTargetConfig | null;
  /** Creates the index (replacing one of the same name the harness made before) or checks the given one. */
  prepare(plan: IndexPlan): Promise<void>;
  upsert(records: BenchRecord[]): Promise<void>;
  /** Ids of the matches, best first. */
  query(q: BenchQuery): Promise<string[]>;
  /** Records the target counts in the namespace (what describe_index_stats says). */
  count(): Promise<number>;
  /**
   * Sets HNSW efSearch for the following queries; a string says why this target cannot (the ef sweep is then
   * reported as not measured).
   */
  setEf(ef: number): Promise<true | string>;
  /**
   * Waits until the background index builds that the writes started are done (for LarchDB: no frozen memtable
   * left; the memtable itself is searched exactly until it fills); a string says why this cannot be observed.
   */
  waitIndexed(): Promise<Indexed | string>;
  /** Removes what prepare() created unless `keep`, and releases connections. */
  close(keep: boolean): Promise<void>;
}

/** Serializable connection settings of a remote target: worker threads build their own client from them. */
export interface RemoteTargetConfig {
  /** The index host (data plane base URL). */
  indexHost: string;
  apiKey: string | undefined;
  apiVersion: string;
  namespace: string;
}
