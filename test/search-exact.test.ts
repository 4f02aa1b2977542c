/**
 * Exact search against a brute-force float64 reference: every metric, sparse and hybrid scores, overwrites and
 * deletes, query by id, large topK, and namespaces big enough to split the scan across executor threads.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB, type Metric, type PineconeRecord } from 'larchdb';
import { SPEC, close, dense, randomSparse, randomVectors, rng, sparseDot, topK } from './helpers.js';

let db: LarchDB;
before(async () => {
  db = await LarchDB.open({ path: ':memory:', queryThreads: 2 });
});
after(async () => {
  await db.close();
});

async function upsertAll(ns: ReturnType<LarchDB['index']>, records: PineconeRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 500) await ns.upsert(records.slice(i, i + 500));
}

/** Checks each returned score against the reference score of that id and against the reference ranking. */
function assertExact(got: { id: string; score?: number }[], truth: Map<string, number>, k: number, metric: Metric): void {
  const want = topK([...truth].map(([id, score]) => ({ id, score })), k, metric);
  assert.equal(got.length, want.length, 'result count');
  got.forEach((m, i) => {
    assert.ok(close(m.score!, truth.get(m.id)!), `score of ${m.id}: got ${m.score}, reference ${truth.get(m.id)}`);
    assert.ok(close(m.score!, want[i]!.score), `rank ${i}: got ${m.score}, reference ${want[i]!.score}`);
  });
}

for (const metric of ['cosine', 'dotproduct', 'euclidean'] as const) {
  for (const dim of [7, 64]) {
    test(`${metric} dim ${dim}: top-k equals brute force`, async () => {
      const name = `exact-${metric}-${dim}`;
      await db.createIndex({ name, dimension: dim, metric, spec: SPEC });
      const ns = db.index(name).namespace('n');
      const vecs = randomVectors(2000, dim, dim * 31 + metric.length);
      await upsertAll(ns, vecs.map((values, i) => ({ id: `v${i}`, values })));
      for (const [qi, q] of randomVectors(5, dim, 99 + dim).entries()) {
        const truth = new Map(vecs.map((v, i) => [`v${i}`, dense(q, v, metric)]));
        const k = [1, 10, 100, 2000, 5000][qi]!;
        const res = await ns.query({ vector: q, topK: k });
        assertExact(res.matches, truth, k, metric);
        for (let i = 1; i < res.matches.length; i++) {
          const [prev, cur] = [res.matches[i - 1]!.score!, res.matches[i]!.score!];
          assert.ok(metric === 'euclidean' ? prev <= cur : prev >= cur, `order at rank ${i}`);
        }
      }
    });
  }
}

test('scan split across executors (20k rows) equals brute force, after overwrites and deletes', async () => {
  const dim = 16;
  await db.createIndex({ name: 'split', dimension: dim, metric: 'dotproduct', spec: SPEC });
  const ns = db.index('split');
  const vecs = randomVectors(20000, dim, 5);
  await upsertAll(ns, vecs.map((values, i) => ({ id: `r${i}`, values })));
  // Overwrite a third, delete a tenth: dead rows must never be returned.
  const fresh = randomVectors(20000, dim, 6);
  const live = new Map(vecs.map((v, i) => [`r${i}`, v]));
  const over: PineconeRecord[] = [];
  for (let i = 0; i < 20000; i += 3) {
    over.push({ id: `r${i}`, values: fresh[i]! });
    live.set(`r${i}`, fresh[i]!);
  }
  await upsertAll(ns, over);
  const doomed: string[] = [];
  for (let i = 1; i < 20000; i += 10) doomed.push(`r${i}`);
  for (let i = 0; i < doomed.length; i += 1000) await ns.deleteMany(doomed.slice(i, i + 1000));
  doomed.forEach((id) => live.delete(id));
  assert.equal(db.diagnostics().executors, 2);
  for (const q of randomVectors(3, dim, 7)) {
    const truth = new Map([...live].map(([id, v]) => [id, dense(q, v, 'dotproduct')]));
    const res = await ns.query({ vector: q, topK: 50 });
    assertExact(res.matches, truth, 50, 'dotproduct');
  }
  const stats = await db.index('split').describeIndexStats();
  assert.equal(stats.totalRecordCount, live.size);
});

