/**
 * The hand-off between the main thread and a reader thread (actors/reader): a SharedArrayBuffer of request slots,
 * used in ring order. Handing a read-view query to another thread through a message and back (piscina) cost more CPU
 * than the search itself; here the main thread writes the query into a slot and stores its state (a futex wake only
 * when the reader sleeps), the reader blocks in `Atomics.wait` while it has nothing to do, and answers the winners
 * (key, segment position, row) in the same slot. The main thread reads their labels itself.
 *
 * Slot states go FREE → SUBMITTED (main) → RUNNING → DONE (reader) → FREE (main, once it read the answer). Both sides
 * walk the slots in the same order, so the reader's next slot is always the oldest one submitted.
 *
 * Views reach the reader by message, each once, before the first request that names it; the reader, which never
 * returns to its event loop, takes them off its port synchronously when a request names a view it lacks.
 */
import type { ReadRequest, ViewHit } from './read-query.js';

/** Request slots per reader thread. */
export const HANDOFF_SLOTS = 8;
/** Largest query dimension a slot holds (larger queries run on the main thread). */
export const HANDOFF_MAX_DIM = 4096;
/** Largest topK a slot holds. */
export const HANDOFF_MAX_K = 1000;
/** Most segments a view may have to be handed off (one ledger word each). */
export const HANDOFF_MAX_SEGMENTS = 32;

export const enum SlotState {
  Free = 0,
  Submitted = 1,
  Running = 2,
  Done = 3,
}

/** What the reader answered for a request. */
export const enum HandoffStatus {
  /** Winners in the slot. */
  Ok = 0,
  /** The view cannot answer it (behind its namespace, no free reader slot …): the main thread decides. */
  NotFromView = 1,
  /** The reader does not have the view. */
  UnknownView = 2,
  /** The search threw (the message is in the reader's log); the main thread runs the query instead. */
  Failed = 3,
}

// Header: [0] completions (bumped and notified after every answer), [1] stop.
const HEADER = 64;
const COMPLETIONS = 0;
const STOP = 1;

// A slot's i32 words.
const W_STATE = 0;
const W_VIEW = 1;
const W_K = 2;
const W_EF = 3;
const W_METRIC = 4;
const W_FLAGS = 5;
const W_DIM = 6;
const W_CRASH = 7;
const W_STATUS = 8;
const W_COUNT = 9;
const F64_LSN = 48;
const F64_LIVE = 56;
const LEDGER = 64;
const VECTOR = LEDGER + HANDOFF_MAX_SEGMENTS * 4;
const HITS = VECTOR + HANDOFF_MAX_DIM * 4;
const SLOT_BYTES = HITS + HANDOFF_MAX_K * 12;

