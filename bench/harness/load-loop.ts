/**
 * The load loops one thread runs against a target: closed loop (N virtual users, each sending its next request when
 * the last one answered) and open loop (requests started at a fixed rate on a schedule, latency measured from each
 * request's intended start, so a stalled target cannot hide its stall: no coordinated omission).
 *
 * @module
 */
import { prng } from '../../engine/internal.js';
import type { BenchQuery, BenchRecord } from './target.js';
import { type LoadData, type TruthView, queryVector, recallOf, recordOf } from './load-data.js';
import { SampleBuffer, type SampleSet } from './load-samples.js';

/** What a measurement asks one thread to do. Serializable: it crosses to worker threads. */
export interface LoadSpec {
  /** closed/open: queries (and mixed writes) for a duration; bulk: upserts rows [bulkFrom, bulkTo) once. */
  mode: 'closed' | 'open' | 'bulk';
  /** Closed: concurrent loops in this thread. Open: most requests in flight before new ones count as failed. */
  concurrency: number;
  /** Open: requests per second from this thread. */
  rate: number;
  warmupMs: number;
  durationMs: number;
  /** Share of operations that re-write one record (mixed workload). */
  writeRatio: number;
  topK: number;
  includeValues: boolean;
  includeMetadata: boolean;
  filter?: Record<string, unknown>;
  /** First query index of this thread (threads start at different queries). */
  queryOffset: number;
  seed: number;
  /** performance.timeOrigin + now() at which every thread starts, so threads share one clock. */
  startAt: number;
  /** Bulk: rows to write, `batchSize` per request; this thread writes batches `batchFirst`, `+ batchStride`, .... */
  bulkFrom?: number;
  bulkTo?: number;
  batchSize?: number;
  batchFirst?: number;
  batchStride?: number;
  /**
   * Shared with the thread that writes during a streaming measurement: `[0]` rows acknowledged (in row order),
   * `[1]` set to 1 to stop.
   */
  control?: Int32Array;
  /** Operations (bulk: records) completed, added to by every thread, read by the progress display. */
  counter?: Int32Array;
}

/** The calls a loop makes: a target in this thread, or a client of a remote one in a worker. */
export interface Executor {
  query(q: BenchQuery): Promise<string[]>;
  upsert(records: BenchRecord[]): Promise<void>;
}

/** Most requests in flight in open loop, by default, before the client counts new ones as failed. */
export const OPEN_LOOP_MAX_IN_FLIGHT = 4096;

/** An error that ends a measurement early: the target is gone. */
function isFatal(message: string): boolean {
  return /^cannot reach|ECONNREFUSED|ECONNRESET|closed|socket hang up/i.test(message);
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);

/** Runs one thread's share of a measurement; resolves with its samples and the first fatal error, if any. */
export async function runLoop(spec: LoadSpec, data: LoadData, truth: TruthView, exec: Executor): Promise<SampleSet & { fatal: string | null; busyMs: number; wallMs: number }> {
  const now = () => performance.timeOrigin + performance.now();
  while (now() < spec.startAt) await new Promise((r) => setTimeout(r, Math.max(0, Math.min(50, spec.startAt - now()))));
  const warmEnd = spec.startAt + spec.warmupMs;
  const end = warmEnd + spec.durationMs;
  const buf = new SampleBuffer();
  const rand = prng(spec.seed);
  let next = spec.queryOffset;
  let fatal: string | null = null;
  const elu0 = performance.eventLoopUtilization();

  /** One operation started at `intended` (open loop) or now (closed loop). */
  const op = async (intended: number): Promise<void> => {
    const write = spec.writeRatio > 0 && rand() < spec.writeRatio;
    const q = next++ % data.queryCount;
    const limit = spec.control ? Atomics.load(spec.control, 0) : Infinity;
    try {
      let recall = NaN;
      if (write) await exec.upsert([recordOf(data, Math.floor(rand() * data.count))]);
      else {
        const ids = await exec.query({ vector: queryVector(data, q), topK: spec.topK, filter: spec.filter, includeValues: spec.includeValues, includeMetadata: spec.includeMetadata });
        recall = recallOf(data, truth, q, ids, spec.topK, limit);
      }
      const done = now();
      if (spec.counter) Atomics.add(spec.counter, 0, 1);
      if (intended >= warmEnd) buf.record(intended - warmEnd, done - intended, true, recall);
    } catch (err) {
      const msg = errorMessage(err);
      if (isFatal(msg)) fatal ??= msg;
      if (intended >= warmEnd) buf.fail(intended - warmEnd, now() - intended, msg);
    }
  };

  const stopped = () => fatal !== null || (spec.control !== undefined && Atomics.load(spec.control, 1) === 1);
  if (spec.mode === 'bulk') {
    let batch = spec.batchFirst!;
    const user = async () => {
      for (;;) {
        const from = spec.bulkFrom! + batch * spec.batchSize!;
        if (stopped() || from >= spec.bulkTo!) return;
        batch += spec.batchStride!;
        const rows = Array.from({ length: Math.min(spec.batchSize!, spec.bulkTo! - from) }, (_, i) => recordOf(data, from + i));
        const start = now();
        try {
          await exec.upsert(rows);
          if (spec.counter) Atomics.add(spec.counter, 0, rows.length);
          buf.record(start - spec.startAt, now() - start, true);
        } catch (err) {
          const msg = errorMessage(err);
          if (isFatal(msg)) fatal ??= msg;
          buf.fail(start - spec.startAt, now() - start, msg);
        }
      }
    };
    await Promise.all(Array.from({ length: spec.concurrency }, user));
  } else if (spec.mode === 'closed') {
    const user = async () => {
      while (!stopped() && now() < end) await op(now());
    };
    await Promise.all(Array.from({ length: spec.concurrency }, user));
  } else {
    const interval = 1000 / spec.rate;
    const inFlight = new Set<Promise<void>>();
    for (let j = 0; !stopped(); j++) {
      const intended = spec.startAt + j * interval;
      if (intended >= end) break;
      // Timers are coarse (~1 ms): sleep most of the wait, then yield until the intended time has come.
      const wait = intended - now();
      if (wait > 2) await new Promise((r) => setTimeout(r, wait - 1.5));
      while (now() < intended) await new Promise((r) => setImmediate(r));
      if (inFlight.size >= spec.concurrency) {
        if (intended >= warmEnd) buf.fail(intended - warmEnd, 0, `more than ${spec.concurrency} requests in flight: the target cannot keep up with ${spec.rate}/s from this thread`);
        continue;
      }
      const p = op(intended).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  }
  const elu = performance.eventLoopUtilization(elu0);
  return { ...buf.take(), fatal, busyMs: elu.active, wallMs: now() - spec.startAt };
}
