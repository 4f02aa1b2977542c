/**
 * A slab's metadata postings: per field, which rows hold which value, over an immutable set of rows. They answer a
 * metadata filter with a bitmap of the matching rows instead of running the compiled predicate on every row, and
 * are stored as a section of the slab file (the binary form below).
 *
 * Per field they keep postings (sorted, distinct row numbers in a Uint32Array):
 * - strings: a Map from string to postings; a stored string list posts its row under each distinct element, which
 *   is exactly how filter.ts lets a list match a string `$eq`/`$in`;
 * - booleans: one posting list for true and one for false;
 * - numbers: the distinct values in a sorted Float64Array with parallel postings, so a range is two binary searches
 *   and a union;
 * - `present`: a bitmap of rows that have the field at all (including empty lists, which post nothing else). It
 *   answers `$exists`; `$ne`/`$nin`/`$exists: false` are plain complements over all rows, because filter.ts lets a
 *   missing field match them.
 * Semantics are filter.ts's, evaluated set-wise: several keys or several operators on a field are an AND, `$or` an OR.
 * Numbers are float64 with -0 stored as 0 (filter.ts compares with === and SameValueZero, where -0 equals 0); types
 * never coerce because each type has its own postings. Field names and string values only ever go through Map, so
 * names like `constructor` or `__proto__` are ordinary keys.
 *
 * Binary form (all integers u32 little-endian), see encode():
 *   version(=1) magic("LFIX") rows fieldCount field* crc32c
 *   field    = str(name) postings(present) postings(true) postings(false)
 *              stringCount (str(value) postings)*  numberCount f64(value)*numberCount postings*numberCount
 *   str      = byteLength utf8-bytes
 *   postings = count row*count
 * The trailing CRC-32C covers every byte before it; decode also checks the structure (sorted rows below `rows`,
 * postings inside `present`, sorted finite numbers, distinct keys), so garbled bytes never yield wrong postings.
 */
import { compileFilter } from '../core/filter.js';
import { crc32c } from './crc32c.js';
import type { RecordMetadata } from '../core/types.js';

/** Sorted, distinct row numbers. */
type Postings = Uint32Array;

interface Field {
  /** Bitmap of rows that have this field. */
  present: Uint32Array;
  trueRows: Postings;
  falseRows: Postings;
  strings: Map<string, Postings>;
  /** Distinct stored numbers, ascending, -0 normalised to 0. */
  numbers: Float64Array;
  /** numberRows[i] holds the rows whose value is numbers[i]. */
  numberRows: Postings[];
}

const VERSION = 1;
const MAGIC = 0x5849464c; // "LFIX" read as a little-endian u32
const NO_ROWS: Postings = new Uint32Array(0);

export class MetadataPostings {
  readonly rows: number;
  private readonly words: number;
  private readonly fields: Map<string, Field>;
  /** Stands in for a field no row has: nothing is present, nothing is posted. */
  private readonly missing: Field;

  private constructor(rows: number, fields: Map<string, Field>) {
    this.rows = rows;
    this.words = (rows + 31) >>> 5;
    this.fields = fields;
    this.missing = {
      present: new Uint32Array(this.words),
      trueRows: NO_ROWS,
      falseRows: NO_ROWS,
      strings: new Map(),
      numbers: new Float64Array(0),
      numberRows: [],
    };
  }

