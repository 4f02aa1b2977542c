/** The HTTP server with raw fetch: field casing, status codes, both error shapes, body limits, bad input of every kind. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB } from 'larchdb';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/app.js';
import { httpCall, type HttpRes } from './helpers.js';

let db: LarchDB;
let app: FastifyInstance;
let base: string;

before(async () => {
  db = await LarchDB.open({ path: ':memory:' });
  app = createServer({ db });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  const res = await call('POST', '/indexes', { name: 'h', dimension: 3, metric: 'dotproduct', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
  assert.equal(res.status, 201);
});
after(async () => {
  await app.close();
  await db.close();
});

type Res = HttpRes;

/** One request to the test server; a non-string body is sent as JSON. */
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, url = base): Promise<Res> => httpCall(url, method, path, body, headers);

function controlError(res: Res, status: number, code: string, message?: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(Object.keys(res.body).sort(), ['error', 'status']);
  assert.equal(res.body.status, status);
  assert.equal(res.body.error.code, code);
  assert.equal(typeof res.body.error.message, 'string');
  if (message) assert.match(res.body.error.message, message);
}

function dataError(res: Res, status: number, grpc: number, message?: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { code: grpc, message: res.body.message, details: [] });
  assert.equal(typeof res.body.message, 'string');
  if (message) assert.match(res.body.message, message);
}

const D = '/index/h';

