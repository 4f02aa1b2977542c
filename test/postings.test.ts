// MetadataPostings (engine/storage/postings.ts) against the reference semantics of compileFilter (engine/core/filter.ts): random
// metadata and random filters must give exactly the predicate's rows, for the built index and for a decoded copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataPostings } from '../engine/storage/postings.js';
import { compileFilter } from '../engine/core/filter.js';
import { LarchError } from '../engine/core/errors.js';
import { crc32c } from '../engine/storage/crc32c.js';
import type { RecordMetadata, RecordMetadataValue } from '../engine/core/types.js';
import { rng } from './helpers.js';

type Md = RecordMetadata | undefined;
type Scalar = string | number | boolean;

/** The reference answer: compileFilter's predicate run on every row, as a bitmap. */
function expected(filter: unknown, meta: readonly Md[]): Uint32Array {
  const pred = compileFilter(filter);
  const bits = new Uint32Array((meta.length + 31) >>> 5);
  meta.forEach((md, row) => {
    if (pred === null || pred(md)) bits[row >>> 5] |= 1 << (row & 31);
  });
  return bits;
}

/** JSON that keeps -0 visible, for failure messages. */
const show = (v: unknown) => JSON.stringify(v, (_k, x) => (Object.is(x, -0) ? '-0 (number)' : x));

function assertSame(index: MetadataPostings, meta: readonly Md[], filter: unknown, context: string): void {
  const want = expected(filter, meta);
  const got = index.match(filter);
  if (got.length === want.length && got.every((w, i) => w === want[i])) return;
  let row = 0;
  while (row < meta.length && ((got[row >>> 5]! >>> (row & 31)) & 1) === ((want[row >>> 5]! >>> (row & 31)) & 1)) row++;
  assert.fail(
    `${context}: filter ${show(filter)} differs from compileFilter at row ${row} (metadata ${show(meta[row])}); ` +
      `bitmap lengths ${got.length}/${want.length}`,
  );
}

// Pools are small so that values repeat (postings with many rows) and operands often hit stored values. The field
// names include Object.prototype names and `__proto__`; 'nowhere' is never stored.
const FIELDS = ['genre', 'year', 'tags', 'flag', 'mixed', 'constructor', '__proto__', 'toString'];
const FILTER_FIELDS = [...FIELDS, 'nowhere'];
const STRINGS = ['a', 'b', 'c', 'drama', '1', '0', 'true', '', 'A', 'constructor'];
const NUMBERS = [-3, -1.5, -0, 0, 0.25, 1, 2, 2019, 1e9, -1e-9, 0.1 + 0.2];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomNumber(r: () => number): number {
  return r() < 0.7 ? pick(r, NUMBERS) : Math.round((r() * 20 - 10) * 4) / 4;
}

function randomScalar(r: () => number): Scalar {
  const k = r();
  if (k < 0.4) return r() < 0.9 ? pick(r, STRINGS) : 'zzz';
  if (k < 0.8) return r() < 0.9 ? randomNumber(r) : 12345.5;
  return r() < 0.5;
}

function randomValue(r: () => number): RecordMetadataValue {
  const k = r();
  if (k < 0.3) return pick(r, STRINGS);
  if (k < 0.6) return randomNumber(r);
  if (k < 0.75) return r() < 0.5;
  return Array.from({ length: Math.floor(r() * 4) }, () => pick(r, STRINGS)); // 0..3 elements, duplicates allowed
}

function randomMeta(r: () => number, n: number): Md[] {
  return Array.from({ length: n }, () => {
    if (r() < 0.08) return undefined;
    // Object.fromEntries makes `__proto__` an own data property, as validateMetadata does.
    return Object.fromEntries(FIELDS.filter(() => r() < 0.55).map((f) => [f, randomValue(r)])) as RecordMetadata;
  });
}

function randomCondition(r: () => number): unknown {
  if (r() < 0.25) return randomScalar(r);
  const ops: [string, unknown][] = [];
  const count = keyCount(r);
  for (let i = 0; i < count; i++) {
    const op = pick(r, ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists']);
    if (op === '$eq' || op === '$ne') ops.push([op, randomScalar(r)]);
    else if (op === '$exists') ops.push([op, r() < 0.5]);
    else if (op === '$in' || op === '$nin') {
      const onlyNonStrings = r() < 0.25; // such an $in never matches a stored list
      const list = Array.from({ length: Math.floor(r() * 5) }, () => {
        let v = randomScalar(r);
        while (onlyNonStrings && typeof v === 'string') v = randomScalar(r);
        return v;
      });
      ops.push([op, list]);
    } else ops.push([op, randomNumber(r)]);
  }
  return Object.fromEntries(ops);
}

/** 1 (60%), 2 (30%) or 3 keys: more keys in an implicit AND would make most filters match nothing. */
function keyCount(r: () => number): number {
  const k = r();
  return k < 0.6 ? 1 : k < 0.9 ? 2 : 3;
}

function randomFilter(r: () => number, depth: number): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  const count = keyCount(r);
  for (let i = 0; i < count; i++) {
    if (depth < 4 && r() < 0.25) {
      const subs = Array.from({ length: 1 + Math.floor(r() * 3) }, () => (r() < 0.05 ? {} : randomFilter(r, depth + 1)));
      entries.push([r() < 0.35 ? '$and' : '$or', subs]);
    } else {
      entries.push([pick(r, FILTER_FIELDS), randomCondition(r)]);
    }
  }
  return Object.fromEntries(entries);
}