  /**
   * Builds the index over rows 0..meta.length-1.
   * @throws Error when a value is outside RecordMetadataValue (metadata is validated before it gets here).
   */
  static build(meta: readonly (RecordMetadata | undefined)[], indexed?: readonly string[]): MetadataPostings {
    const only = indexed ? new Set(indexed) : null;
    interface Draft {
      present: number[];
      trueRows: number[];
      falseRows: number[];
      strings: Map<string, number[]>;
      numbers: Map<number, number[]>;
    }
    const drafts = new Map<string, Draft>();
    // Rows arrive in ascending order, so pushing keeps every list sorted; the last-element check drops a row that
    // a list like ['a', 'a'] would post twice.
    const post = <K>(map: Map<K, number[]>, key: K, row: number) => {
      const list = map.get(key);
      if (list === undefined) map.set(key, [row]);
      else if (list[list.length - 1] !== row) list.push(row);
    };
    for (let row = 0; row < meta.length; row++) {
      const md = meta[row];
      if (md === undefined) continue;
      for (const name of Object.keys(md)) {
        const value: unknown = md[name];
        if (value === undefined) continue; // filter.ts cannot tell an own `undefined` from a missing field
        if (only && !only.has(name)) continue; // not filterable under the namespace's schema
        let d = drafts.get(name);
        if (d === undefined) {
          d = { present: [], trueRows: [], falseRows: [], strings: new Map(), numbers: new Map() };
          drafts.set(name, d);
        }
        d.present.push(row);
        if (typeof value === 'string') post(d.strings, value, row);
        else if (typeof value === 'number' && Number.isFinite(value)) post(d.numbers, value + 0, row); // -0 + 0 is 0
        else if (typeof value === 'boolean') (value ? d.trueRows : d.falseRows).push(row);
        else if (Array.isArray(value) && value.every((el) => typeof el === 'string')) {
          for (const el of value as string[]) post(d.strings, el, row);
        } else {
          throw new Error(`MetadataPostings.build: row ${row} field '${name}' holds an unsupported value (${describe(value)})`);
        }
      }
    }
    const index = new MetadataPostings(meta.length, new Map());
    for (const [name, d] of drafts) {
      const numbers = Float64Array.from(d.numbers.keys()).sort();
      index.fields.set(name, {
        present: index.bitmapOf(d.present),
        trueRows: Uint32Array.from(d.trueRows),
        falseRows: Uint32Array.from(d.falseRows),
        strings: new Map([...d.strings].map(([s, rows]) => [s, Uint32Array.from(rows)])),
        numbers,
        numberRows: Array.from(numbers, (v) => Uint32Array.from(d.numbers.get(v)!)),
      });
    }
    return index;
  }

  /** The fields this index holds. */
  fieldNames(): string[] {
    return [...this.fields.keys()];
  }

  /** The binary form described at the top of this file. */
  encode(): Uint8Array {
    const w = new Writer();
    w.u32(VERSION);
    w.u32(MAGIC);
    w.u32(this.rows);
    w.u32(this.fields.size);
    for (const [name, f] of this.fields) {
      w.str(name);
      w.postings(this.rowsOf(f.present));
      w.postings(f.trueRows);
      w.postings(f.falseRows);
      w.u32(f.strings.size);
      for (const [s, rows] of f.strings) {
        w.str(s);
        w.postings(rows);
      }
      w.u32(f.numbers.length);
      for (const v of f.numbers) w.f64(v);
      for (const rows of f.numberRows) w.postings(rows);
    }
    w.u32(crc32c(w.bytes()));
    return w.bytes();
  }

  /** Inverse of encode(). @throws Error naming what is wrong with `bytes`. */
  static decode(bytes: Uint8Array): MetadataPostings {
    if (bytes.length < 20) throw decodeError(`${bytes.length} bytes is too short for metadata postings`);
    const r = new Reader(bytes.subarray(0, bytes.length - 4));
    const version = r.u32();
    if (version !== VERSION) throw decodeError(`unsupported version ${version} (expected ${VERSION})`);
    if (r.u32() !== MAGIC) throw decodeError('bad magic number; not metadata postings');
    const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
    if (crc32c(bytes.subarray(0, bytes.length - 4)) !== stored) throw decodeError('checksum mismatch; the bytes are damaged');

    const index = new MetadataPostings(r.u32(), new Map());
    const fieldCount = r.u32();
    for (let i = 0; i < fieldCount; i++) {
      const name = r.str();
      if (index.fields.has(name)) throw decodeError(`field '${name}' appears twice`);
      const present = index.bitmapOf(r.postings(index.rows, null));
      const trueRows = r.postings(index.rows, present);
      const falseRows = r.postings(index.rows, present);
      const strings = new Map<string, Postings>();
      const stringCount = r.u32();
      for (let j = 0; j < stringCount; j++) {
        const s = r.str();
        if (strings.has(s)) throw decodeError(`field '${name}' lists the string ${JSON.stringify(s)} twice`);
        strings.set(s, r.postings(index.rows, present));
      }
      const numberCount = r.u32();
      r.need(numberCount * 8);
      const numbers = new Float64Array(numberCount);
      for (let j = 0; j < numberCount; j++) {
        const v = r.f64();
        if (!Number.isFinite(v) || Object.is(v, -0) || (j > 0 && !(v > numbers[j - 1]!))) {
          throw decodeError(`field '${name}' has numbers that are not finite, distinct and ascending`);
        }
        numbers[j] = v;
      }
      const numberRows = Array.from(numbers, () => r.postings(index.rows, present));
      index.fields.set(name, { present, trueRows, falseRows, strings, numbers, numberRows });
    }
    if (!r.done()) throw decodeError(`${r.remaining()} unexpected bytes after the last field`);
    return index;
  }

