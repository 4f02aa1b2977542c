/**
 * The one internal entry, for LarchDB's own HTTP server (`server/`) and benchmarks (`bench/`): what they need beyond
 * the public API (index.ts), without reaching into the layers below. Not part of the package's exports.
 */

// Request handling in the server: limits, validation and the record frame the server encodes upserts into.
export { invalidArgument, notFound, unsupported, type SerializedError } from './core/errors.js';
export { compileFilter } from './core/filter.js';
export { METRIC_CODE, type IndexConfig } from './core/index-config.js';
export * from './core/limits.js';
export { MAX_MEMTABLE_BYTES, DEFAULTS } from './core/settings.js';
export { validateIndexName } from './core/validation/control.js';
export { validateUpsert } from './core/validation/data.js';
export { encodeRecords } from './storage/record-frame.js';
// Answers with values: read from shared memory on whichever thread encodes them (server/response-encode.ts).
export { fetchResponse, fetchedFloats, fillValues, type DeferredRows, type FetchedRows } from '../actors/shared/row-values.js';

// Benchmarks and their data: the seeded PRNG, checksums, and the kernel-level pieces timed without the engine.
export { prng } from './core/prng.js';
export { crc32c } from './storage/crc32c.js';
export { alignUp } from '../actors/shared/align.js';
export { Arena } from '../actors/shared/arena.js';
export type { HnswHandle } from '../actors/shared/hnsw-layout.js';
export { WalkModel, searchPlaced } from '../actors/shared/hnsw-search.js';
export { buildHnsw, buildHnswParallel, type HnswBuildOptions } from '../actors/builder/hnsw-build.js';
export { KernelMetric, createArenaMemory, instantiateKernels, type Kernels } from '../wasm/kernels.js';
