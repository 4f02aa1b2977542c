/**
 * Request validation with Pinecone's limits (API-DIGEST §8, §9, §11, §13). Every failure is a LarchError
 * (INVALID_ARGUMENT unless noted) whose message names the record / field / value / limit at fault.
 *
 * Conventions where the docs are silent (§23):
 * - An optional request field set to `null` counts as absent (proto3/JSON convention); `null` *inside* metadata is
 *   still an error.
 * - Unknown fields in records, queries, updates, list options and create-index options are errors (catches typos
 *   such as `top_k` or `sparse_values`).
 * - Duplicate ids in one upsert batch are accepted; records are returned in order, so the last one wins.
 * - Metadata size is the UTF-8 byte length of `JSON.stringify(metadata)`.
 */
import { invalidArgument } from './errors.js';
import { MAX_TOP_K, type IndexConfig } from './index-config.js';
import type { ConfigureIndexOptions, DeletionProtection, HnswOptions, IndexSpec, Metric, RecordMetadata, RecordMetadataValue, VectorType } from './types.js';

export { MAX_TOP_K };
export const MAX_BATCH = 1000;
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
export const MAX_METADATA_BYTES = 40 * 1024;
export const MAX_ID_LENGTH = 512;
export const MAX_NAMESPACE_LENGTH = 512;
export const MAX_DIMENSION = 20000;
export const MAX_SPARSE_NNZ = 2048;
export const MAX_FETCH_IDS = 1000;
export const MAX_DELETE_IDS = 1000;
export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_INDEX_NAME_LENGTH = 45;
export const MAX_TAG_KEY_LENGTH = 80;
export const MAX_TAG_VALUE_LENGTH = 120;
export const DEFAULT_NAMESPACE = '__default__';
const MAX_UINT32 = 4294967295;

export interface SparseVector {
  indices: Uint32Array;
  values: Float32Array;
}

/** A validated record, ready to store. */
export interface ValidRecord {
  id: string;
  values?: number[];
  sparse?: SparseVector;
  metadata?: RecordMetadata;
}

/** A validated query. */
export interface ValidQuery {
  topK: number;
  id?: string;
  vector?: number[];
  sparse?: SparseVector;
  /** Not yet validated: compileFilter does that. */
  filter?: unknown;
  includeValues: boolean;
  includeMetadata: boolean;
}

/** A validated update; `metadata` is to be merged into the stored metadata. */
export interface ValidUpdate {
  id: string;
  values?: number[];
  sparse?: SparseVector;
  metadata?: RecordMetadata;
}

export interface ValidListOptions {
  prefix?: string;
  limit: number;
  paginationToken?: string;
}

const INDEX_NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const TAG_KEY_RE = /^[A-Za-z0-9_-]+$/;
const TAG_VALUE_RE = /^[A-Za-z0-9;@_\-.+ ]*$/;
const METRICS: readonly Metric[] = ['cosine', 'euclidean', 'dotproduct'];
const VECTOR_TYPES: readonly VectorType[] = ['dense', 'sparse'];
const DELETION_PROTECTION: readonly DeletionProtection[] = ['enabled', 'disabled'];
const CLOUDS = ['aws', 'gcp', 'azure'] as const;
const CREATE_FIELDS = ['name', 'dimension', 'metric', 'vectorType', 'deletionProtection', 'tags', 'spec', 'waitUntilReady', 'suppressConflicts', 'hnsw'];
/** Ranges of the HNSW settings: [min, max]. */
const HNSW_RANGES = { M: [2, 128], efConstruction: [1, 4096], efSearch: [1, 10_000] } as const;
const RECORD_FIELDS = ['id', 'values', 'sparseValues', 'metadata'];
const QUERY_FIELDS = ['topK', 'id', 'vector', 'sparseVector', 'filter', 'includeValues', 'includeMetadata'];
const LIST_FIELDS = ['prefix', 'limit', 'paginationToken'];

// ---------------------------------------------------------------------------------------------------------------
// Control plane

