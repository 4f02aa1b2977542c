/**
 * JSON Schemas of the request bodies: the type of every field and the set of allowed fields. Ranges and limits
 * (dimension, topK, 1000 records, 40 KB metadata …) are left to the engine's validation, whose messages name them.
 * Bodies are normalised first (nulls dropped, snake_case aliases renamed; see wire.ts), so no field is nullable.
 */

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const obj = { type: 'object' } as const;
const numbers = { type: 'array', items: { type: 'number' } } as const;
const strings = { type: 'array', items: str } as const;

function message(properties: Record<string, object>, required: string[] = []) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}

// ---------------------------------------------------------------------------------------------------------------
// Control plane (snake_case)

const metric = { enum: ['cosine', 'euclidean', 'dotproduct'] } as const;
const deletionProtection = { enum: ['enabled', 'disabled'] } as const;
const tags = { type: 'object', additionalProperties: str } as const;
/** LarchDB extension: HNSW settings (snake_case on the wire; ranges checked by the engine). */
const hnsw = message({ m: int, ef_construction: int, ef_search: int });

const indexSpec = message({
  serverless: message({ cloud: { enum: ['aws', 'gcp', 'azure'] }, region: str, source_collection: str, read_capacity: obj, schema: obj }, ['cloud', 'region']),
  pod: message(
    {
      environment: str,
      replicas: int,
      shards: int,
      pod_type: str,
      pods: int,
      metadata_config: message({ indexed: strings }),
      source_collection: str,
    },
    ['environment'],
  ),
  byoc: message({ environment: str }, ['environment']),
});

export const createIndexBody = message(
  {
    name: str,
    dimension: int,
    metric,
    deletion_protection: deletionProtection,
    tags,
    spec: indexSpec,
    vector_type: { enum: ['dense', 'sparse'] },
    hnsw,
  },
  ['name', 'spec'],
);

const embedConfig = message({ model: str, field_map: obj, metric, read_parameters: obj, write_parameters: obj, dimension: int });

export const createForModelBody = message(
  { name: str, cloud: { enum: ['aws', 'gcp', 'azure'] }, region: str, embed: embedConfig, deletion_protection: deletionProtection, tags },
  ['name', 'cloud', 'region', 'embed'],
);

export const configureIndexBody = message({ deletion_protection: deletionProtection, tags, spec: obj, embed: obj, hnsw });

// ---------------------------------------------------------------------------------------------------------------
// Inference (snake_case; the engine checks inputs and parameters against the model)

export const embedBody = message({ model: str, inputs: { type: 'array' }, parameters: obj }, ['model', 'inputs']);

export const rerankBody = message(
  { model: str, query: str, documents: { type: 'array' }, top_n: int, return_documents: bool, rank_fields: strings, parameters: obj },
  ['model', 'query', 'documents'],
);

// ---------------------------------------------------------------------------------------------------------------
// Data plane (camelCase; snake_case aliases are renamed before validation)

const sparseValues = message({ indices: { type: 'array', items: int }, values: numbers }, ['indices', 'values']);
const vector = message({ id: str, values: numbers, sparseValues, metadata: obj }, ['id']);

export const upsertBody = message({ vectors: { type: 'array', items: vector }, namespace: str }, ['vectors']);

export const queryBody = message(
  {
    namespace: str,
    topK: int,
    filter: obj,
    includeValues: bool,
    includeMetadata: bool,
    queries: {},
    vector: numbers,
    sparseVector: sparseValues,
    id: str,
    scanFactor: { type: 'number' },
    maxCandidates: int,
  },
  ['topK'],
);

/** By id (`id` + parts to change) or, API 2025-10, by filter (`filter` + `setMetadata`, optional `dryRun`). */
export const updateBody = message({ id: str, values: numbers, sparseValues, setMetadata: obj, namespace: str, filter: obj, dryRun: bool });

/** POST /records/namespaces/{ns}/search (snake_case, as the 2025-04 spec has it). */
export const searchRecordsBody = message(
  {
    query: message(
      {
        top_k: int,
        inputs: obj,
        vector: message({ values: numbers, sparse_values: numbers, sparse_indices: { type: 'array', items: int } }),
        id: str,
        filter: obj,
        match_terms: message({ strategy: { enum: ['all'] }, terms: strings }, ['terms']),
      },
      ['top_k'],
    ),
    fields: strings,
    rerank: message({ model: str, rank_fields: strings, top_n: int, query: str, parameters: obj }, ['model', 'rank_fields']),
  },
  ['query'],
);

export const fetchByMetadataBody = message({ namespace: str, filter: obj, limit: int, paginationToken: str });

export const createNamespaceBody = message({ name: str, schema: obj }, ['name']);

export const deleteBody = message({ ids: strings, deleteAll: bool, namespace: str, filter: obj });

export const statsBody = message({ filter: obj });

/** snake_case spellings proto-JSON parsers accept (API-DIGEST §2.4), per request message. */
export const ALIASES = {
  query: {
    top_k: 'topK',
    include_values: 'includeValues',
    include_metadata: 'includeMetadata',
    sparse_vector: 'sparseVector',
    scan_factor: 'scanFactor',
    max_candidates: 'maxCandidates',
  },
  vector: { sparse_values: 'sparseValues' },
  update: { sparse_values: 'sparseValues', set_metadata: 'setMetadata', dry_run: 'dryRun' },
  fetchByMetadata: { pagination_token: 'paginationToken' },
  delete: { delete_all: 'deleteAll' },
} as const;
