/**
 * HNSW index over the rows of an arena: the JS side of wasm/assembly/hnsw.ts. Build and search run inside the WASM
 * kernel over the arena's shared memory; this file only lays out memory, draws node levels and picks between the
 * graph and an exact scan for filtered queries.
 *
 * Memory (all in the arena: the graph and its table from {@link Arena.reserve}, for the arena's lifetime; scratch
 * from {@link Arena.allocScratch}):
 *
 *   graph (offset `graph`, `bytes` long; every offset inside is relative to `graph`, so it can be copied as is)
 *     u32 header[16]  magic 'HNSW', version 1, n, count, M, M0, maxLevel (i32), entry, dim, metric,
 *                     links0, levels, upperOff, bytes, efConstruction, seed
 *     links0          n × (1 + M0) u32: neighbor count, then neighbor rows, layer 0 (M0 = 2M)
 *     levels          u8[n] (padded to 4)
 *     upperOff        u32[n]: offset of the node's upper-layer lists, 0 for level-0 nodes
 *     upper           for each node of level L > 0: L × (1 + M) u32 lists, layer 1 first
 *   block table (offset `table`, right after the graph): u32 per block covering rows [0, n), the offset of the
 *     block's vector array (block + layout.vecs). It belongs to this arena, not to the graph.
 *
 *   search scratch (one per thread searching at once, {@link allocHnswScratch}): the query f32[dim], the bitmap
 *   u32[ceil(n/32)], the top-k heap (f32 keys[kCap], u32 rows[kCap]), then the kernel's scratch (visited u16[n],
 *   candidate heap 8n bytes, result heap 8·efCap bytes, prune buffer).
 *
 *   parallel build (freed when the build ends): a control block (64 bytes + one u32 spin lock per node) and one
 *   kernel scratch per build thread.
 *
 * Threads: the arena's owner thread allocates and lays out the graph; {@link buildHnsw} fills it there,
 * {@link buildHnswParallel} in worker threads on the same memory (the owner thread stays free). A built graph is
 * read-only; any thread holding the arena's memory, the handle and its own scratch can search it while others do.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Arena } from './arena.js';
import { prng } from '../../engine/core/prng.js';
import type { IndexConfig } from '../../engine/core/index-config.js';
import type { HnswOptions } from '../../engine/core/types.js';
import {
  KernelMetric,
  instantiateHnswKernels,
  instantiateKernels,
  type HnswKernels,
  type Kernels,
} from '../../wasm/kernels.js';

export type HnswMetric = 'cosine' | 'dotproduct' | 'euclidean';

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
  seed: 0x5eed,
} as const;

/**
 * Slabs with fewer rows stay exact. Measured (one thread, k 10, clustered data, graph at ef 80 vs an exact scan):
 * 128-d 1k rows 25 vs 20 µs, 2k 25 vs 48, 4k 33 vs 78; 768-d 1k 72 vs 97, 2k 84 vs 190, 4k 172 vs 377. The graph wins
 * from ~1.5k rows; below 4096 the gain per query is a few tens of µs, not worth a build (0.1–1 s) per slab.
 */
export const HNSW_MIN_ROWS = 4096;

/** The HNSW settings of an index: its own, defaults for the rest. */
export function hnswSettings(cfg: Pick<IndexConfig, 'hnsw'>): Required<HnswOptions> {
  return {
    M: cfg.hnsw?.M ?? HNSW_DEFAULTS.M,
    efConstruction: cfg.hnsw?.efConstruction ?? HNSW_DEFAULTS.efConstruction,
    efSearch: cfg.hnsw?.efSearch ?? HNSW_DEFAULTS.efSearch,
  };
}

const MAGIC = 0x57534e48; // 'HNSW'
const HEADER_BYTES = 64;
const MAX_LEVEL = 30;
const BUILD_CHUNK = 2048;

export interface HnswBuildOptions {
  /** Links per node on upper layers (layer 0 keeps 2M). Default 16. */
  M?: number;
  /** Result-set size while inserting. Default 200. */
  efConstruction?: number;
  /** Default result-set size of searches (at least k is used). Default 80. */
  efSearch?: number;
  /** Seed of the level draw. */
  seed?: number;
  /** Called after each chunk of insertions. */
  onProgress?: (done: number, n: number) => void;
  /**
   * A built graph (in `memory`, maybe another arena's) over the same vectors as this arena's first `handle.n` rows,
   * in the same order: it is copied and only the rows after it are inserted (a merge extends its largest input's
   * graph instead of building from nothing). Its M must be this build's M.
   */
  prefix?: { memory: WebAssembly.Memory; handle: HnswHandle };
}

