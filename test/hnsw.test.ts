/**
 * The HNSW kernel and its TypeScript side (actors/builder/hnsw-build.ts, actors/shared/hnsw-*.ts) on real and
 * synthetic data: recall@10 against ground truth or exact search with the default parameters, filtered search at
 * several selectivities, and concurrent searches from worker threads. Prints recall, build time, single-thread QPS and graph memory per vector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Arena, KernelMetric, buildHnsw, buildHnswParallel, type HnswHandle } from '../engine/internal.js';
import { HNSW_DEFAULTS } from '../engine/core/index-config.js';
import type { Metric } from '../engine/core/types.js';
import { EXACT_COST_RATIO, WALK_SURPRISE, WalkModel, exactCostRatio } from '../actors/shared/hnsw-search.js';
import { HnswSearcher, allocHnswScratch, bytesPerVector, exactTopK, searchHnsw } from '../bench/kernel-search.js';
import { rng } from './helpers.js';
import { DATASETS, clustered, readVecs, recallAt } from './ann-data.js';

function arenaOf(vectors: ArrayLike<number>[], dim: number): Arena {
  const a = new Arena(dim);
  for (const v of vectors) a.append(v, undefined, 1);
  return a;
}

/** Single-thread queries per second over `queries` (repeated to run at least ~200 ms). */
function qps(s: HnswSearcher, queries: ArrayLike<number>[], k: number, ef?: number): number {
  for (const q of queries) s.search(q, k, { ef }); // warm up
  let n = 0;
  const t0 = performance.now();
  do {
    for (const q of queries) s.search(q, k, { ef });
    n += queries.length;
  } while (performance.now() - t0 < 200);
  return (n / (performance.now() - t0)) * 1000;
}

function describe(name: string, h: HnswHandle, recall: number, q: number): void {
  console.log(
    `${name}: n=${h.n} dim=${h.dim} M=${h.M} efC=${h.efConstruction} ef=${h.efSearch} maxLevel=${h.maxLevel} ` +
      `recall@10=${recall.toFixed(4)} build=${h.buildMs.toFixed(0)} ms (${((h.n / h.buildMs) * 1000).toFixed(0)} vec/s) ` +
      `QPS(1 thread)=${q.toFixed(0)} graph=${bytesPerVector(h).toFixed(1)} B/vector`,
  );
}

test('ngt-sift-5k (euclidean): defaults reach recall@10 >= 0.95 against the ground truth', () => {
  const dir = new URL('ngt-sift-5k/', DATASETS);
  const base = readVecs(new URL('sift5k_base.fvecs', dir), Float32Array);
  const queries = readVecs(new URL('sift5k_query.fvecs', dir), Float32Array);
  const truth = readVecs(new URL('sift5k_groundtruth.ivecs', dir), Int32Array);
  assert.equal(base.length, 4500);
  assert.equal(queries.length, 500);
  assert.equal(truth.length, 500);
  const arena = arenaOf(base, 128);
  const h = buildHnsw(arena, 'euclidean');
  assert.equal(h.n, 4500);
  assert.equal(h.M, HNSW_DEFAULTS.M);
  assert.equal(h.M0, 2 * HNSW_DEFAULTS.M);
  const s = new HnswSearcher(arena.memory, h, allocHnswScratch(arena, h));
  let recall = 0;
  for (const [i, q] of queries.entries()) {
    const r = s.search(q, 10);
    assert.equal(r.rows.length, 10);
    assert.equal(r.exact, false);
    // Keys are -squared distance, best first, and match the row's true distance.
    for (let j = 0; j < 10; j++) {
      const v = base[r.rows[j]!]!;
      let d = 0;
      for (let x = 0; x < 128; x++) d += (v[x]! - q[x]!) ** 2;
      assert.ok(Math.abs(-r.keys[j]! - d) <= 1e-5 * Math.max(1, d), `key of row ${r.rows[j]}`);
      if (j > 0) assert.ok(r.keys[j - 1]! >= r.keys[j]!, 'best first');
    }
    recall += recallAt(r.rows, truth[i]!, 10);
  }
  recall /= queries.length;
  describe('ngt-sift-5k', h, recall, qps(s, queries, 10));
  assert.ok(recall >= 0.95, `recall@10 ${recall}`);
  assert.ok(checkGraph(arena.memory, h) >= 0.999);
  // The owner-thread convenience gives the same answers, and grows its scratch when k outgrows it.
  assert.deepEqual(Array.from(searchHnsw(arena, h, queries[1]!, 10).rows), Array.from(s.search(queries[1]!, 10).rows));
  const big = searchHnsw(arena, h, queries[1]!, 1500);
  assert.equal(big.rows.length, 1500);
  assert.equal(new Set(big.rows).size, 1500);
  for (let j = 1; j < 1500; j++) assert.ok(big.keys[j - 1]! >= big.keys[j]!);
  assert.ok(recallAt(big.rows, truth[1]!, 10) >= 0.9);
});


