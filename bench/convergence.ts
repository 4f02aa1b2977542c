/**
 * A bulk load converging (issue 14): queries at c=1 run from the first write until the namespace has settled (every
 * record in a graph, no job due), one line per second (QPS, p50, p99, frozen memtables, slabs); then the settled
 * namespace and hnswlib-node (same data, our M 16 / efConstruction 200, one thread) are measured at the same efSearch
 * values, with recall@10 against exact ground truth and the QPS ratio at matched recall (hnswlib interpolated); and
 * filtered queries (`--selectivity`, on the harness's `bench_bucket`: LarchDB's metadata filter against hnswlib's
 * filter callback), the two measured in alternating rounds so that other load on the machine hits both alike.
 *
 *   npm run bench:convergence -- --n 100000 --dim 384 --queries 500 --ef 32,64,128 [--max-frozen 1]
 *     [--memtable-bytes N] [--writers 4] [--batch 100] [--min-ms 1500] [--skip hnswlib] [--json]
 *
 * Data: the harness's `synthetic:NxD:clusters=N/1000:seed=1` (cosine), ground truth cached under
 * ~/.cache/larchdb/bench. In-process, in memory (`:memory:`: the log's fsyncs are not what this measures).
 *
 * @module
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import hnswlib from 'hnswlib-node';
import { makeLog, posInt } from './common.js';
import { LatencyHistogram } from './stats.js';
import { loadDataset } from './harness/load-dataset.js';
import { selectiveFilters } from './harness/ground-truth.js';
import { BUCKET_FIELD } from './harness/dataset.js';
import { LarchDB, type NamespaceStorageInfo } from '../engine/index.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '384' },
    queries: { type: 'string', default: '500' },
    ef: { type: 'string', default: '32,64,128' },
    'max-frozen': { type: 'string' },
    'memtable-bytes': { type: 'string' },
    writers: { type: 'string', default: '4' },
    batch: { type: 'string', default: '100' },
    'min-ms': { type: 'string', default: '1500' },
    skip: { type: 'string', default: '' },
    selectivity: { type: 'string', default: '0.01,0.1,0.5' },
    json: { type: 'boolean', default: false },
  },
});
const N = posInt('n', args.n);
const DIM = posInt('dim', args.dim);
const QUERIES = posInt('queries', args.queries);
const EFS = args.ef!.split(',').map((e) => posInt('ef', e));
const WRITERS = posInt('writers', args.writers);
const BATCH = posInt('batch', args.batch);
const MIN_MS = posInt('min-ms', args['min-ms']);
const SKIP = new Set(args.skip!.split(',').filter(Boolean));
const SELECTIVITIES = args.selectivity!.split(',').filter(Boolean).map(Number);
const K = 10;
const log = makeLog(args.json ?? false);

interface Second {
  t: number;
  phase: 'loading' | 'building' | 'settled';
  qps: number;
  p50: number;
  p99: number;
  frozen: number;
  slabs: number[];
  memtableRows: number;
}
interface Point {
  ef: number;
  qps: number;
  recall: number;
  p50: number;
}

const cacheDir = join(homedir(), '.cache/larchdb/bench');
const ds = await loadDataset({ spec: `synthetic:${N}x${DIM}:clusters=${Math.max(1, Math.round(N / 1000))}:seed=1`, queries: QUERIES, k: K, cacheDir, onProgress: log });
const filters = selectiveFilters(ds, SELECTIVITIES, K, cacheDir, log);
const bucket = Int32Array.from(ds.metadata, (m) => Number(m[BUCKET_FIELD]));
const vec = (i: number) => ds.vectors.subarray(i * DIM, (i + 1) * DIM);
const query = (i: number) => ds.queries.subarray(i * DIM, (i + 1) * DIM);
const recallOf = (q: number, ids: ArrayLike<number>, rows: Int32Array = ds.truth.rows) => {
  const t = new Set(rows.subarray(q * ds.truth.k, q * ds.truth.k + K));
  let hit = 0;
  for (let i = 0; i < Math.min(K, ids.length); i++) if (t.has(ids[i]!)) hit++;
  return hit / K;
};

// ---- the load, with queries throughout ----
const db = await LarchDB.open({
  path: ':memory:',
  ...(args['max-frozen'] ? { maxFrozenMemtables: posInt('max-frozen', args['max-frozen']) } : {}),
  ...(args['memtable-bytes'] ? { memtableBytes: posInt('memtable-bytes', args['memtable-bytes']) } : {}),
});
await db.createIndex({ name: 'conv', dimension: DIM, metric: 'cosine', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
const index = db.index('conv');
const info = async (): Promise<NamespaceStorageInfo> =>
  (await db.storageInfo('conv')) ?? ({ frozen: 0, slabRows: [], memtableRows: 0, busy: true } as unknown as NamespaceStorageInfo);

log(`loading ${N} × ${DIM} with ${WRITERS} writers × ${BATCH} records, one query at a time throughout`);
const t0 = performance.now();
let next = 0;
let loadedAt = 0;
const writer = async () => {
  while (next < N) {
    const from = next;
    next = Math.min(N, next + BATCH);
    const records = [];
    for (let i = from; i < next; i++) records.push({ id: String(i), values: Array.from(vec(i)), metadata: { [BUCKET_FIELD]: bucket[i]! } });
    await index.upsert(records);
  }
};
const load = Promise.all(Array.from({ length: WRITERS }, writer)).then(() => (loadedAt = performance.now()));
let stop = false;
let window = new LatencyHistogram();
const phases = { loading: new LatencyHistogram(), building: new LatencyHistogram() };
const querier = (async () => {
  for (let q = 0; !stop; q++) {
    const a = performance.now();
    await index.query({ vector: Array.from(query(q % QUERIES)), topK: K });
    const ms = performance.now() - a;
    window.record(ms);
    (loadedAt === 0 ? phases.loading : phases.building).record(ms);
  }
})();
const seconds: Second[] = [];
let settledAt = 0;
for (;;) {
  await new Promise((r) => setTimeout(r, 1000));
  const s = await info();
  const w = window.summary();
  window = new LatencyHistogram();
  const phase = loadedAt === 0 ? 'loading' : s.busy || s.frozen > 0 ? 'building' : 'settled';
  const row: Second = { t: (performance.now() - t0) / 1000, phase, qps: w.count, p50: w.p50Ms, p99: w.p99Ms, frozen: s.frozen, slabs: s.slabRows, memtableRows: s.memtableRows };
  seconds.push(row);
  log(`${row.t.toFixed(0).padStart(4)} s  ${phase.padEnd(8)} ${String(row.qps).padStart(5)} q/s  p50 ${row.p50.toFixed(2).padStart(6)}  p99 ${row.p99.toFixed(2).padStart(7)} ms  frozen ${row.frozen}  slabs ${JSON.stringify(row.slabs)}  memtable ${row.memtableRows}`);
  if (phase === 'settled') {
    settledAt = performance.now();
    break;
  }
}
await load;
stop = true;
await querier;
const loadMs = loadedAt - t0;
const settleMs = settledAt - loadedAt;
const final = await info();
log(`loaded in ${(loadMs / 1000).toFixed(1)} s (${((N / loadMs) * 1000).toFixed(0)} records/s acknowledged); settled ${(settleMs / 1000).toFixed(1)} s after the last write: slabs ${JSON.stringify(final.slabRows)}, flushes ${final.flushes}, merges ${final.merges}, graphs extended ${final.graphsExtended}`);

// ---- settled: engine vs hnswlib at the same ef ----
function sweepPoint(ef: number, search: (q: number) => ArrayLike<number> | Promise<ArrayLike<number>>): Promise<Point> {
  return (async () => {
    let recall = 0;
    for (let q = 0; q < QUERIES; q++) recall += recallOf(q, await search(q));
    const h = new LatencyHistogram();
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < MIN_MS || n < QUERIES) {
      const a = performance.now();
      await search(n % QUERIES);
      h.record(performance.now() - a);
      n++;
    }
    return { ef, qps: (n / (performance.now() - start)) * 1000, recall: recall / QUERIES, p50: h.summary().p50Ms };
  })();
}
const settledH = new LatencyHistogram();
for (let start = performance.now(), q = 0; performance.now() - start < MIN_MS; q++) {
  const a = performance.now();
  await index.query({ vector: Array.from(query(q % QUERIES)), topK: K });
  settledH.record(performance.now() - a);
}
const settled = settledH.summary();
const during = phases.building.summary();
const loading = phases.loading.summary();
log(`queries at c=1, default ef: while loading p50 ${loading.p50Ms.toFixed(2)} p99 ${loading.p99Ms.toFixed(2)} ms; after the last write, builds running, p50 ${during.p50Ms.toFixed(2)} p99 ${during.p99Ms.toFixed(2)} ms (${during.count} queries); settled p50 ${settled.p50Ms.toFixed(2)} p99 ${settled.p99Ms.toFixed(2)} ms: p99 while building / settled ${(during.p99Ms / settled.p99Ms).toFixed(1)}x`);
const engine: Point[] = [];
for (const ef of EFS) {
  await db.configureIndex('conv', { hnsw: { efSearch: ef } });
  const p = await sweepPoint(ef, async (q) => (await index.query({ vector: Array.from(query(q)), topK: K })).matches.map((m) => Number(m.id)));
  engine.push(p);
  log(`engine   ef ${String(ef).padStart(4)}: ${p.qps.toFixed(0).padStart(6)} QPS  recall ${p.recall.toFixed(3)}  p50 ${p.p50.toFixed(3)} ms`);
}

const peer: Point[] = [];
let peerBuildMs = 0;
let peerIndex: InstanceType<typeof hnswlib.HierarchicalNSW> | undefined;
if (!SKIP.has('hnswlib')) {
  const h = new hnswlib.HierarchicalNSW('cosine', DIM);
  peerIndex = h;
  h.initIndex(N, 16, 200, 1);
  const b0 = performance.now();
  for (let i = 0; i < N; i++) h.addPoint(Array.from(vec(i)), i);
  peerBuildMs = performance.now() - b0;
  log(`hnswlib-node build: ${(peerBuildMs / 1000).toFixed(1)} s (one thread)`);
  for (const ef of EFS) {
    h.setEf(Math.max(ef, K));
    const p = await sweepPoint(ef, (q) => h.searchKnn(Array.from(query(q)), K).neighbors);
    peer.push(p);
    log(`hnswlib  ef ${String(ef).padStart(4)}: ${p.qps.toFixed(0).padStart(6)} QPS  recall ${p.recall.toFixed(3)}  p50 ${p.p50.toFixed(3)} ms`);
  }
}

// ---- filtered: LarchDB's metadata filter vs hnswlib's filter callback, default ef, alternating rounds ----
const DEFAULT_EF = 80;
await db.configureIndex('conv', { hnsw: { efSearch: DEFAULT_EF } });
peerIndex?.setEf(DEFAULT_EF);
interface FilteredPoint { selectivity: number; engineQps: number; engineRecall: number; peerQps: number | null; peerRecall: number | null }
const filtered: FilteredPoint[] = [];
for (const f of filters) {
  const below = Math.round(f.selectivity * 10000);
  const engineSearch = async (q: number) => (await index.query({ vector: Array.from(query(q)), topK: K, filter: f.filter })).matches.map((m) => Number(m.id));
  const peerSearch = peerIndex && ((q: number) => peerIndex.searchKnn(Array.from(query(q)), K, (label: number) => bucket[label]! < below).neighbors);
  const rounds: { engine: number[]; peer: number[] } = { engine: [], peer: [] };
  const pass = async (search: (q: number) => ArrayLike<number> | Promise<ArrayLike<number>>): Promise<number> => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < MIN_MS / 2 || n < QUERIES) await search(n++ % QUERIES);
    return (n / (performance.now() - start)) * 1000;
  };
  let engineRecall = 0;
  let peerRecall = 0;
  for (let q = 0; q < QUERIES; q++) {
    engineRecall += recallOf(q, await engineSearch(q), f.truth.rows);
    if (peerSearch) peerRecall += recallOf(q, peerSearch(q), f.truth.rows);
  }
  for (let r = 0; r < 2; r++) {
    rounds.engine.push(await pass(engineSearch));
    if (peerSearch) rounds.peer.push(await pass(peerSearch));
  }
  const best = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const point: FilteredPoint = {
    selectivity: f.actualSelectivity,
    engineQps: best(rounds.engine),
    engineRecall: engineRecall / QUERIES,
    peerQps: peerSearch ? best(rounds.peer) : null,
    peerRecall: peerSearch ? peerRecall / QUERIES : null,
  };
  filtered.push(point);
  log(`filtered ${(point.selectivity * 100).toFixed(1)}%: engine ${point.engineQps.toFixed(0)} QPS @ ${point.engineRecall.toFixed(3)}` +
    (point.peerQps === null ? '' : `, hnswlib filter callback ${point.peerQps.toFixed(0)} QPS @ ${point.peerRecall!.toFixed(3)}: ${(point.engineQps / point.peerQps).toFixed(2)}x`));
}
await db.close();

/** hnswlib's QPS at `recall`, interpolated between its two points around it (null outside its range). */
function peerQpsAt(recall: number): number | null {
  const pts = [...peer].sort((a, b) => a.recall - b.recall);
  for (let i = 0; i + 1 < pts.length; i++) {
    const a = pts[i]!;
    const b = pts[i + 1]!;
    if (recall >= a.recall && recall <= b.recall) return b.recall === a.recall ? Math.max(a.qps, b.qps) : a.qps + ((b.qps - a.qps) * (recall - a.recall)) / (b.recall - a.recall);
  }
  return null;
}
const ratios = engine.map((p) => ({ ef: p.ef, recall: p.recall, ratio: peerQpsAt(p.recall) === null ? null : p.qps / peerQpsAt(p.recall)! }));
for (const r of ratios) log(`matched recall ${r.recall.toFixed(3)} (engine ef ${r.ef}): engine / hnswlib ${r.ratio === null ? 'n/a (outside hnswlib\'s range)' : `${r.ratio.toFixed(2)}x`}`);
if (args.json) {
  process.stdout.write(`${JSON.stringify({ n: N, dim: DIM, loadMs, settleMs, final, seconds, queriesWhileLoading: loading, queriesWhileBuilding: during, settled, engine, peer, peerBuildMs, ratios, filtered }, null, 2)}\n`);
}
