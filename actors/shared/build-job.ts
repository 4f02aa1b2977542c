/**
 * Messages between a namespace host and an index builder (over a MessagePort per pair): a job names rows of source
 * segments in shared memory to turn into one slab; the answer is the new slab's arena, postings and graph.
 */
import type { MessagePort } from 'node:worker_threads';
import type { RecordMetadata } from '../../engine/core/types.js';
import type { SerializedError } from '../../engine/core/errors.js';
import type { KernelMetric } from '../../wasm/kernels.js';
import type { ArenaState } from './arena.js';
import type { HnswHandle } from './hnsw-layout.js';
import type { ColumnSource } from './slab-columns.js';

/** How to build the slab's HNSW graph (null in a job: never, e.g. sparse indexes). */
export interface GraphJob {
  metric: KernelMetric;
  M: number;
  efConstruction: number;
  efSearch: number;
  /** Slabs with fewer rows stay exact. */
  minRows: number;
  /** The graph of `sources[0]` when the job takes all of its rows first: extended rather than rebuilt. */
  prefix?: HnswHandle;
  /**
   * Build threads run at a lower priority (thread-priority.ts): merges and idle flushes. The flush of a memtable that was
   * frozen full, or by a flush call, is not background work: writes wait for it once the next memtable fills.
   */
  background: boolean;
}

/** Rows of one or more segments to turn into one slab. */
export interface BuildJob {
  dim: number;
  /** The slab holds the namespace's state up to this LSN. */
  lsn: number;
  sources: ColumnSource[];
  /** Ids and metadata of the output rows, in order. */
  ids: string[];
  meta: (RecordMetadata | undefined)[];
  /** Metadata fields to index for filters (absent: every field). */
  indexed?: string[];
  tombstones: string[];
  /** Where to write the slab file (null: in memory only). */
  slabDir: string | null;
  name: string;
  graph: GraphJob | null;
}

export interface BuildResult {
  arena: ArenaState;
  /** Encoded metadata postings. */
  postings: Uint8Array;
  /** Bytes of the slab file written. */
  bytes: number;
  /** The slab's HNSW graph, in `arena.memory` (absent: the slab is searched exactly). */
  graph?: HnswHandle;
}

export interface BuildMessage {
  id: number;
  job: BuildJob;
}

export type BuildReply = { id: number; ok: BuildResult } | { id: number; err: SerializedError };

/** An index builder's control calls (comlink); jobs travel over the ports it is given. */
export interface BuilderApi {
  /** A namespace host's job port. */
  connect(port: MessagePort): void;
  /** Fault injection for tests: the thread dies as a crash would kill it. */
  crash(): void;
}
