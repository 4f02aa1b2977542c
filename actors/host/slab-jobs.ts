/**
 * A namespace's background work, one job at a time and never in a query's way: (a) the oldest frozen memtable
 * becomes a slab on an index builder (folded into the newest slab, extending its graph, when compaction.ts says so),
 * (b) the manifest is republished for the slabs now durable and the log truncated behind them, (c) runs of slabs
 * merge (compaction.ts picks them; all of them once the namespace is quiet). Each built slab is swapped in
 * atomically within the actor. A failed job is retried with backoff.
 */
import { hnswSettings, METRIC_CODE, type IndexConfig } from '../../engine/core/index-config.js';
import { unavailable } from '../../engine/core/errors.js';
import { slabFileName } from '../../engine/storage/layout.js';
import type { MetadataSchema, RecordMetadata } from '../../engine/core/types.js';
import { writeManifest, type Manifest } from '../../engine/storage/manifest.js';
import { MetadataPostings } from '../../engine/storage/postings.js';
import { Arena } from '../shared/arena.js';
import type { BuildJob } from '../shared/build-job.js';
import type { HnswHandle } from '../shared/hnsw-layout.js';
import type { BuilderLink } from './builder-link.js';
import { flushRun, mergeRun, slabRowBytes, type SegmentSize } from './compaction.js';
import type { NamespaceData } from './namespace-data.js';
import type { NamespaceStorage } from './namespace-storage.js';
import { isFrozen, isSlab, type Segment } from './segment.js';

/** What the jobs need of their namespace actor. */
export interface JobsOwner {
  readonly name: string;
  readonly cfg: IndexConfig;
  readonly data: NamespaceData;
  /** LSN of the last delete-all: slabs before it are gone. */
  readonly baseLsn: number;
  readonly closed: boolean;
  /** The namespace's own metadata schema (kept in its manifest). */
  readonly schema: MetadataSchema | undefined;
  /** Metadata fields its slabs index (undefined: every field). */
  readonly indexedFields: string[] | undefined;
  /** Ms until the namespace counts as quiet (no write for the idle time): ≤ 0 quiet now, Infinity never. */
  quietIn(): number;
}

export interface JobsOptions {
  /** Slabs with at least this many rows get an HNSW graph. */
  hnswMinRows: number;
  builder: BuilderLink;
  storage: NamespaceStorage | null;
  /** Called after each job (`ok`: it succeeded, so the frozen queue may have room again). */
  afterJob?: (ok: boolean) => void;
}

export class SlabJobs {
  private job: Promise<void> | null = null;
  private failures = 0;
  private manifestDirty = false;
  /** Set while a merge waits for the namespace to go quiet. */
  private quietTimer: ReturnType<typeof setTimeout> | null = null;
  /** Slab files no longer in use, deleted once a manifest without them is durable. */
  private obsolete: string[] = [];
  /** Background errors (flush, merge, manifest) since the last success, for stats and logs. */
  lastError: string | null = null;
  readonly counters = { flushes: 0, merges: 0, graphsExtended: 0 };

  constructor(
    private readonly ns: JobsOwner,
    private readonly opts: JobsOptions,
  ) {}

  /** After a delete-all: the dropped slabs' files go once the next manifest (without them) is durable. */
  dropped(segs: readonly Segment[]): void {
    for (const s of segs) if (s.slab) this.obsolete.push(s.slab.name);
    this.manifestDirty = this.opts.storage !== null;
    this.pump();
  }

  /** A job is running, or one is due (a failed one waiting for its retry). */
  get busy(): boolean {
    return this.job !== null || this.quietTimer !== null || this.nextJob() !== null;
  }

  /** Starts the next background job unless one runs. */
  pump(): void {
    if (this.job || this.ns.closed) return;
    const next = this.nextJob();
    if (!next) return this.awaitQuiet();
    this.job = next().then(
      () => {
        this.job = null;
        this.failures = 0;
        this.lastError = null;
        this.opts.afterJob?.(true);
        this.pump();
      },
      (err: unknown) => {
        this.job = null;
        this.failures++;
        this.lastError = (err as Error).message;
        this.opts.afterJob?.(false);
        if (this.ns.closed) return;
        console.error(`[larchdb] background work on namespace '${this.ns.name}' of index '${this.ns.cfg.name}' failed (will retry): ${(err as Error).message}`);
        setTimeout(() => this.pump(), Math.min(30_000, 100 * 2 ** this.failures)).unref();
      },
    );
  }

  private sizes(): SegmentSize[] {
    return this.ns.data.segs.map((s) => ({
      slab: isSlab(s),
      frozen: isFrozen(s),
      rows: s.arena.live,
      growable: s.graph !== undefined && s.arena.live === s.arena.rows && s.graph.handle.n === s.arena.rows,
    }));
  }

  private nextJob(): (() => Promise<void>) | null {
    const segs = this.ns.data.segs;
    const sizes = this.sizes();
    const rowBytes = slabRowBytes(this.ns.data.dim);
    const frozen = flushRun(sizes, rowBytes);
    if (frozen.length > 0) return () => this.build(frozen.map((i) => segs[i]!));
    if (this.manifestDirty) return () => this.publish();
    const run = mergeRun(sizes, rowBytes, this.ns.quietIn() <= 0);
    return run ? () => this.build(run.map((i) => segs[i]!)) : null;
  }

  /** Nothing to do now: if a merge would start once the namespace is quiet, pump again then. */
  private awaitQuiet(): void {
    const wait = this.ns.quietIn();
    if (this.quietTimer || wait <= 0 || wait === Infinity) return;
    if (!mergeRun(this.sizes(), slabRowBytes(this.ns.data.dim), true)) return;
    this.quietTimer = setTimeout(() => {
      this.quietTimer = null;
      this.pump();
    }, wait + 1);
    this.quietTimer.unref();
  }

