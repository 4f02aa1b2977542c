/**
 * Approximate search (issue 5): LarchDB against hnswlib-node at matched recall@k, on the same data in the same run.
 *
 * Data: seeded Gaussian clusters (centers from N(0, I), points = center + sigma·N(0, I); queries drawn the same way,
 * not taken from the base set), or a TEXMEX directory (`--sift <dir>`: *_base.fvecs, *_query.fvecs and, when present,
 * *_groundtruth.ivecs). Exact ground truth is a brute-force scan with the WASM scan kernel (float32, like both
 * systems), computed once; a few queries are re-checked against a float64 JS loop.
 *
 * Builds, each timed, with the process RSS before and after (after a full GC; RSS covers every thread of the process,
 * the WASM memories and hnswlib's native heap):
 *   hnswlib      `HierarchicalNSW(space, dim)`, initIndex(n, M, efConstruction), addPoint for every vector: one thread
 *                (hnswlib-node has no multithreaded add); its serialized size via writeIndexSync.
 *   kernel       an Arena with the same vectors, `buildHnswParallel` with `--build-threads` threads (default 1, so the
 *                build compares with hnswlib's; 0 = every core).
 *   engine       `LarchDB.open` on a temp dir (durability 'none': nothing here is about durability), upserts in
 *                batches, then `db.flush`: the index builder makes one slab (memtableBytes 1 GiB keeps it one) and its
 *                HNSW graph on every core.
 *
 * Searches, sweeping efSearch (`--ef`) until the highest target recall is reached (`--full-sweep`: every ef); each
 * point runs every query at least once and whole passes for at least `--min-ms`, after a short warm-up. hnswlib and
 * the kernel are swept interleaved (their points at one ef back to back), so a drift in the machine's speed (a shared
 * VM's) skews their ratio less:
 *   hnswlib      synchronous searchKnn in a loop (one thread)
 *   kernel       `HnswSearcher.search` in a loop (one thread): LarchDB's WASM graph search without the engine
 *   engine 1t    `index.query` in-process with queryThreads 1, one query at a time (c=1) and `--concurrency` in flight
 *   engine pool  the same data reopened with the default pool (queryThreads = cores), `--concurrency` in flight
 * The engine's ef is set with `configureIndex` between points (`--reopen`: and the database reopened, the slab and
 * its graph loaded from disk, for engines from before namespaces took a new efSearch live; a whole pass of unrecorded
 * queries then warms the new threads up). Its recall is computed from the ids it returns (ids are the
 * row numbers). Engine points also split the process's CPU per query by thread (main, namespace host, executors,
 * other) from /proc/self/task/<tid>/schedstat, which is what the closing "what limits it" lines are computed from.
 *
 * Output: builds (time, vectors/s, RSS, graph bytes per vector), every sweep point (recall, QPS, p50/p99/mean ms from
 * an HdrHistogram, CPU per query, distance computations per query for the kernel), and per target recall
 * (`--targets`) each level's smallest ef reaching it with QPS and latency there and the ratios against hnswlib;
 * `--json` prints all of it as JSON on stdout (progress goes to stderr).
 *
 * Sized for 2 cores (about 3 minutes at the defaults, hnswlib's one-thread build being the largest part); scale with
 * `--n`, `--dim`, `--queries`. `--clusters` defaults to n/1000, `--sigma` to 1. `--skip hnswlib,kernel,engine,pool`
 * leaves levels out. With `--sift <dir>` the data set's own sizes apply (`--queries` may take fewer) and the metric
 * defaults to euclidean, which its ground truth is for.
 *
 *   npm run bench:ann -- --n 100000 --dim 128 --queries 1000 --k 10 --concurrency 8 [--json]
 *   npm run bench:ann -- --sift ../shared/datasets/ngt-sift-5k
 *
 * @module
 */
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import hnswlib from 'hnswlib-node';
import { makeLog, posInt, prng, systemBusyMs, threadTimes } from './common.js';
import { LatencyHistogram, type LatencySummary } from './stats.js';
import { LarchDB } from '../engine/index.js';
import { Arena, MAX_BATCH, MAX_REQUEST_BYTES, METRIC_CODE, buildHnswParallel, type HnswHandle } from '../engine/internal.js';
import { HnswSearcher, allocHnswScratch, exactTopK } from './kernel-search.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '128' },
    queries: { type: 'string' },
    metric: { type: 'string' },
    clusters: { type: 'string' },
    sigma: { type: 'string', default: '1' },
    k: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    ef: { type: 'string', default: '10,16,24,32,48,64,96,128,192,256,384,512' },
    targets: { type: 'string', default: '0.90,0.95,0.99' },
    m: { type: 'string', default: '16' },
    'ef-construction': { type: 'string', default: '200' },
    'build-threads': { type: 'string', default: '1' },
    'min-ms': { type: 'string', default: '1000' },
    'full-sweep': { type: 'boolean', default: false },
    reopen: { type: 'boolean', default: false },
    skip: { type: 'string', default: '' },
    sift: { type: 'string' },
    seed: { type: 'string', default: '42' },
    json: { type: 'boolean', default: false },
  },
});

