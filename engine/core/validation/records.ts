/** Validation of the parts of a record: ids, namespace names, metadata, dense and sparse vectors. */
import { invalidArgument } from '../errors.js';
import { DEFAULT_NAMESPACE, MAX_ID_LENGTH, MAX_METADATA_BYTES, MAX_NAMESPACE_LENGTH, MAX_SPARSE_NNZ } from '../limits.js';
import type { RecordMetadata, RecordMetadataValue } from '../types.js';
import { absent, cap, isNumberArray, isPlainObject, quote, rejectUnknown, show, typeName } from './shape.js';

const MAX_UINT32 = 4294967295;

export interface SparseVector {
  indices: Uint32Array;
  values: Float32Array;
}

/**
 * Validates a record id: a string of 1–512 ASCII characters without `\0`.
 * @param what how to name the id in messages, e.g. "record id at position 3".
 */
export function validateRecordId(id: unknown, what = 'record id'): string {
  if (isPlainId(id)) return id;
  if (typeof id !== 'string') throw invalidArgument(`${cap(what)} must be a string, got ${typeName(id)}.`);
  if (id.length === 0) throw invalidArgument(`${cap(what)} must not be empty.`);
  if (id.length > MAX_ID_LENGTH) {
    throw invalidArgument(`${cap(what)} ${quote(id)} is ${id.length} characters long; the maximum is ${MAX_ID_LENGTH}.`);
  }
  checkAscii(id, cap(what));
  return id;
}

/**
 * Validates a namespace name (≤ 512 ASCII characters without `\0`). `undefined` and `''` both mean the default
 * namespace, returned as `'__default__'`.
 */
export function validateNamespaceName(ns: unknown): string {
  if (ns === undefined) return DEFAULT_NAMESPACE;
  if (typeof ns !== 'string') throw invalidArgument(`Namespace must be a string, got ${typeName(ns)}.`);
  if (ns.length === 0) return DEFAULT_NAMESPACE;
  if (ns.length > MAX_NAMESPACE_LENGTH) {
    throw invalidArgument(`Namespace ${quote(ns)} is ${ns.length} characters long; the maximum is ${MAX_NAMESPACE_LENGTH}.`);
  }
  checkAscii(ns, 'Namespace');
  return ns;
}

/** The common case of a valid id, checked without building any message. */
function isPlainId(id: unknown): id is string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === 0 || c > 127) return false;
  }
  return true;
}

function checkAscii(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) throw invalidArgument(`${what} ${quote(s)} contains a null character (\\0) at position ${i}.`);
    if (c > 127) {
      throw invalidArgument(`${what} ${quote(s)} contains a non-ASCII character at position ${i} (U+${c.toString(16).toUpperCase().padStart(4, '0')}); only ASCII is allowed.`);
    }
  }
}

/**
 * Validates record metadata: a flat object whose values are strings, finite numbers, booleans or lists of strings;
 * keys non-empty and not starting with `$`; at most 40 KB as JSON. Keys whose value is `undefined` are dropped.
 * @param where names the record in messages, e.g. "record 'a'".
 * @returns a copy, or `undefined` when `md` is absent.
 */
export function validateMetadata(md: unknown, where: string): RecordMetadata | undefined {
  if (absent(md)) return undefined;
  const at = cap(where);
  if (!isPlainObject(md)) throw invalidArgument(`${at}: metadata must be an object, got ${typeName(md)}.`);
  const out: [string, RecordMetadataValue][] = [];
  for (const [key, value] of Object.entries(md)) {
    if (key.length === 0) throw invalidArgument(`${at}: metadata keys must not be empty.`);
    if (key.startsWith('$')) throw invalidArgument(`${at}: metadata key ${quote(key)} must not start with '$'.`);
    const field = `metadata field ${quote(key)}`;
    if (value === undefined) continue;
    if (value === null) throw invalidArgument(`${at}: ${field} is null; null is not supported (remove the key instead).`);
    if (typeof value === 'string' || typeof value === 'boolean') out.push([key, value]);
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalidArgument(`${at}: ${field} is ${value}; numbers must be finite.`);
      out.push([key, value]);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (typeof value[i] !== 'string') {
          throw invalidArgument(`${at}: ${field} is a list containing ${typeName(value[i])} at position ${i}; lists may contain only strings.`);
        }
      }
      out.push([key, value.slice() as string[]]);
    } else if (typeof value === 'object') {
      throw invalidArgument(`${at}: ${field} is an object; nested metadata is not supported (metadata must be flat).`);
    } else {
      throw invalidArgument(`${at}: ${field} has unsupported type ${typeName(value)}; use a string, number, boolean or list of strings.`);
    }
  }
  const result = Object.fromEntries(out) as RecordMetadata;
  const bytes = Buffer.byteLength(JSON.stringify(result), 'utf8');
  if (bytes > MAX_METADATA_BYTES) {
    throw invalidArgument(`${at}: metadata is ${bytes} bytes; the limit is ${MAX_METADATA_BYTES} bytes (40 KB) per record.`);
  }
  return result;
}

