/**
 * The quick-start flow with the official client's other API lines, installed side by side under npm aliases:
 * `pinecone-client-3` (3.x, API 2024-07), `pinecone-client-4` (4.x, API 2024-10), `pinecone-client-5`
 * (@pinecone-database/pinecone 5.x, API 2025-01), `pinecone-client-7` (7.x, API 2025-10) and `pinecone-client-8`
 * (8.x, API 2026-04), against the real server in-process on a free port. (6.x, API 2025-04, is covered by
 * server-client.test.ts.)
 *
 * Headers each client sends, as recorded below on every request (control and data plane alike), besides `Api-Key`
 * and a `User-Agent: @pinecone-database/pinecone v<version>; lang=typescript; node v…` (whose version lags: 3.0.3
 * says v3.0.2, 4.1.0 says v4.0.0, 5.1.2 says v5.1.1):
 *   3.0.3: X-Pinecone-Api-Version: 2024-07
 *   4.1.0: X-Pinecone-Api-Version: 2024-10
 *   5.1.2: X-Pinecone-Api-Version: 2025-01
 *   6.1.x: X-Pinecone-Api-Version: 2025-04
 *   7.2.0: X-Pinecone-Api-Version: 2025-10
 *   8.2.0: X-Pinecone-Api-Version: 2026-04
 *
 * Where the verbs differ: 3.x to 6.x take positional arguments (`upsert(records)`, `fetch(ids)`,
 * `deleteMany(ids | filter)`, `deleteOne(id)`, `index(name, host?)`, `configureIndex(name, options)`,
 * `describeIndexStats()` without a filter); 7.x and 8.x take option objects (`upsert({ records })`, `fetch({ ids })`,
 * `deleteMany({ ids } | { filter })`, `deleteOne({ id })`, `configureIndex({ name, … })`, `index({ name, host? })` —
 * the positional `index(name, host)` is deprecated but still works —, and `describeIndexStats({ filter })`).
 *
 * On the wire the bodies are the same (camelCase data plane, snake_case control plane) except for the default
 * namespace: 3.x to 5.x send `"namespace": ""` (and `?namespace=` on fetch/list) where 6.x to 8.x send
 * `"__default__"`; the server treats both as the default namespace. 3.x to 5.x's query() report the namespace they
 * targeted (`''`), not the response's. 3.x and 4.x have no `vectorType`, 3.x no `tags` (API 2024-07) and no
 * `maxRetries` option. 7.x parses `spec.serverless.read_capacity` (required in 2025-10), which the server does not send,
 * so `readCapacity` is undefined there; nothing in the client depends on it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pinecone as Pinecone3 } from 'pinecone-client-3';
import { Pinecone as Pinecone4 } from 'pinecone-client-4';
import { Pinecone as Pinecone5 } from 'pinecone-client-5';
import { Pinecone as Pinecone7 } from 'pinecone-client-7';
import { Pinecone as Pinecone8 } from 'pinecone-client-8';
import { LarchDB } from 'larchdb';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/app.js';
import { SPEC } from './helpers.js';

let db: LarchDB;
let app: FastifyInstance;
let base: string;
/** `X-Pinecone-Api-Version` of every request the server receives. */
const seen: { request: string; version: string | undefined }[] = [];

