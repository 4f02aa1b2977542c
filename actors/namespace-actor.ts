/**
 * One namespace of one index: the single writer of its arena, its ids and its metadata. It runs inside a
 * namespace-host worker; every message goes through its bounded mailbox, so writes apply in arrival order.
 *
 * Writes are copy-on-write at row level: an upsert or update appends a new row and marks the old one dead at the
 * new version, so a query that planned earlier keeps seeing the state it planned against.
 */
import type { IndexConfig } from '../engine/index-config.js';
import { METRIC_CODE } from '../engine/index-config.js';
import type { RecordMetadata } from '../engine/types.js';
import { compileFilter, type Predicate } from '../engine/filter.js';
import { Arena, type ArenaView } from './arena.js';
import { Mailbox } from './mailbox.js';
import type { DecodedRecord, CodecRecord } from './record-codec.js';
import type { ScanParams } from './query-executor.js';

/** What the main thread asks for when it plans a query. The query vector itself arrives in a ring frame. */
export interface PlanRequest {
  k: number;
  id?: string;
  filter?: unknown;
  /** How many executor tasks the scan may be split into. */
  tasks: number;
}

/** A planned query: the scan parameters plus where the arena is, the block ranges and one heap per range. */
export interface QueryPlan extends ScanParams {
  planId: number;
  view: ArenaView;
  heaps: number[];
  ranges: [number, number][];
  readUnits: number;
}

export type PlanResult = QueryPlan | { empty: true; readUnits: number };

export interface FetchedRow {
  id: string;
  row: number;
  metadata?: RecordMetadata;
}

/** Rows of the same block scanned by one executor task at least; smaller namespaces use one task. */
const MIN_ROWS_PER_TASK = 8192;
const COMPACT_MIN_DEAD = 4096;

/** An arena with the ids and metadata of its rows. Rows never change once written, so a plan keeps its generation. */
interface Generation {
  arena: Arena;
  ids: string[];
  meta: (RecordMetadata | undefined)[];
}

export class NamespaceActor {
  readonly mailbox: Mailbox;
  private g: Generation;
  private rowOf = new Map<string, number>();
  private sorted: string[] | null = null;
  private plans = new Map<number, { g: Generation; scratch: { offset: number; size: number } }>();
  private nextPlan = 1;
  /** Bytes of ids, vectors and metadata (for read-unit accounting). */
  private bytes = 0;
  dirty = false;

  constructor(
    readonly cfg: IndexConfig,
    readonly name: string,
    mailboxLimit: number,
  ) {
    this.mailbox = new Mailbox(mailboxLimit, `namespace '${name}' of index '${cfg.name}'`);
    this.g = { arena: new Arena(cfg.dimension ?? 0), ids: [], meta: [] };
  }

  get arena(): Arena {
    return this.g.arena;
  }

  get count(): number {
    return this.rowOf.size;
  }

  private recordBytes(id: string, values?: ArrayLike<number>, sparse?: { indices: ArrayLike<number> }, md?: RecordMetadata): number {
    return id.length + (values ? values.length * 4 : 0) + (sparse ? sparse.indices.length * 9 : 0) + (md ? JSON.stringify(md).length : 0);
  }

  private put(id: string, values: ArrayLike<number> | undefined, sparse: DecodedRecord['sparse'], md: RecordMetadata | undefined, version: number): void {
    const old = this.rowOf.get(id);
    if (old !== undefined) this.drop(old, version);
    else this.sorted = null;
    const row = this.arena.append(values, sparse, version);
    this.g.ids[row] = id;
    this.g.meta[row] = md;
    this.rowOf.set(id, row);
    this.bytes += this.recordBytes(id, values, sparse, md);
  }

  private drop(row: number, version: number): void {
    const a = this.arena;
    this.bytes -= this.recordBytes(this.g.ids[row]!, a.dim > 0 ? { length: a.dim } : undefined, undefined, this.g.meta[row]);
    a.kill(row, version);
  }

