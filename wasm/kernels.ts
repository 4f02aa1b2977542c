/**
 * Typed loader for the SIMD kernels: distances, scans, top-k and HNSW (source: wasm/assembly/kernels.ts and
 * hnsw.ts, built by wasm/build.mjs to dist/wasm/kernels.wasm next to this file's output). Codes and layouts shared
 * with the kernel (metric codes, scan flags, the HNSW graph header) are in wasm/assembly/layout.ts.
 *
 * All pointer arguments are byte offsets into the shared memory the instance was created with. The module has no
 * data segment and keeps no state in memory, so any number of threads may instantiate it on the same memory; one
 * instance per memory per thread serves every export.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

export { KernelMetric, SCAN_SKIP_ZERO } from './assembly/layout.js';

// lib ES2022 + @types/node 20 have no WebAssembly typings (they live in
// lib.dom). This is the subset the project uses, shaped like lib.dom's;
// drop it if the tsconfig ever gains a lib that provides them.
declare global {
  namespace WebAssembly {
    interface MemoryDescriptor {
      initial: number;
      maximum?: number;
      shared?: boolean;
    }
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
    var Memory: {
      prototype: Memory;
      new (descriptor: MemoryDescriptor): Memory;
    };
    interface Module {}
    var Module: {
      prototype: Module;
      new (bytes: ArrayBufferView<ArrayBuffer> | ArrayBuffer): Module;
    };
    interface Instance {
      readonly exports: Record<string, unknown>;
    }
    var Instance: {
      prototype: Instance;
      new (module: Module, importObject?: Record<string, Record<string, unknown>>): Instance;
    };
  }
}

/** The kernel exports, bound to one memory. */
export interface Kernels {
  /** The (shared) memory every pointer refers to. */
  readonly memory: WebAssembly.Memory;

  /** Dot product of two `f32[dim]` vectors at byte offsets `a` and `b`. */
  dot(a: number, b: number, dim: number): number;

  /** Squared euclidean distance of two `f32[dim]` vectors. */
  l2sq(a: number, b: number, dim: number): number;

  /** Euclidean norm `sqrt(dot(a, a))`. */
  norm(a: number, dim: number): number;

  /** Cosine similarity `dot / (|a| |b|)`; 0 if either norm is 0. */
  cosine(a: number, b: number, dim: number): number;

  /**
   * Writes `n` f32 scores to `out` for the contiguous rows `f32[n][dim]` at `vecs`.
   * metric 0 = dot product, 1 = cosine (`dot * qInvNorm * invNorms[i]`, with
   * `invNorms` an `f32[n]`), 2 = squared euclidean distance.
   */
  scoreBlock(
    q: number, vecs: number, n: number, dim: number, metric: number,
    qInvNorm: number, invNorms: number, out: number,
  ): void;

  /**
   * Merge-join dot product of two sparse vectors: `u32` index lists sorted
   * ascending (`aIdx`, `bIdx`) with parallel `f32` values (`aVal`, `bVal`).
   */
  sparseDot(aIdx: number, aVal: number, aN: number, bIdx: number, bVal: number, bN: number): number;

  /**
   * Scans rows `0..n-1` of one block into a bounded top-k heap that persists
   * across calls; returns the new heap count.
   *
   * - Dense score (when `q != 0 && dim > 0`): as in {@link Kernels.scoreBlock},
   *   row i at `vecs + i*dim*4`.
   * - Sparse score (when `qsN > 0` and metric is not 2): `sparseDot` of the
   *   query `(qsIdx, qsVal, qsN)` with row i, stored at absolute offset
   *   `u32 sOff[i]` as `[u32 idx × nnz][f32 val × nnz]`, `nnz = u32 sNnz[i]`.
   *   The score is dense + sparse.
   * - Visibility (when `created != 0`): row i is kept only if
   *   `created[i] <= snap && deleted[i] > snap` (both `u32[n]`).
   * - Filter (when `bits != 0`): row i is kept only if bit i of the `u32`
   *   bitmap is set (word `i >> 5`, bit `i & 31`).
   * - `flags & 1` ({@link SCAN_SKIP_ZERO}): rows scoring exactly 0 are skipped.
   *   NaN scores are always skipped.
   *
   * Heap at `heap`: `f32 keys[k]` then `u32 rows[k]`; key = score (metrics 0/1)
   * or -score (metric 2), so larger is better. Min-heap: the root is the worst
   * kept entry. Rows are recorded as `rowBase + i`; on equal keys the smaller
   * row wins.
   */
  scanTopK(
    q: number, qInvNorm: number, vecs: number, invNorms: number, n: number, dim: number, metric: number,
    qsIdx: number, qsVal: number, qsN: number, sOff: number, sNnz: number,
    created: number, deleted: number, snap: number, bits: number,
    heap: number, k: number, count: number, rowBase: number, flags: number,
  ): number;