before(async () => {
  db = await LarchDB.open({ path: ':memory:' });
  app = createServer({ db });
  app.addHook('onRequest', async (req) => {
    const v = req.headers['x-pinecone-api-version'];
    seen.push({ request: `${req.method} ${req.url.split('?')[0]}`, version: typeof v === 'string' ? v : undefined });
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await app.close();
  await db.close();
});

const RECORDS = [
  { id: 'doc1', values: [1, 0, 0, 0], metadata: { genre: 'drama', year: 2020 } },
  { id: 'doc2', values: [0.9, 0.1, 0, 0], metadata: { genre: 'comedy', year: 2021 } },
  { id: 'doc3', values: [0.8, 0.2, 0, 0], metadata: { genre: 'drama', year: 2022 } },
  { id: 'doc4', values: [0, 0, 1, 0], metadata: { genre: 'drama', year: 2023 } },
];

/** Runs `fn` and asserts that every request it made carried `X-Pinecone-Api-Version: version`. */
async function sendsVersion(version: string, fn: () => Promise<void>): Promise<void> {
  const from = seen.length;
  await fn();
  const requests = seen.slice(from);
  assert.ok(requests.length >= 20, `only ${requests.length} requests recorded`);
  const other = requests.filter((r) => r.version !== version);
  assert.deepEqual(other, [], `requests without X-Pinecone-Api-Version: ${version}`);
}

/** Fetch, update and stats with a positional-API client (3.x to 6.x); `total` records are in the index. */
async function positionalFetchUpdateStats(index: any, total: number): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const f = await index.fetch(['doc2', 'missing']);
  assert.deepEqual(Object.keys(f.records), ['doc2']);
  assert.deepEqual(f.records.doc2!.values, [0.9, 0.1, 0, 0]);
  assert.deepEqual(f.records.doc2!.metadata, { genre: 'comedy', year: 2021 });

  await index.update({ id: 'doc2', values: [0, 1, 0, 0], metadata: { genre: 'drama' } });
  const u = (await index.fetch(['doc2'])).records.doc2!;
  assert.deepEqual(u.values, [0, 1, 0, 0]);
  assert.deepEqual(u.metadata, { genre: 'drama', year: 2021 });

  const stats = await index.describeIndexStats();
  assert.equal(stats.totalRecordCount, total);
  assert.equal(stats.dimension, 4);
  assert.deepEqual(stats.namespaces, { __default__: { recordCount: total } });
}

test('client 5.x (API 2025-01): create → describe → upsert → query → fetch → update → stats → delete', async () => {
  const VERSION = '2025-01';
  const pc = new Pinecone5({ apiKey: 'unused', controllerHostUrl: base, maxRetries: 0 });
  const name = 'quick-v5';
  await sendsVersion(VERSION, async () => {
    const created = await pc.createIndex({ name, dimension: 4, metric: 'cosine', spec: SPEC, waitUntilReady: true });
    assert.ok(created);
    assert.equal(created.name, name);
    assert.deepEqual(created.status, { ready: true, state: 'Ready' });

    const model = await pc.describeIndex(name);
    assert.equal(model.host, `${base}/index/${name}`);
    assert.equal(model.dimension, 4);
    assert.equal(model.metric, 'cosine');
    assert.equal(model.vectorType, 'dense');
    assert.equal(model.spec.serverless?.region, 'us-east-1');
    assert.equal((await pc.index(name, model.host).describeIndexStats()).totalRecordCount, 0, 'the described host is usable');
    const configured = await pc.configureIndex(name, { deletionProtection: 'enabled', tags: { team: 'a' } });
    assert.equal(configured.deletionProtection, 'enabled');
    assert.deepEqual(configured.tags, { team: 'a' });
    await assert.rejects(pc.deleteIndex(name), { name: 'PineconeBadRequestError' });
    await pc.configureIndex(name, { deletionProtection: 'disabled' });

    const index = pc.index(name); // no host: resolved through describe_index
    await index.upsert(RECORDS);
    const q = await index.query({ vector: [1, 0, 0, 0], topK: 3, filter: { genre: { $eq: 'drama' } }, includeMetadata: true });
    assert.deepEqual(q.matches.map((m) => m.id), ['doc1', 'doc3', 'doc4']);
    assert.deepEqual(q.matches[0]!.metadata, { genre: 'drama', year: 2020 });
    assert.ok(Math.abs(q.matches[0]!.score! - 1) < 1e-6);
    assert.equal(q.namespace, '', "5.x reports the namespace it targeted ('' = default), not the response's");

    await positionalFetchUpdateStats(index, 4);

    await index.deleteMany(['doc1', 'doc2']);
    await index.deleteMany({ year: { $gte: 2023 } });
    assert.deepEqual(Object.keys((await index.fetch(['doc1', 'doc2', 'doc3', 'doc4'])).records), ['doc3']);
    await index.deleteOne('doc3');
    assert.equal((await index.describeIndexStats()).totalRecordCount, 0);

    await pc.deleteIndex(name);
    assert.ok(!((await pc.listIndexes()).indexes ?? []).some((i) => i.name === name));
  });
});

/** Fetch, update and stats with an options-object client (7.x, 8.x); `total` records are in the index. */
async function fetchUpdateStats(index: any, total: number): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const f = await index.fetch({ ids: ['doc2', 'missing'] });
  assert.deepEqual(Object.keys(f.records), ['doc2']);
  assert.deepEqual(f.records.doc2!.values, [0.9, 0.1, 0, 0]);
  assert.deepEqual(f.records.doc2!.metadata, { genre: 'comedy', year: 2021 });

  await index.update({ id: 'doc2', values: [0, 1, 0, 0], metadata: { genre: 'drama' } });
  const u = (await index.fetch({ ids: ['doc2'] })).records.doc2!;
  assert.deepEqual(u.values, [0, 1, 0, 0]);
  assert.deepEqual(u.metadata, { genre: 'drama', year: 2021 });

  const stats = await index.describeIndexStats();
  assert.equal(stats.totalRecordCount, total);
  assert.equal(stats.dimension, 4);
  assert.deepEqual(stats.namespaces, { __default__: { recordCount: total } });
  const filtered = await index.describeIndexStats({ filter: { genre: { $eq: 'drama' } } });
  assert.equal(filtered.totalRecordCount, 4, 'doc2 became drama');
}

