/**
 * Public shapes of the programmatic API. Names follow the official Node client `@pinecone-database/pinecone` 6.x
 * (API 2025-04) so code moves between the two by changing the constructor.
 */

export type Metric = 'cosine' | 'euclidean' | 'dotproduct';
export type VectorType = 'dense' | 'sparse';
export type DeletionProtection = 'enabled' | 'disabled';

export type RecordValues = number[];
/** Sparse vector: parallel arrays of uint32 indices and float values. */
export interface RecordSparseValues {
  indices: number[];
  values: number[];
}
export type RecordMetadataValue = string | boolean | number | string[];
export type RecordMetadata = Record<string, RecordMetadataValue>;

export interface PineconeRecord<T extends RecordMetadata = RecordMetadata> {
  id: string;
  values?: RecordValues;
  sparseValues?: RecordSparseValues;
  metadata?: T;
}

export interface ScoredPineconeRecord<T extends RecordMetadata = RecordMetadata> extends PineconeRecord<T> {
  score?: number;
}

export interface OperationUsage {
  readUnits?: number;
}

/** Metadata filter in Pinecone's language (`$eq $ne $gt $gte $lt $lte $in $nin $exists $and $or`). */
export type Filter = Record<string, unknown>;

export interface QueryShared {
  topK: number;
  includeValues?: boolean;
  includeMetadata?: boolean;
  filter?: Filter;
  /** Tuning hint of Pinecone's dedicated read nodes (0.5–4); validated, otherwise ignored (recall follows HNSW efSearch). */
  scanFactor?: number;
  /** Tuning hint of Pinecone's dedicated read nodes (topK–100000); validated, otherwise ignored. */
  maxCandidates?: number;
}
export type QueryByRecordId = QueryShared & { id: string; vector?: undefined; sparseVector?: undefined };
export type QueryByVectorValues = QueryShared & { vector?: RecordValues; sparseVector?: RecordSparseValues; id?: undefined };
export type QueryOptions = QueryByRecordId | QueryByVectorValues;

export interface QueryResponse<T extends RecordMetadata = RecordMetadata> {
  matches: ScoredPineconeRecord<T>[];
  namespace: string;
  usage?: OperationUsage;
}

export interface FetchResponse<T extends RecordMetadata = RecordMetadata> {
  records: Record<string, PineconeRecord<T>>;
  namespace: string;
  usage?: OperationUsage;
}

/** Update one record by id: the vector parts given are replaced, `metadata` is merged key by key. */
export interface UpdateByIdOptions<T extends RecordMetadata = RecordMetadata> {
  id: string;
  values?: RecordValues;
  sparseValues?: RecordSparseValues;
  /** Merged into the stored metadata key by key. */
  metadata?: Partial<T>;
  filter?: undefined;
}

/**
 * Update every record matching `filter` (API 2025-10): `metadata` is merged into each, in one atomic, durable write.
 * With `dryRun` nothing changes and the answer counts the records that would.
 */
export interface UpdateByFilterOptions<T extends RecordMetadata = RecordMetadata> {
  filter: Filter;
  metadata: Partial<T>;
  dryRun?: boolean;
  id?: undefined;
}

export type UpdateOptions<T extends RecordMetadata = RecordMetadata> = UpdateByIdOptions<T> | UpdateByFilterOptions<T>;

export interface UpdateResponse {
  /** Records that matched the filter (updates by filter only). */
  matchedRecords?: number;
}

export interface FetchByMetadataOptions {
  filter: Filter;
  /** Records per page: 1–10000, default 100. */
  limit?: number;
  paginationToken?: string;
}

export interface FetchByMetadataResponse<T extends RecordMetadata = RecordMetadata> extends FetchResponse<T> {
  pagination?: { next?: string };
}

export interface ListOptions {
  prefix?: string;
  limit?: number;
  paginationToken?: string;
}

export interface ListResponse {
  vectors?: { id: string }[];
  pagination?: { next?: string };
  namespace?: string;
  usage?: OperationUsage;
}

