/**
 * Pinecone Local's index-emulator mode (the `pinecone-index` image, API-DIGEST §25): the environment names one
 * index, `larchdb serve` creates it (or reuses it from the data directory) and serves its data plane at the root of the
 * port, so a client given `http://localhost:5081` as the index host calls `/vectors/upsert`, `/query`,
 * `/describe_index_stats` … directly. The root data plane is the same route plugin as `/index/<name>`, mounted a
 * second time with the index name fixed; the control plane and `/index/<name>` stay available on the same port.
 */
import type { FastifyInstance } from 'fastify';
import { LarchError, type IndexModel, type IndexSpec, type LarchDB, type Metric, type VectorType } from '../engine/index.js';
import { MAX_DIMENSION, validateIndexName } from '../engine/internal.js';
import { registerDataRoutes } from './data-routes.js';
import { errorBody, toWireError } from './errors.js';

/** Setting any of these (to a non-empty value) turns emulator mode on. */
export const EMULATOR_TRIGGERS = ['DIMENSION', 'INDEX_TYPE', 'VECTOR_TYPE'] as const;
/** Port of the emulator when neither `--port` nor `PORT` is given, as in Pinecone's examples. */
export const EMULATOR_DEFAULT_PORT = 5081;
export const EMULATOR_DEFAULT_INDEX_NAME = 'index';

/** The index the environment asks for. */
export interface EmulatorConfig {
  name: string;
  indexType: 'serverless' | 'pod';
  vectorType: VectorType;
  /** Absent for sparse indexes. */
  dimension?: number;
  metric: Metric;
  /** From `PORT`; absent when `PORT` is not set. */
  port?: number;
}

/** A bad environment value; the message names the variable. */
export class EmulatorEnvError extends Error {}

type Env = Record<string, string | undefined>;

/** A variable's value, trimmed; empty counts as unset. */
function read(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/** True when the environment asks for emulator mode (see {@link EMULATOR_TRIGGERS}). */
export function emulatorRequested(env: Env): boolean {
  return EMULATOR_TRIGGERS.some((name) => read(env, name) !== undefined);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) {
    throw new EmulatorEnvError(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  }
  return v as T;
}

function integer(env: Env, name: string): number | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new EmulatorEnvError(`${name} must be a non-negative integer, got '${raw}'`);
  return Number(raw);
}

/**
 * Reads and validates `INDEX_NAME`, `INDEX_TYPE`, `VECTOR_TYPE`, `DIMENSION`, `METRIC` and `PORT`.
 * @throws EmulatorEnvError naming the variable at fault.
 */
export function parseEmulatorEnv(env: Env): EmulatorConfig {
  const name = read(env, 'INDEX_NAME') ?? EMULATOR_DEFAULT_INDEX_NAME;
  try {
    validateIndexName(name);
  } catch (err) {
    throw new EmulatorEnvError(`INDEX_NAME: ${(err as Error).message}`);
  }
  const indexType = oneOf(env, 'INDEX_TYPE', ['serverless', 'pod'] as const, 'serverless');
  const vectorType = oneOf(env, 'VECTOR_TYPE', ['dense', 'sparse'] as const, 'dense');
  const dimension = integer(env, 'DIMENSION');
  const metric = oneOf(env, 'METRIC', ['cosine', 'euclidean', 'dotproduct'] as const, vectorType === 'sparse' ? 'dotproduct' : 'cosine');
  const port = integer(env, 'PORT');
  if (port !== undefined && port > 65535) throw new EmulatorEnvError(`PORT must be an integer from 0 to 65535, got '${read(env, 'PORT')}'`);

  const cfg: EmulatorConfig = { name, indexType, vectorType, metric };
  if (port !== undefined) cfg.port = port;
  if (vectorType === 'sparse') {
    if (indexType === 'pod') throw new EmulatorEnvError('VECTOR_TYPE=sparse needs INDEX_TYPE=serverless: sparse indexes are serverless only');
    if (dimension !== undefined && dimension !== 0) throw new EmulatorEnvError(`DIMENSION must be 0 (or unset) when VECTOR_TYPE=sparse, got '${dimension}'`);
    if (metric !== 'dotproduct') throw new EmulatorEnvError(`METRIC must be dotproduct when VECTOR_TYPE=sparse, got '${metric}'`);
    return cfg;
  }
  if (dimension === undefined) throw new EmulatorEnvError(`DIMENSION is required for a dense index: an integer from 1 to ${MAX_DIMENSION}`);
  if (dimension < 1 || dimension > MAX_DIMENSION) {
    throw new EmulatorEnvError(`DIMENSION must be an integer from 1 to ${MAX_DIMENSION} for a dense index, got '${dimension}'`);
  }
  cfg.dimension = dimension;
  return cfg;
}