  /** Upserts whole records; returns how many were written. Later duplicates in a batch win. */
  upsert(records: DecodedRecord[]): number {
    const v = this.arena.version + 1;
    for (const r of records) this.put(r.id, r.values, r.sparse, r.metadata, v);
    this.arena.version = v;
    this.afterWrite();
    return records.length;
  }

  /** Updates one record: replaces the given vector parts and merges metadata key by key. Unknown ids are a no-op. */
  update(rec: DecodedRecord): void {
    const row = this.rowOf.get(rec.id);
    if (row === undefined) return;
    const values = rec.values ?? (this.arena.dim > 0 ? this.arena.dense(row) : undefined);
    const sparse = rec.sparse ?? this.arena.sparse(row);
    const old = this.g.meta[row];
    const md = rec.metadata ? { ...old, ...rec.metadata } : old;
    const v = this.arena.version + 1;
    this.put(rec.id, values, sparse, md, v);
    this.arena.version = v;
    this.afterWrite();
  }

  deleteIds(ids: string[]): void {
    const v = this.arena.version + 1;
    for (const id of ids) {
      const row = this.rowOf.get(id);
      if (row === undefined) continue;
      this.drop(row, v);
      this.rowOf.delete(id);
      this.sorted = null;
    }
    this.arena.version = v;
    this.afterWrite();
  }

  deleteByFilter(filter: unknown): number {
    const pred = compileFilter(filter);
    const doomed: string[] = [];
    for (const [id, row] of this.rowOf) if (!pred || pred(this.g.meta[row])) doomed.push(id);
    this.deleteIds(doomed);
    return doomed.length;
  }

  /** Empties the namespace. A new arena replaces the old one; queries already planned keep the old memory. */
  deleteAll(): void {
    this.g = { arena: new Arena(this.arena.dim), ids: [], meta: [] };
    this.rowOf = new Map();
    this.sorted = null;
    this.bytes = 0;
    this.dirty = true;
  }

  private afterWrite(): void {
    this.dirty = true;
    const a = this.arena;
    if (a.dead >= COMPACT_MIN_DEAD && a.dead > a.live) this.compact();
  }

  /** Copies live rows into a fresh generation so dead rows stop costing memory; plans keep the old one. */
  private compact(): void {
    const old = this.g;
    const next: Generation = { arena: new Arena(old.arena.dim), ids: [], meta: [] };
    const rowOf = new Map<string, number>();
    for (const [id, row] of this.rowOf) {
      const r = next.arena.append(old.arena.dim > 0 ? old.arena.dense(row) : undefined, old.arena.sparse(row), 1);
      next.ids[r] = id;
      next.meta[r] = old.meta[row];
      rowOf.set(id, r);
    }
    next.arena.version = 1;
    this.g = next;
    this.rowOf = rowOf;
  }

  /** Live records matching `filter` (all of them when there is none). */
  countMatching(filter: unknown): number {
    const pred = compileFilter(filter);
    if (!pred) return this.rowOf.size;
    let n = 0;
    for (const row of this.rowOf.values()) if (pred(this.g.meta[row])) n++;
    return n;
  }

  private readUnits(): number {
    return Math.max(1, Math.ceil(this.bytes / 2 ** 30));
  }

