/**
 * `LarchDB`: the in-process database. Owns the catalog and the supervisor; control-plane verbs live here, data
 * verbs on {@link Index}. Shaped like the official client's `Pinecone` class.
 */
import { rm } from 'node:fs/promises';
import { LarchError, alreadyExists, forbidden, invalidArgument, notFound } from './core/errors.js';
import type { IndexConfig } from './core/index-config.js';
import { DEFAULT_NAMESPACE } from './core/limits.js';
import { defaultIndexHost, resolveSettings, type OpenOptions, type Settings } from './core/settings.js';
import type { ConfigureIndexOptions, CreateIndexForModelOptions, CreateIndexOptions, IndexEmbed, IndexList, IndexModel, IndexModelSpec, IndexSpec, ReadCapacityResponse, RecordMetadata } from './core/types.js';
import { validateConfigureIndex, validateCreateIndex, validateIndexName } from './core/validation/control.js';
import { Catalog } from './storage/catalog.js';
import { acquireDirLock, type DirLock } from './storage/dir-lock.js';
import { indexDir } from './storage/layout.js';
import { sweepDataDir } from './storage/sweep.js';
import { Supervisor, type SupervisorStats } from '../actors/main/supervisor.js';
import type { NamespaceStorageInfo } from '../actors/shared/host-api.js';
import { Index, type EngineContext } from './index-handle.js';
import { Inference } from './inference.js';
import { changedEmbed, planIndexForModel } from './integrated.js';

export type { OpenOptions };

/** An embedded LarchDB: open a data directory (or memory), then the same verbs as the official Pinecone client. */
export class LarchDB {
  private closed = false;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly ctx: EngineContext;
  /** Embedding, reranking and the model list, on local models (like the official client's `pc.inference`). */
  readonly inference: Inference;

  private constructor(
    private readonly catalog: Catalog,
    private readonly sup: Supervisor,
    private readonly dirLock: DirLock | null,
    private readonly hostFor: (index: string) => string,
    readonly path: string | null,
    settings: Settings,
  ) {
    this.inference = new Inference(() => this.live(), settings);
    this.ctx = {
      supervisor: () => this.live(),
      config: (name) => this.config(name),
      inference: () => this.inference,
    };
  }

  /** Opens (creating if needed) a data directory, loads its indexes and starts the actor threads. */
  static async open(options: OpenOptions = {}): Promise<LarchDB> {
    const settings = resolveSettings(options);
    const path = settings.dataDir;
    const dirLock = path ? await acquireDirLock(path) : null;
    try {
      const catalog = await Catalog.load(path);
      if (path) await sweepDataDir(path, new Set(catalog.list().map((c) => c.name)));
      const sup = await Supervisor.start(settings, () => catalog.list());
      try {
        for (const cfg of catalog.list()) await Promise.all(sup.allHosts().map((h) => h.call.openIndex(cfg)));
      } catch (err) {
        await sup.shutdown();
        throw err;
      }
      return new LarchDB(catalog, sup, dirLock, options.hostFor ?? defaultIndexHost, path, settings);
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
      spec: modelSpec(cfg.spec),
      status: { ready: true, state: 'Ready' },
      vectorType: cfg.vectorType,
    };
    if (cfg.dimension !== undefined) m.dimension = cfg.dimension;
    if (cfg.tags && Object.keys(cfg.tags).length > 0) m.tags = cfg.tags;
    if (cfg.hnsw) m.hnsw = { ...cfg.hnsw };
    if (cfg.embed) m.embed = { ...cfg.embed };
    return m;
  }

  /** Creates an index; it is ready when this resolves. */
  createIndex(options: CreateIndexOptions): Promise<IndexModel> {
    return this.create(options);
  }

  /**
   * Creates an index for an embedding model (integrated embedding): dimension, vector type and metric follow the
   * model; upsert and search it as text with `upsertRecords` / `searchRecords`.
   */
  async createIndexForModel(options: CreateIndexForModelOptions): Promise<IndexModel> {
    const { create, embed } = await planIndexForModel(options, this.inference);
    return this.create(create, embed);
  }

  private create(options: CreateIndexOptions, embed?: IndexEmbed): Promise<IndexModel> {
    return this.serial(async () => {
      const sup = this.live();
      const cfg = validateCreateIndex(options);
      if (embed) cfg.embed = embed;
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

  /** An index's settings and host (NOT_FOUND when it does not exist). */
  async describeIndex(name: string): Promise<IndexModel> {
    return this.model(this.config(validateIndexName(name)));
  }

  /** Every index, as {@link describeIndex} shows it. */
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
      if (options.embed !== undefined) cfg.embed = changedEmbed(cfg, options.embed);
      const readCapacity = change.spec?.serverless?.readCapacity;
      if (readCapacity) {
        if (!cfg.spec.serverless) throw invalidArgument(`Index ${cfg.name} is not serverless: only serverless indexes have a read capacity.`);
        cfg.spec = { ...cfg.spec, serverless: { ...cfg.spec.serverless, readCapacity } };
      }
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
        throw forbidden(`Deletion protection is enabled for this index (${cfg.name}). Disable deletion protection before retrying.`);
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
  async storageInfo(index: string, namespace = DEFAULT_NAMESPACE): Promise<NamespaceStorageInfo | null> {
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
    /** The next `n` queries handed to a reader thread make it exit midway through the search. */
    crashReaders: (n = 1): void => this.live().injectReaderCrashes(n),
    /** Kills the namespace-host thread that owns (index, namespace). */
    crashNamespaceHost: async (index: string, namespace = DEFAULT_NAMESPACE): Promise<void> => {
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

/** The spec as describe_index reports it: a serverless index's read capacity (default OnDemand) is always Ready. */
function modelSpec(spec: IndexSpec): IndexModelSpec {
  if (!spec.serverless) return spec as IndexModelSpec;
  const rc = spec.serverless.readCapacity ?? { mode: 'OnDemand' };
  const status: ReadCapacityResponse['status'] =
    rc.mode === 'Dedicated' ? { state: 'Ready', currentReplicas: rc.dedicated.manual.replicas, currentShards: rc.dedicated.manual.shards } : { state: 'Ready' };
  return { ...spec, serverless: { ...spec.serverless, readCapacity: { ...rc, status } } };
}