/** A reader thread's request slots, viewed from either side. */
export class HandoffSlots {
  readonly words: Int32Array;
  private readonly f64: Float64Array;
  private readonly f32: Float32Array;
  private readonly u32: Uint32Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.words = new Int32Array(sab);
    this.f64 = new Float64Array(sab);
    this.f32 = new Float32Array(sab);
    this.u32 = new Uint32Array(sab);
  }

  static create(): HandoffSlots {
    return new HandoffSlots(new SharedArrayBuffer(HEADER + HANDOFF_SLOTS * SLOT_BYTES));
  }

  /** Byte offset of slot `i`. */
  private at(i: number): number {
    return HEADER + i * SLOT_BYTES;
  }

  /** Index in `words` of slot `i`'s state (to wait on). */
  stateIndex(i: number): number {
    return this.at(i) / 4 + W_STATE;
  }

  state(i: number): SlotState {
    return Atomics.load(this.words, this.stateIndex(i)) as SlotState;
  }

  setState(i: number, s: SlotState): void {
    Atomics.store(this.words, this.stateIndex(i), s);
  }

  /** Main: writes a request into slot `i` (free) and wakes the reader if it sleeps on it. */
  submit(i: number, viewId: number, req: ReadRequest, crash: boolean): void {
    const w = this.at(i) / 4;
    const words = this.words;
    words[w + W_VIEW] = viewId;
    words[w + W_K] = req.k;
    words[w + W_EF] = req.ef;
    words[w + W_METRIC] = req.metric;
    words[w + W_FLAGS] = req.flags;
    words[w + W_DIM] = req.vector.length;
    words[w + W_CRASH] = crash ? 1 : 0;
    this.f32.set(req.vector, (this.at(i) + VECTOR) / 4);
    this.ledger(i).fill(0);
    // The store publishes the fields above (Atomics are sequentially consistent).
    Atomics.store(words, w + W_STATE, SlotState.Submitted);
    Atomics.notify(words, w + W_STATE, 1);
  }

  /** Reader: the request in slot `i` (its vector a view into the slot). */
  request(i: number): { viewId: number; req: ReadRequest; crash: boolean } {
    const w = this.at(i) / 4;
    const words = this.words;
    const req: ReadRequest = {
      vector: this.f32.subarray((this.at(i) + VECTOR) / 4, (this.at(i) + VECTOR) / 4 + words[w + W_DIM]!),
      k: words[w + W_K]!,
      ef: words[w + W_EF]!,
      metric: words[w + W_METRIC]!,
      flags: words[w + W_FLAGS]!,
      includeMetadata: false,
    };
    return { viewId: words[w + W_VIEW]!, req, crash: words[w + W_CRASH] === 1 };
  }

  /** The reader slot claimed in each segment while slot `i`'s search runs (0: none). */
  ledger(i: number): Uint32Array {
    return this.u32.subarray((this.at(i) + LEDGER) / 4, (this.at(i) + LEDGER) / 4 + HANDOFF_MAX_SEGMENTS);
  }

  /** Reader: answers slot `i` and tells the main thread. */
  answer(i: number, status: HandoffStatus, found?: { best: ViewHit[]; lsn: number; live: number }): void {
    const a = this.at(i);
    const w = a / 4;
    this.words[w + W_STATUS] = status;
    if (found) {
      const n = found.best.length;
      this.words[w + W_COUNT] = n;
      this.f64[(a + F64_LSN) / 8] = found.lsn;
      this.f64[(a + F64_LIVE) / 8] = found.live;
      const h = (a + HITS) / 4;
      for (let j = 0; j < n; j++) {
        const hit = found.best[j]!;
        this.f32[h + j] = hit.key;
        this.u32[h + HANDOFF_MAX_K + j] = hit.seg;
        this.u32[h + 2 * HANDOFF_MAX_K + j] = hit.row;
      }
    }
    Atomics.store(this.words, w + W_STATE, SlotState.Done);
    Atomics.add(this.words, COMPLETIONS, 1);
    Atomics.notify(this.words, COMPLETIONS);
  }

  /** Main: the answer in slot `i` (done). */
  result(i: number): { status: HandoffStatus; best: ViewHit[]; lsn: number; live: number } {
    const a = this.at(i);
    const w = a / 4;
    const status = this.words[w + W_STATUS] as HandoffStatus;
    const best: ViewHit[] = [];
    if (status !== HandoffStatus.Ok) return { status, best, lsn: 0, live: 0 };
    const h = (a + HITS) / 4;
    for (let j = 0, n = this.words[w + W_COUNT]!; j < n; j++) {
      best.push({ key: this.f32[h + j]!, seg: this.u32[h + HANDOFF_MAX_K + j]!, row: this.u32[h + 2 * HANDOFF_MAX_K + j]! });
    }
    return { status, best, lsn: this.f64[(a + F64_LSN) / 8]!, live: this.f64[(a + F64_LIVE) / 8]! };
  }

  /** The completion count (main waits on it with `Atomics.waitAsync`). */
  completions(): number {
    return Atomics.load(this.words, COMPLETIONS);
  }

  readonly completionsIndex = COMPLETIONS;

  /** Main: tells the reader to end (it may be asleep on any slot). */
  stop(): void {
    Atomics.store(this.words, STOP, 1);
    for (let i = 0; i < HANDOFF_SLOTS; i++) Atomics.notify(this.words, this.stateIndex(i));
  }

  stopped(): boolean {
    return Atomics.load(this.words, STOP) === 1;
  }
}
