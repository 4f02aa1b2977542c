/**
 * Client 9.x (API 2026-07), today's `npm i @pinecone-database/pinecone`, installed as `pinecone-client-9`, against
 * the real server on a free port. 9.x declares Node >= 22; its code runs on the Node 20 of these machines, so its
 * flow runs here anyway (nothing in it needed Node 22).
 *
 * 2026-07 changes the control plane's shape: indexes are created with `deployment` + typed `schema.fields`
 * (`_values`: dense_vector, `_sparse_values`: sparse_vector, metadata fields `{ filterable: true }`), answered
 * with `deployment`, `schema` and a top-level `read_capacity`, from which the client's legacy getters (`.dimension`,
 * `.metric`, `.spec`, `.vectorType`) are derived. The data plane is 2025-10's, with stats fullness in camelCase.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pinecone } from 'pinecone-client-9';
import { LarchDB } from 'larchdb';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/app.js';

let db: LarchDB;
let app: FastifyInstance;
let base: string;
let pc: Pinecone;
const versions = new Set<string | undefined>();
const bodies: { url: string; body: unknown }[] = [];

before(async () => {
  db = await LarchDB.open({ path: ':memory:' });
  app = createServer({ db });
  app.addHook('preValidation', async (req) => {
    const v = req.headers['x-pinecone-api-version'];
    versions.add(typeof v === 'string' ? v : undefined);
    bodies.push({ url: `${req.method} ${req.url}`, body: req.body });
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  pc = new Pinecone({ apiKey: 'k', controllerHostUrl: base });
});
after(async () => {
  await app.close();
  await db.close();
});

const sentTo = (url: string) => bodies.filter((b) => b.url === url).at(-1)?.body;
/** Drops the `undefined` keys the client's model classes add. */
const plain = (x: unknown) => JSON.parse(JSON.stringify(x));

test('9.x: native create with deployment + schema, describe with the legacy getters, configure, delete', async () => {
  const model = await pc.indexes.create({
    name: 'nine',
    schema: { fields: { _values: { type: 'dense_vector', dimension: 4, metric: 'dotproduct' } } },
    deployment: { deploymentType: 'managed', cloud: 'aws', region: 'us-east-1' },
    tags: { team: 'a' },
    waitUntilReady: true,
  });
  assert.ok(model);
  assert.deepEqual(sentTo('POST /indexes'), {
    name: 'nine',
    deployment: { deployment_type: 'managed', cloud: 'aws', region: 'us-east-1' },
    schema: { fields: { _values: { type: 'dense_vector', dimension: 4, metric: 'dotproduct' } } },
    tags: { team: 'a' },
  });
  const d = await pc.indexes.describe('nine');
  assert.equal(d.name, 'nine');
  assert.deepEqual([d.deployment.deploymentType, (d.deployment as { cloud: string }).cloud, (d.deployment as { region: string }).region], ['managed', 'aws', 'us-east-1']);
  const fields = d.schema.fields as Record<string, { type: string; dimension?: number; metric?: string }>;
  assert.deepEqual([fields._values!.type, fields._values!.dimension, fields._values!.metric], ['dense_vector', 4, 'dotproduct']);
  assert.equal(fields._sparse_values!.type, 'sparse_vector', 'a dense index co-reports _sparse_values, as Pinecone does');
  assert.deepEqual(plain(d.readCapacity), { mode: 'OnDemand', status: { state: 'Ready' } });
  assert.equal(d.status.ready, true);
  assert.equal(d.host, `${base}/index/nine`);
  const legacy = d as unknown as { dimension: number; metric: string; vectorType: string; spec: { serverless: { cloud: string; region: string; readCapacity: { mode: string } } } };
  assert.equal(legacy.dimension, 4);
  assert.equal(legacy.metric, 'dotproduct');
  assert.equal(legacy.vectorType, 'dense');
  assert.equal(legacy.spec.serverless.cloud, 'aws');
  assert.equal(legacy.spec.serverless.readCapacity.mode, 'OnDemand');

  const conf = await pc.indexes.configure('nine', {
    deletionProtection: 'enabled',
    tags: { env: 'dev' },
    readCapacity: { mode: 'Dedicated', nodeType: 'b1', manual: { replicas: 2, shards: 1 } },
  });
  assert.equal(conf.deletionProtection, 'enabled');
  assert.deepEqual(conf.tags, { team: 'a', env: 'dev' });
  assert.deepEqual(plain(conf.readCapacity), {
    mode: 'Dedicated',
    dedicated: { nodeType: 'b1', scaling: 'Manual', manual: { replicas: 2, shards: 1 } },
    status: { state: 'Ready', currentReplicas: 2, currentShards: 1 },
  });
  await assert.rejects(pc.indexes.delete('nine'), (e: Error) => /Deletion protection is enabled for this index/.test(e.message));
  await pc.indexes.configure('nine', { deletionProtection: 'disabled' });
  assert.deepEqual((await pc.indexes.list()).indexes?.map((i) => i.name), ['nine']);
  await pc.indexes.delete('nine');
  assert.deepEqual((await pc.indexes.list()).indexes ?? [], []);
});