const SEEDS = process.env.FIELD_INDEX_SEED ? [Number(process.env.FIELD_INDEX_SEED)] : [1, 2, 3, 20240611];
const FILTERS_PER_SEED = 600;

test('match equals compileFilter row by row on random data and filters (built and decoded)', () => {
  let checked = 0;
  for (const seed of SEEDS) {
    const r = rng(seed);
    const meta = randomMeta(r, 2000 + Math.floor(r() * 1500));
    const built = MetadataPostings.build(meta);
    const bytes = built.encode();
    const decoded = MetadataPostings.decode(bytes);
    assert.equal(decoded.rows, meta.length);
    assert.deepEqual(decoded.encode(), bytes, `seed ${seed}: re-encoding a decoded index changes the bytes`);
    for (let i = 0; i < FILTERS_PER_SEED; i++) {
      const filter = randomFilter(r, 1);
      assertSame(built, meta, filter, `seed ${seed} filter #${i} (built)`);
      assertSame(decoded, meta, filter, `seed ${seed} filter #${i} (decoded)`);
      checked++;
    }
    for (const filter of [undefined, {}, { $and: [{}] }, { $or: [{}, { nowhere: 1 }] }]) {
      assertSame(built, meta, filter, `seed ${seed}`);
      assertSame(decoded, meta, filter, `seed ${seed}`);
    }
  }
  assert.equal(checked, SEEDS.length * FILTERS_PER_SEED);
});

test('hand-picked semantics: -0, lists, prototype names, type strictness, empty $in/$nin', () => {
  const meta: Md[] = [
    { n: -0, s: 'x', l: ['a', 'b'] },
    { n: 0, s: '0', l: [] },
    { n: 2019, s: '2019', l: ['a'] },
    Object.fromEntries([['__proto__', 'p'], ['constructor', 1]]) as RecordMetadata,
    undefined,
    { n: true, s: true },
  ];
  const index = MetadataPostings.build(meta);
  const rowsOf = (filter: unknown) => {
    const bits = index.match(filter);
    return meta.map((_, row) => row).filter((row) => (bits[row >>> 5]! >>> (row & 31)) & 1);
  };
  const cases: [unknown, number[]][] = [
    [{ n: 0 }, [0, 1]],
    [{ n: -0 }, [0, 1]],
    [{ n: { $gte: 0, $lte: -0 } }, [0, 1]],
    [{ n: { $gt: -0 } }, [2]],
    [{ n: 2019.0 }, [2]],
    [{ s: 2019 }, []],
    [{ n: '2019' }, []],
    [{ n: { $gt: 0.5 } }, [2]],
    [{ l: 'a' }, [0, 2]],
    [{ l: { $ne: 'a' } }, [1, 3, 4, 5]],
    [{ l: { $in: [1, true] } }, []],
    [{ l: { $nin: [1, true] } }, [0, 1, 2, 3, 4, 5]],
    [{ l: { $exists: true } }, [0, 1, 2]],
    [{ n: { $in: [] } }, []],
    [{ n: { $nin: [] } }, [0, 1, 2, 3, 4, 5]],
    [Object.fromEntries([['__proto__', 'p']]), [3]],
    [{ constructor: 1 }, [3]],
    [{ constructor: { $exists: false } }, [0, 1, 2, 4, 5]],
    [{ toString: { $exists: true } }, []],
    [{ hasOwnProperty: { $ne: 'x' } }, [0, 1, 2, 3, 4, 5]],
    [{ s: true, n: true }, [5]],
    [{ $or: [{ s: 'x' }, { n: 2019 }], l: 'a' }, [0, 2]],
  ];
  for (const [filter, rows] of cases) {
    assert.deepEqual(rowsOf(filter), rows, show(filter));
    assertSame(index, meta, filter, 'hand-picked');
  }
});

test('bitmap size and tail bits for 0, 1, 31, 32, 33 and 100 rows', () => {
  for (const n of [0, 1, 31, 32, 33, 100]) {
    const meta: Md[] = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? undefined : { f: i }));
    const index = MetadataPostings.build(meta);
    const decoded = MetadataPostings.decode(index.encode());
    for (const filter of [undefined, { f: { $exists: false } }, { f: { $ne: 5 } }, { f: { $nin: [] } }, { f: { $gte: 0 } }, { g: 1 }]) {
      const bits = index.match(filter);
      assert.equal(bits.length, Math.ceil(n / 32), `${n} rows`);
      assertSame(index, meta, filter, `${n} rows`);
      assertSame(decoded, meta, filter, `${n} rows (decoded)`);
    }
  }
});