/**
 * Validates an index name: 1–45 characters, lowercase alphanumerics or `-`, starting and ending alphanumeric.
 * @returns the name.
 */
export function validateIndexName(name: unknown): string {
  if (typeof name !== 'string') throw invalidArgument(`Index name must be a string, got ${typeName(name)}.`);
  if (name.length < 1 || name.length > MAX_INDEX_NAME_LENGTH) {
    throw invalidArgument(`Index name must be 1 to ${MAX_INDEX_NAME_LENGTH} characters long, got ${name.length} characters.`);
  }
  if (!INDEX_NAME_RE.test(name)) {
    throw invalidArgument(
      `Index name must contain only lowercase alphanumeric characters or hyphens, and must not begin or end with a hyphen. Got ${quote(name)}.`,
    );
  }
  return name;
}

/**
 * Validates create-index options and fills in defaults (vectorType dense; metric cosine for dense, dotproduct for
 * sparse; deletionProtection disabled; createdAt now).
 */
export function validateCreateIndex(opts: unknown): IndexConfig {
  if (!isPlainObject(opts)) throw invalidArgument(`Create index options must be an object, got ${typeName(opts)}.`);
  rejectUnknown(opts, CREATE_FIELDS, 'Create index options');
  const name = validateIndexName(opts.name);
  const spec = validateSpec(opts.spec);

  const vectorType = optionalEnum(opts.vectorType, VECTOR_TYPES, 'vectorType') ?? 'dense';
  const metricIn = optionalEnum(opts.metric, METRICS, 'metric');
  let metric: Metric;
  let dimension: number | undefined;
  if (vectorType === 'sparse') {
    if (!absent(opts.dimension)) throw invalidArgument(`A sparse index must not have a dimension, got dimension ${show(opts.dimension)}.`);
    if (metricIn !== undefined && metricIn !== 'dotproduct') {
      throw invalidArgument(`A sparse index must use metric 'dotproduct', got '${metricIn}'.`);
    }
    metric = 'dotproduct';
  } else {
    if (absent(opts.dimension)) throw invalidArgument('A dense index needs a dimension (an integer from 1 to 20000).');
    const d = opts.dimension;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MAX_DIMENSION) {
      throw invalidArgument(`Dimension must be an integer from 1 to ${MAX_DIMENSION}, got ${show(d)}.`);
    }
    dimension = d;
    metric = metricIn ?? 'cosine';
  }
  const deletionProtection = optionalEnum(opts.deletionProtection, DELETION_PROTECTION, 'deletionProtection') ?? 'disabled';
  for (const flag of ['waitUntilReady', 'suppressConflicts'] as const) {
    if (!absent(opts[flag]) && typeof opts[flag] !== 'boolean') throw invalidArgument(`${flag} must be a boolean, got ${typeName(opts[flag])}.`);
  }

  const cfg: IndexConfig = { name, metric, vectorType, deletionProtection, spec, createdAt: new Date().toISOString() };
  if (dimension !== undefined) cfg.dimension = dimension;
  if (!absent(opts.tags)) cfg.tags = validateTags(opts.tags, false);
  if (!absent(opts.hnsw)) {
    if (vectorType === 'sparse') throw invalidArgument('hnsw settings apply only to dense indexes; a sparse index is searched exactly.');
    const h = validateHnsw(opts.hnsw, ['M', 'efConstruction', 'efSearch']);
    if (Object.keys(h).length > 0) cfg.hnsw = h;
  }
  return cfg;
}

