/**
 * Approximate search through the engine: slabs of 4096 rows or more get an HNSW graph from the index builder and
 * are searched through it by the query executors. Recall@10 with the default settings on real data (ngt-sift-5k
 * against its ground truth), filtered recall at 1%, 10% and 50% selectivity, deletes, the same answers after a
 * restart, correct answers while slabs are built and merged, and the HNSW settings (API and wire). The 200k-vector
 * recall tests are in test/long/ann-scale.test.ts (npm run test:long).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB, type QueryResponse } from 'larchdb';
import { DATASETS, clustered, ids, meanRecall, queryAll, readVecs, recallAt, slabInfo, upsertAll } from './ann-data.js';
import { SPEC, dense, httpCall, rng, tempDir, topK } from './helpers.js';
import { createServer } from '../server/app.js';

test('ngt-sift-5k through the engine: defaults reach recall@10 >= 0.95 from a graph slab; deletes; same answers after a restart', async () => {
  const dir = new URL('ngt-sift-5k/', DATASETS);
  const base = readVecs(new URL('sift5k_base.fvecs', dir), Float32Array);
  const queries = readVecs(new URL('sift5k_query.fvecs', dir), Float32Array);
  const gt = readVecs(new URL('sift5k_groundtruth.ivecs', dir), Int32Array).map((t) => Array.from(t, String));
  const tmp = await tempDir();
  try {
    let db = await LarchDB.open({ path: tmp.path });
    await db.createIndex({ name: 'sift', dimension: 128, metric: 'euclidean', spec: SPEC });
    await upsertAll(db, 'sift', base);
    const exact = await queryAll(db, 'sift', queries);
    assert.equal(meanRecall(exact, gt), 1, 'the memtable is searched exactly');
    await db.flush('sift');
    const info = await slabInfo(db, 'sift');
    assert.equal(info.slabs, 1);
    assert.equal(info.graphs, 1, 'the 5000-row slab has a graph');
    assert.equal(info.memtableRows, 0);
    const got = await queryAll(db, 'sift', queries);
    const recall = meanRecall(got, gt);
    const bytes = info.slabGraphBytes[0]! / base.length;
    console.log(`sift-5k engine: recall@10=${recall.toFixed(4)} graph=${bytes.toFixed(1)} B/vector`);
    assert.ok(recall >= 0.95, `recall@10 ${recall}`);
    // Scores are the exact distances of the ids returned.
    for (const [i, r] of got.entries()) {
      for (const m of r.matches) {
        const want = dense(Array.from(queries[i]!), Array.from(base[Number(m.id)]!), 'euclidean');
        assert.ok(Math.abs(m.score! - want) <= 1e-3 * Math.max(1, want), `score of ${m.id}: ${m.score} vs ${want}`);
      }
    }

    // Deleted rows of a graph slab are never returned; the rest keep their recall.
    const deleted = new Set(queries.slice(0, 30).map((_, i) => gt[i]![0]!));
    await db.index('sift').deleteMany([...deleted]);
    const afterDelete = await queryAll(db, 'sift', queries);
    for (const r of afterDelete) for (const id of ids(r)) assert.ok(!deleted.has(id), `deleted ${id} returned`);
    const gtLeft = gt.map((t) => t.filter((id) => !deleted.has(id)));
    const recallLeft = meanRecall(afterDelete, gtLeft);
    assert.ok(recallLeft >= 0.95, `recall@10 after deletes ${recallLeft}`);

    // A restart loads the graph from the slab file: the same answers, score for score.
    await db.close();
    db = await LarchDB.open({ path: tmp.path });
    assert.equal((await slabInfo(db, 'sift')).graphs, 1);
    assert.deepEqual(await queryAll(db, 'sift', queries), afterDelete);
    await db.close();
  } finally {
    await tmp.cleanup();
  }
});

test('filtered search on a graph slab: recall@10 >= 0.95 at 1%, 10% and 50% selectivity, and for a filter against the query', async () => {
  const n = 20_000;
  const { vectors, cluster } = clustered(n + 200, 128, 99, 20);
  const queries = vectors.slice(n);
  const r = rng(5);
  const bucket = Array.from({ length: n }, () => Math.floor(r() * 100));
  const tmp = await tempDir();
  const db = await LarchDB.open({ path: tmp.path, memtableBytes: 1 << 30 });
  try {
    await db.createIndex({ name: 'f', dimension: 128, metric: 'cosine', spec: SPEC });
    await upsertAll(db, 'f', vectors.slice(0, n), (i) => ({ bucket: bucket[i]!, cluster: cluster[i]! }));
    // Other clusters than the query's nearest one: the allowed rows lie away from where the graph walk starts.
    const far = queries.filter((q) => {
      let best = -Infinity;
      let c = -1;
      for (let i = 0; i < 2000; i++) {
        const s = dense(Array.from(q), Array.from(vectors[i]!), 'cosine');
        if (s > best) [best, c] = [s, cluster[i]!];
      }
      return c >= 2;
    }).slice(0, 50);
    const filters: [string, object, ArrayLike<number>[]][] = [
      ['1%', { bucket: { $lt: 1 } }, queries],
      ['10%', { bucket: { $lt: 10 } }, queries],
      ['50%', { bucket: { $lt: 50 } }, queries],
      ['2 clusters, query elsewhere', { cluster: { $in: [0, 1] } }, far],
    ];
    const exact = [];
    for (const [, filter, qs] of filters) exact.push((await queryAll(db, 'f', qs, filter)).map(ids));
    await db.flush('f');
    assert.equal((await slabInfo(db, 'f')).graphs, 1);
    for (const [i, [what, filter, qs]] of filters.entries()) {
      const got = await queryAll(db, 'f', qs, filter);
      for (const res of got) for (const m of res.matches) assert.ok(checkFilter(filter, bucket[Number(m.id)]!, cluster[Number(m.id)]!), `${what}: ${m.id} does not match`);
      const recall = meanRecall(got, exact[i]!);
      console.log(`filter ${what}: recall@10=${recall.toFixed(4)} over ${qs.length} queries`);
      assert.ok(recall >= 0.95, `${what}: recall@10 ${recall}`);
    }
  } finally {
    await db.close();
    await tmp.cleanup();
  }
});

function checkFilter(filter: object, bucket: number, cluster: number): boolean {
  const f = filter as { bucket?: { $lt: number }; cluster?: { $in: number[] } };
  return f.bucket ? bucket < f.bucket.$lt : f.cluster!.$in.includes(cluster);
}

test('answers stay right while a memtable is folded into a graph slab (with writes in between), and equal after a restart', async () => {
  const dim = 32;
  const perFlush = 6000;
  const { vectors } = clustered(3 * perFlush + 40, dim, 31, 30);
  const queries = vectors.slice(3 * perFlush);
  const live = new Map<string, number[]>();
  const tmp = await tempDir();
  let db = await LarchDB.open({ path: tmp.path, memtableBytes: 1 << 30 });
  try {
    await db.createIndex({ name: 'm', dimension: dim, metric: 'euclidean', spec: SPEC });
    const idx = () => db.index('m');
    const exactTruth = () =>
      queries.map((q) => topK([...live].map(([id, v]) => ({ id, score: dense(Array.from(q), v, 'euclidean') })), 10, 'euclidean').map((m) => m.id));
    const check = (got: QueryResponse[], what: string) => {
      for (const r of got) for (const id of ids(r)) assert.ok(live.has(id), `${what}: ${id} is not live`);
      const recall = meanRecall(got, exactTruth());
      assert.ok(recall >= 0.95, `${what}: recall@10 ${recall}`);
      return recall;
    };
    const add = async (from: number, to: number) => {
      await upsertAll(db, 'm', vectors.slice(from, to), undefined, from);
      for (let i = from; i < to; i++) live.set(String(i), Array.from(vectors[i]!));
    };
    // Slab 1 (graph), then a second batch in the memtable.
    await add(0, perFlush);
    await db.flush('m');
    await add(perFlush, 2 * perFlush);
    const before = await queryAll(db, 'm', queries);
    check(before, 'before');
    const flushesBefore = (await slabInfo(db, 'm')).flushes;

    // Flush: the memtable folds into slab 1 (one job: slab 1's graph extended by the new rows) while queries, deletes
    // and upserts run. A query answered before the swap must equal `before` exactly.
    const job = db.flush('m');
    let settled = false;
    void job.finally(() => (settled = true));
    let rounds = 0;
    let unchanged = 0;
    const deleted: string[] = [];
    while (!settled || rounds < 3) {
      const f0 = (await slabInfo(db, 'm')).flushes;
      const got = await queryAll(db, 'm', queries);
      const f1 = (await slabInfo(db, 'm')).flushes;
      if (f0 === flushesBefore && f1 === flushesBefore && deleted.length === 0) {
        assert.deepEqual(got, before, 'same answers until the first swap');
        unchanged++;
      }
      check(got, `during the merge, round ${rounds}`);
      if (rounds % 2 === 1 && deleted.length < 40) {
        // Delete the best match of a few queries (rows of the slabs being merged).
        const victims = got.slice(0, 5).map((r) => r.matches[0]!.id);
        await idx().deleteMany(victims);
        for (const v of victims) live.delete(v), deleted.push(v);
      }
      rounds++;
    }
    await job;
    const info = await slabInfo(db, 'm');
    assert.equal(info.slabs, 1, 'folded into one slab');
    assert.equal(info.graphs, 1, 'the slab has a graph');
    assert.equal(info.graphsExtended, 1, "the fold extended the first slab's graph");
    console.log(`fold: ${rounds} query rounds during the flush, ${unchanged} before the swap; deleted ${deleted.length}`);

    // A third batch, flushed; then a restart gives the same answers.
    await add(2 * perFlush, 3 * perFlush);
    await db.flush('m');
    const after = await queryAll(db, 'm', queries);
    check(after, 'after');
    await db.close();
    db = await LarchDB.open({ path: tmp.path });
    assert.deepEqual(await queryAll(db, 'm', queries), after);
  } finally {
    await db.close();
    await tmp.cleanup();
  }
});

test('HNSW settings: index creation, efSearch changes recall, validation; on the wire as hnsw {m, ef_construction, ef_search}', async () => {
  const tmp = await tempDir();
  const db = await LarchDB.open({ path: tmp.path });
  try {
    const model = await db.createIndex({ name: 'k', dimension: 64, metric: 'cosine', spec: SPEC, hnsw: { M: 6, efConstruction: 24, efSearch: 10 } });
    assert.deepEqual(model.hnsw, { M: 6, efConstruction: 24, efSearch: 10 });
    const { vectors } = clustered(10_100, 64, 3, 10);
    const queries = vectors.slice(10_000);
    await upsertAll(db, 'k', vectors.slice(0, 10_000));
    const exact = (await queryAll(db, 'k', queries)).map(ids);
    await db.flush('k');
    const low = meanRecall(await queryAll(db, 'k', queries), exact);
    const m = await db.configureIndex('k', { hnsw: { efSearch: 400 } });
    assert.deepEqual(m.hnsw, { M: 6, efConstruction: 24, efSearch: 400 });
    const high = meanRecall(await queryAll(db, 'k', queries), exact);
    const bytes = (await slabInfo(db, 'k')).slabGraphBytes[0]! / 10_000;
    console.log(`M=6 efConstruction=24: recall@10 ${low.toFixed(4)} at efSearch 10, ${high.toFixed(4)} at 400; graph ${bytes.toFixed(1)} B/vector`);
    assert.ok(high >= 0.9 && high > low + 0.3, `efSearch 400: ${high}, 10: ${low}`);
    assert.ok(bytes < 80, `M=6 keeps the graph small (${bytes} B/vector; 2M+1 u32 on layer 0 = 52)`);

    const bad = async (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: Error) => re.test(e.message));
    await bad(db.createIndex({ name: 'x', dimension: 4, spec: SPEC, hnsw: { M: 1 } }), /hnsw\.M must be an integer from 2 to 128, got 1/);
    await bad(db.createIndex({ name: 'x', dimension: 4, spec: SPEC, hnsw: { efSearch: 0.5 } }), /hnsw\.efSearch must be an integer from 1 to 10000/);
    await bad(db.createIndex({ name: 'x', vectorType: 'sparse', spec: SPEC, hnsw: { M: 8 } }), /only to dense indexes/);
    await bad(db.configureIndex('k', { hnsw: { M: 8 } as never }), /Unknown hnsw setting 'M' \(M is fixed when the index is created\)/);

    // The same over HTTP (snake_case, a LarchDB extension of create_index / configure_index).
    const app = createServer({ db });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const created = await httpCall(url, 'POST', '/indexes', { name: 'w', dimension: 8, metric: 'cosine', spec: SPEC, hnsw: { m: 12, ef_construction: 100 } });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body.hnsw, { m: 12, ef_construction: 100 });
      const patched = await httpCall(url, 'PATCH', '/indexes/w', { hnsw: { ef_search: 64 } });
      assert.equal(patched.status, 202, patched.text);
      assert.deepEqual(patched.body.hnsw, { m: 12, ef_construction: 100, ef_search: 64 });
      const wrong = await httpCall(url, 'POST', '/indexes', { name: 'v', dimension: 8, spec: SPEC, hnsw: { m: 1000 } });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error.code, 'INVALID_ARGUMENT');
      assert.match(wrong.body.error.message, /hnsw\.M must be an integer from 2 to 128, got 1000/);
      const unknown = await httpCall(url, 'PATCH', '/indexes/w', { hnsw: { m: 8 } });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error.message, /fixed when the index is created/);
      const plain = await httpCall(url, 'GET', '/indexes/k');
      assert.deepEqual(plain.body.hnsw, { m: 6, ef_construction: 24, ef_search: 400 });
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    await tmp.cleanup();
  }
});
