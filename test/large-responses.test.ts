/**
 * Answers with values (fetch, fetch_by_metadata, query with includeValues) that are large are encoded on an executor
 * thread (server/response-encode.ts): other requests are answered while one is being encoded, the large answer is
 * correct, and its bytes are exactly those of the inline path, for every shape and API version.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB } from 'larchdb';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/app.js';
import { queryToWire } from '../server/wire.js';
import { httpCall, randomSparse, randomVectors, rng, SPEC, type HttpRes } from './helpers.js';

const N = 1000;
const DIM = 768;
const vectors = randomVectors(N, DIM, 7);
const ids = vectors.map((_, i) => `r${i}`);

let db: LarchDB;
/** The default server: answers from 8192 values on are encoded on an executor. */
let app: FastifyInstance;
/** Every answer with values encoded on this thread, and every one on an executor: the two paths to compare. */
let inlineApp: FastifyInstance;
let offloadApp: FastifyInstance;
let base: string;
let inlineBase: string;
let offloadBase: string;

before(async () => {
  db = await LarchDB.open({ path: ':memory:' });
  app = createServer({ db });
  inlineApp = createServer({ db, offloadValuesFrom: Infinity });
  offloadApp = createServer({ db, offloadValuesFrom: 0 });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  inlineBase = await inlineApp.listen({ port: 0, host: '127.0.0.1' });
  offloadBase = await offloadApp.listen({ port: 0, host: '127.0.0.1' });

  // 768-d, every other record with metadata.
  await db.createIndex({ name: 'big', dimension: DIM, metric: 'dotproduct', spec: SPEC });
  for (let start = 0; start < N; start += 200) {
    await db.index('big').upsert(
      vectors.slice(start, start + 200).map((values, j) => {
        const i = start + j;
        return i % 2 === 0 ? { id: ids[i]!, values, metadata: { i, tag: `t${i % 7}`, even: true } } : { id: ids[i]!, values };
      }),
    );
  }

  // Dense + sparse, in two namespaces; ids that look like array indexes (a JSON object lists those first).
  await db.createIndex({ name: 'hyb', dimension: 16, metric: 'dotproduct', spec: SPEC });
  const r = rng(11);
  const hybIds = ['10', 'b', '2', 'a', '1', 'z'];
  for (const ns of ['', 'ns-a']) {
    await db.index('hyb').namespace(ns).upsert(
      hybIds.map((id, i) => ({
        id,
        values: randomVectors(1, 16, 100 + i)[0]!,
        ...(i % 3 !== 1 ? { sparseValues: randomSparse(r, 3 + i, 1000) } : {}),
        ...(i % 2 === 0 ? { metadata: { genre: i < 3 ? 'drama' : 'comedy', year: 2000 + i } } : {}),
      })),
    );
  }

  // Sparse only.
  await db.createIndex({ name: 'sp', vectorType: 'sparse', metric: 'dotproduct', spec: SPEC });
  await db.index('sp').upsert(Array.from({ length: 20 }, (_, i) => ({ id: `s${i}`, sparseValues: randomSparse(r, 5 + i, 500), metadata: { i } })));
});

after(async () => {
  await Promise.all([app.close(), inlineApp.close(), offloadApp.close()]);
  await db.close();
});

const fetchPath = (index: string, which: readonly string[], ns?: string) =>
  `/index/${index}/vectors/fetch?${which.map((id) => `ids=${encodeURIComponent(id)}`).join('&')}${ns === undefined ? '' : `&namespace=${ns}`}`;


test('other requests are answered while large answers are encoded, and the large answers are correct', async () => {
  const since = db.diagnostics().offloaded;
  const done: string[] = [];
  const tagged = (name: string, p: Promise<HttpRes>) => p.then((res) => (done.push(name), res));
  const large = [
    tagged('fetch 1', httpCall(base, 'GET', fetchPath('big', ids), undefined, {}, 60_000)),
    tagged('query', httpCall(base, 'POST', '/index/big/query', { vector: vectors[3], topK: N, includeValues: true, includeMetadata: true }, {}, 60_000)),
    tagged('fetch 2', httpCall(base, 'GET', fetchPath('big', ids), undefined, {}, 60_000)),
  ];
  let settled = false;
  const all = Promise.all(large).finally(() => (settled = true));
  // Once the first large answer is on an executor (the others wait for it), small requests go through.
  while (db.diagnostics().offloaded === since && !settled) await new Promise((r) => setImmediate(r));
  const stats = await httpCall(base, 'GET', '/index/big/describe_index_stats');
  done.push('stats');
  const small = await httpCall(base, 'GET', fetchPath('big', ['r1', 'r2']));
  done.push('small fetch');
  const one = await httpCall(base, 'POST', '/index/big/query', { vector: vectors[5], topK: 1 });
  done.push('small query');
  const [fetch1, query, fetch2] = await all;
  assert.deepEqual(done.slice(0, 3), ['stats', 'small fetch', 'small query'], `answered in the order ${done.join(', ')}`);
  assert.equal(db.diagnostics().offloaded, since + 3, 'each large answer went to the executors, no small one did');

  assert.equal(stats.body.totalVectorCount, N);
  assert.deepEqual(Object.keys(small.body.vectors).sort(), ['r1', 'r2']);
  assert.equal(one.body.matches[0].id, 'r5');

  for (const res of [fetch1!, fetch2!]) {
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json; charset=utf-8$/);
    assert.equal(res.body.namespace, '__default__');
    assert.deepEqual(res.body.usage, { readUnits: 100 });
    assert.equal(Object.keys(res.body.vectors).length, N);
    vectors.forEach((values, i) => {
      const rec = res.body.vectors[ids[i]!];
      assert.deepEqual(rec.values.map(Math.fround), values, `values of ${ids[i]}`); // float32 written, float32 read
      assert.deepEqual(rec.metadata, i % 2 === 0 ? { i, tag: `t${i % 7}`, even: true } : undefined);
    });
  }
  assert.equal(query!.status, 200);
  assert.equal(query!.body.matches.length, N);
  assert.equal(query!.body.matches[0].id, 'r3');
  for (const m of query!.body.matches) {
    const i = Number(m.id.slice(1));
    assert.deepEqual(m.values.map(Math.fround), vectors[i], `values of ${m.id}`);
  }
});