test('client 7.x (API 2025-10): create → describe → upsert → query → fetch → update → stats → delete', async () => {
  const VERSION = '2025-10';
  const pc = new Pinecone7({ apiKey: 'unused', controllerHostUrl: base, maxRetries: 0 });
  const name = 'quick-v7';
  await sendsVersion(VERSION, async () => {
    const created = await pc.createIndex({ name, dimension: 4, metric: 'cosine', spec: SPEC, waitUntilReady: true });
    assert.ok(created);
    assert.equal(created.name, name);
    assert.deepEqual(created.status, { ready: true, state: 'Ready' });

    const model = await pc.describeIndex(name);
    assert.equal(model.host, `${base}/index/${name}`);
    assert.equal(model.dimension, 4);
    assert.equal(model.metric, 'cosine');
    assert.equal(model.vectorType, 'dense');
    assert.equal((model.spec as { serverless?: { region: string } }).serverless?.region, 'us-east-1'); // 7.x types spec as a union
    assert.equal((await pc.index({ host: model.host }).describeIndexStats()).totalRecordCount, 0, 'the described host is usable');
    const configured = await pc.configureIndex({ name, deletionProtection: 'enabled', tags: { team: 'a' } });
    assert.equal(configured.deletionProtection, 'enabled');
    assert.deepEqual(configured.tags, { team: 'a' });
    await assert.rejects(pc.deleteIndex(name), { name: 'PineconeBadRequestError' });
    await pc.configureIndex({ name, deletionProtection: 'disabled' });

    const index = pc.index({ name }); // no host: resolved through describe_index
    await index.upsert({ records: RECORDS });
    const q = await index.query({ vector: [1, 0, 0, 0], topK: 3, filter: { genre: { $eq: 'drama' } }, includeMetadata: true });
    assert.deepEqual(q.matches.map((m) => m.id), ['doc1', 'doc3', 'doc4']);
    assert.deepEqual(q.matches[0]!.metadata, { genre: 'drama', year: 2020 });
    assert.ok(Math.abs(q.matches[0]!.score! - 1) < 1e-6);
    assert.equal(q.namespace, '__default__');

    await fetchUpdateStats(index, 4);

    await index.deleteMany({ ids: ['doc1', 'doc2'] });
    await index.deleteMany({ filter: { year: { $gte: 2023 } } });
    assert.deepEqual(Object.keys((await index.fetch({ ids: ['doc1', 'doc2', 'doc3', 'doc4'] })).records), ['doc3']);
    await index.deleteOne({ id: 'doc3' });
    assert.equal((await index.describeIndexStats()).totalRecordCount, 0);

    // The deprecated positional form still works in 7.x.
    await pc.index(name, `${base}/index/${name}`).upsert({ records: [{ id: 'z', values: [0, 0, 0, 1] }] });
    assert.equal((await index.describeIndexStats()).totalRecordCount, 1);

    await pc.deleteIndex(name);
    assert.ok(!((await pc.listIndexes()).indexes ?? []).some((i) => i.name === name));
  });
});

/** Vector ids listed page by page (`limit` per page) with a positional-era client's `listPaginated`. */
async function listAll(
  list: (o: { prefix?: string; limit?: number; paginationToken?: string }) => Promise<{
    vectors?: { id?: string }[];
    pagination?: { next?: string };
  }>,
  prefix: string,
  limit: number,
): Promise<string[][]> {
  const pages: string[][] = [];
  let token: string | undefined;
  do {
    const page = await list({ prefix, limit, ...(token ? { paginationToken: token } : {}) });
    pages.push((page.vectors ?? []).map((v) => v.id!));
    token = page.pagination?.next;
    assert.ok(pages.length <= 10, 'pagination does not end');
  } while (token);
  return pages;
}

