/**
 * Queries answered from a namespace's read view (on the calling thread or an executor, no message to the namespace
 * actor) give exactly the answers the actor's plan gives: a query by id is always planned by the actor, a query by
 * the same record's vector is answered from the read view, and the two must agree in ids, scores, metadata and
 * values — over a memtable, a slab with its graph, frozen memtables, rows deleted and updated in a slab, and after
 * delete-all. Writes are visible to the next query once acknowledged, also while segments are swapped underneath;
 * concurrent queries (some on executors) answer as sequential ones; what a read view cannot do goes to the actor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB, type Index, type QueryResponse } from 'larchdb';
import { clustered } from './ann-data.js';
import { SPEC } from './helpers.js';

const DIM = 24;

const opts = { path: ':memory:', hnswMinRows: 500, idleFlushMs: 0 } as const;

/** Asks both ways for `n` records and checks the answers agree; answers how many were compared. */
async function bothWaysAgree(db: LarchDB, idx: Index, ids: string[], topK = 10): Promise<number> {
  const fetched = await idx.fetch(ids);
  let compared = 0;
  for (const id of ids) {
    const rec = fetched.records[id];
    if (!rec) continue;
    const before = db.diagnostics().readerQueries;
    const byVector = await idx.query({ vector: rec.values, topK, includeMetadata: true, includeValues: true });
    assert.equal(db.diagnostics().readerQueries, before + 1, 'a query by vector is answered from the read view');
    const byId = await idx.query({ id, topK, includeMetadata: true, includeValues: true });
    assert.equal(db.diagnostics().readerQueries, before + 1, 'a query by id is planned by the actor');
    assert.deepEqual(byVector, byId, `answers for ${id}`);
    compared++;
  }
  return compared;
}

const meta = (i: number, gen = 0) => ({ i, gen, tag: `t${i % 7}`, text: `record ${i} ✓` });

test('read views answer as the actor does: memtable, slab with graph, frozen memtable, deletes, updates, delete-all', async (t) => {
  const db = await LarchDB.open(opts);
  try {
    await db.createIndex({ name: 'rv', dimension: DIM, metric: 'cosine', spec: SPEC });
    const idx = db.index('rv');
    const { vectors } = clustered(2000, DIM, 3);
    const put = (from: number, to: number, gen = 0) =>
      idx.upsert(vectors.slice(from, to).map((v, j) => ({ id: `r${from + j}`, values: Array.from(v), metadata: meta(from + j, gen) })));
    const sample = (n: number, of: number) => Array.from({ length: n }, (_, i) => `r${Math.floor((i * of) / n)}`);

    await put(0, 1000);
    assert.equal(await bothWaysAgree(db, idx, sample(15, 1000)), 15, 'memtable');

    await db.flush('rv');
    const info = (await db.storageInfo('rv'))!;
    assert.deepEqual(info.slabRows, [1000]);
    assert.ok(info.slabGraphBytes[0]! > 0, 'the slab has a graph');
    await put(1000, 1600);
    assert.equal(await bothWaysAgree(db, idx, sample(15, 1600)), 15, 'slab with graph + memtable');

    // Rows of the slab die: deleted ids, and ids rewritten (new metadata) in the memtable.
    const deleted = new Set(Array.from({ length: 100 }, (_, i) => `r${i * 3}`));
    await idx.deleteMany([...deleted]);
    await put(400, 600, 1);
    const gone = await idx.query({ vector: Array.from(vectors[3]!), topK: 5 });
    assert.ok(!gone.matches.some((m) => m.id === 'r3'), 'a deleted row is not answered');
    const rewritten = await idx.query({ vector: Array.from(vectors[401]!), topK: 1, includeMetadata: true });
    assert.deepEqual(rewritten.matches[0]!.metadata, meta(401, 1), 'the rewritten record with its new metadata');
    const alive = (ids: string[]) => ids.filter((id) => !deleted.has(id)).length;
    assert.equal(await bothWaysAgree(db, idx, sample(20, 1600)), alive(sample(20, 1600)), 'after deletes and rewrites');

    // Frozen memtables and more slabs (the segment list changes under the readers).
    await put(1600, 2000);
    await db.flush('rv');
    assert.equal(await bothWaysAgree(db, idx, sample(20, 2000)), alive(sample(20, 2000)), 'after a second flush');
    t.diagnostic(`read-view queries: ${db.diagnostics().readerQueries}`);

    await idx.deleteAll();
    const empty = await idx.query({ vector: Array.from(vectors[0]!), topK: 3 });
    assert.deepEqual(empty.matches, []);
    await put(0, 10);
    assert.equal(await bothWaysAgree(db, idx, sample(10, 10), 3), 10, 'after delete-all');
  } finally {
    await db.close();
  }
});

