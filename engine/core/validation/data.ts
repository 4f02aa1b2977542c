/**
 * Validation of data-plane requests against an index. Every failure is a LarchError (INVALID_ARGUMENT) whose message
 * names the record / field / value / limit at fault. Duplicate ids in one upsert batch are accepted; records are
 * returned in order, so the last one wins. Metadata size is the UTF-8 byte length of `JSON.stringify(metadata)`.
 */
import { invalidArgument } from '../errors.js';
import type { IndexConfig } from '../index-config.js';
import { DEFAULT_LIST_LIMIT, MAX_BATCH, MAX_CANDIDATES, MAX_ID_LENGTH, MAX_LIST_LIMIT, MAX_TOP_K } from '../limits.js';
import type { RecordMetadata } from '../types.js';
import { validateDense, validateDenseInto, validateMetadata, validateRecordId, validateSparse, type SparseVector } from './records.js';
import { absent, cap, isNumberArray, isPlainObject, optionalBoolean, quote, rejectUnknown, show, typeName } from './shape.js';

const RECORD_FIELDS = ['id', 'values', 'sparseValues', 'metadata'];
const QUERY_FIELDS = ['topK', 'id', 'vector', 'sparseVector', 'filter', 'includeValues', 'includeMetadata', 'scanFactor', 'maxCandidates'];
const LIST_FIELDS = ['prefix', 'limit', 'paginationToken'];

