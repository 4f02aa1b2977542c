/**
 * Integrated embedding: indexes created for a model, records upserted as text, searches by text with optional
 * reranking. Records are stored as ordinary vectors + metadata (every field but the id), so fetch, list, query,
 * filters and stats work on them too.
 */
import { invalidArgument } from './core/errors.js';
import { resolveModel, type ModelSpec } from './core/models.js';
import type {
  CreateIndexForModelOptions,
  CreateIndexOptions,
  IndexEmbed,
  IntegratedRecord,
  Metric,
  PineconeRecord,
  QueryOptions,
  QueryResponse,
  RecordMetadata,
  SearchRecordsOptions,
  SearchRecordsResponse,
} from './core/types.js';
import type { IndexConfig } from './core/index-config.js';
import { absent, isPlainObject, quote, typeName } from './core/validation/shape.js';
import type { EmbeddingsList, Inference } from './inference.js';

/** Records per upsert_records request, the hosted models' batch size. */
export const MAX_RECORDS_PER_UPSERT = 96;

function checkParams(p: unknown, what: string): Record<string, unknown> | undefined {
  if (absent(p)) return undefined;
  if (!isPlainObject(p)) throw invalidArgument(`${what} must be an object, got ${typeName(p)}.`);
  return p;
}

function checkFieldMap(fm: unknown): Record<string, string> {
  if (!isPlainObject(fm) || typeof fm.text !== 'string' || fm.text.length === 0) {
    throw invalidArgument('embed.field_map must name the record field that holds the text, e.g. {"text": "chunk_text"}.');
  }
  return { text: fm.text };
}

/**
 * The index options and `embed` config for {@link CreateIndexForModelOptions}: dimension and vector type from the
 * model (an ONNX model of unknown dimension is probed once), metric checked against the model's.
 */
export async function planIndexForModel(options: CreateIndexForModelOptions, inference: Inference): Promise<{ create: CreateIndexOptions; embed: IndexEmbed }> {
  if (!isPlainObject(options) || !isPlainObject(options.embed)) throw invalidArgument('createIndexForModel needs { name, cloud, region, embed: { model, fieldMap } }.');
  const e = options.embed;
  if (typeof e.model !== 'string') throw invalidArgument('embed.model is required: the name of an embedding model (GET /models lists them).');
  const spec = resolveModel(e.model, 'embed');
  const vectorType = spec.vectorType ?? 'dense';
  const metric: Metric = e.metric ?? spec.supportedMetrics?.[0] ?? 'cosine';
  if (spec.supportedMetrics && !spec.supportedMetrics.includes(metric)) {
    throw invalidArgument(`Model ${spec.name} does not support metric '${metric}'; supported: ${spec.supportedMetrics.join(', ')}.`);
  }
  const read = checkParams(e.readParameters, 'embed.read_parameters');
  const write = checkParams(e.writeParameters, 'embed.write_parameters');
  let dimension: number | undefined;
  if (vectorType === 'dense') {
    const asked = write?.dimension;
    dimension = typeof asked === 'number' ? asked : (spec.defaultDimension ?? (await probeDimension(spec, inference)));
  }
  const embed: IndexEmbed = { model: spec.name, fieldMap: checkFieldMap(e.fieldMap), metric, vectorType };
  if (dimension !== undefined) embed.dimension = dimension;
  embed.readParameters = { input_type: 'query', ...read };
  embed.writeParameters = { input_type: 'passage', ...write };
  const create: CreateIndexOptions = { name: options.name, metric, vectorType, spec: { serverless: { cloud: options.cloud, region: options.region } } };
  if (dimension !== undefined) create.dimension = dimension;
  if (options.deletionProtection !== undefined) create.deletionProtection = options.deletionProtection;
  if (options.tags !== undefined) create.tags = options.tags;
  if (options.suppressConflicts !== undefined) create.suppressConflicts = options.suppressConflicts;
  return { create, embed };
}

