/**
 * `db.index(name)` and `.namespace(ns)`: the data-plane verbs of one index, shaped like the official client's
 * `Index` (a handle targets one namespace; the default is `__default__`).
 */
import { alreadyExists, invalidArgument, notFound } from './core/errors.js';
import { compileFilter } from './core/filter.js';
import { bitwise } from './core/order.js';
import type { IndexConfig } from './core/index-config.js';
import { DEFAULT_LIST_LIMIT, DEFAULT_NAMESPACE, MAX_DELETE_IDS, MAX_FETCH_IDS, MAX_REQUEST_BYTES } from './core/limits.js';
import type {
  CreateNamespaceOptions,
  FetchByMetadataOptions,
  FetchByMetadataResponse,
  FetchResponse,
  Filter,
  IntegratedRecord,
  SearchRecordsOptions,
  SearchRecordsResponse,
  IndexStatsDescription,
  ListNamespacesOptions,
  ListNamespacesResponse,
  ListOptions,
  ListResponse,
  NamespaceDescription,
  PineconeRecord,
  QueryOptions,
  QueryResponse,
  RecordMetadata,
  UpdateOptions,
  UpdateResponse,
  UpsertResponse,
} from './core/types.js';
import {
  validateFetchByMetadata,
  validateIdList,
  validateListOptions,
  validateQuery,
  validateUpdate,
  validateUpdateByFilter,
  validateUpsert,
} from './core/validation/data.js';
import { filterableFields, validateMetadataSchema } from './core/validation/metadata-schema.js';
import { validateNamespaceName } from './core/validation/records.js';
import { isPlainObject } from './core/validation/shape.js';
import { BufferPool } from './storage/buffer-pool.js';
import { encodeRecords, type EncodedBatch } from './storage/record-frame.js';
import { runQuery } from '../actors/main/query-coordinator.js';
import { deferredRows, fetchResponse, type DeferredRows, type FetchedRows } from '../actors/shared/row-values.js';
import type { Supervisor } from '../actors/main/supervisor.js';
import type { Inference } from './inference.js';
import { embedRecords, searchRecords } from './integrated.js';

/** What an index handle needs from the database that made it. */
export interface EngineContext {
  supervisor(): Supervisor;
  config(index: string): IndexConfig;
  inference(): Inference;
}

const encodeToken = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
function decodeToken(token: string): string {
  const id = Buffer.from(token, 'base64url').toString('utf8');
  if (!token || encodeToken(id) !== token) throw invalidArgument(`Invalid paginationToken '${token}': pass back the pagination.next of a previous page.`);
  return id;
}

/**
 * Where upserts on this thread validate their dense values into (float32, one array per batch), reused once the
 * batch is in the host's ring: a fresh array per batch would be fresh memory to fault in (see buffer-pool.ts).
 */
const valueBuffers = new BufferPool();

/** Validates and encodes an upsert batch; its values array goes back to the pool once the frame is written. */
function prepareUpsert(records: unknown, cfg: IndexConfig): EncodedBatch {
  let held: Uint8Array | undefined;
  const valid = validateUpsert(records, cfg, (n) => {
    held = valueBuffers.take(4 * n);
    return new Float32Array(held.buffer, held.byteOffset, n);
  });
  const enc = encodeRecords(valid);
  // In-process the request is the binary batch (4 bytes a float), so the 2 MB limit is applied to it.
  if (enc.size > MAX_REQUEST_BYTES) {
    throw invalidArgument(`Upsert batch is ${enc.size} bytes once encoded, over the ${MAX_REQUEST_BYTES}-byte (2 MB) request limit; split it into smaller batches.`);
  }
  const values = held;
  if (!values) return enc;
  return {
    size: enc.size,
    writeTo(dst) {
      enc.writeTo(dst);
      valueBuffers.give(values);
    },
  };
}

/** Data-plane operations of one index, scoped to one namespace. */
export class Index<T extends RecordMetadata = RecordMetadata> {
  /** @internal */
  constructor(
    private readonly ctx: EngineContext,
    readonly name: string,
    readonly namespaceName: string = DEFAULT_NAMESPACE,
  ) {}

  /** A handle on another namespace of this index (`''` is the default namespace, `__default__`). */
  namespace(ns: string): Index<T> {
    return new Index<T>(this.ctx, this.name, validateNamespaceName(ns));
  }

  private get cfg(): IndexConfig {
    return this.ctx.config(this.name);
  }

  /** Throws NOT_FOUND when the index does not exist (any more). */
  private requireIndex(): void {
    this.ctx.config(this.name);
  }

  private host() {
    return this.ctx.supervisor().host(this.name, this.namespaceName);
  }