/** Validates HNSW settings (only the fields `allowed`); absent fields are left out. */
export function validateHnsw(opts: unknown, allowed: readonly (keyof HnswOptions)[]): HnswOptions {
  if (!isPlainObject(opts)) throw invalidArgument(`hnsw must be an object, got ${typeName(opts)}.`);
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key as keyof HnswOptions)) {
      const fixed = key in HNSW_RANGES ? ` (${key} is fixed when the index is created)` : '';
      throw invalidArgument(`Unknown hnsw setting '${key}'${fixed}; allowed: ${allowed.join(', ')}.`);
    }
  }
  const out: HnswOptions = {};
  for (const key of allowed) {
    const v = opts[key];
    if (absent(v)) continue;
    const [lo, hi] = HNSW_RANGES[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw invalidArgument(`hnsw.${key} must be an integer from ${lo} to ${hi}, got ${show(v)}.`);
    }
    out[key] = v;
  }
  return out;
}

/**
 * Validates configure-index options: optional `deletionProtection` and `tags` (a `""` value removes that tag).
 * Fields not given are left out of the result.
 */
export function validateConfigureIndex(opts: unknown): ConfigureIndexOptions {
  if (!isPlainObject(opts)) throw invalidArgument(`Configure index options must be an object, got ${typeName(opts)}.`);
  rejectUnknown(opts, ['deletionProtection', 'tags', 'hnsw'], 'Configure index options');
  const out: ConfigureIndexOptions = {};
  if (!absent(opts.hnsw)) out.hnsw = validateHnsw(opts.hnsw, ['efSearch']);
  const dp = optionalEnum(opts.deletionProtection, DELETION_PROTECTION, 'deletionProtection');
  if (dp !== undefined) out.deletionProtection = dp;
  if (!absent(opts.tags)) out.tags = validateTags(opts.tags, true);
  return out;
}

function validateSpec(spec: unknown): IndexSpec {
  if (absent(spec)) throw invalidArgument('spec is required: give exactly one of spec.serverless, spec.pod or spec.byoc.');
  if (!isPlainObject(spec)) throw invalidArgument(`spec must be an object, got ${typeName(spec)}.`);
  rejectUnknown(spec, ['serverless', 'pod', 'byoc'], 'spec');
  const kinds = (['serverless', 'pod', 'byoc'] as const).filter((k) => !absent(spec[k]));
  if (kinds.length !== 1) {
    throw invalidArgument(`spec must have exactly one of serverless, pod or byoc, got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}.`);
  }
  const kind = kinds[0]!;
  const body = spec[kind];
  if (!isPlainObject(body)) throw invalidArgument(`spec.${kind} must be an object, got ${typeName(body)}.`);
  if (kind === 'serverless') {
    rejectUnknown(body, ['cloud', 'region'], 'spec.serverless');
    const cloud = body.cloud;
    if (typeof cloud !== 'string' || !(CLOUDS as readonly string[]).includes(cloud)) {
      throw invalidArgument(`spec.serverless.cloud must be one of ${CLOUDS.join(', ')}, got ${show(cloud)}.`);
    }
    if (typeof body.region !== 'string' || body.region.length === 0) {
      throw invalidArgument(`spec.serverless.region must be a non-empty string, got ${show(body.region)}.`);
    }
    return { serverless: { cloud: cloud as (typeof CLOUDS)[number], region: body.region } };
  }
  if (typeof body.environment !== 'string' || body.environment.length === 0) {
    throw invalidArgument(`spec.${kind}.environment must be a non-empty string, got ${show(body.environment)}.`);
  }
  if (kind === 'byoc') {
    rejectUnknown(body, ['environment'], 'spec.byoc');
    return { byoc: { environment: body.environment } };
  }
  return { pod: { ...body } };
}

/**
 * Validates index tags. Keys: 1–80 of `[A-Za-z0-9_-]`; values: ≤ 120 of `[A-Za-z0-9;@_\-.+ ]`.
 * @param allowEmptyValues true for configure, where `""` means "remove this tag".
 */
