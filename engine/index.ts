/**
 * LarchDB's programmatic API: `import { LarchDB } from 'larchdb'`.
 * @packageDocumentation
 */
export { LarchDB, type OpenOptions } from './database.js';
export { Index } from './index-handle.js';
export type { ModelInfo } from './core/models.js';
export type { Inference, EmbeddingsList, DenseEmbedding, SparseEmbedding, RerankOptions, RerankResult, RankedDocument } from './inference.js';
export { LarchError, type ErrorCode } from './core/errors.js';
export type { Durability } from './core/settings.js';
export type * from './core/types.js';
export type { SupervisorStats } from '../actors/main/supervisor.js';
export type { NamespaceStorageInfo } from '../actors/shared/host-api.js';
