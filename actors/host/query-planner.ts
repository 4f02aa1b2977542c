/**
 * Planning a query inside the namespace actor: resolve a query-by-id, turn the filter into a bitmap per segment,
 * copy the query into scratch space in each segment's arena and split the work into executor tasks (block ranges
 * scanned exactly; one unit per slab searched through its HNSW graph). The plan holds its segments and scratch
 * until the main thread hydrates its winners (or releases it).
 */
import { compileFilter, type Predicate } from '../../engine/core/filter.js';
import { hnswSettings, METRIC_CODE, type IndexConfig } from '../../engine/core/index-config.js';
import type { DecodedRecord } from '../../engine/storage/record-frame.js';
import { SCAN_SKIP_ZERO } from '../../wasm/kernels.js';
import { alignUp } from '../shared/align.js';
import { ALIVE } from '../shared/arena-layout.js';
import type { Hydrated } from '../shared/host-api.js';
import { allocKernelScratch, type KernelScratch } from '../shared/hnsw-search.js';
import { readUnits, type PlanHit, type PlanRequest, type PlanResult, type PlanSegment } from '../shared/query-plan.js';
import type { NamespaceData } from './namespace-data.js';
import type { Segment, SlabGraph } from './segment.js';

/** Rows of the same segment scanned by one executor task at least; smaller namespaces use one task. */
const MIN_ROWS_PER_TASK = 8192;

interface HeldPlan {
  segs: Segment[];
  scratch: { offset: number; size: number }[];
  kernels: [SlabGraph, KernelScratch][];
}

