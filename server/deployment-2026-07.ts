/**
 * API 2026-07's control plane (client 9.x): indexes are described by a `deployment` and a typed `schema.fields`
 * instead of `spec` + `dimension` + `metric`. These functions translate its bodies to the canonical (2025-10) wire
 * shape and back. Vector fields carry the reserved names `_values` / `_sparse_values` (which the client's legacy
 * getters `.dimension`, `.metric` and `.spec` read); metadata fields (`string`, `integer`, `float`, `boolean`,
 * `string_list`, or untyped, each `filterable: true`) become the metadata schema, as in 2025-10.
 */
import { invalidArgument, unsupported } from '../engine/internal.js';
import { isObject } from './wire.js';

type Json = Record<string, unknown>;

export const DENSE_FIELD = '_values';
export const SPARSE_FIELD = '_sparse_values';
const SCALAR_TYPES = ['string', 'integer', 'float', 'boolean', 'string_list'];
const CREATE_KEYS = ['name', 'deployment', 'schema', 'read_capacity', 'tags', 'deletion_protection', 'cmek_id', 'source_collection', 'source_backup_id', 'hnsw'];


function unknownKeys(obj: Json, allowed: readonly string[], where: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw invalidArgument(`${where} has unknown field '${extra[0]}'; allowed fields are ${allowed.join(', ')}.`);
}

/** `deployment` → canonical `spec` (default: managed on aws us-east-1, as Pinecone documents). */
function specFromDeployment(d: unknown, readCapacity: unknown): Json {
  if (d === undefined) d = { deployment_type: 'managed', cloud: 'aws', region: 'us-east-1' };
  if (!isObject(d)) throw invalidArgument('deployment must be an object with a deployment_type of managed, pod or byoc.');
  const { deployment_type: type, ...rest } = d;
  if (readCapacity !== undefined && type !== 'managed') throw invalidArgument(`read_capacity applies only to managed deployments, not ${String(type)}.`);
  switch (type) {
    case 'managed':
      unknownKeys(rest, ['cloud', 'region'], 'deployment (managed)');
      return { serverless: { ...rest, ...(readCapacity === undefined ? {} : { read_capacity: readCapacity }) } };
    case 'pod':
      unknownKeys(rest, ['environment', 'pod_type', 'replicas', 'shards', 'pods'], 'deployment (pod)');
      return { pod: rest };
    case 'byoc':
      unknownKeys(rest, ['environment'], 'deployment (byoc)');
      return { byoc: rest };
    default:
      throw invalidArgument(`deployment.deployment_type must be one of 'managed', 'pod', 'byoc', got ${JSON.stringify(type ?? null)}.`);
  }
}

/**
 * Typed `schema.fields` → canonical vector settings and metadata schema. Pinecone serves an index through the
 * vectors API when its vector fields carry the reserved names; other names make a documents-API (full-text search)
 * index, which LarchDB does not serve yet.
 */
function fieldsFromSchema(schema: unknown): Json {
  if (!isObject(schema) || !isObject(schema.fields)) {
    throw invalidArgument('schema must be an object with a fields object, e.g. {"fields": {"_values": {"type": "dense_vector", "dimension": 1536, "metric": "cosine"}}}.');
  }
  let dense: Json | undefined;
  let sparse: Json | undefined;
  const metadata: Json = {};
  for (const [name, f] of Object.entries(schema.fields)) {
    if (!isObject(f)) throw invalidArgument(`schema.fields.${name} must be an object with a type.`);
    const type = f.type;
    if (type === 'dense_vector' || type === 'sparse_vector') {
      const reserved = type === 'dense_vector' ? DENSE_FIELD : SPARSE_FIELD;
      if (name !== reserved) {
        throw unsupported(`schema.fields.${name}: a ${type} field not named ${reserved} makes a documents-API index (full-text search), which is`);
      }
      if (type === 'dense_vector') dense = f;
      else sparse = f;
    } else if (type === 'semantic_text') {
      throw unsupported(`schema.fields.${name}: semantic_text fields (integrated embedding) are`);
    } else if (f.full_text_search !== undefined) {
      throw unsupported(`schema.fields.${name}: full-text search is`);
    } else if (type === undefined || (typeof type === 'string' && SCALAR_TYPES.includes(type))) {
      metadata[name] = f; // a metadata field for filtering; the engine checks filterable
    } else {
      throw invalidArgument(`schema.fields.${name}.type must be one of dense_vector, sparse_vector, ${SCALAR_TYPES.join(', ')}, got ${JSON.stringify(type)}.`);
    }
  }
  const out: Json = {};
  if (dense) {
    unknownKeys(dense, ['type', 'dimension', 'metric'], `schema.fields.${DENSE_FIELD}`);
    Object.assign(out, { vector_type: 'dense', dimension: dense.dimension, metric: dense.metric });
  } else if (sparse) {
    unknownKeys(sparse, ['type', 'metric'], `schema.fields.${SPARSE_FIELD}`);
    Object.assign(out, { vector_type: 'sparse', metric: sparse.metric ?? 'dotproduct' });
  } else {
    throw invalidArgument(`schema.fields needs a vector field: "${DENSE_FIELD}": {"type": "dense_vector", "dimension": …, "metric": …} or "${SPARSE_FIELD}": {"type": "sparse_vector"}.`);
  }
  for (const [name, f] of Object.entries(metadata)) {
    const { type, ...rest } = f as Json;
    metadata[name] = type === undefined ? rest : { type, ...rest };
  }
  if (Object.keys(metadata).length > 0) out.metadata_schema = { fields: metadata };
  return out;
}

