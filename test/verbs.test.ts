/** Every verb of the programmatic API, end to end through the actor threads. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB } from 'larchdb';
import { SPEC } from './helpers.js';

let db: LarchDB;
before(async () => {
  db = await LarchDB.open({ path: ':memory:' });
});
after(async () => {
  await db.close();
});

test('control plane: create, describe, list, configure, delete', async () => {
  const model = await db.createIndex({ name: 'movies', dimension: 4, metric: 'cosine', spec: SPEC, tags: { team: 'a' } });
  assert.equal(model.name, 'movies');
  assert.equal(model.dimension, 4);
  assert.equal(model.metric, 'cosine');
  assert.equal(model.vectorType, 'dense');
  assert.equal(model.deletionProtection, 'disabled');
  assert.deepEqual(model.status, { ready: true, state: 'Ready' });
  assert.deepEqual(model.spec, { serverless: { ...SPEC.serverless, readCapacity: { mode: 'OnDemand', status: { state: 'Ready' } } } }, 'read capacity defaults to OnDemand');
  assert.deepEqual(model.tags, { team: 'a' });
  assert.equal(typeof model.host, 'string');

  const sparse = await db.createIndex({ name: 'sparse-one', vectorType: 'sparse', spec: SPEC });
  assert.equal(sparse.metric, 'dotproduct');
  assert.equal(sparse.dimension, undefined);

  assert.deepEqual((await db.listIndexes()).indexes!.map((i) => i.name).sort(), ['movies', 'sparse-one']);
  assert.deepEqual(await db.describeIndex('movies'), model);

  // An existing name is a conflict, unless the caller asked to suppress it.
  await assert.rejects(db.createIndex({ name: 'movies', dimension: 4, spec: SPEC }), (e: any) => e.code === 'ALREADY_EXISTS' && e.status === 409);
  assert.equal((await db.createIndex({ name: 'movies', dimension: 4, spec: SPEC, suppressConflicts: true })).name, 'movies');

  const conf = await db.configureIndex('movies', { deletionProtection: 'enabled', tags: { env: 'dev', team: '' } });
  assert.equal(conf.deletionProtection, 'enabled');
  assert.deepEqual(conf.tags, { env: 'dev' }, 'a tag set to "" is removed, new tags are added');
  await assert.rejects(db.deleteIndex('movies'), (e: any) => e.code === 'FORBIDDEN' && e.status === 403 && /deletion protection/i.test(e.message));
  await db.configureIndex('movies', { deletionProtection: 'disabled' });
  await db.deleteIndex('movies');
  await db.deleteIndex('sparse-one');
  await assert.rejects(db.describeIndex('movies'), (e: any) => e.code === 'NOT_FOUND' && /movies/.test(e.message));
  assert.deepEqual((await db.listIndexes()).indexes, []);
});

test('data plane: upsert, query, fetch, update, delete, list, stats, namespaces', async () => {
  await db.createIndex({ name: 'data', dimension: 4, metric: 'dotproduct', spec: SPEC });
  const index = db.index('data');
  const ns = index.namespace('ns1');

  assert.deepEqual(await ns.upsert([
    { id: 'doc1#a', values: [1, 0, 0, 0], metadata: { genre: 'drama', year: 2020 } },
    { id: 'doc1#b', values: [0, 1, 0, 0], metadata: { genre: 'comedy', year: 2021 } },
    { id: 'doc2#a', values: [0, 0, 1, 0], metadata: { genre: 'drama', year: 2022, tags: ['x', 'y'] } },
  ]), { upsertedCount: 3 });

  // query: values are [] unless asked for; metadata only when asked for.
  const q = await ns.query({ vector: [1, 0.5, 0.25, 0], topK: 2 });
  assert.deepEqual(q.matches, [{ id: 'doc1#a', score: 1, values: [] }, { id: 'doc1#b', score: 0.5, values: [] }]);
  assert.equal(q.namespace, 'ns1');
  assert.ok(q.usage!.readUnits! >= 1);
  const full = await ns.query({ vector: [0, 0, 1, 0], topK: 1, includeValues: true, includeMetadata: true, filter: { genre: { $eq: 'drama' } } });
  assert.deepEqual(full.matches, [{ id: 'doc2#a', score: 1, values: [0, 0, 1, 0], metadata: { genre: 'drama', year: 2022, tags: ['x', 'y'] } }]);
  assert.deepEqual((await ns.query({ id: 'doc1#b', topK: 1 })).matches.map((m) => m.id), ['doc1#b']);

  // fetch: missing ids are left out.
  const f = await ns.fetch(['doc1#a', 'missing']);
  assert.deepEqual(f.records, { 'doc1#a': { id: 'doc1#a', values: [1, 0, 0, 0], metadata: { genre: 'drama', year: 2020 } } });
  assert.equal(f.namespace, 'ns1');

  // update: values replaced, metadata merged key by key; an unknown id is a no-op.
  await ns.update({ id: 'doc1#a', values: [0.5, 0.5, 0, 0], metadata: { year: 2024, rating: 4.5 } });
  assert.deepEqual((await ns.fetch(['doc1#a'])).records['doc1#a'], { id: 'doc1#a', values: [0.5, 0.5, 0, 0], metadata: { genre: 'drama', year: 2024, rating: 4.5 } });
  await ns.update({ id: 'doc1#a', metadata: { genre: 'noir' } });
  assert.deepEqual((await ns.fetch(['doc1#a'])).records['doc1#a']!.values, [0.5, 0.5, 0, 0], 'metadata-only update keeps values');
  await ns.update({ id: 'ghost', metadata: { a: 'b' } });
  assert.deepEqual((await ns.fetch(['ghost'])).records, {});

  // upsert replaces a record whole: metadata not sent is gone.
  await ns.upsert([{ id: 'doc1#b', values: [0, 1, 0, 0] }]);
  assert.deepEqual((await ns.fetch(['doc1#b'])).records['doc1#b'], { id: 'doc1#b', values: [0, 1, 0, 0] });

  // list: bitwise order, prefix, pagination.
  await ns.upsert(Array.from({ length: 7 }, (_, i) => ({ id: `doc3#${i}`, values: [0, 0, 0, 1] })));
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await ns.listPaginated({ prefix: 'doc3#', limit: 3, paginationToken: token });
    seen.push(...page.vectors!.map((v) => v.id));
    token = page.pagination?.next;
    pages++;
  } while (token);
  assert.deepEqual(seen, Array.from({ length: 7 }, (_, i) => `doc3#${i}`));
  assert.equal(pages, 3);
  assert.deepEqual((await ns.listPaginated()).vectors!.map((v) => v.id).slice(0, 3), ['doc1#a', 'doc1#b', 'doc2#a']);
  assert.deepEqual((await ns.listPaginated({ prefix: 'zzz' })).vectors, []);

  // stats and namespaces.
  await index.namespace('ns2').upsert([{ id: 'o', values: [1, 1, 1, 1], metadata: { genre: 'drama' } }]);
  const stats = await index.describeIndexStats();
  assert.deepEqual(stats.namespaces, { ns1: { recordCount: 10 }, ns2: { recordCount: 1 } });
  assert.equal(stats.totalRecordCount, 11);
  assert.equal(stats.dimension, 4);
  assert.equal(stats.indexFullness, 0);
  const dramaStats = await index.describeIndexStats({ filter: { genre: 'drama' } });
  assert.deepEqual(dramaStats.namespaces, { ns1: { recordCount: 1 }, ns2: { recordCount: 1 } });
  assert.deepEqual((await index.listNamespaces()).namespaces, [{ name: 'ns1', recordCount: 10 }, { name: 'ns2', recordCount: 1 }]);
  const firstPage = await index.listNamespaces(1);
  assert.deepEqual(firstPage.namespaces.map((n) => n.name), ['ns1']);
  assert.deepEqual((await index.listNamespaces(1, firstPage.pagination!.next)).namespaces.map((n) => n.name), ['ns2']);
  assert.deepEqual(await index.describeNamespace('ns2'), { name: 'ns2', recordCount: 1, indexedFields: { fields: ['genre'] } });

  // deletes.
  await ns.deleteOne('doc3#0');
  await ns.deleteMany(['doc3#1', 'doc3#2', 'never-existed']);
  await ns.deleteMany({ genre: 'drama' });
  assert.deepEqual((await ns.listPaginated()).vectors!.map((v) => v.id), ['doc1#a', 'doc1#b', 'doc3#3', 'doc3#4', 'doc3#5', 'doc3#6']);
  await ns.deleteAll();
  assert.deepEqual((await index.describeNamespace('ns1')).recordCount, 0, 'deleteAll keeps the namespace');
  assert.deepEqual((await ns.query({ vector: [1, 1, 1, 1], topK: 5 })).matches, []);
  await index.deleteNamespace('ns2');
  await assert.rejects(index.describeNamespace('ns2'), (e: any) => e.code === 'NOT_FOUND' && /ns2/.test(e.message));
  await assert.rejects(index.deleteNamespace('ns2'), (e: any) => e.code === 'NOT_FOUND');
  await assert.rejects(ns.deleteMany({}), (e: any) => e.code === 'INVALID_ARGUMENT' && /deleteAll/.test(e.message));
});

test('default namespace: "" and "__default__" are one namespace; the index handle targets it', async () => {
  await db.createIndex({ name: 'defaults', dimension: 2, metric: 'euclidean', spec: SPEC });
  const index = db.index('defaults');
  await index.upsert([{ id: 'a', values: [0, 0] }]);
  await index.namespace('').upsert([{ id: 'b', values: [1, 1] }]);
  const res = await index.namespace('__default__').query({ vector: [0.3, 0.3], topK: 5 });
  assert.deepEqual(res.matches.map((m) => m.id), ['a', 'b']);
  assert.ok(Math.abs(res.matches[0]!.score! - 0.18) < 1e-6, 'euclidean score is the squared distance');
  assert.equal(res.namespace, '__default__');
  assert.deepEqual((await index.describeIndexStats()).namespaces, { __default__: { recordCount: 2 } });
});

test('a namespace that was never written reads as empty', async () => {
  await db.createIndex({ name: 'empty-ns', dimension: 2, spec: SPEC });
  const ns = db.index('empty-ns').namespace('nothing-here');
  assert.deepEqual((await ns.query({ vector: [1, 0], topK: 3 })).matches, []);
  assert.deepEqual((await ns.fetch(['x'])).records, {});
  assert.deepEqual((await ns.listPaginated()).vectors, []);
  await ns.deleteMany(['x']);
  await ns.deleteAll();
  assert.deepEqual((await db.index('empty-ns').describeIndexStats()).namespaces, {});
  // A bad filter is an error even where there is nothing to filter.
  const bad = { year: { $gt: 'x' } };
  await assert.rejects(ns.query({ vector: [1, 0], topK: 3, filter: bad }), (e: any) => e.code === 'INVALID_ARGUMENT' && /\$gt/.test(e.message));
  await assert.rejects(ns.deleteMany(bad), (e: any) => e.code === 'INVALID_ARGUMENT' && /\$gt/.test(e.message));
  await assert.rejects(db.index('empty-ns').describeIndexStats({ filter: bad }), (e: any) => e.code === 'INVALID_ARGUMENT');
});

test('concurrent writes and reads from one caller apply in order', async () => {
  await db.createIndex({ name: 'order', dimension: 2, spec: SPEC });
  const ns = db.index('order');
  const ops: Promise<unknown>[] = [];
  for (let i = 0; i < 200; i++) ops.push(ns.upsert([{ id: 'x', values: [1, i], metadata: { i } }]));
  ops.push(ns.deleteMany(['x']));
  ops.push(ns.upsert([{ id: 'x', values: [1, 0], metadata: { i: 999 } }]));
  await Promise.all(ops);
  assert.deepEqual((await ns.fetch(['x'])).records.x!.metadata, { i: 999 });
});
