/**
 * One namespace of one index: the single writer of its segments (memtable + slabs), ids and metadata. It runs
 * inside a namespace-host worker; every message goes through its bounded mailbox, so writes apply in arrival order.
 *
 * Write path: a write gets the next LSN, is appended to the request log, and is applied to the memtable only once
 * the log has it on disk (group commit); then it is answered. A query never sees a write that is not durable.
 * Rows are copy-on-write: an upsert or update appends a new row and marks the old one dead at the new version, so a
 * query that planned earlier keeps seeing the state it planned against.
 *
 * Background (never in a query's way): a full memtable is frozen and an index builder turns it into a slab; runs of
 * small slabs are merged; each result is swapped in, the manifest republished, and the log truncated behind it.
 */
import type { IndexConfig } from '../../engine/core/index-config.js';
import { METRIC_CODE } from '../../engine/core/index-config.js';
import type { RecordMetadata } from '../../engine/core/types.js';
import { compileFilter, type Predicate } from '../../engine/core/filter.js';
import { FieldIndex } from '../../engine/core/postings.js';
import { LarchError, diskError, resourceExhausted, unavailable } from '../../engine/core/errors.js';
import type { RequestLog, LogEntry, ReplayReport } from '../../engine/storage/request-log.js';
import type { SlabStore } from '../../engine/storage/slab-store.js';
import { writeManifest, type Manifest } from '../../engine/storage/manifest.js';
import { ALIVE } from '../shared/arena-layout.js';
import { Arena, type ArenaView } from '../shared/arena.js';
import { Mailbox } from './mailbox.js';
import { decodeRecords, type DecodedRecord } from '../../engine/storage/record-frame.js';
import { refRow, refSeq, rowRef, slabName, type Segment, type SlabGraph } from './segment.js';
import type { BuilderLink, BuildJob } from './builder-link.js';
import type { QueryPlacement } from '../executor/query-executor.js';
import { allocKernelScratch, hnswSettings, type HnswHandle, type KernelScratch } from '../shared/hnsw.js';

/** Request-log record types. */
export const enum Op {
  Upsert = 1,
  Update = 2,
  DeleteIds = 3,
  DeleteByFilter = 4,
  DeleteAll = 5,
}

/** What the main thread asks for when it plans a query. The query vector itself arrives in a ring frame. */
export interface PlanRequest {
  k: number;
  id?: string;
  filter?: unknown;
  /** How many executor tasks the scan may be split into. */
  tasks: number;
}

/** One block range of one segment, scanned into its own heap. */
export interface PlanUnit {
  b0: number;
  b1: number;
  heap: number;
  /** Which executor task scans it. */
  task: number;
}

/** The scan of one segment: where its arena is, where the query and bitmap were copied in it, its units. */
export interface PlanPart extends QueryPlacement {
  view: ArenaView;
  units: PlanUnit[];
}

/** A planned query. */
export interface QueryPlan {
  planId: number;
  /** Snapshot version: rows with created <= snap < deleted are visible. */
  snap: number;
  k: number;
  metric: number;
  flags: number;
  tasks: number;
  parts: PlanPart[];
  readUnits: number;
  /** The namespace's applied LSN when the query was planned. */
  lsn: number;
}

export type PlanResult = QueryPlan | { empty: true; readUnits: number; lsn: number };

export interface FetchedRow {
  id: string;
  /** Index into the answer's views. */
  part: number;
  row: number;
  metadata?: RecordMetadata;
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
  /** Last background (flush, merge, manifest) error since the last success. */
  backgroundError: string | null;
  /** What recovery found in the request log on open (null for a namespace created since). */
  recovery: ReplayReport | null;
}

/** A write's outcome once durable and applied. */
export interface Applied<T> {
  lsn: number;
  value: T;
}

/** Where a namespace keeps its files (null in memory). */
export interface NamespaceStorage {
  dir: string;
  log: RequestLog;
  slabs: SlabStore;
  slabDir: string;
}

export interface ActorOptions {
  mailboxLimit: number;
  /** Memtable size (bytes of write payloads) at which it is frozen and flushed to a slab. */
  memtableBytes: number;
  /** Slabs with at least this many rows get an HNSW graph. */
  hnswMinRows: number;
  builder: BuilderLink;
  storage: NamespaceStorage | null;
  /** State loaded from disk: slabs in order, the manifest's LSN and next slab number. */
  loaded?: { segments: Segment[]; lsn: number; nextSeq: number };
}

