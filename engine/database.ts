/**
 * `LarchDB`: the in-process database. Owns the catalog and the supervisor; control-plane verbs live here, data
 * verbs on {@link Index}. Shaped like the official client's `Pinecone` class.
 */
import { resolve } from 'node:path';
import { rm } from 'node:fs/promises';
import { Catalog } from './storage/catalog.js';
import { acquireDirLock, type DirLock } from './storage/dir-lock.js';
import { LarchError, alreadyExists, forbidden, invalidArgument, notFound } from './core/errors.js';
import type { IndexConfig } from './core/index-config.js';
import { Index, type EngineContext } from './index-handle.js';
import type { ConfigureIndexOptions, CreateIndexOptions, IndexList, IndexModel, RecordMetadata } from './core/types.js';
import { validateConfigureIndex, validateCreateIndex, validateIndexName } from './core/validation.js';
import { Supervisor, type SupervisorStats } from '../actors/main/supervisor.js';
import { indexDir } from '../actors/shared/routing.js';
import type { Durability } from './storage/request-log.js';
import { sweepDataDir } from './storage/sweep.js';

const MAX_MEMTABLE_BYTES = 1 << 30;

/** Options of {@link LarchDB.open}. */
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
  /** Memtable size (bytes of write payloads) at which a namespace writes it out as a slab. Default 32 MiB, at most 1 GiB. */
  memtableBytes?: number;
  /**
   * Slabs with at least this many records get an HNSW graph and are searched approximately; smaller ones, and the
   * memtable, are searched exactly. Default 4096; a very large value keeps every search exact.
   */
  hnswMinRows?: number;
  /** The `host` reported for an index (the server sets its own address here). */
  hostFor?: (index: string) => string;
}

/** An embedded LarchDB: open a data directory (or memory), then the same verbs as the official Pinecone client. */
export class LarchDB {
  private closed = false;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly ctx: EngineContext;

  private constructor(
    private readonly catalog: Catalog,
    private readonly sup: Supervisor,
    private readonly dirLock: DirLock | null,
    private readonly hostFor: (index: string) => string,
    readonly path: string | null,
  ) {
    this.ctx = {
      supervisor: () => this.live(),
      config: (name) => this.config(name),
    };
  }

  /** Opens (creating if needed) a data directory, loads its indexes and starts the actor threads. */
  static async open(options: OpenOptions = {}): Promise<LarchDB> {
    const mt = options.memtableBytes;
    // A memtable lives in one wasm32 memory (4 GiB) with its dead rows: a write must never find it full after it was logged.
    if (mt !== undefined && !(Number.isInteger(mt) && mt >= 1 && mt <= MAX_MEMTABLE_BYTES)) {
      throw invalidArgument(`memtableBytes must be an integer from 1 to ${MAX_MEMTABLE_BYTES} (1 GiB), got ${mt}.`);
    }
    if (options.durability !== undefined && options.durability !== 'fsync' && options.durability !== 'none') {
      throw invalidArgument(`durability must be 'fsync' or 'none', got ${String(options.durability)}.`);
    }
    const mr = options.hnswMinRows;
    if (mr !== undefined && !(Number.isInteger(mr) && mr >= 1)) throw invalidArgument(`hnswMinRows must be a positive integer, got ${mr}.`);
    const path = options.path === ':memory:' ? null : resolve(options.path ?? './larch-data');
    const dirLock = path ? await acquireDirLock(path) : null;
    try {
      const catalog = await Catalog.load(path);
      if (path) await sweepDataDir(path, new Set(catalog.list().map((c) => c.name)));
      const sup = await Supervisor.start({
        dataDir: path,
        hosts: options.actorThreads,
        executors: options.queryThreads,
        builders: options.builderThreads,
        durability: options.durability,
        memtableBytes: options.memtableBytes,
        hnswMinRows: options.hnswMinRows,
        indexes: () => catalog.list(),
      });
      try {
        for (const cfg of catalog.list()) await Promise.all(sup.allHosts().map((h) => h.call.openIndex(cfg)));
      } catch (err) {
        await sup.shutdown();
        throw err;
      }
      return new LarchDB(catalog, sup, dirLock, options.hostFor ?? ((name) => `${name}.larchdb.local`), path);
    } catch (err) {
      await dirLock?.release();
      throw err;
    }
  }

  private live(): Supervisor {
    if (this.closed) throw new LarchError('FAILED_PRECONDITION', 'This LarchDB has been closed.');
    return this.sup;
  }

  private config(name: string): IndexConfig {
    this.live();
    const cfg = this.catalog.get(name);
    if (!cfg) throw notFound(`Index ${name} not found.`);
    return cfg;
  }

