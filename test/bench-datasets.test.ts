/**
 * The bench harness's datasets (bench/harness/load-dataset.ts, ground-truth.ts): each format written as a real file
 * in a temp dir and read back (counts, dimension, exact values, held-out queries), ground truth from the file or
 * computed with the WASM kernel (checked against a float64 brute force here), its cache, synthetic determinism,
 * buckets of known selectivity with filtered truth, recall@k, and one-line errors for bad input. Real data:
 * test/data/ngt-sift-5k.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import h5wasm from 'h5wasm/node';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { Metric } from 'larchdb';
import { BUCKETS, BUCKET_FIELD, type Dataset } from '../bench/harness/dataset.js';
import { DatasetError, bucketOf, loadDataset, type LoadDatasetOptions } from '../bench/harness/load-dataset.js';
import { cachedGroundTruth, computeGroundTruth, exactTopK as harnessExactTopK, selectiveFilters } from '../bench/harness/ground-truth.js';
import { recallAt } from '../bench/harness/load-data.js';
import { Normals } from '../bench/harness/datasets/normal.js';
import { exactTopK } from '../bench/kernel-search.js';
import { DATASETS } from './ann-data.js';
import { rng, tempDir } from './helpers.js';

/** Exact top-k in float64 (ties: smaller row first), -1 padded; `keep` restricts the rows. */
function brute(vectors: Float32Array, n: number, dim: number, queries: Float32Array, nq: number, k: number, metric: Metric, keep = (_r: number) => true): Int32Array {
  const out = new Int32Array(nq * k).fill(-1);
  for (let q = 0; q < nq; q++) {
    const scored: [number, number][] = [];
    for (let r = 0; r < n; r++) {
      if (!keep(r)) continue;
      let dot = 0;
      let nv = 0;
      let nq2 = 0;
      let l2 = 0;
      for (let j = 0; j < dim; j++) {
        const v = vectors[r * dim + j]!;
        const x = queries[q * dim + j]!;
        dot += v * x;
        nv += v * v;
        nq2 += x * x;
        l2 += (v - x) ** 2;
      }
      scored.push([metric === 'euclidean' ? -l2 : metric === 'cosine' ? (nv > 0 && nq2 > 0 ? dot / Math.sqrt(nv * nq2) : 0) : dot, r]);
    }
    scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    scored.slice(0, k).forEach(([, r], i) => (out[q * k + i] = r));
  }
  return out;
}

function randomRows(n: number, dim: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * dim }, () => Math.fround((r() * 2 - 1) * scale));
}

/** A TEXMEX file: per row int32 dim, then the values as float32 ('f'), int32 ('i') or uint8 ('b'). */
function vecs(data: ArrayLike<number>, dim: number, kind: 'f' | 'i' | 'b'): Buffer {
  const n = data.length / dim;
  const size = kind === 'b' ? 1 : 4;
  const b = Buffer.alloc(n * (4 + dim * size));
  for (let i = 0; i < n; i++) {
    const at = i * (4 + dim * size);
    b.writeInt32LE(dim, at);
    for (let j = 0; j < dim; j++) {
      const v = data[i * dim + j]!;
      if (kind === 'f') b.writeFloatLE(v, at + 4 + 4 * j);
      else if (kind === 'i') b.writeInt32LE(v, at + 4 + 4 * j);
      else b.writeUInt8(v, at + 4 + j);
    }
  }
  return b;
}

const load = (spec: string, cacheDir: string, more: Partial<LoadDatasetOptions> = {}) => loadDataset({ spec, cacheDir, ...more });
const sharedFloats = (a: Float32Array) => a.buffer instanceof SharedArrayBuffer;