/**
 * Validates dense values: finite numbers, exactly `dimension` of them.
 * @param where names the vector in messages, e.g. "record 'a'" or "query vector".
 */
export function validateDense(values: unknown, dimension: number, where: string): number[] {
  if (!isNumberArray(values)) throw invalidArgument(`${cap(where)}: values must be an array of numbers, got ${typeName(values)}.`);
  if (values.length !== dimension) throw dimensionMismatch(values.length, dimension, where);
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw badValue(v, i, where);
    out[i] = v;
  }
  return out;
}

/**
 * Validates dense values as {@link validateDense} does and stores them in `out` (float32, `dimension` long): one
 * pass and no array in between, because this loop runs for every number of every upsert. `where` is only called to
 * word an error.
 */
export function validateDenseInto(values: unknown, dimension: number, out: Float32Array, where: () => string): void {
  if (!isNumberArray(values)) throw invalidArgument(`${cap(where())}: values must be an array of numbers, got ${typeName(values)}.`);
  if (values.length !== dimension) throw dimensionMismatch(values.length, dimension, where());
  for (let i = 0; i < dimension; i++) {
    const v = values[i];
    // v - v is 0 exactly for finite numbers (NaN and ±Infinity give NaN).
    if (typeof v !== 'number' || v - v !== 0) throw badValue(v, i, where());
    out[i] = v;
  }
}

const dimensionMismatch = (got: number, dimension: number, where: string) =>
  invalidArgument(`Vector dimension ${got} does not match the dimension of the index ${dimension} (${where}).`);

const badValue = (v: unknown, i: number, where: string) =>
  invalidArgument(`${cap(where)}: values[${i}] is ${typeof v === 'number' ? v : typeName(v)}; values must be finite numbers.`);

/**
 * Validates a sparse vector: `indices` and `values` of equal length (1–2048), indices distinct integers in
 * 0..2^32-1, values finite.
 * @returns the pairs sorted by index.
 */
export function validateSparse(sv: unknown, where: string): SparseVector {
  const at = cap(where);
  if (!isPlainObject(sv)) throw invalidArgument(`${at}: sparse values must be an object with indices and values, got ${typeName(sv)}.`);
  rejectUnknown(sv, ['indices', 'values'], `${at}: sparse vector`);
  const { indices, values } = sv;
  if (!isNumberArray(indices)) throw invalidArgument(`${at}: sparse indices must be an array of integers, got ${typeName(indices)}.`);
  if (!isNumberArray(values)) throw invalidArgument(`${at}: sparse values must be an array of numbers, got ${typeName(values)}.`);
  const n = indices.length;
  if (n !== values.length) {
    throw invalidArgument(`${at}: sparse indices and values must have the same length, got ${n} indices and ${values.length} values.`);
  }
  if (n === 0) throw invalidArgument(`${at}: sparse vector is empty; it needs at least one index/value pair.`);
  if (n > MAX_SPARSE_NNZ) throw invalidArgument(`${at}: sparse vector has ${n} non-zero values; the maximum is ${MAX_SPARSE_NNZ}.`);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const ix = indices[i];
    if (typeof ix !== 'number' || !Number.isInteger(ix) || ix < 0 || ix > MAX_UINT32) {
      throw invalidArgument(`${at}: sparse indices[${i}] is ${show(ix)}; indices must be integers from 0 to ${MAX_UINT32}.`);
    }
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw invalidArgument(`${at}: sparse values[${i}] is ${typeof v === 'number' ? v : typeName(v)}; values must be finite numbers.`);
    }
    if (i > 0 && ix <= (indices[i - 1] as number)) sorted = false;
  }
  const outIdx = new Uint32Array(n);
  const outVal = new Float32Array(n);
  if (sorted) {
    for (let i = 0; i < n; i++) {
      outIdx[i] = indices[i] as number;
      outVal[i] = values[i] as number;
    }
    return { indices: outIdx, values: outVal };
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (indices[a] as number) - (indices[b] as number));
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    outIdx[k] = indices[i] as number;
    outVal[k] = values[i] as number;
    if (k > 0 && outIdx[k] === outIdx[k - 1]) throw invalidArgument(`${at}: sparse index ${outIdx[k]} appears more than once.`);
  }
  return { indices: outIdx, values: outVal };
}