/** A validated record, ready to store. */
export interface ValidRecord {
  id: string;
  /** float32, as stored: a view into one array holding the whole batch's values. */
  values?: Float32Array;
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
  /**
   * Set by the engine, never by a caller's options: with includeValues, the matches carry placeholders instead of
   * values, to be read on another thread (the HTTP server encodes large answers off its event loop).
   */
  deferValues?: boolean;
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

const RECORD_FIELD_SET = new Set(RECORD_FIELDS);

/**
 * Validates an upsert batch of 1–1000 records against the index. Dense index: `values` required, `sparseValues`
 * optional (any metric; only querying them needs dotproduct). Sparse index: `sparseValues` required, `values`
 * absent or empty. Duplicate ids are kept in order, so the last one wins.
 *
 * Dense values are copied as float32 (as they are stored) into one array for the whole batch: `floats(n)` gives it
 * (a fresh Float32Array by default; the in-process write path passes a pooled one and reuses it once the batch is
 * encoded). The copy also snapshots the values, so the caller may change its arrays once this returns.
 */
export function validateUpsert(records: unknown, cfg: IndexConfig, floats: (n: number) => Float32Array = (n) => new Float32Array(n)): ValidRecord[] {
  if (!Array.isArray(records)) throw invalidArgument(`Upsert needs an array of records, got ${typeName(records)}.`);
  if (records.length === 0) throw invalidArgument('Upsert needs at least one record, got an empty array.');
  if (records.length > MAX_BATCH) {
    throw invalidArgument(`Upsert of ${records.length} records exceeds the limit of ${MAX_BATCH} records per request.`);
  }
  const dim = cfg.dimension ?? 0;
  const sparseIndex = cfg.vectorType === 'sparse';
  let all: Float32Array | undefined;
  const out = new Array<ValidRecord>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r: unknown = records[i];
    if (!isPlainObject(r)) throw invalidArgument(`Record at position ${i} must be an object, got ${typeName(r)}.`);
    const id = validateRecordId(r.id, `record id at position ${i}`);
    // Messages are worded only when something is wrong: this loop is on every upsert's path.
    const where = () => `record ${quote(id)}`;
    for (const key in r) if (!RECORD_FIELD_SET.has(key)) rejectUnknown(r, RECORD_FIELDS, cap(where()));
    const rec: ValidRecord = { id };
    if (sparseIndex) {
      if (!absent(r.values) && !(isNumberArray(r.values) && r.values.length === 0)) {
        throw invalidArgument(`${cap(where())} has dense values, but index ${quote(cfg.name)} is sparse; send sparseValues only.`);
      }
      if (absent(r.sparseValues)) throw invalidArgument(`${cap(where())} has no sparseValues; sparse index ${quote(cfg.name)} needs them.`);
      rec.sparse = validateSparse(r.sparseValues, where());
    } else {
      if (absent(r.values)) {
        throw invalidArgument(`${cap(where())} has no values; dense index ${quote(cfg.name)} needs values of dimension ${cfg.dimension}.`);
      }
      all ??= floats(records.length * dim);
      const values = all.subarray(i * dim, (i + 1) * dim);
      validateDenseInto(r.values, dim, values, where);
      rec.values = values;
      if (!absent(r.sparseValues)) rec.sparse = validateSparse(r.sparseValues, where());
    }
    if (!absent(r.metadata)) {
      const md = validateMetadata(r.metadata, where());
      if (md !== undefined) rec.metadata = md;
    }
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
  validateQueryHints(opts, topK);
  return q;
}

/**
 * `scanFactor` (0.5–4) and `maxCandidates` (topK–100000) are tuning hints of Pinecone's dedicated read nodes (API
 * 2025-10). They are checked as Pinecone checks them and otherwise ignored: LarchDB's recall is set by the index's
 * HNSW efSearch.
 */
function validateQueryHints(opts: Record<string, unknown>, topK: number): void {
  const sf = opts.scanFactor;
  if (!absent(sf) && (typeof sf !== 'number' || !Number.isFinite(sf) || sf < 0.5 || sf > 4)) {
    throw invalidArgument(`scanFactor must be a number from 0.5 to 4, got ${show(sf)}.`);
  }
  const mc = opts.maxCandidates;
  if (!absent(mc) && (typeof mc !== 'number' || !Number.isInteger(mc) || mc < topK || mc > MAX_CANDIDATES)) {
    throw invalidArgument(`maxCandidates must be an integer from topK (${topK}) to ${MAX_CANDIDATES}, got ${show(mc)}.`);
  }
}

/** A validated update by filter: metadata merged into every record the filter matches. */
export interface ValidUpdateByFilter {
  /** Not yet validated: compileFilter does that. */
  filter: unknown;
  metadata: RecordMetadata;
  dryRun: boolean;
}

/** Validates an update by metadata filter (API 2025-10): a non-empty filter, metadata to merge, optional dryRun. */
export function validateUpdateByFilter(opts: Record<string, unknown>): ValidUpdateByFilter {
  if (!absent(opts.id)) throw invalidArgument('Give id or filter, not both: an update targets one record by id or every record matching a filter.');
  if (!absent(opts.values) || !absent(opts.sparseValues)) {
    throw invalidArgument('An update by filter can only set metadata (setMetadata on the wire); values and sparseValues are set by id.');
  }
  rejectUnknown(opts, ['filter', 'metadata', 'dryRun'], 'Update by filter');
  if (!isPlainObject(opts.filter) || Object.keys(opts.filter).length === 0) {
    throw invalidArgument(`Update by filter needs a non-empty filter object, got ${isPlainObject(opts.filter) ? 'an empty object' : typeName(opts.filter)}.`);
  }
  if (absent(opts.metadata)) throw invalidArgument('Update by filter needs metadata to set (setMetadata on the wire); values cannot be set by filter.');
  const metadata = validateMetadata(opts.metadata, 'update by filter')!;
  return { filter: opts.filter, metadata, dryRun: optionalBoolean(opts.dryRun, 'dryRun') };
}

/** Validated fetch-by-metadata options. */
export interface ValidFetchByMetadata {
  filter: unknown;
  limit: number;
  paginationToken?: string;
}

/** Validates fetch-by-metadata options: a filter (`{}` matches every record), `limit` 1–1000 (default 100). */
export function validateFetchByMetadata(opts: unknown): ValidFetchByMetadata {
  if (!isPlainObject(opts)) throw invalidArgument(`Fetch by metadata options must be an object, got ${typeName(opts)}.`);
  rejectUnknown(opts, ['filter', 'limit', 'paginationToken'], 'Fetch by metadata');
  if (!absent(opts.filter) && !isPlainObject(opts.filter)) throw invalidArgument(`filter must be an object, got ${typeName(opts.filter)}.`);
  const { limit, paginationToken } = validateListOptions({ limit: opts.limit, paginationToken: opts.paginationToken });
  const out: ValidFetchByMetadata = { filter: opts.filter ?? {}, limit };
  if (paginationToken !== undefined) out.paginationToken = paginationToken;
  return out;
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

