/**
 * Searching an HNSW graph in shared memory (any thread holding the arena's memory, the handle and its own kernel
 * scratch): the graph walk in the WASM kernel, or an exact scan over a filter bitmap's rows when the cost model says
 * that is cheaper, and kernel scratch allocation (on the arena's owner thread).
 *
 * Kernel scratch of one search (~10 bytes a row): visited u16[n], candidate heap 8n bytes, result heap 8·efCap bytes,
 * prune buffer; one per search in flight, reused, never zeroed again (epoch-stamped marks).
 */
import type { Arena } from './arena.js';
import type { HnswHandle } from './hnsw-layout.js';
import type { Kernels } from '../../wasm/kernels.js';

/**
 * Cost model of a filtered search with `p` of n rows allowed. The graph walk makes about max(V, FILTER_WALK · ef · n/p)
 * distance computations (V: an unfiltered search's; it must see ~ef/selectivity nodes to collect ef allowed ones),
 * the exact scan p of them. A scan's distance (rows in order) costs less than a graph's (random rows, heaps):
 * EXACT_COST_RATIO times less while the vectors fit in the caches (measured on 20k × 128 clustered vectors: walk ≈
 * 3·ef/selectivity, graph ≈ 110-200 ns per distance against 26-30 ns for the scan, crossover near 30% selectivity).
 * Beyond EXACT_CACHE_BYTES of vectors both are bound by memory and the scan's advantage shrinks with the row's size
 * ({@link exactCostRatio}): at 100k × 384 a 10% filter took 5.5 ms of CPU exactly against 1.8 ms through the walk
 * (at 100k × 128 the two were within 5%).
 */
export const FILTER_WALK = 3;
export const EXACT_COST_RATIO = 5;
export const EXACT_CACHE_BYTES = 16 << 20;

/** How many times cheaper a distance of the exact scan is than one of the walk, for n rows of `dim` floats. */
export function exactCostRatio(n: number, dim: number): number {
  return n * dim * 4 <= EXACT_CACHE_BYTES ? EXACT_COST_RATIO : Math.max(1, (EXACT_COST_RATIO * 128) / dim);
}
/**
 * In 'auto' mode, a filtered graph walk that made more than WALK_SURPRISE times the expected distance computations is
 * redone as an exact scan. Random filters stay within 1.3× of the model (measured at 1-50%); a filter whose rows lie
 * in other clusters than the query's took 3.8× and the walk's recall@10 fell to 0.86 (ef 64).
 */
export const WALK_SURPRISE = 2;

/**
 * The cost model of filtered searches. `distPerEf` is the distance computations of an unfiltered walk per unit of ef
 * (measured 11–15 on the test sets). It is a constant, not learned as queries run: every executor thread, before and
 * after a restart, must make the same choice for the same query, so that answers are repeatable.
 */
export class WalkModel {
  distPerEf = 13;

  /** Expected distance computations of a walk over n rows with `popcount` allowed (see {@link FILTER_WALK}). */
  filteredWalk(n: number, popcount: number, ef: number): number {
    return Math.max(this.distPerEf * ef, (FILTER_WALK * ef * n) / Math.max(1, popcount));
  }

  /** Whether a filter with `popcount` of n rows of `dim` floats set goes to the exact scan at this ef. */
  preferExact(n: number, popcount: number, ef: number, dim = 0): boolean {
    return popcount <= ef || popcount < exactCostRatio(n, dim) * this.filteredWalk(n, popcount, ef);
  }
}

/** Kernel scratch of one search at a time on one graph: visited marks and candidate heaps, for ef up to `efCap`. */
export interface KernelScratch {
  offset: number;
  size: number;
  efCap: number;
}

/** Allocates kernel search scratch for `h` in its arena (owner thread). */
export function allocKernelScratch(arena: Arena, h: HnswHandle, efCap: number): KernelScratch {
  const k = arena.kernels;
  const s = arena.allocScratch(k.hnswScratchBytes(h.n, efCap, h.M0) >>> 0);
  k.hnswScratchInit(s.offset, h.n, efCap, h.M0);
  return { ...s, efCap };
}

/** A search whose query, bitmap and top-k heap are already in the graph's memory (byte offsets). */
export interface PlacedSearch {
  q: number;
  /** 1/|q| for cosine, else 1. */
  qInv: number;
  /** Allowed rows (bit r of word r >> 5), 0: every row. */
  bits: number;
  /** Top-k heap (scanTopK layout: f32 keys[k], u32 rows[k]), empty. */
  heap: number;
  /** Kernel search scratch for this graph ({@link allocKernelScratch}), used by one search at a time. */
  kernel: number;
  k: number;
  /** Result-set size (at least k is used). */
  ef: number;
  mode: 'auto' | 'graph' | 'exact';
}

/**
 * Runs one search: the graph walk, or an exact scan over the bitmap's rows when the cost model says it is cheaper
 * ('auto') or the walk ran far past the model (a filter correlated against the query). Leaves the heap unsorted.
 */
export function searchPlaced(k: Kernels, h: HnswHandle, p: PlacedSearch, model: WalkModel): { count: number; exact: boolean; distances: number } {
  const ef = Math.max(p.k, p.ef);
  let mode = p.mode;
  if (mode === 'exact' && p.bits === 0) mode = 'graph';
  const auto = mode === 'auto';
  const popcount = p.bits !== 0 && mode !== 'graph' ? k.bitCount(p.bits, h.n) >>> 0 : 0;
  if (auto) mode = p.bits !== 0 && model.preferExact(h.n, popcount, ef, h.dim) ? 'exact' : 'graph';
  let count = 0;
  let distances = 0;
  if (mode === 'graph') {
    count = k.hnswSearch(h.graph, h.table, h.rowsPerBlock, h.invDelta, p.q, p.qInv, ef, p.bits, p.kernel, p.heap, p.k, 0);
    if (count < 0) throw new Error(`hnswSearch failed (${count})`);
    distances = k.hnswDistances(p.kernel) >>> 0;
    if (auto && p.bits !== 0 && distances > WALK_SURPRISE * model.filteredWalk(h.n, popcount, ef)) {
      mode = 'exact';
      count = 0;
    }
  }
  if (mode === 'exact') {
    count = k.scanBitsTopK(h.table, h.rowsPerBlock, h.invDelta, h.dim, h.metric, p.q, p.qInv, p.bits, h.n, p.heap, p.k, 0);
    distances += popcount;
  }
  return { count, exact: mode === 'exact', distances };
}