/** A bitmap over n rows with each bit set with probability `p` (seeded). */
function randomBitmap(n: number, p: number, seed: number): Uint32Array {
  const r = rng(seed);
  const bits = new Uint32Array(Math.ceil(n / 32));
  for (let i = 0; i < n; i++) if (r() < p) bits[i >>> 5]! |= 1 << (i & 31);
  return bits;
}

function popcount(bits: Uint32Array): number {
  let c = 0;
  for (let w of bits) for (; w; w &= w - 1) c++;
  return c;
}

/**
 * Checks a graph's structure from its header (wasm/assembly/layout.ts, read here by position as an independent
 * check): list sizes within M / M0, neighbors are other existing nodes of a high enough level, no duplicates;
 * returns the share of nodes reachable on layer 0 from the entry point.
 */
function checkGraph(memory: WebAssembly.Memory, h: HnswHandle): number {
  const u = new Uint32Array(memory.buffer);
  const g = h.graph / 4;
  const [magic, version, n, count, M, M0, maxLevel, entry] = u.subarray(g, g + 8);
  assert.deepEqual([magic, version, n, count, M, M0, maxLevel, entry], [0x57534e48, 1, h.n, h.n, h.M, h.M0, h.maxLevel, h.entry]);
  const [links0, levelsAt, upperAt] = u.subarray(g + 10, g + 13);
  const levels = new Uint8Array(memory.buffer, h.graph + levelsAt!, h.n);
  assert.equal(levels[h.entry], h.maxLevel);
  const list = (v: number, l: number): Uint32Array => {
    const at = l === 0 ? h.graph + links0! + v * (1 + h.M0) * 4 : h.graph + u[g + upperAt! / 4 + v]! + (l - 1) * (1 + h.M) * 4;
    return u.subarray(at / 4 + 1, at / 4 + 1 + u[at / 4]!);
  };
  for (let v = 0; v < h.n; v++) {
    assert.ok(levels[v]! <= h.maxLevel);
    for (let l = 0; l <= levels[v]!; l++) {
      const nb = list(v, l);
      assert.ok(nb.length <= (l === 0 ? h.M0 : h.M), `node ${v} layer ${l}: ${nb.length} links`);
      assert.equal(new Set(nb).size, nb.length, `node ${v} layer ${l}: duplicate links`);
      for (const w of nb) assert.ok(w < h.n && w !== v && levels[w]! >= l, `node ${v} layer ${l}: bad link ${w}`);
      if (h.n > 1 && l === 0) assert.ok(nb.length > 0, `node ${v} has no links`);
    }
  }
  const seen = new Uint8Array(h.n);
  const stack = [h.entry];
  seen[h.entry] = 1;
  let reached = 1;
  while (stack.length) {
    for (const w of list(stack.pop()!, 0)) {
      if (!seen[w]) {
        seen[w] = 1;
        reached++;
        stack.push(w);
      }
    }
  }
  return reached / h.n;
}

const SYN_N = 20_000;
const SYN_DIM = 128;
const SYN_Q = 200;
let syn: { arena: Arena; h: HnswHandle; s: HnswSearcher; queries: Float32Array[]; cluster: Uint16Array } | undefined;

