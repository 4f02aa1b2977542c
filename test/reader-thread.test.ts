/**
 * Read-view queries handed to a reader thread (actors/reader, through shared memory) while others are in flight
 * answer exactly as the main thread answers them alone: ids, scores, metadata and values, over a slab with its graph,
 * a memtable, deleted and updated rows. A write acknowledged before a query is seen by it, also while flushes swap
 * segments under queries in flight. A reader thread that dies midway through a search is replaced, and every query
 * it had is answered (run again on the main thread), none lost or hung; the reader slots its search held are freed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB, type Index, type QueryResponse } from 'larchdb';
import { clustered } from './ann-data.js';
import { SPEC } from './helpers.js';

const DIM = 32;
const opts = { path: ':memory:', hnswMinRows: 500, idleFlushMs: 0 } as const;

/** A slab with a graph (some of its rows deleted or rewritten) and a memtable. */
async function loaded(db: LarchDB, name: string): Promise<{ idx: Index; vectors: Float32Array[] }> {
  await db.createIndex({ name, dimension: DIM, metric: 'cosine', spec: SPEC });
  const idx = db.index(name);
  const { vectors } = clustered(2400, DIM, 21);
  for (let i = 0; i < 2000; i += 250) {
    await idx.upsert(vectors.slice(i, i + 250).map((v, j) => ({ id: `r${i + j}`, values: Array.from(v), metadata: { i: i + j, tag: `t${(i + j) % 5}` } })));
  }
  await db.flush(name);
  assert.ok((await db.storageInfo(name))!.slabGraphBytes[0]! > 0, 'the slab has a graph');
  await idx.upsert(vectors.slice(2000).map((v, j) => ({ id: `r${2000 + j}`, values: Array.from(v), metadata: { i: 2000 + j, tag: 'mem' } })));
  await idx.deleteMany(Array.from({ length: 40 }, (_, i) => `r${i * 7}`));
  for (let i = 1; i < 400; i += 9) await idx.update({ id: `r${i}`, metadata: { i, tag: 'updated' } });
  return { idx, vectors };
}

const ask = (idx: Index, q: number[]) => idx.query({ vector: q, topK: 10, includeMetadata: true, includeValues: true });

/** The queries one at a time (each alone: answered on the main thread). */
async function sequential(db: LarchDB, idx: Index, queries: number[][]): Promise<QueryResponse[]> {
  const before = db.diagnostics().readerHandoffs;
  const out: QueryResponse[] = [];
  for (const q of queries) out.push(await ask(idx, q));
  assert.equal(db.diagnostics().readerHandoffs, before, 'a query alone runs on the main thread');
  return out;
}

test('queries handed to the reader thread answer as the main thread does: ids, scores, metadata, values', async () => {
  const db = await LarchDB.open(opts);
  try {
    assert.ok(db.diagnostics().readers >= 1, 'a reader thread runs');
    const { idx } = await loaded(db, 'same');
    const queries = clustered(96, DIM, 22).vectors.map((v) => Array.from(v));
    const alone = await sequential(db, idx, queries);
    const before = db.diagnostics();
    for (let round = 0; round < 3; round++) {
      const together = await Promise.all(queries.map((q) => ask(idx, q)));
      assert.deepEqual(together, alone);
    }
    const after = db.diagnostics();
    // The second query of a burst always goes to the reader; how many more depends on how fast each thread is.
    assert.ok(after.readerHandoffs - before.readerHandoffs >= 3, 'the reader thread took some');
    assert.equal(after.readerQueries - before.readerQueries, 3 * queries.length, 'every one from the read view');
    assert.ok(alone.every((r) => r.matches.length === 10 && r.matches[0]!.values?.length === DIM && r.matches[0]!.metadata));
  } finally {
    await db.close();
  }
});

test('an acknowledged write is seen by queries in flight on the reader thread, while flushes swap segments', async () => {
  const db = await LarchDB.open({ ...opts, memtableBytes: 64 * 1024 });
  try {
    await db.createIndex({ name: 'ryw', dimension: DIM, metric: 'euclidean', spec: SPEC });
    const idx = db.index('ryw');
    const { vectors } = clustered(3000, DIM, 23);
    const before = db.diagnostics().readerHandoffs;
    let flushing: Promise<void> = Promise.resolve();
    for (let i = 0; i < 3000; i += 50) {
      await idx.upsert(vectors.slice(i, i + 50).map((v, j) => ({ id: `w${i + j}`, values: Array.from(v) })));
      if (i % 500 === 250) flushing = db.flush('ryw'); // not awaited: the swap lands while the queries below run
      // Every record of the batch just acknowledged is its own nearest neighbour, at distance 0.
      const answers = await Promise.all(Array.from({ length: 8 }, (_, j) => idx.query({ vector: Array.from(vectors[i + j * 6]!), topK: 1 })));
      answers.forEach((r, j) => {
        assert.equal(r.matches[0]?.id, `w${i + j * 6}`, `after the write of w${i + j * 6}`);
        assert.equal(r.matches[0]!.score, 0);
      });
      if (i % 600 === 0) {
        await idx.deleteOne(`w${i}`);
        const gone = await Promise.all([0, 1, 2, 3].map(() => idx.query({ vector: Array.from(vectors[i]!), topK: 1 })));
        for (const r of gone) assert.notEqual(r.matches[0]?.id, `w${i}`, `w${i} was deleted`);
      }
    }
    await flushing;
    assert.ok((await db.storageInfo('ryw'))!.flushes >= 4, 'segments were swapped while querying');
    assert.ok(db.diagnostics().readerHandoffs - before >= 50, 'the reader thread took many of them');
  } finally {
    await db.close();
  }
});

test('a reader thread killed midway is replaced: its queries are answered, none lost or hung, its slots freed', async () => {
  const db = await LarchDB.open(opts);
  try {
    const { idx } = await loaded(db, 'crash');
    const queries = clustered(48, DIM, 24).vectors.map((v) => Array.from(v));
    const alone = await sequential(db, idx, queries);
    /** Bursts of all the queries (each answered right, all from the read view) until the reader took some. */
    const untilHandedOff = async (): Promise<void> => {
      for (let round = 0; ; round++) {
        const before = db.diagnostics();
        assert.deepEqual(await Promise.all(queries.map((q) => ask(idx, q))), alone, `answers (round ${round})`);
        const after = db.diagnostics();
        assert.equal(after.readerQueries - before.readerQueries, queries.length, 'all from the read view');
        if (after.readerHandoffs > before.readerHandoffs) return;
        assert.ok(round < 200, 'a reader thread takes queries again');
        await new Promise((r) => setTimeout(r, 25)); // the replacement is still starting
      }
    };
    // Several deaths in a row: a dead reader's claimed slots, were they not freed, would run the segments out of
    // reader slots, and queries would then leave the read views for the actor.
    for (let crash = 1; crash <= 4; crash++) {
      db.faults.crashReaders(1);
      await untilHandedOff(); // the first query handed off makes the thread exit midway through its search
      while (db.diagnostics().readerRestarts < crash) await new Promise((r) => setTimeout(r, 10));
    }
    // The last replacement answers queries.
    await untilHandedOff();
  } finally {
    await db.close();
  }
});
