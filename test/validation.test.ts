// Request validation and Pinecone's limits, through the public API. Every rejection is checked for its code and for
// a message fragment naming what was wrong.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB, LarchError } from 'larchdb';

const SPEC = { serverless: { cloud: 'aws' as const, region: 'us-east-1' } };
const V4 = [0.1, 0.2, 0.3, 0.4];
/** Deliberately invalid input, past the type checker. */
const loose = (v: unknown): any => v;

let db: LarchDB;
before(async () => {
  db = await LarchDB.open({ path: ':memory:' });
  await db.createIndex({ name: 'movies', dimension: 4, metric: 'cosine', spec: SPEC });
  await db.createIndex({ name: 'hybrid', dimension: 4, metric: 'dotproduct', spec: SPEC });
  await db.createIndex({ name: 'lexical', vectorType: 'sparse', spec: SPEC });
  await movies().upsert([{ id: 'a', values: V4, metadata: { genre: 'drama' } }]);
});
after(async () => {
  await db?.close();
});

const movies = (ns = 'ns1') => db.index('movies').namespace(ns);
const lexical = (ns = 'ns1') => db.index('lexical').namespace(ns);

function rejectsWith(code: string, status: number, ...fragments: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof LarchError, `expected a LarchError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, status, e.message);
    for (const re of fragments) assert.match(e.message, re);
    return true;
  };
}
const invalid = (...fragments: RegExp[]) => rejectsWith('INVALID_ARGUMENT', 400, ...fragments);

// ---- control plane ----

test('index names: uppercase, leading/trailing hyphen, other characters, empty and 46 chars are rejected', async () => {
  for (const name of ['Movies', '-movies', 'movies-', 'my_index', 'my.index', 'café']) {
    await assert.rejects(
      async () => db.createIndex({ name, dimension: 4, spec: SPEC }),
      invalid(/lowercase alphanumeric characters or hyphens, and must not begin or end with a hyphen/),
      name,
    );
  }
  await assert.rejects(async () => db.createIndex({ name: 'a'.repeat(46), dimension: 4, spec: SPEC }), invalid(/45/, /46/));
  await assert.rejects(async () => db.createIndex({ name: '', dimension: 4, spec: SPEC }), invalid(/45/));
  await assert.rejects(async () => db.createIndex(loose({ name: 42, dimension: 4, spec: SPEC })), invalid(/Index name/, /string/));
});

test('index names: 45 characters, digits and inner hyphens are fine', async () => {
  const name = `a-1${'b'.repeat(42)}`;
  assert.equal(name.length, 45);
  await db.createIndex({ name, dimension: 4, spec: SPEC });
  assert.equal((await db.describeIndex(name)).name, name);
  await db.deleteIndex(name);
});

test('create index: dimension rules', async () => {
  await assert.rejects(async () => db.createIndex({ name: 'd0', dimension: 0, spec: SPEC }), invalid(/[Dd]imension/, /got 0/));
  await assert.rejects(async () => db.createIndex({ name: 'd1', dimension: 20001, spec: SPEC }), invalid(/20000/, /20001/));
  await assert.rejects(async () => db.createIndex({ name: 'd2', dimension: 2.5, spec: SPEC }), invalid(/integer/, /2\.5/));
  await assert.rejects(async () => db.createIndex({ name: 'd3', spec: SPEC }), invalid(/dense index needs a dimension/));
  await assert.rejects(
    async () => db.createIndex({ name: 'd4', vectorType: 'sparse', dimension: 4, spec: SPEC }),
    invalid(/sparse index must not have a dimension/),
  );
  await db.createIndex({ name: 'd5', dimension: 20000, spec: SPEC });
  const d5 = await db.describeIndex('d5');
  assert.equal(d5.dimension, 20000);
  assert.equal(d5.metric, 'cosine');
  assert.equal(d5.vectorType, 'dense');
  assert.equal(d5.deletionProtection, 'disabled');
  await db.deleteIndex('d5');
});

test('create index: metric, vectorType, deletionProtection, spec and tags', async () => {
  await assert.rejects(async () => db.createIndex(loose({ name: 'm1', dimension: 4, metric: 'l2', spec: SPEC })), invalid(/metric/, /'l2'/));
  await assert.rejects(
    async () => db.createIndex({ name: 'm2', vectorType: 'sparse', metric: 'cosine', spec: SPEC }),
    invalid(/sparse index must use metric 'dotproduct'/, /cosine/),
  );
  await assert.rejects(async () => db.createIndex(loose({ name: 'm3', dimension: 4, vectorType: 'hybrid', spec: SPEC })), invalid(/vectorType/, /hybrid/));
  await assert.rejects(
    async () => db.createIndex(loose({ name: 'm4', dimension: 4, deletionProtection: 'on', spec: SPEC })),
    invalid(/deletionProtection/, /'on'/),
  );
  await assert.rejects(async () => db.createIndex(loose({ name: 'm5', dimension: 4 })), invalid(/spec is required/));
  await assert.rejects(async () => db.createIndex(loose({ name: 'm6', dimension: 4, spec: {} })), invalid(/exactly one of serverless, pod or byoc/));
  await assert.rejects(
    async () => db.createIndex(loose({ name: 'm7', dimension: 4, spec: { serverless: { cloud: 'ibm', region: 'us-east-1' } } })),
    invalid(/cloud/, /'ibm'/),
  );
  await assert.rejects(
    async () => db.createIndex(loose({ name: 'm8', dimension: 4, spec: { serverless: { cloud: 'aws' } } })),
    invalid(/region/),
  );
  await assert.rejects(
    async () => db.createIndex(loose({ name: 'm9', dimension: 4, spec: { pod: { podType: 'p1.x1' } } })),
    invalid(/spec\.pod\.environment/),
  );
  await assert.rejects(async () => db.createIndex(loose({ name: 'm10', dimensions: 4, spec: SPEC })), invalid(/unknown field 'dimensions'/));
  await assert.rejects(
    async () => db.createIndex({ name: 'm11', dimension: 4, spec: SPEC, tags: { 'bad key': 'v' } }),
    invalid(/Tag key 'bad key'/),
  );
  await assert.rejects(async () => db.createIndex({ name: 'm12', dimension: 4, spec: SPEC, tags: { env: 'a/b' } }), invalid(/Tag 'env'/, /'a\/b'/));
  await assert.rejects(async () => db.createIndex({ name: 'm13', dimension: 4, spec: SPEC, tags: { env: '' } }), invalid(/Tag 'env' has an empty value/));
  await assert.rejects(
    async () => db.createIndex({ name: 'm14', dimension: 4, spec: SPEC, tags: { env: 'x'.repeat(121) } }),
    invalid(/Tag 'env'/, /121/, /120/),
  );
  const names = ((await db.listIndexes()).indexes ?? []).map((i) => i.name);
  assert.ok(!names.some((n) => /^m\d+$/.test(n)), `no index was created: ${names.join(',')}`);
});

test('create index: sparse defaults to dotproduct; tags are kept', async () => {
  await db.createIndex({ name: 'sp2', vectorType: 'sparse', spec: SPEC, tags: { env: 'dev 1.0+@;_-' } });
  const d = await db.describeIndex('sp2');
  assert.equal(d.metric, 'dotproduct');
  assert.equal(d.vectorType, 'sparse');
  assert.equal(d.dimension ?? undefined, undefined);
  assert.deepEqual(d.tags, { env: 'dev 1.0+@;_-' });
  await db.deleteIndex('sp2');
});

test('duplicate index name is ALREADY_EXISTS (409)', async () => {
  await assert.rejects(async () => db.createIndex({ name: 'movies', dimension: 4, spec: SPEC }), rejectsWith('ALREADY_EXISTS', 409));
});

test('deleteIndex with deletion protection is FORBIDDEN (403); configure can lift it', async () => {
  await db.createIndex({ name: 'guarded', dimension: 4, spec: SPEC, deletionProtection: 'enabled' });
  await assert.rejects(async () => db.deleteIndex('guarded'), rejectsWith('FORBIDDEN', 403, /[Dd]eletion protection/));
  await db.configureIndex('guarded', { deletionProtection: 'disabled' });
  await db.deleteIndex('guarded');

  await db.createIndex({ name: 'guarded2', dimension: 4, spec: SPEC });
  await db.configureIndex('guarded2', { deletionProtection: 'enabled' });
  await assert.rejects(async () => db.deleteIndex('guarded2'), rejectsWith('FORBIDDEN', 403, /[Dd]eletion protection/));
  await assert.rejects(async () => db.configureIndex('guarded2', loose({ deletionProtection: 'maybe' })), invalid(/deletionProtection/));
  await assert.rejects(async () => db.configureIndex('guarded2', { tags: { 'no spaces': 'x' } }), invalid(/Tag key 'no spaces'/));
  await db.configureIndex('guarded2', { deletionProtection: 'disabled' });
  await db.deleteIndex('guarded2');
});

test('unknown index is NOT_FOUND (404)', async () => {
  const notFound = () => rejectsWith('NOT_FOUND', 404, /nope/);
  await assert.rejects(async () => db.describeIndex('nope'), notFound());
  await assert.rejects(async () => db.deleteIndex('nope'), notFound());
  await assert.rejects(async () => db.configureIndex('nope', { deletionProtection: 'enabled' }), notFound());
  await assert.rejects(async () => db.index('nope').namespace('ns1').upsert([{ id: 'a', values: V4 }]), notFound());
  await assert.rejects(async () => db.index('nope').namespace('ns1').query({ vector: V4, topK: 1 }), notFound());
});

// ---- record ids and namespaces ----

test('record ids: empty, too long, non-ASCII, \\0 and non-string are rejected; 512 ASCII chars are fine', async () => {
  await assert.rejects(async () => movies().upsert([{ id: '', values: V4 }]), invalid(/id/, /must not be empty/));
  await assert.rejects(async () => movies().upsert([{ id: 'x'.repeat(513), values: V4 }]), invalid(/513 characters/, /512/));
  await assert.rejects(async () => movies().upsert([{ id: 'café', values: V4 }]), invalid(/'café'/, /non-ASCII/));
  await assert.rejects(async () => movies().upsert([{ id: 'a\0b', values: V4 }]), invalid(/null character/, /position 1/));
  await assert.rejects(async () => movies().upsert([loose({ id: 7, values: V4 })]), invalid(/id/, /must be a string, got number/));
  await assert.rejects(async () => movies().upsert([loose({ values: V4 })]), invalid(/id at position 0/));
  await assert.rejects(async () => movies().upsert([{ id: 'ok', values: V4 }, { id: 'bad\u00e9', values: V4 }]), invalid(/position 1/));

  const long = 'x'.repeat(512);
  await movies().upsert([{ id: long, values: V4 }]);
  assert.ok((await movies().fetch([long])).records[long]);
  await movies().deleteMany([long]);
});

test('namespace names: over 512 chars or non-ASCII are rejected; 512 chars are fine', async () => {
  await assert.rejects(async () => db.index('movies').namespace('n'.repeat(513)).upsert([{ id: 'a', values: V4 }]), invalid(/[Nn]amespace/, /513/, /512/));
  await assert.rejects(async () => db.index('movies').namespace('naïve').upsert([{ id: 'a', values: V4 }]), invalid(/[Nn]amespace/, /non-ASCII/));
  const ns = 'n'.repeat(512);
  await db.index('movies').namespace(ns).upsert([{ id: 'a', values: V4 }]);
  assert.ok((await db.index('movies').namespace(ns).fetch(['a'])).records['a']);
});

// ---- upsert ----

test('upsert: dense dimension mismatch names both dimensions and the record', async () => {
  await assert.rejects(
    async () => movies().upsert([{ id: 'short', values: [0.1, 0.2, 0.3] }]),
    invalid(/Vector dimension 3 does not match the dimension of the index 4/, /'short'/),
  );
  await assert.rejects(
    async () => movies().upsert([{ id: 'long', values: [1, 2, 3, 4, 5] }]),
    invalid(/Vector dimension 5 does not match the dimension of the index 4/),
  );
  await assert.rejects(async () => movies().upsert([{ id: 'none', values: [] }]), invalid(/Vector dimension 0/));
  await assert.rejects(async () => movies().upsert([{ id: 'novalues' }]), invalid(/'novalues' has no values/, /dimension 4/));
});

test('upsert: NaN and Infinity in values are rejected with their position', async () => {
  await assert.rejects(async () => movies().upsert([{ id: 'n', values: [0.1, NaN, 0.3, 0.4] }]), invalid(/'n'/, /values\[1\] is NaN/));
  await assert.rejects(async () => movies().upsert([{ id: 'i', values: [0.1, 0.2, 0.3, Infinity] }]), invalid(/'i'/, /values\[3\] is Infinity/));
  await assert.rejects(async () => movies().upsert([{ id: 'm', values: [-Infinity, 0.2, 0.3, 0.4] }]), invalid(/values\[0\] is -Infinity/));
  await assert.rejects(async () => movies().upsert([loose({ id: 's', values: [0.1, '0.2', 0.3, 0.4] })]), invalid(/values\[1\] is string/));
});

test('upsert: batch size 1..1000', async () => {
  await assert.rejects(async () => movies().upsert([]), invalid(/at least one record/));
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `b${i}`, values: V4 }));
  await assert.rejects(async () => movies('batch').upsert(many(1001)), invalid(/1001 records/, /1000/));
  assert.equal((await movies('batch').fetch(['b0'])).records['b0'], undefined, 'a rejected batch writes nothing');
  const res = await movies('batch').upsert(many(1000));
  assert.equal(res.upsertedCount, 1000);
});

test('upsert: a batch over 2 MB is refused whole', async () => {
  await db.createIndex({ name: 'wide', dimension: 768, spec: SPEC });
  const big = Array.from({ length: 700 }, (_, i) => ({ id: `w${i}`, values: Array.from({ length: 768 }, () => 0.5) }));
  await assert.rejects(async () => db.index('wide').upsert(big), invalid(/2 MB/, /split/));
  assert.deepEqual((await db.index('wide').describeIndexStats()).namespaces, {}, 'nothing written');
  assert.equal((await db.index('wide').upsert(big.slice(0, 600))).upsertedCount, 600, '600 × 768 floats fit');
});

test('upsert: one bad record rejects the whole batch', async () => {
  const batch = [
    { id: 'g1', values: V4 },
    { id: 'g2', values: V4 },
    { id: 'bad', values: [1, 2] },
  ];
  await assert.rejects(async () => movies('atomic').upsert(batch), invalid(/'bad'/));
  assert.deepEqual((await movies('atomic').fetch(['g1', 'g2'])).records, {});
});

test('upsert: unknown record fields are rejected by name', async () => {
  await assert.rejects(async () => movies().upsert([loose({ id: 'u', vector: V4 })]), invalid(/'u'/, /unknown field 'vector'/));
  await assert.rejects(async () => movies().upsert([loose({ id: 'u', values: V4, sparse_values: {} })]), invalid(/unknown field 'sparse_values'/));
});

test('upsert: duplicate ids in one batch are allowed and the last one wins', async () => {
  await movies('dup').upsert([
    { id: 'd', values: V4, metadata: { n: 1 } },
    { id: 'd', values: V4, metadata: { n: 2 } },
  ]);
  assert.deepEqual((await movies('dup').fetch(['d'])).records['d']?.metadata, { n: 2 });
});

// ---- metadata ----

test('metadata: null, nested objects, numeric lists, mixed lists and $-keys are rejected naming record and field', async () => {
  const up = (metadata: unknown) => movies().upsert([loose({ id: 'md', values: V4, metadata })]);
  await assert.rejects(async () => up({ title: null }), invalid(/'md'/, /'title' is null/));
  await assert.rejects(async () => up({ doc: { page: 1 } }), invalid(/'md'/, /'doc'/, /nested/));
  await assert.rejects(async () => up({ scores: [85, 92] }), invalid(/'md'/, /'scores'/, /only strings/));
  await assert.rejects(async () => up({ mixed: ['a', 1] }), invalid(/'mixed'/, /number at position 1/));
  await assert.rejects(async () => up({ $chunk: 1 }), invalid(/'md'/, /'\$chunk'/, /must not start with '\$'/));
  await assert.rejects(async () => up({ '': 'x' }), invalid(/keys must not be empty/));
  await assert.rejects(async () => up({ n: NaN }), invalid(/'n' is NaN/));
  await assert.rejects(async () => up(['a']), invalid(/metadata must be an object, got array/));
  await assert.rejects(async () => up('genre=drama'), invalid(/metadata must be an object, got string/));
});

test('metadata: the documented valid example is accepted and round-trips', async () => {
  const metadata = { document_id: 'document1', chunk_number: 1, is_public: true, tags: ['beginner', 'database'], scores: ['85', '92'], ratio: 0.1, empty: [] as string[] };
  await movies('md-ok').upsert([{ id: 'ok', values: V4, metadata }]);
  assert.deepEqual((await movies('md-ok').fetch(['ok'])).records['ok']?.metadata, metadata);
});

test('metadata: over 40 KB is rejected with the size and the limit; just under is fine', async () => {
  await assert.rejects(
    async () => movies().upsert([{ id: 'big', values: V4, metadata: { text: 'x'.repeat(41 * 1024) } }]),
    invalid(/'big'/, /metadata is \d+ bytes/, /40960/),
  );
  // {"text":"…"} adds 11 bytes of JSON around the string.
  await movies('md-big').upsert([{ id: 'fits', values: V4, metadata: { text: 'x'.repeat(40 * 1024 - 11) } }]);
  await assert.rejects(
    async () => movies().upsert([{ id: 'over', values: V4, metadata: { text: 'x'.repeat(40 * 1024 - 10) } }]),
    invalid(/'over'/, /40961 bytes/),
  );
  // Measured in UTF-8 bytes, not characters: 14,000 × 'é' (2 bytes) + 14,000 × '€' (3 bytes) = 70,000 bytes.
  await assert.rejects(
    async () => movies().upsert([{ id: 'utf8', values: V4, metadata: { text: 'é€'.repeat(14000) } }]),
    invalid(/'utf8'/, /bytes/),
  );
});

// ---- sparse values ----

test('sparse values: length mismatch, duplicates, out-of-range or fractional indices, empty and NaN are rejected', async () => {
  const up = (sparseValues: unknown) => lexical().upsert([loose({ id: 's1', sparseValues })]);
  await assert.rejects(async () => up({ indices: [1, 2, 3], values: [0.1, 0.2] }), invalid(/'s1'/, /3 indices and 2 values/));
  await assert.rejects(async () => up({ indices: [7, 2, 7], values: [0.1, 0.2, 0.3] }), invalid(/'s1'/, /index 7 appears more than once/));
  await assert.rejects(async () => up({ indices: [-1], values: [0.5] }), invalid(/indices\[0\] is -1/, /4294967295/));
  await assert.rejects(async () => up({ indices: [1, 4294967296], values: [0.5, 0.5] }), invalid(/indices\[1\] is 4294967296/));
  await assert.rejects(async () => up({ indices: [1.5], values: [0.5] }), invalid(/indices\[0\] is 1\.5/));
  await assert.rejects(async () => up({ indices: [], values: [] }), invalid(/'s1'/, /empty/));
  await assert.rejects(async () => up({ indices: [1, 2], values: [0.5, NaN] }), invalid(/values\[1\] is NaN/));
  await assert.rejects(async () => up({ indices: [1] }), invalid(/sparse values must be an array/));
  const big = Array.from({ length: 2049 }, (_, i) => i);
  await assert.rejects(async () => up({ indices: big, values: big.map(() => 0.5) }), invalid(/2049/, /2048/));
});

test('sparse index: values are not allowed, sparseValues are required; the full uint32 range works', async () => {
  await assert.rejects(
    async () => lexical().upsert([{ id: 'dv', values: V4, sparseValues: { indices: [1], values: [1] } }]),
    invalid(/'dv' has dense values/, /sparse/),
  );
  await assert.rejects(async () => lexical().upsert([{ id: 'nosv' }]), invalid(/'nosv' has no sparseValues/));
  await lexical().upsert([{ id: 'edge', sparseValues: { indices: [4294967295, 0, 17], values: [0.3, 0.1, 0.2] } }]);
  const res = await lexical().query({ sparseVector: { indices: [4294967295], values: [1] }, topK: 5 });
  assert.deepEqual(res.matches.map((m) => m.id), ['edge']);
});

test('sparse values on a cosine index are accepted on upsert (only querying them needs dotproduct)', async () => {
  await movies('hyb').upsert([{ id: 'h', values: V4, sparseValues: { indices: [3, 1], values: [0.5, 0.25] } }]);
  assert.ok((await movies('hyb').fetch(['h'])).records['h']);
});

// ---- query ----

test('query: topK must be an integer from 1 to 10000', async () => {
  await assert.rejects(async () => movies().query({ vector: V4, topK: 0 }), invalid(/topK/, /got 0/));
  await assert.rejects(async () => movies().query({ vector: V4, topK: 10001 }), invalid(/topK/, /10000/, /10001/));
  await assert.rejects(async () => movies().query({ vector: V4, topK: 2.5 }), invalid(/topK/, /integer/, /2\.5/));
  await assert.rejects(async () => movies().query({ vector: V4, topK: -1 }), invalid(/topK/, /-1/));
  await assert.rejects(async () => movies().query(loose({ vector: V4, topK: '5' })), invalid(/topK/, /'5'/));
  await assert.rejects(async () => movies().query(loose({ vector: V4 })), invalid(/topK/));
  assert.equal((await movies().query({ vector: V4, topK: 10000 })).matches.length, 1);
});

test('query: dimension mismatch, NaN and Infinity', async () => {
  await assert.rejects(
    async () => movies().query({ vector: [0.1, 0.2], topK: 1 }),
    invalid(/Vector dimension 2 does not match the dimension of the index 4/, /query/),
  );
  await assert.rejects(async () => movies().query({ vector: [0.1, NaN, 0.3, 0.4], topK: 1 }), invalid(/[Qq]uery vector/, /values\[1\] is NaN/));
  await assert.rejects(async () => movies().query({ vector: [0.1, 0.2, Infinity, 0.4], topK: 1 }), invalid(/values\[2\] is Infinity/));
});

test('query: exactly one of id or vector', async () => {
  await assert.rejects(async () => movies().query(loose({ id: 'a', vector: V4, topK: 1 })), invalid(/only one of id or vector/));
  await assert.rejects(async () => movies().query(loose({ topK: 1 })), invalid(/one of vector, sparseVector or id/));
  await assert.rejects(async () => movies().query(loose({ id: '', topK: 1 })), invalid(/[Qq]uery id/, /must not be empty/));
  assert.deepEqual((await movies().query({ id: 'a', topK: 1 })).matches.map((m) => m.id), ['a']);
});

test('query: sparse-dense needs a dotproduct index; sparse alone needs a sparse index', async () => {
  await assert.rejects(
    async () => movies().query({ vector: V4, sparseVector: { indices: [1], values: [1] }, topK: 1 }),
    invalid(/[Ss]parse-dense queries need an index with metric 'dotproduct'/, /'movies'/, /cosine/),
  );
  await assert.rejects(
    async () => db.index('hybrid').namespace('ns1').query({ sparseVector: { indices: [1], values: [1] }, topK: 1 }),
    invalid(/'hybrid' is dense/, /dense vector/),
  );
  await db.index('hybrid').namespace('ns1').upsert([{ id: 'h', values: V4, sparseValues: { indices: [1], values: [2] } }]);
  const res = await db.index('hybrid').namespace('ns1').query({ vector: V4, sparseVector: { indices: [1], values: [1] }, topK: 1 });
  assert.deepEqual(res.matches.map((m) => m.id), ['h']);
  await assert.rejects(
    async () => db.index('hybrid').namespace('ns1').query({ vector: V4, sparseVector: { indices: [1, 1], values: [1, 1] }, topK: 1 }),
    invalid(/[Qq]uery sparseVector/, /index 1 appears more than once/),
  );
});

test('query: a sparse index refuses a dense vector and needs sparseVector or id', async () => {
  await assert.rejects(async () => lexical().query({ vector: V4, topK: 1 }), invalid(/'lexical' is sparse/, /sparseVector/));
  await assert.rejects(async () => lexical().query(loose({ topK: 1 })), invalid(/one of vector, sparseVector or id/));
});

test('query: include flags must be booleans; unknown fields are rejected', async () => {
  await assert.rejects(async () => movies().query(loose({ vector: V4, topK: 1, includeValues: 'yes' })), invalid(/includeValues must be a boolean/));
  await assert.rejects(async () => movies().query(loose({ vector: V4, topK: 1, includeMetadata: 1 })), invalid(/includeMetadata must be a boolean/));
  await assert.rejects(async () => movies().query(loose({ vector: V4, top_k: 1, topK: 1 })), invalid(/unknown field 'top_k'/));
});

// ---- update ----

test('update: dimension mismatch, nothing to update, bad metadata, dense values on a sparse index', async () => {
  await assert.rejects(
    async () => movies().update({ id: 'a', values: [1, 2, 3] }),
    invalid(/Vector dimension 3 does not match the dimension of the index 4/, /'a'/),
  );
  await assert.rejects(async () => movies().update({ id: 'a', values: [1, 2, NaN, 4] }), invalid(/values\[2\] is NaN/));
  await assert.rejects(async () => movies().update({ id: 'a' }), invalid(/'a'/, /at least one of values, sparseValues or metadata/));
  await assert.rejects(async () => movies().update(loose({ id: 'a', metadata: { genre: null } })), invalid(/'a'/, /'genre' is null/));
  await assert.rejects(async () => movies().update(loose({ id: 'a', metadata: { n: [1] } })), invalid(/'n'/, /only strings/));
  await assert.rejects(async () => movies().update(loose({ id: 'a', setMetadata: { x: '1' } })), invalid(/unknown field 'setMetadata'/));
  await assert.rejects(async () => movies().update({ id: 'x'.repeat(513), metadata: { a: 'b' } }), invalid(/513/));
  await assert.rejects(async () => lexical().update({ id: 'edge', values: V4 }), invalid(/'edge'/, /sparse/));
  await movies().update({ id: 'a', metadata: { year: 2021 } });
  assert.deepEqual((await movies().fetch(['a'])).records['a']?.metadata, { genre: 'drama', year: 2021 });
});

// ---- fetch, delete, list ----

test('fetch and delete: 1..1000 valid ids', async () => {
  const ids = Array.from({ length: 1001 }, (_, i) => `f${i}`);
  await assert.rejects(async () => movies().fetch(ids), invalid(/1001/, /1000/));
  await assert.rejects(async () => movies().fetch([]), invalid(/at least one/));
  await assert.rejects(async () => movies().fetch(['ok', 'x'.repeat(513)]), invalid(/position 1/, /513/));
  await assert.rejects(async () => movies().deleteMany(ids), invalid(/1001/, /1000/));
  const fetched = await movies().fetch(ids.slice(0, 1000));
  assert.deepEqual(fetched.records, {});
});

test('list: limit must be an integer from 1 to 1000', async () => {
  await assert.rejects(async () => movies().listPaginated({ limit: 0 }), invalid(/limit/, /got 0/));
  await assert.rejects(async () => movies().listPaginated({ limit: 1001 }), invalid(/limit/, /1000/, /1001/));
  await assert.rejects(async () => movies().listPaginated({ limit: 1.5 }), invalid(/limit/, /1\.5/));
  const page = await movies().listPaginated({ prefix: 'a', limit: 1000 });
  assert.deepEqual((page.vectors ?? []).map((v) => v.id), ['a']);
});