/** The synthetic index shared by the tests below (built once). */
function synIndex(): NonNullable<typeof syn> {
  if (syn) return syn;
  const { vectors, cluster } = clustered(SYN_N + SYN_Q, SYN_DIM, 20_241);
  const arena = arenaOf(vectors.slice(0, SYN_N), SYN_DIM);
  const h = buildHnsw(arena, 'cosine');
  const s = new HnswSearcher(arena.memory, h, allocHnswScratch(arena, h));
  return (syn = { arena, h, s, queries: vectors.slice(SYN_N), cluster: cluster.slice(0, SYN_N) });
}

test(`synthetic clustered ${SYN_N} x ${SYN_DIM} (cosine): defaults reach recall@10 >= 0.95 against exact search`, () => {
  const { arena, h, s, queries } = synIndex();
  const truth = exactTopK(arena, KernelMetric.Cosine, queries, 10);
  let recall = 0;
  for (const [i, q] of queries.entries()) {
    const r = s.search(q, 10);
    assert.equal(r.rows.length, 10);
    // Keys are the scan kernel's, bit for bit (so graph results merge with scan heaps).
    const at = new Map(Array.from(truth[i]!.rows, (row, j) => [row, truth[i]!.keys[j]!]));
    r.rows.forEach((row, j) => at.has(row) && assert.equal(r.keys[j], at.get(row), `key of row ${row}`));
    recall += recallAt(r.rows, truth[i]!.rows, 10);
  }
  recall /= queries.length;
  describe('synthetic', h, recall, qps(s, queries, 10));
  assert.ok(recall >= 0.95, `recall@10 ${recall}`);
  const reach = checkGraph(arena.memory, h);
  console.log(`synthetic: ${(reach * 100).toFixed(2)}% of nodes reachable on layer 0`);
  assert.ok(reach >= 0.999, `reachable ${reach}`);
});

test('parallel build (2 threads): a sound graph with the same recall', async () => {
  const { arena, h: seq, queries } = synIndex();
  let progress = 0;
  const h = await buildHnswParallel(arena, 'cosine', { threads: 2, onProgress: (done) => (progress = done) });
  assert.equal(progress, h.n);
  const reach = checkGraph(arena.memory, h);
  const s = new HnswSearcher(arena.memory, h, allocHnswScratch(arena, h));
  const truth = exactTopK(arena, KernelMetric.Cosine, queries, 10);
  let recall = 0;
  for (const [i, q] of queries.entries()) recall += recallAt(s.search(q, 10).rows, truth[i]!.rows, 10);
  recall /= queries.length;
  describe('synthetic, parallel build', h, recall, qps(s, queries, 10));
  console.log(`parallel build: ${(seq.buildMs / h.buildMs).toFixed(2)}x the sequential build's speed, ${(reach * 100).toFixed(2)}% reachable`);
  assert.ok(recall >= 0.95, `recall@10 ${recall}`);
  assert.ok(reach >= 0.999, `reachable ${reach}`);
});

test("extending a graph (a merge reuses its largest input's): the first rows' lists are kept, the rest inserted, same recall", async () => {
  const { arena: whole, queries } = synIndex();
  const half = SYN_N / 2;
  // The first half in an arena of its own, as the older slab of a merge; the merged slab holds all rows.
  const older = arenaOf(Array.from({ length: half }, (_, r) => whole.dense(r)), SYN_DIM);
  const first = buildHnsw(older, 'cosine');
  const merged = arenaOf(Array.from({ length: SYN_N }, (_, r) => whole.dense(r)), SYN_DIM);
  const h = await buildHnswParallel(merged, 'cosine', { threads: 2, prefix: { memory: older.memory, handle: first } });
  const reach = checkGraph(merged.memory, h);
  // Insertions only add links to old nodes' lists (or replace some by pruning): most of the first graph survives.
  const L0 = (memory: WebAssembly.Memory, g: HnswHandle, v: number) => {
    const at = g.graph / 4 + 16 + v * (1 + g.M0);
    const u = new Uint32Array(memory.buffer);
    return new Set(u.subarray(at + 1, at + 1 + u[at]!));
  };
  let kept = 0;
  let total = 0;
  for (let v = 0; v < half; v += 7) {
    const a = L0(older.memory, first, v);
    const b = L0(merged.memory, h, v);
    for (const w of a) kept += b.has(w) ? 1 : 0;
    total += a.size;
  }
  const s = new HnswSearcher(merged.memory, h, allocHnswScratch(merged, h));
  const truth = exactTopK(merged, KernelMetric.Cosine, queries, 10);
  let recall = 0;
  for (const [i, q] of queries.entries()) recall += recallAt(s.search(q, 10).rows, truth[i]!.rows, 10);
  recall /= queries.length;
  console.log(
    `extended graph: ${half} rows reused, ${SYN_N - half} inserted in ${h.buildMs.toFixed(0)} ms (${first.buildMs.toFixed(0)} ms for the first half), ` +
      `recall@10=${recall.toFixed(4)}, ${((kept / total) * 100).toFixed(1)}% of old layer-0 links kept, ${(reach * 100).toFixed(2)}% reachable`,
  );
  assert.equal(h.maxLevel >= first.maxLevel, true);
  assert.ok(kept / total > 0.5, `kept ${kept}/${total}`);
  assert.ok(recall >= 0.95, `recall@10 ${recall}`);
  assert.ok(reach >= 0.999, `reachable ${reach}`);
  // Extending by nothing gives the same graph back.
  const same = buildHnsw(older, 'cosine', { prefix: { memory: older.memory, handle: first } });
  assert.deepEqual(new Uint8Array(older.memory.buffer, same.graph, same.bytes), new Uint8Array(older.memory.buffer, first.graph, first.bytes));
  assert.throws(() => buildHnsw(merged, 'cosine', { M: 8, prefix: { memory: older.memory, handle: first } }), /does not fit/);
});