type Metric = 'cosine' | 'euclidean' | 'dotproduct';
const METRIC = (args.metric ?? (args.sift ? 'euclidean' : 'cosine')) as Metric;
if (!['cosine', 'euclidean', 'dotproduct'].includes(METRIC)) throw new Error(`--metric must be cosine, euclidean or dotproduct, got ${METRIC}`);
const K = posInt('k', args.k);
const CONC = posInt('concurrency', args.concurrency);
const EFS = [...new Set(args.ef!.split(',').map((s) => posInt('ef', s.trim())))].sort((a, b) => a - b);
const TARGETS = args.targets!.split(',').map((s) => {
  const t = Number(s);
  if (!(t > 0 && t <= 1)) throw new Error(`--targets must be recalls in (0, 1], got ${s}`);
  return t;
}).sort((a, b) => a - b);
const M = posInt('m', args.m);
const EF_CONSTRUCTION = posInt('ef-construction', args['ef-construction']);
const CORES = availableParallelism();
const BUILD_THREADS = args['build-threads'] === '0' ? CORES : posInt('build-threads', args['build-threads']);
const MIN_MS = posInt('min-ms', args['min-ms']);
const SEED = posInt('seed', args.seed);
const JSON_OUT = args.json ?? false;
const SKIP = new Set(args.skip!.split(',').map((s) => s.trim()).filter(Boolean));
for (const s of SKIP) if (!['hnswlib', 'kernel', 'engine', 'pool'].includes(s)) throw new Error(`--skip takes hnswlib,kernel,engine,pool; got ${s}`);
const WARMUP = 100;
const INDEX = 'bench-ann';

const log = makeLog(JSON_OUT);

