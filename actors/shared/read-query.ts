/**
 * A query run from a namespace's read view (read-view.ts) on the thread that asks, with no message to the namespace
 * actor: each segment is scanned (memtables, small slabs) or walked through its graph into a reader slot's heap by
 * the same scan-task code the executors run, the heaps are merged (`searchView`), and the winners' ids, metadata and
 * values are read from the arenas (`labelHits`; for a search a reader thread ran, by the main thread, which hands
 * over only the query and gets back keys and rows). Unfiltered dense queries only; anything else (and a view behind
 * its namespace) is the actor's.
 */
import { ArenaHeader, blockOffsets, coversArena, headerWord, locate, readLabel } from './arena-layout.js';
import type { ArenaView } from './arena.js';
import type { ScanUnit } from './query-plan.js';
import { claimSlot, readSnapshot, releaseSlot, READER_MAX_K, type NamespaceReadView, type ReadSegment } from './read-view.js';
import { kernelsFor, runScanTask } from './scan-task.js';

export interface ReadRequest {
  vector: ArrayLike<number>;
  k: number;
  /** Result-set size of graph walks (at least k is used). */
  ef: number;
  /** KernelMetric code. */
  metric: number;
  /** Scan flags (SCAN_SKIP_ZERO …). */
  flags: number;
  includeMetadata: boolean;
}

/** One winning row: its kernel key (larger is better), id (and metadata), and where it is: segment of the view, row. */
export interface ReadHit {
  key: number;
  id: string;
  metaJson?: string;
  seg: number;
  row: number;
}

interface Claimed {
  seg: ReadSegment;
  /** Position of the segment in the view. */
  at: number;
  slot: number;
  rows: number;
  blocks: number[];
}

/** What a reader answers: the winners, the LSN of its snapshot and the namespace's live records. */
export interface ReadResult {
  hits: ReadHit[];
  lsn: number;
  live: number;
}

/**
 * A read query sent to an executor. Views are cached by the executors under `viewId` (a received WebAssembly.Memory
 * costs far more than the query: measured +160 µs of CPU a query), so the view itself is sent only until every
 * executor has probably seen it; an executor that has not answers `unknownView`, and the query is sent again with it.
 */
export interface ReadTask {
  viewId: number;
  view?: NamespaceReadView;
  req: ReadRequest;
}

export type ReadTaskResult = ReadResult | null | { unknownView: true };

const MAX_VIEWS = 256;
const views = new Map<number, NamespaceReadView>();

/** Keeps `view` in this thread's cache of views under `id` (see ReadTask). */
export function cacheView(id: number, view: NamespaceReadView): void {
  views.set(id, view);
  // The oldest views go first: their namespaces moved on to newer generations.
  for (const old of views.keys()) {
    if (views.size <= MAX_VIEWS) break;
    views.delete(old);
  }
}

/** The view this thread cached under `id`, if it still has it. */
export const cachedView = (id: number): NamespaceReadView | undefined => views.get(id);

/** Runs a read task on this thread with its cached (or enclosed) view. */
export function runReadTask(t: ReadTask): ReadTaskResult {
  if (t.view) cacheView(t.viewId, t.view);
  const view = t.view ?? views.get(t.viewId);
  return view ? readQuery(view, t.req) : { unknownView: true };
}

/** Vector components a query reads (rows × dimension scanned; a graph walk counted as ef × 32 neighbours). */
export function readWork(view: NamespaceReadView, ef: number): number {
  let work = 0;
  for (const s of view.segments) work += s.graph ? ef * 32 * s.dim : headerWord(s.memory.buffer, ArenaHeader.Rows) * s.dim;
  return work;
}

/** The best `k` rows as the actor would answer them, or null when the query must go to the actor. */
export function readQuery(view: NamespaceReadView, req: ReadRequest): ReadResult | null {
  const found = searchView(view, req);
  const hits = found && labelHits(view, found.best, req.includeMetadata);
  return hits ? { hits, lsn: found.lsn, live: found.live } : null;
}

/** One winner of a search, before its label is read: kernel key, segment position in the view, row. */
export interface ViewHit {
  key: number;
  seg: number;
  row: number;
}

/** What a search of a view answers: the best k rows (best first), its snapshot's LSN and the live records. */
export interface ViewSearch {
  best: ViewHit[];
  lsn: number;
  live: number;
}

/**
 * Searches every segment of the view at the namespace's current snapshot; null when the query must go to the actor.
 * `ledger` (one word per segment position) holds the reader slot claimed in each segment while the search runs, so
 * that the slots of a thread that died midway can be freed by another (actors/main/reader-handle.ts). `crash` (tests)
 * exits the thread halfway through the first segment.
 */
