/**
 * A namespace's records in memory: its segments (slabs, frozen memtables, the memtable), the id table and the
 * visibility clock, with the semantics of each write. Only the namespace actor touches it (one thread, no locks).
 *
 * Rows are copy-on-write: an upsert or update appends a new row to the memtable and marks the old one dead at the
 * new version, so a query planned earlier keeps seeing the state it planned against.
 */
import { compileFilter } from '../../engine/core/filter.js';
import { bitwise } from '../../engine/core/order.js';
import type { RecordMetadata } from '../../engine/core/types.js';
import { FrameCursor, type DecodedRecord } from '../../engine/storage/record-frame.js';
import { ALIVE } from '../shared/arena-layout.js';
import { Arena } from '../shared/arena.js';
import type { FetchResult } from '../shared/host-api.js';
import type { ArenaView } from '../shared/arena.js';
import { IdTable } from './id-table.js';
import { refRow, refSeq, rowRef, type Segment } from './segment.js';

export class NamespaceData {
  /** Oldest first; the last one is the memtable. */
  segs: Segment[] = [];
  private readonly bySeq = new Map<number, Segment>();
  readonly ids = new IdTable();
  /** Visibility clock of this process (u32): every applied write is one version. */
  version = 0;
  /** Sequence number of the next segment (names its slab file; never reused). */
  nextSeq = 1;
  /** Bytes of write payloads applied to the memtable since it started. */
  memBytes = 0;
  /** Called whenever the segment list changed (a memtable pushed, segments swapped). */
  onListChange: () => void = () => undefined;

  constructor(
    readonly dim: number,
    loaded?: { segments: Segment[]; nextSeq: number },
  ) {
    if (loaded) {
      this.nextSeq = loaded.nextSeq;
      for (const s of loaded.segments) this.adoptLoaded(s);
    }
    this.pushMemtable();
  }

  get mem(): Segment {
    return this.segs[this.segs.length - 1]!;
  }

  /** Live records. */
  get count(): number {
    return this.ids.size;
  }

  /** Whether `s` is still one of this namespace's segments (a delete-all or a swap may have dropped it). */
  holds(s: Segment): boolean {
    return this.bySeq.get(s.seq) === s;
  }

  locate(ref: number): { seg: Segment; row: number } {
    return { seg: this.bySeq.get(refSeq(ref))!, row: refRow(ref) };
  }

  /** Starts a new, empty memtable. */
  pushMemtable(): void {
    const s: Segment = { seq: this.nextSeq++, arena: new Arena(this.dim), ids: [], meta: [], tombstones: new Set() };
    this.segs.push(s);
    this.bySeq.set(s.seq, s);
    this.memBytes = 0;
    this.onListChange();
  }

  /** A slab loaded from disk: its tombstones kill older rows, its rows replace older versions of their ids. */
  private adoptLoaded(s: Segment): void {
    for (const id of s.tombstones) this.kill(id, 0);
    s.ids.forEach((id, row) => {
      this.kill(id, 0);
      this.ids.set(id, rowRef(s.seq, row));
    });
    this.segs.push(s);
    this.bySeq.set(s.seq, s);
  }

  /** Marks the live row of `id` dead at `version` and forgets the id; returns whether there was one. */
  private kill(id: string, version: number): boolean {
    const ref = this.ids.delete(id);
    if (ref === undefined) return false;
    const { seg, row } = this.locate(ref);
    seg.arena.kill(row, version);
    return true;
  }

  private put(id: string, values: ArrayLike<number> | undefined, sparse: DecodedRecord['sparse'], md: RecordMetadata | undefined, version: number): void {
    const row = this.mem.arena.append(values, sparse, version, { id, metaJson: md === undefined ? undefined : JSON.stringify(md) });
    this.took(id, row, md, version);
  }

  /** Memtable row `row`, just appended at `version`, now holds `id`: its older row, if any, dies at `version`. */
  private took(id: string, row: number, md: RecordMetadata | undefined, version: number): void {
    const old = this.ids.get(id);
    if (old !== undefined) {
      const { seg, row: oldRow } = this.locate(old);
      seg.arena.kill(oldRow, version);
    }
    const mem = this.mem;
    mem.ids[row] = id;
    mem.meta[row] = md;
    this.ids.set(id, rowRef(mem.seq, row));
  }


  /**
   * Applies an upsert straight from its record frame (checked with checkFrame): each record's parts are copied from
   * the frame into the memtable's arena, with no decoded record in between; only the id and the metadata become
   * JS values (the id table and the memtable's metadata need them).
   */
  applyUpsertFrame(frame: Uint8Array): number {
    const v = ++this.version;
    const c = new FrameCursor(frame);
    const arena = this.mem.arena;
    for (let i = 0; i < c.count; i++) {
      c.next();
      this.took(c.id(), arena.appendFrom(c, v), c.metadata(), v);
    }
    return c.count;
  }

  /** Replaces the given vector parts and merges metadata key by key. Unknown ids are a no-op. */
  applyUpdate(rec: DecodedRecord): void {
    const ref = this.ids.get(rec.id);
    if (ref === undefined) return;
    const { seg, row } = this.locate(ref);
    const values = rec.values ?? (this.dim > 0 ? seg.arena.dense(row) : undefined);
    const sparse = rec.sparse ?? seg.arena.sparse(row);
    const old = seg.meta[row];
    const md = rec.metadata ? { ...old, ...rec.metadata } : old;
    this.put(rec.id, values, sparse, md, ++this.version);
  }