/** A full GC, also without --expose-gc (the npm script does not pass it): V8 can expose it at run time. */
const gc: () => void = (() => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** Process RSS (MiB) after a full GC and a pause for finalizers (hnswlib's native index is freed by one). */
async function rssMb(): Promise<number> {
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  return process.memoryUsage().rss / 2 ** 20;
}

// ---------------------------------------------------------------------------
// Data

interface Dataset {
  name: string;
  n: number;
  dim: number;
  /** n × dim, row-major. */
  base: Float32Array;
  queries: Float32Array[];
  /** Ground truth from the data set's file (first k ids per query), when it has one. */
  truth?: Int32Array[];
}

/** A standard normal draw (Box-Muller). */
function gauss(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

function synthetic(): Dataset {
  const n = posInt('n', args.n);
  const dim = posInt('dim', args.dim);
  const nq = posInt('queries', args.queries ?? '1000');
  // ~1000 points a cluster by default: 200 clusters at 200k is what HNSW_DEFAULTS was tuned on.
  const clusters = args.clusters ? posInt('clusters', args.clusters) : Math.max(1, Math.round(n / 1000));
  const sigma = Number(args.sigma);
  if (!(sigma >= 0)) throw new Error(`--sigma must be a non-negative number, got ${args.sigma}`);
  const r = prng(SEED);
  const centers = Array.from({ length: clusters }, () => Float64Array.from({ length: dim }, () => gauss(r)));
  const draw = (out: Float32Array, at: number) => {
    const c = centers[Math.floor(r() * clusters)]!;
    for (let j = 0; j < dim; j++) out[at + j] = c[j]! + sigma * gauss(r);
  };
  const base = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) draw(base, i * dim);
  const queries = Array.from({ length: nq }, () => {
    const q = new Float32Array(dim);
    draw(q, 0);
    return q;
  });
  return { name: `clustered ${n}×${dim} (${clusters} clusters, sigma ${sigma}, seed ${SEED})`, n, dim, base, queries };
}

/** Vectors of a TEXMEX .fvecs / .ivecs file (per vector: int32 dim, then dim 4-byte values). */
function readVecs<T extends Float32Array | Int32Array>(file: string, Ctor: new (b: ArrayBuffer) => T): { dim: number; vecs: T[] } {
  const b = readFileSync(file);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dim = dv.getInt32(0, true);
  const rec = 4 + 4 * dim;
  if (dim <= 0 || b.byteLength % rec !== 0) throw new Error(`${file}: not a vecs file (dimension ${dim}, ${b.byteLength} bytes)`);
  const vecs: T[] = [];
  for (let i = 0; i < b.byteLength / rec; i++) {
    if (dv.getInt32(i * rec, true) !== dim) throw new Error(`${file}: vector ${i} has another dimension`);
    vecs.push(new Ctor(b.buffer.slice(b.byteOffset + i * rec + 4, b.byteOffset + (i + 1) * rec)));
  }
  return { dim, vecs };
}

function texmex(dir: string): Dataset {
  const files = readdirSync(dir);
  const find = (suffix: string) => files.find((f) => f.endsWith(suffix));
  const baseFile = find('_base.fvecs');
  const queryFile = find('_query.fvecs');
  if (!baseFile || !queryFile) throw new Error(`${dir}: needs *_base.fvecs and *_query.fvecs`);
  const base = readVecs(join(dir, baseFile), Float32Array);
  const queries = readVecs(join(dir, queryFile), Float32Array);
  if (queries.dim !== base.dim) throw new Error(`${dir}: base is ${base.dim}-d, queries ${queries.dim}-d`);
  const nq = args.queries === undefined ? queries.vecs.length : Math.min(posInt('queries', args.queries), queries.vecs.length);
  const gtFile = find('_groundtruth.ivecs');
  let truth: Int32Array[] | undefined;
  // The file's ground truth is for its own metric (squared L2 for TEXMEX sets); for another metric scan exactly.
  if (gtFile && METRIC === 'euclidean') truth = readVecs(join(dir, gtFile), Int32Array).vecs.slice(0, nq);
  const flat = new Float32Array(base.vecs.length * base.dim);
  base.vecs.forEach((v, i) => flat.set(v, i * base.dim));
  return { name: `${dir} ${base.vecs.length}×${base.dim}`, n: base.vecs.length, dim: base.dim, base: flat, queries: queries.vecs.slice(0, nq), truth };
}

const row = (d: Dataset, i: number): Float32Array => d.base.subarray(i * d.dim, (i + 1) * d.dim);

/** Exact top-k of one query in float64 (a check on the kernel's float32 ground truth). */
function exactTopK64(d: Dataset, q: Float32Array, k: number): number[] {
  let qn = 0;
  for (let j = 0; j < d.dim; j++) qn += q[j]! * q[j]!;
  qn = Math.sqrt(qn);
  const score = new Float64Array(d.n);
  for (let i = 0; i < d.n; i++) {
    const off = i * d.dim;
    let dot = 0;
    let vn = 0;
    let l2 = 0;
    for (let j = 0; j < d.dim; j++) {
      const v = d.base[off + j]!;
      dot += v * q[j]!;
      vn += v * v;
      l2 += (v - q[j]!) ** 2;
    }
    score[i] = METRIC === 'euclidean' ? -l2 : METRIC === 'cosine' ? (vn > 0 && qn > 0 ? dot / (Math.sqrt(vn) * qn) : 0) : dot;
  }
  const idx = Array.from({ length: d.n }, (_, i) => i);
  idx.sort((a, b) => score[b]! - score[a]! || a - b);
  return idx.slice(0, k);
}

function recallOf(got: ArrayLike<number>, truth: Int32Array, k: number): number {
  const want = new Set(Array.from(truth.subarray(0, k)));
  let hit = 0;
  for (let i = 0; i < Math.min(k, got.length); i++) if (want.has(got[i]!)) hit++;
  return hit / want.size;
}

// ---------------------------------------------------------------------------
// Measurement

interface Point {
  ef: number;
  recall: number;
  qps: number;
  latencyMs: LatencySummary;
  /** Process CPU (every thread) per query. */
  cpuMsPerQuery: number;
  /** Queries timed (whole passes over the query set). */
  timed: number;
  /** CPU other processes used meanwhile, as a share of all cores (from /proc/stat; null where unknown). */
  otherLoad: number | null;
  /** Distance computations per query (kernel only: hnswlib-node does not expose its count). */
  distancesPerQuery?: number;
  /** Engine only (Linux): CPU ms per query by thread, and ms per query threads spent runnable but without a core. */
  threadCpu?: ThreadCpu;
}

interface ThreadCpu {
  main: number;
  host: number;
  executors: number;
  readers: number;
  other: number;
  runQueueWait: number;
}


/**
 * Names the threads a LarchDB.open started (present now, not in `before`) by creation order, as bench/durability.ts
 * does: the supervisor starts the query executors, then the index builder, then the namespace host, then the reader
 * threads. Unnamed (counted as 'other') when the count does not match.
 */
function engineThreads(before: Set<number>, executors: number, readers: number): Map<number, string> {
  const fresh = [...(threadTimes()?.keys() ?? [])].filter((t) => !before.has(t)).sort((a, b) => a - b);
  const expected = [...Array.from({ length: executors }, () => 'executor'), 'builder', 'host', ...Array.from({ length: readers }, () => 'reader')];
  const names = new Map<number, string>();
  if (fresh.length === expected.length) fresh.forEach((t, i) => names.set(t, expected[i]!));
  return names;
}

function threadCpu(a: Map<number, { cpu: number; wait: number }> | null, names: Map<number, string>, queries: number): ThreadCpu | undefined {
  const b = threadTimes();
  if (!a || !b) return undefined;
  const c: ThreadCpu = { main: 0, host: 0, executors: 0, readers: 0, other: 0, runQueueWait: 0 };
  for (const [tid, t1] of b) {
    const t0 = a.get(tid) ?? { cpu: 0, wait: 0 };
    const ms = (t1.cpu - t0.cpu) / 1e6 / queries;
    c.runQueueWait += (t1.wait - t0.wait) / 1e6 / queries;
    const name = names.get(tid);
    if (tid === process.pid) c.main += ms;
    else if (name === 'host') c.host += ms;
    else if (name === 'executor') c.executors += ms;
    else if (name === 'reader') c.readers += ms;
    else c.other += ms;
  }
  return c;
}

interface Level {
  name: string;
  label: string;
  threads: string;
  concurrency: number;
  points: Point[];
}

function otherLoad(busy0: number | null, own: NodeJS.CpuUsage, wallMs: number): number | null {
  const busy1 = systemBusyMs();
  if (busy0 === null || busy1 === null) return null;
  return Math.max(0, (busy1 - busy0 - (own.user + own.system) / 1000) / (wallMs * CORES));
}

/** One search: the result ids (row numbers), best first. */
type SyncSearch = (qi: number) => ArrayLike<number>;
type AsyncSearch = (qi: number) => Promise<ArrayLike<number>>;

/** Whole passes over the queries, one at a time on this thread, for at least MIN_MS; recall from the first pass. */
function measureSync(search: SyncSearch, truth: Int32Array[], ef: number, distances?: () => number): Point {
  const nq = truth.length;
  for (let i = 0; i < Math.min(WARMUP, nq); i++) search(i);
  const hist = new LatencyHistogram();
  let recall = 0;
  let dist = 0;
  let done = 0;
  const busy0 = systemBusyMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  do {
    for (let qi = 0; qi < nq; qi++) {
      const t = performance.now();
      const ids = search(qi);
      hist.record(performance.now() - t);
      if (done < nq) {
        recall += recallOf(ids, truth[qi]!, K);
        if (distances) dist += distances();
      }
      done++;
    }
  } while (performance.now() - t0 < MIN_MS);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    ef,
    recall: recall / nq,
    qps: (done / wall) * 1000,
    latencyMs: hist.summary(),
    cpuMsPerQuery: (cpu.user + cpu.system) / 1000 / done,
    timed: done,
    otherLoad: otherLoad(busy0, cpu, wall),
    ...(distances ? { distancesPerQuery: dist / nq } : {}),
  };
}

/** Closed loop: `conc` callers each send the next query when their previous one answers; whole passes, >= MIN_MS. */
async function measureAsync(
  search: AsyncSearch, truth: Int32Array[], ef: number, conc: number, names?: Map<number, string>, freshThreads = false,
): Promise<Point> {
  const nq = truth.length;
  // Threads just started need their JIT warm, not only their caches: a whole pass for them.
  const warm = freshThreads ? nq : Math.min(WARMUP, nq);
  let w = 0;
  await Promise.all(Array.from({ length: Math.min(conc, warm) }, async () => {
    while (w < warm) await search(w++);
  }));
  const hist = new LatencyHistogram();
  let recall = 0;
  let next = 0;
  let stop = false;
  const threads0 = names ? threadTimes() : null;
  const busy0 = systemBusyMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const caller = async (): Promise<void> => {
    for (;;) {
      // Stop issuing only at a pass boundary, so every query weighs the same.
      if (stop || (next > 0 && next % nq === 0 && performance.now() - t0 >= MIN_MS)) {
        stop = true;
        return;
      }
      const i = next++;
      const qi = i % nq;
      const t = performance.now();
      const ids = await search(qi);
      hist.record(performance.now() - t);
      if (i < nq) recall += recallOf(ids, truth[qi]!, K);
    }
  };
  await Promise.all(Array.from({ length: conc }, caller));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const tc = names ? threadCpu(threads0, names, next) : undefined;
  return {
    ef,
    recall: recall / nq,
    qps: (next / wall) * 1000,
    latencyMs: hist.summary(),
    cpuMsPerQuery: (cpu.user + cpu.system) / 1000 / next,
    timed: next,
    otherLoad: otherLoad(busy0, cpu, wall),
    ...(tc ? { threadCpu: tc } : {}),
  };
}

function logPoint(level: Level, p: Point): void {
  log(`  ${level.label.padEnd(22)} ef ${String(p.ef).padStart(4)}  recall ${p.recall.toFixed(4)}  ${p.qps.toFixed(0).padStart(6)} qps  ` +
    `p50 ${p.latencyMs.p50Ms.toFixed(3)} ms  p99 ${p.latencyMs.p99Ms.toFixed(3)} ms  cpu ${p.cpuMsPerQuery.toFixed(3)} ms/q` +
    (p.distancesPerQuery !== undefined ? `  ${p.distancesPerQuery.toFixed(0)} dist/q` : '') +
    (p.threadCpu ? `  (${fmtThreads(p.threadCpu)})` : ''));
}

const fmtThreads = (t: ThreadCpu): string =>
  `main ${t.main.toFixed(3)}, host ${t.host.toFixed(3)}, executors ${t.executors.toFixed(3)}, readers ${t.readers.toFixed(3)}, other ${t.other.toFixed(3)} ms CPU/q; ` +
  `run-queue wait ${t.runQueueWait.toFixed(3)} ms/q`;

/**
 * Sweeps ef upward for several levels together, one point of each per ef in turn, so that slow drifts in the speed of
 * a shared machine hit them alike; a level stops after its first point reaching the highest target (unless
 * --full-sweep).
 */
async function sweep(runs: { level: Level; point: (ef: number) => Point | Promise<Point> }[]): Promise<void> {
  const done = new Set<Level>();
  for (const ef of EFS) {
    for (const { level, point } of runs) {
      if (done.has(level)) continue;
      const p = await point(ef);
      level.points.push(p);
      logPoint(level, p);
      if (!args['full-sweep'] && p.recall >= TARGETS[TARGETS.length - 1]!) done.add(level);
    }
    if (done.size === runs.length) break;
  }
}

/** The smallest-ef point reaching `target` (points are in ef order). */
const atTarget = (l: Level, target: number): Point | undefined => l.points.find((p) => p.recall >= target);
const atEf = (l: Level | undefined, ef: number): Point | undefined => l?.points.find((p) => p.ef === ef);

// ---------------------------------------------------------------------------

interface Build {
  system: string;
  what: string;
  threads: string;
  ms: number;
  vectorsPerSec: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  /** Extra facts: index bytes, graph bytes per vector, ... */
  detail: Record<string, number | string>;
}

async function main(): Promise<void> {
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown cpu';
  const load0 = loadavg()[0]!;
  const tData = performance.now();
  const data = args.sift ? texmex(args.sift) : synthetic();
  const nq = data.queries.length;
  if (K > data.n) throw new Error(`--k ${K} is larger than the data set (${data.n})`);
  log(`ann: ${data.name}, ${nq} queries, ${METRIC}, k=${K}, M=${M} efConstruction=${EF_CONSTRUCTION}, ` +
    `concurrency ${CONC}, min ${MIN_MS} ms a point; node ${process.version}, ${CORES} cores (${cpuModel}), load ${load0.toFixed(2)}`);
  log(`  data generated in ${((performance.now() - tData) / 1000).toFixed(1)} s`);
  const rssData = await rssMb();
  const builds: Build[] = [];
  const levels: Level[] = [];

  // The kernel level's arena doubles as the ground-truth scanner (same vectors, float32 like both systems).
  const rssArena0 = await rssMb();
  const tArena = performance.now();
  const arena = new Arena(data.dim);
  for (let i = 0; i < data.n; i++) arena.append(row(data, i), undefined, 1);
  const arenaMs = performance.now() - tArena;
  const arenaBytes = arena.memory.buffer.byteLength;
  const rssArena1 = await rssMb();
  const kmetric = METRIC_CODE[METRIC];
  const tTruth = performance.now();
  const scanned = exactTopK(arena, kmetric, data.queries, K).map((r) => Int32Array.from(r.rows));
  const truth = data.truth ?? scanned;
  // Check the float32 scan against float64 on a few queries (and the file's truth against the scan when there is one).
  const checkN = Math.min(nq, 10);
  let check64 = 0;
  for (let i = 0; i < checkN; i++) check64 += recallOf(exactTopK64(data, data.queries[i]!, K), truth[i]!, K);
  check64 /= checkN;
  const checkFile = data.truth ? scanned.reduce((s, r, i) => s + recallOf(r, data.truth![i]!, K), 0) / nq : null;
  log(`  ground truth: ${data.truth ? 'from the data set' : 'WASM exact scan'} in ${((performance.now() - tTruth) / 1000).toFixed(1)} s; ` +
    `agreement with float64 on ${checkN} queries ${check64.toFixed(4)}` + (checkFile !== null ? `, scan vs file ${checkFile.toFixed(4)}` : ''));
  const qArrays = data.queries.map((q) => Array.from(q));

  // The two single-thread levels are built first and swept together (interleaved, see sweep()).
  const syncRuns: Parameters<typeof sweep>[0] = [];

  // -------------------------------------------------------------------------
  // hnswlib-node
  let hnswIndex: InstanceType<typeof hnswlib.HierarchicalNSW> | undefined;
  if (!SKIP.has('hnswlib')) {
    const space = METRIC === 'euclidean' ? 'l2' : METRIC === 'cosine' ? 'cosine' : 'ip';
    const rss0 = await rssMb();
    const t0 = performance.now();
    const idx = new hnswlib.HierarchicalNSW(space, data.dim);
    idx.initIndex(data.n, M, EF_CONSTRUCTION);
    // addPoint takes a plain array: the conversion is part of the build, as for any caller holding typed arrays.
    for (let i = 0; i < data.n; i++) {
      idx.addPoint(Array.from(row(data, i)), i);
      if ((i + 1) % 20000 === 0) log(`    hnswlib build ${i + 1}/${data.n} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    const ms = performance.now() - t0;
    const rss1 = await rssMb();
    const file = join(tmpdir(), `larch-bench-ann-${process.pid}.hnsw`);
    idx.writeIndexSync(file);
    const fileBytes = statSync(file).size;
    unlinkSync(file);
    builds.push({
      system: 'hnswlib-node', what: 'addPoint × n', threads: '1', ms, vectorsPerSec: (data.n / ms) * 1000, rssBeforeMb: rss0, rssAfterMb: rss1,
      detail: { indexBytes: fileBytes, indexBytesPerVector: fileBytes / data.n, count: idx.getCurrentCount() },
    });
    log(`  hnswlib build: ${(ms / 1000).toFixed(1)} s, index ${(fileBytes / 2 ** 20).toFixed(1)} MiB (${(fileBytes / data.n).toFixed(0)} B/vector), ` +
      `RSS ${rss0.toFixed(0)} → ${rss1.toFixed(0)} MiB`);
    hnswIndex = idx;
    syncRuns.push({
      level: { name: 'hnswlib', label: 'hnswlib-node', threads: '1', concurrency: 1, points: [] },
      point: (ef) => {
        idx.setEf(ef);
        return measureSync((qi) => idx.searchKnn(qArrays[qi]!, K).neighbors, truth, ef);
      },
    });
  }

  // -------------------------------------------------------------------------
  // LarchDB kernel: the WASM graph search alone, on this thread.
  if (!SKIP.has('kernel')) {
    const rss0 = await rssMb();
    const t0 = performance.now();
    let lastLog = t0;
    const handle: HnswHandle = await buildHnswParallel(arena, METRIC, {
      M, efConstruction: EF_CONSTRUCTION, threads: BUILD_THREADS,
      onProgress: (done, n) => {
        if (performance.now() - lastLog > 10000) {
          lastLog = performance.now();
          log(`    kernel build ${done}/${n} (${((lastLog - t0) / 1000).toFixed(0)} s)`);
        }
      },
    });
    const ms = performance.now() - t0;
    const rss1 = await rssMb();
    builds.push({
      system: 'LarchDB kernel', what: 'Arena append × n', threads: '1', ms: arenaMs, vectorsPerSec: (data.n / arenaMs) * 1000,
      rssBeforeMb: rssArena0, rssAfterMb: rssArena1, detail: { vectorBytesPerVector: data.dim * 4, arenaMemoryBytes: arenaBytes },
    });
    builds.push({
      system: 'LarchDB kernel', what: 'buildHnswParallel', threads: String(BUILD_THREADS), ms, vectorsPerSec: (data.n / ms) * 1000,
      rssBeforeMb: rss0, rssAfterMb: rss1,
      detail: {
        arenaMemoryBytes: arena.memory.buffer.byteLength,
        graphBytes: handle.bytes, graphBytesPerVector: handle.bytes / handle.n, vectorBytesPerVector: data.dim * 4,
        distancesPerInsert: handle.buildDistances / handle.n, maxLevel: handle.maxLevel,
      },
    });
    log(`  kernel build (${BUILD_THREADS} thread${BUILD_THREADS > 1 ? 's' : ''}): ${(ms / 1000).toFixed(1)} s, graph ${(handle.bytes / handle.n).toFixed(1)} B/vector ` +
      `+ ${data.dim * 4} B/vector of vectors, RSS ${rss0.toFixed(0)} → ${rss1.toFixed(0)} MiB`);
    const searcher = new HnswSearcher(arena.memory, handle, allocHnswScratch(arena, handle, { efCap: Math.max(512, EFS[EFS.length - 1]!), kCap: K }));
    let lastDist = 0;
    syncRuns.push({
      level: { name: 'kernel', label: 'LarchDB kernel', threads: '1', concurrency: 1, points: [] },
      point: (ef) => measureSync((qi) => {
        const r = searcher.search(data.queries[qi]!, K, { ef });
        lastDist = r.distances;
        return r.rows;
      }, truth, ef, () => lastDist),
    });
  }

  await sweep(syncRuns);
  levels.push(...syncRuns.map((r) => r.level));
  // Re-initialising deletes hnswlib's native index now (the GC would only do it whenever the wrapper's finalizer
  // runs), so the RSS readings that follow are LarchDB's alone.
  hnswIndex?.initIndex(1, M, EF_CONSTRUCTION);

  // -------------------------------------------------------------------------
  // LarchDB engine, in-process: one executor thread, then the default pool, on the same data directory.
  if (!SKIP.has('engine') || !SKIP.has('pool')) {
    const dir = await mkdtemp(join(tmpdir(), 'larch-bench-ann-'));
    const opts = { path: dir, durability: 'none' as const, memtableBytes: 2 ** 30 };
    let db: LarchDB | undefined;
    let dbThreads: number | undefined;
    let names = new Map<number, string>();
    try {
      const rss0 = await rssMb();
      db = await LarchDB.open(opts);
      const diag0 = db.diagnostics();
      await db.createIndex({
        name: INDEX, dimension: data.dim, metric: METRIC, spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
        hnsw: { M, efConstruction: EF_CONSTRUCTION, efSearch: EFS[0]! },
      });
      const index = db.index(INDEX);
      // In-process batches travel as 4 bytes a float; stay well under the request limit.
      const batch = Math.max(1, Math.min(500, MAX_BATCH, Math.floor((MAX_REQUEST_BYTES * 0.75) / (data.dim * 4 + 64))));
      const t0 = performance.now();
      for (let start = 0; start < data.n; start += batch) {
        const end = Math.min(data.n, start + batch);
        const records = [];
        for (let i = start; i < end; i++) records.push({ id: String(i), values: Array.from(row(data, i)) });
        await index.upsert(records);
      }
      const upsertMs = performance.now() - t0;
      const rssUp = await rssMb();
      const t1 = performance.now();
      await db.flush(INDEX);
      const flushMs = performance.now() - t1;
      const rss1 = await rssMb();
      const info = await db.storageInfo(INDEX);
      if (!info || info.slabs !== 1 || info.slabRows[0] !== data.n || !(info.slabGraphBytes[0]! > 0)) {
        throw new Error(`expected one slab of ${data.n} rows with a graph after flush, found ${JSON.stringify(info)}`);
      }
      const graphBytes = info.slabGraphBytes[0]!;
      builds.push({
        system: 'LarchDB engine', what: `upsert (batches of ${batch})`, threads: `main + ${diag0.hosts} host`, ms: upsertMs,
        vectorsPerSec: (data.n / upsertMs) * 1000, rssBeforeMb: rss0, rssAfterMb: rssUp, detail: {},
      });
      builds.push({
        system: 'LarchDB engine', what: 'flush (slab + graph)', threads: `${CORES} (builder)`, ms: flushMs,
        vectorsPerSec: (data.n / flushMs) * 1000, rssBeforeMb: rssUp, rssAfterMb: rss1,
        detail: { graphBytes, graphBytesPerVector: graphBytes / data.n, vectorBytesPerVector: data.dim * 4 },
      });
      log(`  engine: upsert ${(upsertMs / 1000).toFixed(1)} s, flush (slab + graph, ${CORES} cores) ${(flushMs / 1000).toFixed(1)} s, ` +
        `graph ${(graphBytes / data.n).toFixed(1)} B/vector, RSS ${rss0.toFixed(0)} → ${rssUp.toFixed(0)} → ${rss1.toFixed(0)} MiB`);

      // configureIndex applies to the next query; with --reopen the namespace also reloads its slab and graph from
      // disk (what older engines, whose open namespaces kept their efSearch, needed). Another thread count reopens.
      const reopens: number[] = [];
      let fresh = false;
      const atEfSearch = async (ef: number, queryThreads: number | undefined): Promise<LarchDB> => {
        await db!.configureIndex(INDEX, { hnsw: { efSearch: ef } });
        fresh = false;
        if (!args.reopen && dbThreads === queryThreads) return db!;
        fresh = true;
        await db!.close();
        db = undefined;
        const before = new Set(threadTimes()?.keys() ?? []);
        const t = performance.now();
        db = await LarchDB.open({ ...opts, queryThreads });
        dbThreads = queryThreads;
        names = engineThreads(before, db.diagnostics().executors, db.diagnostics().readers);
        await db.index(INDEX).query({ vector: qArrays[0]!, topK: K }); // the first query waits for the namespace to load
        reopens.push(performance.now() - t);
        return db;
      };
      const configs: { queryThreads: number | undefined; levels: Level[] }[] = [];
      if (!SKIP.has('engine')) {
        const lv = (c: number): Level => ({ name: `engine1-c${c}`, label: `engine 1 executor c=${c}`, threads: '1 executor', concurrency: c, points: [] });
        configs.push({ queryThreads: 1, levels: CONC > 1 ? [lv(1), lv(CONC)] : [lv(1)] });
      }
      if (!SKIP.has('pool')) {
        const exec = diag0.executors;
        configs.push({ queryThreads: undefined, levels: [{ name: `pool-c${CONC}`, label: `engine pool(${exec}) c=${CONC}`, threads: `${exec} executors`, concurrency: CONC, points: [] }] });
      }
      for (const cfg of configs) {
        const done = new Set<Level>();
        for (const ef of EFS) {
          const live = cfg.levels.filter((l) => !done.has(l));
          if (live.length === 0) break;
          const d = await atEfSearch(ef, cfg.queryThreads);
          const ix = d.index(INDEX);
          const search: AsyncSearch = async (qi) => (await ix.query({ vector: qArrays[qi]!, topK: K })).matches.map((m) => Number(m.id));
          for (const l of live) {
            const p = await measureAsync(search, truth, ef, l.concurrency, names, fresh);
            fresh = false;
            l.points.push(p);
            logPoint(l, p);
            if (!args['full-sweep'] && p.recall >= TARGETS[TARGETS.length - 1]!) done.add(l);
          }
        }
        levels.push(...cfg.levels);
      }
      if (reopens.length > 0) {
        const sorted = reopens.slice().sort((x, y) => x - y);
        const med = sorted[sorted.length >> 1]!;
        builds.push({
          system: 'LarchDB engine', what: 'reopen (load slab + graph)', threads: '-', ms: med, vectorsPerSec: (data.n / med) * 1000,
          rssBeforeMb: rss1, rssAfterMb: await rssMb(), detail: { reopens: reopens.length, minS: sorted[0]! / 1000, maxS: sorted[sorted.length - 1]! / 1000 },
        });
      }
    } finally {
      await db?.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  report(data, nq, builds, levels, { check64, checkFile, rssData, load0, cpuModel });
}

// ---------------------------------------------------------------------------
// Output

function report(
  data: Dataset, nq: number, builds: Build[], levels: Level[],
  env: { check64: number; checkFile: number | null; rssData: number; load0: number; cpuModel: string },
): void {
  const hl = levels.find((l) => l.name === 'hnswlib');
  const kernel = levels.find((l) => l.name === 'kernel');
  const e1 = levels.find((l) => l.name === 'engine1-c1');
  const matched = TARGETS.map((target) => {
    const ref = hl ? atTarget(hl, target) : undefined;
    return {
      target,
      levels: levels.map((l) => {
        const p = atTarget(l, target);
        return {
          level: l.name,
          point: p ?? null,
          qpsVsHnswlib: p && ref ? p.qps / ref.qps : null,
          p50VsHnswlib: p && ref ? p.latencyMs.p50Ms / ref.latencyMs.p50Ms : null,
        };
      }),
    };
  });

  // What limits it, from the measurements at the middle target (0.95 by default).
  const mid = TARGETS[Math.floor(TARGETS.length / 2)]!;
  const limits: string[] = [];
  const hp = hl && atTarget(hl, mid);
  const kp = kernel && atTarget(kernel, mid);
  if (hp && kp) {
    const sameEf = atEf(hl, kp.ef);
    limits.push(`kernel vs hnswlib at recall ${mid}: ${(kp.qps / hp.qps).toFixed(2)}x QPS (ef ${kp.ef} vs ${hp.ef}); ` +
      (sameEf ? `at the same ef ${kp.ef} (graph quality aside) ${(kp.qps / sameEf.qps).toFixed(2)}x, recall ${kp.recall.toFixed(4)} vs ${sameEf.recall.toFixed(4)}; ` : '') +
      (kp.distancesPerQuery ? `kernel ${kp.distancesPerQuery.toFixed(0)} distances/query, ` +
        `${((kp.latencyMs.meanMs * 1e6) / kp.distancesPerQuery).toFixed(0)} ns per distance computed (incl. heaps and visited marks)` : ''));
  }
  if (e1 && kernel) {
    const ep = atTarget(e1, mid);
    const kSame = ep && atEf(kernel, ep.ef);
    if (ep && kSame) {
      const over = ep.latencyMs.meanMs - kSame.latencyMs.meanMs;
      limits.push(`engine per-query overhead at ef ${ep.ef}: ${(over * 1000).toFixed(0)} µs mean ` +
        `(engine c=1 ${(ep.latencyMs.meanMs * 1000).toFixed(0)} µs − kernel ${(kSame.latencyMs.meanMs * 1000).toFixed(0)} µs, ` +
        `${((over / ep.latencyMs.meanMs) * 100).toFixed(0)}% of the engine's latency: the public API's validation and number[] copy, ` +
        `the read view's snapshot and slots, labels, building the answer); CPU ${ep.cpuMsPerQuery.toFixed(3)} vs ${kSame.cpuMsPerQuery.toFixed(3)} ms/query` +
        (ep.threadCpu ? ` (${fmtThreads(ep.threadCpu)})` : ''));
    }
  }
  if (e1 && kernel) {
    // The same difference at every ef both swept: the overhead does not depend on ef, so its spread is the noise.
    const diffs = e1.points.flatMap((p) => {
      const kq = atEf(kernel, p.ef);
      return kq ? [(p.latencyMs.meanMs - kq.latencyMs.meanMs) * 1000] : [];
    }).sort((x, y) => x - y);
    if (diffs.length > 1) {
      limits.push(`engine overhead over the sweep (${diffs.length} ef values): median ${diffs[diffs.length >> 1]!.toFixed(0)} µs, ` +
        `range ${diffs[0]!.toFixed(0)}–${diffs[diffs.length - 1]!.toFixed(0)} µs a query`);
    }
  }
  const goal = (l: Level | undefined) => {
    const p = l && atTarget(l, mid);
    return p && hp ? `${l!.label} ${(p.qps / hp.qps).toFixed(2)}x` : null;
  };
  const goals = [goal(kernel), goal(e1)].filter((x) => x !== null);
  if (goals.length > 0) {
    limits.push(`goal "LarchDB single-thread QPS >= hnswlib-node's at recall ${mid}": ${goals.join(', ')} ` +
      `(>= 1 meets it; the kernel is the search alone, the engine adds its per-query path)`);
  }
  for (const l of levels.filter((x) => x.concurrency > 1)) {
    const p = atTarget(l, mid);
    if (p) {
      limits.push(`${l.label}: ${p.qps.toFixed(0)} QPS at ${p.cpuMsPerQuery.toFixed(3)} ms CPU/query (all threads) → ` +
        `${CORES} cores bound it at ~${((CORES * 1000) / p.cpuMsPerQuery).toFixed(0)} QPS`);
    }
  }

  const notes = [
    `hnswlib-node and the LarchDB kernel run one search at a time on the main thread (synchronous loops). The engine levels ` +
      `are in-process and asynchronous: an unfiltered query runs from the namespace's read view on the main thread (graph ` +
      `search in WASM, ids from the arena's labels), with no message to another thread; 'c' is the number of queries in ` +
      `flight (closed loop), which the main thread runs one after another.`,
    `Matched recall: per level, the smallest swept ef whose recall@${K} over all ${nq} queries reaches the target; the recall ` +
      `there is shown (levels land at slightly different recalls). The kernel and the engine search different graphs (built ` +
      `separately from the same data and parameters), so their recall at one ef differs a little.`,
    `RSS is the whole process (every thread, WASM memories, hnswlib's native heap) after a full GC on the main thread; ` +
      `engine threads collect on their own, so freed memtables may still count. Durability 'none' (no fsync) for the engine.`,
    `Engine efSearch is changed with configureIndex between sweep points` +
      (args.reopen ? ', and the database reopened each time (--reopen): every point starts new engine threads.' :
        ` on the open database; the engine is reopened only to change its executor count.`),
    `hnswlib-node 3.0.0 is built by node-gyp without -march flags: its distance functions use SSE (128-bit), as LarchDB's WASM SIMD does.`,
  ];

  const out = {
    config: {
      data: data.name, n: data.n, dim: data.dim, queries: nq, metric: METRIC, k: K, M, efConstruction: EF_CONSTRUCTION,
      buildThreads: BUILD_THREADS, concurrency: CONC, ef: EFS, targets: TARGETS, minMs: MIN_MS, seed: SEED,
    },
    environment: { node: process.version, cores: CORES, cpu: env.cpuModel, loadAverage: { start: env.load0, end: loadavg()[0]! } },
    groundTruth: { source: data.truth ? 'file' : 'wasm-scan', float64Agreement: env.check64, scanVsFile: env.checkFile },
    rssAfterDataMb: env.rssData,
    builds,
    levels,
    matched,
    limits,
    notes,
  };
  if (JSON_OUT) {
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return;
  }

  const f = (x: number | null | undefined, w: number, d = 2) => (x === null || x === undefined ? '-' : x.toFixed(d)).padStart(w);
  const line = (w: number) => console.log('-'.repeat(w));
  console.log(`\n${data.name}, ${nq} queries, ${METRIC}, recall@${K}, M ${M}, efConstruction ${EF_CONSTRUCTION}, ${CORES} cores (${env.cpuModel})`);

  console.log('\nBuilds');
  line(118);
  console.log(`${'system'.padEnd(16)}${'step'.padEnd(28)}${'threads'.padEnd(14)}${'s'.padStart(8)}${'vec/s'.padStart(10)}${'RSS MiB'.padStart(16)}  detail`);
  line(118);
  for (const b of builds) {
    const detail = Object.entries(b.detail).map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : v}`).join(', ');
    console.log(`${b.system.padEnd(16)}${b.what.padEnd(28)}${b.threads.padEnd(14)}${f(b.ms / 1000, 8, 1)}${f(b.vectorsPerSec, 10, 0)}` +
      `${`${b.rssBeforeMb.toFixed(0)}→${b.rssAfterMb.toFixed(0)}`.padStart(16)}  ${detail}`);
  }
  line(118);

  console.log(`\nSweeps (recall@${K}, QPS, latency ms)`);
  line(147);
  console.log(`${'level'.padEnd(26)}${'ef'.padStart(5)}${'recall'.padStart(9)}${'QPS'.padStart(9)}${'p50'.padStart(9)}${'p99'.padStart(9)}` +
    `${'mean'.padStart(9)}${'cpu ms/q'.padStart(10)}${'dist/q'.padStart(8)}${'other'.padStart(7)}   ${'CPU ms/q: main / host / exec / reader / other; rq wait'}`);
  line(147);
  for (const l of levels) {
    for (const p of l.points) {
      const t = p.threadCpu;
      console.log(`${l.label.padEnd(26)}${String(p.ef).padStart(5)}${f(p.recall, 9, 4)}${f(p.qps, 9, 0)}${f(p.latencyMs.p50Ms, 9, 3)}` +
        `${f(p.latencyMs.p99Ms, 9, 3)}${f(p.latencyMs.meanMs, 9, 3)}${f(p.cpuMsPerQuery, 10, 3)}${f(p.distancesPerQuery, 8, 0)}` +
        (p.otherLoad === null ? '      ?' : `${f(p.otherLoad * 100, 6, 0)}%`) +
        (t ? `   ${[t.main, t.host, t.executors, t.readers, t.other].map((x) => x.toFixed(3)).join(' / ')}; ${t.runQueueWait.toFixed(3)}` : ''));
    }
  }
  line(147);

  console.log(`\nMatched recall (smallest ef reaching the target)`);
  line(104);
  console.log(`${'target'.padEnd(8)}${'level'.padEnd(26)}${'ef'.padStart(5)}${'recall'.padStart(9)}${'QPS'.padStart(9)}${'p50'.padStart(9)}` +
    `${'p99'.padStart(9)}${'QPS/hnswlib'.padStart(13)}${'p50/hnswlib'.padStart(13)}`);
  line(104);
  for (const m of matched) {
    for (const r of m.levels) {
      const l = levels.find((x) => x.name === r.level)!;
      const p = r.point;
      console.log(`${m.target.toFixed(2).padEnd(8)}${l.label.padEnd(26)}` +
        (p ? `${String(p.ef).padStart(5)}${f(p.recall, 9, 4)}${f(p.qps, 9, 0)}${f(p.latencyMs.p50Ms, 9, 3)}${f(p.latencyMs.p99Ms, 9, 3)}` +
          `${f(r.qpsVsHnswlib, 13)}${f(r.p50VsHnswlib, 13)}` : `${'not reached'.padStart(14)}`));
    }
    line(104);
  }

  for (const l of levels) {
    if (l.points.length >= 3 && new Set(l.points.map((p) => p.recall)).size === 1) {
      console.log(`\nwarning: ${l.label}: the same recall at every ef; efSearch does not reach its searches (try --reopen).`);
    }
  }
  const busiest = Math.max(0, ...levels.flatMap((l) => l.points.map((p) => p.otherLoad ?? 0)));
  if (busiest > 0.05) console.log(`\nwarning: other processes used up to ${(busiest * 100).toFixed(0)}% of the cores during a sweep point; the numbers are noisy.`);

  console.log(`\nWhat limits it`);
  for (const l of limits) console.log(`  - ${l}`);
  console.log('');
  for (const n of notes) console.log(n);
}

await main();
