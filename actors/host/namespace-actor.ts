/**
 * One namespace of one index: the single writer of its records. It runs inside a namespace-host worker; every
 * message goes through its bounded mailbox, so writes apply in arrival order.
 *
 * Write path: a write gets the next LSN, is appended to the request log, and is applied (namespace-data.ts) only
 * once the log has it on disk (group commit); then it is answered. A query never sees a write that is not durable.
 * A full memtable is frozen; the background jobs (slab-jobs.ts) turn it into a slab, merge slabs, republish the
 * manifest and truncate the log. Queries are planned by query-planner.ts against the current segments.
 */
import { hnswSettings, type IndexConfig } from '../../engine/core/index-config.js';
import { compileFilter } from '../../engine/core/filter.js';
import { LarchError, diskError, resourceExhausted, unavailable } from '../../engine/core/errors.js';
import type { Settings } from '../../engine/core/settings.js';
import type { MetadataSchema } from '../../engine/core/types.js';
import { assertFilterable, filterableFields } from '../../engine/core/validation/metadata-schema.js';
import { LogOp, readDeleteIdsBody, readFilterBody, readUpdateByFilterBody } from '../../engine/storage/log-ops.js';
import type { Manifest } from '../../engine/storage/manifest.js';
import { checkFrame, decodeRecords, type DecodedRecord } from '../../engine/storage/record-frame.js';
import { releaseLogRecord, type LogEntry, type LogRecord, type ReplayReport } from '../../engine/storage/request-log.js';
import type { Applied, FetchResult, Hydrated, ListResult, NamespaceInfo, NamespaceStorageInfo } from '../shared/host-api.js';
import type { PlanHit, PlanRequest, PlanResult } from '../shared/query-plan.js';
import type { BuilderLink } from './builder-link.js';
import { Mailbox } from './mailbox.js';
import type { Prefaulter } from './prefault.js';
import type { Arena } from '../shared/arena.js';
import { NamespaceData } from './namespace-data.js';
import type { NamespaceStorage } from './namespace-storage.js';
import { QueryPlanner } from './query-planner.js';
import { isFrozen, isSlab, type Segment } from './segment.js';
import { SlabJobs } from './slab-jobs.js';
import { readSegment } from './read-publisher.js';
import { bumpGeneration, newClock, publishApplied, readerSlotCount, type NamespaceReadView } from '../shared/read-view.js';

/** A quiet memtable below hnswMinRows is written out when it holds at least 1/this of the largest slab's rows. */
const IDLE_FOLD_RATIO = 32;

export interface ActorOptions {
  settings: Settings;
  builder: BuilderLink;
  storage: NamespaceStorage | null;
  /** State loaded from disk: slabs in order, the manifest's LSN and next slab number. */
  loaded?: { segments: Segment[]; lsn: number; nextSeq: number };
  /** The namespace's own metadata schema (from its creation, or its manifest). */
  schema?: MetadataSchema;
  /** Hands the read view of the namespace to the main thread (null: the namespace went away). */
  publish?: (view: NamespaceReadView | null) => void;
  /** The host's prefault thread (prefault.ts), if it has one. */
  prefault?: Prefaulter;
}

export class NamespaceActor {
  readonly mailbox: Mailbox;
  readonly data: NamespaceData;
  private readonly jobs: SlabJobs;
  private readonly planner: QueryPlanner;
  /** Last LSN handed out, and last one applied. */
  private lsn = 0;
  private appliedLsn = 0;
  private deleteAllLsn = 0;
  /** Writes logged, not yet durable. */
  private inFlight = 0;
  /** Rows those writes will append (upserts): the next upsert's rows come after them. */
  private pendingRows = 0;
  /** The memtable arena whose pages were last prefaulted. */
  private prefaulted: Arena | null = null;
  private isClosed = false;
  /** The idle flush: armed while idleFlushDue(); fires once no write came for idleFlushMs. */
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private lastWriteAt = 0;
  /** Writes waiting for the builder (see room()). */
  private readonly roomWaiters: (() => void)[] = [];
  /** What recovery found in the request log when the namespace was opened. */
  recovery: ReplayReport | null = null;
  /** Applied LSN and version and the segment-list generation, for readers on other threads (read-view.ts). */
  private readonly clock = newClock();

  constructor(
    /** The index's settings; replaced when the index is configured (efSearch applies to the next query). */
    public cfg: IndexConfig,
    readonly name: string,
    private readonly opts: ActorOptions,
  ) {
    this.mailbox = new Mailbox(opts.settings.mailboxLimit, `namespace '${name}' of index '${cfg.name}'`);
    this.data = new NamespaceData(cfg.dimension ?? 0, opts.loaded);
    if (opts.loaded) this.lsn = this.appliedLsn = this.deleteAllLsn = opts.loaded.lsn;
    this.jobs = new SlabJobs(this, { hnswMinRows: opts.settings.hnswMinRows, builder: opts.builder, storage: opts.storage, afterJob: (ok) => this.afterJob(ok) });
    this.planner = new QueryPlanner(this.data);
    this.data.onListChange = () => this.publishView();
    publishApplied(this.clock, this.appliedLsn, this.data.version);
    this.publishView();
  }

