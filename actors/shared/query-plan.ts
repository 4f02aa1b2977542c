/**
 * The read path's messages: what the main thread asks a namespace actor to plan, the plan it answers (where the
 * query sits in each segment's arena, and the units of work), and the scan tasks executors run from it. Numbers are
 * byte offsets in the arena's shared memory unless named otherwise.
 */
import type { ArenaView } from './arena.js';
import type { HnswHandle } from './hnsw-layout.js';

/** One read unit per GiB of namespace (vectors plus ~128 bytes of id and metadata a record), at least one. */
export function readUnits(records: number, dim: number): number {
  return Math.max(1, Math.ceil((records * (dim * 4 + 128)) / 2 ** 30));
}

/** What the main thread asks for when it plans a query. The query vector itself arrives in a ring frame. */
export interface PlanRequest {
  k: number;
  id?: string;
  filter?: unknown;
  /** How many executor tasks the scan may be split into. */
  tasks: number;
}

/** Where a plan put the query in one arena's memory. */
export interface QueryPlacement {
  /** Rows in the arena (the last block may be partly filled). */
  totalRows: number;
  q: number;
  qInvNorm: number;
  qsIdx: number;
  qsVal: number;
  qsN: number;
  /** Filter bitmap over all rows of the arena (0: no filter). */
  bits: number;
  /** Set when the segment is searched through its HNSW graph instead of scanned. */
  graph?: GraphPlacement;
}

/** A graph search: the slab's graph, the kernel scratch the plan reserved for it, the result-set size. */
export interface GraphPlacement {
  handle: HnswHandle;
  kernel: number;
  ef: number;
}

/** One block range of one segment, scanned into its own heap. */
export interface PlanUnit {
  b0: number;
  b1: number;
  heap: number;
  /** Which executor task scans it. */
  task: number;
}

/** The scan of one segment: where its arena is, where the query and bitmap were copied in it, its units. */
export interface PlanSegment extends QueryPlacement {
  view: ArenaView;
  units: PlanUnit[];
}

/** A planned query. */
export interface QueryPlan {
  planId: number;
  /** Snapshot version: rows with created <= snap < deleted are visible. */
  snap: number;
  k: number;
  metric: number;
  flags: number;
  tasks: number;
  segments: PlanSegment[];
  readUnits: number;
  /** The namespace's applied LSN when the query was planned. */
  lsn: number;
}

export type PlanResult = QueryPlan | { empty: true; readUnits: number; lsn: number };

/** A query's winning rows: [position of the segment in the plan, row in its arena]. */
export type PlanHit = [segment: number, row: number];

/** One block range of one arena with the query copied into that arena. */
export interface ScanUnit extends QueryPlacement {
  arenaId: string;
  memory: WebAssembly.Memory;
  dim: number;
  rowsPerBlock: number;
  /** Offsets of the blocks to scan; the first one holds row `rowBase` of the arena. */
  blocks: number[];
  rowBase: number;
  heap: number;
}

/** One executor task: units (of one or more segments) scanned with the same snapshot, k and metric. */
export interface ScanTask {
  /** Snapshot version: rows with created <= snap < deleted are visible. */
  snap: number;
  k: number;
  metric: number;
  flags: number;
  units: ScanUnit[];
  /** Fault injection: exit the thread halfway through the scan. */
  crash?: boolean;
}
