/**
 * Mapping between the JSON on the wire and the engine's option/result objects (API-DIGEST §2.4): the control plane
 * and the namespace endpoints speak snake_case, the vector endpoints camelCase, and the engine camelCase throughout.
 */
import { invalidArgument } from '../engine/internal.js';
import type {
  ConfigureIndexOptions,
  CreateIndexOptions,
  FetchResponse,
  HnswOptions,
  IndexEmbed,
  IndexModel,
  IndexSpec,
  IndexStatsDescription,
  ListNamespacesResponse,
  MetadataSchema,
  NamespaceDescription,
  QueryResponse,
  ReadCapacity,
} from '../engine/index.js';

type Json = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Proto-JSON leniency for one request message, in place: a field set to `null` is absent, and snake_case
 * aliases (`top_k`) are renamed to the camelCase field (`topK`). Giving both spellings is an error.
 */
export function normalizeMessage(msg: unknown, aliases: Record<string, string> = {}): void {
  if (!isObject(msg)) return;
  for (const key of Object.keys(msg)) {
    if (msg[key] === null) {
      delete msg[key];
      continue;
    }
    const camel = aliases[key];
    if (camel === undefined) continue;
    if (msg[camel] !== undefined && msg[camel] !== null) throw invalidArgument(`Give ${camel} or ${key}, not both.`);
    msg[camel] = msg[key];
    delete msg[key];
  }
}

const snakeToCamel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const camelToSnake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Copies an object with its keys renamed, nested objects too (pod specs carry `metadata_config.indexed`). */
export function renameKeys(obj: Json, rename: (k: string) => string): Json {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [rename(k), isObject(v) ? renameKeys(v, rename) : v]));
}

/** Drops `undefined` values so the engine's unknown-field checks and JSON output stay clean. */
export function defined<T extends Json>(obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k];
  return obj;
}

// -------------------------------------------------------------------------------------------------------------
// Control plane

/** `POST /indexes` body (already schema-checked) → engine options. */
export function createIndexFromWire(body: Json): CreateIndexOptions {
  const spec = body.spec as Json;
  const out: IndexSpec = {};
  if (isObject(spec.serverless)) {
    const s = spec.serverless;
    noCollection(s.source_collection);
    out.serverless = defined({
      cloud: s.cloud as 'aws' | 'gcp' | 'azure',
      region: s.region as string,
      readCapacity: s.read_capacity === undefined ? undefined : readCapacityFromWire(s.read_capacity),
      schema: s.schema as MetadataSchema | undefined,
    });
  }
  if (isObject(spec.pod)) {
    noCollection(spec.pod.source_collection);
    out.pod = renameKeys(spec.pod, snakeToCamel);
  }
  if (isObject(spec.byoc)) out.byoc = { environment: spec.byoc.environment as string };
  return defined({
    name: body.name as string,
    dimension: body.dimension as number | undefined,
    metric: body.metric as CreateIndexOptions['metric'],
    vectorType: body.vector_type as CreateIndexOptions['vectorType'],
    deletionProtection: body.deletion_protection as CreateIndexOptions['deletionProtection'],
    tags: body.tags as Record<string, string> | undefined,
    spec: out,
    hnsw: isObject(body.hnsw) ? hnswFromWire(body.hnsw) : undefined,
  });
}

/**
 * LarchDB has no collections (yet), so every source collection is one that does not exist: a 400 "Resource … not
 * found", as Pinecone answers (the official client's own test checks it).
 */
function noCollection(name: unknown): void {
  if (name !== undefined) throw invalidArgument(`Resource ${String(name)} not found: LarchDB has no collections, so an index cannot be created from one.`);
}

/** `embed` (snake_case) ↔ engine IndexEmbed. */
export function embedFromWire(e: unknown): Partial<IndexEmbed> {
  if (!isObject(e)) return e as Partial<IndexEmbed>;
  return defined({
    model: e.model as string | undefined,
    fieldMap: e.field_map as Record<string, string> | undefined,
    metric: e.metric as IndexEmbed['metric'],
    readParameters: e.read_parameters as Record<string, unknown> | undefined,
    writeParameters: e.write_parameters as Record<string, unknown> | undefined,
  });
}

function embedToWire(e: IndexEmbed): Json {
  return defined({
    model: e.model,
    field_map: e.fieldMap,
    metric: e.metric,
    dimension: e.dimension,
    vector_type: e.vectorType,
    read_parameters: e.readParameters,
    write_parameters: e.writeParameters,
  });
}

/** `hnsw: { m, ef_construction, ef_search }` (LarchDB extension) → engine HnswOptions. */
function hnswFromWire(h: Json): HnswOptions {
  return defined({ M: h.m as number | undefined, efConstruction: h.ef_construction as number | undefined, efSearch: h.ef_search as number | undefined });
}