/** A bitmap of the rows of `seg` that match (null: none do). */
function filterBits(seg: Segment, filter: unknown, pred: Predicate): Uint32Array | null {
  let words: Uint32Array;
  let any = false;
  if (seg.postings) {
    words = seg.postings.match(filter);
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
function graphBits(seg: Segment, g: SlabGraph, filterWords: Uint32Array | null): Uint32Array | null {
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

export class QueryPlanner {
  private readonly plans = new Map<number, HeldPlan>();
  private nextPlan = 1;

  constructor(private readonly data: NamespaceData) {}

  /** Plans `req` against the namespace as it is now (`lsn`: its applied LSN); `query` is the vector, unless by id. */
  plan(cfg: IndexConfig, req: PlanRequest, query: DecodedRecord | undefined, lsn: number): PlanResult {
    const data = this.data;
    const units = readUnits(data.count, data.dim);
    const empty = { empty: true as const, readUnits: units, lsn };
    let dense: ArrayLike<number> | undefined = query?.values;
    let sparse = query?.sparse;
    if (req.id !== undefined) {
      const ref = data.ids.get(req.id);
      if (ref === undefined) return empty;
      const { seg, row } = data.locate(ref);
      dense = data.dim > 0 ? seg.arena.dense(row) : undefined;
      sparse = cfg.metric === 'dotproduct' ? seg.arena.sparse(row) : undefined;
    }
    if (data.count === 0) return empty;
    const pred = compileFilter(req.filter);
    const k = req.k;
    const qsN = sparse ? sparse.indices.length : 0;
    const graphable = dense !== undefined && qsN === 0;
    const candidates: { seg: Segment; bits: Uint32Array | null; graph?: SlabGraph; work: number }[] = [];
    for (const seg of data.segs) {
      if (seg.arena.live === 0) continue;
      let bits = pred ? filterBits(seg, req.filter, pred) : null;
      if (pred && !bits) continue;
      const graph = graphable ? seg.graph : undefined;
      if (graph) bits = graphBits(seg, graph, bits);
      // A graph search costs about what a scan of a few thousand rows does.
      candidates.push({ seg, bits, graph, work: graph ? Math.min(seg.arena.rows, MIN_ROWS_PER_TASK) : seg.arena.rows });
    }
    if (candidates.length === 0) return empty;

    let totalWork = 0;
    for (const c of candidates) totalWork += c.work;
    const tasks = Math.max(1, Math.min(req.tasks, Math.ceil(totalWork / MIN_ROWS_PER_TASK)));
    const perTask = Math.ceil(totalWork / tasks);
    const ef = Math.max(k, hnswSettings(cfg).efSearch);
    let qInvNorm = 0;
    const segments: PlanSegment[] = [];
    const scratch: { offset: number; size: number }[] = [];
    const kernels: [SlabGraph, KernelScratch][] = [];
    const load = new Array<number>(tasks).fill(0);
    for (const { seg, bits, graph, work } of candidates) {
      const a = seg.arena;
      const B = a.layout.rows;
      const nBlocks = Math.ceil(a.rows / B);
      const chunks = graph ? 1 : Math.max(1, Math.min(nBlocks, Math.round(a.rows / perTask)));
      const qBytes = alignUp(a.dim * 4, 16);
      const sBytes = alignUp(qsN * 8, 16);
      const bBytes = alignUp((bits?.length ?? 0) * 4, 16);
      const hBytes = alignUp(k * 8, 16);
      const sc = a.allocScratch(qBytes + sBytes + bBytes + hBytes * chunks);
      scratch.push(sc);
      const base = sc.offset;
      const buf = a.memory.buffer;
      const placed: PlanSegment = {
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
        placed.graph = { handle: graph.handle, kernel: ks.offset, ef };
      }
      if (placed.q) {
        new Float32Array(buf, placed.q, a.dim).set(dense!);
        if (segments.length === 0) {
          const n = a.kernels.norm(placed.q, a.dim);
          qInvNorm = n > 0 ? 1 / n : 0;
        }
        placed.qInvNorm = qInvNorm;
      }
      if (sparse && qsN > 0) {
        new Uint32Array(buf, placed.qsIdx, qsN).set(sparse.indices);
        new Float32Array(buf, placed.qsVal, qsN).set(sparse.values);
      }
      if (bits) new Uint32Array(buf, placed.bits, bits.length).set(bits);
      for (let c = 0; c < chunks; c++) {
        const b0 = Math.floor((c * nBlocks) / chunks);
        const b1 = Math.floor(((c + 1) * nBlocks) / chunks);
        // Least-loaded task takes the unit.
        let t = 0;
        for (let j = 1; j < tasks; j++) if (load[j]! < load[t]!) t = j;
        load[t]! += graph ? work : Math.min(a.rows, b1 * B) - b0 * B;
        placed.units.push({ b0, b1, heap: base + qBytes + sBytes + bBytes + c * hBytes, task: t });
      }
      segments.push(placed);
    }
    const planId = this.nextPlan++;
    this.plans.set(planId, { segs: candidates.map((c) => c.seg), scratch, kernels });
    return {
      planId,
      snap: data.version,
      k,
      metric: METRIC_CODE[cfg.metric],
      flags: cfg.vectorType === 'sparse' ? SCAN_SKIP_ZERO : 0,
      tasks,
      segments,
      readUnits: units,
      lsn,
    };
  }

  /** Maps result rows of a plan to ids (and metadata) and frees the plan's scratch space. */
  hydrate(planId: number, hits: PlanHit[], includeMetadata: boolean): Hydrated {
    const p = this.plans.get(planId);
    if (!p) throw new Error(`unknown query plan ${planId}`);
    this.release(planId);
    const ids = hits.map(([s, r]) => p.segs[s]!.ids[r]!);
    return includeMetadata ? { ids, metadata: hits.map(([s, r]) => p.segs[s]!.meta[r]) } : { ids };
  }

  release(planId: number): void {
    const p = this.plans.get(planId);
    if (!p) return;
    this.plans.delete(planId);
    p.segs.forEach((s, i) => s.arena.releaseScratch(p.scratch[i]!));
    for (const [g, ks] of p.kernels) g.free.push(ks);
  }
}
