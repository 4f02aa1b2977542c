/**
 * What a namespace host answers to (its API, called over host-rpc.ts) and the shapes of its answers: the contract between the main
 * thread's HostHandle (actors/main) and the host thread (actors/host). Vector payloads do not travel here: writes and
 * query vectors go through the host's ring, values are read from arena memory.
 */
import type { MessagePort } from 'node:worker_threads';
import type { IndexConfig } from '../../engine/core/index-config.js';
import type { SerializedError } from '../../engine/core/errors.js';
import type { Settings } from '../../engine/core/settings.js';
import type { MetadataSchema, RecordMetadata } from '../../engine/core/types.js';
import type { ReplayReport } from '../../engine/storage/request-log.js';
import type { ArenaView } from './arena.js';
import type { PlanHit, PlanRequest, PlanResult } from './query-plan.js';

/** Every host method answers `{ ok }` or `{ err }`: a thrown LarchError would lose its code and status crossing threads. */
export type Reply<T> = { ok: T } | { err: SerializedError };

/** What a host is started with. */
export interface HostInit {
  /** The ring the main thread writes vector payloads into. */
  ring: SharedArrayBuffer;
  /** This host's slot among `hosts`: it serves the namespaces that route to it (routing.ts). */
  slot: number;
  hosts: number;
  settings: Settings;
}

/** A write's outcome once durable and applied (`lsn` 0: the namespace did not exist, nothing was done). */
export interface Applied<T> {
  lsn: number;
  value: T;
}

export interface FetchedRow {
  id: string;
  /** Index into the answer's views. */
  view: number;
  row: number;
  metadata?: RecordMetadata;
}

export interface FetchResult {
  rows: FetchedRow[];
  views: ArenaView[];
}

export interface ListResult {
  ids: string[];
  /** More ids with the prefix follow the last one. */
  more: boolean;
}

/** The ids (and metadata) of a query's winning rows. */
export interface Hydrated {
  ids: string[];
  metadata?: (RecordMetadata | undefined)[];
}

/** What describe_namespace shows of a namespace. */
export interface NamespaceInfo {
  recordCount: number;
  schema?: MetadataSchema;
  /** Fields filters can use (left out of listings: it reads every memtable row). */
  indexedFields?: string[];
}

/** A page of records matching a filter, read as a fetch reads them. */
export interface FetchMatchingResult {
  fetched: FetchResult;
  /** More matching records follow the last one. */
  more: boolean;
}

/** Storage state of a namespace (see `LarchDB.storageInfo`). */
export interface NamespaceStorageInfo {
  /** Segments in memory: slabs, frozen memtables waiting for their slab, and the memtable. */
  segments: number;
  slabs: number;
  /** Live records per slab, oldest first. */
  slabRows: number[];
  /** Bytes of each slab's HNSW graph, oldest first (0: the slab is searched exactly). */
  slabGraphBytes: number[];
  frozen: number;
  memtableRows: number;
  /** Last applied LSN. */
  lsn: number;
  /** Memtables written out as slabs (several queued ones may make one slab), and slab merges, since the namespace was opened. */
  flushes: number;
  merges: number;
  /** Merges that extended their largest input's HNSW graph instead of building one from nothing. */
  graphsExtended: number;
  /**
   * Writes to the request log since the namespace was opened, and the rounds that made them durable: one write
   * call (and, with durability `fsync`, one flush to disk) per round, so fewer rounds than writes is group commit.
   */
  logWrites: number;
  logRounds: number;
  /**
   * Background work is running or due: a flush, merge or manifest job, or an idle flush or a merge waiting for the
   * namespace's quiet time.
   * With `frozen: 0` and `busy: false` the namespace has settled.
   */
  busy: boolean;
  /** Last background (flush, merge, manifest) error since the last success. */
  backgroundError: string | null;
  /** What recovery found in the request log on open (null for a namespace created since). */
  recovery: ReplayReport | null;
}

/**
 * The host's methods. A method that takes a frame reads it from the ring when its message arrives, or from `big`
 * (a SharedArrayBuffer of its own) when the frame was larger than a ring frame.
 */
export interface HostApi {
  init(init: HostInit): void;
  /** The job port of index builder `slot` (again after that builder restarts). */
  connectBuilder(slot: number, port: MessagePort): void;
  /** Recovers the index's namespaces that route to this host; answers how many. */
  openIndex(cfg: IndexConfig): Promise<number>;
  configureIndex(cfg: IndexConfig): void;
  dropIndex(index: string): Promise<void>;
  /** Frame: the records; `crc` is the frame's CRC-32C (computed by the main thread as it wrote the frame). */
  upsert(index: string, ns: string, crc: number, big?: SharedArrayBuffer): Promise<Applied<number>>;
  /** Frame: one record; the parts present are the parts to change. `crc` as for upsert. */
  update(index: string, ns: string, crc: number, big?: SharedArrayBuffer): Promise<Applied<undefined>>;
  deleteIds(index: string, ns: string, ids: string[]): Promise<Applied<undefined>>;
  deleteByFilter(index: string, ns: string, filter: unknown): Promise<Applied<number | undefined>>;
  deleteAll(index: string, ns: string): Promise<Applied<undefined>>;
  /** Merges metadata into every record matching the filter (one logged write); answers how many matched. */
  updateByFilter(index: string, ns: string, filter: unknown, metadata: RecordMetadata): Promise<Applied<number | undefined>>;
  /** Creates an empty namespace, durable on return; answers false when it exists already. */
  createNamespace(index: string, ns: string, schema: MetadataSchema | undefined): Promise<boolean>;
  /** Answers whether the namespace existed. */
  deleteNamespace(index: string, ns: string): Promise<boolean>;
  /** Frame (when `hasQuery`): the query vector as a one-record frame. */
  plan(index: string, ns: string, req: PlanRequest, hasQuery: boolean): PlanResult | Promise<PlanResult>;
  /** Maps a plan's winning rows to ids (and metadata) and frees the plan's scratch. */
  hydrate(index: string, ns: string, planId: number, hits: PlanHit[], includeMetadata: boolean): Promise<Hydrated>;
  /** Frees the scratch of a plan whose query failed. */
  release(index: string, ns: string, planId: number): void;
  fetch(index: string, ns: string, ids: string[]): Promise<FetchResult> | null;
  /** Null: the namespace does not exist. */
  fetchMatching(index: string, ns: string, filter: unknown, limit: number, after: string | undefined): Promise<FetchMatchingResult> | null;
  /** Records matching `filter` in one namespace (0 when it does not exist). */
  countMatching(index: string, ns: string, filter: unknown): Promise<number> | number;
  /** This host's namespaces of an index (only `ns` when given, then with its indexed fields). */
  namespaces(index: string, ns: string | undefined): Promise<Record<string, NamespaceInfo>>;
  list(index: string, ns: string, prefix: string, limit: number, after: string | undefined): ListResult | Promise<ListResult>;
  /** Record counts of this host's namespaces of an index (matching `filter` when given). */
  stats(index: string, filter: unknown): Promise<Record<string, number>>;
  storageInfo(index: string, ns: string): NamespaceStorageInfo | null;
  /** Freezes the memtables of an index (or one namespace) and waits until they are slabs. */
  flush(index: string, ns?: string): Promise<void>;
  /** Drains every namespace's writes and closes its files. */
  close(): Promise<void>;
  /** Fault injection for tests: the thread dies as a crash would kill it. */
  crash(): void;
}