  /**
   * Rows whose metadata match `filter`, as a bitmap: bit (row & 31) of word (row >>> 5). Exactly the rows for which
   * compileFilter(filter)(meta[row]) is true; `undefined` and `{}` match all rows.
   * @throws LarchError INVALID_ARGUMENT, the same as compileFilter, for an invalid filter.
   */
  match(filter: unknown): Uint32Array {
    // compileFilter is the one validator, so the errors are its errors; below, the filter is known to be well formed.
    if (compileFilter(filter) === null) return this.all();
    return this.object(filter as Record<string, unknown>);
  }

  /** An implicit AND over the keys of a filter object (an empty object matches everything). */
  private object(obj: Record<string, unknown>): Uint32Array {
    let acc: Uint32Array | null = null;
    for (const key of Object.keys(obj)) {
      const value = obj[key];
      let bits: Uint32Array;
      if (key === '$and' || key === '$or') {
        const subs = (value as Record<string, unknown>[]).map((sub) => this.object(sub));
        bits = subs.reduce(key === '$and' ? and : or);
      } else {
        bits = this.field(this.fields.get(key) ?? this.missing, value);
      }
      acc = acc === null ? bits : and(acc, bits);
    }
    return acc ?? this.all();
  }

  /** One field's condition: a bare scalar (implicit $eq) or an object of operators, all of which must hold. */
  private field(f: Field, cond: unknown): Uint32Array {
    if (typeof cond !== 'object') return this.eq(f, cond as Scalar);
    const ops = cond as Record<string, unknown>;
    // Range operators narrow one index interval [lo, hi) of f.numbers, so $gt/$lt together cost one union.
    let lo = 0;
    let hi = f.numbers.length;
    let ranged = false;
    let acc: Uint32Array | null = null;
    for (const op of Object.keys(ops)) {
      const v = ops[op];
      let bits: Uint32Array | null = null;
      switch (op) {
        case '$eq': bits = this.eq(f, v as Scalar); break;
        case '$ne': bits = this.not(this.eq(f, v as Scalar)); break;
        case '$in': bits = this.in(f, v as Scalar[]); break;
        case '$nin': bits = this.not(this.in(f, v as Scalar[])); break;
        case '$exists': bits = v ? f.present.slice() : this.not(f.present.slice()); break;
        case '$gt': lo = Math.max(lo, upperBound(f.numbers, v as number)); ranged = true; break;
        case '$gte': lo = Math.max(lo, lowerBound(f.numbers, v as number)); ranged = true; break;
        case '$lt': hi = Math.min(hi, lowerBound(f.numbers, v as number)); ranged = true; break;
        case '$lte': hi = Math.min(hi, upperBound(f.numbers, v as number)); ranged = true; break;
      }
      if (bits !== null) acc = acc === null ? bits : and(acc, bits);
    }
    if (ranged) {
      const bits = new Uint32Array(this.words);
      for (let i = lo; i < hi; i++) setRows(bits, f.numberRows[i]!);
      acc = acc === null ? bits : and(acc, bits);
    }
    return acc!;
  }

  private eq(f: Field, v: Scalar): Uint32Array {
    const bits = new Uint32Array(this.words);
    setRows(bits, this.postingsOf(f, v));
    return bits;
  }

  /** Union of the values' postings. Only string operands reach list rows (they live in the string postings). */
  private in(f: Field, values: Scalar[]): Uint32Array {
    const bits = new Uint32Array(this.words);
    for (const v of values) setRows(bits, this.postingsOf(f, v));
    return bits;
  }

