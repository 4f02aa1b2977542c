// Metadata filter language, through the public API: query, deleteMany(filter) and describeIndexStats({ filter }).
// Expected id sets come from a small independent reference evaluator (itself checked against hand-computed sets).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LarchDB, LarchError } from 'larchdb';

type Md = Record<string, string | number | boolean | string[]>;

const DATA: [string, Md | undefined][] = [
  ['r01', { genre: 'drama', year: 2020, rating: 8.5, tags: ['a', 'b'], public: true }],
  ['r02', { genre: 'comedy', year: 2019, rating: 7, tags: ['b'], public: false }],
  ['r03', { genre: 'documentary', year: 2021, rating: 9.25, public: true }],
  ['r04', { genre: 'drama', year: '2019', rating: 6 }],
  ['r05', { year: 2018, rating: 5.5 }],
  ['r06', { genre: ['comedy', 'documentary'], year: 2022 }],
  ['r07', { genre: ['drama'], year: 2017, public: true }],
  ['r08', { genre: [], year: 2016 }],
  ['r09', { genre: 'action', year: 2019.0, rating: 7.0 }],
  ['r10', { genre: 'action', year: 2019.5, rating: 7.5, tags: ['c'] }],
  ['r11', { genre: 'comedy', public: 'true', year: 2023 }],
  ['r12', { genre: 'thriller', rating: -1, year: 2015 }],
  ['r13', undefined],
  ['r14', { genre: 'Drama', year: 2020 }],
  ['r15', { genre: 'horror', year: 0, rating: 0.1 }],
  ['r16', { genre: 'comedy', year: 2021, public: false, count: 1 }],
  ['r17', { genre: '2019', year: 2014 }],
  ['r18', { genre: 'drama', year: true, rating: 8 }],
  ['r19', { tags: ['x', 'y', 'z'], year: 2024, genre: 'sci-fi' }],
  ['r20', { genre: 'documentary', year: 1e10, rating: 10, tags: ['a'] }],
];
const ALL = DATA.map(([id]) => id);
const QUERY = [1, 1, 1, 1];

function vec(i: number): number[] {
  return [1, (i % 5) + 1, ((i * 7) % 11) + 1, (i % 3) + 1];
}
function records() {
  return DATA.map(([id, metadata], i) => (metadata === undefined ? { id, values: vec(i) } : { id, values: vec(i), metadata }));
}

// ---- independent reference evaluator (straight from the spec, no shared code with the engine) ----
type F = Record<string, unknown>;
function refMatch(f: F, md: Md | undefined): boolean {
  return Object.entries(f).every(([key, cond]) => {
    if (key === '$and') return (cond as F[]).every((sub) => refMatch(sub, md));
    if (key === '$or') return (cond as F[]).some((sub) => refMatch(sub, md));
    const stored = md !== undefined && Object.prototype.hasOwnProperty.call(md, key) ? md[key] : undefined;
    const ops = typeof cond === 'object' && cond !== null ? (cond as F) : { $eq: cond };
    return Object.entries(ops).every(([op, arg]) => refOp(op, arg, stored));
  });
}
function refOp(op: string, arg: unknown, stored: Md[string] | undefined): boolean {
  const vals: unknown[] = stored === undefined ? [] : Array.isArray(stored) ? stored : [stored];
  const num = typeof stored === 'number' ? stored : undefined;
  switch (op) {
    case '$eq': return vals.some((v) => v === arg);
    case '$ne': return !vals.some((v) => v === arg);
    case '$in': return vals.some((v) => (arg as unknown[]).some((a) => a === v));
    case '$nin': return !vals.some((v) => (arg as unknown[]).some((a) => a === v));
    case '$gt': return num !== undefined && num > (arg as number);
    case '$gte': return num !== undefined && num >= (arg as number);
    case '$lt': return num !== undefined && num < (arg as number);
    case '$lte': return num !== undefined && num <= (arg as number);
    case '$exists': return (stored !== undefined) === arg;
    default: throw new Error(`reference evaluator: unexpected ${op}`);
  }
}
function expected(filter: F): string[] {
  return DATA.filter(([, md]) => refMatch(filter, md)).map(([id]) => id).sort();
}
function except(...ids: string[]): string[] {
  return ALL.filter((id) => !ids.includes(id));
}