test('9.x: the legacy createIndex (dimension, metric, spec) goes through its translation; sparse indexes too', async () => {
  await pc.createIndex({ name: 'legacy', dimension: 3, metric: 'euclidean', spec: { serverless: { cloud: 'gcp', region: 'europe-west4' } }, waitUntilReady: true });
  const d = (await pc.describeIndex('legacy')) as unknown as { dimension: number; metric: string; spec: { serverless: { cloud: string; region: string } } };
  assert.equal(d.dimension, 3);
  assert.equal(d.metric, 'euclidean');
  assert.equal(d.spec.serverless.region, 'europe-west4');

  await pc.createIndex({ name: 'sparse-nine', vectorType: 'sparse', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } }, waitUntilReady: true });
  assert.deepEqual(sentTo('POST /indexes'), {
    name: 'sparse-nine',
    deployment: { deployment_type: 'managed', cloud: 'aws', region: 'us-east-1' },
    schema: { fields: { _sparse_values: { type: 'sparse_vector' } } },
  });
  const s = await pc.indexes.describe('sparse-nine');
  assert.deepEqual(Object.entries(s.schema.fields).map(([k, f]) => [k, (f as { type: string }).type]), [['_sparse_values', 'sparse_vector']]);
  const sl = s as unknown as { vectorType: string; metric: string };
  assert.equal(sl.vectorType, 'sparse');
  assert.equal(sl.metric, 'dotproduct');
  const sparse = pc.index({ name: 'sparse-nine' });
  await sparse.upsert({ records: [{ id: 'a', sparseValues: { indices: [1, 7], values: [0.5, 2] } }, { id: 'b', sparseValues: { indices: [7], values: [1] } }] });
  const q = await sparse.query({ sparseVector: { indices: [7], values: [1] }, topK: 2 } as Parameters<typeof sparse.query>[0]);
  assert.deepEqual(q.matches.map((m) => [m.id, m.score]), [['a', 2], ['b', 1]]);
  await pc.indexes.delete('legacy');
  await pc.indexes.delete('sparse-nine');
});

test('9.x: data plane (2025-10 verbs) and stats in camelCase', async () => {
  await pc.indexes.create({
    name: 'data-nine',
    schema: { fields: { _values: { type: 'dense_vector', dimension: 2, metric: 'cosine' } } },
    deployment: { deploymentType: 'managed', cloud: 'aws', region: 'us-east-1' },
    waitUntilReady: true,
  });
  const index = pc.index({ name: 'data-nine', namespace: 'books' });
  await index.upsert({
    records: [
      { id: 'b1', values: [1, 0], metadata: { genre: 'sf', year: 1965 } },
      { id: 'b2', values: [0.9, 0.1], metadata: { genre: 'sf', year: 1951 } },
      { id: 'b3', values: [0, 1], metadata: { genre: 'poetry', year: 1855 } },
    ],
  });
  const q = await index.query({ vector: [1, 0], topK: 2, filter: { genre: 'sf' }, includeMetadata: true });
  assert.deepEqual(q.matches.map((m) => m.id), ['b1', 'b2']);

  const page1 = await index.fetchByMetadata({ filter: { genre: { $eq: 'sf' } }, limit: 1 });
  assert.deepEqual(Object.keys(page1.records), ['b1']);
  const page2 = await index.fetchByMetadata({ filter: { genre: { $eq: 'sf' } }, limit: 1, paginationToken: page1.pagination!.next });
  assert.deepEqual(Object.keys(page2.records), ['b2']);
  assert.equal(page2.pagination, undefined);

  await index.update({ filter: { genre: 'sf' }, metadata: { shelf: 'A' } });
  const fetched = await index.fetch({ ids: ['b1', 'b2', 'b3'] });
  assert.deepEqual(
    Object.values(fetched.records).map((r) => [r.id, r.metadata?.shelf]).sort(),
    [['b1', 'A'], ['b2', 'A'], ['b3', undefined]],
  );

  const stats = await index.describeIndexStats();
  assert.equal(stats.totalRecordCount, 3);
  assert.equal(stats.dimension, 2);
  const raw = (await (await fetch(`${base}/index/data-nine/describe_index_stats`, { method: 'POST', headers: { 'X-Pinecone-Api-Version': '2026-07' } })).json()) as Record<string, unknown>;
  assert.equal(raw.memoryFullness, 0);
  assert.equal(raw.storageFullness, 0);
  assert.equal(raw.memory_fullness, undefined);

  const created = await pc.index({ name: 'data-nine' }).createNamespace({ name: 'books-2', schema: { fields: { genre: { filterable: true } } } });
  assert.equal(created.name, 'books-2');
  assert.deepEqual(created.schema, { fields: { genre: { filterable: true } } });
  const listed = await pc.index({ name: 'data-nine' }).listNamespaces({ prefix: 'books' });
  assert.deepEqual(listed.namespaces?.map((n) => [n.name, n.recordCount]), [['books', '3'], ['books-2', '0']], 'record counts are int64 strings in 2026-07');
  assert.equal(listed.totalCount, 2);
  assert.deepEqual((await pc.index({ name: 'data-nine' }).describeNamespace('books')).indexedFields, { fields: ['genre', 'shelf', 'year'] });

  await index.deleteMany({ ids: ['b3'] });
  assert.equal((await index.describeIndexStats()).totalRecordCount, 2);
  await pc.indexes.delete('data-nine');
});