  /** Runs control-plane changes one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.lock.then(fn);
    this.lock = r.catch(() => undefined);
    return r;
  }

  private model(cfg: IndexConfig): IndexModel {
    const m: IndexModel = {
      name: cfg.name,
      metric: cfg.metric,
      host: this.hostFor(cfg.name),
      deletionProtection: cfg.deletionProtection,
      spec: cfg.spec,
      status: { ready: true, state: 'Ready' },
      vectorType: cfg.vectorType,
    };
    if (cfg.dimension !== undefined) m.dimension = cfg.dimension;
    if (cfg.tags && Object.keys(cfg.tags).length > 0) m.tags = cfg.tags;
    if (cfg.hnsw) m.hnsw = { ...cfg.hnsw };
    return m;
  }

  /** Creates an index; it is ready when this resolves. */
  createIndex(options: CreateIndexOptions): Promise<IndexModel> {
    return this.serial(async () => {
      const sup = this.live();
      const cfg = validateCreateIndex(options);
      const existing = this.catalog.get(cfg.name);
      if (existing) {
        if (options.suppressConflicts) return this.model(existing);
        throw alreadyExists(`Resource already exists: an index named ${cfg.name} exists.`);
      }
      if (this.path) await rm(indexDir(this.path, cfg.name), { recursive: true, force: true });
      await this.catalog.put(cfg);
      await Promise.all(sup.allHosts().map((h) => h.call.openIndex(cfg)));
      return this.model(cfg);
    });
  }

  async describeIndex(name: string): Promise<IndexModel> {
    return this.model(this.config(validateIndexName(name)));
  }

  async listIndexes(): Promise<IndexList> {
    this.live();
    return { indexes: this.catalog.list().map((c) => this.model(c)) };
  }

  /** Changes deletion protection, tags (a tag set to `""` is removed) and the HNSW efSearch of later queries. */
  configureIndex(name: string, options: ConfigureIndexOptions): Promise<IndexModel> {
    return this.serial(async () => {
      const cfg = { ...this.config(validateIndexName(name)) };
      const change = validateConfigureIndex(options);
      if (change.deletionProtection !== undefined) cfg.deletionProtection = change.deletionProtection;
      if (change.tags !== undefined) {
        const tags = { ...cfg.tags };
        for (const [k, v] of Object.entries(change.tags)) {
          if (v === '') delete tags[k];
          else tags[k] = v;
        }
        cfg.tags = tags;
      }
      if (change.hnsw?.efSearch !== undefined) cfg.hnsw = { ...cfg.hnsw, efSearch: change.hnsw.efSearch };
      await this.catalog.put(cfg);
      await Promise.all(this.live().allHosts().map((h) => h.call.configureIndex(cfg)));
      return this.model(cfg);
    });
  }

  /** Deletes an index and all its data. Refused while deletion protection is enabled. */
  deleteIndex(name: string): Promise<void> {
    return this.serial(async () => {
      const cfg = this.config(validateIndexName(name));
      if (cfg.deletionProtection === 'enabled') {
        throw forbidden(`Deletion protection is enabled for index ${cfg.name}. Disable deletion protection before retrying.`);
      }
      await this.catalog.remove(cfg.name);
      await Promise.all(this.live().allHosts().map((h) => h.call.dropIndex(cfg.name)));
      if (this.path) await rm(indexDir(this.path, cfg.name), { recursive: true, force: true });
    });
  }

  /** A handle on an index's data plane (default namespace; `.namespace(ns)` for others). */
  index<T extends RecordMetadata = RecordMetadata>(name: string): Index<T> {
    return new Index<T>(this.ctx, name);
  }

  /** @internal The stored settings of an index (NOT_FOUND when it does not exist). */
  indexConfig(name: string): IndexConfig {
    return this.config(name);
  }

  /** @internal Runs `task` on the executor pool with the default export of the module at `filename`. */
  offload<T>(filename: string, task: unknown): Promise<T> {
    return this.live().offload<T>(filename, task);
  }

  /**
   * Writes every memtable of an index (or of one namespace) out as a slab and waits until the slabs are durable
   * and published. Not needed for durability (the request log already is); useful before a backup, or to make
   * the next open faster.
   */
  async flush(index: string, namespace?: string): Promise<void> {
    const cfg = this.config(validateIndexName(index));
    const hosts = namespace === undefined ? this.live().allHosts() : [this.live().host(cfg.name, namespace)];
    await Promise.all(hosts.map((h) => h.call.flush(cfg.name, namespace)));
  }

  /** Segments, slabs and applied LSN of one namespace (null when it does not exist). */
  async storageInfo(index: string, namespace = '__default__') {
    const cfg = this.config(validateIndexName(index));
    return this.live().host(cfg.name, namespace).call.storageInfo(cfg.name, namespace);
  }

  /** Thread counts and restart counters of the actor runtime. */
  diagnostics(): SupervisorStats {
    return this.live().stats();
  }

  /** Fault injection, for tests of crash handling. */
  readonly faults = {
    /** The next `n` query scan tasks kill their executor thread halfway through. */
    crashQueryExecutors: (n = 1): void => this.live().injectExecutorCrashes(n),
    /** Kills the namespace-host thread that owns (index, namespace). */
    crashNamespaceHost: async (index: string, namespace = '__default__'): Promise<void> => {
      await this.live().host(index, namespace).call.crash();
    },
    /** Kills index builder `slot` (it is restarted; its jobs are retried). */
    crashIndexBuilder: (slot = 0): Promise<void> => this.live().crashBuilder(slot),
  };

  /** Lets in-flight writes finish, closes every file, stops the threads and releases the data directory. */
  close(): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      this.closed = true;
      try {
        await this.sup.shutdown();
      } finally {
        await this.dirLock?.release();
      }
    });
  }
}
