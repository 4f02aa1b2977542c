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

export interface UpdateOptions<T extends RecordMetadata = RecordMetadata> {
  id: string;
  values?: RecordValues;
  sparseValues?: RecordSparseValues;
  /** Merged into the stored metadata key by key. */
  metadata?: Partial<T>;
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
}

export interface NamespaceDescription {
  name: string;
  recordCount: number;
}

export interface ListNamespacesResponse {
  namespaces: NamespaceDescription[];
  pagination?: { next?: string };
}

export interface ServerlessSpec {
  cloud: 'aws' | 'gcp' | 'azure';
  region: string;
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
}

export interface IndexModel {
  name: string;
  dimension?: number;
  metric: Metric;
  host: string;
  deletionProtection: DeletionProtection;
  tags?: Record<string, string>;
  spec: IndexSpec;
  status: { ready: boolean; state: 'Ready' | 'Initializing' | 'Terminating' };
  vectorType: VectorType;
  /** The HNSW settings given at creation or configured since (absent: all defaults). */
  hnsw?: HnswOptions;
}

export interface IndexList {
  indexes?: IndexModel[];
}
