/**
 * The inference worker pool (tinypool, child processes), separate from the query executors so a long embedding
 * batch never holds a query up. A worker that dies is replaced by the pool; the job it was running is retried once, then fails with a
 * clear 503.
 */
import Tinypool from 'tinypool';
import { LarchError, toLarchError, unavailable } from '../../engine/core/errors.js';
import type { InferenceJob, InferenceReply } from '../shared/inference-job.js';

export class InferencePool {
  private readonly pool: Tinypool;
  private closing = false;
  /** Jobs whose worker died and were run again. */
  retries = 0;

  constructor(threads: number) {
    this.pool = new Tinypool({
      filename: new URL('../inference/inference-worker.js', import.meta.url).href,
      // Child processes, not worker threads: onnxruntime-node 1.21 aborts the whole process when two worker threads
      // run inference at once or a worker that ran it is replaced (microsoft/onnxruntime#24486). A process also
      // keeps a crashing model away from the database.
      runtime: 'child_process',
      minThreads: 0, // models load on first use; an idle database starts no inference process
      maxThreads: threads,
      idleTimeout: 5 * 60_000,
    });
  }

  /** Runs a job; answers its result or throws its LarchError. */
  async run<T>(job: InferenceJob): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let reply: InferenceReply<T>;
      try {
        reply = (await this.pool.run(job)) as InferenceReply<T>;
      } catch (err) {
        if (err instanceof LarchError || this.closing) throw toLarchError(err);
        if (attempt >= 1 || job.op === 'crash') {
          throw unavailable(`Inference failed: its worker thread stopped twice (${(err as Error).message}). The pool has replaced it; retry the request.`);
        }
        this.retries++;
        continue;
      }
      if ('err' in reply) throw toLarchError(reply.err);
      return reply.ok;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.pool.destroy();
  }
}