/** Asserts a DatasetError with a one-line message matching `re`. */
async function failsWith(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof DatasetError, `${e.name}: ${e.message}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return true;
  });
}

test('fvecs/ivecs: values round-trip, queries from x_query, the file truth (trimmed to k), computed truth for another metric, cached once', async () => {
  const tmp = await tempDir();
  try {
    const [n, nq, dim] = [300, 20, 8];
    const base = randomRows(n, dim, 1);
    const queries = randomRows(nq, dim, 2);
    const gt = brute(base, n, dim, queries, nq, 10, 'euclidean');
    await writeFile(join(tmp.path, 'toy_base.fvecs'), vecs(base, dim, 'f'));
    await writeFile(join(tmp.path, 'toy_query.fvecs'), vecs(queries, dim, 'f'));
    await writeFile(join(tmp.path, 'toy_groundtruth.ivecs'), vecs(gt, 10, 'i'));
    const cache = join(tmp.path, 'cache');
    const msgs: string[] = [];
    for (const spec of [join(tmp.path, 'toy_base.fvecs'), tmp.path]) {
      const ds = await load(spec, cache, { k: 5, onProgress: (m) => msgs.push(m) });
      assert.deepEqual(ds.info, { name: 'toy', dimension: dim, metric: 'euclidean', records: n, queries: nq, groundTruth: 'file', groundTruthK: 5 });
      assert.deepEqual(ds.vectors, base);
      assert.deepEqual(ds.queries, queries);
      assert.ok(sharedFloats(ds.vectors) && sharedFloats(ds.queries));
      assert.equal(ds.ids, null);
      assert.deepEqual(ds.truth.rows, Int32Array.from({ length: nq * 5 }, (_, i) => gt[Math.floor(i / 5) * 10 + (i % 5)]!));
    }
    assert.ok(msgs.includes('reading toy_base.fvecs'), msgs.join('\n'));
    assert.equal(existsSync(cache), false, 'file truth needs no cache');
    // Fewer queries: the first ones, and their rows of the file's truth.
    const few = await load(tmp.path, cache, { queries: 7, k: 100 });
    assert.equal(few.queryCount, 7);
    assert.deepEqual(few.queries, queries.subarray(0, 7 * dim));
    assert.equal(few.info.groundTruthK, 10, 'the file has 10 neighbours a query');
    assert.deepEqual(few.truth.rows, gt.subarray(0, 70));
    // Another metric: computed (matching the float64 brute force), then read from the cache.
    const cos = await load(tmp.path, cache, { metric: 'cosine', k: 10 });
    assert.equal(cos.info.groundTruth, 'computed');
    assert.deepEqual(cos.truth.rows, brute(base, n, dim, queries, nq, 10, 'cosine'));
    const files = readdirSync(cache);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^truth-[0-9a-f]{40}\.ivecs$/);
    const mtime = statSync(join(cache, files[0]!)).mtimeMs;
    const again = await load(tmp.path, cache, { metric: 'cosine', k: 10 });
    assert.equal(again.info.groundTruth, 'cache');
    assert.deepEqual(again.truth, cos.truth);
    assert.deepEqual(readdirSync(cache), files);
    assert.equal(statSync(join(cache, files[0]!)).mtimeMs, mtime, 'not written again');
    // A truth file that does not fit the base (ids beyond it) is not used.
    await writeFile(join(tmp.path, 'toy_groundtruth.ivecs'), vecs(gt.map((x) => x + n), 10, 'i'));
    const bad = await load(tmp.path, cache, { k: 10 });
    assert.equal(bad.info.groundTruth, 'computed');
    assert.deepEqual(bad.truth.rows, gt);
  } finally {
    await tmp.cleanup();
  }
});

test('bvecs: uint8 values become float32; truth computed when no file has it (k above the base size pads with -1)', async () => {
  const tmp = await tempDir();
  try {
    const [n, nq, dim] = [40, 5, 12];
    const r = rng(3);
    const base = Float32Array.from({ length: n * dim }, () => Math.floor(r() * 256));
    const queries = Float32Array.from({ length: nq * dim }, () => Math.floor(r() * 256));
    await writeFile(join(tmp.path, 'b_base.bvecs'), vecs(base, dim, 'b'));
    await writeFile(join(tmp.path, 'b_query.bvecs'), vecs(queries, dim, 'b'));
    const ds = await load(join(tmp.path, 'b_base.bvecs'), join(tmp.path, 'cache'), { k: 50 });
    assert.deepEqual(ds.vectors, base);
    assert.deepEqual(ds.queries, queries);
    assert.deepEqual(ds.info, { name: 'b', dimension: dim, metric: 'euclidean', records: n, queries: nq, groundTruth: 'computed', groundTruthK: n });
    assert.deepEqual(ds.truth.rows, brute(base, n, dim, queries, nq, 50, 'euclidean'));
    assert.equal(ds.truth.rows[n], -1);
  } finally {
    await tmp.cleanup();
  }
});

test('ann-benchmarks HDF5: train/test/neighbors with distance angular (cosine); another metric is computed', async () => {
  const tmp = await tempDir();
  try {
    const [n, nq, dim] = [250, 15, 10];
    const base = randomRows(n, dim, 4);
    const queries = randomRows(nq, dim, 5);
    const neighbors = brute(base, n, dim, queries, nq, 20, 'cosine');
    const path = join(tmp.path, 'toy-10-angular.hdf5');
    await h5wasm.ready;
    const f = new h5wasm.File(path, 'w');
    f.create_dataset({ name: 'train', data: base, shape: [n, dim], dtype: '<f' });
    f.create_dataset({ name: 'test', data: queries, shape: [nq, dim], dtype: '<f' });
    f.create_dataset({ name: 'neighbors', data: neighbors, shape: [nq, 20], dtype: '<i' });
    f.create_attribute('distance', 'angular');
    f.close();
    const cache = join(tmp.path, 'cache');
    const ds = await load(path, cache, { k: 10 });
    assert.deepEqual(ds.info, { name: 'toy-10-angular', dimension: dim, metric: 'cosine', records: n, queries: nq, groundTruth: 'file', groundTruthK: 10 });
    assert.deepEqual(ds.vectors, base);
    assert.deepEqual(ds.queries, queries);
    assert.ok(sharedFloats(ds.vectors) && sharedFloats(ds.queries));
    assert.deepEqual(ds.truth.rows, brute(base, n, dim, queries, nq, 10, 'cosine'));
    const l2 = await load(path, cache, { metric: 'euclidean', k: 10, queries: 6 });
    assert.equal(l2.info.groundTruth, 'computed');
    assert.equal(l2.queryCount, 6);
    assert.deepEqual(l2.truth.rows, brute(base, n, dim, queries, 6, 10, 'euclidean'));
  } finally {
    await tmp.cleanup();
  }
});

interface Rec {
  id: string;
  values: number[];
  metadata?: Record<string, string | number>;
}

function records(n: number, dim: number): Rec[] {
  const r = rng(6);
  return Array.from({ length: n }, (_, i) => ({
    id: `rec-${i}`,
    values: Array.from({ length: dim }, () => Math.fround(r() * 2 - 1)),
    ...(i % 3 === 0 ? {} : { metadata: { genre: i % 2 ? 'a' : 'b', year: 2000 + i } }),
  }));
}

/** Checks a records dataset (JSONL or Parquet) against the records written: the last `held` held out. */
function checkRecords(ds: Dataset, recs: Rec[], held: number, seed = 1): void {
  const count = recs.length - held;
  const dim = recs[0]!.values.length;
  assert.equal(ds.count, count);
  assert.equal(ds.queryCount, held);
  assert.equal(ds.dimension, dim);
  assert.deepEqual(ds.ids, recs.slice(0, count).map((r) => r.id));
  assert.deepEqual(ds.vectors, Float32Array.from(recs.slice(0, count).flatMap((r) => r.values)));
  assert.deepEqual(ds.queries, Float32Array.from(recs.slice(count).flatMap((r) => r.values)));
  assert.ok(sharedFloats(ds.vectors) && sharedFloats(ds.queries));
  ds.metadata.forEach((m, i) => assert.deepEqual(m, { ...recs[i]!.metadata, [BUCKET_FIELD]: bucketOf(i, seed) }));
  assert.equal(ds.info.metric, 'cosine');
  assert.deepEqual(ds.truth.rows, brute(ds.vectors, count, dim, ds.queries, held, ds.truth.k, 'cosine'), 'truth over the base only');
}

test('JSONL records: ids, values and metadata kept, sparse values ignored, blank lines and CRLF allowed; the last 10% held out', async () => {
  const tmp = await tempDir();
  try {
    const recs = records(200, 6);
    const lines = recs.map((r, i) => JSON.stringify({ ...r, ...(i % 5 === 0 ? { sparse_values: { indices: [1, 4], values: [0.5, 0.25] } } : {}), ...(i % 7 === 0 ? { sparseValues: { indices: [2], values: [1] } } : {}) }));
    const path = join(tmp.path, 'recs.jsonl');
    await writeFile(path, lines.slice(0, 100).join('\n') + '\r\n\n  \n' + lines.slice(100).join('\r\n') + '\n\n');
    const cache = join(tmp.path, 'cache');
    const ds = await load(path, cache, { k: 10 });
    assert.equal(ds.info.name, 'recs');
    checkRecords(ds, recs, 20);
    checkRecords(await load(path, cache, { k: 10, queries: 5 }), recs, 5);
    checkRecords(await load(path, cache, { k: 10, seed: 9 }), recs, 20, 9);
    assert.equal((await load(path, cache, { k: 10 })).info.groundTruth, 'cache');
  } finally {
    await tmp.cleanup();
  }
});

const PARQUET_SCHEMA = [
  { name: 'root', num_children: 4 },
  { name: 'id', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'REQUIRED' as const },
  { name: 'values', repetition_type: 'REQUIRED' as const, num_children: 1, converted_type: 'LIST' as const },
  { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
  { name: 'element', type: 'FLOAT' as const, repetition_type: 'REQUIRED' as const },
  { name: 'sparse_values', repetition_type: 'OPTIONAL' as const, num_children: 2 },
  { name: 'indices', repetition_type: 'REQUIRED' as const, num_children: 1, converted_type: 'LIST' as const },
  { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
  { name: 'element', type: 'INT32' as const, repetition_type: 'REQUIRED' as const },
  { name: 'values', repetition_type: 'REQUIRED' as const, num_children: 1, converted_type: 'LIST' as const },
  { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
  { name: 'element', type: 'FLOAT' as const, repetition_type: 'REQUIRED' as const },
  { name: 'metadata', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const },
];

/** Records in Pinecone's bulk-import layout (metadata as a JSON string), in row groups of 30. */
function parquet(recs: Rec[], codec: 'SNAPPY' | 'GZIP'): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: recs.map((r) => r.id) },
      { name: 'values', data: recs.map((r) => r.values) },
      { name: 'sparse_values', data: recs.map((_, i) => (i % 4 === 0 ? { indices: [1, 3], values: [0.5, 2] } : null)) },
      { name: 'metadata', data: recs.map((r) => (r.metadata ? JSON.stringify(r.metadata) : null)) },
    ],
    schema: PARQUET_SCHEMA,
    codec,
    compressors: { GZIP: (b: Uint8Array) => gzipSync(b) },
    rowGroupSize: 30,
  }));
}

test('Parquet records (bulk-import layout): one file (gzip, read with hyparquet-compressors) or a directory of files (snappy)', async () => {
  const tmp = await tempDir();
  try {
    const recs = records(200, 6);
    const file = join(tmp.path, 'recs.parquet');
    await writeFile(file, parquet(recs, 'GZIP'));
    const cache = join(tmp.path, 'cache');
    const one = await load(file, cache, { k: 10 });
    assert.equal(one.info.name, 'recs');
    checkRecords(one, recs, 20);
    const dir = join(tmp.path, 'parts');
    await mkdir(dir);
    await writeFile(join(dir, 'part-0.parquet'), parquet(recs.slice(0, 90), 'SNAPPY'));
    await writeFile(join(dir, 'part-1.parquet'), parquet(recs.slice(90), 'SNAPPY'));
    checkRecords(await load(dir, cache, { k: 10, queries: 150 }), recs, 150);
    // The same records as JSONL make the same dataset.
    const jsonl = join(tmp.path, 'recs.jsonl');
    await writeFile(jsonl, recs.map((r) => JSON.stringify(r)).join('\n'));
    const fromJsonl = await load(jsonl, cache, { k: 10 });
    assert.deepEqual([fromJsonl.vectors, fromJsonl.ids, fromJsonl.metadata, fromJsonl.truth], [one.vectors, one.ids, one.metadata, one.truth]);
  } finally {
    await tmp.cleanup();
  }
});

test('synthetic: the same seed gives the same data, another seed other data; defaults; queries are not base vectors', async () => {
  const tmp = await tempDir();
  try {
    const cache = join(tmp.path, 'cache');
    const spec = 'synthetic:3000x16:clusters=5:seed=3:queries=40';
    const a = await load(spec, cache, { k: 10 });
    const b = await load(spec, cache, { k: 10 });
    assert.deepEqual(a.info, { name: 'synthetic:3000x16:clusters=5:seed=3:sigma=1', dimension: 16, metric: 'cosine', records: 3000, queries: 40, groundTruth: 'computed', groundTruthK: 10 });
    assert.equal(b.info.groundTruth, 'cache');
    assert.deepEqual(b.vectors, a.vectors);
    assert.deepEqual(b.queries, a.queries);
    assert.ok(sharedFloats(a.vectors) && sharedFloats(a.queries));
    assert.deepEqual(a.truth.rows, brute(a.vectors, 3000, 16, a.queries, 40, 10, 'cosine'));
    const c = await load('synthetic:3000x16:clusters=5:seed=4:queries=40', cache, { k: 10 });
    assert.notDeepEqual(c.vectors, a.vectors);
    const base = new Set<string>();
    for (let i = 0; i < 3000; i++) base.add(a.vectors.subarray(i * 16, (i + 1) * 16).join());
    for (let q = 0; q < 40; q++) assert.ok(!base.has(a.queries.subarray(q * 16, (q + 1) * 16).join()));
    // Defaults: 1000 queries (or as many as asked), seed from the options, metric from the spec.
    const d = await load('synthetic:500x4:metric=euclidean', cache, { k: 5, seed: 3 });
    assert.deepEqual([d.queryCount, d.info.metric, d.info.name], [1000, 'euclidean', 'synthetic:500x4:clusters=1:seed=3:sigma=1']);
    assert.equal((await load('synthetic:500x4', cache, { k: 5, queries: 12 })).queryCount, 12);
    // One cluster: points are its center plus sigma·N(0, 1) noise.
    const e = await load('synthetic:20000x2:clusters=1:sigma=0.5:queries=1', cache, { k: 1 });
    for (let j = 0; j < 2; j++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < 20000; i++) {
        const x = e.vectors[i * 2 + j]!;
        s += x;
        s2 += x * x;
      }
      const variance = s2 / 20000 - (s / 20000) ** 2;
      assert.ok(Math.abs(variance - 0.25) < 0.02, `variance ${variance}`);
    }
  } finally {
    await tmp.cleanup();
  }
});

test('normal draws: mean 0, variance 1, the tails of N(0, 1)', () => {
  const g = new Normals(11);
  const n = 1_000_000;
  let [s, s2, over2, over3] = [0, 0, 0, 0];
  const out = new Float32Array(n);
  g.fill(out, 0, n, new Float64Array(n), 0, 1);
  for (const x of out) {
    s += x;
    s2 += x * x;
    if (Math.abs(x) > 2) over2++;
    if (Math.abs(x) > 3) over3++;
  }
  assert.ok(Math.abs(s / n) < 0.005, `mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.01, `variance ${s2 / n}`);
  assert.ok(Math.abs(over2 / n - 0.0455) < 0.0015, `P(|x| > 2) ${over2 / n}`);
  assert.ok(Math.abs(over3 / n - 0.0027) < 0.0003, `P(|x| > 3) ${over3 / n}`);
  const h = new Normals(11);
  assert.deepEqual(Float32Array.from({ length: 1000 }, () => h.normal()), out.subarray(0, 1000), 'fill draws what normal() does');
});