async function probeDimension(spec: ModelSpec, inference: Inference): Promise<number> {
  const out = await inference.embed(spec.name, ['dimension probe'], { input_type: 'passage' });
  const first = out.data[0];
  if (!first || first.vectorType !== 'dense') throw invalidArgument(`Model ${spec.name} did not produce a dense embedding.`);
  return first.values.length;
}

/** A configure request's `embed` applied to an index: the model can be attached once, never changed. */
export function changedEmbed(cfg: IndexConfig, change: Partial<IndexEmbed>): IndexEmbed {
  if (!isPlainObject(change)) throw invalidArgument(`embed must be an object, got ${typeName(change)}.`);
  const current = cfg.embed;
  if (current && change.model !== undefined && change.model !== current.model) {
    throw invalidArgument(`The embedding model of index ${cfg.name} is ${current.model} and cannot be changed; only field_map, read_parameters and write_parameters can.`);
  }
  let base = current;
  if (!base) {
    if (typeof change.model !== 'string') throw invalidArgument(`Index ${cfg.name} has no embedding model: embed.model and embed.field_map are needed to attach one.`);
    const spec = resolveModel(change.model, 'embed');
    if ((spec.vectorType ?? 'dense') !== cfg.vectorType) throw invalidArgument(`Model ${spec.name} makes ${spec.vectorType} vectors; index ${cfg.name} is ${cfg.vectorType}.`);
    if (spec.defaultDimension !== undefined && cfg.dimension !== spec.defaultDimension && !spec.supportedDimensions?.includes(cfg.dimension ?? -1)) {
      throw invalidArgument(`Model ${spec.name} makes ${spec.defaultDimension}-d vectors; index ${cfg.name} has dimension ${cfg.dimension}.`);
    }
    if (spec.supportedMetrics && !spec.supportedMetrics.includes(cfg.metric)) throw invalidArgument(`Model ${spec.name} does not support metric '${cfg.metric}'.`);
    base = { model: spec.name, fieldMap: checkFieldMap(change.fieldMap), metric: cfg.metric, vectorType: cfg.vectorType, readParameters: { input_type: 'query' }, writeParameters: { input_type: 'passage' } };
    if (cfg.dimension !== undefined) base.dimension = cfg.dimension;
  }
  const next: IndexEmbed = { ...base };
  if (change.fieldMap !== undefined) next.fieldMap = checkFieldMap(change.fieldMap);
  const read = checkParams(change.readParameters, 'embed.read_parameters');
  const write = checkParams(change.writeParameters, 'embed.write_parameters');
  if (read) next.readParameters = read;
  if (write) next.writeParameters = write;
  return next;
}

function requireEmbed(cfg: IndexConfig): IndexEmbed {
  if (!cfg.embed) throw invalidArgument(`Index ${cfg.name} has no integrated embedding: create it with create-for-model (or configure embed) to upsert and search text records.`);
  return cfg.embed;
}

/** The vector of one embedding, as a record's values or sparse values. */
function vectorOf(e: EmbeddingsList['data'][number]): Pick<PineconeRecord, 'values' | 'sparseValues'> {
  return e.vectorType === 'dense' ? { values: e.values } : { sparseValues: { indices: e.sparseIndices, values: e.sparseValues } };
}

/** Text records → vector records: the text field embedded (as passages), every other field but the id as metadata. */
export async function embedRecords(cfg: IndexConfig, records: unknown, inference: Inference): Promise<PineconeRecord[]> {
  const embed = requireEmbed(cfg);
  if (!Array.isArray(records) || records.length === 0) throw invalidArgument('upsertRecords needs a non-empty list of records.');
  if (records.length > MAX_RECORDS_PER_UPSERT) throw invalidArgument(`Too many records: ${records.length} records exceed the maximum of ${MAX_RECORDS_PER_UPSERT} per upsert.`);
  const field = embed.fieldMap.text!;
  const prepared = records.map((r, i) => {
    if (!isPlainObject(r)) throw invalidArgument(`Record at index ${i} must be an object, got ${typeName(r)}.`);
    const { _id, id, ...fields } = r as IntegratedRecord;
    const recordId = _id ?? id;
    if (typeof recordId !== 'string') throw invalidArgument(`Record at index ${i} needs a string _id (or id).`);
    const text = fields[field];
    if (typeof text !== 'string') throw invalidArgument(`Record ${quote(recordId)} at index ${i} is missing the text field '${field}' (the index's field_map), or it is not a string.`);
    return { id: recordId, text, metadata: fields as RecordMetadata };
  });
  const out = await inference.embed(embed.model, prepared.map((p) => p.text), embed.writeParameters);
  return prepared.map((p, i) => ({ id: p.id, ...vectorOf(out.data[i]!), ...(Object.keys(p.metadata).length > 0 ? { metadata: p.metadata } : {}) }));
}