  /**
   * Writes whole records (an existing id is replaced entirely). Resolves once the write is durable (with the
   * default `fsync` durability: on disk) and visible to queries.
   */
  async upsert(records: PineconeRecord<T>[]): Promise<UpsertResponse> {
    const frame = prepareUpsert(records, this.cfg);
    const r = await this.host().withFrame('upsert', [this.name, this.namespaceName], frame);
    return { upsertedCount: r.value };
  }

  /**
   * @internal Upserts a batch already validated against this index and encoded (see server/upsert-prepare.ts);
   * also answers the write's LSN.
   */
  async upsertEncoded(frame: Uint8Array, count: number): Promise<{ upsertedCount: number; lsn: number }> {
    this.requireIndex();
    const r = await this.host().withFrame('upsert', [this.name, this.namespaceName], { size: frame.length, writeTo: (dst) => dst.set(frame) });
    if (r.value !== count) throw new Error(`upsert applied ${r.value} of ${count} records`);
    return { upsertedCount: r.value, lsn: r.lsn };
  }

  /**
   * Integrated indexes: upserts text records (`_id` or `id`, and fields, one of them the text named by the index's
   * `fieldMap`). The text is embedded with the index's model; all fields but the id are stored as metadata.
   */
  async upsertRecords(records: IntegratedRecord[]): Promise<void> {
    await this.upsertRecordsWithLsn(records);
  }

  /** @internal {@link upsertRecords}, answering the write's LSN. */
  async upsertRecordsWithLsn(records: IntegratedRecord[]): Promise<number> {
    const vectors = await embedRecords(this.cfg, records, this.ctx.inference());
    const valid = validateUpsert(vectors, this.cfg);
    return (await this.host().withFrame('upsert', [this.name, this.namespaceName], encodeRecords(valid))).lsn;
  }

  /** Integrated indexes: searches by text (or vector, or record id), optionally reranking the hits. */
  async searchRecords(options: SearchRecordsOptions): Promise<SearchRecordsResponse> {
    return searchRecords(this.cfg, options, this.ctx.inference(), (q) => this.query(q));
  }

  /** Nearest records to a vector, a sparse vector, both (hybrid), or a stored record's vector (`id`). */
  async query(options: QueryOptions): Promise<QueryResponse<T>> {
    return (await this.queryWithLsn(options)).response;
  }

  /**
   * @internal A query and the namespace's applied LSN it saw (every write up to it is reflected). With
   * `deferValues` and includeValues, each match's values are placeholders and `values` says which rows they are:
   * `fillValues` reads them, on any thread (the HTTP server does so off its event loop when there are many).
   */
  async queryWithLsn(options: QueryOptions, deferValues = false): Promise<{ response: QueryResponse<T>; lsn: number; values?: DeferredRows }> {
    const cfg = this.cfg;
    const q = validateQuery(options, cfg);
    compileFilter(q.filter); // a bad filter fails even where the namespace does not exist yet
    if (deferValues && q.includeValues) q.deferValues = true;
    const r = (await runQuery(this.ctx.supervisor(), cfg, this.namespaceName, q)) as { response: QueryResponse<T>; lsn: number };
    if (!q.deferValues) return r;
    const values = deferredRows(r.response.matches);
    if (!values) throw new Error('query matches lost their deferred values');
    return { ...r, values };
  }

  /** Records by id; ids that do not exist are left out. */
  async fetch(ids: string[]): Promise<FetchResponse<T>> {
    return fetchResponse<T>(await this.fetchRows(ids));
  }

  /** @internal {@link fetch}'s rows, their values not read yet: `fetchResponse` reads them, on any thread. */
  async fetchRows(ids: string[]): Promise<FetchedRows> {
    const valid = validateIdList(ids, MAX_FETCH_IDS, 'fetch ids');
    this.requireIndex();
    return this.fetched(await this.host().call.fetch(this.name, this.namespaceName, valid));
  }

  /**
   * Records whose metadata matches `filter` (API 2025-10), in id order, a page at a time: pass `pagination.next`
   * back as `paginationToken` for the next page.
   */
  async fetchByMetadata(options: FetchByMetadataOptions): Promise<FetchByMetadataResponse<T>> {
    const { rows, next } = await this.fetchByMetadataRows(options);
    const res: FetchByMetadataResponse<T> = fetchResponse<T>(rows);
    if (next !== undefined) res.pagination = { next };
    return res;
  }

