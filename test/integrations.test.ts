/**
 * The framework integrations, used the way their users use them, against the real server in-process on a free port:
 *   - @langchain/pinecone 1.x `PineconeStore` with its own client (the root @pinecone-database/pinecone 5.x, through
 *     `pineconeConfig`), with a 6.x client's Index as `pineconeIndex`, and with a 7.x client's Index (the delete that
 *     loses its ids, which must be a 400);
 *   - @llamaindex/pinecone 0.1.x `PineconeVectorStore` with `store.db` set to a 4.x client;
 *   - @mastra/pinecone 1.x `PineconeVector` (its own 3.x client, through `controllerHostUrl`).
 * Embeddings come from a deterministic keyword embedding (test/keyword-embeddings.ts), so every expected result is
 * exact and checked against a float64 cosine of the same vectors.
 *
 * What the integrations send (recorded below):
 *   - LangChain: `X-Pinecone-Api-Version` of whichever client it is given (2025-01 for its own 5.x, whose User-Agent
 *     then ends in `; source_tag=langchainjs`; a client passed in as `pineconeIndex` keeps its own). It always calls
 *     `index.namespace(params.namespace ?? '')`, so `pineconeConfig.namespace` is overridden by the store's
 *     top-level `namespace` (default: `""`, the default namespace). Matches with a score of exactly 0 are dropped by
 *     `_formatMatches` (`if (score)`). MMR queries with `includeValues: true` and `topK: fetchK`.
 *     With a 7.x+ client: `upsert(array)` throws client-side (7.x wants `{ records }`), and `deleteMany(ids)` passes
 *     the array where 7.x wants an options object: the array's `.filter` method passes 7.x's validation and
 *     JSON.stringify drops it, so the body is `{"namespace":"__default__"}` alone.
 *   - LlamaIndex: 2024-10 (4.x). Record ids become `<ref_doc_id>_chunk_<node id>` (ref_doc_id is "None" without a
 *     source relationship); the node itself lives in the `_node_content` metadata string. query() = a query with
 *     `includeValues` and `includeMetadata`, then a fetch of the matched ids; delete(refDocId) = describe_index (needs
 *     `spec.serverless`), GET `/vectors/list?prefix=<refDocId>` page by page, then deletes by ids.
 *   - Mastra: 2024-07 (3.x). createIndex neither waits for readiness nor uses `suppressConflicts`: a second create
 *     is recognised by a message containing "already exists" (3.x's errors carry no status), then it compares
 *     dimensions via describe_index_stats + describe_index. deleteVectors({ filter }) = describe stats + describe
 *     index + a query with a constant vector and topK 10000, then a delete by ids. `$all` becomes `$and` of `$in`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pinecone as Pinecone3 } from 'pinecone-client-3';
import { Pinecone as Pinecone4 } from 'pinecone-client-4';
import { Pinecone as Pinecone6 } from 'pinecone-client-6';
import { Pinecone as Pinecone7 } from 'pinecone-client-7';
import { PineconeStore } from '@langchain/pinecone';
import { Document } from '@langchain/core/documents';
import { PineconeVectorStore } from '@llamaindex/pinecone';
import { TextNode, NodeRelationship } from '@llamaindex/core/schema';
import { VectorStoreQueryMode } from '@llamaindex/core/vector-store';
import { PineconeVector } from '@mastra/pinecone';
import { LarchDB } from 'larchdb';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/app.js';
import { SPEC, dense } from './helpers.js';
import { DIMENSION, embed, KeywordEmbeddings, KeywordLlamaEmbedding } from './keyword-embeddings.js';

let db: LarchDB;
let app: FastifyInstance;
let base: string;

/** One request as the server saw it: what the integration sent and the status it got. */
interface Seen {
  method: string;
  path: string;
  query: string;
  version: string | undefined;
  userAgent: string | undefined;
  body: unknown;
  status: number;
}
const seen: Seen[] = [];

