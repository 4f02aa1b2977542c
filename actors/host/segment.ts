/**
 * A segment of a namespace: one arena (shared memory) with the ids and metadata of its rows. The newest segment
 * is the memtable, which takes every write; a full memtable is frozen and an index builder turns it into an
 * immutable slab segment (and a slab file). Small slab segments are merged into larger ones.
 *
 * Rows are addressed across segments by a number: segment sequence × 2^32 + row.
 */
import type { RecordMetadata } from '../../engine/core/types.js';
import type { MetadataPostings } from '../../engine/storage/postings.js';
import type { SlabEntry } from '../../engine/storage/manifest.js';
import type { Arena } from '../shared/arena.js';
import type { HnswHandle } from '../shared/hnsw-layout.js';
import type { KernelScratch } from '../shared/hnsw-search.js';
import type { ReaderSlots } from '../shared/read-view.js';

/** A slab's HNSW graph and what searching it needs from the namespace actor. */
export interface SlabGraph {
  handle: HnswHandle;
  /** Kernel search scratch not in use (one per search in flight; see allocKernelScratch). */
  free: KernelScratch[];
  /** Bitmap of the rows alive, cached while the slab's dead count is `dead` (searches must skip dead rows). */
  alive?: { dead: number; words: Uint32Array };
}

export interface Segment {
  /** Unique within the namespace, across restarts too: it names the slab file. */
  seq: number;
  arena: Arena;
  ids: string[];
  meta: (RecordMetadata | undefined)[];
  /** Set when the segment stopped taking writes: its content is the namespace's rows up to this version / LSN. */
  frozenAt?: { version: number; lsn: number };
  /**
   * Something waits for this frozen memtable's slab: it was frozen full (writes wait for it once the next memtable
   * fills, see maxFrozenMemtables) or by a flush call. Its graph is then built at normal priority, not in the
   * background (the idle flush and merges are).
   */
  urgent?: boolean;
  /** Set on slabs (built by an index builder: immutable rows): metadata postings for filters. */
  postings?: MetadataPostings;
  /** The slab's HNSW graph (slabs of at least hnswMinRows rows of a dense index). */
  graph?: SlabGraph;
  /** The slab file holding this segment, once it is durable. */
  slab?: SlabEntry;
  /** Ids deleted while this segment was the memtable: on load they kill rows of older slabs. */
  tombstones: Set<string>;
  /** Reader slots in the arena, once the segment was published to readers (read-publisher.ts). */
  readers?: ReaderSlots;
}

/** Whether `s` is a slab (built, immutable), not a memtable. */
export const isSlab = (s: Segment): boolean => s.postings !== undefined;

/** Whether `s` is a frozen memtable waiting for its slab. */
export const isFrozen = (s: Segment): boolean => s.frozenAt !== undefined && !isSlab(s);

const SEQ = 2 ** 32;

export const rowRef = (seq: number, row: number) => seq * SEQ + row;
export const refSeq = (ref: number) => Math.floor(ref / SEQ);
export const refRow = (ref: number) => ref % SEQ;
