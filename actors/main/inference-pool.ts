/**
 * The inference worker pool (tinypool, child processes), separate from the query executors so a long embedding
 * batch never holds a query up. A worker that dies is replaced by the pool; the job it was running is retried once, then fails with a
 * clear 503.
 */
import Tinypool from 'tinypool';
import { LarchError, toLarchError, unavailable } from '../../engine/core/errors.js';
import type { EmbedOut, InferenceJob, InferenceReply } from '../shared/inference-job.js';

type EmbedJob = Extract<InferenceJob, { op: 'embed' }>;

/** Embed requests waiting for their model's batch. */
interface Lane {
  running: number;
  waiting: { job: EmbedJob; resolve: (out: EmbedOut) => void; reject: (err: unknown) => void }[];
}

export class InferencePool {
  private readonly pool: Tinypool;
  private closing = false;
  /** Jobs whose worker died and were run again. */
  retries = 0;
  /** Embed jobs sent, and the requests they carried (requests > jobs: batching happened). */
  readonly batching = { jobs: 0, requests: 0 };
  private readonly lanes = new Map<string, Lane>();

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
          throw unavailable(`Inference failed: its worker process stopped twice (${(err as Error).message}). The pool has replaced it; retry the request.`);
        }
        this.retries++;
        continue;
      }
      if ('err' in reply) throw toLarchError(reply.err);
      return reply.ok;
    }
  }

  /**
   * Embeds through the pool, batching: while every worker is busy with a model, its later requests (same
   * parameters) wait and go together as one job, up to the model's batch size. Small concurrent requests thus cost
   * one model run instead of many. A batch that fails is re-run request by request, so one bad input fails only
   * its own request.
   */
  embed(job: EmbedJob): Promise<EmbedOut> {
    const t = job.task;
    const key = JSON.stringify([job.model.name, t.inputType, t.truncate, t.dimension, t.maxTokens, t.returnTokens]);
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { running: 0, waiting: [] }));
    const done = new Promise<EmbedOut>((resolve, reject) => lane.waiting.push({ job, resolve, reject }));
    this.drain(key, lane);
    return done;
  }

  private drain(key: string, lane: Lane): void {
    while (lane.waiting.length > 0 && lane.running < this.pool.options.maxThreads) {
      const max = lane.waiting[0]!.job.model.maxBatchSize;
      const batch = [lane.waiting.shift()!];
      let texts = batch[0]!.job.task.texts.length;
      while (lane.waiting.length > 0 && texts + lane.waiting[0]!.job.task.texts.length <= max) {
        texts += lane.waiting[0]!.job.task.texts.length;
        batch.push(lane.waiting.shift()!);
      }
      lane.running++;
      void this.runBatch(batch).finally(() => {
        lane.running--;
        if (lane.waiting.length > 0) this.drain(key, lane);
        else if (lane.running === 0) this.lanes.delete(key);
      });
    }
  }

  private async runBatch(batch: Lane['waiting']): Promise<void> {
    this.batching.jobs++;
    this.batching.requests += batch.length;
    const first = batch[0]!.job;
    const job: EmbedJob = batch.length === 1 ? first : { ...first, task: { ...first.task, texts: batch.flatMap((w) => w.job.task.texts) } };
    let out: EmbedOut;
    try {
      out = await this.run<EmbedOut>(job);
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      for (const w of batch) await this.run<EmbedOut>(w.job).then(w.resolve, w.reject);
      return;
    }
    // Split the answer back; usage is counted per request from its own share of the tokens.
    let at = 0;
    for (const w of batch) {
      const n = w.job.task.texts.length;
      const part: EmbedOut = { totalTokens: 0 };
      if (out.dense) part.dense = out.dense.slice(at, at + n);
      if (out.sparse) part.sparse = out.sparse.slice(at, at + n);
      part.totalTokens = out.tokensPerInput ? out.tokensPerInput.slice(at, at + n).reduce((a, b) => a + b, 0) : out.totalTokens;
      at += n;
      w.resolve(part);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.pool.destroy();
  }
}
