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
}

export interface ConfigureIndexOptions {
  deletionProtection?: DeletionProtection;
  /** Keys are added or replaced; a key set to `""` is removed. */
  tags?: Record<string, string>;
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
}

export interface IndexList {
  indexes?: IndexModel[];
}
