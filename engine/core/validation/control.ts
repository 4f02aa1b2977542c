/** Validation of control-plane requests: index names, create and configure options, specs, tags, HNSW settings. */
import { invalidArgument } from '../errors.js';
import { HNSW_RANGES, type IndexConfig } from '../index-config.js';
import { MAX_DIMENSION, MAX_INDEX_NAME_LENGTH, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH } from '../limits.js';
import type { ConfigureIndexOptions, DeletionProtection, HnswOptions, IndexSpec, Metric, ReadCapacity, ServerlessSpec, VectorType } from '../types.js';
import { validateMetadataSchema } from './metadata-schema.js';
import { absent, isPlainObject, optionalEnum, quote, rejectUnknown, show, typeName } from './shape.js';

const INDEX_NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const TAG_KEY_RE = /^[A-Za-z0-9_-]+$/;
const TAG_VALUE_RE = /^[A-Za-z0-9;@_\-.+ ]*$/;
const METRICS: readonly Metric[] = ['cosine', 'euclidean', 'dotproduct'];
const VECTOR_TYPES: readonly VectorType[] = ['dense', 'sparse'];
const DELETION_PROTECTION: readonly DeletionProtection[] = ['enabled', 'disabled'];
const CLOUDS = ['aws', 'gcp', 'azure'] as const;
const CREATE_FIELDS = ['name', 'dimension', 'metric', 'vectorType', 'deletionProtection', 'tags', 'spec', 'waitUntilReady', 'suppressConflicts', 'hnsw'];

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
  rejectUnknown(opts, ['deletionProtection', 'tags', 'hnsw', 'spec', 'embed'], 'Configure index options');
  const out: ConfigureIndexOptions = {};
  if (!absent(opts.spec)) {
    const spec = opts.spec;
    if (!isPlainObject(spec)) throw invalidArgument(`spec must be an object, got ${typeName(spec)}.`);
    if (!absent(spec.pod) || !absent(spec.byoc)) {
      throw invalidArgument('Only spec.serverless.readCapacity can be configured: LarchDB has no pods to scale and no BYOC environments.');
    }
    rejectUnknown(spec, ['serverless'], 'spec');
    if (!absent(spec.serverless)) {
      if (!isPlainObject(spec.serverless)) throw invalidArgument(`spec.serverless must be an object, got ${typeName(spec.serverless)}.`);
      rejectUnknown(spec.serverless, ['readCapacity'], 'spec.serverless');
      const rc = spec.serverless.readCapacity;
      out.spec = { serverless: absent(rc) ? {} : { readCapacity: validateReadCapacity(rc) } };
    }
  }
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
    rejectUnknown(body, ['cloud', 'region', 'readCapacity', 'schema'], 'spec.serverless');
    const cloud = body.cloud;
    if (typeof cloud !== 'string' || !(CLOUDS as readonly string[]).includes(cloud)) {
      throw invalidArgument(`spec.serverless.cloud must be one of ${CLOUDS.join(', ')}, got ${show(cloud)}.`);
    }
    if (typeof body.region !== 'string' || body.region.length === 0) {
      throw invalidArgument(`spec.serverless.region must be a non-empty string, got ${show(body.region)}.`);
    }
    const serverless: ServerlessSpec = { cloud: cloud as (typeof CLOUDS)[number], region: body.region };
    if (!absent(body.readCapacity)) serverless.readCapacity = validateReadCapacity(body.readCapacity);
    if (!absent(body.schema)) serverless.schema = validateMetadataSchema(body.schema, 'spec.serverless.schema');
    return { serverless };
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

/**
 * Validates a read capacity: `{ mode: 'OnDemand' }` or `{ mode: 'Dedicated', dedicated: { nodeType, scaling:
 * 'Manual', manual: { replicas, shards } } }` (API 2025-10).
 */
export function validateReadCapacity(rc: unknown): ReadCapacity {
  if (!isPlainObject(rc)) throw invalidArgument(`readCapacity must be an object, got ${typeName(rc)}.`);
  const mode = optionalEnum(rc.mode, ['OnDemand', 'Dedicated'] as const, 'readCapacity.mode');
  if (mode === undefined) throw invalidArgument("readCapacity.mode is required: 'OnDemand' or 'Dedicated'.");
  if (mode === 'OnDemand') {
    rejectUnknown(rc, ['mode'], 'readCapacity (mode OnDemand)');
    return { mode };
  }
  rejectUnknown(rc, ['mode', 'dedicated'], 'readCapacity');
  const d = rc.dedicated;
  if (!isPlainObject(d)) throw invalidArgument(`readCapacity.dedicated is required with mode 'Dedicated': { nodeType, scaling: 'Manual', manual: { replicas, shards } }, got ${typeName(d)}.`);
  rejectUnknown(d, ['nodeType', 'scaling', 'manual'], 'readCapacity.dedicated');
  const nodeType = optionalEnum(d.nodeType, ['b1', 't1'] as const, 'readCapacity.dedicated.nodeType');
  if (nodeType === undefined) throw invalidArgument("readCapacity.dedicated.nodeType is required: 'b1' or 't1'.");
  const scaling = optionalEnum(d.scaling, ['Manual'] as const, 'readCapacity.dedicated.scaling');
  if (scaling === undefined) throw invalidArgument("readCapacity.dedicated.scaling is required: 'Manual'.");
  const m = d.manual;
  if (!isPlainObject(m)) throw invalidArgument(`readCapacity.dedicated.manual must be an object { replicas, shards }, got ${typeName(m)}.`);
  rejectUnknown(m, ['replicas', 'shards'], 'readCapacity.dedicated.manual');
  const count = (v: unknown, name: string, min: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 100) {
      throw invalidArgument(`readCapacity.dedicated.manual.${name} must be an integer from ${min} to 100, got ${show(v)}.`);
    }
    return v;
  };
  return { mode, dedicated: { nodeType, scaling, manual: { replicas: count(m.replicas, 'replicas', 0), shards: count(m.shards, 'shards', 1) } } };
}