export function validateTags(tags: unknown, allowEmptyValues: boolean): Record<string, string> {
  if (!isPlainObject(tags)) throw invalidArgument(`tags must be an object of string values, got ${typeName(tags)}.`);
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(tags)) {
    if (key.length === 0 || key.length > MAX_TAG_KEY_LENGTH) {
      throw invalidArgument(`Tag key ${quote(key)} must be 1 to ${MAX_TAG_KEY_LENGTH} characters long, got ${key.length}.`);
    }
    if (!TAG_KEY_RE.test(key)) {
      throw invalidArgument(`Tag key ${quote(key)} may contain only letters, digits, '_' and '-'.`);
    }
    if (typeof value !== 'string') throw invalidArgument(`Tag ${quote(key)} must have a string value, got ${typeName(value)}.`);
    if (value.length === 0 && !allowEmptyValues) throw invalidArgument(`Tag ${quote(key)} has an empty value.`);
    if (value.length > MAX_TAG_VALUE_LENGTH) {
      throw invalidArgument(`Tag ${quote(key)} value is ${value.length} characters long; the maximum is ${MAX_TAG_VALUE_LENGTH}.`);
    }
    if (!TAG_VALUE_RE.test(value)) {
      throw invalidArgument(`Tag ${quote(key)} value ${quote(value)} may contain only letters, digits, spaces and ; @ _ - . +`);
    }
    out.push([key, value]);
  }
  return Object.fromEntries(out);
}

// ---------------------------------------------------------------------------------------------------------------
// Identifiers

/**
 * Validates a record id: a string of 1–512 ASCII characters without `\0`.
 * @param what how to name the id in messages, e.g. "record id at position 3".
 */
export function validateRecordId(id: unknown, what = 'record id'): string {
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

function checkAscii(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) throw invalidArgument(`${what} ${quote(s)} contains a null character (\\0) at position ${i}.`);
    if (c > 127) {
      throw invalidArgument(`${what} ${quote(s)} contains a non-ASCII character at position ${i} (U+${c.toString(16).toUpperCase().padStart(4, '0')}); only ASCII is allowed.`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Record parts

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
  if (values.length !== dimension) {
    throw invalidArgument(`Vector dimension ${values.length} does not match the dimension of the index ${dimension} (${where}).`);
  }
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw invalidArgument(`${cap(where)}: values[${i}] is ${typeof v === 'number' ? v : typeName(v)}; values must be finite numbers.`);
    }
    out[i] = v;
  }
  return out;
}

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

// ---------------------------------------------------------------------------------------------------------------
// Data-plane requests

/**
 * Validates an upsert batch of 1–1000 records against the index. Dense index: `values` required, `sparseValues`
 * optional (any metric; only querying them needs dotproduct). Sparse index: `sparseValues` required, `values`
 * absent or empty. Duplicate ids are kept in order, so the last one wins.
 */
export function validateUpsert(records: unknown, cfg: IndexConfig): ValidRecord[] {
  if (!Array.isArray(records)) throw invalidArgument(`Upsert needs an array of records, got ${typeName(records)}.`);
  if (records.length === 0) throw invalidArgument('Upsert needs at least one record, got an empty array.');
  if (records.length > MAX_BATCH) {
    throw invalidArgument(`Upsert of ${records.length} records exceeds the limit of ${MAX_BATCH} records per request.`);
  }
  const out = new Array<ValidRecord>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r: unknown = records[i];
    if (!isPlainObject(r)) throw invalidArgument(`Record at position ${i} must be an object, got ${typeName(r)}.`);
    const id = validateRecordId(r.id, `record id at position ${i}`);
    const where = `record ${quote(id)}`;
    rejectUnknown(r, RECORD_FIELDS, cap(where));
    const rec: ValidRecord = { id };
    if (cfg.vectorType === 'sparse') {
      if (!absent(r.values) && !(isNumberArray(r.values) && r.values.length === 0)) {
        throw invalidArgument(`${cap(where)} has dense values, but index ${quote(cfg.name)} is sparse; send sparseValues only.`);
      }
      if (absent(r.sparseValues)) throw invalidArgument(`${cap(where)} has no sparseValues; sparse index ${quote(cfg.name)} needs them.`);
      rec.sparse = validateSparse(r.sparseValues, where);
    } else {
      if (absent(r.values)) {
        throw invalidArgument(`${cap(where)} has no values; dense index ${quote(cfg.name)} needs values of dimension ${cfg.dimension}.`);
      }
      rec.values = validateDense(r.values, cfg.dimension ?? 0, where);
      if (!absent(r.sparseValues)) rec.sparse = validateSparse(r.sparseValues, where);
    }
    const md = validateMetadata(r.metadata, where);
    if (md !== undefined) rec.metadata = md;
    out[i] = rec;
  }
  return out;
}