for (const metric of ['dotproduct', 'euclidean'] as const) {
  test(`synthetic 5k x 64 (${metric}): recall@10 >= 0.95 against exact search`, () => {
    const { vectors } = clustered(5000 + 100, 64, 77, 10, 1);
    const arena = arenaOf(vectors.slice(0, 5000), 64);
    const h = buildHnsw(arena, metric as Metric);
    const s = new HnswSearcher(arena.memory, h, allocHnswScratch(arena, h));
    const queries = vectors.slice(5000);
    const truth = exactTopK(arena, h.metric, queries, 10);
    let recall = 0;
    for (const [i, q] of queries.entries()) recall += recallAt(s.search(q, 10).rows, truth[i]!.rows, 10);
    recall /= queries.length;
    describe(`synthetic ${metric}`, h, recall, qps(s, queries, 10));
    assert.ok(recall >= 0.95, `recall@10 ${recall}`);
  });
}

test('filtered search at 1%, 10%, 50% selectivity: recall@10 >= 0.95 against exact filtered top-10, graph and auto', () => {
  const { arena, h, s, queries } = synIndex();
  for (const sel of [0.01, 0.1, 0.5]) {
    const bits = randomBitmap(h.n, sel, Math.round(sel * 1000) + 1);
    const set = popcount(bits);
    const truth = exactTopK(arena, KernelMetric.Cosine, queries, 10, bits);
    for (const mode of ['graph', 'auto'] as const) {
      let recall = 0;
      let exact = 0;
      let distances = 0;
      const t0 = performance.now();
      for (const [i, q] of queries.entries()) {
        const r = s.search(q, 10, { bits, mode });
        for (const row of r.rows) assert.ok((bits[row >>> 5]! >>> (row & 31)) & 1, `row ${row} is outside the filter`);
        assert.equal(r.rows.length, 10);
        recall += recallAt(r.rows, truth[i]!.rows, 10);
        exact += r.exact ? 1 : 0;
        distances += r.distances;
      }
      const ms = (performance.now() - t0) / queries.length;
      recall /= queries.length;
      console.log(
        `filter ${(sel * 100).toFixed(0)}% (${set} rows) ${mode}: recall@10=${recall.toFixed(4)} ` +
          `${ms.toFixed(3)} ms/query ${(distances / queries.length).toFixed(0)} distances/query, exact scan for ${exact}/${queries.length}`,
      );
      assert.ok(recall >= 0.95, `selectivity ${sel} ${mode}: recall@10 ${recall}`);
      if (mode === 'graph') assert.equal(exact, 0);
    }
  }
  // The model sends a 1% filter to the scan and a 50% one to the graph.
  assert.equal(s.preferExact(Math.round(h.n * 0.01)), true);
  assert.equal(s.preferExact(Math.round(h.n * 0.5)), false);
});

