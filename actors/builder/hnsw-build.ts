/**
 * Building an HNSW graph over an arena's rows (the builder thread owns the arena): lay the graph out and draw node
 * levels here, then insert in the WASM kernel, on this thread ({@link buildHnsw}) or on build threads sharing the
 * arena's memory ({@link buildHnswParallel}; each runs hnsw-build-thread.ts). Memory layout: shared/hnsw-layout.ts.
 *
 * A parallel build allocates, and frees when it ends, a control block (wasm/assembly/layout.ts BuildControl: 64
 * bytes + one u32 spin lock per node) and one kernel scratch per build thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Arena } from '../shared/arena.js';
import { alignUp } from '../shared/align.js';
import {
  graphCount,
  handleOf,
  isKernelMetric,
  readGraphHeader,
  reserveGraph,
  setGraphCount,
  writeGraphHeader,
  type HnswHandle,
} from '../shared/hnsw-layout.js';
import { prng } from '../../engine/core/prng.js';
import { HNSW_DEFAULTS, HNSW_RANGES, METRIC_CODE } from '../../engine/core/index-config.js';
import type { Metric } from '../../engine/core/types.js';
import { BuildControl, GraphHeader, type KernelMetric } from '../../wasm/assembly/layout.js';
import type { HnswBuildThreadData } from './hnsw-build-thread.js';

const MAX_LEVEL = 30;
const BUILD_CHUNK = 2048;
/** Rows inserted on the calling thread before the others join (they need a graph to search). */
const PARALLEL_PREFIX = 256;
/** Below this many rows a parallel build is not worth its threads. */
const PARALLEL_MIN_ROWS = 5000;

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

function metricCode(metric: Metric | KernelMetric): KernelMetric {
  if (typeof metric === 'string') return METRIC_CODE[metric];
  if (!isKernelMetric(metric)) throw new RangeError(`bad metric code ${metric as number}`);
  return metric;
}

function checkRange(name: keyof typeof HNSW_RANGES, v: number): void {
  const [lo, hi] = HNSW_RANGES[name];
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
}

/** A graph laid out and levelled, not yet filled: what both builds start from. */
function prepareGraph(arena: Arena, metric: Metric | KernelMetric, opts: HnswBuildOptions, n: number): HnswHandle {
  const M = opts.M ?? HNSW_DEFAULTS.M;
  checkRange('M', M);
  const efConstructionGiven = opts.efConstruction ?? HNSW_DEFAULTS.efConstruction;
  checkRange('efConstruction', efConstructionGiven);
  const efConstruction = Math.max(M, efConstructionGiven);
  const efSearch = opts.efSearch ?? HNSW_DEFAULTS.efSearch;
  const seed = opts.seed ?? HNSW_DEFAULTS.seed;
  checkRange('efSearch', efSearch);
  if (!Number.isInteger(n) || n < 0 || n > arena.rows) throw new RangeError(`n must be in [0, ${arena.rows}], got ${n}`);
  if (arena.dim <= 0) throw new RangeError('HNSW needs dense vectors (dim > 0)');
  const M0 = 2 * M;
  const code = metricCode(metric);
  const pre = opts.prefix;
  const n0 = pre?.handle.n ?? 0;
  if (pre && (pre.handle.M !== M || pre.handle.dim !== arena.dim || pre.handle.metric !== code || n0 > n)) {
    throw new RangeError(`prefix graph (M ${pre.handle.M}, dim ${pre.handle.dim}, ${n0} rows) does not fit this build (M ${M}, dim ${arena.dim}, ${n} rows)`);
  }
  const preHeader = pre && readGraphHeader(pre.memory.buffer, pre.handle.graph)!;
  const preLevels = pre && new Uint8Array(pre.memory.buffer, pre.handle.graph + preHeader!.levels, n0);

  // Levels: floor(-ln(U) · mL), mL = 1/ln(M).
  const rand = prng(seed);
  const mL = 1 / Math.log(M);
  const levels = new Uint8Array(n);
  const upperOff = new Uint32Array(n);
  const links0 = GraphHeader.Size;
  const levelsAt = links0 + n * (1 + M0) * 4;
  const upperOffAt = alignUp(levelsAt + n, 4);
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
  const bytes = alignUp(top, 64);
  const g = reserveGraph(arena, bytes, n);
  const buf = arena.memory.buffer;
  const header = {
    n,
    count: 0,
    M,
    M0,
    maxLevel: -1,
    entry: 0,
    dim: arena.dim,
    metric: code,
    links0,
    levels: levelsAt,
    upperOff: upperOffAt,
    bytes,
    efConstruction,
    seed: seed >>> 0,
  };
  new Uint8Array(buf, g + levelsAt, n).set(levels);
  new Uint32Array(buf, g + upperOffAt, n).set(upperOff);
  if (pre && n0 > 0) {
    // Same rows, same order: layer-0 lists copy as one run (links0 starts at the same offset); upper lists move.
    const pg = pre.handle.graph;
    const src = pre.memory.buffer;
    new Uint8Array(buf, g + links0, n0 * (1 + M0) * 4).set(new Uint8Array(src, pg + links0, n0 * (1 + M0) * 4));
    const preUpper = new Uint32Array(src, pg + preHeader!.upperOff, n0);
    for (let i = 0; i < n0; i++) {
      const len = levels[i]! * (1 + M);
      if (len > 0) new Uint32Array(buf, g + upperOff[i]!, len).set(new Uint32Array(src, pg + preUpper[i]!, len));
    }
    Object.assign(header, { count: n0, maxLevel: pre.handle.maxLevel, entry: pre.handle.entry });
  }
  writeGraphHeader(buf, g, header);
  return handleOf(arena, g, header, efSearch);
}