  private postingsOf(f: Field, v: Scalar): Postings {
    if (typeof v === 'string') return f.strings.get(v) ?? NO_ROWS;
    if (typeof v === 'boolean') return v ? f.trueRows : f.falseRows;
    const i = lowerBound(f.numbers, v); // -0 and 0 land on the same slot
    return i < f.numbers.length && f.numbers[i] === v ? f.numberRows[i]! : NO_ROWS;
  }

  /** Complement in place over rows 0..rows-1 (the bits past the last row stay clear). */
  private not(bits: Uint32Array): Uint32Array {
    for (let i = 0; i < bits.length; i++) bits[i] = ~bits[i]!;
    this.clearTail(bits);
    return bits;
  }

  private all(): Uint32Array {
    return this.clearTail(new Uint32Array(this.words).fill(0xffffffff));
  }

  private clearTail(bits: Uint32Array): Uint32Array {
    if (this.rows & 31) bits[this.words - 1] &= 0xffffffff >>> (32 - (this.rows & 31));
    return bits;
  }

  private bitmapOf(rows: ArrayLike<number>): Uint32Array {
    const bits = new Uint32Array(this.words);
    setRows(bits, rows);
    return bits;
  }

  private rowsOf(bits: Uint32Array): Postings {
    const out: number[] = [];
    for (let w = 0; w < bits.length; w++) {
      for (let word = bits[w]!; word !== 0; word &= word - 1) out.push((w << 5) | (31 - Math.clz32(word & -word)));
    }
    return Uint32Array.from(out);
  }
}

type Scalar = string | number | boolean;

function setRows(bits: Uint32Array, rows: ArrayLike<number>): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    bits[row >>> 5] |= 1 << (row & 31);
  }
}

/** a &= b, returning a. */
function and(a: Uint32Array, b: Uint32Array): Uint32Array {
  for (let i = 0; i < a.length; i++) a[i] &= b[i]!;
  return a;
}

/** a |= b, returning a. */
function or(a: Uint32Array, b: Uint32Array): Uint32Array {
  for (let i = 0; i < a.length; i++) a[i] |= b[i]!;
  return a;
}

/** First index whose value is >= v. */
function lowerBound(values: Float64Array, v: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > v. */
function upperBound(values: Float64Array, v: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list with a non-string element';
  if (typeof v === 'number') return String(v);
  return typeof v;
}

function decodeError(what: string): Error {
  return new Error(`MetadataPostings.decode: ${what}`);
}

/** Little-endian byte writer that grows by doubling. */
class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  private len = 0;
  private static readonly utf8 = new TextEncoder();

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
  }

  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
  }

  str(s: string): void {
    const b = Writer.utf8.encode(s);
    this.u32(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  postings(rows: Postings): void {
    this.u32(rows.length);
    this.reserve(rows.length * 4);
    for (let i = 0; i < rows.length; i++, this.len += 4) this.view.setUint32(this.len, rows[i]!, true);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Little-endian byte reader that checks every length against what is left. */
class Reader {
  private pos = 0;
  private readonly view: DataView;
  private static readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number): void {
    if (n > this.remaining()) throw decodeError(`truncated: needs ${n} more bytes at offset ${this.pos}, has ${this.remaining()}`);
  }

  remaining(): number {
    return this.bytes.length - this.pos;
  }

  done(): boolean {
    return this.pos === this.bytes.length;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  str(): string {
    const n = this.u32();
    this.need(n);
    const bytes = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    try {
      return Reader.utf8.decode(bytes);
    } catch {
      throw decodeError(`invalid UTF-8 in a string at offset ${this.pos - n}`);
    }
  }

  /** Sorted distinct rows below `rows`, each inside `within` when given (postings never leave `present`). */
  postings(rows: number, within: Uint32Array | null): Postings {
    const n = this.u32();
    this.need(n * 4);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++, this.pos += 4) {
      const row = this.view.getUint32(this.pos, true);
      if (row >= rows || (i > 0 && row <= out[i - 1]!) || (within !== null && !(within[row >>> 5]! & (1 << (row & 31))))) {
        throw decodeError(`posting list at offset ${this.pos} is not ascending rows below ${rows} of its field`);
      }
      out[i] = row;
    }
    return out;
  }
}