/** Records of the quick start plus one outside the `doc` prefix (for list). */
const WITH_OTHER = [...RECORDS, { id: 'other1', values: [0, 0, 0, 1], metadata: { genre: 'news', year: 2019 } }];

/** What the 3.x and 4.x flows share from fetch to delete index: the two lines' positional verbs. */
async function positionalTail(
  pc: { deleteIndex(n: string): Promise<void>; listIndexes(): Promise<{ indexes?: { name: string }[] }>; describeIndex(n: string): Promise<unknown> },
  index: any, // eslint-disable-line @typescript-eslint/no-explicit-any -- 3.x and 4.x Index types differ only in names
  name: string,
  pageSize: number,
  pageLengths: number[],
): Promise<void> {
  const pages = await listAll((o) => index.listPaginated(o), 'doc', pageSize);
  assert.deepEqual(pages.map((p) => p.length), pageLengths);
  assert.deepEqual(pages.flat().sort(), ['doc1', 'doc2', 'doc3', 'doc4']);
  await positionalFetchUpdateStats(index, 5);

  await index.deleteMany(['doc1', 'doc2']);
  await index.deleteMany({ year: { $gte: 2023 } });
  assert.deepEqual(Object.keys((await index.fetch(['doc1', 'doc2', 'doc3', 'doc4', 'other1'])).records).sort(), ['doc3', 'other1']);
  await index.deleteOne('doc3');
  await index.deleteAll();
  assert.equal((await index.describeIndexStats()).totalRecordCount, 0);

  await pc.deleteIndex(name);
  assert.ok(!((await pc.listIndexes()).indexes ?? []).some((i) => i.name === name));
  await assert.rejects(pc.describeIndex(name), { name: 'PineconeNotFoundError' });
}

/**
 * The quick-start flow of the positional-API lines 3.x and 4.x (same verbs): create with or without tags, describe,
 * deletion protection, upsert, a filtered query, then `secondQuery` and {@link positionalTail}.
 */
async function positionalFlow(
  pc: any, // eslint-disable-line @typescript-eslint/no-explicit-any -- 3.x and 4.x types differ only in names
  name: string,
  line: string,
  tags: boolean,
  secondQuery: (index: any) => Promise<void>, // eslint-disable-line @typescript-eslint/no-explicit-any
  pageSize: number,
  pageLengths: number[],
): Promise<void> {
  const created = await pc.createIndex({ name, dimension: 4, metric: 'cosine', spec: SPEC, ...(tags ? { tags: { team: 'a' } } : {}), waitUntilReady: true });
  assert.ok(created);
  assert.equal(created.name, name);
  assert.equal(created.status.ready, true);
  assert.equal(created.status.state, 'Ready');

  const model = await pc.describeIndex(name);
  assert.equal(model.host, `${base}/index/${name}`);
  assert.equal(model.dimension, 4);
  assert.equal(model.metric, 'cosine');
  assert.equal(model.spec.serverless?.region, 'us-east-1');
  assert.equal(model.deletionProtection, 'disabled');
  if (tags) assert.deepEqual(model.tags, { team: 'a' });
  const configured = await pc.configureIndex(name, { deletionProtection: 'enabled', ...(tags ? { tags: { team: 'b' } } : {}) });
  assert.equal(configured.deletionProtection, 'enabled');
  if (tags) assert.deepEqual(configured.tags, { team: 'b' });
  await assert.rejects(pc.deleteIndex(name), { name: 'PineconeBadRequestError' });
  await pc.configureIndex(name, { deletionProtection: 'disabled' });

  const index = pc.index(name); // no host: resolved through describe_index
  await index.upsert(WITH_OTHER);
  const q = await index.query({ vector: [1, 0, 0, 0], topK: 3, filter: { genre: { $eq: 'drama' } }, includeMetadata: true });
  assert.deepEqual(q.matches.map((m: { id: string }) => m.id), ['doc1', 'doc3', 'doc4']);
  assert.deepEqual(q.matches[0]!.metadata, { genre: 'drama', year: 2020 });
  assert.ok(Math.abs(q.matches[0]!.score! - 1) < 1e-6);
  assert.equal(q.namespace, '', `like 5.x, ${line} reports the namespace it targeted`);
  await secondQuery(index);
  await positionalTail(pc, index, name, pageSize, pageLengths);
}