test('9.x: typed metadata fields are the schema; full-text search, semantic_text and custom vector names are a clear 400', async () => {
  const call = (body: unknown) =>
    fetch(`${base}/indexes`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Pinecone-Api-Version': '2026-07' }, body: JSON.stringify(body) });
  const deployment = { deployment_type: 'managed', cloud: 'aws', region: 'us-east-1' };
  const dense = { type: 'dense_vector', dimension: 2, metric: 'cosine' };
  const ok = await call({ name: 'typed', deployment, schema: { fields: { _values: dense, year: { type: 'integer', filterable: true }, tags: { type: 'string_list', filterable: true } } } });
  assert.equal(ok.status, 201);
  const m = (await ok.json()) as { schema: { fields: Record<string, unknown> } };
  assert.deepEqual(m.schema.fields, {
    _values: dense,
    _sparse_values: { type: 'sparse_vector' },
    year: { filterable: true, type: 'integer' },
    tags: { filterable: true, type: 'string_list' },
  });
  const index = pc.index({ name: 'typed' });
  await index.upsert({ records: [{ id: 'x', values: [1, 0], metadata: { year: 2000, genre: 'sf', tags: ['a'] } }] });
  assert.equal((await index.query({ vector: [1, 0], topK: 1, filter: { year: { $gte: 1999 } } })).matches.length, 1);
  await assert.rejects(index.query({ vector: [1, 0], topK: 1, filter: { genre: 'sf' } }), (e: Error) => e.name === 'PineconeBadRequestError' && /Cannot filter on metadata field 'genre'/.test(e.message));

  for (const [fields, pattern] of [
    [{ _values: dense, body: { type: 'string', full_text_search: { language: 'en' } } }, /full-text search is not supported by LarchDB/],
    [{ text: { type: 'semantic_text', model: 'llama-text-embed-v2' } }, /semantic_text fields \(integrated embedding\) are not supported/],
    [{ embedding: dense }, /not named _values makes a documents-API index/],
    [{ _values: dense, year: { type: 'integer', filterable: false } }, /Field 'year' is set to filterable: false. Only filterable: true is supported./],
    [{ year: { type: 'integer', filterable: true } }, /needs a vector field/],
  ] as const) {
    const r = await call({ name: 'bad', deployment, schema: { fields } });
    assert.equal(r.status, 400, JSON.stringify(fields));
    assert.match(((await r.json()) as { error: { message: string } }).error.message, pattern);
  }
  const pod = await call({ name: 'bad', deployment: { deployment_type: 'managed', cloud: 'aws', region: 'us-east-1' }, schema: { fields: { _values: dense } }, cmek_id: 'k' });
  assert.equal(pod.status, 400);
  await pc.indexes.delete('typed');
  assert.deepEqual([...versions], ['2026-07'], 'every request of 9.x sends 2026-07');
});

test('9.x: createForModel (built-in sparse model) is answered in the 2026-07 model; upsertRecords and searchRecords work', async () => {
  const m = await pc.indexes.createForModel({ name: 'cfm-nine', cloud: 'aws', region: 'us-east-1', embed: { model: 'pinecone-sparse-english-v0', fieldMap: { text: 'body' } }, waitUntilReady: true });
  const fields = plain(m.schema.fields) as Record<string, Record<string, unknown>>;
  assert.deepEqual(fields.body, { type: 'semantic_text', model: 'pinecone-sparse-english-v0', metric: 'dotproduct', writeParameters: { input_type: 'passage' }, readParameters: { input_type: 'query' } });
  assert.equal(fields._sparse_values?.type, 'sparse_vector');
  const index = pc.index({ name: 'cfm-nine' });
  await index.upsertRecords({ records: [{ _id: 'a', body: 'quantum physics' }, { _id: 'b', body: 'cooking pasta' }] });
  const r = await index.searchRecords({ query: { topK: 2, inputs: { text: 'quantum' } } });
  assert.deepEqual(r.result.hits.map((h) => h._id), ['a']);
  await pc.indexes.delete('cfm-nine');
});