test('buckets: filters of known selectivity, filtered truth among matching rows only, cached', async () => {
  const tmp = await tempDir();
  try {
    const cache = join(tmp.path, 'cache');
    const ds = await load('synthetic:20000x4:clusters=10:queries=30', cache, { k: 10 });
    for (const m of ds.metadata) {
      const b = m[BUCKET_FIELD] as number;
      assert.ok(Number.isInteger(b) && b >= 0 && b < BUCKETS);
    }
    const filters = selectiveFilters(ds, [0.01, 0.1, 0.5], 10, cache);
    for (const f of filters) {
      const below = Math.round(f.selectivity * BUCKETS);
      assert.deepEqual(f.filter, { [BUCKET_FIELD]: { $lt: below } });
      assert.ok(Math.abs(f.actualSelectivity - f.selectivity) <= 0.02, `${f.selectivity}: ${f.actualSelectivity}`);
      const keep = (r: number) => (ds.metadata[r]![BUCKET_FIELD] as number) < below;
      assert.equal(f.actualSelectivity, ds.metadata.filter((_, r) => keep(r)).length / ds.count);
      for (const r of f.truth.rows) assert.ok(r >= 0 && keep(r), `row ${r} does not match the filter`);
      assert.deepEqual(f.truth.rows, brute(ds.vectors, ds.count, 4, ds.queries, 30, 10, 'cosine', keep));
    }
    const files = readdirSync(cache).length;
    assert.equal(files, 4, 'the unfiltered truth and one per filter');
    assert.deepEqual(selectiveFilters(ds, [0.01, 0.1, 0.5], 10, cache), filters);
    assert.equal(readdirSync(cache).length, files);
    // A filter matching fewer rows than k pads with -1; without the loader's identity the data is hashed.
    const tiny = selectiveFilters({ ...ds, identity: undefined }, [0.0002], 10, cache)[0]!;
    const matched = Math.round(tiny.actualSelectivity * ds.count);
    assert.ok(matched < 10);
    assert.deepEqual(Array.from(tiny.truth.rows.subarray(matched, 10)), new Array(10 - matched).fill(-1));
  } finally {
    await tmp.cleanup();
  }
});