  /** @internal {@link fetchByMetadata}'s rows, their values not read yet, and the next page's token. */
  async fetchByMetadataRows(options: FetchByMetadataOptions): Promise<{ rows: FetchedRows; next?: string }> {
    const o = validateFetchByMetadata(options);
    compileFilter(o.filter);
    this.requireIndex();
    const after = o.paginationToken !== undefined ? decodeToken(o.paginationToken) : undefined;
    const got = await this.host().call.fetchMatching(this.name, this.namespaceName, o.filter, o.limit, after);
    const ids = got?.fetched.rows ?? [];
    const rows = this.fetched(got?.fetched ?? null);
    return got?.more && ids.length > 0 ? { rows, next: encodeToken(ids[ids.length - 1]!.id) } : { rows };
  }

  /** The rows a host found (null: no such namespace), with the answer's namespace and read units. */
  private fetched(found: FetchedRows['found']): FetchedRows {
    return { found, namespace: this.namespaceName, readUnits: Math.max(1, Math.ceil((found?.rows.length ?? 0) / 10)) };
  }

  /**
   * By id: replaces the given vector parts of a record and merges `metadata` into its metadata key by key. By
   * `filter` (API 2025-10): merges `metadata` into every matching record in one atomic, durable write, and answers
   * `matchedRecords` (with `dryRun`, only counts them).
   */
  async update(options: UpdateOptions<T>): Promise<UpdateResponse> {
    return (await this.updateWithLsn(options)).response;
  }

  /** @internal {@link update}, answering the write's LSN (0 when nothing was written). */
  async updateWithLsn(options: UpdateOptions<T>): Promise<{ response: UpdateResponse; lsn: number }> {
    if (isPlainObject(options) && options.filter !== undefined) {
      const u = validateUpdateByFilter(options as Record<string, unknown>);
      compileFilter(u.filter);
      this.requireIndex();
      const host = this.host();
      if (u.dryRun) return { response: { matchedRecords: await host.call.countMatching(this.name, this.namespaceName, u.filter) }, lsn: 0 };
      const r = await host.call.updateByFilter(this.name, this.namespaceName, u.filter, u.metadata);
      return { response: { matchedRecords: r.value ?? 0 }, lsn: r.lsn };
    }
    const u = validateUpdate(options, this.cfg);
    return { response: {}, lsn: (await this.host().withFrame('update', [this.name, this.namespaceName], encodeRecords([u]))).lsn };
  }

  /** Deletes one record by id (an id that does not exist is not an error). */
  async deleteOne(id: string): Promise<void> {
    await this.deleteMany([id]);
  }

  /** Deletes by a list of ids, or every record matching a metadata filter. */
  async deleteMany(idsOrFilter: string[] | Filter): Promise<void> {
    await this.deleteWithLsn(idsOrFilter);
  }

  /** Deletes every record of the namespace; the namespace itself remains. */
  async deleteAll(): Promise<void> {
    await this.deleteWithLsn('all');
  }

  /** @internal {@link deleteMany} or (`'all'`) {@link deleteAll}, answering the write's LSN (0: no namespace). */
  async deleteWithLsn(what: string[] | Filter | 'all'): Promise<number> {
    this.requireIndex();
    const host = this.host();
    if (what === 'all') return (await host.call.deleteAll(this.name, this.namespaceName)).lsn;
    if (Array.isArray(what)) {
      const ids = validateIdList(what, MAX_DELETE_IDS, 'delete ids');
      return (await host.call.deleteIds(this.name, this.namespaceName, ids)).lsn;
    }
    if (typeof what !== 'object' || what === null || Object.keys(what).length === 0) {
      throw invalidArgument('deleteMany needs a list of ids or a non-empty metadata filter; use deleteAll to delete every record.');
    }
    compileFilter(what);
    return (await host.call.deleteByFilter(this.name, this.namespaceName, what)).lsn;
  }

  /** Ids in bitwise order, optionally under a prefix, one page at a time. */
  async listPaginated(options: ListOptions = {}): Promise<ListResponse> {
    const o = validateListOptions(options);
    this.requireIndex();
    const after = o.paginationToken !== undefined ? decodeToken(o.paginationToken) : undefined;
    const { ids, more } = await this.host().call.list(this.name, this.namespaceName, o.prefix ?? '', o.limit, after);
    const res: ListResponse = { vectors: ids.map((id) => ({ id })), namespace: this.namespaceName, usage: { readUnits: 1 } };
    if (more && ids.length > 0) res.pagination = { next: encodeToken(ids[ids.length - 1]!) };
    return res;
  }

  private async counts(filter?: Filter): Promise<Map<string, number>> {
    this.requireIndex();
    compileFilter(filter); // a bad filter fails here even when no namespace exists yet
    const perHost = await Promise.all(this.ctx.supervisor().allHosts().map((h) => h.call.stats(this.name, filter)));
    const out = new Map<string, number>();
    for (const counts of perHost) for (const [ns, n] of Object.entries(counts)) out.set(ns, n);
    return out;
  }