test('the filter cost model: in-cache data favours the exact scan, large wide data the walk', () => {
  const m = new WalkModel();
  // 20k × 128 (10 MB, in cache): a 10% filter is scanned; 100k × 384 (150 MB): a 10% filter walks the graph, 1% scans.
  assert.equal(exactCostRatio(20_000, 128), EXACT_COST_RATIO);
  assert.equal(m.preferExact(20_000, 2_000, 80, 128), true);
  assert.equal(m.preferExact(100_000, 10_000, 80, 384), false);
  assert.equal(m.preferExact(100_000, 1_000, 80, 384), true);
  assert.ok(exactCostRatio(100_000, 768) >= 1, 'never below 1: a scanned row is never dearer than a walked one');
});

test('filter correlated against the query (other clusters only) and tiny filters keep recall', () => {
  const { arena, h, s, queries, cluster } = synIndex();
  // Allowed: the rows of clusters 0 and 1 (~10%); queries: those nearest to other clusters, so the graph has to walk
  // out of the query's neighborhood to find any allowed row.
  const bits = new Uint32Array(Math.ceil(h.n / 32));
  for (let i = 0; i < h.n; i++) if (cluster[i]! < 2) bits[i >>> 5]! |= 1 << (i & 31);
  const nearest = exactTopK(arena, KernelMetric.Cosine, queries, 1);
  const far = queries.filter((_, i) => cluster[nearest[i]!.rows[0]!]! >= 2).slice(0, 50);
  assert.ok(far.length >= 40);
  const truth = exactTopK(arena, KernelMetric.Cosine, far, 10, bits);
  const walk = (searcher: HnswSearcher, ef: number, mode: 'graph' | 'auto', what: string) => {
    let recall = 0;
    let exact = 0;
    let distances = 0;
    for (const [i, q] of far.entries()) {
      const r = searcher.search(q, 10, { bits, mode, ef });
      recall += recallAt(r.rows, truth[i]!.rows, 10);
      exact += r.exact ? 1 : 0;
      distances += r.distances;
    }
    recall /= far.length;
    console.log(
      `correlated filter (${popcount(bits)} rows, other clusters) ${what} ef=${ef}: recall@10=${recall.toFixed(4)} ` +
        `${(distances / far.length).toFixed(0)} distances/query, exact scan for ${exact}/${far.length}`,
    );
    return { recall, exact, distances: distances / far.length };
  };
  // The walk alone needs a larger ef here: the allowed rows are nearly equidistant from the query, far from it.
  const g64 = walk(s, 64, 'graph', 'graph');
  assert.ok(g64.distances > WALK_SURPRISE * s.filteredWalk(popcount(bits), 64), 'the walk is longer than the model says');
  assert.ok(walk(s, 512, 'graph', 'graph').recall >= 0.95);
  // 'auto' scans: up front (the cost model's choice at this size), or after noticing the long walk.
  const auto = walk(s, 64, 'auto', 'auto');
  assert.ok(auto.recall >= 0.95 && auto.exact === far.length, `auto recall@10 ${auto.recall}`);
  const graphFirst = new HnswSearcher(arena.memory, h, s.scratch);
  graphFirst.model.preferExact = () => false;
  const late = walk(graphFirst, 64, 'auto', 'auto, graph first');
  assert.ok(late.recall >= 0.95 && late.exact >= far.length / 2, `recall@10 ${late.recall}, scanned after the walk ${late.exact}`);

  // Fewer set rows than k: all of them, best first; none: nothing.
  const few = new Uint32Array(Math.ceil(h.n / 32));
  for (const row of [3, 999, 12_345, h.n - 1]) few[row >>> 5]! |= 1 << (row & 31);
  const want = exactTopK(arena, KernelMetric.Cosine, [queries[0]!], 10, few)[0]!;
  for (const mode of ['auto', 'exact', 'graph'] as const) {
    const r = s.search(queries[0]!, 10, { bits: few, mode });
    assert.deepEqual(Array.from(r.rows), Array.from(want.rows), mode);
    assert.deepEqual(Array.from(r.keys), Array.from(want.keys), mode);
  }
  assert.equal(s.search(queries[0]!, 10, { bits: new Uint32Array(Math.ceil(h.n / 32)) }).rows.length, 0);
});