test('control plane: snake_case IndexModel, 201 / 200 / 202 statuses, empty 202 on delete', async () => {
  const created = await call('POST', '/indexes', {
    name: 'casing',
    vector_type: 'dense',
    dimension: 2,
    metric: 'euclidean',
    deletion_protection: 'disabled',
    tags: { team: 'a' },
    spec: { serverless: { cloud: 'gcp', region: 'europe-west4' } },
  });
  assert.equal(created.status, 201);
  assert.match(created.headers.get('content-type') ?? '', /application\/json/);
  assert.deepEqual(created.body, {
    name: 'casing',
    vector_type: 'dense',
    metric: 'euclidean',
    dimension: 2,
    status: { ready: true, state: 'Ready' },
    host: `${base}/index/casing`,
    spec: { serverless: { cloud: 'gcp', region: 'europe-west4' } },
    deletion_protection: 'disabled',
    tags: { team: 'a' },
  });

  const sparse = await call('POST', '/indexes', { name: 'casing-sparse', vector_type: 'sparse', dimension: null, spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
  assert.equal(sparse.status, 201, sparse.text);
  assert.equal(sparse.body.metric, 'dotproduct');
  assert.equal('dimension' in sparse.body, false, 'a sparse index has no dimension');

  // A pod spec round-trips in snake_case (the engine keeps it camelCase, like the client).
  const pod = { environment: 'us-east-1-aws', pod_type: 'p1.x1', pods: 1, replicas: 1, shards: 1, metadata_config: { indexed: ['genre'] } };
  const podIndex = await call('POST', '/indexes', { name: 'casing-pod', dimension: 2, spec: { pod } });
  assert.equal(podIndex.status, 201, podIndex.text);
  assert.deepEqual(podIndex.body.spec, { pod });
  assert.equal((await call('DELETE', '/indexes/casing-pod')).status, 202);

  const described = await call('GET', '/indexes/casing');
  assert.equal(described.status, 200);
  assert.deepEqual(described.body, created.body);
  const listed = await call('GET', '/indexes');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.indexes.map((i: { name: string }) => i.name).sort(), ['casing', 'casing-sparse', 'h']);

  const configured = await call('PATCH', '/indexes/casing', { deletion_protection: 'enabled', tags: { team: '', env: 'dev' } });
  assert.equal(configured.status, 202);
  assert.equal(configured.body.deletion_protection, 'enabled');
  assert.deepEqual(configured.body.tags, { env: 'dev' });
  controlError(await call('DELETE', '/indexes/casing'), 403, 'FORBIDDEN', /deletion protection/i);
  assert.equal((await call('PATCH', '/indexes/casing', { deletion_protection: 'disabled' })).status, 202);

  for (const name of ['casing', 'casing-sparse']) {
    const deleted = await call('DELETE', `/indexes/${name}`);
    assert.equal(deleted.status, 202);
    assert.equal(deleted.text, '');
  }
  controlError(await call('GET', '/indexes/casing'), 404, 'NOT_FOUND', /casing/);
});

test('control plane errors: 409, 404, 400 values, 422 body shape, unsupported features', async () => {
  const spec = { serverless: { cloud: 'aws', region: 'us-east-1' } };
  controlError(await call('POST', '/indexes', { name: 'h', dimension: 3, spec }), 409, 'ALREADY_EXISTS');
  controlError(await call('PATCH', '/indexes/nope', {}), 404, 'NOT_FOUND', /nope/);
  controlError(await call('DELETE', '/indexes/nope'), 404, 'NOT_FOUND', /nope/);
  controlError(await call('POST', '/indexes', { name: 'Bad_Name', dimension: 3, spec }), 400, 'INVALID_ARGUMENT', /lowercase/);
  controlError(await call('POST', '/indexes', { name: 'x', dimension: 0, spec }), 400, 'INVALID_ARGUMENT', /dimension/i);
  controlError(await call('POST', '/indexes', { name: 'x', spec }), 400, 'INVALID_ARGUMENT', /dimension/);
  // Bodies that do not deserialise are 422, as in Pinecone's spec; the message names the field.
  controlError(await call('POST', '/indexes', { name: 'x', dimension: '3', spec }), 422, 'UNPROCESSABLE_ENTITY', /dimension must be an integer, got string/);
  controlError(await call('POST', '/indexes', { name: 'x', dimension: 3 }), 422, 'UNPROCESSABLE_ENTITY', /missing required field 'spec'/);
  controlError(await call('POST', '/indexes', { name: 'x', dimension: 3, vectorType: 'dense', spec }), 422, 'UNPROCESSABLE_ENTITY', /unknown field 'vectorType'/);
  controlError(await call('POST', '/indexes', { name: 'x', dimension: 3, metric: 'l2', spec }), 422, 'UNPROCESSABLE_ENTITY', /metric must be one of/);
  controlError(await call('POST', '/indexes', { name: 'x', dimension: 3, spec: { serverless: { cloud: 'aws' } } }), 422, 'UNPROCESSABLE_ENTITY', /spec\.serverless is missing required field 'region'/);
  controlError(await call('POST', '/indexes', '[1,2]'), 422, 'UNPROCESSABLE_ENTITY', /must be a JSON object, got array/);
  controlError(await call('POST', '/indexes', { name: 'x', dimension: 3, spec: { serverless: { ...spec.serverless, source_collection: 'c' } } }), 400, 'INVALID_ARGUMENT', /Resource c not found: LarchDB has no collections/);
  controlError(await call('POST', '/indexes', { name: 'x', dimension: 3, spec: { pod: { environment: 'e', pod_type: 'p1.x1', source_collection: 'c' } } }), 400, 'INVALID_ARGUMENT', /collections/);
  controlError(await call('PATCH', '/indexes/h', { spec: { pod: { replicas: 2 } } }), 400, 'INVALID_ARGUMENT', /spec/);
  controlError(await call('PATCH', '/indexes/h', { embed: { model: 'llama-text-embed-v2' } }), 400, 'INVALID_ARGUMENT', /makes 1024-d vectors; index h has dimension 3/);
  controlError(await call('GET', '/collections'), 400, 'INVALID_ARGUMENT', /Collections are not supported by LarchDB/);
  controlError(await call('POST', '/indexes/create-for-model', { name: 'x' }), 422, 'UNPROCESSABLE_ENTITY', /missing required field 'cloud'/);
});

test('data plane: camelCase bodies, usage, results: [], values: [] when not requested', async () => {
  const up = await call('POST', `${D}/vectors/upsert`, {
    namespace: 'cc',
    vectors: [
      { id: 'a', values: [1, 0, 0], sparseValues: { indices: [5], values: [0.5] }, metadata: { genre: 'drama' } },
      { id: 'b', values: [0, 1, 0] },
    ],
  });
  assert.equal(up.status, 200);
  assert.deepEqual(up.body, { upsertedCount: 2 });

  const q = await call('POST', `${D}/query`, { namespace: 'cc', vector: [1, 0.5, 0], topK: 2 });
  assert.equal(q.status, 200);
  assert.deepEqual(q.body, {
    results: [],
    matches: [
      { id: 'a', score: 1, values: [] },
      { id: 'b', score: 0.5, values: [] },
    ],
    namespace: 'cc',
    usage: { readUnits: q.body.usage.readUnits },
  });
  assert.ok(Number.isInteger(q.body.usage.readUnits) && q.body.usage.readUnits >= 1);
  const full = await call('POST', `${D}/query`, { namespace: 'cc', id: 'a', topK: 1, includeValues: true, includeMetadata: true });
  // Query by id uses the record's dense and sparse parts: 1 + 0.5².
  assert.deepEqual(full.body.matches, [{ id: 'a', score: 1.25, values: [1, 0, 0], sparseValues: { indices: [5], values: [0.5] }, metadata: { genre: 'drama' } }]);

  const f = await call('GET', `${D}/vectors/fetch?ids=a&ids=missing&namespace=cc`);
  assert.equal(f.status, 200);
  assert.deepEqual(f.body, {
    vectors: { a: { id: 'a', values: [1, 0, 0], sparseValues: { indices: [5], values: [0.5] }, metadata: { genre: 'drama' } } },
    namespace: 'cc',
    usage: { readUnits: 1 },
  });

  assert.deepEqual((await call('POST', `${D}/vectors/update`, { namespace: 'cc', id: 'b', setMetadata: { genre: 'comedy' } })).body, {});
  assert.deepEqual((await call('GET', `${D}/vectors/fetch?ids=b&namespace=cc`)).body.vectors.b.metadata, { genre: 'comedy' });

  const stats = await call('POST', `${D}/describe_index_stats`, {});
  assert.deepEqual(stats.body, { namespaces: { cc: { vectorCount: 2 } }, dimension: 3, indexFullness: 0, totalVectorCount: 2, metric: 'dotproduct', vectorType: 'dense' });
  const filtered = await call('POST', `${D}/describe_index_stats`, { filter: { genre: { $eq: 'drama' } } });
  assert.deepEqual(filtered.body.namespaces, { cc: { vectorCount: 1 } });
  // Sent with no body (and no Content-Type), and through the deprecated GET binding.
  assert.deepEqual((await call('POST', `${D}/describe_index_stats`)).body, stats.body);
  assert.deepEqual((await call('POST', `${D}/describe_index_stats`, '', { 'content-type': 'application/json' })).body, stats.body);
  assert.deepEqual((await call('GET', `${D}/describe_index_stats`)).body, stats.body);

  const list = await call('GET', `${D}/vectors/list?namespace=cc&limit=1`);
  assert.deepEqual(list.body.vectors, [{ id: 'a' }]);
  assert.equal(typeof list.body.pagination.next, 'string');
  assert.deepEqual(list.body.usage, { readUnits: 1 });
  const last = await call('GET', `${D}/vectors/list?namespace=cc&limit=1&paginationToken=${encodeURIComponent(list.body.pagination.next)}`);
  assert.deepEqual(last.body.vectors, [{ id: 'b' }]);
  assert.equal('pagination' in last.body, false, 'no pagination on the last page');

  // Namespaces speak snake_case record_count.
  assert.deepEqual((await call('GET', `${D}/namespaces`)).body, { namespaces: [{ name: 'cc', record_count: 2 }] });
  assert.deepEqual((await call('GET', `${D}/namespaces/cc`)).body, { name: 'cc', record_count: 2 });

  assert.deepEqual((await call('POST', `${D}/vectors/delete`, { namespace: 'cc', ids: ['a'] })).body, {});
  assert.deepEqual((await call('DELETE', `${D}/vectors/delete`, { namespace: 'cc', deleteAll: true })).body, {});
  assert.deepEqual((await call('GET', `${D}/namespaces/cc`)).body, { name: 'cc', record_count: 0 });
  assert.deepEqual((await call('DELETE', `${D}/namespaces/cc`)).body, {});
  dataError(await call('GET', `${D}/namespaces/cc`), 404, 5, /cc/);
});

test('freshness headers: writes answer their LSN, queries the applied LSN; each namespace counts on its own', async () => {
  const lsn = (r: Res, h: string) => Number(r.headers.get(h));
  const w1 = await call('POST', `${D}/vectors/upsert`, { namespace: 'lsn-a', vectors: [{ id: 'x', values: [1, 0, 0] }] });
  const w2 = await call('POST', `${D}/vectors/update`, { namespace: 'lsn-a', id: 'x', setMetadata: { k: 1 } });
  const w3 = await call('POST', `${D}/vectors/delete`, { namespace: 'lsn-a', ids: ['nope'] });
  const w4 = await call('POST', `${D}/vectors/delete`, { namespace: 'lsn-a', filter: { k: { $eq: 2 } } });
  const other = await call('POST', `${D}/vectors/upsert`, { namespace: 'lsn-b', vectors: [{ id: 'y', values: [0, 1, 0] }] });
  for (const w of [w1, w2, w3, w4, other]) assert.equal(w.status, 200, w.text);
  assert.deepEqual([w1, w2, w3, w4].map((w) => lsn(w, 'x-pinecone-request-lsn')), [1, 2, 3, 4], 'one LSN per write, in order');
  assert.equal(lsn(w4, 'x-pinecone-max-indexed-lsn'), 4);
  assert.equal(lsn(other, 'x-pinecone-request-lsn'), 1, "another namespace's writes do not move this one's LSN");
  const q = await call('POST', `${D}/query`, { namespace: 'lsn-a', vector: [1, 0, 0], topK: 1, includeMetadata: true });
  assert.equal(lsn(q, 'x-pinecone-max-indexed-lsn'), 4, 'the query reflects every write up to LSN 4');
  assert.deepEqual(q.body.matches[0].metadata, { k: 1 });
  const all = await call('POST', `${D}/vectors/delete`, { namespace: 'lsn-a', deleteAll: true });
  assert.equal(lsn(all, 'x-pinecone-request-lsn'), 5);
  const none = await call('POST', `${D}/vectors/delete`, { namespace: 'never-written', ids: ['a'] });
  assert.equal(lsn(none, 'x-pinecone-request-lsn'), 0, 'a write to a namespace that does not exist does nothing: LSN 0');
});

test('data plane accepts snake_case aliases and treats null as absent', async () => {
  const up = await call('POST', `${D}/vectors/upsert`, {
    namespace: 'snake',
    vectors: [{ id: 's1', values: [1, 1, 0], sparse_values: { indices: [1], values: [2] }, metadata: null }],
  });
  assert.equal(up.status, 200, up.text);
  const q = await call('POST', `${D}/query`, { namespace: 'snake', top_k: 1, vector: [1, 0, 0], sparse_vector: { indices: [1], values: [1] }, include_values: true, include_metadata: true, filter: null });
  assert.equal(q.status, 200, q.text);
  assert.deepEqual(q.body.matches, [{ id: 's1', score: 3, values: [1, 1, 0], sparseValues: { indices: [1], values: [2] } }]);
  assert.equal((await call('POST', `${D}/vectors/update`, { namespace: 'snake', id: 's1', set_metadata: { k: 'v' } })).status, 200);
  assert.deepEqual((await call('GET', `${D}/vectors/fetch?ids=s1&namespace=snake`)).body.vectors.s1.metadata, { k: 'v' });
  assert.equal((await call('POST', `${D}/vectors/delete`, { namespace: 'snake', delete_all: true })).status, 200);
  dataError(await call('POST', `${D}/query`, { topK: 1, top_k: 2, vector: [1, 0, 0] }), 400, 3, /topK or top_k/);
});

test('data plane errors: rpcStatus shape with the gRPC code and the HTTP status', async () => {
  dataError(await call('POST', `${D}/vectors/upsert`, { vectors: [{ id: 'x', values: [1, 2] }] }), 400, 3, /Vector dimension 2 does not match the dimension of the index 3/);
  dataError(await call('POST', `${D}/query`, { topK: 1, vector: [1, 2, 3, 4] }), 400, 3, /dimension/);
  dataError(await call('POST', `${D}/query`, { topK: 1, vector: [1, 0, 0], filter: { genre: { $regex: 'x' } } }), 400, 3, /\$regex/);
  dataError(await call('POST', `${D}/vectors/delete`, { filter: { a: { $bogus: 1 } } }), 400, 3, /\$bogus/);
  dataError(await call('POST', `${D}/query`, { topK: '1', vector: [1, 0, 0] }), 400, 3, /topK must be an integer, got string/);
  dataError(await call('POST', `${D}/query`, { topK: 1, vector: [1, 'x', 0] }), 400, 3, /vector\[1\] must be a number, got string/);
  dataError(await call('POST', `${D}/query`, { vector: [1, 0, 0] }), 400, 3, /missing required field 'topK'/);
  dataError(await call('POST', `${D}/query`, { topK: 1, vector: [1, 0, 0], includeVals: true }), 400, 3, /unknown field 'includeVals'/);
  dataError(await call('POST', `${D}/query`, { topK: 1, queries: [{ values: [1, 0, 0] }] }), 400, 3, /queries/);
  dataError(await call('POST', `${D}/vectors/upsert`, { vectors: [{ id: 'x', values: [1, 0, 0], sparseValues: { indices: [-1], values: [1] } }] }), 400, 3);
  dataError(await call('POST', `${D}/vectors/upsert`, { vectors: [{ values: [1, 0, 0] }] }), 400, 3, /vectors\[0\] is missing required field 'id'/);
  dataError(await call('POST', `${D}/vectors/update`, { id: 'x' }), 400, 3, /setMetadata/);
  dataError(await call('POST', `${D}/vectors/delete`, {}), 400, 3, /one of ids, deleteAll/);
  dataError(await call('POST', `${D}/vectors/delete`, { ids: ['a'], filter: { a: 1 } }), 400, 3, /mutually exclusive/);
  dataError(await call('POST', `${D}/vectors/delete`, { filter: {} }), 400, 3, /must not be empty/);
  dataError(await call('GET', `${D}/vectors/fetch`), 400, 3, /ids/);
  dataError(await call('GET', `${D}/vectors/list?limit=ten`), 400, 3, /limit must be an integer/);
  dataError(await call('GET', `${D}/vectors/list?limit=0`), 400, 3, /limit/);
  dataError(await call('GET', `${D}/vectors/list?paginationToken=%25%25`), 400, 3, /paginationToken/);
  dataError(await call('POST', '/index/nope/query', { topK: 1, vector: [1] }), 404, 5, /nope/);
  dataError(await call('GET', `${D}/namespaces/never-written`), 404, 5);
  dataError(await call('POST', `${D}/records/namespaces/x/search`, {}), 400, 3, /missing required field 'query'/);
  dataError(await call('POST', `${D}/records/namespaces/x/search`, { query: { top_k: 1, inputs: { text: 'a' } } }), 400, 3, /has no integrated embedding/);
  // API 2025-10 verbs of client 7.x: bad input is a 400 naming the field.
  dataError(await call('POST', `${D}/vectors/fetch_by_metadata`, { filter: { a: { $regex: 1 } } }), 400, 3, /\$regex/);
  dataError(await call('POST', `${D}/vectors/fetch_by_metadata`, { filter: {}, limit: 0 }), 400, 3, /limit/);
  dataError(await call('POST', `${D}/namespaces`, {}), 400, 3, /missing required field 'name'/);
  dataError(await call('POST', `${D}/namespaces`, { name: 'n', schema: { fields: { a: { filterable: 'yes' } } } }), 400, 3, /filterable must be a boolean/);
  dataError(await call('POST', `${D}/vectors/update`, { filter: { a: 1 } }), 400, 3, /setMetadata/);
  dataError(await call('POST', `${D}/vectors/update`, { filter: { a: 1 }, id: 'x', setMetadata: { b: 2 } }), 400, 3, /id or filter/);
  dataError(await call('POST', `${D}/vectors/update`, { filter: { a: 1 }, values: [1, 2, 3], setMetadata: { b: 2 } }), 400, 3, /only set metadata/);
  dataError(await call('POST', `${D}/query`, { topK: 5, vector: [1, 0, 0], scanFactor: 9 }), 400, 3, /scanFactor must be a number from 0.5 to 4/);
  dataError(await call('POST', `${D}/query`, { topK: 5, vector: [1, 0, 0], maxCandidates: 2 }), 400, 3, /maxCandidates must be an integer from topK \(5\)/);
  dataError(await call('POST', `${D}/namespaces/x/documents/search`, {}), 400, 3, /documents API .* not supported by LarchDB/);
});

test('namespaces with reserved URL characters round-trip through paths and query strings', async () => {
  const ns = 'a/b c?d#e';
  assert.equal((await call('POST', `${D}/vectors/upsert`, { namespace: ns, vectors: [{ id: 'id/1', values: [0, 0, 1] }] })).status, 200);
  const f = await call('GET', `${D}/vectors/fetch?ids=${encodeURIComponent('id/1')}&namespace=${encodeURIComponent(ns)}`);
  assert.deepEqual(Object.keys(f.body.vectors), ['id/1']);
  assert.equal(f.body.namespace, ns);
  assert.deepEqual((await call('GET', `${D}/namespaces/${encodeURIComponent(ns)}`)).body, { name: ns, record_count: 1 });
  assert.deepEqual((await call('DELETE', `${D}/namespaces/${encodeURIComponent(ns)}`)).body, {});
});

test('fetch of 1000 long ids fits in the URL; 1001 ids are refused by count', async () => {
  const ids = Array.from({ length: 1001 }, (_, i) => `${'x'.repeat(200)}-${i}`);
  await call('POST', `${D}/vectors/upsert`, { namespace: 'long', vectors: [{ id: ids[0], values: [1, 0, 0] }] });
  const qs = (n: number) => ids.slice(0, n).map((id) => `ids=${encodeURIComponent(id)}`).join('&');
  const ok = await call('GET', `${D}/vectors/fetch?namespace=long&${qs(1000)}`);
  assert.equal(ok.status, 200, ok.text.slice(0, 200));
  assert.deepEqual(Object.keys(ok.body.vectors), [ids[0]]);
  dataError(await call('GET', `${D}/vectors/fetch?namespace=long&${qs(1001)}`), 400, 3, /1000/);
  assert.equal((await call('DELETE', `${D}/namespaces/long`)).status, 200);
});

test('bodies: 2 MB limit, malformed JSON, wrong media types, over-deep nesting', async () => {
  await call('POST', '/indexes', { name: 'wide', dimension: 300, spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
  const vectors = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `v${i}`, values: Array.from({ length: 300 }, () => 0.1234) }));
  const under = JSON.stringify({ vectors: vectors(950) });
  assert.ok(under.length > 1.9 * 1024 * 1024 && under.length < 2 * 1024 * 1024, `${under.length} bytes`);
  assert.deepEqual((await call('POST', '/index/wide/vectors/upsert', under)).body, { upsertedCount: 950 });
  const over = JSON.stringify({ vectors: vectors(1000) });
  assert.ok(over.length > 2 * 1024 * 1024, `${over.length} bytes`);
  dataError(await call('POST', '/index/wide/vectors/upsert', over), 400, 3, /2 MB/);
  controlError(await call('POST', '/indexes', JSON.stringify({ name: 'x'.repeat(3 * 1024 * 1024) })), 400, 'INVALID_ARGUMENT', /2 MB/);
  assert.equal((await call('DELETE', '/indexes/wide')).status, 202);

  dataError(await call('POST', `${D}/query`, '{"topK": 1,'), 400, 3, /Malformed JSON/);
  controlError(await call('POST', '/indexes', '{"name": "x"'), 400, 'INVALID_ARGUMENT', /Malformed JSON/);
  dataError(await call('POST', `${D}/query`, '{"topK":1,"vector":[1,0,0]}', { 'content-type': 'text/plain' }), 415, 3, /Content-Type/);
  controlError(await call('POST', '/indexes', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'INVALID_ARGUMENT', /Content-Type/);
  dataError(await call('POST', `${D}/query`, 'null'), 400, 3);
  dataError(await call('POST', `${D}/query`, '"text"'), 400, 3, /must be a JSON object, got string/);
  const deep = `{"topK":1,"vector":[1,0,0],"filter":${'{"$and":['.repeat(200)}{}${']}'.repeat(200)}}`;
  dataError(await call('POST', `${D}/query`, deep), 400, 3, /nested/);
  // A JSON charset parameter is fine.
  assert.equal((await call('POST', `${D}/query`, '{"topK":1,"vector":[1,0,0]}', { 'content-type': 'application/json; charset=utf-8' })).status, 200);
});

test('unknown routes are 404 in the shape of their plane', async () => {
  controlError(await call('GET', '/nothing-here'), 404, 'NOT_FOUND', /GET \/nothing-here/);
  controlError(await call('POST', '/query', { topK: 1 }), 404, 'NOT_FOUND', /index host/);
  dataError(await call('GET', `${D}/nothing-here`), 404, 5, /nothing-here/);
  dataError(await call('GET', `${D}/query`), 404, 5);
});

test('X-Pinecone-API-Version: 2024-07 to 2026-07 accepted and echoed, others refused naming the supported ones', async () => {
  for (const v of ['2024-07', '2024-10', '2025-01', '2025-04', '2025-10', '2026-04', '2026-07']) {
    const r = await call('GET', '/indexes', undefined, { 'X-Pinecone-API-Version': v });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-pinecone-api-version'), v);
  }
  assert.equal((await call('GET', '/indexes')).headers.get('x-pinecone-api-version'), '2025-04', 'absent means 2025-04');
  controlError(await call('GET', '/indexes', undefined, { 'X-Pinecone-API-Version': '2024-04' }), 400, 'INVALID_ARGUMENT', /2024-07, 2024-10, 2025-01, 2025-04, 2025-10, 2026-04, 2026-07/);
  controlError(await call('GET', '/indexes', undefined, { 'X-Pinecone-API-Version': '2026-01.alpha' }), 400, 'INVALID_ARGUMENT', /Unsupported API version '2026-01.alpha'/);
  dataError(await call('GET', `${D}/namespaces`, undefined, { 'x-pinecone-api-version': 'unstable' }), 400, 3, /2025-04/);
});

test('Api-Key is checked only when keys are configured: 401 in the shape of each plane', async () => {
  const secured = createServer({ db, apiKeys: ['key-one', 'key-two'] });
  const url = await secured.listen({ port: 0, host: '127.0.0.1' });
  try {
    controlError(await call('GET', '/indexes', undefined, {}, url), 401, 'UNAUTHENTICATED', /Api-Key/);
    controlError(await call('GET', '/indexes', undefined, { 'Api-Key': 'wrong' }, url), 401, 'UNAUTHENTICATED', /Invalid API key/);
    dataError(await call('POST', `${D}/query`, { topK: 1, vector: [1, 0, 0] }, { 'Api-Key': 'wrong' }, url), 401, 16);
    controlError(await call('GET', '/unknown-route', undefined, {}, url), 401, 'UNAUTHENTICATED');
    for (const key of ['key-one', 'key-two']) {
      assert.equal((await call('GET', '/indexes', undefined, { 'Api-Key': key }, url)).status, 200);
      assert.equal((await call('POST', `${D}/query`, { topK: 1, vector: [1, 0, 0] }, { 'Api-Key': key }, url)).status, 200);
    }
    // The unsecured server ignores keys entirely.
    assert.equal((await call('GET', '/indexes', undefined, { 'Api-Key': 'anything' })).status, 200);
  } finally {
    await secured.close();
  }
});

test('close(): requests in flight finish, later ones get a 503 in shape, keep-alive connections do not hold it open', async () => {
  const closing = createServer({ db });
  const url = await closing.listen({ port: 0, host: '127.0.0.1' });
  const upsert = (i: number) => call('POST', `${D}/vectors/upsert`, { namespace: 'closing', vectors: [{ id: `c${i}`, values: [1, 0, 0] }] }, {}, url);
  assert.equal((await upsert(-1)).status, 200, 'leaves an idle keep-alive connection behind');
  const results = Array.from({ length: 100 }, (_, i) =>
    upsert(i).then(
      (r) => {
        if (r.status === 200) return 'ok';
        dataError(r, 503, 14, /shutting down/);
        return 'refused';
      },
      () => 'no connection',
    ),
  );
  await Promise.race(results);
  await closing.close();
  const out = await Promise.all(results);
  const stored = (await db.index('h').describeNamespace('closing')).recordCount;
  assert.equal(stored, 1 + out.filter((r) => r === 'ok').length, 'every 200 was written, nothing else');
  await db.index('h').deleteNamespace('closing');
});

test('--advertise-host replaces the scheme and address in index hosts', async () => {
  const advertised = createServer({ db, advertiseHost: 'https://vectors.example.com/larch/' });
  const url = await advertised.listen({ port: 0, host: '127.0.0.1' });
  try {
    assert.equal((await call('GET', '/indexes/h', undefined, {}, url)).body.host, 'https://vectors.example.com/larch/index/h');
  } finally {
    await advertised.close();
  }
  // Without it, the host follows the address the client used.
  const viaLocalhost = await call('GET', '/indexes/h', undefined, {}, base.replace('127.0.0.1', 'localhost'));
  assert.equal(viaLocalhost.body.host, `${base.replace('127.0.0.1', 'localhost')}/index/h`);
});

test('garbage input is never a 500 and never takes the server down', async () => {
  const bodies = ['[]', '1', '"x"', 'true', '{}', '{"vectors":{}}', '{"vectors":[1]}', '{"vectors":[{"id":5}]}', '{"vectors":[{"id":"a","values":[1e400,0,0]}]}',
    '{"topK":1e400,"vector":[1,0,0]}', '{"topK":1,"vector":[]}', '{"topK":1,"id":""}', '{"topK":1,"vector":[1,0,0],"filter":[]}',
    '{"topK":1,"vector":[1,0,0],"filter":{"$or":{}}}', '{"ids":"a"}', '{"ids":[1]}', '{"deleteAll":"yes"}', '{"id":"a","values":[1]}',
    '{"id":"a","setMetadata":{"n":{"nested":1}}}', '{"filter":"x"}', '{"name":{"a":1}}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '\u0000', '{"a":"\\ud800"}'];
  const routes: [string, string][] = [
    ['POST', `${D}/vectors/upsert`], ['POST', `${D}/query`], ['POST', `${D}/vectors/update`], ['POST', `${D}/vectors/delete`],
    ['POST', `${D}/describe_index_stats`], ['POST', '/indexes'], ['PATCH', '/indexes/h'],
  ];
  for (const [method, path] of routes) {
    for (const body of bodies) {
      const r = await call(method, path, body);
      assert.ok(r.status >= 200 && r.status < 500, `${method} ${path} ${body} → ${r.status} ${r.text}`);
      if (r.status >= 400) assert.ok(r.body, `${method} ${path} ${body}: JSON error body`);
    }
  }
  for (const q of ['ids=', 'ids=a&namespace=a&namespace=b', 'ids=' + 'x'.repeat(600), 'ids=%E0%A4%A']) {
    const r = await call('GET', `${D}/vectors/fetch?${q}`);
    assert.ok(r.status < 500, `fetch ?${q} → ${r.status} ${r.text}`);
  }
  assert.equal((await call('GET', '/indexes/h')).status, 200, 'still serving');
});
