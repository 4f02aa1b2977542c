/**
 * Answers that carry values (fetch, fetch_by_metadata, query with includeValues). Formatting a float32 as its
 * shortest decimal and JSON-encoding it costs about a quarter of a microsecond, so a fetch of 1000 × 768 would hold
 * the event loop for a few hundred milliseconds. From {@link OFFLOAD_FLOATS} values on, the answer is therefore
 * built and encoded on an executor thread (the default export, run with `db.offload`), which reads the rows straight
 * from the arenas' shared memory and hands back the JSON bytes (moved, not copied). Smaller
 * answers are built here and serialized by fastify, as every other answer.
 *
 * Both ways build the same object with the same code ({@link answerOf}) and `JSON.stringify` it, so the bytes are
 * the same (test/large-responses.test.ts compares them).
 */
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { move } from 'piscina';
import type { LarchDB } from '../engine/index.js';
import { fetchResponse, fillValues, type DeferredRows, type FetchedRows } from '../engine/internal.js';
import { fetchToWire, type QueryWire } from './wire.js';

type Json = Record<string, unknown>;

/**
 * Values from which an answer is encoded off the event loop (by default; see ServerOptions.offloadValuesFrom): about 2 ms of formatting and encoding on this thread
 * (measured on the 2-vCPU VM), more than the hop to an executor and back costs. A topK 10 query of 768-d vectors
 * stays here; topK 10 of 1536-d ones, or a 100-id fetch of 384-d ones, goes to an executor.
 */
export const OFFLOAD_FLOATS = 8192;

const MODULE = new URL('./response-encode.js', import.meta.url).href;

/** An answer whose values are still in shared memory. */
export type ValuesAnswer =
  /** A fetch (`paginated`: a fetch_by_metadata, whose answer has `pagination` when `next` is set). */
  | { kind: 'fetch'; rows: FetchedRows; paginated?: boolean; next?: string }
  /** A query's wire answer whose matches carry placeholder values, and the rows behind them. */
  | { kind: 'query'; wire: QueryWire; values: DeferredRows };

/** The answer's wire object, with its values read from shared memory. */
export function answerOf(a: ValuesAnswer): Json {
  if (a.kind === 'query') {
    fillValues(a.wire.matches, a.values);
    return a.wire;
  }
  const wire = fetchToWire(fetchResponse(a.rows));
  return a.paginated && a.next !== undefined ? { ...wire, pagination: { next: a.next } } : wire;
}

/** Executor-thread entry: the answer as JSON bytes, whose buffer is moved (not copied) to the main thread. */
export default function encodeOnWorker(a: ValuesAnswer): unknown {
  const json = JSON.stringify(answerOf(a));
  // A buffer of its own (never a slice of Node's shared pool), since moving it detaches it here.
  const bytes = new Uint8Array(Buffer.byteLength(json, 'utf8'));
  Buffer.from(bytes.buffer).write(json, 'utf8');
  return move(bytes);
}

/** Bytes handed to the socket per turn of the event loop. */
const SLICE_BYTES = 256 * 1024;

/**
 * `bytes` as a stream of slices, one per turn of the event loop: writing megabytes to a local socket at once also
 * runs the receiving side's TCP work, and held the loop ~30 ms for 8.6 MB.
 */
function sliced(bytes: Uint8Array): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= bytes.length) return void this.push(null);
      const slice = Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(SLICE_BYTES, bytes.length - at));
      at += slice.length;
      setImmediate(() => this.push(slice));
    },
  });
}

/**
 * Answers with values for one server. Large answers are encoded on at most `executors − 1` executors at a time
 * (at least one): several large answers at once must not take every executor, or the scans of other queries would
 * wait behind them.
 */
export class ValuesSender {
  private readonly slots: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly db: LarchDB) {
    this.slots = Math.max(1, db.diagnostics().executors - 1);
  }

  /**
   * Answers `a`: returned as an object for fastify to serialize, or (`offload`, for large answers) encoded on an
   * executor and sent as bytes, with the content type fastify gives JSON.
   */
  async send(reply: FastifyReply, a: ValuesAnswer, offload: boolean): Promise<Json | FastifyReply> {
    if (!offload) return answerOf(a);
    if (this.running < this.slots) this.running++;
    else await new Promise<void>((r) => this.waiting.push(r)); // the slot is handed over, still counted
    let bytes: Uint8Array;
    try {
      bytes = await this.db.offload<Uint8Array>(MODULE, a);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
    return reply.type('application/json; charset=utf-8').header('content-length', bytes.length).send(sliced(bytes));
  }
}