/** Lowercased word tokens, for match_terms. */
const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/**
 * A search of an integrated index: the query's text embedded (as a query) or its vector or id used as is, then the
 * hits' fields, optionally reranked.
 */
export async function searchRecords(
  cfg: IndexConfig,
  options: SearchRecordsOptions,
  inference: Inference,
  query: (q: QueryOptions) => Promise<QueryResponse>,
): Promise<SearchRecordsResponse> {
  if (!isPlainObject(options) || !isPlainObject(options.query)) throw invalidArgument('searchRecords needs { query: { top_k, inputs | vector | id } }.');
  const q = options.query;
  if (q.matchTerms && cfg.vectorType !== 'sparse') throw invalidArgument('match_terms is supported only for sparse indexes with integrated embedding.');
  const text = q.inputs?.text;
  let usageTokens: number | undefined;
  const base = { topK: q.topK, includeMetadata: true, ...(q.filter ? { filter: q.filter } : {}) };
  let qo: QueryOptions;
  if (typeof text === 'string') {
    const embed = requireEmbed(cfg);
    const e = await inference.embed(embed.model, [text], embed.readParameters);
    usageTokens = e.usage.totalTokens;
    const v = vectorOf(e.data[0]!);
    qo = v.values ? { ...base, vector: v.values } : { ...base, sparseVector: v.sparseValues! };
  } else if (q.vector) {
    const sparse = q.vector.sparseIndices ? { indices: q.vector.sparseIndices, values: q.vector.sparseValues ?? [] } : undefined;
    qo = { ...base, ...(q.vector.values ? { vector: q.vector.values } : {}), ...(sparse ? { sparseVector: sparse } : {}) } as QueryOptions;
  } else if (typeof q.id === 'string') {
    qo = { ...base, id: q.id };
  } else {
    throw invalidArgument('query needs one of inputs.text, vector or id.');
  }
  const res = await query(qo);
  let hits = res.matches.map((m) => ({ _id: m.id, _score: m.score ?? 0, fields: (m.metadata ?? {}) as Record<string, unknown> }));
  if (q.matchTerms) {
    const field = requireEmbed(cfg).fieldMap.text!;
    const need = q.matchTerms.terms.flatMap(words);
    hits = hits.filter((h) => {
      const have = new Set(words(String(h.fields[field] ?? '')));
      return need.every((t) => have.has(t));
    });
  }
  const usage: SearchRecordsResponse['usage'] = { readUnits: res.usage?.readUnits ?? 1 };
  if (usageTokens !== undefined) usage.embedTotalTokens = usageTokens;
  if (options.rerank) {
    const r = options.rerank;
    const rq = r.query ?? text;
    if (typeof rq !== 'string') throw invalidArgument('rerank.query is required when the search is not by text.');
    if (hits.length > 0) {
      const ranked = await inference.rerank(r.model, rq, hits.map((h) => h.fields), { rankFields: r.rankFields, topN: r.topN ?? hits.length, returnDocuments: false, ...(r.parameters ? { parameters: r.parameters } : {}) });
      hits = ranked.data.map((d) => ({ ...hits[d.index]!, _score: d.score }));
    }
    usage.rerankUnits = 1;
  }
  const fields = options.fields;
  const shown = hits.map((h) => ({ ...h, fields: fields ? Object.fromEntries(fields.filter((f) => f in h.fields).map((f) => [f, h.fields[f]])) : h.fields }));
  return { result: { hits: shown }, usage };
}
