/**
 * The namespace actor's side of read views (actors/shared/read-view.ts): reader slots allocated in each segment's
 * arena the first time it is published, and the view of the current segment list.
 */
import type { Arena } from '../shared/arena.js';
import { READER_MIN_EF_CAP, slotLayout, type ReadSegment, type ReaderSlots } from '../shared/read-view.js';
import type { Segment } from './segment.js';

/** `count` reader slots in `arena` (with graph search scratch for `graph`'s rows up to ef `efCap`). */
function allocSlots(arena: Arena, graph: Segment['graph'], count: number, efSearch: number): ReaderSlots {
  const efCap = Math.max(READER_MIN_EF_CAP, efSearch);
  const K = arena.kernels;
  const h = graph?.handle;
  const kernelBytes = h ? K.hnswScratchBytes(h.n, efCap, h.M0) >>> 0 : 0;
  const probe = slotLayout(arena.dim, kernelBytes, efCap, count, 0);
  const slots = { ...probe, offset: arena.reserve(probe.stride * count) };
  if (h) for (let i = 0; i < count; i++) K.hnswScratchInit(slots.offset + i * slots.stride + slots.kernel, h.n, efCap, h.M0);
  return slots;
}

/** What readers need of `seg`, allocating its reader slots (and its alive bitmap, for a graph) on first use. */
export function readSegment(seg: Segment, readers: number, efSearch: number): ReadSegment {
  const a = seg.arena;
  if (seg.graph) a.trackAlive();
  seg.readers ??= allocSlots(a, seg.graph, readers, efSearch);
  const out: ReadSegment = { arenaId: a.id, memory: a.memory, dim: a.dim, rowsPerBlock: a.layout.rows, slots: seg.readers };
  if (seg.graph) out.graph = seg.graph.handle;
  return out;
}
