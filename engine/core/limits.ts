/** Pinecone's documented limits (API-DIGEST §8, §9, §11, §13) and the names LarchDB gives defaults. */

/** Records per upsert. */
export const MAX_BATCH = 1000;
/** Bytes of one request (over HTTP the JSON body; in-process the binary batch, 4 bytes a float). */
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
/** Bytes of one record's metadata as JSON. */
export const MAX_METADATA_BYTES = 40 * 1024;
export const MAX_ID_LENGTH = 512;
export const MAX_NAMESPACE_LENGTH = 512;
export const MAX_DIMENSION = 20000;
export const MAX_SPARSE_NNZ = 2048;
/** Largest topK a query may ask for (API-DIGEST §9.1). */
export const MAX_TOP_K = 10_000;
export const MAX_FETCH_IDS = 1000;
export const MAX_DELETE_IDS = 1000;
export const MAX_LIST_LIMIT = 1000;
/** Upper bound of a query's maxCandidates hint (API 2025-10). */
export const MAX_CANDIDATES = 100_000;
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_INDEX_NAME_LENGTH = 45;
export const MAX_TAG_KEY_LENGTH = 80;
export const MAX_TAG_VALUE_LENGTH = 120;
/** The namespace of records written without one (`''` reaches it too). */
export const DEFAULT_NAMESPACE = '__default__';