interface Case { name: string; filter: F; hand?: string[] }
const CASES: Case[] = [
  { name: 'implicit $eq string', filter: { genre: 'drama' }, hand: ['r01', 'r04', 'r07', 'r18'] },
  { name: '$eq string (case-sensitive)', filter: { genre: { $eq: 'Drama' } }, hand: ['r14'] },
  { name: '$eq on list field', filter: { genre: { $eq: 'documentary' } }, hand: ['r03', 'r06', 'r20'] },
  { name: '$ne string incl. missing and empty list', filter: { genre: { $ne: 'drama' } }, hand: except('r01', 'r04', 'r07', 'r18') },
  { name: 'implicit $eq number (int == float)', filter: { year: 2019 }, hand: ['r02', 'r09'] },
  { name: '$eq float written as int-valued float', filter: { rating: { $eq: 7.0 } }, hand: ['r02', 'r09'] },
  { name: '$eq fractional float (float64, not float32)', filter: { rating: 0.1 }, hand: ['r15'] },
  { name: '$eq number does not match string', filter: { year: { $eq: '2019' } }, hand: ['r04'] },
  { name: 'string "2019" matches only the string', filter: { genre: '2019' }, hand: ['r17'] },
  { name: '$ne number: strings, booleans and missing match', filter: { year: { $ne: 2019 } }, hand: except('r02', 'r09') },
  { name: '$gt skips strings and booleans', filter: { year: { $gt: 2019 } }, hand: ['r01', 'r03', 'r06', 'r10', 'r11', 'r14', 'r16', 'r19', 'r20'] },
  { name: '$gte', filter: { year: { $gte: 2019 } } },
  { name: '$lt', filter: { year: { $lt: 2017 } }, hand: ['r08', 'r12', 'r15', 'r17'] },
  { name: '$lte', filter: { year: { $lte: 2017 } } },
  { name: 'range (two operators = AND)', filter: { year: { $gt: 2018, $lt: 2020 } }, hand: ['r02', 'r09', 'r10'] },
  { name: 'negative and fractional bounds', filter: { rating: { $gte: -1, $lt: 7.5 } }, hand: ['r02', 'r04', 'r05', 'r09', 'r12', 'r15'] },
  { name: 'large number', filter: { year: { $gte: 1e10 } }, hand: ['r20'] },
  { name: '$gt on a string field matches nothing', filter: { genre: { $gt: 0 } }, hand: [] },
  { name: '$gt on a list field matches nothing', filter: { tags: { $gte: 0 } }, hand: [] },
  { name: '$in strings (scalar and list fields)', filter: { genre: { $in: ['comedy', 'action'] } }, hand: ['r02', 'r06', 'r09', 'r10', 'r11', 'r16'] },
  { name: '$in mixed types never coerces', filter: { year: { $in: [2019, '2021', true] } }, hand: ['r02', 'r09', 'r18'] },
  { name: '$in empty matches nothing', filter: { genre: { $in: [] } }, hand: [] },
  { name: '$nin empty matches everything', filter: { genre: { $nin: [] } }, hand: ALL },
  { name: '$nin (missing, empty list match)', filter: { genre: { $nin: ['drama', 'comedy'] } }, hand: except('r01', 'r02', 'r04', 'r06', 'r07', 'r11', 'r16', 'r18') },
  { name: '$nin numbers', filter: { year: { $nin: [2019, 2020] } } },
  { name: 'boolean true', filter: { public: true }, hand: ['r01', 'r03', 'r07'] },
  { name: 'boolean false', filter: { public: { $eq: false } }, hand: ['r02', 'r16'] },
  { name: '$ne boolean', filter: { public: { $ne: true } }, hand: except('r01', 'r03', 'r07') },
  { name: '$in booleans', filter: { public: { $in: [true, false] } }, hand: ['r01', 'r02', 'r03', 'r07', 'r16'] },
  { name: '$exists true', filter: { tags: { $exists: true } }, hand: ['r01', 'r02', 'r10', 'r19', 'r20'] },
  { name: '$exists false (incl. no metadata)', filter: { tags: { $exists: false } }, hand: except('r01', 'r02', 'r10', 'r19', 'r20') },
  { name: '$exists false (an empty list counts as present)', filter: { genre: { $exists: false } }, hand: ['r05', 'r13'] },
  { name: 'list contains ($eq)', filter: { tags: 'b' }, hand: ['r01', 'r02'] },
  { name: 'list does not contain ($ne)', filter: { tags: { $ne: 'b' } }, hand: except('r01', 'r02') },
  { name: 'list any-of ($in)', filter: { tags: { $in: ['a', 'z'] } }, hand: ['r01', 'r19', 'r20'] },
  { name: 'list none-of ($nin)', filter: { tags: { $nin: ['a', 'z'] } }, hand: except('r01', 'r19', 'r20') },
  { name: 'number against a string list', filter: { tags: { $eq: 1 } }, hand: [] },
  { name: 'missing field: $ne matches', filter: { count: { $ne: 1 } }, hand: except('r16') },
  { name: 'missing field: $nin matches', filter: { count: { $nin: [1, 2] } }, hand: except('r16') },
  { name: 'missing field: $eq / $in / $lt do not', filter: { $or: [{ nosuch: 1 }, { nosuch: { $in: [1] } }, { nosuch: { $lt: 5 } }] }, hand: [] },
  { name: 'implicit AND of fields', filter: { genre: 'drama', year: 2020 }, hand: ['r01'] },
  { name: 'implicit AND with $or at top level', filter: { genre: 'drama', $or: [{ year: 2020 }, { year: '2019' }] }, hand: ['r01', 'r04'] },
  { name: '$and of list values (doc example, match)', filter: { $and: [{ genre: 'comedy' }, { genre: 'documentary' }] }, hand: ['r06'] },
  { name: '$and of list values (doc example, no match)', filter: { $and: [{ genre: 'comedy' }, { genre: 'drama' }] }, hand: [] },
  { name: '$or', filter: { $or: [{ genre: 'drama' }, { year: { $gte: 2021 } }] } },
  { name: 'nested $or inside $and inside $or', filter: { $or: [{ $and: [{ public: true }, { $or: [{ year: 2020 }, { year: 2017 }] }] }, { rating: { $lt: 0 } }] }, hand: ['r01', 'r07', 'r12'] },
  { name: 'several operators on one field + other field', filter: { genre: { $exists: true, $ne: 'drama', $nin: ['comedy'] }, year: { $lt: 2022 } } },
  { name: '$and with a single clause', filter: { $and: [{ year: { $gte: 2023 } }] }, hand: ['r11', 'r19', 'r20'] },
];

