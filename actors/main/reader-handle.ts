/**
 * The main thread's side of one reader thread (actors/reader/read-thread.ts): submits read-view queries into its
 * request slots (actors/shared/read-handoff.ts) and settles them when answered.
 *
 * Answers are noticed two ways: the main thread checks the slots after each query it runs itself (free: it is busy
 * anyway), and, once a turn of its event loop finds queries still outstanding (it has nothing else to do), one
 * `Atomics.waitAsync` on the completion count. Armed only then: an armed wait makes every answer post a task to
 * the main thread and wake its loop, which cost more than the search saved while the main thread was busy anyway.
 * A wait does not keep the process alive, so the worker is referenced while queries are outstanding. When the thread
 * dies, the searches it had claimed reader slots for get them freed (from the request's ledger) and every outstanding
 * query is answered null: the caller runs it itself.
 */
import { Worker } from 'node:worker_threads';
import { HandoffSlots, HandoffStatus, HANDOFF_MAX_DIM, HANDOFF_MAX_K, HANDOFF_MAX_SEGMENTS, HANDOFF_SLOTS, SlotState } from '../shared/read-handoff.js';
import type { ReadRequest, ViewSearch } from '../shared/read-query.js';
import { releaseSlot, type NamespaceReadView } from '../shared/read-view.js';

/** What a handed-off query comes back as: the search's winners, or null: the reader could not answer it. */
export type HandoffResult = ViewSearch | null;

interface Outstanding {
  view: NamespaceReadView;
  resolve: (r: HandoffResult) => void;
}

export class ReaderHandle {
  readonly worker: Worker;
  private readonly slots = HandoffSlots.create();
  /** The next slot to submit into; the reader takes them in the same order. */
  private tail = 0;
  private readonly pending: (Outstanding | undefined)[] = new Array(HANDOFF_SLOTS);
  /** Queries submitted and not yet settled. */
  outstanding = 0;
  /** Views this reader was sent. */
  private readonly sent = new WeakSet<NamespaceReadView>();
  private armed = false;
  private checking = false;
  private dead = false;

  constructor(slot: number) {
    this.worker = new Worker(new URL('../reader/read-thread.js', import.meta.url), { name: `larch-reader-${slot}`, workerData: { sab: this.slots.sab } });
    this.worker.unref();
  }

  /** Queries the reader has not answered yet (answered ones may wait for {@link poll}, but the reader is free). */
  queued(): number {
    if (this.outstanding === 0) return 0;
    let n = 0;
    for (let i = 0; i < HANDOFF_SLOTS; i++) if (this.pending[i] && this.slots.state(i) !== SlotState.Done) n++;
    return n;
  }

  /**
   * Whether this reader can take a query of `view` now: fewer than `depth` unanswered, a free slot, and sizes a slot
   * holds.
   */
  canTake(view: NamespaceReadView, req: ReadRequest, depth: number): boolean {
    return (
      !this.dead &&
      this.outstanding < HANDOFF_SLOTS &&
      this.queued() < depth &&
      req.vector.length <= HANDOFF_MAX_DIM &&
      req.k <= HANDOFF_MAX_K &&
      view.segments.length <= HANDOFF_MAX_SEGMENTS
    );
  }

  /** Hands a query to the reader (check {@link canTake} first). `crash` (tests) makes the thread exit midway. */
  submit(view: NamespaceReadView, viewId: number, req: ReadRequest, crash = false): Promise<HandoffResult> {
    const i = this.tail % HANDOFF_SLOTS;
    if (this.slots.state(i) !== SlotState.Free) throw new Error('reader slot not free');
    if (!this.sent.has(view)) {
      // Posted before the request that names it: the reader finds it on its port when the request comes.
      this.worker.postMessage({ viewId, view });
      this.sent.add(view);
    }
    this.tail++;
    if (this.outstanding++ === 0) this.worker.ref();
    const p = new Promise<HandoffResult>((resolve) => (this.pending[i] = { view, resolve }));
    this.slots.submit(i, viewId, req, crash);
    this.checkWhenIdle();
    return p;
  }

  /** Settles every answered query (cheap when none is outstanding). */
  poll(): void {
    if (this.outstanding === 0) return;
    for (let i = 0; i < HANDOFF_SLOTS; i++) {
      const o = this.pending[i];
      if (!o || this.slots.state(i) !== SlotState.Done) continue;
      const r = this.slots.result(i);
      this.pending[i] = undefined;
      if (--this.outstanding === 0) this.worker.unref();
      this.slots.setState(i, SlotState.Free);
      o.resolve(r.status === HandoffStatus.Ok ? r : null);
    }
  }

  /** At the end of this turn of the event loop (this thread has nothing else to do then), waits for answers. */
  private checkWhenIdle(): void {
    if (this.checking || this.armed) return;
    this.checking = true;
    setImmediate(() => {
      this.checking = false;
      this.arm();
    });
  }

  /** Settles what was answered and, while queries are outstanding, waits on the completion count. */
  private arm(): void {
    while (!this.armed && !this.dead) {
      // Read before the poll: an answer after it changes the count, and the wait below returns at once.
      const seen = this.slots.completions();
      this.poll();
      if (this.outstanding === 0) return;
      const w = Atomics.waitAsync(this.slots.words, this.slots.completionsIndex, seen);
      if (!w.async) continue;
      this.armed = true;
      void w.value.then(() => {
        this.armed = false;
        this.poll();
        this.checkWhenIdle();
      });
    }
  }

  /**
   * The thread died: frees the reader slots its running search held, and answers every outstanding query null.
   * (A slot the ledger names is still claimed: the ledger forgets a slot before the reader frees it.)
   */
  died(): void {
    this.dead = true;
    for (let i = 0; i < HANDOFF_SLOTS; i++) {
      const o = this.pending[i];
      if (!o) continue;
      if (this.slots.state(i) === SlotState.Running) {
        this.slots.ledger(i).forEach((slot, at) => {
          if (slot !== 0) releaseSlot(o.view.segments[at]!.memory, slot);
        });
      }
      this.pending[i] = undefined;
      o.resolve(null);
    }
    if (this.outstanding > 0) this.worker.unref();
    this.outstanding = 0;
  }

  async terminate(): Promise<void> {
    this.dead = true;
    this.slots.stop();
    await this.worker.terminate();
  }
}