/** The spec an emulated index is created with. */
function specOf(cfg: EmulatorConfig): IndexSpec {
  return cfg.indexType === 'pod'
    ? { pod: { environment: 'us-east-1-aws', podType: 'p1.x1', pods: 1, replicas: 1, shards: 1 } }
    : { serverless: { cloud: 'aws', region: 'us-east-1' } };
}

function describe(m: { vectorType: VectorType; dimension?: number; metric: Metric; spec: IndexSpec }): string {
  const kind = m.spec.pod ? 'pod' : m.spec.serverless ? 'serverless' : 'byoc';
  return `${m.vectorType}${m.dimension === undefined ? '' : `, dimension ${m.dimension}`}, metric ${m.metric}, ${kind}`;
}

/**
 * Creates the index `cfg` describes, or reuses one of that name already in the data directory if it matches
 * (vector type, dimension, metric, serverless/pod).
 * @throws Error when an index of that name exists with another configuration.
 */
export async function ensureEmulatorIndex(db: LarchDB, cfg: EmulatorConfig): Promise<{ model: IndexModel; created: boolean }> {
  const wanted = { vectorType: cfg.vectorType, dimension: cfg.dimension, metric: cfg.metric, spec: specOf(cfg) };
  let existing: IndexModel | undefined;
  try {
    existing = await db.describeIndex(cfg.name);
  } catch (err) {
    if (!(err instanceof LarchError && err.code === 'NOT_FOUND')) throw err;
  }
  if (existing) {
    if (describe(existing) !== describe(wanted)) {
      throw new Error(
        `index '${cfg.name}' already exists in the data directory as ${describe(existing)}, but the environment asks for ` +
          `${describe(wanted)}; set INDEX_NAME to another name, use another --data directory, or delete the index`,
      );
    }
    return { model: existing, created: false };
  }
  const model = await db.createIndex({ name: cfg.name, spec: wanted.spec, vectorType: cfg.vectorType, metric: cfg.metric, ...(cfg.dimension === undefined ? {} : { dimension: cfg.dimension }) });
  return { model, created: true };
}

/**
 * Mounts the data plane of index `name` at the root of `app` (`/query`, `/vectors/upsert` …): the same routes as
 * `/index/<name>`, with the index parameter fixed. Errors on these routes use the data-plane shape. Call before
 * `listen()`; none of these paths collides with the control plane's.
 */
export function registerEmulatorRoutes(app: FastifyInstance, db: LarchDB, name: string): void {
  app.register(async (scope) => {
    scope.addHook('onRequest', async (req) => {
      req.params = { ...(req.params as object), index: name };
    });
    // The app-wide handler picks the error shape by path prefix; these routes are data plane at the root.
    scope.setErrorHandler((err, req, reply) => {
      const e = toWireError(err, 'data');
      if (e.status === 500) req.log.error({ err }, 'request failed');
      return reply.code(e.status).type('application/json').send(errorBody('data', e));
    });
    registerDataRoutes(scope, db);
  });
}
