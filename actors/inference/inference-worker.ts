/**
 * Worker entry of the inference pool (tinypool): runs one embed or rerank job. The built-in sparse model runs here
 * too, so no inference work ever runs on the event loop. Errors come back as `{ err }` (a thrown LarchError would
 * lose its code crossing the thread).
 */
import { toLarchError } from '../../engine/core/errors.js';
import { encodeSparse, termOf, tokenize } from '../../engine/core/sparse-bm25.js';
import type { EmbedOut, InferenceJob, InferenceReply, RerankOut } from '../shared/inference-job.js';
import { embedOnnx, rerankOnnx } from './onnx-runner.js';

function embedBm25(job: Extract<InferenceJob, { op: 'embed' }>): EmbedOut {
  const { task } = job;
  let totalTokens = 0;
  const tokensPerInput: number[] = [];
  const sparse = task.texts.map((text) => {
    const e = encodeSparse(text, task.inputType, { maxTokens: task.maxTokens, truncate: task.truncate });
    totalTokens += e.tokens;
    tokensPerInput.push(e.tokens);
    if (!task.returnTokens) return { indices: e.indices, values: e.values };
    // The normalised terms (stems, stop words dropped), as sparse_tokens reports them.
    const terms = [...new Set(tokenize(text).slice(0, task.maxTokens).map(termOf).filter((t): t is string => t !== null))];
    return { indices: e.indices, values: e.values, tokens: terms };
  });
  return { sparse, totalTokens, tokensPerInput };
}

export default async function run(job: InferenceJob): Promise<InferenceReply<EmbedOut | RerankOut>> {
  try {
    switch (job.op) {
      case 'crash':
        process.exit(70); // in a worker thread this ends the thread, as a crash would
        break;
      case 'embed':
        return { ok: job.model.local.kind === 'bm25' ? embedBm25(job) : await embedOnnx(job) };
      case 'rerank':
        return { ok: await rerankOnnx(job) };
    }
    throw new Error(`unknown inference job ${(job as { op: string }).op}`);
  } catch (err) {
    return { err: toLarchError(err).toJSON() };
  }
}
