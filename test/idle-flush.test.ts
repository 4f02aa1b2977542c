/**
 * Data that went quiet gets a graph: a memtable holding hnswMinRows records and no write for idleFlushMs is written
 * out as a slab with its HNSW graph in the background; queries then go through the graph with recall against exact
 * ground truth; writes that keep coming postpone it; fewer records, or idleFlushMs 0, keep the memtable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB, type NamespaceStorageInfo } from 'larchdb';
import { clustered, ids, queryAll, recallAt, upsertAll } from './ann-data.js';
import { SPEC, topK } from './helpers.js';

const DIM = 32;
const MIN_ROWS = 1000;

async function settle(db: LarchDB, index: string, timeoutMs = 20_000): Promise<{ info: NamespaceStorageInfo; ms: number }> {
  const t0 = performance.now();
  for (;;) {
    const info = (await db.storageInfo(index))!;
    if (info.frozen === 0 && !info.busy) return { info, ms: performance.now() - t0 };
    assert.ok(performance.now() - t0 < timeoutMs, `not settled after ${timeoutMs} ms: ${JSON.stringify(info)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exactTop10(vectors: Float32Array[], q: Float32Array): string[] {
  const scored = vectors.map((v, i) => {
    let dot = 0;
    let nv = 0;
    let nq = 0;
    for (let j = 0; j < DIM; j++) {
      dot += v[j]! * q[j]!;
      nv += v[j]! * v[j]!;
      nq += q[j]! * q[j]!;
    }
    return { id: String(i), score: dot / Math.sqrt(nv * nq) };
  });
  return topK(scored, 10, 'cosine').map((s) => s.id);
}

test('a quiet memtable of hnswMinRows records becomes a slab with a graph; queries keep their recall', async (t) => {
  const db = await LarchDB.open({ path: ':memory:', hnswMinRows: MIN_ROWS, idleFlushMs: 200 });
  try {
    await db.createIndex({ name: 'quiet', dimension: DIM, metric: 'cosine', spec: SPEC });
    const { vectors } = clustered(3000, DIM, 7);
    await upsertAll(db, 'quiet', vectors);
    const lastWrite = performance.now();
    const before = (await db.storageInfo('quiet'))!;
    assert.equal(before.memtableRows, 3000);
    assert.equal(before.busy, true, 'the idle flush is armed');
    const { info } = await settle(db, 'quiet');
    const ms = performance.now() - lastWrite;
    t.diagnostic(`last write to graph search: ${ms.toFixed(0)} ms (idleFlushMs 200)`);
    assert.equal(info.memtableRows, 0);
    assert.deepEqual(info.slabRows, [3000]);
    assert.ok(info.slabGraphBytes[0]! > 0, 'the slab has its graph');
    assert.ok(ms >= 200, 'not before the quiet time');
    const queries = clustered(50, DIM, 8).vectors;
    const got = await queryAll(db, 'quiet', queries);
    const recall = got.reduce((s, r, i) => s + recallAt(ids(r), exactTop10(vectors, queries[i]!), 10), 0) / queries.length;
    t.diagnostic(`recall@10 through the graph: ${recall.toFixed(3)}`);
    assert.ok(recall >= 0.95, `recall ${recall}`);
    // Unfiltered queries ran from the namespace's read view, without a message to its actor.
    assert.ok(db.diagnostics().readerQueries >= queries.length, `queries from the read view: ${db.diagnostics().readerQueries}`);
  } finally {
    await db.close();
  }
});

test('writes that keep coming postpone the idle flush; fewer than hnswMinRows records, or idleFlushMs 0, stay in the memtable', async () => {
  const db = await LarchDB.open({ path: ':memory:', hnswMinRows: MIN_ROWS, idleFlushMs: 300 });
  const off = await LarchDB.open({ path: ':memory:', hnswMinRows: MIN_ROWS, idleFlushMs: 0 });
  try {
    for (const d of [db, off]) await d.createIndex({ name: 'busy', dimension: DIM, metric: 'cosine', spec: SPEC });
    const { vectors } = clustered(1600, DIM, 9);
    await upsertAll(db, 'busy', vectors.slice(0, 1200));
    await upsertAll(off, 'busy', vectors.slice(0, 1200));
    // A write every 100 ms for 0.6 s: never 300 ms quiet.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await upsertAll(db, 'busy', [vectors[1200 + i]!], undefined, 1200 + i);
      const info = (await db.storageInfo('busy'))!;
      assert.equal(info.slabs, 0, `flushed while writes kept coming (after write ${i})`);
    }
    const { info } = await settle(db, 'busy');
    assert.deepEqual([info.slabRows, info.memtableRows], [[1206], 0]);
    await new Promise((r) => setTimeout(r, 500));
    const offInfo = (await off.storageInfo('busy'))!;
    assert.deepEqual([offInfo.slabs, offInfo.memtableRows, offInfo.busy], [0, 1200, false], 'idleFlushMs 0: off');
    const small = await LarchDB.open({ path: ':memory:', hnswMinRows: MIN_ROWS, idleFlushMs: 100 });
    try {
      await small.createIndex({ name: 'few', dimension: DIM, metric: 'cosine', spec: SPEC });
      await upsertAll(small, 'few', vectors.slice(0, MIN_ROWS - 1));
      await new Promise((r) => setTimeout(r, 400));
      const s = (await small.storageInfo('few'))!;
      assert.deepEqual([s.slabs, s.memtableRows, s.busy], [0, MIN_ROWS - 1, false], 'below hnswMinRows: no flush');
    } finally {
      await small.close();
    }
  } finally {
    await db.close();
    await off.close();
  }
});

test('idleFlushMs is checked', async () => {
  await assert.rejects(LarchDB.open({ path: ':memory:', idleFlushMs: -1 }), /idleFlushMs must be an integer from 0 \(off\) to 86400000/);
  await assert.rejects(LarchDB.open({ path: ':memory:', idleFlushMs: 1.5 }), /idleFlushMs must be an integer/);
});