/**
 * Validates query options against the index: topK 1–10000 and exactly one of `id` or a vector (`vector` and/or
 * `sparseVector`, as the index type allows). The filter is passed through for compileFilter.
 */
export function validateQuery(opts: unknown, cfg: IndexConfig): ValidQuery {
  if (!isPlainObject(opts)) throw invalidArgument(`Query options must be an object, got ${typeName(opts)}.`);
  rejectUnknown(opts, QUERY_FIELDS, 'Query');
  const topK = opts.topK;
  if (absent(topK)) throw invalidArgument(`Query needs topK (an integer from 1 to ${MAX_TOP_K}).`);
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > MAX_TOP_K) {
    throw invalidArgument(`topK must be an integer from 1 to ${MAX_TOP_K}, got ${show(topK)}.`);
  }
  const sparseIndex = cfg.vectorType === 'sparse';
  // An empty `vector` on a sparse index is tolerated, as on upsert.
  const hasVector = !absent(opts.vector) && !(sparseIndex && isNumberArray(opts.vector) && opts.vector.length === 0);
  const hasSparse = !absent(opts.sparseVector);
  const hasId = !absent(opts.id);
  if (hasId && (hasVector || hasSparse)) {
    throw invalidArgument('Query must contain only one of id or vector/sparseVector, got both.');
  }
  if (!hasId && !hasVector && !hasSparse) throw invalidArgument('Query must contain one of vector, sparseVector or id, got none.');

  const q: ValidQuery = {
    topK,
    includeValues: optionalBoolean(opts.includeValues, 'includeValues'),
    includeMetadata: optionalBoolean(opts.includeMetadata, 'includeMetadata'),
  };
  if (hasId) q.id = validateRecordId(opts.id, 'query id');
  if (sparseIndex) {
    if (hasVector) throw invalidArgument(`Index ${quote(cfg.name)} is sparse: query it with sparseVector (or id), not a dense vector.`);
  } else {
    if (hasSparse && !hasVector) {
      throw invalidArgument(`Index ${quote(cfg.name)} is dense: a query needs a dense vector (or id); sparseVector alone is only for sparse indexes.`);
    }
    if (hasSparse && cfg.metric !== 'dotproduct') {
      throw invalidArgument(
        `Sparse-dense queries need an index with metric 'dotproduct'; index ${quote(cfg.name)} uses '${cfg.metric}'. Drop sparseVector or use a dotproduct index.`,
      );
    }
    if (hasVector) q.vector = validateDense(opts.vector, cfg.dimension ?? 0, 'query vector');
  }
  if (hasSparse) q.sparse = validateSparse(opts.sparseVector, 'query sparseVector');
  if (!absent(opts.filter)) q.filter = opts.filter;
  return q;
}

/**
 * Validates an update of one record: at least one of `values`, `sparseValues`, `metadata` (merged), each with the
 * same rules as on upsert.
 */
export function validateUpdate(opts: unknown, cfg: IndexConfig): ValidUpdate {
  if (!isPlainObject(opts)) throw invalidArgument(`Update options must be an object, got ${typeName(opts)}.`);
  const id = validateRecordId(opts.id, 'update id');
  const where = `update of record ${quote(id)}`;
  rejectUnknown(opts, RECORD_FIELDS, cap(where));
  if (absent(opts.values) && absent(opts.sparseValues) && absent(opts.metadata)) {
    throw invalidArgument(`${cap(where)} must set at least one of values, sparseValues or metadata.`);
  }
  const u: ValidUpdate = { id };
  if (!absent(opts.values)) {
    if (cfg.vectorType === 'sparse') {
      throw invalidArgument(`${cap(where)} sets dense values, but index ${quote(cfg.name)} is sparse; send sparseValues only.`);
    }
    u.values = validateDense(opts.values, cfg.dimension ?? 0, where);
  }
  if (!absent(opts.sparseValues)) u.sparse = validateSparse(opts.sparseValues, where);
  if (!absent(opts.metadata)) u.metadata = validateMetadata(opts.metadata, where)!;
  return u;
}

