/**
 * When a LarchDB namespace has settled: no frozen memtable is waiting for its slab and graph (those are scanned
 * exactly until built) and no background work is running or due (merges, an idle flush waiting for its quiet
 * time). Whatever is then left in the memtable (fewer than hnswMinRows records, or idle flush off) is searched
 * exactly; its rows are reported.
 *
 * @module
 */

/** What the harness reads of a namespace's segments (engine `storageInfo`, or the server's /larchdb/storage). */
export interface SegmentState {
  frozen: number;
  memtableRows: number;
  /** Background work running or due (absent from servers older than this field: then frozen alone decides). */
  busy?: boolean;
}

/** The outcome of waiting: how many records are still searched exactly (the memtable's). */
export interface Indexed {
  exactRows: number;
}

/** How often the segments are read while waiting. */
const POLL_MS = 50;

/** Polls `read` until no frozen memtable is left and nothing runs in the background. */
export async function pollIndexed(read: () => Promise<SegmentState>): Promise<Indexed> {
  for (;;) {
    const s = await read();
    if (s.frozen === 0 && s.busy !== true) return { exactRows: s.memtableRows };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
