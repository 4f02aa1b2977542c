/**
 * The API 2025-10 verbs with exact results: fetch by metadata (pagination over slabs and memtable), update by filter
 * (counts, dry run, atomic, durable across a restart), namespaces created with a schema (enforced, kept across a
 * restart), list namespaces by prefix with total_count, read capacity; and over HTTP, each API version answered in
 * its own shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pinecone as Pinecone7 } from 'pinecone-client-7';
import { LarchDB, type RecordMetadata } from 'larchdb';
import { MetadataPostings } from '../engine/storage/postings.js';
import { createServer } from '../server/app.js';
import { SPEC, httpCall, randomVectors, tempDir } from './helpers.js';

const GENRES = ['drama', 'comedy', 'sf', 'poetry'];
const bitwise = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

test('fetch by metadata, update by filter and namespace schemas: exact results, durable across a restart', async () => {
  const dir = await tempDir();
  let db: LarchDB | undefined;
  try {
    db = await LarchDB.open({ path: dir.path });
    const schema = { fields: { genre: { filterable: true as const }, shelf: { filterable: true as const } } };
    await db.createIndex({
      name: 'books',
      dimension: 8,
      metric: 'cosine',
      spec: { serverless: { ...SPEC.serverless, schema, readCapacity: { mode: 'Dedicated', dedicated: { nodeType: 't1', scaling: 'Manual', manual: { replicas: 1, shards: 2 } } } } },
    });
    const ns = db.index('books').namespace('shelf-1');
    const vecs = randomVectors(5200, 8, 11);
    const meta = (i: number): RecordMetadata => ({ genre: GENRES[i % 4]!, year: 1900 + (i % 100) });
    for (let i = 0; i < 5000; i += 1000) await ns.upsert(vecs.slice(i, i + 1000).map((values, j) => ({ id: `b${i + j}`, values, metadata: meta(i + j) })));
    await db.flush('books', 'shelf-1'); // these rows are now a slab, filtered through its postings
    await ns.upsert(vecs.slice(5000).map((values, j) => ({ id: `b${5000 + j}`, values, metadata: meta(5000 + j) }))); // and these sit in the memtable

    // fetch by metadata: every sf record exactly once, in bitwise id order, pages of at most 333.
    const want = Array.from({ length: 5200 }, (_, i) => i).filter((i) => i % 4 === 2).map((i) => `b${i}`).sort(bitwise);
    const got: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await ns.fetchByMetadata({ filter: { genre: { $eq: 'sf' } }, limit: 333, ...(token ? { paginationToken: token } : {}) });
      const ids = Object.keys(page.records);
      assert.ok(ids.length <= 333);
      for (const id of ids) assert.deepEqual(Float32Array.from(page.records[id]!.values!), Float32Array.from(vecs[Number(id.slice(1))]!));
      got.push(...ids);
      token = page.pagination?.next;
      pages++;
    } while (token);
    assert.deepEqual(got, want);
    assert.equal(pages, Math.ceil(want.length / 333));

    // The index schema makes only genre and shelf filterable.
    await assert.rejects(ns.query({ vector: vecs[0]!, topK: 3, filter: { year: 1950 } }), (e: any) => e.status === 400 && /Cannot filter on metadata field 'year'.*only 'genre', 'shelf'/.test(e.message));
    await assert.rejects(ns.fetchByMetadata({ filter: { $or: [{ genre: 'sf' }, { year: 1 }] } }), (e: any) => e.status === 400 && /'year'/.test(e.message));
    await assert.rejects(ns.deleteMany({ year: 1950 }), (e: any) => e.status === 400 && /'year'/.test(e.message));

    // update by filter: a dry run counts, changes nothing; the update merges into every match in one write.
    assert.deepEqual(await ns.update({ filter: { genre: { $in: ['sf', 'poetry'] } }, metadata: { shelf: 'B' }, dryRun: true }), { matchedRecords: 2600 });
    assert.equal((await ns.fetchByMetadata({ filter: { shelf: 'B' } })).records && Object.keys((await ns.fetchByMetadata({ filter: { shelf: 'B' } })).records).length, 0);
    assert.deepEqual(await ns.update({ filter: { genre: { $in: ['sf', 'poetry'] } }, metadata: { shelf: 'B' } }), { matchedRecords: 2600 });
    assert.deepEqual((await ns.fetch(['b3', 'b5002'])).records.b3!.metadata, { genre: 'poetry', year: 1903, shelf: 'B' });
    assert.equal((await db.index('books').describeIndexStats({ filter: { shelf: 'B' } })).totalRecordCount, 2600);
    assert.deepEqual(await ns.update({ filter: { genre: 'none' }, metadata: { shelf: 'C' } }), { matchedRecords: 0 });

    // A namespace with its own schema: year filterable there, genre not.
    const own = await db.index('books').createNamespace({ name: 'shelf-2', schema: { fields: { year: { filterable: true } } } });
    assert.deepEqual(own, { name: 'shelf-2', recordCount: 0, schema: { fields: { year: { filterable: true } } }, indexedFields: { fields: ['year'] } });
    await assert.rejects(db.index('books').createNamespace({ name: 'shelf-2' }), (e: any) => e.status === 409 && /already exists/.test(e.message));
    await assert.rejects(db.index('books').createNamespace({ name: 'x', schema: { fields: { a: { filterable: false as unknown as true } } } }), (e: any) => e.status === 400 && /Field 'a' is set to filterable: false/.test(e.message));
    const ns2 = db.index('books').namespace('shelf-2');
    await ns2.upsert([{ id: 'p', values: vecs[0]!, metadata: { genre: 'sf', year: 1999 } }]);
    assert.deepEqual((await ns2.query({ vector: vecs[0]!, topK: 1, filter: { year: 1999 } })).matches.map((m) => m.id), ['p']);
    await assert.rejects(ns2.query({ vector: vecs[0]!, topK: 1, filter: { genre: 'sf' } }), (e: any) => e.status === 400 && /namespace 'shelf-2'/.test(e.message));
    await db.index('books').createNamespace({ name: 'empty' });

    const list = await db.index('books').listNamespaces({ prefix: 'shelf-', limit: 1 });
    assert.deepEqual([list.namespaces.map((n) => [n.name, n.recordCount]), list.totalCount], [[['shelf-1', 5200]], 2]);
    const rest = await db.index('books').listNamespaces({ prefix: 'shelf-', limit: 1, paginationToken: list.pagination!.next! });
    assert.deepEqual([rest.namespaces.map((n) => n.name), rest.pagination], [['shelf-2'], undefined]);
    assert.equal((await db.index('books').listNamespaces()).totalCount, 3);
    await db.close();

    // Everything above survives a restart: the update (logged, replayed), the namespaces and their schemas.
    db = await LarchDB.open({ path: dir.path });
    const again = db.index('books');
    assert.deepEqual((await again.listNamespaces()).namespaces.map((n) => [n.name, n.recordCount]), [['empty', 0], ['shelf-1', 5200], ['shelf-2', 1]]);
    assert.deepEqual(await again.describeNamespace('shelf-2'), { name: 'shelf-2', recordCount: 1, schema: { fields: { year: { filterable: true } } }, indexedFields: { fields: ['year'] } });
    assert.deepEqual((await again.describeNamespace('shelf-1')).indexedFields, { fields: ['genre', 'shelf'] });
    assert.deepEqual(await again.namespace('shelf-1').update({ filter: { shelf: 'B' }, metadata: { shelf: 'B' }, dryRun: true }), { matchedRecords: 2600 });
    // Stats filter every namespace: one whose own schema leaves the field out says so.
    await assert.rejects(again.describeIndexStats({ filter: { shelf: 'B' } }), (e: any) => e.status === 400 && /namespace 'shelf-2'/.test(e.message));
    await assert.rejects(again.namespace('shelf-2').query({ vector: vecs[0]!, topK: 1, filter: { genre: 'sf' } }), (e: any) => e.status === 400);
    const model = await db.describeIndex('books');
    assert.deepEqual(model.spec.serverless?.readCapacity, {
      mode: 'Dedicated',
      dedicated: { nodeType: 't1', scaling: 'Manual', manual: { replicas: 1, shards: 2 } },
      status: { state: 'Ready', currentReplicas: 1, currentShards: 2 },
    });
    assert.deepEqual(model.spec.serverless?.schema, schema);
    const conf = await db.configureIndex('books', { spec: { serverless: { readCapacity: { mode: 'OnDemand' } } } });
    assert.deepEqual(conf.spec.serverless?.readCapacity, { mode: 'OnDemand', status: { state: 'Ready' } });
  } finally {
    await db?.close().catch(() => undefined); // a failed assertion must not leave the worker threads running
    await dir.cleanup();
  }
});

test('a slab indexes only the schema’s filterable fields', () => {
  const meta: RecordMetadata[] = [{ genre: 'sf', year: 1 }, { genre: 'drama', note: 'x' }];
  assert.deepEqual(MetadataPostings.build(meta, ['genre']).fieldNames(), ['genre']);
  assert.deepEqual(MetadataPostings.build(meta).fieldNames().sort(), ['genre', 'note', 'year']);
  assert.deepEqual([...MetadataPostings.decode(MetadataPostings.build(meta, ['genre']).encode()).match({ genre: 'drama' })], [0b10]);
});

test('over HTTP: each API version in its shape; the 2025-10 verbs with the 7.x client', async () => {
  const db = await LarchDB.open({ path: ':memory:' });
  const app = createServer({ db });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const pc = new Pinecone7({ apiKey: 'k', controllerHostUrl: base });
    await pc.createIndex({
      name: 'seven',
      dimension: 2,
      metric: 'dotproduct',
      spec: { serverless: { cloud: 'aws', region: 'us-east-1', schema: { fields: { genre: { filterable: true } } }, readCapacity: { mode: 'Dedicated', nodeType: 'b1', manual: { replicas: 2, shards: 1 } } } },
      waitUntilReady: true,
    });
    /** 7.x types spec as a union; the serverless member is the one this index has. */
    const serverless = async () => ((await pc.describeIndex('seven')).spec as { serverless: { readCapacity?: { mode: string }; schema?: { fields: object } } }).serverless;
    assert.equal((await serverless()).readCapacity?.mode, 'Dedicated');
    assert.deepEqual((await serverless()).schema?.fields, { genre: { filterable: true } });
    await pc.configureIndex({ name: 'seven', readCapacity: { mode: 'OnDemand' } });
    assert.equal((await serverless()).readCapacity?.mode, 'OnDemand');

    const index = pc.index({ name: 'seven', namespace: 'n' });
    await index.upsert({ records: [{ id: 'a', values: [1, 0], metadata: { genre: 'sf' } }, { id: 'b', values: [0, 1], metadata: { genre: 'drama' } }] });
    await index.update({ filter: { genre: 'sf' }, metadata: { seen: true } });
    assert.deepEqual((await index.fetchByMetadata({ filter: { genre: 'sf' } })).records.a?.metadata, { genre: 'sf', seen: true });
    const ns = await pc.index({ name: 'seven' }).createNamespace({ name: 'n2', schema: { fields: { test: { filterable: true } } } });
    assert.equal(ns.schema?.fields?.test?.filterable, true);

    // The same describe, stats and namespace list in each version's shape.
    const get = async (path: string, version: string, method = 'GET') => (await httpCall(base, method, path, undefined, { 'X-Pinecone-Api-Version': version })).body as Record<string, any>;
    for (const v of ['2024-07', '2024-10', '2025-01', '2025-04']) {
      const m = await get('/indexes/seven', v);
      assert.deepEqual(m.spec, { serverless: { cloud: 'aws', region: 'us-east-1' } }, v);
      assert.equal(m.dimension, 2);
      const s = await get('/index/seven/describe_index_stats', v, 'POST');
      assert.equal('memory_fullness' in s, false, v);
      const l = await get('/index/seven/namespaces', v);
      assert.deepEqual(l, { namespaces: [{ name: 'n', record_count: 2 }, { name: 'n2', record_count: 0 }] }, v);
    }
    for (const v of ['2025-10', '2026-04']) {
      const m = await get('/indexes/seven', v);
      assert.deepEqual(m.spec.serverless.read_capacity, { mode: 'OnDemand', status: { state: 'Ready' } }, v);
      assert.deepEqual(m.spec.serverless.schema, { fields: { genre: { filterable: true } } });
      const s = await get('/index/seven/describe_index_stats', v, 'POST');
      assert.deepEqual([s.memory_fullness, s.storage_fullness, s.totalVectorCount], [0, 0, 2], v);
      const l = await get('/index/seven/namespaces?prefix=n2', v);
      assert.deepEqual(l, { namespaces: [{ name: 'n2', record_count: 0, schema: { fields: { test: { filterable: true } } } }], total_count: 1 }, v);
    }
    const nine = await get('/indexes/seven', '2026-07');
    assert.deepEqual(nine.deployment, { deployment_type: 'managed', cloud: 'aws', region: 'us-east-1' });
    assert.deepEqual(nine.read_capacity, { mode: 'OnDemand', status: { state: 'Ready' } });
    assert.equal(nine.spec, undefined);

    // Update by filter over the wire: matchedRecords, a dry run, and a filter on a field outside the schema.
    const upd = (body: object) => httpCall(base, 'POST', '/index/seven/vectors/update', body);
    assert.deepEqual((await upd({ namespace: 'n', filter: { genre: { $in: ['sf', 'drama'] } }, setMetadata: { x: 1 }, dryRun: true })).body, { matchedRecords: 2 });
    assert.deepEqual((await upd({ namespace: 'n', filter: { genre: 'drama' }, setMetadata: { x: 1 } })).body, { matchedRecords: 1 });
    const bad = await upd({ namespace: 'n', filter: { x: 1 }, setMetadata: { y: 2 } });
    assert.equal(bad.status, 400);
    assert.match((bad.body as { message: string }).message, /Cannot filter on metadata field 'x'/);
    // A delete that names nothing (what LangChain 1.x sends through a 7.x client) is a 400 and deletes nothing.
    assert.equal((await httpCall(base, 'POST', '/index/seven/vectors/delete', { namespace: 'n' })).status, 400);
    assert.equal((await index.describeIndexStats()).namespaces?.n?.recordCount, 2);
  } finally {
    await app.close();
    await db.close();
  }
});