/** `POST /indexes` in 2026-07 → canonical body. */
export function createFrom2026(body: Json): Json {
  if (body.spec !== undefined || body.dimension !== undefined) return body; // already the legacy shape: let it through
  unknownKeys(body, CREATE_KEYS, 'Request body');
  if (body.cmek_id !== undefined) throw unsupported('cmek_id: customer-managed encryption keys are');
  if (body.source_collection !== undefined) throw unsupported('source_collection: creating an index from a collection is');
  if (body.source_backup_id !== undefined) throw unsupported('source_backup_id: creating an index from a backup is');
  if (typeof body.name !== 'string') throw invalidArgument('name is required: LarchDB does not generate index names.');
  const { vector_type, dimension, metric, metadata_schema } = fieldsFromSchema(body.schema);
  const spec = specFromDeployment(body.deployment, body.read_capacity);
  if (metadata_schema !== undefined) {
    if (!spec.serverless) throw invalidArgument('Metadata fields in schema need a managed deployment.');
    (spec.serverless as Json).schema = metadata_schema;
  }
  const out: Json = { name: body.name, spec, vector_type, metric };
  for (const [k, v] of Object.entries({ dimension, tags: body.tags, deletion_protection: body.deletion_protection, hnsw: body.hnsw })) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** `PATCH /indexes/:name` in 2026-07 → canonical body. */
export function configureFrom2026(body: Json): Json {
  unknownKeys(body, ['deletion_protection', 'tags', 'read_capacity', 'deployment', 'schema', 'hnsw', 'embed'], 'Request body');
  if (body.deployment !== undefined) throw invalidArgument('deployment cannot be configured: LarchDB has no pods to scale.');
  if (body.schema !== undefined) throw unsupported('Changing schema (semantic_text parameters, integrated embedding) is');
  const { read_capacity, ...rest } = body;
  return read_capacity === undefined ? rest : { ...rest, spec: { serverless: { read_capacity } } };
}

/**
 * Canonical IndexModel → 2026-07's (deployment, typed schema, top-level read_capacity). As Pinecone reports
 * vectors-API indexes: a dense index shows both `_values` and `_sparse_values` (its records may carry sparse values),
 * a sparse one `_sparse_values`; metadata fields as declared.
 */
export function indexModelTo2026(m: Json): Json {
  const { spec: rawSpec, dimension, metric, vector_type: vectorType, ...rest } = m;
  const spec = (rawSpec ?? {}) as Json;
  const fields: Json =
    vectorType === 'dense'
      ? { [DENSE_FIELD]: { type: 'dense_vector', dimension, metric }, [SPARSE_FIELD]: { type: 'sparse_vector' } }
      : { [SPARSE_FIELD]: { type: 'sparse_vector' } }; // sparse indexes are dotproduct: 2026-07 gives the field no metric
  let deployment: Json;
  let readCapacity: unknown;
  if (isObject(spec.serverless)) {
    const { read_capacity, schema, cloud, region } = spec.serverless;
    deployment = { deployment_type: 'managed', cloud, region };
    readCapacity = read_capacity;
    if (isObject(schema) && isObject(schema.fields)) Object.assign(fields, schema.fields);
  } else if (isObject(spec.pod)) {
    deployment = { deployment_type: 'pod', ...spec.pod };
  } else {
    deployment = { deployment_type: 'byoc', ...(spec.byoc as Json) };
  }
  const { embed, ...others } = rest;
  if (isObject(embed) && isObject(embed.field_map)) {
    const { field_map: fieldMap, vector_type: _vt, dimension: _d, ...model } = embed;
    fields[String(fieldMap.text)] = { type: 'semantic_text', ...model };
  }
  const out: Json = { ...others, deployment, schema: { fields } };
  if (readCapacity !== undefined) out.read_capacity = readCapacity;
  return out;
}