/** `read_capacity` (snake_case) → engine ReadCapacity; the engine validates it. */
function readCapacityFromWire(rc: unknown): ReadCapacity {
  return (isObject(rc) ? renameKeys(rc, snakeToCamel) : rc) as ReadCapacity;
}

/** `PATCH /indexes/:name` body → engine options. Pod scaling and integrated embedding are refused. */
export function configureIndexFromWire(body: Json): ConfigureIndexOptions {
  const spec = body.spec;
  if (spec !== undefined && !(isObject(spec) && Object.keys(spec).every((k) => k === 'serverless'))) {
    throw invalidArgument('Only spec.serverless.read_capacity can be configured: LarchDB has no pods to scale and no BYOC environments.');
  }
  const serverless = isObject(spec) && isObject(spec.serverless) ? spec.serverless : undefined;
  if (serverless && Object.keys(serverless).some((k) => k !== 'read_capacity')) {
    throw invalidArgument(`spec.serverless accepts only read_capacity when configuring an index, got ${Object.keys(serverless).join(', ')}.`);
  }
  return defined({
    deletionProtection: body.deletion_protection as ConfigureIndexOptions['deletionProtection'],
    tags: body.tags as Record<string, string> | undefined,
    hnsw: isObject(body.hnsw) ? hnswFromWire(body.hnsw) : undefined,
    spec: serverless?.read_capacity === undefined ? undefined : { serverless: { readCapacity: readCapacityFromWire(serverless.read_capacity) } },
    embed: body.embed === undefined ? undefined : embedFromWire(body.embed),
  });
}

/** Engine IndexModel → wire IndexModel; `host` is decided by the server (see app.ts). */
export function indexModelToWire(m: IndexModel, host: string): Json {
  const spec: Json = {};
  const s = m.spec.serverless;
  if (s) spec.serverless = defined({ cloud: s.cloud, region: s.region, read_capacity: renameKeys(s.readCapacity as unknown as Json, camelToSnake), schema: s.schema });
  if (m.spec.pod) spec.pod = renameKeys(m.spec.pod, camelToSnake);
  if (m.spec.byoc) spec.byoc = { environment: m.spec.byoc.environment };
  return defined({
    name: m.name,
    vector_type: m.vectorType,
    metric: m.metric,
    dimension: m.dimension,
    status: { ready: m.status.ready, state: m.status.state },
    host,
    spec,
    deletion_protection: m.deletionProtection,
    tags: m.tags,
    hnsw: m.hnsw ? defined({ m: m.hnsw.M, ef_construction: m.hnsw.efConstruction, ef_search: m.hnsw.efSearch }) : undefined,
    embed: m.embed ? embedToWire(m.embed) : undefined,
  });
}

// -------------------------------------------------------------------------------------------------------------
// Data plane

/** A query's answer on the wire. */
export type QueryWire = { results: never[]; matches: QueryResponse['matches']; namespace: string; usage: { readUnits: number } };

/** Query result → wire: adds the deprecated `results: []` real responses carry. */
export function queryToWire(r: QueryResponse): QueryWire {
  return { results: [], matches: r.matches, namespace: r.namespace, usage: { readUnits: r.usage?.readUnits ?? 0 } };
}

/** Fetch result → wire: the engine's `records` map is `vectors` on the wire. */
export function fetchToWire(r: FetchResponse): Json {
  return { vectors: r.records, namespace: r.namespace, usage: { readUnits: r.usage?.readUnits ?? 0 } };
}

/** Index stats → wire: `recordCount` → `vectorCount`, `totalRecordCount` → `totalVectorCount`; 2025-10's fullness in snake_case. */
export function statsToWire(s: IndexStatsDescription): Json {
  const namespaces: Record<string, { vectorCount: number }> = {};
  for (const [ns, v] of Object.entries(s.namespaces ?? {})) namespaces[ns] = { vectorCount: v.recordCount };
  return defined({
    namespaces,
    dimension: s.dimension,
    indexFullness: s.indexFullness ?? 0,
    totalVectorCount: s.totalRecordCount ?? 0,
    metric: s.metric,
    vectorType: s.vectorType,
    memory_fullness: s.memoryFullness,
    storage_fullness: s.storageFullness,
  });
}

/** Namespace description → wire (snake_case like the docs). */
export function namespaceToWire(n: NamespaceDescription): Json {
  return defined({ name: n.name, record_count: n.recordCount, schema: n.schema, indexed_fields: n.indexedFields });
}

/** Namespace list → wire; `pagination` only when there is a next page. */
export function namespacesToWire(r: ListNamespacesResponse): Json {
  return defined({
    namespaces: r.namespaces.map(namespaceToWire),
    pagination: r.pagination?.next ? { next: r.pagination.next } : undefined,
    total_count: r.totalCount,
  });
}