test('build rejects values outside RecordMetadataValue', () => {
  for (const bad of [null, NaN, Infinity, [1], ['a', 2], {}]) {
    assert.throws(() => MetadataPostings.build([{ f: bad } as unknown as RecordMetadata]), /MetadataPostings\.build: row 0 field 'f'/, show(bad));
  }
  // An own `undefined` is not an error: it reads as a missing field, as in filter.ts.
  const withUndefined = [{ f: undefined } as unknown as RecordMetadata, { f: 1 }];
  assertSame(MetadataPostings.build(withUndefined), withUndefined, { f: { $exists: false } }, 'own undefined');
});

/** A fixed small index whose byte layout the structural tests below rely on. */
function smallEncoding(): Uint8Array {
  const bytes = MetadataPostings.build([{ f: 'a' }, { f: 1 }]).encode();
  // version magic rows fieldCount | 'f' (len+1) | present [0,1] | true [] | false [] | 1 string: 'a' -> [0]
  // | 1 number: 1.0 -> [1] | crc  — the offsets used below follow from this layout.
  assert.equal(bytes.length, 82);
  return bytes;
}

function withCrc(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32c(out.subarray(0, out.length - 4)), true);
  return out;
}

test('decode rejects truncated, garbled and structurally broken bytes with an Error', () => {
  const good = smallEncoding();
  assert.equal(MetadataPostings.decode(good).rows, 2);
  const rejects = (bytes: Uint8Array, why: string) =>
    assert.throws(() => MetadataPostings.decode(bytes), (e: unknown) => e instanceof Error && /^MetadataPostings\.decode: /.test(e.message), why);

  for (let n = 0; n < good.length; n++) rejects(good.subarray(0, n), `truncated to ${n} bytes`);
  for (let i = 0; i < good.length; i++) {
    const bad = good.slice();
    bad[i] ^= 0x5a;
    rejects(bad, `byte ${i} flipped`);
  }
  rejects(new Uint8Array([...good, 0]), 'one byte appended');

  // Valid checksum over invalid structure: the structural checks must catch these on their own.
  const patched = (edit: (v: DataView, b: Uint8Array) => void) => {
    const b = good.slice();
    edit(new DataView(b.buffer), b);
    return withCrc(b);
  };
  rejects(patched((v) => v.setUint32(0, 2, true)), 'version 2');
  rejects(patched((v) => v.setUint32(4, 0, true)), 'bad magic');
  rejects(patched((v) => v.setUint32(12, 2, true)), 'field count too large');
  rejects(patched((v) => v.setUint32(12, 0, true)), 'field count too small (trailing bytes)');
  rejects(patched((_v, b) => (b[20] = 0xff)), 'invalid UTF-8 field name');
  rejects(patched((v) => v.setUint32(25, 1, true)), 'present rows not ascending');
  rejects(patched((v) => v.setUint32(29, 2, true)), 'present row beyond rows');
  rejects(patched((v) => v.setUint32(8, 1, true)), 'rows too small for the postings');
  rejects(patched((v) => v.setUint32(74, 7, true)), 'number posting beyond rows');
  rejects(patched((v) => v.setFloat64(62, NaN, true)), 'NaN number');
  rejects(patched((v) => v.setFloat64(62, -0, true)), '-0 number');
  rejects(patched((v) => v.setUint32(50, 3, true)), 'posting count too large');
  // Sanity: patching with the same value keeps it valid, so the offsets above really are the fields named.
  assert.equal(MetadataPostings.decode(patched((v) => v.setUint32(74, 1, true))).rows, 2);
  assert.equal(MetadataPostings.decode(patched((v) => v.setFloat64(62, 1, true))).rows, 2);
});

test('invalid filters throw the same LarchError as compileFilter', () => {
  const index = MetadataPostings.build(randomMeta(rng(7), 50));
  const invalid: unknown[] = [
    null,
    [],
    'genre',
    { $eq: 1 },
    { $foo: 1 },
    { genre: null },
    { genre: ['a'] },
    { genre: {} },
    { genre: { $eq: ['a'] } },
    { genre: { $ne: null } },
    { year: { $gt: '1' } },
    { year: { $lt: Infinity } },
    { year: NaN },
    { genre: { $in: 'a' } },
    { genre: { $nin: [null] } },
    { genre: { $in: [1, Infinity] } },
    { genre: { $exists: 1 } },
    { genre: { $and: [] } },
    { genre: { bogus: 1 } },
    { $and: [] },
    { $or: {} },
    { $and: [1] },
    { $or: [{ genre: { $regex: 'a' } }] },
    { genre: new Date(0) },
    JSON.parse('{"$and":['.repeat(40) + '{"a":1}' + ']}'.repeat(40)), // deeper than MAX_FILTER_DEPTH
  ];
  for (const filter of invalid) {
    let want: unknown;
    try {
      compileFilter(filter);
    } catch (e) {
      want = e;
    }
    assert.ok(want instanceof LarchError, `compileFilter accepted ${show(filter)}`);
    assert.throws(
      () => index.match(filter),
      (e: unknown) => e instanceof LarchError && e.code === want.code && e.message === want.message,
      show(filter),
    );
  }
});
