/**
 * Query executor: a piscina worker that scans a range of an arena's blocks with the WASM kernel, in place in
 * shared memory, into a top-k heap that also lives in that memory. It answers only the heap's entry count; the
 * main thread reads the heap itself. One kernel instance per arena memory is cached per thread.
 */
import { instantiateKernels, type Kernels } from '../wasm/kernels.js';
import { blockLayout, type BlockLayout } from './arena-layout.js';

/** The query half of a scan, shared by every task of one plan. Numbers are byte offsets unless named otherwise. */
export interface ScanParams {
  /** Snapshot version: rows with created <= snap < deleted are visible. */
  snap: number;
  totalRows: number;
  q: number;
  qInvNorm: number;
  qsIdx: number;
  qsVal: number;
  qsN: number;
  /** Filter bitmap over all rows of the arena (0: no filter). */
  bits: number;
  k: number;
  metric: number;
  flags: number;
}

/** One scan task: a plan's parameters, where the arena is, the block range [b0, b1) and this task's heap. */
export interface ScanTask extends ScanParams {
  arenaId: string;
  memory: WebAssembly.Memory;
  dim: number;
  rowsPerBlock: number;
  blocks: number[];
  b0: number;
  b1: number;
  heap: number;
  /** Fault injection: exit the thread halfway through the scan. */
  crash?: boolean;
}

const MAX_CACHED = 256;
const cache = new Map<string, { kernels: Kernels; layout: BlockLayout }>();

function kernelsFor(t: ScanTask): { kernels: Kernels; layout: BlockLayout } {
  let c = cache.get(t.arenaId);
  if (!c) {
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    c = { kernels: instantiateKernels(t.memory), layout: blockLayout(t.dim, t.rowsPerBlock) };
    cache.set(t.arenaId, c);
  }
  return c;
}

export default function scan(t: ScanTask): number {
  const { kernels: K, layout: L } = kernelsFor(t);
  const B = t.rowsPerBlock;
  const crashAt = t.crash ? t.b0 + ((t.b1 - t.b0) >> 1) : -1;
  let count = 0;
  for (let b = t.b0; b < t.b1; b++) {
    if (b === crashAt) process.exit(71);
    const block = t.blocks[b]!;
    const n = Math.min(B, t.totalRows - b * B);
    if (n <= 0) break;
    count = K.scanTopK(
      t.q,
      t.qInvNorm,
      block + L.vecs,
      block + L.invNorms,
      n,
      t.dim,
      t.metric,
      t.qsIdx,
      t.qsVal,
      t.qsN,
      block + L.sparseOff,
      block + L.sparseNnz,
      block + L.created,
      block + L.deleted,
      t.snap,
      t.bits ? t.bits + (b * B) / 8 : 0,
      t.heap,
      t.k,
      count,
      b * B,
      t.flags,
    );
  }
  return count;
}