let db: LarchDB;
before(async () => {
  db = await LarchDB.open({ path: ':memory:' });
  await db.createIndex({ name: 'filters', dimension: 4, metric: 'cosine', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
  const res = await db.index('filters').namespace('ns1').upsert(records());
  assert.equal(res.upsertedCount, DATA.length);
});
after(async () => {
  await db?.close();
});

async function queryIds(filter: F | undefined, ns = 'ns1'): Promise<string[]> {
  const res = await db.index('filters').namespace(ns).query({ vector: QUERY, topK: 100, filter, includeMetadata: true });
  return res.matches.map((m) => m.id).sort();
}

test('the reference evaluator agrees with the hand-computed sets', () => {
  for (const c of CASES) if (c.hand) assert.deepEqual(expected(c.filter), [...c.hand].sort(), c.name);
});

test('no filter and {} return every record', async () => {
  assert.deepEqual(await queryIds(undefined), [...ALL].sort());
  assert.deepEqual(await queryIds({}), [...ALL].sort());
});

for (const c of CASES) {
  test(`query filter: ${c.name}`, async () => {
    assert.deepEqual(await queryIds(c.filter), expected(c.filter), JSON.stringify(c.filter));
  });
}

test('filtered query returns the stored metadata of the matches', async () => {
  const res = await db.index('filters').namespace('ns1').query({ vector: QUERY, topK: 100, filter: { tags: 'a' }, includeMetadata: true });
  const byId = Object.fromEntries(res.matches.map((m) => [m.id, m.metadata]));
  assert.deepEqual(byId, { r01: DATA[0]![1], r20: DATA[19]![1] });
});

test('filter applies before topK', async () => {
  const res = await db.index('filters').namespace('ns1').query({ vector: QUERY, topK: 2, filter: { genre: 'action' } });
  assert.deepEqual(res.matches.map((m) => m.id).sort(), ['r09', 'r10']);
});

test('filter works with query by id', async () => {
  const res = await db.index('filters').namespace('ns1').query({ id: 'r01', topK: 100, filter: { public: true } });
  assert.deepEqual(res.matches.map((m) => m.id).sort(), ['r01', 'r03', 'r07']);
});

test('deep nesting up to 32 levels is accepted', async () => {
  let f: F = { genre: 'horror' };
  for (let i = 0; i < 31; i++) f = { $and: [f] };
  assert.deepEqual(await queryIds(f), ['r15']);
});

test('describeIndexStats({ filter }) counts matching records', async () => {
  for (const c of CASES.slice(0, 30)) {
    const stats = await db.index('filters').describeIndexStats({ filter: c.filter });
    assert.equal(stats.namespaces?.['ns1']?.recordCount ?? 0, expected(c.filter).length, c.name);
  }
});

test('deleteMany(filter) deletes exactly the matching records', async () => {
  const picks = CASES.filter((c) =>
    ['$ne string incl. missing and empty list', 'implicit $eq number (int == float)', '$nin (missing, empty list match)', '$exists false (incl. no metadata)',
      'list any-of ($in)', 'nested $or inside $and inside $or', 'implicit AND of fields', '$gt skips strings and booleans'].includes(c.name));
  assert.equal(picks.length, 8);
  for (const [i, c] of picks.entries()) {
    const ns = db.index('filters').namespace(`del${i}`);
    await ns.upsert(records());
    await ns.deleteMany(c.filter);
    const remaining = await queryIds(undefined, `del${i}`);
    const gone = new Set(expected(c.filter));
    assert.deepEqual(remaining, ALL.filter((id) => !gone.has(id)).sort(), c.name);
    const fetched = await ns.fetch(ALL);
    assert.deepEqual(Object.keys(fetched.records).sort(), remaining, c.name);
  }
});

test('filters see updated metadata', async () => {
  const ns = db.index('filters').namespace('upd');
  await ns.upsert(records());
  await ns.update({ id: 'r05', metadata: { genre: 'drama' } });
  assert.deepEqual(await queryIds({ genre: 'drama' }, 'upd'), ['r01', 'r04', 'r05', 'r07', 'r18']);
  assert.deepEqual(await queryIds({ genre: 'drama', year: 2018 }, 'upd'), ['r05']);
});

// ---- invalid filters ----

const INVALID: [string, unknown, RegExp][] = [
  ['unknown field operator', { genre: { $regex: 'dr.*' } }, /unknown operator '\$regex' on field 'genre'/],
  ['unknown top-level operator', { $not: { genre: 'drama' } }, /'\$not'/],
  ['field operator at top level', { $eq: 'drama' }, /'\$eq'.*top level/],
  ['array as bare value', { genre: ['comedy', 'documentary'] }, /'genre'.*\$in/],
  ['array as $eq operand', { genre: { $eq: ['comedy', 'documentary'] } }, /\$eq on field 'genre'.*\$in/],
  ['array as $ne operand', { genre: { $ne: ['comedy'] } }, /\$ne on field 'genre'.*\$nin/],
  ['null bare value', { genre: null }, /'genre'.*null/],
  ['null $eq operand', { genre: { $eq: null } }, /\$eq on field 'genre'.*null/],
  ['object $eq operand', { genre: { $eq: { a: 1 } } }, /\$eq on field 'genre'.*object/],
  ['$gt with a string', { year: { $gt: '2019' } }, /\$gt on field 'year' needs a number, got string/],
  ['$gte with a boolean', { year: { $gte: true } }, /\$gte on field 'year' needs a number, got boolean/],
  ['$lt with an array', { year: { $lt: [1] } }, /\$lt on field 'year' needs a number, got array/],
  ['$lte with null', { year: { $lte: null } }, /\$lte on field 'year' needs a number, got null/],
  ['$in with a non-array', { genre: { $in: 'drama' } }, /\$in on field 'genre' needs an array, got string/],
  ['$nin with a non-array', { genre: { $nin: 5 } }, /\$nin on field 'genre' needs an array, got number/],
  ['$in with null element', { genre: { $in: ['drama', null] } }, /\$in on field 'genre'.*null at position 1/],
  ['$in with nested array', { genre: { $in: [['drama']] } }, /\$in on field 'genre'.*array at position 0/],
  ['$nin with object element', { genre: { $nin: [{}] } }, /\$nin on field 'genre'.*object at position 0/],
  ['$exists with a string', { genre: { $exists: 'yes' } }, /\$exists on field 'genre' needs a boolean, got string/],
  ['empty $and', { $and: [] }, /\$and.*empty/],
  ['empty $or', { $or: [] }, /\$or.*empty/],
  ['$or with an object', { $or: { genre: 'drama' } }, /\$or needs a non-empty array.*got object/],
  ['$and with a non-object element', { $and: [{ genre: 'drama' }, 'x'] }, /\$and\[1\].*string/],
  ['$and with a null element', { $and: [null] }, /\$and\[0\].*null/],
  ['error inside nested clause', { $or: [{ genre: 'drama' }, { year: { $gt: 'x' } }] }, /\$gt on field 'year'/],
  ['field with no operators', { genre: {} }, /'genre'.*at least one operator/],
  ['nested field object', { genre: { main: 'drama' } }, /unknown operator 'main' on field 'genre'/],
  ['$and under a field', { genre: { $and: [{ $eq: 'drama' }] } }, /'\$and'.*'genre'/],
  ['filter is an array', [{ genre: 'drama' }], /filter must be an object, got array/],
  ['filter is a string', 'genre = drama', /filter must be an object, got string/],
];

for (const [name, filter, re] of INVALID) {
  test(`invalid filter rejected by query: ${name}`, async () => {
    await assert.rejects(
      async () => db.index('filters').namespace('ns1').query({ vector: QUERY, topK: 10, filter: filter as F }),
      isInvalid(re),
    );
  });
}

test('filter nesting deeper than 32 levels is rejected', async () => {
  let f: F = { genre: 'horror' };
  for (let i = 0; i < 32; i++) f = { $and: [f] };
  await assert.rejects(async () => queryIds(f), isInvalid(/deeper than 32/));
});

test('invalid filters are rejected by deleteMany and describeIndexStats, and delete nothing', async () => {
  const objects = INVALID.filter(([, f]) => typeof f === 'object' && f !== null && !Array.isArray(f));
  for (const [name, filter, re] of objects) {
    await assert.rejects(async () => db.index('filters').namespace('ns1').deleteMany(filter as F), isInvalid(re), name);
    await assert.rejects(async () => db.index('filters').describeIndexStats({ filter: filter as F }), isInvalid(re), name);
  }
  assert.deepEqual(await queryIds(undefined), [...ALL].sort());
});

function isInvalid(re: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof LarchError, `expected a LarchError, got ${String(e)}`);
    assert.equal(e.code, 'INVALID_ARGUMENT', e.message);
    assert.equal(e.status, 400);
    assert.match(e.message, /Invalid filter/);
    assert.match(e.message, re);
    return true;
  };
}
