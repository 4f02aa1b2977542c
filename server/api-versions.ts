/**
 * The version layer: every `X-Pinecone-API-Version` LarchDB speaks, and how each one's wire differs from the
 * canonical shape the routes read and write (2025-10's, produced by wire.ts). A route maps its request body in with
 * `versionOf(req).<message>In` and its answer out with `.<message>Out`; no route checks a version itself.
 *
 *   2024-07 … 2025-04 (clients 3.x–6.x, and no header): 2025-04's shape. The 2025-10 additions (read_capacity and
 *     schema in specs, fullness in stats, namespace schema, total_count) are left out of answers.
 *   2025-10, 2026-04 (7.x, 8.x): canonical.
 *   2026-07 (9.x): control plane in the deployment + schema.fields shape (deployment-2026-07.ts); stats fullness in
 *     camelCase; namespace record counts as strings (int64).
 */
import type { FastifyRequest } from 'fastify';
import { invalidArgument } from '../engine/internal.js';
import { configureFrom2026, createFrom2026, indexModelTo2026 } from './deployment-2026-07.js';

type Json = Record<string, unknown>;

/** Every version accepted, oldest first. */
export const API_VERSIONS = ['2024-07', '2024-10', '2025-01', '2025-04', '2025-10', '2026-04', '2026-07'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];
/** What a request without the header gets (clients 1.x and 2.x send none). */
export const DEFAULT_API_VERSION: ApiVersion = '2025-04';

/** One version's mapping to and from the canonical shape. Identity where absent. */
export interface VersionShape {
  readonly version: ApiVersion;
  createIndexIn(body: Json): Json;
  configureIndexIn(body: Json): Json;
  indexModelOut(model: Json): Json;
  statsOut(stats: Json): Json;
  namespaceOut(ns: Json): Json;
  namespaceListOut(list: Json): Json;
}

const same = (x: Json): Json => x;

/** A copy of `obj` without `keys`. */
function without(obj: Json, keys: readonly string[]): Json {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}

/** 2025-04 and older: the canonical answers without the 2025-10 additions. */
function shapeBefore2025_10(version: ApiVersion): VersionShape {
  const namespaceOut = (n: Json): Json => without(n, ['schema', 'indexed_fields']);
  return {
    version,
    createIndexIn: same,
    configureIndexIn: same,
    indexModelOut: (m) => {
      const spec = m.spec as Json;
      const serverless = spec.serverless as Json | undefined;
      return serverless ? { ...m, spec: { ...spec, serverless: without(serverless, ['read_capacity', 'schema']) } } : m;
    },
    statsOut: (s) => without(s, ['memory_fullness', 'storage_fullness']),
    namespaceOut,
    namespaceListOut: (l) => ({ ...without(l, ['total_count']), namespaces: (l.namespaces as Json[]).map(namespaceOut) }),
  };
}

const CANONICAL = (version: ApiVersion): VersionShape => ({
  version,
  createIndexIn: same,
  configureIndexIn: same,
  indexModelOut: same,
  statsOut: same,
  namespaceOut: same,
  namespaceListOut: same,
});

/** 9.x types int64 counts as strings. */
const namespace2026 = (n: Json): Json => (n.record_count === undefined ? n : { ...n, record_count: String(n.record_count) });

const V2026_07: VersionShape = {
  version: '2026-07',
  createIndexIn: createFrom2026,
  configureIndexIn: configureFrom2026,
  indexModelOut: indexModelTo2026,
  statsOut: (s) => {
    const { memory_fullness, storage_fullness, ...rest } = s;
    return { ...rest, memoryFullness: memory_fullness, storageFullness: storage_fullness };
  },
  namespaceOut: namespace2026,
  namespaceListOut: (l) => ({ ...l, namespaces: (l.namespaces as Json[]).map(namespace2026) }),
};

const SHAPES: Record<ApiVersion, VersionShape> = {
  '2024-07': shapeBefore2025_10('2024-07'),
  '2024-10': shapeBefore2025_10('2024-10'),
  '2025-01': shapeBefore2025_10('2025-01'),
  '2025-04': shapeBefore2025_10('2025-04'),
  '2025-10': CANONICAL('2025-10'),
  '2026-04': CANONICAL('2026-04'),
  '2026-07': V2026_07,
};

/**
 * The version a request asked for.
 * @throws LarchError INVALID_ARGUMENT naming the supported versions.
 */
export function parseApiVersion(header: string | string[] | undefined): VersionShape {
  if (header === undefined) return SHAPES[DEFAULT_API_VERSION];
  const v = String(header).trim();
  if (!(API_VERSIONS as readonly string[]).includes(v)) {
    throw invalidArgument(`Unsupported API version '${v}' in the X-Pinecone-API-Version header. Supported versions: ${API_VERSIONS.join(', ')}.`);
  }
  return SHAPES[v as ApiVersion];
}

/** The shape of the request's version (set by the version hook in headers.ts). */
export function versionOf(req: FastifyRequest): VersionShape {
  return (req as FastifyRequest & { apiVersion?: VersionShape }).apiVersion ?? SHAPES[DEFAULT_API_VERSION];
}

/** Records the request's version for {@link versionOf}. */
export function setVersion(req: FastifyRequest, shape: VersionShape): void {
  (req as FastifyRequest & { apiVersion?: VersionShape }).apiVersion = shape;
}