  applyDeleteIds(ids: string[]): void {
    const v = ++this.version;
    const tomb = this.mem.tombstones;
    for (const id of ids) {
      // Every delete is remembered: an older version of the id may sit in a slab file.
      tomb.add(id);
      this.kill(id, v);
    }
  }

  /** Merges `metadata` into every live record matching `filter`, as one version; answers how many matched. */
  applyUpdateByFilter(filter: unknown, metadata: RecordMetadata): number {
    const hits: { id: string; seg: Segment; row: number }[] = [];
    this.forEachMatching(filter, (seg, row) => hits.push({ id: seg.ids[row]!, seg, row }));
    const v = ++this.version;
    const mdBytes = JSON.stringify(metadata).length;
    for (const { id, seg, row } of hits) {
      const values = this.dim > 0 ? seg.arena.dense(row) : undefined;
      const sparse = seg.arena.sparse(row);
      this.put(id, values, sparse, { ...seg.meta[row], ...metadata }, v);
      // The rewritten rows fill the memtable though the logged body is small: count them so it freezes in time.
      this.memBytes += 4 * this.dim + 8 * (sparse?.indices.length ?? 0) + id.length + mdBytes;
    }
    return hits.length;
  }

  /** Ids of live records matching `filter`, in bitwise order, after `after`; at most `limit` (and whether more follow). */
  matchingIds(filter: unknown, limit: number, after: string | undefined): { ids: string[]; more: boolean } {
    const ids: string[] = [];
    this.forEachMatching(filter, (seg, row) => {
      const id = seg.ids[row]!;
      if (after === undefined || id > after) ids.push(id);
    });
    ids.sort(bitwise);
    return { ids: ids.slice(0, limit), more: ids.length > limit };
  }

  /** Metadata fields any live record holds, sorted. */
  metadataFields(): string[] {
    const names = new Set<string>();
    for (const seg of this.segs) {
      if (seg.postings) for (const f of seg.postings.fieldNames()) names.add(f);
      else for (let row = 0; row < seg.arena.rows; row++) if (seg.arena.deletedAt(row) === ALIVE) for (const k of Object.keys(seg.meta[row] ?? {})) names.add(k);
    }
    return [...names].sort();
  }

  applyDeleteByFilter(filter: unknown): number {
    const doomed: string[] = [];
    this.forEachMatching(filter, (seg, row) => doomed.push(seg.ids[row]!));
    this.applyDeleteIds(doomed);
    return doomed.length;
  }

  /** Empties the namespace (queries already planned keep their segments); answers the segments dropped. */
  clear(): Segment[] {
    const dropped = this.segs;
    this.segs = [];
    this.bySeq.clear();
    this.ids.clear();
    ++this.version;
    this.pushMemtable();
    return dropped;
  }

  /** Freezes the memtable at the current version and `lsn` (it stays queryable until its slab replaces it). */
  freeze(lsn: number): void {
    this.mem.frozenAt = { version: this.version, lsn };
    this.pushMemtable();
  }

  /**
   * Swaps `seg`, built from the rows `sources` took out of `inputs` (consecutive segments), in for the inputs: rows
   * killed since the build's snapshot die in the new segment at the same version; live ones move over.
   */
  replace(inputs: Segment[], seg: Segment, sources: readonly { seg: Segment; rows: Uint32Array }[]): void {
    let i = 0;
    for (const { seg: src, rows } of sources) {
      for (const r of rows) {
        const died = src.arena.deletedAt(r);
        if (died !== ALIVE) seg.arena.kill(i, died);
        else this.ids.set(seg.ids[i]!, rowRef(seg.seq, i));
        i++;
      }
    }
    const at = this.segs.indexOf(inputs[0]!);
    this.segs.splice(at, inputs.length, seg);
    for (const s of inputs) this.bySeq.delete(s.seq);
    this.bySeq.set(seg.seq, seg);
    this.onListChange();
  }

  /**
   * Calls `visit` for every live row matching `filter` (a valid filter; none = every row): slabs answer from their
   * postings, the memtable by a pass over its rows.
   */
  forEachMatching(filter: unknown, visit: (seg: Segment, row: number) => void): void {
    const pred = compileFilter(filter);
    for (const seg of this.segs) {
      const a = seg.arena;
      if (pred && seg.postings) {
        const words = seg.postings.match(filter);
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

  /** Live records matching `filter` (all of them when there is none). */
  countMatching(filter: unknown): number {
    if (!compileFilter(filter)) return this.ids.size;
    let n = 0;
    this.forEachMatching(filter, () => n++);
    return n;
  }

  /** Where the live rows of `ids` are (ids that do not exist are left out); values are read from the views. */
  fetch(ids: string[]): FetchResult {
    const rows: FetchResult['rows'] = [];
    const views: ArenaView[] = [];
    const viewOf = new Map<Segment, number>();
    for (const id of ids) {
      const ref = this.ids.get(id);
      if (ref === undefined) continue;
      const { seg, row } = this.locate(ref);
      let view = viewOf.get(seg);
      if (view === undefined) {
        view = views.push(seg.arena.view()) - 1;
        viewOf.set(seg, view);
      }
      rows.push({ id, view, row, metadata: seg.meta[row] });
    }
    return { rows, views };
  }
}
