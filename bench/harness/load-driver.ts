/**
 * Runs one measurement's load: for a remote target, split across worker threads (each with its own HTTP client, so
 * the client is not the bottleneck); for an in-process target, on this thread, where the user's code would call it.
 * Reports the load threads' busy time so the report can say when the client was the limit.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { ClientCpu } from './report.js';
import type { BenchTarget } from './target.js';
import type { LoadData, TruthView } from './load-data.js';
import type { LoadWorkerInit, LoadWorkerTask } from './load-worker.js';
import { runLoop, type LoadSpec } from './load-loop.js';
import type { SampleSet } from './load-samples.js';

/**
 * Utilization of the load threads from which the report calls a remote target's run client-bound. In-process
 * targets run on the calling thread itself, so its utilization is reported but is the target's work, not a limit.
 */
const CLIENT_BOUND = 0.9;

/** Every thread's samples, the first fatal error and the client's CPU. */
export interface LoadResult {
  sets: SampleSet[];
  fatal: string | null;
  clientCpu: ClientCpu;
}

type Outcome = { ok: true; result: SampleSet & { fatal: string | null; busyMs: number; wallMs: number } } | { ok: false; error: string };

/** Spreads `count` (loops or requests per second) over `parts` threads, as evenly as whole numbers allow. */
function share(count: number, parts: number, i: number): number {
  return Math.floor(count / parts) + (i < count % parts ? 1 : 0);
}

export class LoadDriver {
  private readonly workers: Worker[] = [];

  /** `threads` load workers for a remote target (none for an in-process one). */
  constructor(private readonly target: BenchTarget, private readonly data: LoadData, threads: number) {
    if (target.remote) {
      const init: LoadWorkerInit = { remote: target.remote, data };
      for (let i = 0; i < threads; i++) {
        const w = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: init });
        w.unref();
        this.workers.push(w);
      }
    }
  }

  /** Load threads in use. */
  get threads(): number {
    return Math.max(1, this.workers.length);
  }

  async run(spec: LoadSpec, truth: TruthView): Promise<LoadResult> {
    let outcomes: Outcome[];
    if (this.workers.length === 0) {
      const result = await runLoop({ ...spec, batchFirst: 0, batchStride: 1 }, this.data, truth, this.target);
      outcomes = [{ ok: true, result }];
    } else {
      // Only as many threads as there is work for: concurrency 1 runs on one thread.
      const n = Math.max(1, Math.min(this.workers.length, spec.mode === 'open' ? this.workers.length : spec.concurrency));
      outcomes = await Promise.all(this.workers.slice(0, n).map((w, i) => {
        const part: LoadSpec = {
          ...spec,
          concurrency: spec.mode === 'open' ? Math.ceil(spec.concurrency / n) : share(spec.concurrency, n, i),
          batchFirst: i,
          batchStride: n,
          rate: spec.rate / n,
          // Offsets the threads' open-loop schedules so their requests interleave instead of arriving in bursts.
          startAt: spec.startAt + (spec.mode === 'open' ? (i * 1000) / spec.rate : 0),
          queryOffset: spec.queryOffset + i * 7919,
          seed: spec.seed + i,
        };
        const task: LoadWorkerTask = { spec: part, truth };
        return new Promise<Outcome>((resolve) => {
          const onError = (err: Error) => resolve({ ok: false, error: `load worker died: ${err.message}` });
          w.once('error', onError);
          w.once('message', (m: Outcome) => {
            w.off('error', onError);
            resolve(m);
          });
          w.postMessage(task);
        });
      }));
    }
    const failed = outcomes.find((o): o is { ok: false; error: string } => !o.ok);
    if (failed) throw new Error(failed.error);
    const results = outcomes.map((o) => (o as Extract<Outcome, { ok: true }>).result);
    const busy = results.reduce((s, r) => s + r.busyMs, 0);
    const wallMs = results.reduce((m, r) => Math.max(m, r.wallMs), 1);
    const utilization = busy / (results.length * wallMs);
    return {
      sets: results,
      fatal: results.find((r) => r.fatal)?.fatal ?? null,
      clientCpu: { threads: results.length, cpuMs: busy, utilization, clientBound: this.workers.length > 0 && utilization >= CLIENT_BOUND },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
