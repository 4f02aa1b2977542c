/**
 * A bulk load converges: each flush folds its memtable into the newest slab and extends that slab's graph, writes wait
 * for the builder while maxFrozenMemtables full memtables are queued (so queries never scan more than that many
 * exactly), and a namespace that went quiet merges its slabs into the largest graph. Real threads and builds; answers
 * checked against exact ground truth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB, type NamespaceStorageInfo } from 'larchdb';
import { clustered, ids, queryAll, recallAt, upsertAll } from './ann-data.js';
import { SPEC, topK } from './helpers.js';

const DIM = 32;
/** ~1,300 rows a memtable at 32-d (payload bytes count, not rows). */
const MEMTABLE_BYTES = 200_000;

async function settle(db: LarchDB, index: string, timeoutMs = 60_000): Promise<NamespaceStorageInfo> {
  const t0 = performance.now();
  for (;;) {
    const info = (await db.storageInfo(index))!;
    if (info.frozen === 0 && !info.busy) return info;
    assert.ok(performance.now() - t0 < timeoutMs, `not settled after ${timeoutMs} ms: ${JSON.stringify(info)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exactTop10(vectors: readonly Float32Array[], alive: (i: number) => boolean, q: Float32Array): string[] {
  const scored = [];
  for (let i = 0; i < vectors.length; i++) {
    if (!alive(i)) continue;
    const v = vectors[i]!;
    let d = 0;
    for (let j = 0; j < DIM; j++) d += (v[j]! - q[j]!) ** 2;
    scored.push({ id: String(i), score: d });
  }
  return topK(scored, 10, 'euclidean').map((s) => s.id);
}

async function recall(db: LarchDB, index: string, vectors: readonly Float32Array[], alive: (i: number) => boolean): Promise<number> {
  const queries = clustered(40, DIM, 99).vectors;
  const got = await queryAll(db, index, queries);
  return got.reduce((s, r, i) => s + recallAt(ids(r), exactTop10(vectors, alive, queries[i]!), 10), 0) / queries.length;
}

async function load(db: LarchDB, index: string, vectors: readonly Float32Array[], rewrites: boolean): Promise<{ maxFrozen: number; hot: number }> {
  let maxFrozen = 0;
  let loading = true;
  const watch = (async () => {
    while (loading) {
      maxFrozen = Math.max(maxFrozen, (await db.storageInfo(index))?.frozen ?? 0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const idx = db.index(index);
  let next = 0;
  let hot = 0;
  const writer = async () => {
    while (next < vectors.length) {
      const from = next;
      next += 300;
      await idx.upsert(vectors.slice(from, from + 300).map((v, k) => ({ id: String(from + k), values: Array.from(v) })));
      if (!rewrites) continue;
      const burst = [];
      for (let k = 0; k < 5; k++) burst.push(idx.upsert([{ id: 'hot', values: Array.from(vectors[0]!), metadata: { n: ++hot } }]));
      await Promise.all(burst);
    }
  };
  await Promise.all([writer(), writer(), writer(), writer()]);
  loading = false;
  await watch;
  return { maxFrozen, hot };
}

const LOAD_OPTIONS = { path: ':memory:', memtableBytes: MEMTABLE_BYTES, hnswMinRows: 500, idleFlushMs: 200, maxFrozenMemtables: 1 };

test('a bulk load folds each memtable into one growing graph and never queues more than maxFrozenMemtables', async (t) => {
  const db = await LarchDB.open(LOAD_OPTIONS);
  try {
    await db.createIndex({ name: 'load', dimension: DIM, metric: 'euclidean', spec: SPEC });
    const { vectors } = clustered(12_000, DIM, 3);
    const { maxFrozen } = await load(db, 'load', vectors, false);
    const info = await settle(db, 'load');
    t.diagnostic(`max frozen during the load ${maxFrozen}; settled: ${JSON.stringify({ slabRows: info.slabRows, flushes: info.flushes, merges: info.merges, graphsExtended: info.graphsExtended, memtableRows: info.memtableRows })}`);
    assert.ok(maxFrozen <= 1, `at most one frozen memtable at a time, saw ${maxFrozen}`);
    assert.ok(info.flushes >= 6, `the load filled several memtables (${info.flushes} flushes)`);
    assert.equal(info.slabRows.length, 1, 'one slab');
    assert.ok(info.slabGraphBytes[0]! > 0, 'with its graph');
    assert.equal(info.merges, 0, 'folded as it went: nothing left to merge');
    assert.equal(info.graphsExtended, info.flushes - 1, 'every flush after the first extended the graph');
    assert.equal(info.slabRows[0]! + info.memtableRows, vectors.length);
    const rec = await recall(db, 'load', vectors, () => true);
    t.diagnostic(`recall@10 through the folded graph: ${rec.toFixed(3)}`);
    assert.ok(rec >= 0.9, `recall ${rec}`);
  } finally {
    await db.close();
  }
});

test('writes held back for the builder keep their order; with rewrites (no fold into slabs with dead rows) few slabs remain', async (t) => {
  const db = await LarchDB.open(LOAD_OPTIONS);
  try {
    await db.createIndex({ name: 'order', dimension: DIM, metric: 'euclidean', spec: SPEC });
    const { vectors } = clustered(8_000, DIM, 4);
    const { maxFrozen, hot } = await load(db, 'order', vectors, true);
    const info = await settle(db, 'order');
    t.diagnostic(`max frozen ${maxFrozen}; settled: ${JSON.stringify({ slabRows: info.slabRows, flushes: info.flushes, merges: info.merges, graphsExtended: info.graphsExtended })}`);
    assert.ok(maxFrozen <= 1, `at most one frozen memtable at a time, saw ${maxFrozen}`);
    const r = (await db.index('order').fetch(['hot'])).records['hot'];
    assert.equal(r?.metadata?.n, hot, 'the last rewrite sent is the one kept');
    // A rewrite kills a row of the newest slab, which then takes no fold and extends no merge (its graph would have to
    // keep the dead row): binary-counter merges, which rebuild, keep the slab count logarithmic.
    assert.ok(info.slabRows.length <= 2, `few slabs: ${JSON.stringify(info.slabRows)}`);
    assert.equal(info.slabRows.reduce((a, b) => a + b, 0) + info.memtableRows, vectors.length + 1);
    const rec = await recall(db, 'order', vectors, () => true);
    assert.ok(rec >= 0.9, `recall ${rec}`);
  } finally {
    await db.close();
  }
});

test('merges extend the largest growable graph; a quiet namespace merges slabs of any sizes; deletes stay deleted', async (t) => {
  const db = await LarchDB.open({ path: ':memory:', hnswMinRows: 500, idleFlushMs: 300 });
  try {
    await db.createIndex({ name: 'quiet', dimension: DIM, metric: 'euclidean', spec: SPEC });
    const { vectors } = clustered(7_200, DIM, 5);
    // A small slab with a dead row (not growable: no fold into it), then a large one: the binary-counter merge puts
    // the large slab first and extends its graph.
    await upsertAll(db, 'quiet', vectors.slice(0, 600));
    await db.flush('quiet');
    await db.index('quiet').deleteOne('7');
    await upsertAll(db, 'quiet', vectors.slice(600, 6600), undefined, 600);
    await db.flush('quiet');
    const merged = (await db.storageInfo('quiet'))!;
    assert.deepEqual(merged.slabRows, [6599]);
    assert.equal(merged.merges, 1);
    assert.equal(merged.graphsExtended, 1, 'the merge extended the newer, larger slab\'s graph');
    // A slab too small to fold into that one (6599 > 8 × 600) and too small for the binary counter: merged once quiet.
    await upsertAll(db, 'quiet', vectors.slice(6600), undefined, 6600);
    await db.flush('quiet');
    const before = (await db.storageInfo('quiet'))!;
    assert.deepEqual(before.slabRows, [6599, 600]);
    assert.equal(before.busy, true, 'a merge waits for the quiet time');
    const info = await settle(db, 'quiet');
    t.diagnostic(`before ${JSON.stringify(before.slabRows)}, after ${JSON.stringify(info.slabRows)}: merges ${info.merges}, graphs extended ${info.graphsExtended}`);
    assert.deepEqual(info.slabRows, [7199], 'merged once quiet');
    assert.equal(info.merges, 2);
    assert.equal(info.graphsExtended, 2);
    assert.equal((await db.index('quiet').fetch(['7'])).records['7'], undefined);
    const rec = await recall(db, 'quiet', vectors, (i) => i !== 7);
    t.diagnostic(`recall@10 after the merges: ${rec.toFixed(3)}`);
    assert.ok(rec >= 0.9, `recall ${rec}`);
  } finally {
    await db.close();
  }
});

test('a quiet leftover below hnswMinRows joins the graph when it is at least 1/32 of the largest slab', async () => {
  const db = await LarchDB.open({ path: ':memory:', hnswMinRows: 500, idleFlushMs: 200 });
  try {
    await db.createIndex({ name: 'rest', dimension: DIM, metric: 'euclidean', spec: SPEC });
    const { vectors } = clustered(6_400, DIM, 6);
    await upsertAll(db, 'rest', vectors.slice(0, 6000));
    await db.flush('rest');
    await upsertAll(db, 'rest', vectors.slice(6000, 6300), undefined, 6000); // 300 x 32 >= 6000: written out once quiet
    let info = await settle(db, 'rest');
    assert.deepEqual(info.slabRows, [6300]);
    assert.equal(info.memtableRows, 0);
    assert.ok(info.slabGraphBytes[0]! > 0);
    await upsertAll(db, 'rest', vectors.slice(6300), undefined, 6300); // 100 x 32 < 6300: stays in the memtable
    await new Promise((r) => setTimeout(r, 400));
    info = await settle(db, 'rest');
    assert.deepEqual(info.slabRows, [6300]);
    assert.equal(info.memtableRows, 100);
  } finally {
    await db.close();
  }
});

test('maxFrozenMemtables is checked', async () => {
  for (const bad of [0, 65, 1.5]) {
    await assert.rejects(LarchDB.open({ path: ':memory:', maxFrozenMemtables: bad }), /maxFrozenMemtables must be an integer from 1 to 64/);
  }
});