  /** Record counts per namespace (of records matching `filter`, when given). */
  async describeIndexStats(options?: { filter?: Filter }): Promise<IndexStatsDescription> {
    const cfg = this.cfg;
    const counts = await this.counts(options?.filter);
    const namespaces: Record<string, { recordCount: number }> = {};
    let total = 0;
    for (const [ns, n] of [...counts].sort(([a], [b]) => bitwise(a, b))) {
      namespaces[ns] = { recordCount: n };
      total += n;
    }
    const res: IndexStatsDescription = {
      namespaces,
      indexFullness: 0,
      totalRecordCount: total,
      metric: cfg.metric,
      vectorType: cfg.vectorType,
      memoryFullness: 0,
      storageFullness: 0,
    };
    if (cfg.dimension !== undefined) res.dimension = cfg.dimension;
    return res;
  }

  /**
   * Namespace descriptions: every namespace's from every host, or (`ns`) that one namespace's, with its indexed
   * fields, from the host it routes to.
   */
  private async namespaceInfos(ns?: string): Promise<[string, NamespaceDescription][]> {
    this.requireIndex();
    const sup = this.ctx.supervisor();
    const hosts = ns === undefined ? sup.allHosts() : [sup.host(this.name, ns)];
    const perHost = await Promise.all(hosts.map((h) => h.call.namespaces(this.name, ns)));
    const out: [string, NamespaceDescription][] = [];
    for (const infos of perHost) {
      for (const [name, info] of Object.entries(infos)) {
        const d: NamespaceDescription = { name, recordCount: info.recordCount };
        if (info.schema) d.schema = info.schema;
        if (info.indexedFields) d.indexedFields = { fields: info.indexedFields };
        out.push([name, d]);
      }
    }
    return out.sort(([a], [b]) => bitwise(a, b));
  }

  /**
   * Namespaces of the index in bitwise order of name, optionally only those starting with `prefix`; `totalCount`
   * counts them over every page. Takes `{ limit, paginationToken, prefix }` or (as older clients) `(limit, token)`.
   */
  async listNamespaces(options: ListNamespacesOptions | number = {}, paginationToken?: string): Promise<ListNamespacesResponse> {
    const o = typeof options === 'number' ? { limit: options, paginationToken } : options;
    const { limit, prefix } = validateListOptions({ limit: o.limit ?? DEFAULT_LIST_LIMIT, prefix: o.prefix });
    const after = o.paginationToken ? decodeToken(o.paginationToken) : undefined;
    const matching = (await this.namespaceInfos()).filter(([n]) => prefix === undefined || n.startsWith(prefix));
    const rest = matching.filter(([n]) => after === undefined || n > after);
    const page = rest.slice(0, limit);
    const res: ListNamespacesResponse = { namespaces: page.map(([, d]) => d), totalCount: matching.length };
    if (rest.length > limit) res.pagination = { next: encodeToken(page[page.length - 1]![0]) };
    return res;
  }

  /** A namespace's record count, schema and indexed fields (NOT_FOUND when it does not exist). */
  async describeNamespace(ns: string): Promise<NamespaceDescription> {
    const name = validateNamespaceName(ns);
    const found = (await this.namespaceInfos(name))[0];
    if (!found) throw notFound(`Namespace ${name} not found in index ${this.name}.`);
    return found[1];
  }

  /**
   * Creates an empty namespace (API 2025-10), optionally with its own metadata schema: only the fields it declares
   * `filterable` are indexed and can be filtered on. ALREADY_EXISTS (409) when the namespace exists.
   */
  async createNamespace(options: CreateNamespaceOptions): Promise<NamespaceDescription> {
    if (!isPlainObject(options)) throw invalidArgument('createNamespace needs options { name, schema? }.');
    const name = validateNamespaceName(options.name);
    const schema = options.schema === undefined ? undefined : validateMetadataSchema(options.schema, 'schema');
    this.requireIndex();
    const created = await this.ctx.supervisor().host(this.name, name).call.createNamespace(this.name, name, schema);
    if (!created) throw alreadyExists(`Namespace ${name} already exists in index ${this.name}.`);
    const d: NamespaceDescription = { name, recordCount: 0, indexedFields: { fields: filterableFields(schema ?? this.cfg.spec.serverless?.schema) ?? [] } };
    if (schema) d.schema = schema;
    return d;
  }

  /** Deletes a namespace and all its records. */
  async deleteNamespace(ns: string): Promise<void> {
    const name = validateNamespaceName(ns);
    this.requireIndex();
    const existed = await this.ctx.supervisor().host(this.name, name).call.deleteNamespace(this.name, name);
    if (!existed) throw notFound(`Namespace ${name} not found in index ${this.name}.`);
  }
}
