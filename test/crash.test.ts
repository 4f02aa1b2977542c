/**
 * Worker crashes: a query executor killed mid-query is replaced and the query retried; killed twice, the query
 * fails with UNAVAILABLE and the next query succeeds. A namespace host killed is replaced and serves again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB } from 'larchdb';
import { SPEC, close, dense, randomVectors } from './helpers.js';

let db: LarchDB;
before(async () => {
  db = await LarchDB.open({ path: ':memory:', queryThreads: 2 });
});
after(async () => {
  await db.close();
});

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('an executor killed mid-query is restarted and the query retried with the right answer', async () => {
  const dim = 32;
  await db.createIndex({ name: 'crashy', dimension: dim, metric: 'euclidean', spec: SPEC });
  const ns = db.index('crashy');
  const vecs = randomVectors(40000, dim, 21);
  for (let i = 0; i < vecs.length; i += 1000) await ns.upsert(vecs.slice(i, i + 1000).map((values, j) => ({ id: `v${i + j}`, values })));
  const q = randomVectors(1, dim, 22)[0]!;
  const want = vecs.map((v, i) => ({ id: `v${i}`, score: dense(q, v, 'euclidean') })).sort((a, b) => a.score - b.score).slice(0, 10);

  const before = db.diagnostics();
  db.faults.crashQueryExecutors(1);
  const res = await ns.query({ vector: q, topK: 10 });
  assert.deepEqual(res.matches.map((m) => m.id), want.map((w) => w.id));
  res.matches.forEach((m, i) => assert.ok(close(m.score!, want[i]!.score)));
  await waitFor(() => db.diagnostics().executorRestarts > before.executorRestarts, 'executor restart');
  const after = db.diagnostics();
  assert.equal(after.scanRetries, before.scanRetries + 1);
  assert.equal(after.executors, 2, 'the pool is back to full size');

  // Later queries run normally on the replacement executor.
  for (let i = 0; i < 5; i++) assert.equal((await ns.query({ vector: q, topK: 10 })).matches[0]!.id, want[0]!.id);
});

test('a query whose executor crashes twice fails clearly; the next one succeeds', async () => {
  await db.createIndex({ name: 'crashy2', dimension: 4, spec: SPEC });
  const ns = db.index('crashy2');
  await ns.upsert([{ id: 'a', values: [1, 0, 0, 0] }, { id: 'b', values: [0, 1, 0, 0] }]);
  db.faults.crashQueryExecutors(2);
  await assert.rejects(ns.query({ vector: [1, 0, 0, 0], topK: 1 }), (e: any) => e.code === 'UNAVAILABLE' && e.status === 503 && /crashed twice/.test(e.message));
  assert.deepEqual((await ns.query({ vector: [1, 0, 0, 0], topK: 1 })).matches.map((m) => m.id), ['a']);
  // Writes were never affected.
  await ns.upsert([{ id: 'c', values: [0, 0, 1, 0] }]);
  assert.deepEqual((await ns.query({ vector: [0, 0, 1, 0], topK: 1 })).matches.map((m) => m.id), ['c']);
});

test('a crashed namespace host is restarted; calls in flight fail with UNAVAILABLE, later calls succeed', async () => {
  await db.createIndex({ name: 'hostcrash', dimension: 2, spec: SPEC });
  const ns = db.index('hostcrash');
  await ns.upsert([{ id: 'a', values: [1, 0] }]);
  const restarts = db.diagnostics().hostRestarts;
  await db.faults.crashNamespaceHost('hostcrash');
  // Keep calling until the old thread is gone: every call either succeeds or fails with UNAVAILABLE.
  await waitFor(() => db.diagnostics().hostRestarts > restarts, 'host restart');
  let ok = false;
  for (let i = 0; i < 100 && !ok; i++) {
    try {
      await ns.upsert([{ id: 'b', values: [0, 1] }]);
      ok = true;
    } catch (e: any) {
      assert.equal(e.code, 'UNAVAILABLE', `unexpected error ${e.code}: ${e.message}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  assert.ok(ok, 'the restarted host accepts writes');
  assert.deepEqual((await ns.query({ vector: [0, 1], topK: 1 })).matches.map((m) => m.id), ['b']);
  assert.equal(db.diagnostics().hosts, 1);
});
