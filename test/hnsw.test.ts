/**
 * HNSW kernel and wrapper (actors/hnsw-index.ts) on real and synthetic data: recall@10 against ground truth or exact
 * search with the default parameters, filtered search at several selectivities, and concurrent searches from worker
 * threads. Prints recall, build time, single-thread QPS and graph memory per vector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Arena } from '../actors/arena.js';
import { HNSW_DEFAULTS, HnswSearcher, allocHnswScratch, buildHnsw, bytesPerVector, type HnswHandle } from '../actors/hnsw-index.js';

/** The shared datasets live next to the repository: <repo>/../shared/datasets (this file runs from dist/test). */
const DATASETS = new URL('../../../shared/datasets/', import.meta.url);

function readVecs<T extends Float32Array | Int32Array>(file: URL, Ctor: new (b: ArrayBuffer) => T): T[] {
  const b = readFileSync(fileURLToPath(file));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dim = dv.getInt32(0, true);
  const rec = 4 + 4 * dim;
  assert.equal(b.byteLength % rec, 0, `${file.pathname}: not a ${dim}-d vecs file`);
  const out: T[] = [];
  for (let i = 0; i < b.byteLength / rec; i++) {
    assert.equal(dv.getInt32(i * rec, true), dim);
    out.push(new Ctor(b.buffer.slice(b.byteOffset + i * rec + 4, b.byteOffset + (i + 1) * rec)));
  }
  return out;
}

function arenaOf(vectors: ArrayLike<number>[], dim: number): Arena {
  const a = new Arena(dim);
  for (const v of vectors) a.append(v, undefined, 1);
  return a;
}

/** Fraction of `truth` (the first k of it) found in `got`. */
function recallAt(got: ArrayLike<number>, truth: ArrayLike<number>, k: number): number {
  const want = new Set(Array.from(truth).slice(0, k));
  let hit = 0;
  for (let i = 0; i < Math.min(k, got.length); i++) if (want.has(got[i]!)) hit++;
  return hit / Math.min(k, want.size);
}

/** Single-thread queries per second over `queries` (repeated to run at least ~200 ms). */
function qps(s: HnswSearcher, queries: ArrayLike<number>[], k: number, ef?: number): number {
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
});