/** A built graph: plain data, postable to any thread that has the arena's memory. */
export interface HnswHandle {
  /** Byte offset of the graph header in the arena memory. */
  graph: number;
  /** Graph bytes (header, links, levels, upper layers). */
  bytes: number;
  /** Byte offset of the u32 block table (vector-array offset per block). */
  table: number;
  rowsPerBlock: number;
  /** layout.invNorms - layout.vecs: where a block's inverse norms are relative to its vectors. */
  invDelta: number;
  n: number;
  dim: number;
  /** Kernel metric code (KernelMetric). */
  metric: number;
  M: number;
  M0: number;
  efConstruction: number;
  efSearch: number;
  seed: number;
  maxLevel: number;
  entry: number;
  /** Wall time of the build. */
  buildMs: number;
  /** Distance computations the build made. */
  buildDistances: number;
}

function metricCode(m: HnswMetric | number): number {
  if (typeof m === 'number') {
    if (m !== KernelMetric.dot && m !== KernelMetric.cosine && m !== KernelMetric.euclidean) throw new RangeError(`bad metric code ${m}`);
    return m;
  }
  return m === 'cosine' ? KernelMetric.cosine : m === 'euclidean' ? KernelMetric.euclidean : KernelMetric.dot;
}

const align = (x: number, a: number) => Math.ceil(x / a) * a;

/** The kernels per memory, per thread (instances are cheap, but not free). */
const kernelCache = new WeakMap<WebAssembly.Memory, { k: Kernels; h: HnswKernels }>();
function kernelsFor(memory: WebAssembly.Memory): { k: Kernels; h: HnswKernels } {
  let e = kernelCache.get(memory);
  if (!e) kernelCache.set(memory, (e = { k: instantiateKernels(memory), h: instantiateHnswKernels(memory) }));
  return e;
}

/** A graph laid out and levelled, not yet filled: what both builds start from. */
function prepareGraph(arena: Arena, metric: HnswMetric | number, opts: HnswBuildOptions, n: number): HnswHandle {
  const M = opts.M ?? HNSW_DEFAULTS.M;
  const efConstruction = Math.max(M, opts.efConstruction ?? HNSW_DEFAULTS.efConstruction);
  const efSearch = opts.efSearch ?? HNSW_DEFAULTS.efSearch;
  const seed = opts.seed ?? HNSW_DEFAULTS.seed;
  if (!Number.isInteger(M) || M < 2 || M > 1024) throw new RangeError(`M must be an integer in [2, 1024], got ${M}`);
  if (!Number.isInteger(efConstruction) || efConstruction > 65536) throw new RangeError(`bad efConstruction ${efConstruction}`);
  if (!Number.isInteger(efSearch) || efSearch < 1) throw new RangeError(`bad efSearch ${efSearch}`);
  if (!Number.isInteger(n) || n < 0 || n > arena.rows) throw new RangeError(`n must be in [0, ${arena.rows}], got ${n}`);
  if (arena.dim <= 0) throw new RangeError('HNSW needs dense vectors (dim > 0)');
  const M0 = 2 * M;
  const code = metricCode(metric);
  const pre = opts.prefix;
  const n0 = pre?.handle.n ?? 0;
  if (pre && (pre.handle.M !== M || pre.handle.dim !== arena.dim || pre.handle.metric !== code || n0 > n)) {
    throw new RangeError(`prefix graph (M ${pre.handle.M}, dim ${pre.handle.dim}, ${n0} rows) does not fit this build (M ${M}, dim ${arena.dim}, ${n} rows)`);
  }
  const preLevels = pre && new Uint8Array(pre.memory.buffer, pre.handle.graph + levelsOffset(pre.handle), n0);
  const dim = arena.dim;
  const L = arena.layout;
  const B = L.rows;

  // Levels: floor(-ln(U) · mL), mL = 1/ln(M).
  const rand = prng(seed);
  const mL = 1 / Math.log(M);
  const levels = new Uint8Array(n);
  const upperOff = new Uint32Array(n);
  const links0 = HEADER_BYTES;
  const levelsAt = links0 + n * (1 + M0) * 4;
  const upperOffAt = align(levelsAt + n, 4);
  let top = upperOffAt + n * 4;
  for (let i = 0; i < n; i++) {
    // Drawn for every row, so rows after a prefix get the levels a build from nothing would give them.
    const drawn = Math.min(MAX_LEVEL, Math.floor(-Math.log(1 - rand()) * mL));
    const lv = i < n0 ? preLevels![i]! : drawn;
    levels[i] = lv;
    if (lv > 0) {
      upperOff[i] = top;
      top += lv * (1 + M) * 4;
    }
  }
  const bytes = align(top, 64);
  const g = reserveGraph(arena, bytes, n);
  const table = g + bytes;
  const buf = arena.memory.buffer;
  new Uint32Array(buf, g, 16).set([MAGIC, 1, n, 0, M, M0, 0xffffffff, 0, dim, code, links0, levelsAt, upperOffAt, bytes, efConstruction, seed >>> 0]);
  new Uint8Array(buf, g + levelsAt, n).set(levels);
  new Uint32Array(buf, g + upperOffAt, n).set(upperOff);
  if (pre && n0 > 0) {
    // Same rows, same order: layer-0 lists copy as one run (links0 starts at the same offset); upper lists move.
    const pg = pre.handle.graph;
    const src = pre.memory.buffer;
    new Uint8Array(buf, g + links0, n0 * (1 + M0) * 4).set(new Uint8Array(src, pg + links0, n0 * (1 + M0) * 4));
    const preUpper = new Uint32Array(src, pg + new Uint32Array(src, pg, 16)[12]!, n0);
    for (let i = 0; i < n0; i++) {
      const len = levels[i]! * (1 + M);
      if (len > 0) new Uint32Array(buf, g + upperOff[i]!, len).set(new Uint32Array(src, pg + preUpper[i]!, len));
    }
    const hdr = new Uint32Array(buf, g, 16);
    hdr[3] = n0; // count
    hdr[6] = pre.handle.maxLevel >>> 0;
    hdr[7] = pre.handle.entry;
  }
  return {
    graph: g,
    bytes,
    table,
    rowsPerBlock: B,
    invDelta: L.invNorms - L.vecs,
    n,
    dim,
    metric: code,
    M,
    M0,
    efConstruction,
    efSearch,
    seed,
    maxLevel: -1,
    entry: 0,
    buildMs: 0,
    buildDistances: 0,
  };
}

