/**
 * Which segments a namespace turns into a slab next: a pure policy over segment sizes, so it can be tested alone.
 * Segments are listed oldest first: slabs, then frozen memtables, then the memtable.
 */

/** What the policy needs to know of a segment. */
export interface SegmentSize {
  slab: boolean;
  frozen: boolean;
  /** Live rows. */
  rows: number;
}

/** Runs of slabs merge when an older slab is no larger than all newer ones together (a binary-counter shape). */
export const MERGE_MIN_SLABS = 2;
/**
 * A flush or merge never makes a slab larger than this (vectors plus ~64 bytes a record): one slab is one wasm32
 * memory (4 GiB at most) and one file read whole on open, and a bigger merge would rewrite too much at once.
 */
export const MAX_SLAB_BYTES = 1 << 30;

/** Bytes of a slab row as MAX_SLAB_BYTES counts them: the vector plus ~64 bytes of id, metadata and state. */
export const slabRowBytes = (dim: number): number => dim * 4 + 64;

/**
 * The frozen memtables waiting for their slab, oldest first, as many as make one slab of at most MAX_SLAB_BYTES
 * (indices into `segs`): when writes outrun the builder (a graph build takes longer than filling a memtable), the
 * memtables queued meanwhile become one slab and one graph instead of one each.
 */
export function flushRun(segs: readonly SegmentSize[], rowBytes: number): number[] {
  const run: number[] = [];
  let rows = 0;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (!s.frozen) continue;
    if (run.length > 0 && (rows + s.rows) * rowBytes > MAX_SLAB_BYTES) break;
    rows += s.rows;
    run.push(i);
  }
  return run;
}

/**
 * The newest run of slabs where each older one is no larger than the newer ones together, capped at MAX_SLAB_BYTES
 * (indices into `segs`); null when it holds fewer than MERGE_MIN_SLABS. The result is log n slabs, each record
 * rewritten log n times.
 */
export function mergeRun(segs: readonly SegmentSize[], rowBytes: number): number[] | null {
  const slabs: number[] = [];
  segs.forEach((s, i) => s.slab && slabs.push(i));
  let sum = 0;
  let i = slabs.length;
  while (i > 0) {
    const live = segs[slabs[i - 1]!]!.rows;
    if (i < slabs.length && live > sum) break;
    if ((sum + live) * rowBytes > MAX_SLAB_BYTES) break;
    sum += live;
    i--;
  }
  const run = slabs.slice(i);
  return run.length >= MERGE_MIN_SLABS ? run : null;
}
