/**
 * Searching an arena with the kernel, outside the engine: the exact top-k that gives bench/ann and
 * test/hnsw.test.ts their ground truth (it lives with the bench harness's ground truth, re-exported here), and one
 * thread searching one HNSW graph with its own scratch, which bench/ann times against hnswlib-node and the tests check
 * (also from worker threads). The engine's own path is the query executor's (it places the query with the plan
 * instead).
 */
import {
  KernelMetric,
  WalkModel,
  alignUp,
  instantiateKernels,
  searchPlaced,
  type Arena,
  type HnswHandle,
  type Kernels,
} from '../engine/internal.js';

export { exactTopK } from './harness/ground-truth.js';

/** Where one searcher's scratch lives (plain data, postable with the handle). */
export interface HnswScratch {
  offset: number;
  size: number;
  /** Largest ef / k this scratch serves. */
  efCap: number;
  kCap: number;
  q: number;
  bits: number;
  heap: number;
  kernel: number;
}

function scratchPlan(k: Kernels, h: HnswHandle, efCap: number, kCap: number, offset: number) {
  const q = offset;
  const bits = alignUp(q + h.dim * 4, 16);
  const heap = alignUp(bits + Math.ceil(h.n / 32) * 4, 16);
  const kernel = alignUp(heap + kCap * 8, 64);
  const end = kernel + (k.hnswScratchBytes(h.n, efCap, h.M0) >>> 0);
  return { q, bits, heap, kernel, bytes: end - offset };
}

/** Allocates search scratch in the arena (owner thread) for ef up to `efCap` and k up to `kCap`. */
export function allocHnswScratch(arena: Arena, h: HnswHandle, opts: { efCap?: number; kCap?: number } = {}): HnswScratch {
  const kCap = opts.kCap ?? 1000;
  const efCap = Math.max(opts.efCap ?? Math.max(h.efSearch, 512), kCap);
  const size = scratchPlan(arena.kernels, h, efCap, kCap, 0).bytes;
  const s = arena.allocScratch(size);
  const p = scratchPlan(arena.kernels, h, efCap, kCap, s.offset);
  arena.kernels.hnswScratchInit(p.kernel, h.n, efCap, h.M0);
  return { offset: s.offset, size: s.size, efCap, kCap, q: p.q, bits: p.bits, heap: p.heap, kernel: p.kernel };
}

export interface HnswSearchOptions {
  /** Result-set size (default the handle's efSearch; at least k is used). */
  ef?: number;
  /** Only rows whose bit is set (bit r of word r >> 5) are returned; a Uint32Array (copied) or an offset in memory. */
  bits?: Uint32Array | number;
  /** 'auto' (default): exact scan over the set rows when that is cheaper than the graph; or force one. */
  mode?: 'auto' | 'graph' | 'exact';
}

export interface HnswResult {
  /** Rows, best first. */
  rows: Uint32Array;
  /** Keys (larger is better: dot, cosine, or -squared distance for euclidean), as scanTopK's. */
  keys: Float32Array;
  /** Whether the exact scan over the bitmap answered instead of the graph. */
  exact: boolean;
  /** Distance computations made. */
  distances: number;
}

/** Searches one graph from one thread with one scratch. */
export class HnswSearcher {
  private readonly k: Kernels;
  readonly model = new WalkModel();

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly handle: HnswHandle,
    readonly scratch: HnswScratch,
  ) {
    this.k = instantiateKernels(memory);
  }

  /** See {@link WalkModel.filteredWalk}. */
  filteredWalk(popcount: number, ef = this.handle.efSearch): number {
    return this.model.filteredWalk(this.handle.n, popcount, ef);
  }

  /** See {@link WalkModel.preferExact}. */
  preferExact(popcount: number, ef = this.handle.efSearch): boolean {
    return this.model.preferExact(this.handle.n, popcount, ef, this.handle.dim);
  }

  search(query: ArrayLike<number>, k: number, opts: HnswSearchOptions = {}): HnswResult {
    const h = this.handle;
    const s = this.scratch;
    if (query.length !== h.dim) throw new RangeError(`query has dimension ${query.length}, the index ${h.dim}`);
    if (!Number.isInteger(k) || k < 1 || k > s.kCap) throw new RangeError(`k must be in [1, ${s.kCap}], got ${k}`);
    const ef = Math.max(k, opts.ef ?? h.efSearch);
    if (ef > s.efCap) throw new RangeError(`ef ${ef} is above this scratch's capacity ${s.efCap}`);
    const buf = this.memory.buffer;
    new Float32Array(buf, s.q, h.dim).set(query);
    let qInv = 1;
    if (h.metric === KernelMetric.Cosine) {
      const nrm = this.k.norm(s.q, h.dim);
      qInv = nrm > 0 ? 1 / nrm : 0;
    }
    let bits = 0;
    if (opts.bits !== undefined) {
      if (typeof opts.bits === 'number') bits = opts.bits;
      else {
        const words = Math.ceil(h.n / 32);
        if (opts.bits.length < words) throw new RangeError(`bitmap has ${opts.bits.length} words, ${words} needed`);
        new Uint32Array(buf, s.bits, words).set(opts.bits.subarray(0, words));
        bits = s.bits;
      }
    }
    const r = searchPlaced(this.k, h, { q: s.q, qInv, bits, heap: s.heap, kernel: s.kernel, k, ef, mode: opts.mode ?? 'auto' }, this.model);
    this.k.heapSortDesc(s.heap, k, r.count);
    return {
      rows: new Uint32Array(buf, s.heap + k * 4, r.count).slice(),
      keys: new Float32Array(buf, s.heap, r.count).slice(),
      exact: r.exact,
      distances: r.distances,
    };
  }
}

const ownerSearchers = new WeakMap<HnswHandle, HnswSearcher>();

/**
 * Convenience for the arena's owner thread: searches `h` with a scratch allocated on first use and kept for the
 * handle's lifetime (other threads: {@link allocHnswScratch} on the owner, then {@link HnswSearcher}).
 */
export function searchHnsw(arena: Arena, h: HnswHandle, query: ArrayLike<number>, k: number, ef?: number, bits?: Uint32Array): HnswResult {
  let s = ownerSearchers.get(h);
  if (!s || s.scratch.kCap < k || s.scratch.efCap < Math.max(k, ef ?? h.efSearch)) {
    if (s) arena.releaseScratch(s.scratch);
    const kCap = Math.max(k, s?.scratch.kCap ?? 100);
    const efCap = Math.max(kCap, ef ?? 0, s?.scratch.efCap ?? 0, h.efSearch, 512);
    ownerSearchers.set(h, (s = new HnswSearcher(arena.memory, h, allocHnswScratch(arena, h, { kCap, efCap }))));
  }
  return s.search(query, k, { ef, bits });
}

/** Memory of a graph per indexed vector: graph bytes / n. */
export function bytesPerVector(h: HnswHandle): number {
  return h.n === 0 ? 0 : h.bytes / h.n;
}