/**
 * Validates a list of 1..max record ids (fetch, delete).
 * @param what names the list in messages, e.g. "fetch ids".
 */
export function validateIdList(ids: unknown, max: number, what: string): string[] {
  if (!Array.isArray(ids)) throw invalidArgument(`${cap(what)} must be an array of record ids, got ${typeName(ids)}.`);
  if (ids.length === 0) throw invalidArgument(`${cap(what)}: at least one record id is required, got an empty array.`);
  if (ids.length > max) throw invalidArgument(`${cap(what)}: ${ids.length} ids exceed the limit of ${max} ids per request.`);
  return ids.map((id, i) => validateRecordId(id, `record id at position ${i} of ${what}`));
}

/** Validates list options: `limit` 1–1000 (default 100), optional string `prefix` and `paginationToken`. */
export function validateListOptions(opts: unknown): ValidListOptions {
  if (absent(opts)) return { limit: DEFAULT_LIST_LIMIT };
  if (!isPlainObject(opts)) throw invalidArgument(`List options must be an object, got ${typeName(opts)}.`);
  rejectUnknown(opts, LIST_FIELDS, 'List options');
  const out: ValidListOptions = { limit: DEFAULT_LIST_LIMIT };
  if (!absent(opts.limit)) {
    const l = opts.limit;
    if (typeof l !== 'number' || !Number.isInteger(l) || l < 1 || l > MAX_LIST_LIMIT) {
      throw invalidArgument(`List limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${show(l)}.`);
    }
    out.limit = l;
  }
  if (!absent(opts.prefix)) {
    if (typeof opts.prefix !== 'string') throw invalidArgument(`List prefix must be a string, got ${typeName(opts.prefix)}.`);
    if (opts.prefix.length > MAX_ID_LENGTH) {
      throw invalidArgument(`List prefix is ${opts.prefix.length} characters long; the maximum is ${MAX_ID_LENGTH}.`);
    }
    if (opts.prefix.length > 0) out.prefix = opts.prefix;
  }
  if (!absent(opts.paginationToken)) {
    if (typeof opts.paginationToken !== 'string') {
      throw invalidArgument(`paginationToken must be a string, got ${typeName(opts.paginationToken)}.`);
    }
    if (opts.paginationToken.length > 0) out.paginationToken = opts.paginationToken;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function absent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Arrays and numeric typed arrays (Float32Array etc.); element types are checked by the caller. */
function isNumberArray(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array));
}

function rejectUnknown(obj: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key) && obj[key] !== undefined) {
      throw invalidArgument(`${what} has unknown field ${quote(key)}; allowed fields are ${allowed.join(', ')}.`);
    }
  }
}

function optionalEnum<T extends string>(v: unknown, allowed: readonly T[], field: string): T | undefined {
  if (absent(v)) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw invalidArgument(`${field} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${show(v)}.`);
  }
  return v as T;
}

function optionalBoolean(v: unknown, field: string): boolean {
  if (absent(v)) return false;
  if (typeof v !== 'boolean') throw invalidArgument(`${field} must be a boolean, got ${typeName(v)}.`);
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

/** A short rendering of a value for messages. */
function show(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return typeName(v);
}

/** Quotes a string for a message: long ones are cut, control characters escaped. */
function quote(s: string): string {
  const cut = s.length > 64 ? `${s.slice(0, 48)}…` : s;
  return `'${cut.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
