/**
 * Every option of {@link OpenOptions} resolved once, with its default, into one plain {@link Settings} object that
 * travels down to every actor thread unchanged (the supervisor, each namespace host and its actors read it as is).
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { invalidArgument } from './errors.js';

/** `fsync`: a write is acknowledged once on disk. `none`: once the OS has it (lost on power failure, not on kill -9). */
export type Durability = 'fsync' | 'none';

/** Options of `LarchDB.open`. */
export interface OpenOptions {
  /** Data directory, or `':memory:'` for a database that keeps nothing. Default `./larch-data`. */
  path?: string;
  /** Namespace-host threads (default 1). */
  actorThreads?: number;
  /** Query-executor threads (default: the number of cores). */
  queryThreads?: number;
  /** Index-builder threads (default 1): they turn full memtables into slabs and merge slabs. */
  builderThreads?: number;
  /**
   * `fsync` (default): a write is acknowledged once it is on disk; nothing acknowledged is lost to a crash or a
   * power failure. `none`: acknowledged once the OS has it; survives the process being killed, but a power failure
   * or OS crash may lose the last writes.
   */
  durability?: Durability;
  /**
   * Memtable size (bytes of write payloads) at which a namespace writes it out as a slab. Default 16 MiB, at most
   * 1 GiB. The memtable, and a frozen one waiting for its graph, are searched exactly: queries right after a bulk
   * load, while its graphs were built, took p99 8.0 ms at 32 MiB and 1.9 ms at 16 MiB (100k × 384, c=1; 0.6 ms once
   * settled); folding memtables into one slab (compaction.ts) keeps the extra flushes cheap.
   */
  memtableBytes?: number;
  /**
   * Slabs with at least this many records get an HNSW graph and are searched approximately; smaller ones, and the
   * memtable, are searched exactly. Default 4096; a very large value keeps every search exact.
   */
  hnswMinRows?: number;
  /**
   * A namespace whose memtable holds at least `hnswMinRows` records and that gets no write for this many ms writes
   * the memtable out as a slab (with its graph) in the background, so data that went quiet is searched through a
   * graph instead of exactly. Default 1000; 0 turns it off (the memtable then waits until it fills).
   */
  idleFlushMs?: number;
  /**
   * Full memtables that may wait for the index builder at once (default 1). When that many wait and the memtable fills
   * again, writes wait for the builder: a long load then goes at the pace of graph builds (as merges throttle
   * indexing elsewhere), its memory stays bounded, and a query never scans more than this many frozen memtables
   * exactly besides the memtable. Raise it to absorb bursts of writes at the price of slower queries meanwhile.
   */
  maxFrozenMemtables?: number;
  /** The `host` reported for an index (the server sets its own address here). */
  hostFor?: (index: string) => string;
  /** Where inference models are loaded from (`<dir>/<org>/<name>/onnx/model.onnx` …). Default `./larch-models`. */
  modelsDir?: string;
  /**
   * Let a model missing from `modelsDir` be downloaded from the Hugging Face hub into it (through
   * @huggingface/transformers). Default false: nothing is ever downloaded, a missing model is a clear error.
   */
  allowModelDownloads?: boolean;
  /** Inference worker threads (default 1), separate from the query executors. */
  inferenceThreads?: number;
}

/** Resolved options: plain data, posted to every actor thread. */
export interface Settings {
  /** Absolute data directory; null keeps everything in memory. */
  dataDir: string | null;
  hostThreads: number;
  queryThreads: number;
  builderThreads: number;
  durability: Durability;
  memtableBytes: number;
  hnswMinRows: number;
  idleFlushMs: number;
  maxFrozenMemtables: number;
  /** Absolute models directory. */
  modelsDir: string;
  allowModelDownloads: boolean;
  inferenceThreads: number;
  /** Bytes of each host's ring (main thread to host). */
  ringBytes: number;
  /** Messages an actor's mailbox holds before it answers RESOURCE_EXHAUSTED. */
  mailboxLimit: number;
}