/** Rows of the same segment scanned by one executor task at least; smaller namespaces use one task. */
const MIN_ROWS_PER_TASK = 8192;
/** Runs of slabs merge when an older slab is no larger than all newer ones together (a binary-counter shape). */
const MERGE_MIN_SLABS = 2;
/**
 * A merge never makes a slab larger than this (vectors plus ~64 bytes a record): one slab is one wasm32 memory
 * (4 GiB at most) and one file read whole on open, and a bigger merge would rewrite too much at once.
 */
const MAX_SLAB_BYTES = 1 << 30;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class NamespaceActor {
  readonly mailbox: Mailbox;
  /** Oldest first; the last one is the memtable. */
  private segs: Segment[] = [];
  private bySeq = new Map<number, Segment>();
  private rowOf = new Map<string, number>();
  private sorted: string[] | null = null;
  private plans = new Map<number, { segs: Segment[]; scratch: { offset: number; size: number }[]; kernels: [SlabGraph, KernelScratch][] }>();
  private nextPlan = 1;
  private nextSeq = 1;
  /** Visibility clock of this process (u32): every applied write is one version. */
  private version = 0;
  /** Last LSN handed out, and last one applied. */
  private lsn = 0;
  private appliedLsn = 0;
  /** LSN of the last delete-all: slabs before it are gone. */
  private baseLsn = 0;
  private memBytes = 0;
  private inFlight = 0;
  private job: Promise<void> | null = null;
  private jobFailures = 0;
  private manifestDirty = false;
  /** Slab files no longer in use, deleted once a manifest without them is durable. */
  private obsolete: string[] = [];
  private closed = false;
  /** Background errors (flush, merge, manifest) since the last success, for stats and logs. */
  lastBackgroundError: string | null = null;
  private readonly counters = { flushes: 0, merges: 0, graphsExtended: 0 };
  /** What recovery found in the request log when the namespace was opened. */
  recovery: ReplayReport | null = null;

  constructor(
    /** The index's settings; replaced when the index is configured (efSearch applies to the next query). */
    public cfg: IndexConfig,
    readonly name: string,
    private readonly opts: ActorOptions,
  ) {
    this.mailbox = new Mailbox(opts.mailboxLimit, `namespace '${name}' of index '${cfg.name}'`);
    if (opts.loaded) {
      this.nextSeq = opts.loaded.nextSeq;
      this.lsn = this.appliedLsn = this.baseLsn = opts.loaded.lsn;
      for (const s of opts.loaded.segments) this.adoptLoaded(s);
    }
    this.pushMemtable();
  }

  private get dim(): number {
    return this.cfg.dimension ?? 0;
  }

  /** Bytes of a slab row as MAX_SLAB_BYTES counts them: the vector plus ~64 bytes of id, metadata and state. */
  private get slabRowBytes(): number {
    return this.dim * 4 + 64;
  }

  private get mem(): Segment {
    return this.segs[this.segs.length - 1]!;
  }

  get count(): number {
    return this.rowOf.size;
  }

  private pushMemtable(): void {
    const s: Segment = { seq: this.nextSeq++, arena: new Arena(this.dim), ids: [], meta: [], tombstones: new Set() };
    this.segs.push(s);
    this.bySeq.set(s.seq, s);
    this.memBytes = 0;
  }

  /** A slab loaded from disk: its tombstones kill older rows, its rows replace older versions of their ids. */
  private adoptLoaded(s: Segment): void {
    for (const id of s.tombstones) this.kill(id, 0);
    s.ids.forEach((id, row) => {
      this.kill(id, 0);
      this.rowOf.set(id, rowRef(s.seq, row));
    });
    this.segs.push(s);
    this.bySeq.set(s.seq, s);
  }

  private locate(ref: number): { seg: Segment; row: number } {
    return { seg: this.bySeq.get(refSeq(ref))!, row: refRow(ref) };
  }

  /** Marks the live row of `id` dead at `version`; returns whether there was one. */
  private kill(id: string, version: number): boolean {
    const ref = this.rowOf.get(id);
    if (ref === undefined) return false;
    const { seg, row } = this.locate(ref);
    seg.arena.kill(row, version);
    this.rowOf.delete(id);
    return true;
  }

  private put(id: string, values: ArrayLike<number> | undefined, sparse: DecodedRecord['sparse'], md: RecordMetadata | undefined, version: number): void {
    if (!this.kill(id, version)) this.sorted = null;
    const mem = this.mem;
    const row = mem.arena.append(values, sparse, version);
    mem.ids[row] = id;
    mem.meta[row] = md;
    this.rowOf.set(id, rowRef(mem.seq, row));
  }

  // ---- writes ------------------------------------------------------------------------------------------------

  /** Decodes a logged write into the function that applies it (used for new writes and for log replay). */
  private applier(op: Op, body: Uint8Array): (lsn: number) => unknown {
    switch (op) {
      case Op.Upsert: {
        const records = decodeRecords(body);
        return () => this.applyUpsert(records);
      }
      case Op.Update: {
        const [rec] = decodeRecords(body);
        return () => this.applyUpdate(rec!);
      }
      case Op.DeleteIds: {
        const ids = decodeRecords(body).map((r) => r.id);
        return () => this.applyDeleteIds(ids);
      }
      case Op.DeleteByFilter: {
        const filter: unknown = JSON.parse(decoder.decode(body));
        compileFilter(filter); // a bad filter fails before it is logged
        return () => this.applyDeleteByFilter(filter);
      }
      case Op.DeleteAll:
        return (lsn) => this.applyDeleteAll(lsn);
      default:
        throw new LarchError('DATA_LOSS', `Unknown request-log record type ${op as number} in namespace '${this.name}'.`);
    }
  }

  /**
   * Logs a write and applies it once durable. Returns at once (boxed, so the mailbox does not wait for the disk):
   * the next write is logged in the same group commit.
   */
  write<T>(op: Op, body: Uint8Array): { done: Promise<Applied<T>> } {
    if (this.closed) throw unavailable(`Namespace '${this.name}' is closing; retry the write.`);
    if (this.inFlight >= this.opts.mailboxLimit) {
      throw resourceExhausted(`Too many writes waiting for the disk in namespace '${this.name}' (${this.inFlight}); retry with backoff.`);
    }
    const apply = this.applier(op, body);
    const lsn = ++this.lsn;
    const finish = (): Applied<T> => {
      const value = apply(lsn) as T;
      this.appliedLsn = lsn;
      this.memBytes += body.length;
      this.afterWrite();
      return { lsn, value };
    };
    const log = this.opts.storage?.log;
    if (!log) return { done: Promise.resolve().then(finish) };
    this.inFlight++;
    const done = log.append(lsn, op, body).then(
      () => {
        this.inFlight--;
        return finish();
      },
      (err: unknown) => {
        this.inFlight--;
        throw diskError(err, `the request log of namespace '${this.name}'`);
      },
    );
    return { done };
  }

  /** Applies one record of the request log during recovery. */
  replay(e: LogEntry): void {
    this.applier(e.op, e.body)(e.lsn);
    this.lsn = this.appliedLsn = e.lsn;
    this.memBytes += e.body.length;
  }

  /** After recovery: freeze a memtable the replay filled past its size. */
  afterReplay(): void {
    this.afterWrite();
  }

  private applyUpsert(records: DecodedRecord[]): number {
    const v = ++this.version;
    for (const r of records) this.put(r.id, r.values, r.sparse, r.metadata, v);
    return records.length;
  }

  /** Replaces the given vector parts and merges metadata key by key. Unknown ids are a no-op. */
  private applyUpdate(rec: DecodedRecord): void {
    const ref = this.rowOf.get(rec.id);
    if (ref === undefined) return;
    const { seg, row } = this.locate(ref);
    const values = rec.values ?? (this.dim > 0 ? seg.arena.dense(row) : undefined);
    const sparse = rec.sparse ?? seg.arena.sparse(row);
    const old = seg.meta[row];
    const md = rec.metadata ? { ...old, ...rec.metadata } : old;
    this.put(rec.id, values, sparse, md, ++this.version);
  }

  private applyDeleteIds(ids: string[]): void {
    const v = ++this.version;
    const tomb = this.mem.tombstones;
    for (const id of ids) {
      // Every delete is remembered: an older version of the id may sit in a slab file.
      tomb.add(id);
      if (this.kill(id, v)) this.sorted = null;
    }
  }

  private applyDeleteByFilter(filter: unknown): number {
    const doomed: string[] = [];
    this.forEachMatching(filter, (seg, row) => doomed.push(seg.ids[row]!));
    this.applyDeleteIds(doomed);
    return doomed.length;
  }

  /**
   * Calls `visit` for every live row matching `filter` (a valid filter; none = every row): slabs answer from their
   * field indexes, the memtable by a pass over its rows.
   */
  private forEachMatching(filter: unknown, visit: (seg: Segment, row: number) => void): void {
    const pred = compileFilter(filter);
    for (const seg of this.segs) {
      const a = seg.arena;
      if (pred && seg.fields) {
        const words = seg.fields.match(filter);
        for (let w = 0; w < words.length; w++) {
          for (let bits = words[w]!; bits !== 0; bits &= bits - 1) {
            const row = (w << 5) | (31 - Math.clz32(bits & -bits));
            if (a.deletedAt(row) === ALIVE) visit(seg, row);
          }
        }
      } else {
        for (let row = 0; row < a.rows; row++) if (a.deletedAt(row) === ALIVE && (!pred || pred(seg.meta[row]))) visit(seg, row);
      }
    }
  }

  /** Empties the namespace: every segment goes (queries already planned keep theirs); slabs before `lsn` are void. */
  private applyDeleteAll(lsn: number): void {
    for (const s of this.segs) if (s.slab) this.obsolete.push(s.slab.name);
    this.segs = [];
    this.bySeq.clear();
    this.rowOf = new Map();
    this.sorted = null;
    this.baseLsn = lsn;
    ++this.version;
    this.pushMemtable();
    this.manifestDirty = this.opts.storage !== null;
    this.pump();
  }

  private afterWrite(): void {
    const log = this.opts.storage?.log;
    if (this.memBytes >= this.opts.memtableBytes || (log && log.bytesSinceRoll >= 2 * this.opts.memtableBytes)) this.freeze();
  }

  /** Freezes the memtable (it stays queryable until its slab replaces it) and starts a new one. */
  private freeze(): void {
    this.mem.frozenAt = { version: this.version, lsn: this.appliedLsn };
    this.pushMemtable();
    this.opts.storage?.log.roll();
    this.pump();
  }

  // ---- background: flush, merge, publish ----------------------------------------------------------------------

  /** Starts the next background job unless one runs. Jobs: flush the oldest frozen memtable, publish, merge. */
  private pump(): void {
    if (this.job || this.closed) return;
    const next = this.nextJob();
    if (!next) return;
    this.job = next().then(
      () => {
        this.job = null;
        this.jobFailures = 0;
        this.lastBackgroundError = null;
        this.pump();
      },
      (err: unknown) => {
        this.job = null;
        this.jobFailures++;
        this.lastBackgroundError = (err as Error).message;
        if (this.closed) return;
        console.error(`[larchdb] background work on namespace '${this.name}' of index '${this.cfg.name}' failed (will retry): ${(err as Error).message}`);
        setTimeout(() => this.pump(), Math.min(30_000, 100 * 2 ** this.jobFailures)).unref();
      },
    );
  }

  private nextJob(): (() => Promise<void>) | null {
    const frozen = this.frozenRun();
    if (frozen.length > 0) return () => this.build(frozen);
    if (this.manifestDirty) return () => this.publish();
    const run = this.mergeRun();
    return run ? () => this.build(run) : null;
  }

  /**
   * The frozen memtables waiting for their slab, oldest first, as many as make one slab of at most MAX_SLAB_BYTES:
   * when writes outrun the builder (a graph build takes longer than filling a memtable), the memtables queued
   * meanwhile become one slab and one graph instead of one each.
   */
  private frozenRun(): Segment[] {
    const run: Segment[] = [];
    let rows = 0;
    for (const s of this.segs) {
      if (!s.frozenAt || s.fields) continue;
      if (run.length > 0 && (rows + s.arena.live) * this.slabRowBytes > MAX_SLAB_BYTES) break;
      rows += s.arena.live;
      run.push(s);
    }
    return run;
  }

  /** The newest run of built slabs where each older one is no larger than the newer ones together. */
  private mergeRun(): Segment[] | null {
    const built = this.segs.filter((s) => s.fields);
    let sum = 0;
    let i = built.length;
    while (i > 0) {
      const live = built[i - 1]!.arena.live;
      if (i < built.length && live > sum) break;
      if ((sum + live) * this.slabRowBytes > MAX_SLAB_BYTES) break;
      sum += live;
      i--;
    }
    const run = built.slice(i);
    return run.length >= MERGE_MIN_SLABS ? run : null;
  }

  /** Builds one slab from `inputs` (consecutive segments) on an index builder, then swaps it in. */
  private async build(inputs: Segment[]): Promise<void> {
    const newest = inputs[inputs.length - 1]!;
    const { version: V, lsn } = newest.frozenAt!;
    const fromOldest = inputs[0] === this.segs[0];
    const sources: { seg: Segment; rows: Uint32Array }[] = [];
    const ids: string[] = [];
    const meta: (RecordMetadata | undefined)[] = [];
    for (const seg of inputs) {
      const rows: number[] = [];
      // The slab is the state at V (the newest input's freeze): later writes are in the log after its LSN.
      for (let r = 0; r < seg.arena.rows; r++) {
        if (seg.arena.visible(r, V)) {
          rows.push(r);
          ids.push(seg.ids[r]!);
          meta.push(seg.meta[r]);
        }
      }
      sources.push({ seg, rows: Uint32Array.from(rows) });
    }
    const tombstones = new Set<string>();
    if (!fromOldest) for (const s of inputs) for (const id of s.tombstones) tombstones.add(id);
    const seq = this.nextSeq++;
    const storage = this.opts.storage;
    const job: BuildJob = {
      dim: this.dim,
      lsn,
      sources: sources.map((s) => ({ parts: s.seg.arena.parts(), rows: s.rows })),
      ids,
      meta,
      tombstones: [...tombstones],
      slabDir: storage?.slabDir ?? null,
      name: slabName(seq),
      graph:
        this.dim > 0 && this.cfg.vectorType === 'dense'
          ? { metric: METRIC_CODE[this.cfg.metric], ...hnswSettings(this.cfg), minRows: this.opts.hnswMinRows, prefix: this.graphPrefix(inputs[0]!, sources[0]!.rows) }
          : null,
    };
    const res = await this.opts.builder.build(job);
    if (this.closed || inputs.some((s) => this.bySeq.get(s.seq) !== s)) {
      // A delete-all (or the namespace's deletion) overtook the build.
      if (storage) await storage.slabs.remove(job.name);
      return;
    }
    const seg: Segment = {
      seq,
      arena: new Arena(this.dim, res.parts),
      graph: res.graph && { handle: res.graph, free: [] },
      ids,
      meta,
      frozenAt: newest.frozenAt,
      fields: FieldIndex.decode(res.fields),
      slab: storage ? { name: job.name, lsn, rows: ids.length } : undefined,
      tombstones,
    };
    // Swap: rows killed since V die in the new slab at the same version; live ones move over.
    let i = 0;
    for (const { seg: src, rows } of sources) {
      for (const r of rows) {
        const died = src.arena.deletedAt(r);
        if (died !== ALIVE) seg.arena.kill(i, died);
        else this.rowOf.set(ids[i]!, rowRef(seq, i));
        i++;
      }
    }
    const at = this.segs.indexOf(inputs[0]!);
    this.segs.splice(at, inputs.length, seg);
    for (const s of inputs) {
      this.bySeq.delete(s.seq);
      if (s.slab) this.obsolete.push(s.slab.name);
    }
    this.bySeq.set(seq, seg);
    if (storage) this.manifestDirty = true;
    const memtables = inputs.filter((s) => !s.fields).length;
    if (memtables > 0) this.counters.flushes += memtables;
    else this.counters.merges++;
    if (res.graph && job.graph?.prefix) this.counters.graphsExtended++;
  }

  /**
   * The graph a merge can extend: its oldest (largest) input's, when every row of that slab is still alive at the
   * merge's version (so the merged slab starts with exactly those rows, in order) and its M is the index's.
   */
  private graphPrefix(first: Segment, rows: Uint32Array): HnswHandle | undefined {
    const g = first.graph?.handle;
    return g && rows.length === first.arena.rows && g.n === rows.length && g.M === hnswSettings(this.cfg).M ? g : undefined;
  }

  /** Writes the manifest for the slabs now durable, then truncates the log and deletes unused slab files. */
  private async publish(): Promise<void> {
    const storage = this.opts.storage!;
    this.manifestDirty = false;
    const durable: Segment[] = [];
    for (const s of this.segs) {
      if (!s.slab) break;
      durable.push(s);
    }
    const lsn = Math.max(this.baseLsn, durable.length > 0 ? durable[durable.length - 1]!.slab!.lsn : 0);
    const doomed = this.obsolete.splice(0);
    try {
      await writeManifest(storage.dir, this.manifest(lsn, durable));
    } catch (err) {
      this.manifestDirty = true;
      this.obsolete.unshift(...doomed);
      throw err;
    }
    await storage.log.truncateThrough(lsn);
    for (const name of doomed) await storage.slabs.remove(name);
  }

  /** The manifest for `slabs` (durable ones only) covering writes up to `lsn`. */
  manifest(lsn = this.baseLsn, slabs: Segment[] = []): Manifest {
    return { namespace: this.name, dimension: this.dim, lsn, nextSeq: this.nextSeq, slabs: slabs.map((s) => s.slab!) };
  }

  /** Waits for the background job in progress, then stops taking writes and closes the log. */
  async close(): Promise<void> {
    this.closed = true;
    await this.job?.catch(() => undefined);
    await this.opts.storage?.log.close();
  }

  /** Segment and slab counts, for diagnostics and tests. */
  describe(): NamespaceStorageInfo {
    return {
      segments: this.segs.length,
      slabs: this.segs.filter((s) => s.fields).length,
      slabRows: this.segs.filter((s) => s.fields).map((s) => s.arena.live),
      slabGraphBytes: this.segs.filter((s) => s.fields).map((s) => s.graph?.handle.bytes ?? 0),
      frozen: this.segs.filter((s) => s.frozenAt && !s.fields).length,
      memtableRows: this.mem.arena.live,
      lsn: this.appliedLsn,
      ...this.counters,
      backgroundError: this.lastBackgroundError,
      recovery: this.recovery,
    };
  }

  /**
   * Freezes the memtable now (tests, and a clean shutdown that wants a short log). Resolves when everything is
   * built and published; a job that keeps failing (e.g. a full disk) is reported after a few retries.
   */
  async flushNow(): Promise<void> {
    if (this.mem.arena.rows > 0 || this.mem.tombstones.size > 0) this.freeze();
    const start = this.jobFailures;
    while (!this.closed && (this.job || this.nextJob())) {
      const failures = this.jobFailures - start;
      if (failures >= 6) throw unavailable(`Flushing namespace '${this.name}' failed: ${this.lastBackgroundError}`);
      if (failures > 0 && !this.job) await new Promise((r) => setTimeout(r, 50 * 2 ** failures));
      this.pump();
      await this.job?.catch(() => undefined);
    }
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  /** Live records matching `filter` (all of them when there is none). */
  countMatching(filter: unknown): number {
    if (!compileFilter(filter)) return this.rowOf.size;
    let n = 0;
    this.forEachMatching(filter, () => n++);
    return n;
  }

  private readUnits(): number {
    // One read unit per GiB of namespace (vectors plus ~128 bytes of id and metadata a record), at least one.
    return Math.max(1, Math.ceil((this.rowOf.size * (this.dim * 4 + 128)) / 2 ** 30));
  }

  /** A bitmap of the rows of `seg` that match (null: none do). */
  private filterBits(seg: Segment, filter: unknown, pred: Predicate): Uint32Array | null {
    let words: Uint32Array;
    let any = false;
    if (seg.fields) {
      words = seg.fields.match(filter);
      for (let i = 0; i < words.length && !any; i++) any = words[i] !== 0;
    } else {
      words = new Uint32Array(Math.ceil(seg.arena.rows / 32));
      for (let r = 0; r < seg.arena.rows; r++) {
        if (seg.arena.deletedAt(r) === ALIVE && pred(seg.meta[r])) {
          words[r >>> 5]! |= 1 << (r & 31);
          any = true;
        }
      }
    }
    return any ? words : null;
  }

  /** Rows of a graph slab a search may return: the filter's (null: no filter) that are alive. Null: every row. */
  private graphBits(seg: Segment, g: SlabGraph, filterWords: Uint32Array | null): Uint32Array | null {
    // The graph walk does not look at row versions; dead rows (and only they: slab rows are all created at version 0)
    // are left out through the bitmap. A slab's dead rows only grow, so the bitmap is cached by the dead count.
    if (seg.arena.dead === 0) return filterWords;
    if (g.alive?.dead !== seg.arena.dead) g.alive = { dead: seg.arena.dead, words: seg.arena.aliveBits() };
    const alive = g.alive.words;
    if (!filterWords) return alive;
    const out = new Uint32Array(alive.length);
    for (let i = 0; i < out.length; i++) out[i] = alive[i]! & filterWords[i]!;
    return out;
  }

  /**
   * Prepares a query: resolves a query-by-id, turns the filter into a bitmap per segment, copies the query into
   * scratch space in each segment's arena and splits the work into executor tasks: block ranges of segments
   * searched exactly, one unit per slab searched through its HNSW graph (dense queries without a sparse part).
   */
  plan(req: PlanRequest, query: DecodedRecord | undefined): PlanResult {
    const cfg = this.cfg;
    const empty = { empty: true as const, readUnits: this.readUnits(), lsn: this.appliedLsn };
    let dense: ArrayLike<number> | undefined = query?.values;
    let sparse = query?.sparse;
    if (req.id !== undefined) {
      const ref = this.rowOf.get(req.id);
      if (ref === undefined) return empty;
      const { seg, row } = this.locate(ref);
      dense = this.dim > 0 ? seg.arena.dense(row) : undefined;
      sparse = cfg.metric === 'dotproduct' ? seg.arena.sparse(row) : undefined;
    }
    if (this.rowOf.size === 0) return empty;
    const pred = compileFilter(req.filter);
    const k = req.k;
    const qsN = sparse ? sparse.indices.length : 0;
    const graphable = dense !== undefined && qsN === 0;
    const candidates: { seg: Segment; bits: Uint32Array | null; graph?: SlabGraph; work: number }[] = [];
    for (const seg of this.segs) {
      if (seg.arena.live === 0) continue;
      let bits = pred ? this.filterBits(seg, req.filter, pred) : null;
      if (pred && !bits) continue;
      const graph = graphable ? seg.graph : undefined;
      if (graph) bits = this.graphBits(seg, graph, bits);
      // A graph search costs about what a scan of a few thousand rows does.
      candidates.push({ seg, bits, graph, work: graph ? Math.min(seg.arena.rows, MIN_ROWS_PER_TASK) : seg.arena.rows });
    }
    if (candidates.length === 0) return empty;

    let totalWork = 0;
    for (const c of candidates) totalWork += c.work;
    const tasks = Math.max(1, Math.min(req.tasks, Math.ceil(totalWork / MIN_ROWS_PER_TASK)));
    const perTask = Math.ceil(totalWork / tasks);
    const ef = Math.max(k, hnswSettings(cfg).efSearch);
    const align16 = (n: number) => Math.ceil(n / 16) * 16;
    let qInvNorm = 0;
    const parts: PlanPart[] = [];
    const scratch: { offset: number; size: number }[] = [];
    const kernels: [SlabGraph, KernelScratch][] = [];
    const load = new Array<number>(tasks).fill(0);
    for (const { seg, bits, graph, work } of candidates) {
      const a = seg.arena;
      const B = a.layout.rows;
      const nBlocks = Math.ceil(a.rows / B);
      const chunks = graph ? 1 : Math.max(1, Math.min(nBlocks, Math.round(a.rows / perTask)));
      const qBytes = align16(a.dim * 4);
      const sBytes = align16(qsN * 8);
      const bBytes = align16((bits?.length ?? 0) * 4);
      const hBytes = align16(k * 8);
      const sc = a.allocScratch(qBytes + sBytes + bBytes + hBytes * chunks);
      scratch.push(sc);
      const base = sc.offset;
      const buf = a.memory.buffer;
      const part: PlanPart = {
        view: a.view(),
        totalRows: a.rows,
        q: a.dim > 0 && dense ? base : 0,
        qInvNorm: 0,
        qsIdx: base + qBytes,
        qsVal: base + qBytes + qsN * 4,
        qsN,
        bits: bits ? base + qBytes + sBytes : 0,
        units: [],
      };
      if (graph) {
        const at = graph.free.findIndex((s) => s.efCap >= ef);
        const ks = at >= 0 ? graph.free.splice(at, 1)[0]! : allocKernelScratch(a, graph.handle, Math.max(ef, 512));
        kernels.push([graph, ks]);
        part.graph = { handle: graph.handle, kernel: ks.offset, ef };
      }
      if (part.q) {
        new Float32Array(buf, part.q, a.dim).set(dense!);
        if (parts.length === 0) {
          const n = a.kernels.norm(part.q, a.dim);
          qInvNorm = n > 0 ? 1 / n : 0;
        }
        part.qInvNorm = qInvNorm;
      }
      if (sparse && qsN > 0) {
        new Uint32Array(buf, part.qsIdx, qsN).set(sparse.indices);
        new Float32Array(buf, part.qsVal, qsN).set(sparse.values);
      }
      if (bits) new Uint32Array(buf, part.bits, bits.length).set(bits);
      for (let c = 0; c < chunks; c++) {
        const b0 = Math.floor((c * nBlocks) / chunks);
        const b1 = Math.floor(((c + 1) * nBlocks) / chunks);
        // Least-loaded task takes the unit.
        let t = 0;
        for (let j = 1; j < tasks; j++) if (load[j]! < load[t]!) t = j;
        load[t]! += graph ? work : Math.min(a.rows, b1 * B) - b0 * B;
        part.units.push({ b0, b1, heap: base + qBytes + sBytes + bBytes + c * hBytes, task: t });
      }
      parts.push(part);
    }
    const planId = this.nextPlan++;
    this.plans.set(planId, { segs: candidates.map((c) => c.seg), scratch, kernels });
    return {
      planId,
      snap: this.version,
      k,
      metric: METRIC_CODE[cfg.metric],
      flags: cfg.vectorType === 'sparse' ? 1 : 0,
      tasks,
      parts,
      readUnits: this.readUnits(),
      lsn: this.appliedLsn,
    };
  }

  /** Maps result rows ([part, row] of a plan) to ids (and metadata) and frees the plan's scratch space. */
  hydrate(planId: number, hits: [number, number][], includeMetadata: boolean): { ids: string[]; metadata?: (RecordMetadata | undefined)[] } {
    const p = this.plans.get(planId);
    if (!p) throw new Error(`unknown query plan ${planId}`);
    this.release(planId);
    const ids = hits.map(([part, r]) => p.segs[part]!.ids[r]!);
    return includeMetadata ? { ids, metadata: hits.map(([part, r]) => p.segs[part]!.meta[r]) } : { ids };
  }

  release(planId: number): void {
    const p = this.plans.get(planId);
    if (!p) return;
    this.plans.delete(planId);
    p.segs.forEach((s, i) => s.arena.releaseScratch(p.scratch[i]!));
    for (const [g, ks] of p.kernels) g.free.push(ks);
  }

  fetch(ids: string[]): { rows: FetchedRow[]; views: ArenaView[] } {
    const rows: FetchedRow[] = [];
    const parts = new Map<Segment, number>();
    const views: ArenaView[] = [];
    for (const id of ids) {
      const ref = this.rowOf.get(id);
      if (ref === undefined) continue;
      const { seg, row } = this.locate(ref);
      let part = parts.get(seg);
      if (part === undefined) {
        part = views.push(seg.arena.view()) - 1;
        parts.set(seg, part);
      }
      rows.push({ id, part, row, metadata: seg.meta[row] });
    }
    return { rows, views };
  }

  /** Ids in bitwise order after `after`, with `prefix`, at most `limit`; `next` is set when more remain. */
  list(prefix: string, limit: number, after: string | undefined): { ids: string[]; more: boolean } {
    if (!this.sorted) this.sorted = [...this.rowOf.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const s = this.sorted;
    const start = after ?? prefix;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! < start || (after !== undefined && s[mid]! === after)) lo = mid + 1;
      else hi = mid;
    }
    const ids: string[] = [];
    let i = lo;
    for (; i < s.length && ids.length < limit; i++) {
      if (!s[i]!.startsWith(prefix)) break;
      ids.push(s[i]!);
    }
    const more = i < s.length && s[i]!.startsWith(prefix);
    return { ids, more };
  }
}

/** The body of a delete-by-filter log record. */
export const filterBody = (filter: unknown) => encoder.encode(JSON.stringify(filter));