/** Requests whose answers carry values, of every shape. */
const SHAPES: { name: string; method: string; path: string; body?: unknown }[] = [
  { name: 'fetch, with and without metadata', method: 'GET', path: fetchPath('big', ids.slice(0, 40)) },
  { name: 'fetch of ids that do not exist', method: 'GET', path: fetchPath('big', ['nope', 'r7', 'also-nope']) },
  { name: 'fetch from a namespace that does not exist', method: 'GET', path: fetchPath('big', ['r1'], 'nowhere') },
  { name: 'fetch, sparse values, index-like ids', method: 'GET', path: fetchPath('hyb', ['z', '10', 'b', '2', 'a', '1']) },
  { name: 'fetch, another namespace', method: 'GET', path: fetchPath('hyb', ['1', 'a', '10'], 'ns-a') },
  { name: 'fetch, sparse index', method: 'GET', path: fetchPath('sp', ['s3', 's0', 's19']) },
  { name: 'query with values and metadata', method: 'POST', path: '/index/big/query', body: { vector: vectors[9], topK: 25, includeValues: true, includeMetadata: true } },
  { name: 'query with values only', method: 'POST', path: '/index/big/query', body: { id: 'r4', topK: 12, includeValues: true } },
  {
    name: 'query, dense + sparse, namespace',
    method: 'POST',
    path: '/index/hyb/query',
    body: { namespace: 'ns-a', vector: randomVectors(1, 16, 3)[0], sparseVector: { indices: [1, 5, 900], values: [0.5, 0.25, 2] }, topK: 6, includeValues: true, includeMetadata: true },
  },
  { name: 'query, sparse index', method: 'POST', path: '/index/sp/query', body: { sparseVector: { indices: [1, 2, 3, 50, 400], values: [1, 1, 1, 1, 1] }, topK: 20, includeValues: true, includeMetadata: true } },
  { name: 'query, empty namespace', method: 'POST', path: '/index/big/query', body: { namespace: 'nowhere', vector: vectors[0], topK: 3, includeValues: true } },
  { name: 'fetch_by_metadata, a page', method: 'POST', path: '/index/hyb/vectors/fetch_by_metadata', body: { filter: { genre: 'drama' }, limit: 1 } },
  { name: 'fetch_by_metadata, last page', method: 'POST', path: '/index/big/vectors/fetch_by_metadata', body: { filter: { tag: 't3' }, limit: 100 } },
];

test('answers encoded on an executor are byte for byte those encoded inline, in every API version', async () => {
  for (const version of ['2024-07', '2025-04', '2025-10', '2026-04', '2026-07']) {
    const headers = { 'x-pinecone-api-version': version };
    for (const s of SHAPES) {
      const since = db.diagnostics().offloaded;
      const inline = await httpCall(inlineBase, s.method, s.path, s.body, headers);
      assert.equal(db.diagnostics().offloaded, since, `${s.name}: inline`);
      const offloaded = await httpCall(offloadBase, s.method, s.path, s.body, headers);
      assert.equal(db.diagnostics().offloaded, since + 1, `${s.name}: encoded on an executor`);
      assert.equal(inline.status, 200, `${s.name}: ${inline.text}`);
      assert.equal(offloaded.status, 200, `${s.name}: ${offloaded.text}`);
      assert.equal(offloaded.text, inline.text, `${s.name} (${version})`);
      assert.equal(offloaded.headers.get('content-type'), inline.headers.get('content-type'));
      assert.equal(offloaded.headers.get('x-pinecone-api-version'), version);
    }
  }
});

test('the bytes of a query answer are those of the in-process answer, serialized', async () => {
  for (const s of SHAPES.filter((x) => x.path.endsWith('/query'))) {
    const body = s.body as Record<string, unknown> & { namespace?: string };
    const index = s.path.split('/')[2]!;
    const { namespace, ...options } = body;
    const local = await db.index(index).namespace(namespace ?? '').query(options as never);
    const offloaded = await httpCall(offloadBase, s.method, s.path, s.body);
    assert.equal(offloaded.text, JSON.stringify(queryToWire(local)), s.name);
  }
});