test('computeGroundTruth: arenas chunk by chunk (with a bitmap) give the one-arena answer; exactTopK is the one kernel-search exports', () => {
  const [n, nq, dim] = [1000, 12, 5];
  const base = randomRows(n, dim, 7);
  const queries = randomRows(nq, dim, 8);
  const bits = new Uint32Array(Math.ceil(n / 32)).map((_, i) => (i * 2654435761) >>> 0);
  for (const metric of ['cosine', 'euclidean', 'dotproduct'] as const) {
    for (const b of [undefined, bits]) {
      const one = computeGroundTruth(base, n, dim, metric, queries, nq, 25, b);
      assert.deepEqual(computeGroundTruth(base, n, dim, metric, queries, nq, 25, b, { chunkRows: 96 }), one);
      const keep = (r: number) => !b || ((b[r >>> 5]! >>> (r & 31)) & 1) === 1;
      assert.deepEqual(one.rows, brute(base, n, dim, queries, nq, 25, metric, keep), metric);
    }
  }
  assert.equal(exactTopK, harnessExactTopK);
});

test('cachedGroundTruth: computes once, reuses, recomputes a damaged file; recallAt', async () => {
  const tmp = await tempDir();
  try {
    let calls = 0;
    const truth = { k: 3, rows: Int32Array.from([4, 2, -1, 0, 1, 2]) };
    const compute = () => (calls++, truth);
    assert.deepEqual(cachedGroundTruth('key', tmp.path, compute), { truth, source: 'computed' });
    assert.deepEqual(cachedGroundTruth('key', tmp.path, compute), { truth, source: 'cache' });
    assert.equal(calls, 1);
    assert.equal(cachedGroundTruth('other key', tmp.path, compute).source, 'computed');
    const [file] = readdirSync(tmp.path).sort();
    writeFileSync(join(tmp.path, file!), Buffer.alloc(7));
    assert.equal(cachedGroundTruth('key', tmp.path, compute).source, 'computed');
    assert.equal(cachedGroundTruth('other key', tmp.path, compute).source, 'cache');
    assert.deepEqual(readdirSync(tmp.path).filter((f) => f.endsWith('.tmp')), []);
  } finally {
    await tmp.cleanup();
  }
  const row = Int32Array.from([3, 1, 4, -1]);
  assert.equal(recallAt(['3', '1', '4'], row, { ids: null }, 3), 1);
  assert.equal(recallAt(['1', '9', '3'], row, { ids: null }, 2), 0.5, 'only the first k of each count');
  assert.equal(recallAt(['3', '3', '3'], row, { ids: null }, 3), 1 / 3, 'a repeated id counts once');
  assert.equal(recallAt(['3', '1', '4', '0'], row, { ids: null }, 4), 1, 'padding is not a neighbour');
  assert.equal(recallAt(['b', 'd'], row, { ids: ['a', 'b', 'c', 'd', 'e'] }, 2), 1);
  assert.equal(recallAt([], Int32Array.from([-1, -1]), { ids: null }, 2), 1, 'no neighbour to find');
});

