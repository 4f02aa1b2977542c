/**
 * Integrated inference on local models, end to end: the tests build two tiny real ONNX models (an embedding model
 * and a cross-encoder, over the real all-MiniLM-L6-v2 tokenizer; test/onnx-fixtures.ts) into a models directory and
 * load them through exactly the path users take. The built-in pinecone-sparse-english-v0 needs no weights.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Pinecone } from 'pinecone-client-6';
import { LarchDB } from 'larchdb';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../server/app.js';
import { buildTinyModels, referenceEmbedding, referenceRerankScore, type TinyModels } from '../bench/onnx-fixtures.js';
import { httpCall, tempDir } from './helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
let models: TinyModels;
let db: LarchDB;
let app: FastifyInstance;
let base: string;
let pc: Pinecone;

before(async () => {
  dir = await tempDir();
  models = await buildTinyModels(`${dir.path}/models`);
  db = await LarchDB.open({ path: ':memory:', modelsDir: `${dir.path}/models` });
  app = createServer({ db });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  pc = new Pinecone({ apiKey: 'k', controllerHostUrl: base, maxRetries: 0 });
});
after(async () => {
  await app.close();
  await db.close();
  await dir.cleanup();
});

const TEXTS = ['The quick brown fox jumps over the lazy dog.', 'Quantum entanglement links two particles.', 'hello'];

test('embed: an ONNX model from the models directory gives the graph’s own numbers (mean-pooled, normalised)', async () => {
  const r = await pc.inference.embed(models.embed.id, TEXTS, { input_type: 'passage' });
  assert.equal(r.model, models.embed.id);
  assert.equal(r.vectorType, 'dense');
  for (let i = 0; i < TEXTS.length; i++) {
    const want = await referenceEmbedding(models.embed, TEXTS[i]!);
    const got = (r.data[i] as { values: number[] }).values;
    assert.equal(got.length, want.length);
    for (let d = 0; d < want.length; d++) assert.ok(Math.abs(got[d]! - want[d]!) < 1e-5, `input ${i} component ${d}`);
  }
  assert.ok((r.usage?.totalTokens ?? 0) > 10);
});

test('rerank: documents ordered by the cross-encoder’s scores, which equal the graph’s sigmoid(logit)', async () => {
  const query = 'particles and physics';
  const docs = ['Cooking pasta takes ten minutes.', 'Quantum entanglement links two particles.', 'The match ended in a draw.', 'Physics of particles.'];
  const r = await pc.inference.rerank(models.rerank.id, query, docs, { returnDocuments: true });
  const want = await Promise.all(docs.map((d) => referenceRerankScore(models.rerank, query, d)));
  const order = want.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
  assert.deepEqual(r.data.map((d) => d.index), order);
  for (const d of r.data) assert.ok(Math.abs(d.score - want[d.index]!) < 1e-5);
  assert.deepEqual(r.data[0]!.document, { text: docs[order[0]!]! });
  assert.equal(r.usage?.rerankUnits, 1);
  const top2 = await pc.inference.rerank(models.rerank.id, query, docs.map((text, id) => ({ id: String(id), text })), { topN: 2, returnDocuments: false });
  assert.deepEqual(top2.data.map((d) => d.index), order.slice(0, 2));
  assert.equal(top2.data[0]!.document, undefined);
});

test('inference errors in Pinecone’s words; a model missing from the models directory names every path tried', async () => {
  const post = (path: string, body: object) => httpCall(base, 'POST', path, body);
  const msg = (r: { body: any }) => String(r.body?.error?.message);
  let r = await post('/rerank', { model: models.rerank.id, query: 'q', documents: ['doc1', 'doc2'], rank_fields: ['customField'] });
  assert.equal(r.status, 400);
  assert.match(msg(r), /field 'customField' not found in document at index 0/);
  r = await post('/rerank', { model: models.rerank.id, query: 'q', documents: [{ a: 'x' }, { a: 'y' }] });
  assert.match(msg(r), /Documents must be a list of strings or objects containing the "text" field/);
  r = await post('/rerank', { model: 'bge-reranker-v2-m3', query: 'q', documents: [{ text: 'a', title: 't' }], rank_fields: ['title', 'text'] });
  assert.match(r.text, /"Only one rank field is supported for model bge-reranker-v2-m3/);
  r = await post('/rerank', { model: models.rerank.id, query: 'q', documents: [{ text: 'doc1', title: 't' }], rank_fields: ['NonExistentRankField'] });
  assert.match(msg(r), /field 'NonExistentRankField' not found in document at index 0/);
  r = await post('/embed', { model: 'no-such-model', inputs: [{ text: 'x' }], parameters: { input_type: 'query' } });
  assert.equal(r.status, 404);
  assert.match(msg(r), /^Model no-such-model not found\./);
  r = await post('/embed', { model: models.embed.id, inputs: Array.from({ length: 97 }, () => ({ text: 'x' })), parameters: { input_type: 'query' } });
  assert.equal(r.status, 400);
  assert.match(msg(r), /97 inputs exceed the maximum batch size of 96/);
  r = await post('/embed', { model: models.embed.id, inputs: [{ text: 'word '.repeat(600) }], parameters: { input_type: 'query', truncate: 'NONE' } });
  assert.equal(r.status, 400);
  assert.match(msg(r), /Input at index 0 is 602 tokens long, over the model's limit of 512 tokens/);
  r = await post('/embed', { model: models.embed.id, inputs: [{ text: 'word '.repeat(600) }], parameters: { input_type: 'query' } });
  assert.equal(r.status, 200, 'truncate END (the default) cuts it');
  r = await post('/embed', { model: 'multilingual-e5-large', inputs: [{ text: 'x' }], parameters: { input_type: 'query' } });
  assert.equal(r.status, 412);
  assert.match(msg(r), /^Model multilingual-e5-large runs locally as Xenova\/multilingual-e5-large, which is not in the models directory: looked for .*Xenova\/multilingual-e5-large\/onnx\/model\.onnx/);
  r = await post('/embed', { model: models.embed.id, inputs: [{ text: 'x' }], parameters: {} });
  assert.match(msg(r), /Missing required parameter 'input_type'/);
});

test('models: list with type and vector_type filters, describe one, an unknown one is 404', async () => {
  const all = (await httpCall(base, 'GET', '/models')).body as { models: { model: string; type: string; vector_type?: string }[] };
  assert.deepEqual(all.models.map((m) => m.model), ['llama-text-embed-v2', 'multilingual-e5-large', 'pinecone-sparse-english-v0', 'bge-reranker-v2-m3', 'cohere-rerank-3.5', 'pinecone-rerank-v0']);
  const sparse = (await httpCall(base, 'GET', '/models?type=embed&vector_type=sparse')).body as { models: { model: string }[] };
  assert.deepEqual(sparse.models.map((m) => m.model), ['pinecone-sparse-english-v0']);
  const d = await pc.inference.getModel('multilingual-e5-large');
  assert.equal(d.defaultDimension, 1024);
  assert.ok(d.supportedParameters.some((p) => p.parameter === 'input_type' && p.required));
  const missing = await httpCall(base, 'GET', '/models/example-model');
  assert.equal(missing.status, 404);
  assert.equal((missing.body as any).error.message, 'Model example-model not found.');
});

test('integrated index through the official client 6.x: createIndexForModel → upsertRecords → searchRecords (filter, fields, rerank)', async () => {
  await pc.createIndexForModel({ name: 'docs', cloud: 'aws', region: 'us-east-1', embed: { model: models.embed.id, fieldMap: { text: 'chunk_text' } }, waitUntilReady: true });
  const model = await pc.describeIndex('docs');
  assert.equal(model.dimension, models.embed.dim);
  assert.equal(model.embed?.model, models.embed.id);
  assert.deepEqual(model.embed?.fieldMap, { text: 'chunk_text' });
  const ns = pc.index('docs').namespace('books');
  const records = [
    { _id: 'r1', chunk_text: 'Quantum entanglement links two particles.', genre: 'physics' },
    { _id: 'r2', chunk_text: 'The quick brown fox jumps over the lazy dog.', genre: 'animals' },
    { _id: 'r3', chunk_text: 'Cooking pasta takes ten minutes.', genre: 'food' },
    { _id: 'r4', chunk_text: 'Physics of particles and fields.', genre: 'physics' },
  ];
  await ns.upsertRecords(records);
  const query = 'Quantum entanglement links two particles.';
  const found = await ns.searchRecords({ query: { topK: 2, inputs: { text: query } } });
  assert.equal(found.result.hits[0]!._id, 'r1', 'the record with the same text ranks first');
  assert.ok(Math.abs(found.result.hits[0]!._score - 1) < 1e-5);
  assert.deepEqual(found.result.hits[0]!.fields, { chunk_text: records[0]!.chunk_text, genre: 'physics' });

  const filtered = await ns.searchRecords({ query: { topK: 10, inputs: { text: query }, filter: { genre: 'physics' } }, fields: ['genre'] });
  assert.deepEqual(filtered.result.hits.map((h) => h._id).sort(), ['r1', 'r4']);
  assert.deepEqual(filtered.result.hits[0]!.fields, { genre: 'physics' });

  const reranked = await ns.searchRecords({ query: { topK: 4, inputs: { text: 'particles and physics' } }, rerank: { model: models.rerank.id, rankFields: ['chunk_text'], topN: 3 } });
  const want = await Promise.all(records.map((r) => referenceRerankScore(models.rerank, 'particles and physics', r.chunk_text)));
  const order = records.map((r, i) => [want[i]!, r._id] as const).sort((a, b) => b[0] - a[0]).map(([, id]) => id);
  assert.deepEqual(reranked.result.hits.map((h) => h._id), order.slice(0, 3));

  // Stored as ordinary vectors + metadata: fetch and stats see them.
  const fetched = await ns.fetch(['r2']);
  assert.equal(fetched.records.r2!.metadata?.genre, 'animals');
  assert.equal(fetched.records.r2!.values?.length, models.embed.dim);
  assert.equal((await pc.index('docs').describeIndexStats()).namespaces?.books?.recordCount, 4);
});

test('built-in pinecone-sparse-english-v0: sparse index for the model, upsert text, the document with the query’s rare words ranks first', async () => {
  await pc.createIndexForModel({ name: 'words', cloud: 'aws', region: 'us-east-1', embed: { model: 'pinecone-sparse-english-v0', fieldMap: { text: 'body' } }, waitUntilReady: true });
  const m = await pc.describeIndex('words');
  assert.equal(m.vectorType, 'sparse');
  assert.equal(m.metric, 'dotproduct');
  const ns = pc.index('words').namespace('');
  await ns.upsertRecords([
    { _id: 'cook', body: 'Boil the pasta, then add the tomato sauce and the basil.' },
    { _id: 'sport', body: 'The team won the match after extra time and penalties.' },
    { _id: 'physics', body: 'Experiments on quantum entanglement test Bell inequalities.' },
    { _id: 'mixed', body: 'The experiments in the kitchen went well, the sauce was great.' },
  ]);
  const r = await ns.searchRecords({ query: { topK: 3, inputs: { text: 'quantum entanglement experiments' } } });
  assert.deepEqual(r.result.hits.map((h) => h._id), ['physics', 'mixed']);
  const e = await pc.inference.embed('pinecone-sparse-english-v0', ['Quantum entanglement'], { input_type: 'query', return_tokens: true } as unknown as Record<string, string>); // 6.x types parameters as strings
  const sparse = e.data[0] as { sparseIndices: number[]; sparseValues: number[]; sparseTokens?: string[] };
  assert.deepEqual(sparse.sparseValues, [1, 1]);
  assert.deepEqual([...(sparse.sparseTokens ?? [])].sort(), ['entangl', 'quantum']);
});

test('an inference worker that dies is replaced: the job is retried once, then the next request works', async () => {
  const sup = (db as unknown as { sup: { inference: { run(j: object): Promise<unknown>; retries: number } } }).sup;
  await assert.rejects(sup.inference.run({ op: 'crash' }), (e: any) => e.status === 503 && /worker/.test(e.message));
  const again = await db.inference.embed(models.embed.id, ['still works'], { input_type: 'query' });
  assert.equal((again.data[0] as { values: number[] }).values.length, models.embed.dim);
});

test('concurrent small embeds are batched into fewer model runs, each answer its own', async () => {
  const pool = (db as unknown as { sup: { inference: { batching: { jobs: number; requests: number } } } }).sup.inference;
  const before = { ...pool.batching };
  const texts = Array.from({ length: 24 }, (_, i) => `text number ${i}`);
  const answers = await Promise.all(texts.map((t) => db.inference.embed(models.embed.id, [t], { input_type: 'passage' })));
  const jobs = pool.batching.jobs - before.jobs;
  assert.equal(pool.batching.requests - before.requests, 24);
  assert.ok(jobs < 24, `24 requests went as ${jobs} jobs`);
  for (let i = 0; i < texts.length; i += 7) {
    const want = await referenceEmbedding(models.embed, texts[i]!);
    const got = (answers[i]!.data[0] as { values: number[] }).values;
    assert.ok(got.every((x, d) => Math.abs(x - want[d]!) < 1e-5), `answer ${i} is its own text's embedding`);
    assert.equal(answers[i]!.usage.totalTokens, (await db.inference.embed(models.embed.id, [texts[i]!], { input_type: 'passage' })).usage.totalTokens);
  }
  // One bad request in a batch fails alone.
  const mixed = await Promise.allSettled([
    db.inference.embed(models.embed.id, ['fine'], { input_type: 'query', truncate: 'NONE' }),
    db.inference.embed(models.embed.id, ['word '.repeat(600)], { input_type: 'query', truncate: 'NONE' }),
    db.inference.embed(models.embed.id, ['also fine'], { input_type: 'query', truncate: 'NONE' }),
  ]);
  assert.deepEqual(mixed.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
});

test('configure embed: field_map and parameters change, the model cannot; 2026-07 shows it as a semantic_text field', async () => {
  const conf = await pc.configureIndex('docs', { embed: { fieldMap: { text: 'body' }, readParameters: { input_type: 'query', truncate: 'NONE' } } });
  assert.deepEqual(conf.embed?.fieldMap, { text: 'body' });
  assert.deepEqual(conf.embed?.readParameters, { input_type: 'query', truncate: 'NONE' });
  const bad = await httpCall(base, 'PATCH', '/indexes/docs', { embed: { model: 'multilingual-e5-large' } });
  assert.equal(bad.status, 400);
  assert.match((bad.body as any).error.message, /cannot be changed/);
  const nine = (await httpCall(base, 'GET', '/indexes/docs', undefined, { 'X-Pinecone-Api-Version': '2026-07' })).body as any;
  assert.deepEqual(nine.schema.fields.body, { type: 'semantic_text', model: models.embed.id, metric: 'cosine', read_parameters: { input_type: 'query', truncate: 'NONE' }, write_parameters: { input_type: 'passage' } });
  await pc.configureIndex('docs', { embed: { fieldMap: { text: 'chunk_text' } } });
});

test('records over raw HTTP: NDJSON with or without a content type (201), search by vector, by id, with match_terms', async () => {
  const put = async (body: string, headers: Record<string, string>) => {
    const r = await fetch(`${base}/index/words/records/namespaces/raw/upsert`, { method: 'POST', body, headers });
    return { status: r.status, body: await r.json() };
  };
  const lines = (recs: object[]) => recs.map((r) => JSON.stringify(r)).join('\n');
  assert.deepEqual(await put(lines([{ _id: 'a', body: 'quantum entanglement in the lab' }]), { 'content-type': 'application/x-ndjson' }), { status: 201, body: {} });
  assert.equal((await put(lines([{ id: 'b', body: 'entanglement of quantum states' }]), { 'content-type': 'text/plain' })).status, 201);
  const noType = await fetch(`${base}/index/words/records/namespaces/raw/upsert`, { method: 'POST', body: new Blob([lines([{ _id: 'c', body: 'a quantum leap in cooking' }])]) });
  assert.equal(noType.status, 201, 'no Content-Type at all');
  const bad = await put('{"_id": "x", "body": "t"}\nnot json', { 'content-type': 'application/x-ndjson' });
  assert.equal(bad.status, 400);
  assert.match(String((bad.body as any).message), /Line 2 of the body is not valid JSON/);
  const missing = await put(lines([{ _id: 'y', text: 'no body field' }]), { 'content-type': 'application/x-ndjson' });
  assert.match(String((missing.body as any).message), /missing the text field 'body'/);

  const search = (body: object) => httpCall(base, 'POST', '/index/words/records/namespaces/raw/search', body);
  const terms = await search({ query: { top_k: 5, inputs: { text: 'quantum' }, match_terms: { strategy: 'all', terms: ['quantum', 'entanglement'] } } });
  assert.deepEqual((terms.body as any).result.hits.map((h: any) => h._id).sort(), ['a', 'b']);
  assert.ok((terms.body as any).usage.embed_total_tokens >= 1);
  const byId = await search({ query: { top_k: 1, id: 'a' }, fields: ['body'] });
  assert.deepEqual((byId.body as any).result.hits, [{ _id: 'a', _score: (byId.body as any).result.hits[0]._score, fields: { body: 'quantum entanglement in the lab' } }]);
  const e = await db.inference.embed('pinecone-sparse-english-v0', ['cooking'], { input_type: 'query' });
  const sv = e.data[0] as { sparseIndices: number[]; sparseValues: number[] };
  const byVector = await search({ query: { top_k: 3, vector: { sparse_indices: sv.sparseIndices, sparse_values: sv.sparseValues } } });
  assert.deepEqual((byVector.body as any).result.hits.map((h: any) => h._id), ['c']);
  const dense = await httpCall(base, 'POST', '/index/docs/records/namespaces/books/search', { query: { top_k: 1, inputs: { text: 'x' }, match_terms: { terms: ['x'] } } });
  assert.equal(dense.status, 400);
  assert.match(String((dense.body as any).message), /match_terms is supported only for sparse indexes/);
});