export interface UpsertResponse {
  upsertedCount: number;
}

export interface IndexStatsDescription {
  namespaces?: Record<string, { recordCount: number }>;
  dimension?: number;
  indexFullness?: number;
  totalRecordCount?: number;
  metric?: Metric;
  vectorType?: VectorType;
  /** Dedicated read nodes' memory and storage use (API 2025-10): always 0, LarchDB has no capacity cap. */
  memoryFullness?: number;
  storageFullness?: number;
}

/**
 * Which metadata fields are indexed for filtering (API 2025-10). Without a schema every field is; with one, only
 * the fields declared `filterable: true`, and a filter on any other field is refused.
 */
export interface MetadataSchema {
  fields: Record<string, MetadataField>;
}

/**
 * A metadata field of a schema: `filterable` must be true (Pinecone supports no other value); `type` and
 * `description` come from API 2026-07's typed schemas and are kept, not enforced.
 */
export interface MetadataField {
  filterable: true;
  type?: 'string' | 'integer' | 'float' | 'boolean' | 'string_list';
  description?: string;
}


export interface CreateNamespaceOptions {
  name: string;
  /** Overrides the index's schema for this namespace. */
  schema?: MetadataSchema;
}

export interface NamespaceDescription {
  name: string;
  recordCount: number;
  schema?: MetadataSchema;
  /** The metadata fields filters can use: the schema's filterable fields, or every field the records hold. */
  indexedFields?: { fields: string[] };
}

export interface ListNamespacesOptions {
  limit?: number;
  paginationToken?: string;
  /** Only namespaces whose name starts with it. */
  prefix?: string;
}

export interface ListNamespacesResponse {
  namespaces: NamespaceDescription[];
  pagination?: { next?: string };
  /** Namespaces matching the prefix, over every page. */
  totalCount?: number;
}

/**
 * Read capacity of a serverless index (API 2025-10). Accepted and reported so clients round-trip it; LarchDB
 * serves every index from its own process, so the mode changes nothing about how queries run.
 */
export type ReadCapacity =
  | { mode: 'OnDemand' }
  | { mode: 'Dedicated'; dedicated: { nodeType: string; scaling: 'Manual'; manual: { replicas: number; shards: number } } };

/** {@link ReadCapacity} as describe_index reports it. */
export type ReadCapacityResponse = ReadCapacity & {
  status: { state: 'Ready'; currentReplicas?: number; currentShards?: number };
};

export interface ServerlessSpec {
  cloud: 'aws' | 'gcp' | 'azure';
  region: string;
  readCapacity?: ReadCapacity;
  schema?: MetadataSchema;
}

export interface IndexSpec {
  serverless?: ServerlessSpec;
  pod?: Record<string, unknown>;
  byoc?: { environment: string };
}

/**
 * HNSW settings of a dense index (a LarchDB extension; on the wire `hnsw: { m, ef_construction, ef_search }`).
 * Every field is optional: the defaults (M 16, efConstruction 200, efSearch 80) reach recall@10 ≥ 0.95 on real data.
 * Slabs of 4096 rows or more get a graph; smaller ones and the memtable are searched exactly.
 */
export interface HnswOptions {
  /** Links per node on upper layers (layer 0 keeps 2·M): 2–128. More = better recall, more memory (~8·M bytes a vector). Fixed at creation. */
  M?: number;
  /** Candidate-list size while building: 1–4096 (at least M is used). More = better graph, slower builds. Fixed at creation. */
  efConstruction?: number;
  /** Candidate-list size of a search: 1–10000 (at least topK is used). More = better recall, fewer queries a second. Can be changed later. */
  efSearch?: number;
}

/**
 * Integrated embedding of an index (API 2025-04 `embed`): records upserted as text have the field named by
 * `fieldMap.text` embedded by `model` (with `writeParameters`), and text searches embed the query (with
 * `readParameters`).
 */