/** Inserts rows [count, to) on this thread; returns the distance computations. */
function insertRange(arena: Arena, h: HnswHandle, to: number, onProgress?: (done: number, n: number) => void): number {
  const { h: hk } = kernelsFor(arena.memory);
  const scratch = arena.allocScratch(hk.hnswScratchBytes(h.n, h.efConstruction, h.M0) >>> 0);
  let distances = 0;
  try {
    hk.hnswScratchInit(scratch.offset, h.n, h.efConstruction, h.M0);
    for (let from = graphCount(arena.memory, h); from < to; from += BUILD_CHUNK) {
      const end = Math.min(to, from + BUILD_CHUNK);
      const r = hk.hnswInsert(h.graph, h.table, h.rowsPerBlock, h.invDelta, from, end, h.efConstruction, scratch.offset);
      if (r !== end) throw new Error(`hnswInsert failed (${r}) at rows ${from}..${end}`);
      distances += hk.hnswDistances(scratch.offset) >>> 0;
      onProgress?.(end, h.n);
    }
  } finally {
    arena.releaseScratch(scratch);
  }
  return distances;
}

/**
 * Reserves a graph of `bytes` over rows [0, n) of `arena` and the block table right after it (the vector array of
 * each block, which is how the kernel reaches row r); returns the graph's offset.
 */
function reserveGraph(arena: Arena, bytes: number, n: number): number {
  const nBlocks = Math.ceil(n / arena.layout.rows);
  const g = arena.reserve(bytes + nBlocks * 4);
  const t = new Uint32Array(arena.memory.buffer, g + bytes, nBlocks);
  for (let b = 0; b < nBlocks; b++) t[b] = arena.blocks[b]! + arena.layout.vecs;
  return g;
}

function levelsOffset(h: HnswHandle): number {
  return HEADER_BYTES + h.n * (1 + h.M0) * 4;
}

function graphCount(memory: WebAssembly.Memory, h: HnswHandle): number {
  return new Uint32Array(memory.buffer, h.graph, 16)[3]!;
}

function finish(arena: Arena, h: HnswHandle, t0: number, distances: number): HnswHandle {
  const hdr = new Int32Array(arena.memory.buffer, h.graph, 16);
  return { ...h, maxLevel: hdr[6]!, entry: hdr[7]! >>> 0, buildMs: performance.now() - t0, buildDistances: distances };
}