test('client 3.x (API 2024-07): create → wait ready → upsert → query → fetch → list → stats → delete → delete index', async () => {
  const pc = new Pinecone3({ apiKey: 'unused', controllerHostUrl: base }); // 3.x has no maxRetries option
  await sendsVersion('2024-07', () =>
    positionalFlow(pc, 'quick-v3', '3.x', false, async (index) => {
      const q2 = await index.query({ id: 'doc2', topK: 2, filter: { year: { $gte: 2021 }, genre: { $in: ['comedy', 'drama'] } } });
      assert.deepEqual(q2.matches.map((m: { id: string }) => m.id), ['doc2', 'doc3'], 'query by id with an implicit $and');
    }, 3, [3, 1]),
  );
});

test('client 4.x (API 2024-10): create with tags → wait ready → upsert → query → fetch → list → stats → delete → delete index', async () => {
  const pc = new Pinecone4({ apiKey: 'unused', controllerHostUrl: base, maxRetries: 0 });
  await sendsVersion('2024-10', () =>
    positionalFlow(pc, 'quick-v4', '4.x', true, async (index) => {
      const q2 = await index.query({ vector: [1, 0, 0, 0], topK: 10, filter: { $or: [{ genre: 'comedy' }, { year: { $lt: 2020 } }] } });
      assert.deepEqual(q2.matches.map((m: { id: string }) => m.id), ['doc2', 'other1']);
    }, 2, [2, 2]),
  );
});

test('client 8.x (API 2026-04): create → wait ready → upsert → query → fetch → list → stats → delete → delete index', async () => {
  const VERSION = '2026-04';
  const pc = new Pinecone8({ apiKey: 'unused', controllerHostUrl: base, maxRetries: 0 });
  const name = 'quick-v8';
  await sendsVersion(VERSION, async () => {
    const created = await pc.createIndex({ name, dimension: 4, metric: 'cosine', spec: SPEC, tags: { team: 'a' }, waitUntilReady: true });
    assert.ok(created);
    assert.equal(created.name, name);
    assert.equal(created.status.ready, true);
    assert.equal(created.status.state, 'Ready');

    const model = await pc.describeIndex(name);
    assert.equal(model.host, `${base}/index/${name}`);
    assert.equal(model.dimension, 4);
    assert.equal(model.metric, 'cosine');
    assert.equal(model.vectorType, 'dense');
    assert.equal((model.spec as { serverless?: { region: string } }).serverless?.region, 'us-east-1');
    assert.deepEqual(model.tags, { team: 'a' });
    const configured = await pc.configureIndex({ name, deletionProtection: 'enabled' });
    assert.equal(configured.deletionProtection, 'enabled');
    await assert.rejects(pc.deleteIndex(name), { name: 'PineconeBadRequestError' });
    await pc.configureIndex({ name, deletionProtection: 'disabled' });

    const index = pc.index({ name });
    await index.upsert({ records: WITH_OTHER });
    const q = await index.query({ vector: [1, 0, 0, 0], topK: 3, filter: { genre: { $eq: 'drama' } }, includeMetadata: true });
    assert.deepEqual(q.matches.map((m) => m.id), ['doc1', 'doc3', 'doc4']);
    assert.deepEqual(q.matches[0]!.metadata, { genre: 'drama', year: 2020 });
    assert.ok(Math.abs(q.matches[0]!.score! - 1) < 1e-6);
    assert.equal(q.namespace, '__default__');
    const q2 = await index.query({ vector: [1, 0, 0, 0], topK: 10, filter: { genre: { $nin: ['drama'] }, year: { $lte: 2021 } } });
    assert.deepEqual(q2.matches.map((m) => m.id), ['doc2', 'other1']);

    const pages = await listAll((o) => index.listPaginated(o), 'doc', 3);
    assert.deepEqual(pages.map((p) => p.length), [3, 1]);
    assert.deepEqual(pages.flat().sort(), ['doc1', 'doc2', 'doc3', 'doc4']);

    await fetchUpdateStats(index, 5);

    await index.deleteMany({ ids: ['doc1', 'doc2'] });
    await index.deleteMany({ filter: { year: { $gte: 2023 } } });
    assert.deepEqual(Object.keys((await index.fetch({ ids: ['doc1', 'doc2', 'doc3', 'doc4', 'other1'] })).records).sort(), ['doc3', 'other1']);
    await index.deleteOne({ id: 'doc3' });
    await index.deleteAll();
    assert.equal((await index.describeIndexStats()).totalRecordCount, 0);

    await pc.deleteIndex(name);
    assert.ok(!((await pc.listIndexes()).indexes ?? []).some((i) => i.name === name));
    await assert.rejects(pc.describeIndex(name), { name: 'PineconeNotFoundError' });
  });
});
