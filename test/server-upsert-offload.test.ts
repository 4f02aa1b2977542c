/**
 * Large upsert bodies are parsed and validated on an executor thread, off the HTTP thread's event loop, and get
 * exactly the answers and errors a small body does.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB } from 'larchdb';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/app.js';
import { randomVectors } from './helpers.js';

let db: LarchDB;
let app: FastifyInstance;
let base: string;
before(async () => {
  db = await LarchDB.open({ path: ':memory:' });
  app = createServer({ db });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  await post('/indexes', { name: 'big', dimension: 128, metric: 'dotproduct', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
});
after(async () => {
  await app.close();
  await db.close();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const batch = (n: number, seed: number, ns: string) => ({
  namespace: ns,
  vectors: randomVectors(n, 128, seed).map((values, i) => ({ id: `r${i}`, values, metadata: { i, tag: `t${i % 7}` } })),
});

test('a ~1.5 MB upsert lands whole and queries find it', async () => {
  const body = batch(600, 1, 'large');
  assert.ok(JSON.stringify(body).length > 1_000_000, 'the body is over the offload threshold');
  assert.deepEqual(await post('/index/big/vectors/upsert', body), { status: 200, body: { upsertedCount: 600 } });
  const q = await post('/index/big/query', { namespace: 'large', vector: body.vectors[17]!.values, topK: 1, includeMetadata: true });
  assert.equal(q.body.matches[0].id, 'r17');
  assert.deepEqual(q.body.matches[0].metadata, { i: 17, tag: 't3' });
});

test('large bodies are prepared on executor threads, small ones inline', async () => {
  const before = db.diagnostics().offloaded;
  const results = await Promise.all(Array.from({ length: 4 }, (_, i) => post('/index/big/vectors/upsert', batch(600, 10 + i, `big${i}`))));
  assert.ok(results.every((r) => r.status === 200 && r.body.upsertedCount === 600));
  assert.equal(db.diagnostics().offloaded, before + 4, 'each large body went to the executor pool');
  assert.equal((await post('/index/big/vectors/upsert', batch(5, 20, 'small'))).status, 200);
  assert.equal(db.diagnostics().offloaded, before + 4, 'a small body is prepared inline');
});

test('a large body gets the same errors as a small one, and writes nothing', async () => {
  for (const n of [3, 600]) {
    const ns = `err${n}`;
    const wrongDim = batch(n, 2, ns);
    wrongDim.vectors[n - 1]!.values = [1, 2, 3];
    const r1 = await post('/index/big/vectors/upsert', wrongDim);
    assert.equal(r1.status, 400);
    assert.deepEqual(Object.keys(r1.body).sort(), ['code', 'details', 'message']);
    assert.equal(r1.body.code, 3);
    assert.match(r1.body.message, /Vector dimension 3 does not match the dimension of the index 128/);

    const wrongType = batch(n, 3, ns) as any;
    wrongType.vectors[0].values[5] = 'x';
    const r2 = await post('/index/big/vectors/upsert', wrongType);
    assert.equal(r2.status, 400);
    assert.match(r2.body.message, /vectors\[0\]\.values\[5\]|values/);

    const aliased = batch(n, 4, ns) as any;
    aliased.vectors[0].sparse_values = { indices: [1], values: [0.5] };
    assert.equal((await post('/index/big/vectors/upsert', aliased)).status, 200, 'snake_case alias accepted at any size');
    const stats = await post('/index/big/describe_index_stats', {});
    assert.equal(stats.body.namespaces[ns].vectorCount, n, 'only the valid batch was written');
  }
  const res = await fetch(`${base}/index/big/vectors/upsert`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"vectors": [' + '{"id":"a","values":[1,'.repeat(1) + ' oops' + 'x'.repeat(100_000) });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { message: string }).message, /Malformed JSON/);
});
