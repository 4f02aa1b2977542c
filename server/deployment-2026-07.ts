/**
 * API 2026-07's control plane (client 9.x): indexes are described by a `deployment` and a typed `schema.fields`
 * instead of `spec` + `dimension` + `metric`. These functions translate its bodies to the canonical (2025-10) wire
 * shape and back. The vector fields keep their names (`_values` / `_sparse_values` by default, which the client's
 * legacy getters `.dimension`, `.metric` and `.spec` read); scalar fields (`string`, `integer`, `float`, `boolean`,
 * `string_list`) become the metadata schema, `filterable: true` making a field filterable as in 2025-10.
 */
import { LarchError } from '../engine/index.js';
import { invalidArgument } from '../engine/internal.js';
import { isObject } from './wire.js';

type Json = Record<string, unknown>;

export const DENSE_FIELD = '_values';
export const SPARSE_FIELD = '_sparse_values';
const SCALAR_TYPES = ['string', 'integer', 'float', 'boolean', 'string_list'];
const CREATE_KEYS = ['name', 'deployment', 'schema', 'read_capacity', 'tags', 'deletion_protection', 'cmek_id', 'source_collection', 'source_backup_id', 'hnsw'];

const unsupported = (what: string) => new LarchError('UNIMPLEMENTED', `${what} not supported by LarchDB.`);

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

/** Typed `schema.fields` → canonical vector settings and metadata schema. */
function fieldsFromSchema(schema: unknown): Json {
  if (!isObject(schema) || !isObject(schema.fields)) throw invalidArgument('schema must be an object with a fields object, e.g. {"fields": {"_values": {"type": "dense_vector", "dimension": 1536, "metric": "cosine"}}}.');
  let dense: [string, Json] | undefined;
  let sparse: [string, Json] | undefined;
  const metadata: Json = {};
  for (const [name, f] of Object.entries(schema.fields)) {
    if (!isObject(f)) throw invalidArgument(`schema.fields.${name} must be an object with a type.`);
    const type = f.type;
    if (type === 'dense_vector' || type === 'sparse_vector') {
      if ((type === 'dense_vector' ? dense : sparse) !== undefined) throw invalidArgument(`schema.fields declares more than one ${type} field; an index has at most one.`);
      if (type === 'dense_vector') dense = [name, f];
      else sparse = [name, f];
    } else if (type === 'semantic_text') {
      throw unsupported(`schema.fields.${name}: semantic_text fields (integrated embedding) are`);
    } else if (typeof type === 'string' && SCALAR_TYPES.includes(type)) {
      if (f.full_text_search !== undefined) throw unsupported(`schema.fields.${name}: full-text search is`);
      unknownKeys(f, ['type', 'filterable', 'description'], `schema.fields.${name}`);
      metadata[name] = f;
    } else if (type === undefined && f.filterable !== undefined) {
      metadata[name] = f; // the 2025-10 form {filterable}
    } else {
      throw invalidArgument(`schema.fields.${name}.type must be one of dense_vector, sparse_vector, ${SCALAR_TYPES.join(', ')}, got ${JSON.stringify(type ?? null)}.`);
    }
  }
  if (!dense && !sparse) throw invalidArgument('schema.fields needs a vector field: {"type": "dense_vector", "dimension": …, "metric": …} or {"type": "sparse_vector"}.');
  const out: Json = {};
  if (dense) {
    unknownKeys(dense[1], ['type', 'dimension', 'metric'], `schema.fields.${dense[0]}`);
    Object.assign(out, { vector_type: 'dense', dimension: dense[1].dimension, metric: dense[1].metric });
    if (sparse && dense[1].metric !== 'dotproduct') {
      throw invalidArgument(`An index with both a dense_vector and a sparse_vector field needs metric 'dotproduct' on ${dense[0]}, got ${JSON.stringify(dense[1].metric ?? null)}.`);
    }
  } else {
    unknownKeys(sparse![1], ['type', 'metric'], `schema.fields.${sparse![0]}`);
    Object.assign(out, { vector_type: 'sparse', metric: sparse![1].metric ?? 'dotproduct' });
  }
  const names: Json = {};
  if (dense && dense[0] !== DENSE_FIELD) names.dense = dense[0];
  if (sparse) names.sparse = sparse[0];
  if (sparse && sparse[0] === SPARSE_FIELD && !dense) delete names.sparse;
  if (Object.keys(names).length > 0) out.vector_fields = names;
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
  const { vector_type, dimension, metric, vector_fields, metadata_schema } = fieldsFromSchema(body.schema);
  const spec = specFromDeployment(body.deployment, body.read_capacity);
  if (metadata_schema !== undefined) {
    if (!spec.serverless) throw invalidArgument('Metadata fields in schema need a managed deployment.');
    (spec.serverless as Json).schema = metadata_schema;
  }
  const out: Json = { name: body.name, spec, vector_type, metric };
  for (const [k, v] of Object.entries({ dimension, tags: body.tags, deletion_protection: body.deletion_protection, hnsw: body.hnsw, vector_fields })) {
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

/** Canonical IndexModel → 2026-07's (deployment, typed schema, top-level read_capacity). */
export function indexModelTo2026(m: Json): Json {
  const spec = (m.spec ?? {}) as Json;
  const { spec: _spec, dimension, metric, vector_type, vector_fields, ...rest } = m;
  const names = (vector_fields ?? {}) as Json;
  const fields: Json = {};
  if (vector_type === 'dense') fields[(names.dense as string) ?? DENSE_FIELD] = { type: 'dense_vector', dimension, metric };
  if (vector_type === 'sparse' || names.sparse !== undefined) {
    fields[(names.sparse as string) ?? SPARSE_FIELD] = vector_type === 'sparse' ? { type: 'sparse_vector', metric } : { type: 'sparse_vector' };
  }
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
  const out: Json = { ...rest, deployment, schema: { fields } };
  if (readCapacity !== undefined) out.read_capacity = readCapacity;
  return out;
}