  /** Posts the current segment list to readers under a new generation. */
  private publishView(): void {
    const publish = this.opts.publish;
    if (!publish) return;
    const gen = bumpGeneration(this.clock);
    const readers = readerSlotCount(this.opts.settings.queryThreads);
    const efSearch = hnswSettings(this.cfg).efSearch;
    publish({ clock: this.clock, gen, segments: this.data.segs.map((s) => readSegment(s, readers, efSearch)) });
  }

  /** LSN of the last delete-all (or of the loaded manifest): slabs before it are gone. */
  get baseLsn(): number {
    return this.deleteAllLsn;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The namespace's own metadata schema. */
  get schema(): MetadataSchema | undefined {
    return this.opts.schema;
  }

  /** The schema filters obey: the namespace's own, else the index's. */
  private get effectiveSchema(): MetadataSchema | undefined {
    return this.opts.schema ?? this.cfg.spec.serverless?.schema;
  }

  /** Metadata fields slabs index (undefined: every field). */
  get indexedFields(): string[] | undefined {
    return filterableFields(this.effectiveSchema);
  }

  /**
   * Refuses a filter on a field the schema does not make filterable (a 400 naming the field). The filter itself was
   * compiled (validated) on the main thread.
   */
  checkFilter(filter: unknown): void {
    assertFilterable(filter, this.effectiveSchema, `namespace '${this.name}' of index '${this.cfg.name}'`);
  }

  /** A write's filter: valid and filterable, before the write is logged. */
  private checkWriteFilter(filter: unknown): void {
    compileFilter(filter);
    this.checkFilter(filter);
  }

  // ---- writes ------------------------------------------------------------------------------------------------

  /**
   * Decodes a logged write into the function that applies it (used for new writes and for log replay). A `fresh`
   * write's filter is checked first, so a bad one fails before it is logged.
   */
  private applier(op: LogOp, body: Uint8Array, fresh = false): (lsn: number) => unknown {
    const data = this.data;
    switch (op) {
      case LogOp.Upsert: {
        // Checked now (a broken frame fails before it is logged), applied from the frame once durable.
        checkFrame(body, data.dim);
        return () => data.applyUpsertFrame(body);
      }
      case LogOp.Update: {
        const [rec] = decodeRecords(body);
        return () => data.applyUpdate(rec!);
      }
      case LogOp.DeleteIds: {
        const ids = readDeleteIdsBody(body);
        return () => data.applyDeleteIds(ids);
      }
      case LogOp.DeleteByFilter: {
        const filter = readFilterBody(body);
        if (fresh) this.checkWriteFilter(filter);
        return () => data.applyDeleteByFilter(filter);
      }
      case LogOp.UpdateByFilter: {
        const { filter, metadata } = readUpdateByFilterBody(body);
        if (fresh) this.checkWriteFilter(filter);
        return () => data.applyUpdateByFilter(filter, metadata);
      }
      case LogOp.DeleteAll:
        return (lsn) => this.applyDeleteAll(lsn);
      default:
        throw new LarchError('DATA_LOSS', `Unknown request-log record type ${op as number} in namespace '${this.name}'.`);
    }
  }

  /**
   * Logs a write and applies it once durable. Returns at once (boxed, so the mailbox does not wait for the disk):
   * the next write is logged in the same group commit. The record's buffer goes back to its pool once the write is
   * applied or has failed (its decoded vectors are views into it).
   */
  write<T>(op: LogOp, rec: LogRecord): { done: Promise<Applied<T>> } {
    if (this.isClosed) throw unavailable(`Namespace '${this.name}' is closing; retry the write.`);
    if (this.inFlight >= this.opts.settings.mailboxLimit) {
      throw resourceExhausted(`Too many writes waiting for the disk in namespace '${this.name}' (${this.inFlight}); retry with backoff.`);
    }
    const apply = this.applier(op, rec.body, true);
    const lsn = ++this.lsn;
    const bytes = rec.body.length;
    const rows = op === LogOp.Upsert ? this.prefault(rec.body) : 0;
    const finish = (): Applied<T> => {
      this.pendingRows -= rows;
      let value: T;
      try {
        value = apply(lsn) as T;
      } finally {
        releaseLogRecord(rec);
      }
      this.appliedLsn = lsn;
      publishApplied(this.clock, lsn, this.data.version);
      this.data.memBytes += bytes;
      this.afterWrite();
      return { lsn, value };
    };
    const log = this.opts.storage?.log;
    if (!log) return { done: Promise.resolve().then(finish) };
    this.inFlight++;
    const done = log.append(lsn, op, rec).then(
      () => {
        this.inFlight--;
        return finish();
      },
      (err: unknown) => {
        this.inFlight--;
        this.pendingRows -= rows;
        releaseLogRecord(rec);
        throw diskError(err, `the request log of namespace '${this.name}'`);
      },
    );
    return { done };
  }

  /**
   * Has the prefault thread touch the memtable pages an upsert's rows will be written to while the upsert is
   * logged (prefault.ts); answers the upsert's row count.
   */
  private prefault(frame: Uint8Array): number {
    const rows = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true);
    const p = this.opts.prefault;
    if (p) {
      const arena = this.data.mem.arena;
      if (this.prefaulted !== arena) {
        if (this.prefaulted) p.forget(this.prefaulted);
        this.prefaulted = arena;
      }
      p.rows(arena, arena.rows + this.pendingRows, rows);
    }
    this.pendingRows += rows;
    return rows;
  }