/**
 * Builds an HNSW graph over rows [0, n) of `arena` (all of them by default) on this thread. Dead rows are indexed like
 * live ones: visibility is the searcher's filter's business. Runs on the arena's owner thread (it allocates in the
 * arena). The graph is a function of the data, the options and the seed.
 */
export function buildHnsw(arena: Arena, metric: HnswMetric | number, opts: HnswBuildOptions = {}, n = arena.rows): HnswHandle {
  const t0 = performance.now();
  const h = prepareGraph(arena, metric, opts, n);
  return finish(arena, h, t0, insertRange(arena, h, n, opts.onProgress));
}

/** Rows inserted on the calling thread before the others join (they need a graph to search). */
const PARALLEL_PREFIX = 256;
/** Below this many rows a parallel build is not worth its threads. */
const PARALLEL_MIN_ROWS = 5000;

/**
 * Builds like {@link buildHnsw}, with `threads` worker threads (default: every core) inserting at once; the calling
 * thread only allocates, inserts the first rows and waits. The kernel locks one node's lists at a time
 * (hnswInsertConcurrent), so the graph depends on thread timing: same quality, not the same graph twice.
 */
export async function buildHnswParallel(
  arena: Arena,
  metric: HnswMetric | number,
  opts: HnswBuildOptions & { threads?: number } = {},
  n = arena.rows,
): Promise<HnswHandle> {
  const threads = Math.max(1, Math.min(64, opts.threads ?? availableParallelism()));
  if (threads === 1 || n < PARALLEL_MIN_ROWS) return buildHnsw(arena, metric, opts, n);
  const t0 = performance.now();
  const h = prepareGraph(arena, metric, opts, n);
  let distances = insertRange(arena, h, Math.max(PARALLEL_PREFIX, graphCount(arena.memory, h)));
  const start = graphCount(arena.memory, h);
  const { h: hk } = kernelsFor(arena.memory);
  const ctl = arena.allocScratch(hk.hnswBuildControlBytes(n) >>> 0);
  const scratchBytes = hk.hnswScratchBytes(n, h.efConstruction, h.M0) >>> 0;
  const scratches = Array.from({ length: threads }, () => arena.allocScratch(scratchBytes));
  const workers: Worker[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    const c = new Uint32Array(arena.memory.buffer, ctl.offset, 4);
    c[0] = start; // next
    c[1] = n; // end
    for (const s of scratches) hk.hnswScratchInit(s.offset, n, h.efConstruction, h.M0);
    const module = import.meta.url;
    const runs = scratches.map((s) => {
      const data: HnswBuildThreadData = { module, memory: arena.memory, handle: h, scratch: s.offset, ctl: ctl.offset };
      const w = new Worker(BUILD_WORKER, { eval: true, workerData: data, name: 'larch-hnsw-build' });
      workers.push(w);
      return new Promise<number>((resolve, reject) => {
        w.once('message', (m: { distances: number }) => resolve(m.distances));
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`HNSW build thread exited (${code})`)));
      });
    });
    if (opts.onProgress) {
      const done = new Int32Array(arena.memory.buffer, ctl.offset, 4);
      timer = setInterval(() => opts.onProgress!(start + Atomics.load(done, 2), n), 250);
    }
    for (const d of await Promise.all(runs)) distances += d;
    new Uint32Array(arena.memory.buffer, h.graph, 16)[3] = n; // count
    opts.onProgress?.(n, n);
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all(workers.map((w) => w.terminate()));
    for (const s of scratches) arena.releaseScratch(s);
    arena.releaseScratch(ctl);
  }
  return finish(arena, h, t0, distances);
}

/** What a build thread gets (workerData). */
export interface HnswBuildThreadData {
  module: string;
  memory: WebAssembly.Memory;
  handle: HnswHandle;
  scratch: number;
  ctl: number;
}