export interface IndexEmbed {
  model: string;
  /** `{ text: '<the record field holding the text>' }`. */
  fieldMap: Record<string, string>;
  metric?: Metric;
  dimension?: number;
  vectorType?: VectorType;
  readParameters?: Record<string, unknown>;
  writeParameters?: Record<string, unknown>;
}

export interface CreateIndexForModelOptions {
  name: string;
  cloud: 'aws' | 'gcp' | 'azure';
  region: string;
  embed: Pick<IndexEmbed, 'model' | 'fieldMap' | 'metric' | 'readParameters' | 'writeParameters'>;
  deletionProtection?: DeletionProtection;
  tags?: Record<string, string>;
  /** Accepted for client compatibility; creation is synchronous. */
  waitUntilReady?: boolean;
  suppressConflicts?: boolean;
}

/** A record of an integrated index, as `upsertRecords` takes it: `_id` (or `id`) and fields, one of them the text. */
export type IntegratedRecord = Record<string, unknown>;

export interface SearchRecordsOptions {
  query: {
    topK: number;
    /** Text to embed with the index's model. */
    inputs?: { text?: string };
    /** Or a vector (dense `values`, sparse `sparseValues`/`sparseIndices`), or a stored record's `id`. */
    vector?: { values?: number[]; sparseValues?: number[]; sparseIndices?: number[] };
    id?: string;
    filter?: Filter;
    /** Sparse integrated indexes: keep only hits whose text holds every term. */
    matchTerms?: { strategy?: 'all'; terms: string[] };
  };
  /** Fields to return (default: all). */
  fields?: string[];
  rerank?: { model: string; rankFields: string[]; topN?: number; query?: string; parameters?: Record<string, unknown> };
}

export interface SearchRecordsResponse {
  result: { hits: { _id: string; _score: number; fields: Record<string, unknown> }[] };
  usage: { readUnits: number; embedTotalTokens?: number; rerankUnits?: number };
}

export interface CreateIndexOptions {
  name: string;
  dimension?: number;
  metric?: Metric;
  vectorType?: VectorType;
  deletionProtection?: DeletionProtection;
  tags?: Record<string, string>;
  spec: IndexSpec;
  /** Accepted for client compatibility; creation in LarchDB is synchronous. */
  waitUntilReady?: boolean;
  /** Accepted for client compatibility: an existing index of that name is then not an error. */
  suppressConflicts?: boolean;
  /** HNSW settings (dense indexes only); see {@link HnswOptions}. */
  hnsw?: HnswOptions;
}

export interface ConfigureIndexOptions {
  deletionProtection?: DeletionProtection;
  /** Keys are added or replaced; a key set to `""` is removed. */
  tags?: Record<string, string>;
  /** Only `efSearch` can change after creation; it applies to the next query. */
  hnsw?: Pick<HnswOptions, 'efSearch'>;
  /** A serverless index's read capacity. */
  spec?: { serverless?: { readCapacity?: ReadCapacity } };
  /** Integrated embedding: attach a model (when the index fits it), or change `fieldMap` and parameters (not the model). */
  embed?: Partial<IndexEmbed>;
}

/** An index's spec as describe_index reports it: a serverless index's read capacity comes with its status. */
export type IndexModelSpec = Omit<IndexSpec, 'serverless'> & {
  serverless?: Omit<ServerlessSpec, 'readCapacity'> & { readCapacity: ReadCapacityResponse };
};

export interface IndexModel {
  name: string;
  dimension?: number;
  metric: Metric;
  host: string;
  deletionProtection: DeletionProtection;
  tags?: Record<string, string>;
  spec: IndexModelSpec;
  status: { ready: boolean; state: 'Ready' | 'Initializing' | 'Terminating' };
  vectorType: VectorType;
  /** The HNSW settings given at creation or configured since (absent: all defaults). */
  hnsw?: HnswOptions;
  /** Integrated embedding, for indexes created for a model. */
  embed?: IndexEmbed;
}

export interface IndexList {
  indexes?: IndexModel[];
}