  /**
   * Prepares a query: resolves a query-by-id, turns the filter into a bitmap, copies the query into scratch
   * space in the arena and splits the scan into executor tasks.
   */
  plan(req: PlanRequest, query: DecodedRecord | undefined): PlanResult {
    const a = this.arena;
    const cfg = this.cfg;
    let dense: ArrayLike<number> | undefined = query?.values;
    let sparse = query?.sparse;
    if (req.id !== undefined) {
      const row = this.rowOf.get(req.id);
      if (row === undefined) return { empty: true, readUnits: this.readUnits() };
      dense = a.dim > 0 ? a.dense(row) : undefined;
      sparse = cfg.metric === 'dotproduct' ? a.sparse(row) : undefined;
    }
    const pred: Predicate | null = compileFilter(req.filter);
    const total = a.rows;
    if (this.rowOf.size === 0) return { empty: true, readUnits: this.readUnits() };

    const B = a.layout.rows;
    const nBlocks = Math.ceil(total / B);
    const tasks = Math.max(1, Math.min(req.tasks, Math.ceil(total / MIN_ROWS_PER_TASK), nBlocks));
    const k = req.k;
    const qsN = sparse ? sparse.indices.length : 0;
    const bitWords = pred ? nBlocks * (B / 32) : 0;
    const align16 = (n: number) => Math.ceil(n / 16) * 16;
    const qBytes = align16(a.dim * 4);
    const sBytes = align16(qsN * 8);
    const bBytes = align16(bitWords * 4);
    const hBytes = align16(k * 8);
    const scratch = a.allocScratch(qBytes + sBytes + bBytes + hBytes * tasks);
    const base = scratch.offset;
    const q = base;
    const qsIdx = base + qBytes;
    const qsVal = qsIdx + qsN * 4;
    const bits = pred ? base + qBytes + sBytes : 0;
    const heaps = Array.from({ length: tasks }, (_, i) => base + qBytes + sBytes + bBytes + i * hBytes);

    const buf = a.memory.buffer;
    let qInvNorm = 0;
    if (a.dim > 0 && dense) {
      new Float32Array(buf, q, a.dim).set(dense);
      const n = a.kernels.norm(q, a.dim);
      qInvNorm = n > 0 ? 1 / n : 0;
    }
    if (sparse && qsN > 0) {
      new Uint32Array(buf, qsIdx, qsN).set(sparse.indices);
      new Float32Array(buf, qsVal, qsN).set(sparse.values);
    }
    if (pred) {
      const words = new Uint32Array(buf, bits, bitWords);
      let any = false;
      for (const row of this.rowOf.values()) {
        if (pred(this.g.meta[row])) {
          words[row >>> 5]! |= 1 << (row & 31);
          any = true;
        }
      }
      if (!any) {
        a.releaseScratch(scratch);
        return { empty: true, readUnits: this.readUnits() };
      }
    }
    const ranges: [number, number][] = [];
    for (let t = 0; t < tasks; t++) ranges.push([Math.floor((t * nBlocks) / tasks), Math.floor(((t + 1) * nBlocks) / tasks)]);

    const planId = this.nextPlan++;
    this.plans.set(planId, { g: this.g, scratch });
    return {
      planId,
      view: a.view(),
      snap: a.version,
      totalRows: total,
      q: a.dim > 0 && dense ? q : 0,
      qInvNorm,
      qsIdx,
      qsVal,
      qsN,
      bits,
      heaps,
      ranges,
      k,
      metric: METRIC_CODE[cfg.metric],
      flags: cfg.vectorType === 'sparse' ? 1 : 0,
      readUnits: this.readUnits(),
    };
  }

  /** Maps result rows of a plan to ids (and metadata) and frees the plan's scratch space. */
  hydrate(planId: number, rows: number[], includeMetadata: boolean): { ids: string[]; metadata?: (RecordMetadata | undefined)[] } {
    const p = this.plans.get(planId);
    if (!p) throw new Error(`unknown query plan ${planId}`);
    this.release(planId);
    const ids = rows.map((r) => p.g.ids[r]!);
    return includeMetadata ? { ids, metadata: rows.map((r) => p.g.meta[r]) } : { ids };
  }

  release(planId: number): void {
    const p = this.plans.get(planId);
    if (!p) return;
    this.plans.delete(planId);
    p.g.arena.releaseScratch(p.scratch);
  }

  fetch(ids: string[]): { rows: FetchedRow[]; view: ArenaView } {
    const rows: FetchedRow[] = [];
    for (const id of ids) {
      const row = this.rowOf.get(id);
      if (row !== undefined) rows.push({ id, row, metadata: this.g.meta[row] });
    }
    return { rows, view: this.arena.view() };
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

  /** All live records, for a snapshot. */
  records(): CodecRecord[] {
    const out: CodecRecord[] = [];
    const a = this.arena;
    for (const [id, row] of this.rowOf) {
      out.push({ id, values: a.dim > 0 ? a.dense(row) : undefined, sparse: a.sparse(row), metadata: this.g.meta[row] });
    }
    return out;
  }
}