/** A memtable lives in one wasm32 memory (4 GiB) with its dead rows: a write must never find it full after it was logged. */
export const MAX_MEMTABLE_BYTES = 1 << 30;

/**
 * Slabs with fewer rows stay exact. Measured (one thread, k 10, clustered data, graph at ef 80 vs an exact scan):
 * 128-d 1k rows 25 vs 20 µs, 2k 25 vs 48, 4k 33 vs 78; 768-d 1k 72 vs 97, 2k 84 vs 190, 4k 172 vs 377. The graph wins
 * from ~1.5k rows; below 4096 the gain per query is a few tens of µs, not worth a build (0.1–1 s) per slab.
 */
export const HNSW_MIN_ROWS = 4096;

/** Defaults of everything but the data directory and the executor count (which depend on the call and the machine). */
export const DEFAULTS = {
  path: './larch-data',
  hostThreads: 1,
  builderThreads: 1,
  durability: 'fsync',
  memtableBytes: 16 << 20,
  hnswMinRows: HNSW_MIN_ROWS,
  idleFlushMs: 1000,
  maxFrozenMemtables: 1,
  modelsDir: './larch-models',
  inferenceThreads: 1,
  ringBytes: 8 << 20,
  mailboxLimit: 4096,
} as const;

/** The `host` reported for an index when the caller gives no `hostFor`. */
export const defaultIndexHost = (index: string): string => `${index}.larchdb.local`;

/** Validates `o` and fills in every default. */
export function resolveSettings(o: OpenOptions = {}): Settings {
  const mt = o.memtableBytes;
  if (mt !== undefined && !(Number.isInteger(mt) && mt >= 1 && mt <= MAX_MEMTABLE_BYTES)) {
    throw invalidArgument(`memtableBytes must be an integer from 1 to ${MAX_MEMTABLE_BYTES} (1 GiB), got ${mt}.`);
  }
  if (o.durability !== undefined && o.durability !== 'fsync' && o.durability !== 'none') {
    throw invalidArgument(`durability must be 'fsync' or 'none', got ${String(o.durability)}.`);
  }
  const mr = o.hnswMinRows;
  if (mr !== undefined && !(Number.isInteger(mr) && mr >= 1)) throw invalidArgument(`hnswMinRows must be a positive integer, got ${mr}.`);
  const idle = o.idleFlushMs;
  if (idle !== undefined && !(Number.isInteger(idle) && idle >= 0 && idle <= 86_400_000)) {
    throw invalidArgument(`idleFlushMs must be an integer from 0 (off) to 86400000 (a day), got ${idle}.`);
  }
  const mf = o.maxFrozenMemtables;
  if (mf !== undefined && !(Number.isInteger(mf) && mf >= 1 && mf <= 64)) {
    throw invalidArgument(`maxFrozenMemtables must be an integer from 1 to 64, got ${mf}.`);
  }
  return {
    dataDir: o.path === ':memory:' ? null : resolve(o.path ?? DEFAULTS.path),
    hostThreads: Math.max(1, o.actorThreads ?? DEFAULTS.hostThreads),
    queryThreads: Math.max(1, o.queryThreads ?? availableParallelism()),
    builderThreads: Math.max(1, o.builderThreads ?? DEFAULTS.builderThreads),
    durability: o.durability ?? DEFAULTS.durability,
    memtableBytes: mt ?? DEFAULTS.memtableBytes,
    hnswMinRows: mr ?? DEFAULTS.hnswMinRows,
    idleFlushMs: idle ?? DEFAULTS.idleFlushMs,
    maxFrozenMemtables: mf ?? DEFAULTS.maxFrozenMemtables,
    modelsDir: resolve(o.modelsDir ?? DEFAULTS.modelsDir),
    allowModelDownloads: o.allowModelDownloads === true,
    inferenceThreads: Math.max(1, o.inferenceThreads ?? DEFAULTS.inferenceThreads),
    ringBytes: DEFAULTS.ringBytes,
    mailboxLimit: DEFAULTS.mailboxLimit,
  };
}