  /** Applies one record of the request log during recovery. */
  replay(e: LogEntry): void {
    this.applier(e.op as LogOp, e.body)(e.lsn);
    this.lsn = this.appliedLsn = e.lsn;
    publishApplied(this.clock, e.lsn, this.data.version);
    this.data.memBytes += e.body.length;
  }

  /** After recovery: freeze a memtable the replay filled past its size. */
  afterReplay(): void {
    this.afterWrite();
  }

  /** Empties the namespace: every segment goes (queries already planned keep theirs); slabs before `lsn` are void. */
  private applyDeleteAll(lsn: number): void {
    const dropped = this.data.clear();
    this.deleteAllLsn = lsn;
    this.jobs.dropped(dropped);
    this.afterJob();
  }

  /** Ms until the namespace has had no write for the idle time (slab-jobs.ts merges its slabs then). */
  quietIn(): number {
    const idleMs = this.opts.settings.idleFlushMs;
    return idleMs === 0 ? Infinity : this.lastWriteAt + idleMs - performance.now();
  }

  private afterWrite(): void {
    this.lastWriteAt = performance.now();
    if (!this.memtableFull()) this.armIdleFlush();
    else if (this.canFreeze()) this.freeze(true);
  }

  private memtableFull(): boolean {
    const log = this.opts.storage?.log;
    const limit = this.opts.settings.memtableBytes;
    return this.data.memBytes >= limit || (log !== undefined && log.bytesSinceRoll >= 2 * limit);
  }

  /** Fewer than maxFrozenMemtables frozen memtables wait for the builder. */
  private canFreeze(): boolean {
    let frozen = 0;
    for (const s of this.data.segs) if (isFrozen(s)) frozen++;
    return frozen < this.opts.settings.maxFrozenMemtables;
  }

