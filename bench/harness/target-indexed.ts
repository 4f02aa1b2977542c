/**
 * When a LarchDB namespace is indexed: no frozen memtable is waiting for its slab and graph (those are scanned
 * exactly until built). The memtable itself stays exact until it fills and is written out; its rows are reported.
 *
 * @module
 */

/** What the harness reads of a namespace's segments (engine `storageInfo`, or the server's /larchdb/storage). */
export interface SegmentState {
  frozen: number;
  memtableRows: number;
}

/** The outcome of waiting: how many records are still searched exactly (the memtable's). */
export interface Indexed {
  exactRows: number;
}

/** How often the segments are read while waiting. */
const POLL_MS = 50;

/** Polls `read` until no frozen memtable is left. */
export async function pollIndexed(read: () => Promise<SegmentState>): Promise<Indexed> {
  for (;;) {
    const s = await read();
    if (s.frozen === 0) return { exactRows: s.memtableRows };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