  /**
   * Sorts the first `count` heap entries (layout as in {@link Kernels.scanTopK})
   * in place, best first: larger key first, equal keys by smaller row.
   */
  heapSortDesc(heap: number, k: number, count: number): void;

  // ---- HNSW (wasm/assembly/hnsw.ts) ----
  // Graph header and build control block: wasm/assembly/layout.ts; scratch layout: hnsw.ts. Vectors are addressed
  // by row through a block table: `table` is a `u32[]` of each block's vector-array offset (`block + layout.vecs`),
  // `rowsPerBlock` rows per block, and the inverse norm of a row sits `invDelta` bytes (`layout.invNorms -
  // layout.vecs`) past its block's vectors. Keys are "larger is better" exactly as in scanTopK, so results merge
  // with scan heaps. Negative returns are errors: -1 the scratch is too small (nodes, ef or M0), -2 not a graph, or
  // an insertion out of order.

  /** Scratch bytes for graphs of up to `n` nodes, ef up to `efCap`, M0 up to `m0Cap`. */
  hnswScratchBytes(n: number, efCap: number, m0Cap: number): number;

  /** Initialises scratch at `s` (header, cleared visited marks). One scratch per concurrent caller. */
  hnswScratchInit(s: number, n: number, efCap: number, m0Cap: number): void;

  /** Distance computations made by the last `hnswInsert`/`hnswSearch` on scratch `s`. */
  hnswDistances(s: number): number;

  /** Inserts rows `[from, to)` (`from` = the graph's count); returns the new count or a negative error. */
  hnswInsert(
    g: number, table: number, rowsPerBlock: number, invDelta: number,
    from: number, to: number, efConstruction: number, s: number,
  ): number;

  /**
   * Searches with a result set of `max(ef, k)` and offers the results to the top-k heap at `heap` (scanTopK layout,
   * `count` entries already there); `bits` (0 = none) restricts results to rows whose bit is set while traversal walks
   * every node. Returns the new heap count or a negative error.
   */
  hnswSearch(
    g: number, table: number, rowsPerBlock: number, invDelta: number,
    q: number, qInvNorm: number, ef: number, bits: number, s: number,
    heap: number, k: number, count: number,
  ): number;

  /** Exact top-k over rows `[0, n)` whose bit is set (set bits only); heap as in `hnswSearch`. */
  scanBitsTopK(
    table: number, rowsPerBlock: number, invDelta: number, dim: number, metric: number,
    q: number, qInvNorm: number, bits: number, n: number,
    heap: number, k: number, count: number,
  ): number;

  /** Set bits among the first `n` bits of the bitmap at `bits`. */
  bitCount(bits: number, n: number): number;

  /** Bytes of the control block of a concurrent build of `n` nodes. */
  hnswBuildControlBytes(n: number): number;

  /**
   * One of several threads building a graph at once (each with its own scratch, all with the same control block
   * `ctl`, layout.ts BuildControl: next = first row to insert, end, the rest zeroed). Inserts rows taken
   * from `next` until `end`; returns how many this thread inserted or a negative error. The graph needs a node first.
   */
  hnswInsertConcurrent(
    g: number, table: number, rowsPerBlock: number, invDelta: number,
    efConstruction: number, s: number, ctl: number,
  ): number;
}

const WASM_URL = new URL('./kernels.wasm', import.meta.url);

// Compiling is the expensive part; instances are cheap and per memory.
let compiled: WebAssembly.Module | undefined;

function kernelModule(): WebAssembly.Module {
  if (compiled === undefined) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(WASM_URL));
    } catch (err) {
      throw new Error(`cannot read ${WASM_URL.pathname}; run \`npm run build:wasm\``, { cause: err });
    }
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/**
 * Instantiates the kernels on `memory` (which must be shared, as created by {@link createArenaMemory}): every
 * export, one instance. The compiled module is cached per thread; callers keep one instance per memory.
 */
export function instantiateKernels(memory: WebAssembly.Memory): Kernels {
  const instance = new WebAssembly.Instance(kernelModule(), {
    env: {
      memory,
      // Not imported by the current build (--noAssert), kept for safety.
      abort: () => {
        throw new Error('wasm abort');
      },
    },
  });
  return { memory, ...(instance.exports as unknown as Omit<Kernels, 'memory'>) };
}

/**
 * Creates a shared memory suitable for {@link instantiateKernels}.
 * Pages are 64 KiB; the default maximum (65536 pages) is the full 4 GiB
 * wasm32 address space.
 */
export function createArenaMemory(initialPages: number, maximumPages = 65536): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages, shared: true });
}

