/**
 * A namespace as readers on other threads see it: what the namespace actor publishes so that a query runs start to
 * finish on the thread that asked (the main thread, or an executor) without a message to the actor.
 *
 * - The clock (a SharedArrayBuffer of the namespace): the applied LSN and version, stored with Atomics after every
 *   applied write, and the generation of the segment list, bumped whenever the list changes.
 * - The view (posted to the main thread on every list change, before the answer of any later call): each segment's
 *   arena memory, graph handle and reader slots. Rows, blocks and dead rows a reader finds in the arena header.
 * - Reader slots (in each segment's arena): a reader claims a free one with a compare-and-swap, writes its query,
 *   scans or walks into the slot's heap, and frees it. A slot holds the query, a top-k heap and, for graph slabs,
 *   the kernel's search scratch.
 *
 * A reader loads the LSN, then the version, then the generation: if the generation is not its view's, the list
 * changed after that version and the view may miss rows (e.g. a slab swapped in that now takes deletes); the reader
 * leaves the query to the actor. Otherwise every segment holds every row visible at that version.
 */
import { alignUp } from './align.js';
import type { HnswHandle } from './hnsw-layout.js';

/** Largest topK a reader slot's heap holds (Pinecone's topK limit). */
export const READER_MAX_K = 10000;
/** Largest result-set size (ef) a reader slot's graph scratch takes; larger ones are planned by the actor. */
export const READER_MIN_EF_CAP = 512;

const SLOT_HEADER = 64;

/**
 * Reader threads a process runs (actors/reader): one per executor but one, at least one, so that with queries in
 * flight the main thread and the readers keep as many cores busy as there are executors.
 */
export const readerThreads = (queryThreads: number): number => Math.max(1, queryThreads - 1);

/** Reader slots per segment: one for each thread that may search it (main, executors, reader threads). */
export const readerSlotCount = (queryThreads: number): number => 1 + queryThreads + readerThreads(queryThreads);

/** Where one segment's reader slots are: `count` slots of `stride` bytes from `offset` in its arena. */
export interface ReaderSlots {
  offset: number;
  count: number;
  stride: number;
  /** Offsets inside a slot. */
  q: number;
  heap: number;
  /** Kernel search scratch (graph slabs only, else 0) for result sets up to `efCap`. */
  kernel: number;
  efCap: number;
}

/** Bytes of one slot for a segment of dimension `dim` (and a graph scratch of `kernelBytes`). */
export function slotLayout(dim: number, kernelBytes: number, efCap: number, count: number, offset: number): ReaderSlots {
  const q = SLOT_HEADER;
  const heap = q + alignUp(dim * 4, 16);
  const kernel = kernelBytes > 0 ? alignUp(heap + READER_MAX_K * 8, 64) : 0;
  const stride = alignUp(kernel > 0 ? kernel + kernelBytes : heap + READER_MAX_K * 8, 64);
  return { offset, count, stride, q, heap, kernel, efCap };
}

/** What a reader needs of one segment. Plain data and shared memory: postable to any thread. */
export interface ReadSegment {
  arenaId: string;
  memory: WebAssembly.Memory;
  dim: number;
  rowsPerBlock: number;
  /** Set on slabs searched through their graph. */
  graph?: HnswHandle;
  slots: ReaderSlots;
}

/** A namespace's published segments, oldest first, and its clock. */
export interface NamespaceReadView {
  clock: SharedArrayBuffer;
  /** The segment-list generation this view is of. */
  gen: number;
  segments: ReadSegment[];
}

/** What a host posts to the main thread when a namespace's segment list changes (view null: it went away). */
export interface ReadViewMessage {
  readView: { index: string; ns: string; view: NamespaceReadView | null };
}

const VERSION = 0;
const GEN = 1;

/** The clock's words: [version, generation] as i32, then the applied LSN as i64. */
export const newClock = (): SharedArrayBuffer => new SharedArrayBuffer(16);

/** Owner: every write up to `lsn` (version `version`) is applied. */
export function publishApplied(clock: SharedArrayBuffer, lsn: number, version: number): void {
  Atomics.store(new BigInt64Array(clock, 8, 1), 0, BigInt(lsn));
  Atomics.store(new Int32Array(clock, 0, 2), VERSION, version);
}

/** Owner: the segment list changed; answers the new generation. */
export function bumpGeneration(clock: SharedArrayBuffer): number {
  return Atomics.add(new Int32Array(clock, 0, 2), GEN, 1) + 1;
}

/** Reader: the snapshot to query at, or null when the view is behind the segment list. */
export function readSnapshot(view: NamespaceReadView): { lsn: number; version: number } | null {
  const lsn = Number(Atomics.load(new BigInt64Array(view.clock, 8, 1), 0));
  const words = new Int32Array(view.clock, 0, 2);
  const version = Atomics.load(words, VERSION);
  return Atomics.load(words, GEN) === view.gen ? { lsn, version } : null;
}

/** Claims a free slot of `s` (its byte offset), or null when every one is taken. */
export function claimSlot(memory: WebAssembly.Memory, s: ReaderSlots): number | null {
  const words = new Int32Array(memory.buffer);
  for (let i = 0; i < s.count; i++) {
    const at = s.offset + i * s.stride;
    if (Atomics.compareExchange(words, at / 4, 0, 1) === 0) return at;
  }
  return null;
}

export function releaseSlot(memory: WebAssembly.Memory, slot: number): void {
  Atomics.store(new Int32Array(memory.buffer), slot / 4, 0);
}
