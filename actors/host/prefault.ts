/**
 * Prefaulting the memtable's arena: while an upsert is on its way to disk, a helper thread touches the arena pages
 * its rows will be written to, so applying it (once durable) copies into memory that is already mapped.
 *
 * Why: an arena is fresh memory, and the first write to each 4 KiB page costs a page fault. On the 2-vCPU VM the
 * benchmarks run on that is ~13–18 µs a page (the hypervisor backs the page then): 100 rows of 768-d cost ~1.2 ms
 * of faults, more than the peer's whole append + fdatasync of the same batch, and at 8 writers the namespace host
 * thread spent half its time in them. On the helper thread the faults overlap the disk write (one writer) and run on
 * the other core (many writers).
 *
 * Which pages: the rows an upsert will take are the memtable's next ones, after the rows of the writes still in
 * flight, and the thread is asked to run ahead of them by about {@link AHEAD_BYTES}: one message then covers the
 * rows of many writes (a message to a sleeping thread costs the host ~15-30 µs and wakes a thread on a 2-core
 * machine; one per write was the host's largest single cost at 8 writers). Only rows of the arena's last allocated
 * block are touched (a new block does not exist yet). This reads
 * the arena's block layout (arena-layout.ts); when the layout changes, this has to follow, and until it does it
 * only touches the wrong pages, which costs time and changes nothing.
 */
import { Worker } from 'node:worker_threads';
import type { Arena } from '../shared/arena.js';
import { Outbox } from '../shared/host-rpc.js';

/** How far ahead of the rows being written the thread is asked to touch (bytes of rows; clipped to the block). */
export const AHEAD_BYTES = 1 << 20;

/** To the prefault thread: an arena's memory (first time), pages to touch ([start, end) byte pairs), or forget it. */
export interface PrefaultMessage {
  arena: string;
  memory?: WebAssembly.Memory;
  ranges?: number[];
  forget?: true;
}

/** One per namespace host: the helper thread, started on first use. */
export class Prefaulter {
  private worker: Worker | null = null;
  private readonly outbox = new Outbox<PrefaultMessage>((batch) => this.thread()?.postMessage(batch));
  /** Arenas whose memory the thread has, and the row up to which it was asked to touch each. */
  private readonly sent = new Map<string, number>();
  private failed = false;

  private thread(): Worker | null {
    if (this.failed) return null;
    if (!this.worker) {
      this.worker = new Worker(new URL('./prefault-thread.js', import.meta.url), { name: 'larch-prefault' });
      this.worker.unref();
      // Prefaulting is an optimisation: a thread that fails is not replaced, the host faults its pages itself.
      this.worker.on('error', () => {
        this.failed = true;
      });
    }
    return this.worker;
  }

  /**
   * Sees that the pages rows [from, from + count) of `arena` will be written to are touched (see the module
   * comment): when they were not asked for yet, asks for them and the rows of about {@link AHEAD_BYTES} after.
   */
  rows(arena: Arena, from: number, count: number): void {
    if (this.failed || count <= 0) return;
    const asked = this.sent.get(arena.id);
    if (asked !== undefined && from + count <= asked) return;
    const start = asked === undefined ? from : Math.max(from, asked);
    const rowBytes = arena.dim * 4 + 24;
    const end = from + count + Math.ceil(AHEAD_BYTES / rowBytes);
    const ranges = rowRanges(arena, start, end - start);
    // Clipped at the end of the last block: the rows after it are asked for once their block exists.
    const reach = Math.min(end, arena.blocks.length * arena.layout.rows);
    if (asked !== undefined && reach <= asked) return;
    const m: PrefaultMessage = { arena: arena.id, ranges };
    if (asked === undefined) m.memory = arena.memory;
    this.sent.set(arena.id, reach);
    if (ranges.length > 0 || m.memory) this.outbox.push(m);
  }

  /** The arena takes no more writes (a frozen memtable): the thread lets go of its memory. */
  forget(arena: Arena): void {
    if (!this.sent.delete(arena.id)) return;
    this.outbox.push({ arena: arena.id, forget: true });
  }

  close(): Promise<number> | undefined {
    return this.worker?.terminate();
  }
}

/** Byte ranges of rows [from, from + count) that lie in the arena's last allocated block. */
export function rowRanges(arena: Arena, from: number, count: number): number[] {
  const L = arena.layout;
  const last = arena.blocks.length - 1;
  if (last < 0 || count <= 0) return [];
  const r0 = from - last * L.rows;
  const r1 = Math.min(L.rows, r0 + count);
  if (r0 < 0 || r0 >= r1) return [];
  const block = arena.blocks[last]!;
  const rowBytes = arena.dim * 4;
  const ranges = rowBytes > 0 ? [block + L.vecs + r0 * rowBytes, block + L.vecs + r1 * rowBytes] : [];
  for (const col of [L.invNorms, L.created, L.deleted, L.sparseOff, L.sparseNnz, L.label]) ranges.push(block + col + r0 * 4, block + col + r1 * 4);
  return ranges;
}