test('an acknowledged write is seen by the next query, while flushes swap segments underneath', async () => {
  const db = await LarchDB.open({ ...opts, memtableBytes: 16 * 1024 });
  try {
    await db.createIndex({ name: 'ryw', dimension: DIM, metric: 'euclidean', spec: SPEC });
    const idx = db.index('ryw');
    const { vectors } = clustered(1500, DIM, 5);
    let flushes = 0;
    for (let i = 0; i < 1500; i += 25) {
      await idx.upsert(vectors.slice(i, i + 25).map((v, j) => ({ id: `w${i + j}`, values: Array.from(v) })));
      // The last record written is its own nearest neighbour, at distance 0.
      const r = await idx.query({ vector: Array.from(vectors[i + 24]!), topK: 1 });
      assert.equal(r.matches[0]?.id, `w${i + 24}`, `after the write of w${i + 24}`);
      assert.equal(r.matches[0]!.score, 0);
      // Flushes on their own (small memtable) and forced ones: the segment list changes under the queries.
      if (i % 300 === 150) await db.flush('ryw');
      if (i % 300 === 0) {
        await idx.deleteOne(`w${i}`);
        const d = await idx.query({ vector: Array.from(vectors[i]!), topK: 1 });
        assert.notEqual(d.matches[0]?.id, `w${i}`, `w${i} was deleted`);
      }
      flushes = (await db.storageInfo('ryw'))!.flushes;
    }
    assert.ok(flushes >= 5, `segments were swapped while querying (${flushes} flushes)`);
    assert.ok(db.diagnostics().readerQueries >= 60);
    // A new namespace's first write grows its arena's memory on the actor's thread; the query right after it reads
    // that memory on this one, whose view of it may not have caught up yet.
    for (let n = 0; n < 100; n++) {
      const ns = idx.namespace(`fresh-${n}`);
      await ns.upsert(vectors.slice(0, 60).map((v, j) => ({ id: `f${j}`, values: Array.from(v) })));
      const r = await ns.query({ vector: Array.from(vectors[n % 60]!), topK: 3, includeValues: true });
      assert.equal(r.matches[0]!.id, `f${n % 60}`);
    }
  } finally {
    await db.close();
  }
});

test('concurrent queries answer as sequential ones; what a view cannot do goes to the actor', async () => {
  const db = await LarchDB.open(opts);
  try {
    await db.createIndex({ name: 'cc', dimension: DIM, metric: 'dotproduct', spec: SPEC });
    const idx = db.index('cc');
    const { vectors } = clustered(3000, DIM, 9);
    for (let i = 0; i < 3000; i += 500) {
      await idx.upsert(vectors.slice(i, i + 500).map((v, j) => ({ id: `c${i + j}`, values: Array.from(v), metadata: { even: (i + j) % 2 === 0 } })));
    }
    await db.flush('cc');
    await idx.upsert(vectors.slice(0, 300).map((v, j) => ({ id: `n${j}`, values: Array.from(v) })));
    const queries = clustered(64, DIM, 10).vectors.map((v) => Array.from(v));
    const sequential: QueryResponse[] = [];
    for (const q of queries) sequential.push(await idx.query({ vector: q, topK: 10 }));
    const concurrent = await Promise.all(queries.map((q) => idx.query({ vector: q, topK: 10 })));
    assert.deepEqual(concurrent, sequential);

    const before = db.diagnostics().readerQueries;
    const filtered = await idx.query({ vector: queries[0]!, topK: 10, filter: { even: true }, includeMetadata: true });
    assert.ok(filtered.matches.length === 10 && filtered.matches.every((m) => m.metadata?.even === true));
    // A result set larger than the readers' graph scratch is planned by the actor, and still right.
    const wide = await idx.query({ vector: queries[1]!, topK: 1000 });
    assert.equal(wide.matches.length, 1000);
    assert.equal(db.diagnostics().readerQueries, before, 'neither went through a read view');
    const narrow = await idx.query({ vector: queries[1]!, topK: 10 });
    assert.deepEqual(
      narrow.matches.map((m) => m.id),
      wide.matches.slice(0, 10).map((m) => m.id),
    );
  } finally {
    await db.close();
  }
});