  /**
   * Undefined when a write may go ahead now; else resolves once it may: while the memtable is full and cannot be
   * frozen (maxFrozenMemtables wait for the builder), writes wait, in order, so a load goes at the builder's pace.
   */
  room(): Promise<void> | undefined {
    if (this.roomWaiters.length === 0 && !(this.memtableFull() && !this.canFreeze())) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * A background job ended or segments went: freeze the full memtable if it now can, and let waiting writes in. After
   * a failed job (a full disk, a crashed builder) the waiting writes go on too, to their own answer, rather than hang
   * until a retry succeeds; later ones wait again.
   */
  private afterJob(ok = true): void {
    if (this.isClosed || !ok) return this.letWritesIn();
    if (!this.memtableFull()) {
      this.armIdleFlush();
      return this.letWritesIn();
    }
    if (!this.canFreeze()) return;
    this.freeze(true);
    this.letWritesIn();
  }

  private letWritesIn(): void {
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  /**
   * Data that went quiet gets a graph: once idleFlushDue(), the first write arms one timer;
   * when it fires it re-arms for the rest of the quiet time if writes came since (no timer churn per write), else
   * freezes the memtable, and the background jobs build its slab and graph.
   */
  private armIdleFlush(): void {
    const idleMs = this.opts.settings.idleFlushMs;
    if (idleMs === 0 || !this.idleFlushDue()) return;
    if (this.idleTimer) return;
    const check = (): void => {
      this.idleTimer = null;
      if (this.isClosed) return;
      const rest = this.lastWriteAt + idleMs - performance.now();
      if (rest > 0) {
        this.idleTimer = setTimeout(check, rest);
        this.idleTimer.unref();
      } else if (this.idleFlushDue() && this.canFreeze()) {
        // (With the frozen queue full, the next job's end re-arms this.)
        this.freeze();
      }
    };
    this.idleTimer = setTimeout(check, idleMs);
    this.idleTimer.unref();
  }

  /**
   * Whether a quiet memtable is worth writing out: it holds hnswMinRows records (its slab gets a graph), or it is small
   * but at least 1/IDLE_FOLD_RATIO of the largest slab, whose graph can grow (the quiet merge then inserts its rows
   * there: a 100k x 384 load left 3,700 rows that every query scanned exactly, 0.39 vs 0.22 ms at ef 32). The ratio
   * bounds what a trickle of writes with pauses makes the merge rewrite.
   */
  private idleFlushDue(): boolean {
    const live = this.data.mem.arena.live;
    if (live >= this.opts.settings.hnswMinRows) return true;
    if (live === 0) return false;
    let largest: Segment | undefined;
    for (const s of this.data.segs) if (isSlab(s) && (!largest || s.arena.live > largest.arena.live)) largest = s;
    const growable = largest?.graph !== undefined && largest.arena.live === largest.arena.rows;
    return growable && live * IDLE_FOLD_RATIO >= largest!.arena.live;
  }

  /** Freezes the memtable (it stays queryable until its slab replaces it) and starts a new one. */
  private freeze(urgent = false): void {
    const mem = this.data.mem;
    this.data.freeze(this.appliedLsn);
    mem.urgent = urgent;
    this.opts.storage?.log.roll();
    this.jobs.pump();
  }

  /** The manifest of a namespace with no slab yet (its first durable write creates its directory with it). */
  manifest(): Manifest {
    return this.jobs.manifest();
  }

  /**
   * Freezes the memtable now (tests, and a clean shutdown that wants a short log). Resolves when everything is
   * built and published; a job that keeps failing (e.g. a full disk) is reported after a few retries.
   */
  async flushNow(): Promise<void> {
    const mem = this.data.mem;
    if (mem.arena.rows > 0 || mem.tombstones.size > 0) this.freeze(true);
    await this.jobs.drain();
  }

  /** Waits for the background job in progress, then stops taking writes and closes the log. */
  async close(): Promise<void> {
    this.isClosed = true;
    bumpGeneration(this.clock);
    this.opts.publish?.(null);
    if (this.prefaulted) this.opts.prefault?.forget(this.prefaulted);
    this.prefaulted = null;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.letWritesIn();
    await this.jobs.settle();
    await this.opts.storage?.log.close();
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  countMatching(filter: unknown): number {
    this.checkFilter(filter);
    return this.data.countMatching(filter);
  }

  plan(req: PlanRequest, query: DecodedRecord | undefined): PlanResult {
    if (req.filter !== undefined) this.checkFilter(req.filter);
    return this.planner.plan(this.cfg, req, query, this.appliedLsn);
  }

  /** Records matching `filter` in id order after `after`, at most `limit`, read as a fetch reads them. */
  fetchMatching(filter: unknown, limit: number, after: string | undefined): { fetched: FetchResult; more: boolean } {
    this.checkFilter(filter);
    const { ids, more } = this.data.matchingIds(filter, limit, after);
    return { fetched: this.data.fetch(ids), more };
  }

  /** Record count, schema and (`withFields`) the fields filters can use. */
  info(withFields: boolean): NamespaceInfo {
    const info: NamespaceInfo = { recordCount: this.data.count };
    if (this.opts.schema) info.schema = this.opts.schema;
    if (withFields) info.indexedFields = this.indexedFields ?? this.data.metadataFields();
    return info;
  }

  hydrate(planId: number, hits: PlanHit[], includeMetadata: boolean): Hydrated {
    return this.planner.hydrate(planId, hits, includeMetadata);
  }

  release(planId: number): void {
    this.planner.release(planId);
  }

  fetch(ids: string[]): FetchResult {
    return this.data.fetch(ids);
  }

  list(prefix: string, limit: number, after: string | undefined): ListResult {
    return this.data.ids.list(prefix, limit, after);
  }

  /** Segment and slab counts, for diagnostics and tests. */
  describe(): NamespaceStorageInfo {
    const segs = this.data.segs;
    const slabs = segs.filter(isSlab);
    return {
      segments: segs.length,
      slabs: slabs.length,
      slabRows: slabs.map((s) => s.arena.live),
      slabGraphBytes: slabs.map((s) => s.graph?.handle.bytes ?? 0),
      frozen: segs.filter(isFrozen).length,
      memtableRows: this.data.mem.arena.live,
      lsn: this.appliedLsn,
      ...this.jobs.counters,
      logWrites: this.opts.storage?.log?.writes ?? 0,
      logRounds: this.opts.storage?.log?.rounds ?? 0,
      busy: this.idleTimer !== null || this.jobs.busy,
      backgroundError: this.jobs.lastError,
      recovery: this.recovery,
    };
  }
}
