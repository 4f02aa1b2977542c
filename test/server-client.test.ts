/**
 * The official client `@pinecone-database/pinecone` 6.x, unchanged, against the real server: in-process on a free
 * port, and once through the `larchdb serve` CLI as a child process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Pinecone, type QueryOptions } from 'pinecone-client-6';
import { LarchDB, type Metric } from 'larchdb';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/app.js';
import { SPEC, close, dense, randomVectors, rng, randomSparse, sparseDot, tempDir, topK, rejectsWith } from './helpers.js';
import { CLI, startCli, stopCli } from './cli-process.js';

let db: LarchDB;
let app: FastifyInstance;
let base: string;
let pc: Pinecone;

before(async () => {
  db = await LarchDB.open({ path: ':memory:' });
  app = createServer({ db });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  // No Api-Key is configured on this server; the client insists on sending one anyway.
  pc = new Pinecone({ apiKey: 'unused', controllerHostUrl: base, maxRetries: 0 });
});
after(async () => {
  await app.close();
  await db.close();
});


test('control plane: create (dense, sparse), describe, list, configure, delete', async () => {
  const model = await pc.createIndex({ name: 'cp-dense', dimension: 4, metric: 'euclidean', spec: SPEC, tags: { team: 'a' } });
  assert.ok(model);
  assert.equal(model.name, 'cp-dense');
  assert.equal(model.dimension, 4);
  assert.equal(model.metric, 'euclidean');
  assert.equal(model.vectorType, 'dense');
  assert.equal(model.deletionProtection, 'disabled');
  assert.deepEqual(model.status, { ready: true, state: 'Ready' });
  assert.equal(model.host, `${base}/index/cp-dense`);
  assert.deepEqual(model.tags, { team: 'a' });
  assert.equal(model.spec.serverless?.cloud, 'aws');
  assert.equal(model.spec.serverless?.region, 'us-east-1');

  const sparse = await pc.createIndex({ name: 'cp-sparse', vectorType: 'sparse', spec: SPEC, waitUntilReady: true });
  assert.ok(sparse);
  assert.equal(sparse.metric, 'dotproduct');
  assert.equal(sparse.vectorType, 'sparse');
  assert.equal(sparse.dimension, undefined);

  const described = await pc.describeIndex('cp-dense');
  assert.deepEqual(described, model);
  const names = ((await pc.listIndexes()).indexes ?? []).map((i) => i.name);
  assert.ok(names.includes('cp-dense') && names.includes('cp-sparse'));

  const conf = await pc.configureIndex('cp-dense', { deletionProtection: 'enabled', tags: { team: '', env: 'dev' } });
  assert.equal(conf.deletionProtection, 'enabled');
  assert.deepEqual(conf.tags, { env: 'dev' });
  // 403 reaches the client as PineconeBadRequestError (its mapping for 400 and 403).
  await rejectsWith(pc.deleteIndex('cp-dense'), 'PineconeBadRequestError', /Deletion protection is enabled/);
  await pc.configureIndex('cp-dense', { deletionProtection: 'disabled' });
  await pc.deleteIndex('cp-dense');
  await pc.deleteIndex('cp-sparse');
  await rejectsWith(pc.describeIndex('cp-dense'), 'PineconeNotFoundError');
  assert.ok(!((await pc.listIndexes()).indexes ?? []).some((i) => i.name.startsWith('cp-')));
});

test('control plane errors: 409 conflict (and suppressConflicts), 404, 400', async () => {
  await pc.createIndex({ name: 'cp-errors', dimension: 2, spec: SPEC });
  await rejectsWith(pc.createIndex({ name: 'cp-errors', dimension: 2, spec: SPEC }), 'PineconeConflictError', /ALREADY_EXISTS/);
  await pc.createIndex({ name: 'cp-errors', dimension: 2, spec: SPEC, suppressConflicts: true });
  await rejectsWith(pc.describeIndex('no-such-index'), 'PineconeNotFoundError');
  await rejectsWith(pc.configureIndex('no-such-index', { deletionProtection: 'enabled' }), 'PineconeNotFoundError');
  await rejectsWith(pc.deleteIndex('no-such-index'), 'PineconeNotFoundError');
  await rejectsWith(pc.createIndex({ name: 'Upper_Case', dimension: 2, spec: SPEC }), 'PineconeBadRequestError', /lowercase/);
  await rejectsWith(pc.createIndex({ name: 'too-wide', dimension: 20001, spec: SPEC }), 'PineconeBadRequestError', /20000/);
  await rejectsWith(pc.listCollections(), 'PineconeBadRequestError', /Collections are not supported by LarchDB/);
  await pc.deleteIndex('cp-errors');
});

test('the client finds the data plane from describe_index, or from a host passed explicitly', async () => {
  await pc.createIndex({ name: 'hosts', dimension: 2, spec: SPEC });
  const viaDescribe = pc.index('hosts'); // no host: the client calls describe_index and uses its `host`
  await viaDescribe.upsert([{ id: 'a', values: [1, 0] }]);
  const viaHost = pc.index('hosts', `${base}/index/hosts`);
  assert.deepEqual(Object.keys((await viaHost.fetch(['a'])).records), ['a']);
  // A second client with its own host cache, resolving through describe_index again.
  const other = new Pinecone({ apiKey: 'other-key', controllerHostUrl: base, maxRetries: 0 });
  assert.equal((await other.index('hosts').describeIndexStats()).totalRecordCount, 1);
  await pc.deleteIndex('hosts');
});

test('data plane: every verb through the client', async () => {
  await pc.createIndex({ name: 'verbs', dimension: 4, metric: 'dotproduct', spec: SPEC });
  const index = pc.index('verbs');
  const ns = index.namespace('ns1');

  await ns.upsert([
    { id: 'doc1#a', values: [1, 0, 0, 0], metadata: { genre: 'drama', year: 2020 } },
    { id: 'doc1#b', values: [0, 1, 0, 0], metadata: { genre: 'comedy', year: 2021 } },
    { id: 'doc2#a', values: [0, 0, 1, 0], metadata: { genre: 'drama', year: 2022, tags: ['x', 'y'] } },
  ]);

  const q = await ns.query({ vector: [1, 0.5, 0.25, 0], topK: 2 });
  assert.deepEqual(q.matches, [
    { id: 'doc1#a', score: 1, values: [], sparseValues: undefined, metadata: undefined },
    { id: 'doc1#b', score: 0.5, values: [], sparseValues: undefined, metadata: undefined },
  ]);
  assert.equal(q.namespace, 'ns1');
  assert.ok((q.usage?.readUnits ?? 0) >= 1);
  const full = await ns.query({ vector: [0, 0, 1, 0], topK: 1, includeValues: true, includeMetadata: true });
  assert.deepEqual(full.matches[0]!.values, [0, 0, 1, 0]);
  assert.deepEqual(full.matches[0]!.metadata, { genre: 'drama', year: 2022, tags: ['x', 'y'] });
  assert.equal((await ns.query({ id: 'doc1#b', topK: 1 })).matches[0]!.id, 'doc1#b');

  const f = await ns.fetch(['doc1#a', 'missing']);
  assert.deepEqual(Object.keys(f.records), ['doc1#a']);
  assert.deepEqual(f.records['doc1#a']!.values, [1, 0, 0, 0]);
  assert.deepEqual(f.records['doc1#a']!.metadata, { genre: 'drama', year: 2020 });
  assert.equal(f.namespace, 'ns1');

  await ns.update({ id: 'doc1#a', values: [0.5, 0.5, 0, 0], metadata: { year: 2024, rating: 4.5 } });
  const updated = (await ns.fetch(['doc1#a'])).records['doc1#a']!;
  assert.deepEqual(updated.values, [0.5, 0.5, 0, 0]);
  assert.deepEqual(updated.metadata, { genre: 'drama', year: 2024, rating: 4.5 }, 'setMetadata merges key by key');
  await ns.update({ id: 'ghost', metadata: { a: 'b' } });
  assert.deepEqual((await ns.fetch(['ghost'])).records, {});

  // Default namespace: the handle without .namespace().
  await index.upsert([{ id: 'd', values: [1, 1, 1, 1] }]);
  const stats = await index.describeIndexStats();
  assert.deepEqual(stats.namespaces, { __default__: { recordCount: 1 }, ns1: { recordCount: 3 } });
  assert.equal(stats.totalRecordCount, 4);
  assert.equal(stats.dimension, 4);
  assert.equal(stats.indexFullness, 0);
  // (The 6.x client's describeIndexStats() takes no filter; server-http.test.ts covers filtered stats.)

  const nsList = await index.listNamespaces();
  assert.deepEqual(nsList.namespaces, [{ name: '__default__', recordCount: 1 }, { name: 'ns1', recordCount: 3 }]);
  const page1 = await index.listNamespaces(1);
  assert.deepEqual(page1.namespaces?.map((n) => n.name), ['__default__']);
  const page2 = await index.listNamespaces(1, page1.pagination?.next);
  assert.deepEqual(page2.namespaces?.map((n) => n.name), ['ns1']);
  assert.equal(page2.pagination, undefined);
  assert.deepEqual(await index.describeNamespace('ns1'), { name: 'ns1', recordCount: 3 });

  await ns.deleteOne('doc1#a');
  await ns.deleteMany(['doc1#b', 'never-existed']);
  assert.deepEqual(Object.keys((await ns.fetch(['doc1#a', 'doc1#b', 'doc2#a'])).records), ['doc2#a']);
  await ns.deleteMany({ genre: { $eq: 'drama' } });
  assert.equal((await index.describeNamespace('ns1')).recordCount, 0);
  await index.upsert([{ id: 'e', values: [0, 0, 0, 1] }]);
  await index.deleteAll();
  assert.equal((await index.describeNamespace('__default__')).recordCount, 0, 'deleteAll keeps the namespace');
  await index.deleteNamespace('ns1');
  await rejectsWith(index.describeNamespace('ns1'), 'PineconeNotFoundError');
  await pc.deleteIndex('verbs');
});

test('list pagination: prefix, limit, tokens until the last page', async () => {
  await pc.createIndex({ name: 'paging', dimension: 2, spec: SPEC });
  const ns = pc.index('paging').namespace('p');
  await ns.upsert(Array.from({ length: 25 }, (_, i) => ({ id: `doc#${String(i).padStart(2, '0')}`, values: [1, i] })));
  await ns.upsert([{ id: 'other', values: [1, 1] }]);
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await ns.listPaginated({ prefix: 'doc#', limit: 10, paginationToken: token });
    seen.push(...(page.vectors ?? []).map((v) => v.id!));
    assert.equal(page.namespace, 'p');
    token = page.pagination?.next;
    pages++;
  } while (token);
  assert.equal(pages, 3);
  assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => `doc#${String(i).padStart(2, '0')}`));
  assert.deepEqual((await ns.listPaginated()).vectors?.length, 26);
  await pc.deleteIndex('paging');
});

test('scores of each metric match a brute-force reference, best first (euclidean ascending)', async () => {
  const dim = 8;
  const data = randomVectors(60, dim, 7);
  const queries = randomVectors(5, dim, 8);
  for (const metric of ['cosine', 'euclidean', 'dotproduct'] as Metric[]) {
    const name = `metric-${metric}`;
    await pc.createIndex({ name, dimension: dim, metric, spec: SPEC });
    const index = pc.index(name);
    await index.upsert(data.map((values, i) => ({ id: `v${i}`, values })));
    for (const qv of queries) {
      const want = topK(data.map((v, i) => ({ id: `v${i}`, score: dense(qv, v, metric) })), 10, metric);
      const got = (await index.query({ vector: qv, topK: 10 })).matches;
      assert.deepEqual(got.map((m) => m.id), want.map((w) => w.id), metric);
      got.forEach((m, i) => assert.ok(close(m.score!, want[i]!.score), `${metric}: ${m.score} vs ${want[i]!.score}`));
    }
    await pc.deleteIndex(name);
  }
});

test('sparse index and hybrid (sparse-dense) queries', async () => {
  const r = rng(3);
  await pc.createIndex({ name: 'sparse-only', vectorType: 'sparse', spec: SPEC });
  const sparse = pc.index('sparse-only');
  const recs = Array.from({ length: 30 }, (_, i) => ({ id: `s${i}`, sparseValues: randomSparse(r, 5, 40) }));
  await sparse.upsert(recs);
  const qs = randomSparse(r, 6, 40);
  const want = topK(recs.map((x) => ({ id: x.id, score: sparseDot(qs, x.sparseValues) })).filter((x) => x.score !== 0), 5, 'dotproduct');
  // The 6.x client's types demand `vector` even for sparse indexes; at run time it sends only what is given.
  const got = (await sparse.query({ sparseVector: qs, topK: 5 } as unknown as QueryOptions)).matches;
  assert.deepEqual(got.map((m) => m.id), want.map((w) => w.id));
  got.forEach((m, i) => assert.ok(close(m.score!, want[i]!.score)));
  await rejectsWith(sparse.query({ vector: [1, 2], topK: 1 }), 'PineconeBadRequestError', /sparse/);

  await pc.createIndex({ name: 'hybrid', dimension: 2, metric: 'dotproduct', spec: SPEC });
  const hybrid = pc.index('hybrid');
  await hybrid.upsert([
    { id: 'h1', values: [1, 0], sparseValues: { indices: [10], values: [2] } },
    { id: 'h2', values: [0.5, 0] },
  ]);
  const h = await hybrid.query({ vector: [1, 0], sparseVector: { indices: [10], values: [1] }, topK: 2, includeValues: true });
  assert.deepEqual(h.matches.map((m) => [m.id, m.score]), [['h1', 3], ['h2', 0.5]]);
  assert.deepEqual(h.matches[0]!.sparseValues, { indices: [10], values: [2] });
  await pc.deleteIndex('sparse-only');
  await pc.deleteIndex('hybrid');
});

test('metadata filters through the client', async () => {
  await pc.createIndex({ name: 'filters', dimension: 2, spec: SPEC });
  const index = pc.index('filters');
  await index.upsert([
    { id: 'a', values: [1, 0], metadata: { genre: 'drama', year: 2019, tags: ['x'], public: true } },
    { id: 'b', values: [1, 0.1], metadata: { genre: 'comedy', year: 2020, tags: ['x', 'y'] } },
    { id: 'c', values: [1, 0.2], metadata: { genre: 'drama', year: 2021, public: false } },
    { id: 'd', values: [1, 0.3], metadata: { genre: 'documentary', year: 2022 } },
  ]);
  const ids = async (filter: object) => (await index.query({ vector: [1, 0], topK: 10, filter })).matches.map((m) => m.id).sort();
  assert.deepEqual(await ids({ genre: { $eq: 'drama' } }), ['a', 'c']);
  assert.deepEqual(await ids({ genre: 'drama' }), ['a', 'c']);
  assert.deepEqual(await ids({ genre: { $ne: 'drama' } }), ['b', 'd']);
  assert.deepEqual(await ids({ year: { $gt: 2020 } }), ['c', 'd']);
  assert.deepEqual(await ids({ year: { $lte: 2020 } }), ['a', 'b']);
  assert.deepEqual(await ids({ genre: { $in: ['comedy', 'documentary'] } }), ['b', 'd']);
  assert.deepEqual(await ids({ genre: { $nin: ['comedy', 'documentary'] } }), ['a', 'c']);
  assert.deepEqual(await ids({ tags: { $in: ['y'] } }), ['b']);
  assert.deepEqual(await ids({ public: { $exists: true } }), ['a', 'c']);
  assert.deepEqual(await ids({ $and: [{ genre: 'drama' }, { year: { $gte: 2020 } }] }), ['c']);
  assert.deepEqual(await ids({ $or: [{ genre: 'comedy' }, { public: true }] }), ['a', 'b']);
  await rejectsWith(index.query({ vector: [1, 0], topK: 1, filter: { year: { $gt: 'x' } } }), 'PineconeBadRequestError');
  await rejectsWith(index.query({ vector: [1, 0], topK: 1, filter: { $bogus: 1 } }), 'PineconeBadRequestError', /\$bogus/);
  await pc.deleteIndex('filters');
});

test('data-plane errors reach the client as its error classes, with the server message', async () => {
  await pc.createIndex({ name: 'dp-errors', dimension: 3, spec: SPEC });
  const index = pc.index('dp-errors');
  await rejectsWith(index.upsert([{ id: 'x', values: [1, 2] }]), 'PineconeBadRequestError', /^Vector dimension 2 does not match the dimension of the index 3/);
  await rejectsWith(index.query({ vector: [1, 2, 3, 4], topK: 1 }), 'PineconeBadRequestError', /dimension/);
  await rejectsWith(index.query({ vector: [1, 2, 3], topK: 10001 }), 'PineconeBadRequestError', /topK/);
  await rejectsWith(index.upsert([{ id: 'x', values: [1, 2, 3], metadata: { nested: { a: 1 } as never } }]), 'PineconeBadRequestError', /nested/);
  await rejectsWith(index.namespace('nope').describeNamespace('nope'), 'PineconeNotFoundError');
  await rejectsWith(pc.index('no-such-index', `${base}/index/no-such-index`).query({ vector: [1], topK: 1 }), 'PineconeNotFoundError', /no-such-index/);
  await rejectsWith(pc.index('no-such-index-either').query({ vector: [1], topK: 1 }), 'PineconeNotFoundError');
  await pc.deleteIndex('dp-errors');
});

test('with --api-key: a wrong key is PineconeAuthorizationError on both planes, the right key works', async () => {
  const secured = createServer({ db, apiKeys: ['s3cret'] });
  const url = await secured.listen({ port: 0, host: '127.0.0.1' });
  try {
    const good = new Pinecone({ apiKey: 's3cret', controllerHostUrl: url, maxRetries: 0 });
    const bad = new Pinecone({ apiKey: 'wrong', controllerHostUrl: url, maxRetries: 0 });
    await good.createIndex({ name: 'auth', dimension: 2, spec: SPEC });
    await good.index('auth').upsert([{ id: 'a', values: [1, 0] }]);
    assert.equal((await good.index('auth').query({ vector: [1, 0], topK: 1 })).matches[0]!.id, 'a');
    await rejectsWith(bad.listIndexes(), 'PineconeAuthorizationError');
    await rejectsWith(bad.index('auth', `${url}/index/auth`).query({ vector: [1, 0], topK: 1 }), 'PineconeAuthorizationError');
    await rejectsWith(bad.index('auth', `${url}/index/auth`).upsert([{ id: 'b', values: [0, 1] }]), 'PineconeAuthorizationError');
    assert.equal((await good.index('auth').describeIndexStats()).totalRecordCount, 1, 'the refused upsert wrote nothing');
    await good.deleteIndex('auth');
  } finally {
    await secured.close();
  }
});

// ---------------------------------------------------------------------------------------------------------------
// The CLI

test('larchdb serve: the client works against the CLI; SIGTERM/SIGINT shut down cleanly and data survives a restart', async () => {
  const dir = await tempDir();
  try {
    const first = await startCli(['serve', '--port', '0', '--data', dir.path, '--api-key', 'cli-key', '--log-level', 'warn']);
    const pc1 = new Pinecone({ apiKey: 'cli-key', controllerHostUrl: first.url, maxRetries: 0 });
    await pc1.createIndex({ name: 'cli-index', dimension: 2, metric: 'euclidean', spec: SPEC });
    await pc1.index('cli-index').namespace('n').upsert([
      { id: 'a', values: [0, 0], metadata: { k: 'v' } },
      { id: 'b', values: [3, 4] },
    ]);
    const q = await pc1.index('cli-index').namespace('n').query({ vector: [0, 0], topK: 2 });
    assert.deepEqual(q.matches.map((m) => [m.id, m.score]), [['a', 0], ['b', 25]]);
    await rejectsWith(new Pinecone({ apiKey: 'nope', controllerHostUrl: first.url, maxRetries: 0 }).listIndexes(), 'PineconeAuthorizationError');
    assert.equal(await stopCli(first.child, 'SIGTERM'), 0, first.output.join('\n'));

    const second = await startCli(['serve', '--port', '0', '--data', dir.path, '--api-key', 'cli-key', '--log-level', 'warn', '--advertise-host', 'http://127.0.0.1:1']);
    const pc2 = new Pinecone({ apiKey: 'cli-key', controllerHostUrl: second.url, maxRetries: 0 });
    assert.equal((await pc2.describeIndex('cli-index')).host, 'http://127.0.0.1:1/index/cli-index', '--advertise-host');
    const index = pc2.index('cli-index', `${second.url}/index/cli-index`).namespace('n');
    assert.deepEqual((await index.fetch(['a'])).records.a?.metadata, { k: 'v' });
    assert.equal((await index.describeNamespace('n')).recordCount, 2);
    assert.equal(await stopCli(second.child, 'SIGINT'), 0, second.output.join('\n'));
  } finally {
    await dir.cleanup();
  }
});

test('larchdb: --help, --version, bad flags and a busy data directory', async () => {
  const run = promisify(execFile);
  const help = await run(process.execPath, [CLI, '--help']);
  assert.match(help.stdout, /Usage: larchdb serve/);
  const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-v']) assert.equal((await run(process.execPath, [CLI, flag])).stdout, `${version}\n`, flag);
  await assert.rejects(run(process.execPath, [CLI, 'serve', '--port', 'eighty']), (e: { code: number; stderr: string }) => e.code === 2 && /--port/.test(e.stderr));
  await assert.rejects(run(process.execPath, [CLI, 'serve', '--bogus']), (e: { code: number; stderr: string }) => e.code === 2 && /bogus/.test(e.stderr));
  await assert.rejects(run(process.execPath, [CLI, 'launch']), (e: { code: number }) => e.code === 2);
  const dir = await tempDir();
  try {
    const held = await LarchDB.open({ path: dir.path });
    try {
      await assert.rejects(run(process.execPath, [CLI, 'serve', '--port', '0', '--data', dir.path]), (e: { code: number; stderr: string }) => e.code === 1 && /data directory/.test(e.stderr));
    } finally {
      await held.close();
    }
  } finally {
    await dir.cleanup();
  }
});