test('after its namespace host crashed and came back, queries are answered from the new host’s views', async () => {
  const db = await LarchDB.open(opts);
  try {
    await db.createIndex({ name: 'cr', dimension: DIM, metric: 'cosine', spec: SPEC });
    const idx = db.index('cr');
    const { vectors } = clustered(600, DIM, 11);
    await idx.upsert(vectors.map((v, i) => ({ id: `x${i}`, values: Array.from(v) })));
    const q = Array.from(vectors[42]!);
    assert.equal((await idx.query({ vector: q, topK: 1 })).matches[0]!.id, 'x42');
    await db.faults.crashNamespaceHost('cr');
    while (db.diagnostics().hostRestarts === 0) await new Promise((r) => setTimeout(r, 10));
    let answered: QueryResponse | undefined;
    for (let attempt = 0; attempt < 100 && !answered; attempt++) {
      answered = await idx.query({ vector: q, topK: 1 }).catch(async () => {
        await new Promise((r) => setTimeout(r, 50));
        return undefined;
      });
    }
    // In memory, the restarted host starts empty (nothing was on disk): the answer is empty, not stale.
    assert.deepEqual(answered?.matches, []);
    await idx.upsert([{ id: 'again', values: q }]);
    assert.equal((await idx.query({ vector: q, topK: 1 })).matches[0]!.id, 'again');
  } finally {
    await db.close();
  }
});

test('a large read-view query runs on a reader thread or an executor, with the same answer', async () => {
  const db = await LarchDB.open({ ...opts, hnswMinRows: 100_000 });
  try {
    // 5,000 x 2,048 searched exactly: 10M vector components, more than the main thread takes on.
    const dim = 2048;
    await db.createIndex({ name: 'big', dimension: dim, metric: 'cosine', spec: SPEC });
    const idx = db.index('big');
    const { vectors } = clustered(5000, dim, 12);
    for (let i = 0; i < 5000; i += 200) {
      await idx.upsert(vectors.slice(i, i + 200).map((v, j) => ({ id: `b${i + j}`, values: Array.from(v), metadata: { i: i + j } })));
    }
    const before = db.diagnostics();
    const answers = await Promise.all([7, 1234, 4999].map((i) => idx.query({ vector: Array.from(vectors[i]!), topK: 5, includeMetadata: true, includeValues: true })));
    const after = db.diagnostics();
    const off = after.readerOffloads - before.readerOffloads + after.readerHandoffs - before.readerHandoffs;
    assert.equal(off, 3, 'all three off the main thread: on a reader thread, or an executor when the readers are full');
    assert.ok(after.readerHandoffs > before.readerHandoffs, 'a reader thread took some');
    assert.equal(after.readerQueries - before.readerQueries, 3);
    for (const [n, i] of [7, 1234, 4999].entries()) {
      const byId = await idx.query({ id: `b${i}`, topK: 5, includeMetadata: true, includeValues: true });
      assert.deepEqual(answers[n], byId);
      assert.equal(answers[n]!.matches[0]!.id, `b${i}`);
    }
  } finally {
    await db.close();
  }
});