before(async () => {
  db = await LarchDB.open({ path: ':memory:' });
  app = createServer({ db });
  app.addHook('onResponse', async (req, reply) => {
    const v = req.headers['x-pinecone-api-version'];
    const [path, query = ''] = req.url.split('?') as [string, string?];
    // Upsert bodies reach their route raw (a Buffer, parsed off the HTTP thread).
    const body = Buffer.isBuffer(req.body) ? JSON.parse(req.body.toString('utf8')) : req.body;
    const version = typeof v === 'string' ? v : undefined;
    seen.push({ method: req.method, path, query, version, userAgent: req.headers['user-agent'], body, status: reply.statusCode });
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await app.close();
  await db.close();
});

/** Runs `fn` and returns the requests it made. */
async function recording(fn: () => Promise<void>): Promise<Seen[]> {
  const from = seen.length;
  await fn();
  return seen.slice(from);
}

/** The versions a set of requests carried. */
const versions = (requests: Seen[]): string[] => [...new Set(requests.map((r) => String(r.version)))];

/** Float64 cosine of the query text and a document text under the test embedding (the server stores float32). */
const cos = (query: string, text: string): number => dense(embed(query), embed(text), 'cosine');

function assertScores(got: number[], want: number[]): void {
  assert.equal(got.length, want.length);
  got.forEach((s, i) => assert.ok(Math.abs(s - want[i]!) < 1e-5, `score ${i}: ${s} vs ${want[i]}`));
}

/** A verifier independent of the integration under test: a 6.x client reading the same index. */
function verifier(index: string, namespace: string) {
  const ns = new Pinecone6({ apiKey: 'unused', controllerHostUrl: base, maxRetries: 0 }).index(index).namespace(namespace);
  return {
    async ids(candidates: string[]): Promise<string[]> {
      return Object.keys((await ns.fetch(candidates)).records).sort();
    },
    async count(): Promise<number> {
      const stats = await ns.describeIndexStats();
      return stats.namespaces?.[namespace]?.recordCount ?? 0;
    },
    async namespaces(): Promise<Record<string, number>> {
      const stats = await ns.describeIndexStats();
      return Object.fromEntries(Object.entries(stats.namespaces ?? {}).map(([k, v]) => [k, v.recordCount]));
    },
  };
}

async function createIndex(name: string): Promise<void> {
  const pc = new Pinecone6({ apiKey: 'unused', controllerHostUrl: base, maxRetries: 0 });
  await pc.createIndex({ name, dimension: DIMENSION, metric: 'cosine', spec: SPEC, waitUntilReady: true });
}

// ---------------------------------------------------------------------------------------------------------------
// LangChain

const LC_DOCS: { id: string; text: string; metadata: Record<string, unknown> }[] = [
  { id: 'pet-1', text: 'The cat eats cat food', metadata: { topic: 'pets', year: 2020, tags: ['indoor', 'food'], source: { kind: 'blog' } } },
  { id: 'pet-2', text: 'Cat food, cat treats, cat naps', metadata: { topic: 'pets', year: 2021, tags: ['indoor'] } },
  { id: 'pet-3', text: 'The dog plays with a cat toy', metadata: { topic: 'pets', year: 2022, tags: ['outdoor', 'toy'] } },
  { id: 'pet-4', text: 'The dog eats dog food', metadata: { topic: 'pets', year: 2023, tags: ['outdoor', 'food'] } },
  { id: 'pet-5', text: 'A fish swims by another fish', metadata: { topic: 'pets', year: 2024, tags: ['water'] } },
  { id: 'car-1', text: 'The car has a cat sticker', metadata: { topic: 'vehicles', year: 2021, tags: ['road'] } },
  { id: 'car-2', text: 'The train is late', metadata: { topic: 'vehicles', year: 2022, tags: ['rail'] } },
  { id: 'car-3', text: 'The plane and the train and the car', metadata: { topic: 'vehicles', year: 2023, tags: ['air'] } },
];
const LC_IDS = LC_DOCS.map((d) => d.id);
const lcText = (id: string): string => LC_DOCS.find((d) => d.id === id)!.text;

/** The metadata LangChain stores: nested objects flattened to dotted keys, string arrays kept (and the text). */
function lcMetadata(id: string): Record<string, unknown> {
  const { source, ...rest } = LC_DOCS.find((d) => d.id === id)!.metadata as { source?: { kind: string } };
  return source ? { ...rest, 'source.kind': source.kind } : rest;
}

/**
 * addDocuments → similaritySearch (with and without filters) → similaritySearchWithScore → MMR → delete by ids →
 * delete by filter, asserting exact results after each step. `check` reads the index with another client.
 */
async function langchainScenario(store: PineconeStore, check: ReturnType<typeof verifier>): Promise<void> {
  const docs = LC_DOCS.map((d) => new Document({ pageContent: d.text, metadata: d.metadata }));
  assert.deepEqual(await store.addDocuments(docs, { ids: LC_IDS }), LC_IDS);
  assert.equal(await check.count(), 8);

  const cat = await store.similaritySearch('cat', 2, { topic: 'pets' });
  assert.deepEqual(cat.map((d) => d.id), ['pet-2', 'pet-1']);
  assert.deepEqual(cat.map((d) => d.pageContent), [lcText('pet-2'), lcText('pet-1')]);
  assert.deepEqual(cat[1]!.metadata, lcMetadata('pet-1'));
  assert.deepEqual(cat[0]!.metadata, lcMetadata('pet-2'));

  assert.deepEqual((await store.similaritySearch('cat', 4)).map((d) => d.id), ['pet-2', 'pet-1', 'car-1', 'pet-3'], 'no filter');
  assert.deepEqual((await store.similaritySearch('cat', 3, { topic: 'vehicles' })).map((d) => d.id), ['car-1', 'car-2', 'car-3']);
  assert.deepEqual((await store.similaritySearch('cat', 10, { tags: { $in: ['indoor'] } })).map((d) => d.id), ['pet-2', 'pet-1'], '$in on a string list');
  assert.deepEqual((await store.similaritySearch('dog', 10, { 'source.kind': 'blog' })).map((d) => d.id), ['pet-1'], 'a flattened nested key');
  assert.deepEqual(
    (await store.similaritySearch('train', 10, { $or: [{ year: { $lt: 2021 } }, { tags: 'rail' }] })).map((d) => d.id),
    ['car-2', 'pet-1'],
  );

  const scored = await store.similaritySearchWithScore('dog', 3, { topic: 'pets', year: { $gte: 2022 } });
  assert.deepEqual(scored.map(([d]) => d.id), ['pet-4', 'pet-3', 'pet-5']);
  assertScores(scored.map(([, s]) => s), ['pet-4', 'pet-3', 'pet-5'].map((id) => cos('dog', lcText(id))));
  assert.deepEqual(scored[0]![0].metadata, lcMetadata('pet-4'));

  // Plain similarity returns the two near-duplicates; MMR (lambda 0.5) keeps the best and then the most different
  // relevant one ("dog food" shares "food" with the query but not "cat").
  assert.deepEqual((await store.similaritySearch('cat food', 2, { topic: 'pets' })).map((d) => d.id), ['pet-1', 'pet-2']);
  const mmr = await store.maxMarginalRelevanceSearch('cat food', { k: 2, fetchK: 5, filter: { topic: 'pets' } });
  assert.deepEqual(mmr.map((d) => d.id), ['pet-1', 'pet-4']);
  assert.deepEqual(mmr.map((d) => d.pageContent), [lcText('pet-1'), lcText('pet-4')]);
  const mmr3 = await store.maxMarginalRelevanceSearch('cat food', { k: 3, fetchK: 8 });
  assert.equal(mmr3.length, 3);
  assert.equal(new Set(mmr3.map((d) => d.id)).size, 3);
  assert.equal(mmr3[0]!.id, 'pet-1');
  assert.ok(!mmr3.some((d) => d.id === 'pet-2'), `MMR skips the near-duplicate: ${mmr3.map((d) => d.id)}`);

  await store.delete({ ids: ['pet-5', 'car-1'] });
  assert.deepEqual(await check.ids(LC_IDS), ['car-2', 'car-3', 'pet-1', 'pet-2', 'pet-3', 'pet-4']);
  await store.delete({ filter: { topic: 'vehicles' } });
  assert.deepEqual(await check.ids(LC_IDS), ['pet-1', 'pet-2', 'pet-3', 'pet-4']);
  assert.equal(await check.count(), 4);
  assert.deepEqual((await store.similaritySearch('train', 10)).map((d) => d.id).sort(), ['pet-1', 'pet-2', 'pet-3', 'pet-4']);
}

test('LangChain PineconeStore with its own client (5.x, pineconeConfig + controllerHostUrl)', async () => {
  const name = 'lc-own';
  await createIndex(name);
  const store = new PineconeStore(new KeywordEmbeddings(), {
    pineconeConfig: {
      indexName: name,
      config: { apiKey: 'unused', controllerHostUrl: base },
      namespace: 'ignored', // overridden: the store calls index.namespace(params.namespace ?? '')
    },
  });
  const requests = await recording(() => langchainScenario(store, verifier(name, '__default__')));
  const own = requests.filter((r) => r.version !== '2025-04'); // the 6.x verifier's requests aside
  assert.deepEqual(versions(own), ['2025-01']);
  assert.ok(own.every((r) => r.userAgent?.endsWith('; source_tag=langchainjs')), 'pineconeConfig adds sourceTag "langchainjs"');
  assert.ok(own.some((r) => r.method === 'GET' && r.path === `/indexes/${name}`), 'the host is resolved through describe_index');
  const upsert = own.find((r) => r.path === `/index/${name}/vectors/upsert`)!;
  assert.equal((upsert.body as { namespace: string }).namespace, '');
  assert.deepEqual(await verifier(name, '__default__').namespaces(), { __default__: 4 }, 'nothing went to "ignored"');
});

test('LangChain PineconeStore with a 6.x client Index as pineconeIndex (namespace option)', async () => {
  const name = 'lc-six';
  await createIndex(name);
  const pc = new Pinecone6({ apiKey: 'unused', controllerHostUrl: base });
  const store = await PineconeStore.fromExistingIndex(new KeywordEmbeddings(), {
    pineconeIndex: pc.index(name) as unknown as ConstructorParameters<typeof PineconeStore>[1]['pineconeIndex'],
    namespace: 'lc',
  });
  const requests = await recording(() => langchainScenario(store, verifier(name, 'lc')));
  assert.deepEqual(versions(requests), ['2025-04']);
  assert.ok(!requests.some((r) => r.userAgent?.includes('source_tag')), 'a client passed in keeps its own User-Agent');
  assert.deepEqual(await verifier(name, 'lc').namespaces(), { lc: 4 });
});

test('LangChain PineconeStore with a 7.x client: delete by ids sends no ids, the server answers 400, nothing is deleted', async () => {
  const name = 'lc-seven';
  await createIndex(name);
  const pc = new Pinecone7({ apiKey: 'unused', controllerHostUrl: base });
  const index = pc.index({ name });
  const store = new PineconeStore(new KeywordEmbeddings(), {
    pineconeIndex: index as unknown as ConstructorParameters<typeof PineconeStore>[1]['pineconeIndex'],
    // addDocuments goes through LangChain's AsyncCaller, which retries any error 6 times with exponential backoff
    // (about 100 s before the client-side error below surfaces); no retries here.
    maxRetries: 0,
  });

  // addDocuments cannot work with 7.x (it calls upsert(array)): the client refuses before sending anything.
  const refused = await recording(async () => {
    await assert.rejects(store.addDocuments([new Document({ pageContent: 'cat' })], { ids: ['x'] }), { name: 'PineconeArgumentError' });
  });
  assert.deepEqual(refused.filter((r) => r.path.endsWith('/vectors/upsert')), []);

  const three = LC_DOCS.slice(0, 3);
  await index.upsert({ records: three.map((d) => ({ id: d.id, values: embed(d.text), metadata: { text: d.text, topic: 'pets' } })) });
  // Queries work (query takes an options object in every version).
  assert.deepEqual((await store.similaritySearch('cat', 2, { topic: 'pets' })).map((d) => d.id), ['pet-2', 'pet-1']);

  const requests = await recording(async () => {
    await assert.rejects(store.delete({ ids: ['pet-1'] }), { name: 'PineconeBadRequestError' });
  });
  const deletes = requests.filter((r) => r.path === `/index/${name}/vectors/delete`);
  assert.equal(deletes.length, 1, 'a 400 is not retried');
  assert.deepEqual(deletes[0]!.body, { namespace: '__default__' }, 'no ids, filter or deleteAll on the wire');
  assert.equal(deletes[0]!.status, 400);
  assert.equal(deletes[0]!.version, '2025-10');
  const left = await index.fetch({ ids: LC_IDS });
  assert.deepEqual(Object.keys(left.records).sort(), ['pet-1', 'pet-2', 'pet-3'], 'nothing was deleted');
});

// ---------------------------------------------------------------------------------------------------------------
// LlamaIndex

const LI_NODES = [
  { id: 'a1', doc: 'doc-a', text: 'The cat eats cat food', metadata: { topic: 'pets', year: 2020 } },
  { id: 'a2', doc: 'doc-a', text: 'The dog plays with a cat toy', metadata: { topic: 'pets', year: 2022 } },
  { id: 'a3', doc: 'doc-a', text: 'The car has a cat sticker', metadata: { topic: 'vehicles', year: 2021 } },
  { id: 'b1', doc: 'doc-b', text: 'Cat food, cat treats, cat naps', metadata: { topic: 'pets', year: 2021 } },
  { id: 'b2', doc: 'doc-b', text: 'The train is late', metadata: { topic: 'vehicles', year: 2022 } },
  { id: 'c1', doc: 'doc-c', text: 'A fish swims by another fish', metadata: { topic: 'pets', year: 2024 } },
];
const liId = (id: string): string => {
  const n = LI_NODES.find((x) => x.id === id)!;
  return `${n.doc}_chunk_${n.id}`;
};

test('LlamaIndex PineconeVectorStore with store.db = a 4.x client: add → query with filters → delete by ref doc id', async () => {
  const name = 'llama';
  await createIndex(name);
  // Without an embedding model (here or in Settings.embedModel) the constructor throws.
  const store = new PineconeVectorStore({ indexName: name, apiKey: 'unused', namespace: 'li', embeddingModel: new KeywordLlamaEmbedding() });
  store.db = new Pinecone4({ apiKey: 'unused', controllerHostUrl: base }) as unknown as typeof store.db;
  const check = verifier(name, 'li');
  const ALL = LI_NODES.map((n) => liId(n.id));

  const nodes = LI_NODES.map(
    (n) =>
      new TextNode<Record<string, unknown>>({
        id_: n.id,
        text: n.text,
        embedding: embed(n.text),
        metadata: n.metadata,
        relationships: { [NodeRelationship.SOURCE]: { nodeId: n.doc, metadata: {} } },
      }),
  );
  const requests = await recording(async () => {
    await store.add(nodes);
    assert.deepEqual(await check.ids(ALL), [...ALL].sort(), 'ids are <ref_doc_id>_chunk_<node id>');

    const filters = { filters: [{ key: 'topic', value: 'pets', operator: '==' as const }] };
    const r = await store.query({ queryEmbedding: embed('cat'), similarityTopK: 3, mode: VectorStoreQueryMode.DEFAULT, filters });
    assert.deepEqual(r.ids, ['b1', 'a1', 'a2'].map(liId));
    assertScores(r.similarities, ['b1', 'a1', 'a2'].map((id) => cos('cat', LI_NODES.find((n) => n.id === id)!.text)));
    // The nodes come from a fetch of the matched ids: rebuilt from _node_content (original ids, text, metadata).
    const byId = new Map(r.nodes!.map((n) => [n.id_, n as TextNode]));
    assert.deepEqual([...byId.keys()].sort(), ['a1', 'a2', 'b1']);
    for (const id of ['a1', 'a2', 'b1']) {
      const want = LI_NODES.find((n) => n.id === id)!;
      assert.equal(byId.get(id)!.text, want.text);
      // The rebuilt node's metadata also keeps LlamaIndex's bookkeeping keys (it is the fetched metadata).
      const { _node_content: content, ...metadata } = byId.get(id)!.metadata as Record<string, unknown>;
      assert.equal(JSON.parse(content as string).id_, id);
      assert.deepEqual(metadata, { ...want.metadata, _node_type: 'TextNode', document_id: want.doc, doc_id: want.doc, ref_doc_id: want.doc });
      assert.equal(byId.get(id)!.sourceNode?.nodeId, want.doc);
    }

    const r2 = await store.query({
      queryEmbedding: embed('train'),
      similarityTopK: 10,
      mode: VectorStoreQueryMode.DEFAULT,
      filters: {
        filters: [
          { key: 'year', value: 2022, operator: '>=' },
          { key: 'topic', value: ['vehicles', 'boats'], operator: 'in' },
        ],
        condition: 'and',
      },
    });
    assert.deepEqual(r2.ids, [liId('b2')]);
    const r3 = await store.query({
      queryEmbedding: embed('fish'),
      similarityTopK: 2,
      mode: VectorStoreQueryMode.DEFAULT,
      filters: { filters: [{ key: 'year', value: 2020, operator: '<' }, { key: 'topic', value: 'vehicles', operator: '!=' }], condition: 'or' },
    });
    assert.deepEqual(r3.ids, [liId('c1'), liId('a2')]);

    await store.delete('doc-a');
    assert.deepEqual(await check.ids(ALL), ['b1', 'b2', 'c1'].map(liId).sort());
    const after = await store.query({ queryEmbedding: embed('cat'), similarityTopK: 10, mode: VectorStoreQueryMode.DEFAULT });
    assert.deepEqual(after.ids, ['b1', 'b2', 'c1'].map(liId));
  });
  const own = requests.filter((r) => r.version !== '2025-04'); // the 6.x verifier's requests aside
  assert.deepEqual(versions(own), ['2024-10']);
  const list = own.filter((r) => r.path === `/index/${name}/vectors/list`);
  assert.equal(list.length, 1);
  assert.match(list[0]!.query, /prefix=doc-a/);
  const del = own.filter((r) => r.path === `/index/${name}/vectors/delete`);
  assert.deepEqual(del.map((r) => r.body), [{ ids: ['a1', 'a2', 'a3'].map(liId), namespace: 'li' }]);
});

// ---------------------------------------------------------------------------------------------------------------
// Mastra

test('Mastra PineconeVector: createIndex (twice) → upsert → query with filters → update → delete vectors → deleteIndex', async () => {
  const vec = new PineconeVector({ id: 'pinecone', apiKey: 'unused', controllerHostUrl: base });
  const indexName = 'mastra';
  const texts = [
    { id: 'm1', text: 'The cat eats cat food', metadata: { topic: 'pets', year: 2020, tags: ['indoor', 'food'] } },
    { id: 'm2', text: 'The dog plays with a cat toy', metadata: { topic: 'pets', year: 2022, tags: ['outdoor', 'toy'], rating: 4 } },
    { id: 'm3', text: 'The dog eats dog food', metadata: { topic: 'pets', year: 2023, tags: ['outdoor', 'food'] } },
    { id: 'm4', text: 'The car has a cat sticker', metadata: { topic: 'vehicles', year: 2021, tags: ['road'] } },
    { id: 'm5', text: 'The train is late', metadata: { topic: 'vehicles', year: 2022, tags: ['rail', 'food'] } },
  ];
  const score = (q: string, id: string): number => cos(q, texts.find((t) => t.id === id)!.text);

  const requests = await recording(async () => {
    await vec.createIndex({ indexName, dimension: DIMENSION, metric: 'cosine' });
    assert.ok((await vec.listIndexes()).includes(indexName));
    await vec.createIndex({ indexName, dimension: DIMENSION, metric: 'cosine' }); // already exists: accepted
    await assert.rejects(vec.createIndex({ indexName, dimension: DIMENSION + 1, metric: 'cosine' }), (e: Error & { id?: string }) => {
      assert.equal(e.id, 'VECTOR_VALIDATE_INDEX_DIMENSION_MISMATCH', e.message);
      return true;
    });
    assert.deepEqual(await vec.describeIndex({ indexName }), { dimension: DIMENSION, count: 0, metric: 'cosine', namespaces: {} });

    const ids = await vec.upsert({ indexName, vectors: texts.map((t) => embed(t.text)), metadata: texts.map((t) => t.metadata), ids: texts.map((t) => t.id) });
    assert.deepEqual(ids, ['m1', 'm2', 'm3', 'm4', 'm5']);
    await vec.upsert({ indexName, namespace: 'other', vectors: [embed('cat')], metadata: [{ topic: 'pets' }], ids: ['o1'] });
    const described = await vec.describeIndex({ indexName });
    assert.equal(described.count, 6);
    assert.deepEqual(described.namespaces, { __default__: { recordCount: 5 }, other: { recordCount: 1 } });

    const q = await vec.query({ indexName, queryVector: embed('cat'), topK: 2, filter: { topic: 'pets' } });
    assert.deepEqual(q.map((m) => m.id), ['m1', 'm2']);
    assertScores(q.map((m) => m.score), [score('cat', 'm1'), score('cat', 'm2')]);
    assert.deepEqual(q[0]!.metadata, texts[0]!.metadata);
    const withVector = await vec.query({ indexName, queryVector: embed('dog'), topK: 1, includeVector: true });
    assert.equal(withVector[0]!.id, 'm3');
    withVector[0]!.vector!.forEach((x, i) => assert.ok(Math.abs(x - embed('dog dog food')[i]!) < 1e-6));

    const ids$ = async (filter?: Record<string, unknown>) =>
      (await vec.query({ indexName, queryVector: embed('cat'), topK: 10, filter: filter as never })).map((m) => m.id);
    assert.deepEqual(await ids$({ tags: { $all: ['outdoor', 'food'] } }), ['m3'], '$all (as $and of $in)');
    assert.deepEqual(await ids$({ rating: { $exists: true } }), ['m2'], '$exists');
    assert.deepEqual(await ids$({ $or: [{ year: { $lte: 2020 } }, { topic: 'vehicles', year: { $gt: 2021 } }] }), ['m1', 'm5']);
    assert.deepEqual(await ids$({ tags: { $nin: ['food'] }, year: { $ne: 2021 } }), ['m2']);
    assert.deepEqual(await vec.query({ indexName, namespace: 'other', queryVector: embed('cat'), topK: 5 }).then((r) => r.map((m) => m.id)), ['o1']);

    await vec.updateVector({ indexName, id: 'm4', update: { metadata: { topic: 'pets' } } });
    assert.deepEqual(await ids$({ topic: 'vehicles' }), ['m5']);
    assert.deepEqual(await ids$({ topic: 'pets' }), ['m1', 'm4', 'm2', 'm3']);

    await vec.deleteVector({ indexName, id: 'm1' });
    await vec.deleteVectors({ indexName, ids: ['m2'] });
    await vec.deleteVectors({ indexName, filter: { year: { $gte: 2023 } } });
    assert.deepEqual(await ids$(), ['m4', 'm5']);
    assert.equal((await vec.describeIndex({ indexName })).count, 3);

    await vec.deleteIndex({ indexName });
    assert.ok(!(await vec.listIndexes()).includes(indexName));
  });
  assert.deepEqual(versions(requests), ['2024-07']);
  const creates = requests.filter((r) => r.method === 'POST' && r.path === '/indexes');
  assert.deepEqual(creates.map((r) => r.status), [201, 409, 409]);
  assert.deepEqual(creates[0]!.body, {
    name: indexName,
    dimension: DIMENSION,
    metric: 'cosine',
    spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
  });
});