export function searchView(view: NamespaceReadView, req: ReadRequest, ledger?: Uint32Array, crash = false): ViewSearch | null {
  if (req.k > READER_MAX_K) return null;
  const ef = Math.max(req.k, req.ef);
  if (view.segments.some((s) => s.graph && ef > s.slots.efCap)) return null;
  const snap = readSnapshot(view);
  if (!snap) return null;
  const claimed: Claimed[] = [];
  let live = 0;
  try {
    for (const [at, seg] of view.segments.entries()) {
      if (!coversArena(seg.memory)) return null;
      const buf = seg.memory.buffer;
      const rows = headerWord(buf, ArenaHeader.Rows);
      const dead = headerWord(buf, ArenaHeader.Dead);
      live += rows - dead;
      if (dead >= rows) continue;
      const slot = claimSlot(seg.memory, seg.slots);
      if (slot === null) return null;
      if (ledger) ledger[at] = slot;
      claimed.push({ seg, at, slot, rows, blocks: blockOffsets(buf, Math.ceil(rows / seg.rowsPerBlock)) });
    }
    const units = claimed.map((c) => unitOf(c, req, ef));
    const counts = runScanTask({ snap: snap.version, k: req.k, metric: req.metric, flags: req.flags, units, crash });
    return { best: best(claimed, units, counts, req.k), lsn: snap.lsn, live };
  } finally {
    for (const c of claimed) {
      // The ledger forgets the slot before it is freed: a slot freed twice could be another reader's by then.
      if (ledger) ledger[c.at] = 0;
      releaseSlot(c.seg.memory, c.slot);
    }
  }
}

/** The scan unit of one claimed segment: the query copied into the slot, the whole arena (or its graph). */
function unitOf(c: Claimed, req: ReadRequest, ef: number): ScanUnit {
  const { seg, slot } = c;
  const q = slot + seg.slots.q;
  new Float32Array(seg.memory.buffer, q, seg.dim).set(req.vector);
  const n = kernelsFor(seg).kernels.norm(q, seg.dim);
  const buf = seg.memory.buffer;
  const graph = seg.graph && { handle: seg.graph, kernel: slot + seg.slots.kernel, ef };
  return {
    arenaId: seg.arenaId,
    memory: seg.memory,
    dim: seg.dim,
    rowsPerBlock: seg.rowsPerBlock,
    blocks: graph ? [] : c.blocks,
    rowBase: 0,
    totalRows: c.rows,
    q,
    qInvNorm: n > 0 ? 1 / n : 0,
    qsIdx: 0,
    qsVal: 0,
    qsN: 0,
    // A graph walk does not look at row versions: it skips dead rows through the arena's alive bitmap.
    bits: graph && headerWord(buf, ArenaHeader.Dead) > 0 ? headerWord(buf, ArenaHeader.AliveBits) : 0,
    heap: slot + seg.slots.heap,
    graph,
  };
}

/** Merges the heaps into the best k (equal keys: older segment, then earlier row). */
function best(claimed: Claimed[], units: ScanUnit[], counts: number[], k: number): ViewHit[] {
  const out: ViewHit[] = [];
  units.forEach((u, c) => {
    const buf = u.memory.buffer;
    const keys = new Float32Array(buf, u.heap, counts[c]!);
    const rows = new Uint32Array(buf, u.heap + 4 * k, counts[c]!);
    const seg = claimed[c]!.at;
    for (let j = 0; j < keys.length; j++) out.push({ key: keys[j]!, seg, row: rows[j]! });
  });
  out.sort((a, b) => b.key - a.key || a.seg - b.seg || a.row - b.row);
  return out.slice(0, k);
}

/**
 * Reads the ids (and metadata) of a search's winners from their arenas' labels, on any thread that has the view;
 * null when this thread's view of an arena is short of it.
 */
export function labelHits(view: NamespaceReadView, hits: readonly ViewHit[], includeMetadata: boolean): ReadHit[] | null {
  const blocks = new Map<number, number[]>();
  const out: ReadHit[] = [];
  for (const { key, seg: at, row } of hits) {
    const seg = view.segments[at]!;
    let b = blocks.get(at);
    if (!b) {
      if (!coversArena(seg.memory)) return null;
      blocks.set(at, (b = blockOffsets(seg.memory.buffer, Math.ceil(headerWord(seg.memory.buffer, ArenaHeader.Rows) / seg.rowsPerBlock))));
    }
    const { block, r } = locate(b, seg.rowsPerBlock, row);
    out.push({ key, ...readLabel(seg.memory.buffer, kernelsFor(seg).layout, block, r, includeMetadata), seg: at, row });
  }
  return out;
}

/** The view's segments as arena views (their blocks as of now), to read the values of its hits (row-values.ts). */
export function rowViews(view: NamespaceReadView): ArenaView[] | null {
  const out: ArenaView[] = [];
  for (const s of view.segments) {
    if (!coversArena(s.memory)) return null;
    const rows = headerWord(s.memory.buffer, ArenaHeader.Rows);
    out.push({ arenaId: s.arenaId, memory: s.memory, dim: s.dim, rowsPerBlock: s.rowsPerBlock, blocks: blockOffsets(s.memory.buffer, Math.ceil(rows / s.rowsPerBlock)) });
  }
  return out;
}