const BUILD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then((m) => parentPort.postMessage({ distances: m.hnswBuildThread(workerData) }));
`;

/** The body of one build thread (exported for the worker; not an API). Returns its distance computations. */
export function hnswBuildThread(d: HnswBuildThreadData): number {
  const { h: hk } = kernelsFor(d.memory);
  const h = d.handle;
  const r = hk.hnswInsertConcurrent(h.graph, h.table, h.rowsPerBlock, h.invDelta, h.efConstruction, d.scratch, d.ctl);
  if (r < 0) throw new Error(`hnswInsertConcurrent failed (${r})`);
  return hk.hnswDistances(d.scratch) >>> 0;
}

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

function scratchPlan(hk: HnswKernels, h: HnswHandle, efCap: number, kCap: number, offset: number) {
  const q = offset;
  const bits = align(q + h.dim * 4, 16);
  const heap = align(bits + Math.ceil(h.n / 32) * 4, 16);
  const kernel = align(heap + kCap * 8, 64);
  const end = kernel + (hk.hnswScratchBytes(h.n, efCap, h.M0) >>> 0);
  return { q, bits, heap, kernel, bytes: end - offset };
}

/** Allocates search scratch in the arena (owner thread) for ef up to `efCap` and k up to `kCap`. */
export function allocHnswScratch(arena: Arena, h: HnswHandle, opts: { efCap?: number; kCap?: number } = {}): HnswScratch {
  const kCap = opts.kCap ?? 1000;
  const efCap = Math.max(opts.efCap ?? Math.max(h.efSearch, 512), kCap);
  const { h: hk } = kernelsFor(arena.memory);
  const size = scratchPlan(hk, h, efCap, kCap, 0).bytes;
  const s = arena.allocScratch(size);
  const p = scratchPlan(hk, h, efCap, kCap, s.offset);
  hk.hnswScratchInit(p.kernel, h.n, efCap, h.M0);
  return { offset: s.offset, size: s.size, efCap, kCap, q: p.q, bits: p.bits, heap: p.heap, kernel: p.kernel };
}

/** Kernel scratch of one search at a time on one graph: visited marks and candidate heaps, for ef up to `efCap`. */
export interface KernelScratch {
  offset: number;
  size: number;
  efCap: number;
}

/** Allocates kernel search scratch for `h` in its arena (owner thread). */
export function allocKernelScratch(arena: Arena, h: HnswHandle, efCap: number): KernelScratch {
  const { h: hk } = kernelsFor(arena.memory);
  const s = arena.allocScratch(hk.hnswScratchBytes(h.n, efCap, h.M0) >>> 0);
  hk.hnswScratchInit(s.offset, h.n, efCap, h.M0);
  return { ...s, efCap };
}

/** The graph's bytes in the arena memory (a view): what a slab file stores. */
export function graphBytes(memory: WebAssembly.Memory, h: HnswHandle): Uint8Array {
  return new Uint8Array(memory.buffer, h.graph, h.bytes);
}

/**
 * Puts a graph read from a slab file into `arena` (whose rows it indexes) and lays out the block table; throws a
 * plain Error naming what does not fit (the caller turns it into DATA_LOSS). `efSearch` is the index's setting.
 */
export function restoreHnsw(arena: Arena, bytes: Uint8Array, efSearch: number = HNSW_DEFAULTS.efSearch): HnswHandle {
  if (bytes.length < HEADER_BYTES) throw new Error(`graph section is ${bytes.length} bytes, shorter than its header`);
  const hdr = new Uint32Array(bytes.slice(0, HEADER_BYTES).buffer);
  const [magic, version, n, count, M, M0, maxLevel, entry, dim, metric, , , , size, efConstruction, seed] = hdr;
  if (magic !== MAGIC || version !== 1) throw new Error('graph section has a bad magic number or version');
  if (n !== arena.rows || count !== n) throw new Error(`graph indexes ${count}/${n} rows, the slab has ${arena.rows}`);
  if (dim !== arena.dim || size !== bytes.length) throw new Error(`graph header says dimension ${dim} and ${size} bytes, found ${arena.dim} and ${bytes.length}`);
  metricCode(metric!);
  const g = reserveGraph(arena, bytes.length, n!);
  new Uint8Array(arena.memory.buffer, g, bytes.length).set(bytes);
  return {
    graph: g,
    bytes: bytes.length,
    table: g + bytes.length,
    rowsPerBlock: arena.layout.rows,
    invDelta: arena.layout.invNorms - arena.layout.vecs,
    n: n!,
    dim: dim!,
    metric: metric!,
    M: M!,
    M0: M0!,
    efConstruction: efConstruction!,
    efSearch,
    seed: seed!,
    maxLevel: maxLevel! | 0,
    entry: entry!,
    buildMs: 0,
    buildDistances: 0,
  };
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

/**
 * Cost model of a filtered search with `p` of n rows allowed. The graph walk makes about max(V, FILTER_WALK · ef · n/p)
 * distance computations (V: an unfiltered search's; it must see ~ef/selectivity nodes to collect ef allowed ones),
 * the exact scan p of them; a scan's distance (sequential rows) costs about EXACT_COST_RATIO times less than a
 * graph's (random rows, heaps). Measured on 20k × 128 clustered vectors: walk ≈ 3·ef/selectivity, graph ≈ 110-200 ns
 * per distance against 26-30 ns for the scan, crossover near 30% selectivity; the model switches at ~22% there, and
 * near 3% at a million rows.
 */
export const FILTER_WALK = 3;
export const EXACT_COST_RATIO = 5;
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

  /** Whether a filter with `popcount` of n rows set goes to the exact scan at this ef (see {@link EXACT_COST_RATIO}). */
  preferExact(n: number, popcount: number, ef: number): boolean {
    return popcount <= ef || popcount < EXACT_COST_RATIO * this.filteredWalk(n, popcount, ef);
  }
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
export function searchPlaced(hk: HnswKernels, h: HnswHandle, p: PlacedSearch, model: WalkModel): { count: number; exact: boolean; distances: number } {
  const ef = Math.max(p.k, p.ef);
  let mode = p.mode;
  if (mode === 'exact' && p.bits === 0) mode = 'graph';
  const auto = mode === 'auto';
  const popcount = p.bits !== 0 && mode !== 'graph' ? hk.bitCount(p.bits, h.n) >>> 0 : 0;
  if (auto) mode = p.bits !== 0 && model.preferExact(h.n, popcount, ef) ? 'exact' : 'graph';
  let count = 0;
  let distances = 0;
  if (mode === 'graph') {
    count = hk.hnswSearch(h.graph, h.table, h.rowsPerBlock, h.invDelta, p.q, p.qInv, ef, p.bits, p.kernel, p.heap, p.k, 0);
    if (count < 0) throw new Error(`hnswSearch failed (${count})`);
    distances = hk.hnswDistances(p.kernel) >>> 0;
    if (auto && p.bits !== 0 && distances > WALK_SURPRISE * model.filteredWalk(h.n, popcount, ef)) {
      mode = 'exact';
      count = 0;
    }
  }
  if (mode === 'exact') {
    count = hk.scanBitsTopK(h.table, h.rowsPerBlock, h.invDelta, h.dim, h.metric, p.q, p.qInv, p.bits, h.n, p.heap, p.k, 0);
    distances += popcount;
  }
  return { count, exact: mode === 'exact', distances };
}

/** Searches one graph from one thread with one scratch. */
export class HnswSearcher {
  private readonly k: Kernels;
  private readonly hk: HnswKernels;
  readonly model = new WalkModel();

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly handle: HnswHandle,
    readonly scratch: HnswScratch,
  ) {
    const e = kernelsFor(memory);
    this.k = e.k;
    this.hk = e.h;
  }

  /** See {@link WalkModel.filteredWalk}. */
  filteredWalk(popcount: number, ef = this.handle.efSearch): number {
    return this.model.filteredWalk(this.handle.n, popcount, ef);
  }

  /** See {@link WalkModel.preferExact}. */
  preferExact(popcount: number, ef = this.handle.efSearch): boolean {
    return this.model.preferExact(this.handle.n, popcount, ef);
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
    if (h.metric === KernelMetric.cosine) {
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
    const r = searchPlaced(this.hk, h, { q: s.q, qInv, bits, heap: s.heap, kernel: s.kernel, k, ef, mode: opts.mode ?? 'auto' }, this.model);
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
export function searchHnsw(
  arena: Arena,
  h: HnswHandle,
  query: ArrayLike<number>,
  k: number,
  ef?: number,
  bits?: Uint32Array,
): HnswResult {
  let s = ownerSearchers.get(h);
  if (!s || s.scratch.kCap < k || s.scratch.efCap < Math.max(k, ef ?? h.efSearch)) {
    if (s) arena.releaseScratch(s.scratch);
    const kCap = Math.max(k, s?.scratch.kCap ?? 100);
    const efCap = Math.max(kCap, ef ?? 0, s?.scratch.efCap ?? 0, h.efSearch, 512);
    ownerSearchers.set(h, (s = new HnswSearcher(arena.memory, h, allocHnswScratch(arena, h, { kCap, efCap }))));
  }
  return s.search(query, k, { ef, bits });
}

/** Memory of a graph per indexed vector: graph bytes / n (the region's power-of-two rounding not counted). */
export function bytesPerVector(h: HnswHandle): number {
  return h.n === 0 ? 0 : h.bytes / h.n;
}