  /** Builds one slab from `inputs` (consecutive segments) on an index builder, then swaps it in. */
  private async build(inputs: Segment[]): Promise<void> {
    const data = this.ns.data;
    const cfg = this.ns.cfg;
    const newest = inputs[inputs.length - 1]!;
    const { version: V, lsn } = newest.frozenAt!;
    const fromOldest = inputs[0] === data.segs[0];
    const sources: { seg: Segment; rows: Uint32Array }[] = [];
    const ids: string[] = [];
    const meta: (RecordMetadata | undefined)[] = [];
    for (const seg of this.prefixFirst(inputs, V)) {
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
    const seq = data.nextSeq++;
    const storage = this.opts.storage;
    const job: BuildJob = {
      dim: data.dim,
      lsn,
      sources: sources.map((s) => ({ arena: s.seg.arena.state(), rows: s.rows })),
      ids,
      meta,
      tombstones: [...tombstones],
      indexed: this.ns.indexedFields,
      slabDir: storage?.slabDir ?? null,
      name: slabFileName(seq),
      graph:
        data.dim > 0 && cfg.vectorType === 'dense'
          ? { metric: METRIC_CODE[cfg.metric], ...hnswSettings(cfg), minRows: this.opts.hnswMinRows, prefix: this.graphPrefix(sources[0]!.seg, sources[0]!.rows), background: !inputs.some((s) => s.urgent) }
          : null,
    };
    const res = await this.opts.builder.build(job);
    if (this.ns.closed || inputs.some((s) => !data.holds(s))) {
      // A delete-all (or the namespace's deletion) overtook the build.
      if (storage) await storage.slabs.remove(job.name);
      return;
    }
    const seg: Segment = {
      seq,
      arena: new Arena(data.dim, res.arena),
      graph: res.graph && { handle: res.graph, free: [] },
      ids,
      meta,
      frozenAt: newest.frozenAt,
      postings: MetadataPostings.decode(res.postings),
      slab: storage ? { name: job.name, lsn, rows: ids.length } : undefined,
      tombstones,
    };
    data.replace(inputs, seg, sources);
    for (const s of inputs) if (s.slab) this.obsolete.push(s.slab.name);
    if (storage) this.manifestDirty = true;
    const memtables = inputs.filter((s) => !isSlab(s)).length;
    if (memtables > 0) this.counters.flushes += memtables;
    else this.counters.merges++;
    if (res.graph && job.graph?.prefix) this.counters.graphsExtended++;
  }

  /**
   * `inputs` with the largest one whose graph the build can extend first (every row alive at version `v`, so the
   * new slab starts with exactly its rows, in order): the build inserts only the others' rows. Row order inside a
   * slab carries no meaning (its rows are the distinct ids alive at one version).
   */
  private prefixFirst(inputs: Segment[], v: number): Segment[] {
    let best: Segment | undefined;
    for (const s of inputs) {
      const g = s.graph?.handle;
      if (!g || g.n !== s.arena.rows || g.M !== hnswSettings(this.ns.cfg).M) continue;
      let all = true;
      for (let r = 0; r < s.arena.rows && all; r++) all = s.arena.visible(r, v);
      if (all && (!best || s.arena.rows > best.arena.rows)) best = s;
    }
    return best ? [best, ...inputs.filter((s) => s !== best)] : inputs;
  }

  /**
   * The graph a build can extend: its first input's (see prefixFirst), when every row of that slab is still alive
   * at the build's version (so the new slab starts with exactly those rows, in order) and its M is the index's.
   */
  private graphPrefix(first: Segment, rows: Uint32Array): HnswHandle | undefined {
    const g = first.graph?.handle;
    return g && rows.length === first.arena.rows && g.n === rows.length && g.M === hnswSettings(this.ns.cfg).M ? g : undefined;
  }

  /** Writes the manifest for the slabs now durable, then truncates the log and deletes unused slab files. */
  private async publish(): Promise<void> {
    const storage = this.opts.storage!;
    this.manifestDirty = false;
    const durable: Segment[] = [];
    for (const s of this.ns.data.segs) {
      if (!s.slab) break;
      durable.push(s);
    }
    const lsn = Math.max(this.ns.baseLsn, durable.length > 0 ? durable[durable.length - 1]!.slab!.lsn : 0);
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
  manifest(lsn = this.ns.baseLsn, slabs: Segment[] = []): Manifest {
    const m: Manifest = { namespace: this.ns.name, dimension: this.ns.data.dim, lsn, nextSeq: this.ns.data.nextSeq, slabs: slabs.map((s) => s.slab!) };
    if (this.ns.schema) m.schema = this.ns.schema;
    return m;
  }

  /**
   * Runs jobs until none is left (the caller froze the memtable). A job that keeps failing (e.g. a full disk) is
   * reported after a few retries.
   */
  async drain(): Promise<void> {
    const start = this.failures;
    while (!this.ns.closed && (this.job || this.nextJob())) {
      const failures = this.failures - start;
      if (failures >= 6) throw unavailable(`Flushing namespace '${this.ns.name}' failed: ${this.lastError}`);
      if (failures > 0 && !this.job) await new Promise((r) => setTimeout(r, 50 * 2 ** failures));
      this.pump();
      await this.job?.catch(() => undefined);
    }
  }

  /** Waits for the job in progress (the namespace is closing: no new one starts). */
  async settle(): Promise<void> {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
    await this.job?.catch(() => undefined);
  }
}