/** Inserts rows [count, to) on this thread; returns the distance computations. */
function insertRange(arena: Arena, h: HnswHandle, to: number, onProgress?: (done: number, n: number) => void): number {
  const k = arena.kernels;
  const scratch = arena.allocScratch(k.hnswScratchBytes(h.n, h.efConstruction, h.M0) >>> 0);
  let distances = 0;
  try {
    k.hnswScratchInit(scratch.offset, h.n, h.efConstruction, h.M0);
    for (let from = graphCount(arena.memory.buffer, h.graph); from < to; from += BUILD_CHUNK) {
      const end = Math.min(to, from + BUILD_CHUNK);
      const r = k.hnswInsert(h.graph, h.table, h.rowsPerBlock, h.invDelta, from, end, h.efConstruction, scratch.offset);
      if (r !== end) throw new Error(`hnswInsert failed (${r}) at rows ${from}..${end}`);
      distances += k.hnswDistances(scratch.offset) >>> 0;
      onProgress?.(end, h.n);
    }
  } finally {
    arena.releaseScratch(scratch);
  }
  return distances;
}

function finish(arena: Arena, h: HnswHandle, t0: number, distances: number): HnswHandle {
  const hdr = readGraphHeader(arena.memory.buffer, h.graph)!;
  return { ...h, maxLevel: hdr.maxLevel, entry: hdr.entry, buildMs: performance.now() - t0, buildDistances: distances };
}

/**
 * Builds an HNSW graph over rows [0, n) of `arena` (all of them by default) on this thread. Dead rows are indexed like
 * live ones: visibility is the searcher's filter's business. Runs on the arena's owner thread (it allocates in the
 * arena). The graph is a function of the data, the options and the seed.
 */
export function buildHnsw(arena: Arena, metric: Metric | KernelMetric, opts: HnswBuildOptions = {}, n = arena.rows): HnswHandle {
  const t0 = performance.now();
  const h = prepareGraph(arena, metric, opts, n);
  return finish(arena, h, t0, insertRange(arena, h, n, opts.onProgress));
}

/**
 * Builds like {@link buildHnsw}, with `threads` worker threads (default: every core) inserting at once, at a lower
 * priority unless `background` is false (thread-priority.ts); the calling thread only allocates, inserts the first
 * rows and waits. The kernel locks one node's lists at a time
 * (hnswInsertConcurrent), so the graph depends on thread timing: same quality, not the same graph twice.
 */
export async function buildHnswParallel(
  arena: Arena,
  metric: Metric | KernelMetric,
  opts: HnswBuildOptions & { threads?: number; background?: boolean } = {},
  n = arena.rows,
): Promise<HnswHandle> {
  const threads = Math.max(1, Math.min(64, opts.threads ?? availableParallelism()));
  if (threads === 1 || n < PARALLEL_MIN_ROWS) return buildHnsw(arena, metric, opts, n);
  const t0 = performance.now();
  const h = prepareGraph(arena, metric, opts, n);
  const buf = () => arena.memory.buffer;
  let distances = insertRange(arena, h, Math.max(PARALLEL_PREFIX, graphCount(buf(), h.graph)));
  const start = graphCount(buf(), h.graph);
  const k = arena.kernels;
  const ctl = arena.allocScratch(k.hnswBuildControlBytes(n) >>> 0);
  const scratchBytes = k.hnswScratchBytes(n, h.efConstruction, h.M0) >>> 0;
  const scratches = Array.from({ length: threads }, () => arena.allocScratch(scratchBytes));
  const workers: Worker[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  const control = (f: BuildControl) => new Uint32Array(buf(), ctl.offset + f, 1);
  try {
    control(BuildControl.Next)[0] = start;
    control(BuildControl.End)[0] = n;
    for (const s of scratches) k.hnswScratchInit(s.offset, n, h.efConstruction, h.M0);
    const runs = scratches.map((s) => {
      const data: HnswBuildThreadData = { memory: arena.memory, handle: h, scratch: s.offset, ctl: ctl.offset, background: opts.background ?? true };
      const w = new Worker(new URL('./hnsw-build-thread.js', import.meta.url), { workerData: data, name: 'larch-hnsw-build' });
      workers.push(w);
      return new Promise<number>((resolve, reject) => {
        w.once('message', (m: { distances: number }) => resolve(m.distances));
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`HNSW build thread exited (${code})`)));
      });
    });
    if (opts.onProgress) {
      const done = new Int32Array(buf(), ctl.offset + BuildControl.Done, 1);
      timer = setInterval(() => opts.onProgress!(start + Atomics.load(done, 0), n), 250);
    }
    for (const d of await Promise.all(runs)) distances += d;
    setGraphCount(buf(), h.graph, n);
    opts.onProgress?.(n, n);
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all(workers.map((w) => w.terminate()));
    for (const s of scratches) arena.releaseScratch(s);
    arena.releaseScratch(ctl);
  }
  return finish(arena, h, t0, distances);
}
