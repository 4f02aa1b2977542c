/**
 * Which segments a namespace turns into a slab next: a pure policy over segment sizes, so it can be tested alone.
 * Segments are listed oldest first: slabs, then frozen memtables, then the memtable.
 *
 * A slab build extends its largest input's HNSW graph when it can (slab-jobs.ts: only that input's rows go first
 * and the others' are inserted), so the policy prefers runs that grow one graph: a flush folds the frozen memtable
 * into the newest slab, and a namespace that went quiet merges its slabs into one.
 */

/** What the policy needs to know of a segment. */
export interface SegmentSize {
  slab: boolean;
  frozen: boolean;
  /** Live rows. */
  rows: number;
  /** A slab whose graph a build can extend: it has one and every row of it is alive. */
  growable?: boolean;
}

/** Runs of slabs merge when an older slab is no larger than all newer ones together (a binary-counter shape). */
export const MERGE_MIN_SLABS = 2;
/**
 * A flush folds its memtable into the newest slab while that slab holds at most this many times the memtable's rows:
 * each fold rewrites the slab (columns and file, not its graph), so this bounds how often a row is copied during a
 * long load (a new slab starts beyond it, and binary-counter merges take over).
 */
export const FOLD_MAX_RATIO = 8;
/**
 * A flush or merge never makes a slab larger than this (vectors plus ~64 bytes a record): one slab is one wasm32
 * memory (4 GiB at most) and one file read whole on open, and a bigger merge would rewrite too much at once.
 */
export const MAX_SLAB_BYTES = 1 << 30;

/** Bytes of a slab row as MAX_SLAB_BYTES counts them: the vector plus ~64 bytes of id, metadata and state. */
export const slabRowBytes = (dim: number): number => dim * 4 + 64;

/**
 * The oldest frozen memtable waiting for its slab (indices into `segs`), preceded by the newest slab when that slab's
 * graph can grow by it (growable, at most FOLD_MAX_RATIO times the memtable's rows, the sum under MAX_SLAB_BYTES).
 * One memtable a job: while writes outrun the builder, each job takes one frozen memtable off the queue that queries
 * scan exactly, and a bulk load ends as one slab with one graph rather than one per memtable.
 */
export function flushRun(segs: readonly SegmentSize[], rowBytes: number): number[] {
  const at = segs.findIndex((s) => s.frozen);
  if (at < 0) return [];
  const prev = segs[at - 1];
  const mem = segs[at]!.rows;
  const fold = prev?.slab && prev.growable && prev.rows <= FOLD_MAX_RATIO * mem && (prev.rows + mem) * rowBytes <= MAX_SLAB_BYTES;
  return fold ? [at - 1, at] : [at];
}

/**
 * The slabs to merge next (indices into `segs`), or null. The newest run where each older slab is no larger than the
 * newer ones together (log n slabs, each record rewritten log n times). When the namespace is `quiet` (no write for
 * the idle time) and that finds nothing: the newest run of any sizes whose largest slab is growable, so data that
 * stopped changing ends in one slab with one graph for the cost of inserting the smaller slabs' rows. Runs are capped
 * at MAX_SLAB_BYTES and need MERGE_MIN_SLABS slabs.
 */
export function mergeRun(segs: readonly SegmentSize[], rowBytes: number, quiet = false): number[] | null {
  const binary = slabRun(segs, rowBytes, true);
  if (binary || !quiet) return binary;
  const run = slabRun(segs, rowBytes, false);
  const largest = run && run.reduce((a, b) => (segs[b]!.rows > segs[a]!.rows ? b : a));
  return run && segs[largest!]!.growable ? run : null;
}

/** The newest run of slabs under the cap (with `binary`, stopping at an older slab larger than the newer ones). */
function slabRun(segs: readonly SegmentSize[], rowBytes: number, binary: boolean): number[] | null {
  const slabs: number[] = [];
  segs.forEach((s, i) => s.slab && slabs.push(i));
  let sum = 0;
  let i = slabs.length;
  while (i > 0) {
    const live = segs[slabs[i - 1]!]!.rows;
    if (binary && i < slabs.length && live > sum) break;
    if ((sum + live) * rowBytes > MAX_SLAB_BYTES) break;
    sum += live;
    i--;
  }
  const run = slabs.slice(i);
  return run.length >= MERGE_MIN_SLABS ? run : null;
}