test('sparse index: dot product over shared indices, zero scores dropped', async () => {
  await db.createIndex({ name: 'sparse', vectorType: 'sparse', metric: 'dotproduct', spec: SPEC });
  const ns = db.index('sparse').namespace('s');
  const r = rng(11);
  const recs = Array.from({ length: 500 }, (_, i) => ({ id: `s${i}`, sparseValues: randomSparse(r, 1 + Math.floor(r() * 20), 300) }));
  await ns.upsert(recs);
  for (let t = 0; t < 5; t++) {
    const q = randomSparse(r, 8, 300);
    const truth = new Map(recs.map((x) => [x.id, sparseDot(q, x.sparseValues)]));
    for (const [id, s] of truth) if (s === 0) truth.delete(id);
    const res = await ns.query({ sparseVector: q, topK: 1000, includeValues: true });
    assertExact(res.matches, truth, 1000, 'dotproduct');
    assert.ok(res.matches.every((m) => m.score !== 0));
    const first = recs.find((x) => x.id === res.matches[0]!.id)!;
    const sorted = [...first.sparseValues.indices.keys()].sort((a, b) => first.sparseValues.indices[a]! - first.sparseValues.indices[b]!);
    assert.deepEqual(res.matches[0]!.sparseValues!.indices, sorted.map((i) => first.sparseValues.indices[i]));
  }
  const fetched = await ns.fetch(['s3']);
  assert.equal(fetched.records.s3!.sparseValues!.indices.length, recs[3]!.sparseValues.indices.length);
  assert.deepEqual(fetched.records.s3!.values, []);
});

test('hybrid: dense dotproduct index scores dense dot + sparse dot; records without sparse part score dense only', async () => {
  const dim = 8;
  await db.createIndex({ name: 'hybrid', dimension: dim, metric: 'dotproduct', spec: SPEC });
  const ns = db.index('hybrid');
  const r = rng(12);
  const vecs = randomVectors(800, dim, 13);
  const recs = vecs.map((values, i) => ({ id: `h${i}`, values, sparseValues: i % 4 === 0 ? undefined : randomSparse(r, 5, 50) }));
  await ns.upsert(recs);
  for (let t = 0; t < 4; t++) {
    const q = randomVectors(1, dim, 100 + t)[0]!;
    const qs = randomSparse(r, 6, 50);
    const truth = new Map(recs.map((x) => [x.id, dense(q, x.values, 'dotproduct') + (x.sparseValues ? sparseDot(qs, x.sparseValues) : 0)]));
    const res = await ns.query({ vector: q, sparseVector: qs, topK: 25 });
    assertExact(res.matches, truth, 25, 'dotproduct');
  }
  // Query by id uses the record's dense and sparse parts.
  const self = recs[1]!;
  const truth = new Map(recs.map((x) => [x.id, dense(self.values, x.values, 'dotproduct') + (x.sparseValues ? sparseDot(self.sparseValues!, x.sparseValues) : 0)]));
  assertExact((await ns.query({ id: 'h1', topK: 10 })).matches, truth, 10, 'dotproduct');
});

test('query by id, unknown id, topK larger than the namespace, deterministic ties', async () => {
  await db.createIndex({ name: 'ties', dimension: 3, metric: 'cosine', spec: SPEC });
  const ns = db.index('ties');
  await ns.upsert([
    { id: 'c', values: [1, 0, 0] },
    { id: 'a', values: [2, 0, 0] },
    { id: 'b', values: [3, 0, 0] },
    { id: 'z', values: [0, 1, 0] },
  ]);
  const res = await ns.query({ id: 'a', topK: 10 });
  assert.deepEqual(res.matches.map((m) => m.id), ['a', 'b', 'c', 'z'], 'equal scores listed by id');
  assert.deepEqual(res.matches.map((m) => m.score), [1, 1, 1, 0]);
  for (let i = 0; i < 5; i++) assert.deepEqual((await ns.query({ vector: [1, 0, 0], topK: 2 })).matches.map((m) => m.id), ['a', 'c'], 'boundary tie keeps the earliest writes (c, a), listed by id');
  assert.deepEqual((await ns.query({ id: 'nope', topK: 3 })).matches, []);
  assert.deepEqual((await db.index('ties').namespace('empty').query({ vector: [1, 0, 0], topK: 3 })).matches, []);
});

test('cosine with a zero vector scores 0 instead of NaN', async () => {
  await db.createIndex({ name: 'zero', dimension: 2, metric: 'cosine', spec: SPEC });
  const ns = db.index('zero');
  await ns.upsert([{ id: 'zero', values: [0, 0] }, { id: 'one', values: [1, 0] }]);
  const res = await ns.query({ vector: [1, 0], topK: 2 });
  assert.deepEqual(res.matches.map((m) => [m.id, m.score]), [['one', 1], ['zero', 0]]);
});