/** A worker that searches one graph with its own scratch, `rounds` times over, once told to start. */
const SEARCH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then(({ HnswSearcher }) => {
  const { memory, handle, scratch, queries, bits, rounds } = workerData;
  const s = new HnswSearcher(memory, handle, scratch);
  parentPort.once('message', () => {
    const t0 = performance.timeOrigin + performance.now();
    let first;
    let same = true;
    for (let r = 0; r < rounds; r++) {
      const out = queries.map((q) => Array.from(s.search(q, 10, bits ? { bits, mode: 'graph' } : {}).rows));
      if (r === 0) first = out;
      else same = same && JSON.stringify(out) === JSON.stringify(first);
    }
    parentPort.postMessage({ first, same, t0, t1: performance.timeOrigin + performance.now() });
  });
  parentPort.postMessage('ready');
});
`;

test('two worker threads searching one graph at once get the sequential answers', async () => {
  const { arena, h, s, queries } = synIndex();
  const bits = randomBitmap(h.n, 0.3, 99);
  const want = [undefined, bits].map((b) => queries.map((q) => Array.from(s.search(q, 10, b ? { bits: b, mode: 'graph' } : {}).rows)));
  const module = new URL('../bench/kernel-search.js', import.meta.url).href;
  const workers = [undefined, bits].map(
    (b) =>
      new Worker(SEARCH_WORKER, {
        eval: true,
        workerData: { module, memory: arena.memory, handle: h, scratch: allocHnswScratch(arena, h), queries, bits: b, rounds: 5 },
      }),
  );
  try {
    const next = (w: Worker) =>
      new Promise<any>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    await Promise.all(workers.map(next)); // both ready
    const done = workers.map(next);
    for (const w of workers) w.postMessage('go');
    const got = await Promise.all(done);
    got.forEach((g, i) => {
      assert.equal(g.same, true, `worker ${i}: every round gives the same answers`);
      assert.deepEqual(g.first, want[i], `worker ${i}: same answers as sequential`);
    });
    // They did run at the same time.
    assert.ok(got[0].t0 < got[1].t1 && got[1].t0 < got[0].t1, 'the two workers overlapped');
    console.log(`concurrent: worker runs ${got.map((g) => `${(g.t1 - g.t0).toFixed(0)} ms`).join(', ')}, overlapping`);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
});

test('tiny graphs (0, 1, 2, 40 rows) answer exactly, and NaN rows are never returned', () => {
  for (const n of [0, 1, 2, 40]) {
    const { vectors } = clustered(n + 3, 8, 5 + n, 2, 1);
    const arena = arenaOf(vectors.slice(0, n), 8);
    const h = buildHnsw(arena, 'euclidean');
    assert.equal(h.maxLevel, n === 0 ? -1 : h.maxLevel);
    const s = new HnswSearcher(arena.memory, h, allocHnswScratch(arena, h));
    for (const q of vectors.slice(n)) {
      const r = s.search(q, 10);
      const want = n === 0 ? { rows: new Uint32Array(0), keys: new Float32Array(0) } : exactTopK(arena, KernelMetric.Euclidean, [q], 10)[0]!;
      assert.deepEqual(Array.from(r.rows), Array.from(want.rows), `n=${n}`);
      assert.deepEqual(Array.from(r.keys), Array.from(want.keys), `n=${n}`);
    }
    if (n > 0) checkGraph(arena.memory, h);
  }
  // A row of NaNs is indexed (it is a row) but never comes back, as with scanTopK.
  const { vectors } = clustered(300, 8, 9, 3, 1);
  vectors[7] = new Float32Array(8).fill(NaN);
  const arena = arenaOf(vectors, 8);
  for (const metric of ['cosine', 'euclidean', 'dotproduct'] as const) {
    const h = buildHnsw(arena, metric);
    const s = new HnswSearcher(arena.memory, h, allocHnswScratch(arena, h));
    const r = s.search(vectors[7 + 1]!, 300, { ef: 300 });
    assert.ok(!r.rows.includes(7), metric);
    assert.equal(r.rows.length, 299, metric);
  }
});