test('bad input: one-line DatasetErrors naming the file and the problem', async () => {
  const tmp = await tempDir();
  try {
    const cache = join(tmp.path, 'cache');
    const p = (f: string) => join(tmp.path, f);
    await failsWith(load(p('nope_base.fvecs'), cache), /nope_base\.fvecs: no such file or directory/);
    await failsWith(load('nope', cache), /^nope: unknown dataset/);
    await failsWith(load('synthetic:10', cache), /synthetic:10: size "10" is not NxD/);
    await failsWith(load('synthetic:10x2:colours=3', cache), /unknown parameter "colours"/);
    await writeFile(p('notes.txt'), 'hello');
    await failsWith(load(p('notes.txt'), cache), /notes\.txt: unknown dataset format/);
    await failsWith(load('synthetic:10x2:queries=2', join(p('notes.txt'), 'cache')), /notes\.txt\/cache\/truth-[0-9a-f]+\.ivecs: cannot write the ground-truth cache/);
    await writeFile(p('t_base.fvecs'), vecs(randomRows(10, 4, 1), 4, 'f'));
    await writeFile(p('t_query.fvecs'), vecs(randomRows(2, 3, 1), 3, 'f'));
    await failsWith(load(p('t_base.fvecs'), cache), /t_query\.fvecs: queries have dimension 3, the base 4/);
    await truncate(p('t_base.fvecs'), 10 * 20 - 6);
    await failsWith(load(p('t_base.fvecs'), cache), /t_base\.fvecs: truncated or not a fvecs file/);
    await writeFile(p('u_base.fvecs'), vecs(randomRows(10, 4, 1), 4, 'f'));
    await failsWith(load(p('u_base.fvecs'), cache), /u_base\.fvecs: no query file beside it/);
    await mkdir(p('empty'));
    await failsWith(load(p('empty'), cache), /empty: holds no/);
    await writeFile(p('bad.jsonl'), '{"id":"a","values":[1,2]}\n{"id":"b","values":[1,2,3]}\n{"id":"c","values":[1,2]}\n');
    await failsWith(load(p('bad.jsonl'), cache), /bad\.jsonl:2: "values" has 3 numbers, the first record 2/);
    await writeFile(p('bad2.jsonl'), '{"id":"a","values":[1,2]}\n{"id":"b",\n{"id":"c","values":[1,2]}\n');
    await failsWith(load(p('bad2.jsonl'), cache), /bad2\.jsonl:2: not JSON/);
    await writeFile(p('dup.jsonl'), '{"id":"a","values":[1,2]}\n{"id":"a","values":[1,2]}\n{"id":"c","values":[1,2]}\n');
    await failsWith(load(p('dup.jsonl'), cache), /dup\.jsonl:2: duplicate id "a"/);
    await writeFile(p('x.hdf5'), 'not hdf5 at all');
    await failsWith(load(p('x.hdf5'), cache), /x\.hdf5: not an HDF5 file/);
    await writeFile(p('x.parquet'), 'not parquet');
    await failsWith(load(p('x.parquet'), cache), /x\.parquet: not a readable Parquet file/);
    await writeFile(p('noid.parquet'), new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'values', data: [[1], [2]] }] })));
    await failsWith(load(p('noid.parquet'), cache), /noid\.parquet: has no "id" column/);
    await h5wasm.ready;
    const f = new h5wasm.File(p('cols.hdf5'), 'w');
    f.create_dataset({ name: 'train', data: new Float32Array(6), shape: [2, 3], dtype: '<f' });
    f.create_dataset({ name: 'test', data: new Float32Array(4), shape: [2, 2], dtype: '<f' });
    f.close();
    await failsWith(load(p('cols.hdf5'), cache), /cols\.hdf5: "test" has dimension 2, "train" 3/);
    const g = new h5wasm.File(p('none.h5'), 'w');
    g.create_dataset({ name: 'train', data: new Float32Array(6), shape: [2, 3], dtype: '<f' });
    g.create_dataset({ name: 'test', data: new Float32Array(0), shape: [0, 3], dtype: '<f' });
    g.close();
    await failsWith(load(p('none.h5'), cache), /none\.h5: has no queries/);
  } finally {
    await tmp.cleanup();
  }
});

test('ngt-sift-5k (in the repository): its own truth, which the kernel computes again', async () => {
  const tmp = await tempDir();
  try {
    const ds = await load(fileURLToPath(new URL('ngt-sift-5k/', DATASETS)), join(tmp.path, 'cache'));
    assert.deepEqual(ds.info, { name: 'sift5k', dimension: 128, metric: 'euclidean', records: 4500, queries: 500, groundTruth: 'file', groundTruthK: 100 });
    const mine = computeGroundTruth(ds.vectors, ds.count, ds.dimension, 'euclidean', ds.queries, ds.queryCount, 100);
    let same = 0;
    for (let q = 0; q < ds.queryCount; q++) same += recallAt(Array.from(mine.rows.subarray(q * 100, (q + 1) * 100), String), ds.truth.rows.subarray(q * 100, (q + 1) * 100), ds, 100);
    assert.equal(same / ds.queryCount, 1);
  } finally {
    await tmp.cleanup();
  }
});


