/**
 * One scan task of the read path: scans block ranges of one or more arenas with the WASM kernel, or searches a
 * slab's HNSW graph with it, in place in shared memory, into top-k heaps that live in those memories. It answers
 * only the heaps' entry counts; the caller reads the heap itself. One kernel instance per arena memory is cached per
 * thread. Runs on a query executor (actors/executor), or on the main thread for a small task when the executors
 * are idle (the hop would cost more than the work).
 */
import { KernelMetric, instantiateKernels, type Kernels } from '../../wasm/kernels.js';
import { blockLayout, type BlockLayout } from './arena-layout.js';
import { WalkModel, searchPlaced } from './hnsw-search.js';
import type { GraphPlacement, ScanTask, ScanUnit } from './query-plan.js';

const MAX_CACHED = 256;
/**
 * A cached kernel instance holds its arena's memory alive. Arenas die when slabs are merged or flushed, and nothing
 * tells the executors, so entries unused this long are dropped (a merged-away slab can be gigabytes).
 */
const IDLE_MS = 30_000;
export interface Cached {
  kernels: Kernels;
  layout: BlockLayout;
  used: number;
}
const walkModel = new WalkModel();
const cache = new Map<string, Cached>();

/** This thread's kernel instance on an arena's memory (and the arena's block layout), cached by arena id. */
export function kernelsFor(u: Pick<ScanUnit, 'arenaId' | 'memory' | 'dim' | 'rowsPerBlock'>): Cached {
  const now = performance.now();
  let c = cache.get(u.arenaId);
  if (c) {
    c.used = now;
    return c;
  }
  // A new arena: drop the entries unused for long (and the oldest, past the cap) first.
  const byAge = [...cache].sort((a, b) => a[1].used - b[1].used);
  for (const [id, e] of byAge) if (now - e.used >= IDLE_MS || cache.size >= MAX_CACHED) cache.delete(id);
  c = { kernels: instantiateKernels(u.memory), layout: blockLayout(u.dim, u.rowsPerBlock), used: now };
  cache.set(u.arenaId, c);
  return c;
}

function scanUnit(t: ScanTask, u: ScanUnit, crash: boolean): number {
  const { kernels: K, layout: L } = kernelsFor(u);
  const B = u.rowsPerBlock;
  const crashAt = crash ? u.blocks.length >> 1 : -1;
  let count = 0;
  for (let i = 0; i < u.blocks.length; i++) {
    if (i === crashAt) process.exit(71);
    const block = u.blocks[i]!;
    const base = u.rowBase + i * B;
    const n = Math.min(B, u.totalRows - base);
    if (n <= 0) break;
    count = K.scanTopK(
      u.q,
      u.qInvNorm,
      block + L.vecs,
      block + L.invNorms,
      n,
      u.dim,
      t.metric,
      u.qsIdx,
      u.qsVal,
      u.qsN,
      block + L.sparseOff,
      block + L.sparseNnz,
      block + L.created,
      block + L.deleted,
      t.snap,
      u.bits ? u.bits + base / 8 : 0,
      u.heap,
      t.k,
      count,
      base,
      t.flags,
    );
  }
  return count;
}

/** Searches a slab through its graph (or, for a selective filter, the bitmap's rows exactly) into the unit's heap. */
function searchUnit(t: ScanTask, u: ScanUnit, g: GraphPlacement, crash: boolean): number {
  if (crash) process.exit(71);
  const { kernels } = kernelsFor(u);
  const qInv = t.metric === KernelMetric.Cosine ? u.qInvNorm : 1;
  const p = { q: u.q, qInv, bits: u.bits, heap: u.heap, kernel: g.kernel, k: t.k, ef: g.ef, mode: 'auto' as const };
  return searchPlaced(kernels, g.handle, p, walkModel).count;
}

/** Scans (or searches) every unit of the task; answers the entry count of each unit's heap. */
export function runScanTask(t: ScanTask): number[] {
  return t.units.map((u, i) => {
    const crash = t.crash === true && i === 0;
    return u.graph ? searchUnit(t, u, u.graph, crash) : scanUnit(t, u, crash);
  });
}
