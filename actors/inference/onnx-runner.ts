/**
 * ONNX models through @huggingface/transformers (on onnxruntime-node), loaded from the models directory. Dense
 * embeddings are the model's last hidden state, mean-pooled over the attention mask and L2-normalised (what the
 * sentence-transformers ONNX exports expect); rerank scores are sigmoid(logit) of a cross-encoder over
 * (query, document) pairs. Loaded models stay in this worker for its lifetime.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LarchError, invalidArgument } from '../../engine/core/errors.js';
import type { ModelSpec } from '../../engine/core/models.js';
import type { EmbedOut, InferenceJob, ModelSource, RerankOut } from '../shared/inference-job.js';

type Transformers = typeof import('@huggingface/transformers');
type Tensor = { data: ArrayLike<number | bigint>; dims: number[] };
interface Loaded {
  tokenizer: (texts: string | string[], opts: Record<string, unknown>) => Record<string, Tensor>;
  model: (inputs: Record<string, Tensor>) => Promise<Record<string, Tensor>>;
}

/** ONNX files transformers picks by dtype, in the order LarchDB tries them. */
const ONNX_FILES: [file: string, dtype: string][] = [
  ['model.onnx', 'fp32'],
  ['model_quantized.onnx', 'q8'],
  ['model_fp16.onnx', 'fp16'],
];

let transformers: Promise<Transformers> | undefined;
const loaded = new Map<string, Promise<Loaded>>();

async function library(source: ModelSource): Promise<Transformers> {
  transformers ??= import('@huggingface/transformers').catch(() => {
    transformers = undefined;
    throw new LarchError(
      'FAILED_PRECONDITION',
      'ONNX models need the optional package @huggingface/transformers: run `npm install @huggingface/transformers` next to larchdb. (pinecone-sparse-english-v0 needs nothing.)',
    );
  });
  const tf = await transformers;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = source.modelsDir;
  tf.env.allowRemoteModels = source.allowDownloads;
  tf.env.cacheDir = source.modelsDir;
  tf.env.useFSCache = source.allowDownloads; // otherwise it would also look in a cache inside node_modules
  return tf;
}

/** The ONNX file and dtype of a model present in the models directory, or a clear error naming every path tried. */
function locate(spec: ModelSpec, hfId: string, source: ModelSource): { dtype: string } | null {
  const dir = join(source.modelsDir, hfId);
  for (const [file, dtype] of ONNX_FILES) if (existsSync(join(dir, 'onnx', file)) && existsSync(join(dir, 'tokenizer.json'))) return { dtype };
  if (source.allowDownloads) return null; // transformers fetches it from the hub
  const tried = ONNX_FILES.map(([file]) => join(dir, 'onnx', file)).join(', ');
  const what = spec.name === hfId ? `Model ${hfId} is` : `Model ${spec.name} runs locally as ${hfId}, which is`;
  throw new LarchError(
    'FAILED_PRECONDITION',
    `${what} not in the models directory: looked for ${tried} with ${join(dir, 'tokenizer.json')}. Put the Hugging Face ONNX export there, or start LarchDB with --allow-model-downloads (option allowModelDownloads) to fetch it.`,
  );
}

function load(spec: ModelSpec, hfId: string, kind: 'embed' | 'rerank', source: ModelSource): Promise<Loaded> {
  const key = `${kind}:${hfId}`;
  let p = loaded.get(key);
  if (!p) {
    p = (async () => {
      const found = locate(spec, hfId, source);
      const tf = await library(source);
      // One onnxruntime thread per session: the query executors keep the other cores.
      const opts = { local_files_only: !source.allowDownloads, session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 } };
      const tokenizer = await tf.AutoTokenizer.from_pretrained(hfId, opts);
      const Model = kind === 'embed' ? tf.AutoModel : tf.AutoModelForSequenceClassification;
      const model = await Model.from_pretrained(hfId, { ...opts, dtype: (found?.dtype ?? 'fp32') as 'fp32' });
      return { tokenizer: tokenizer as unknown as Loaded['tokenizer'], model: model as unknown as Loaded['model'] };
    })();
    p.catch(() => loaded.delete(key)); // a failed load is retried by the next request
    loaded.set(key, p);
  }
  return p;
}

/** Token counts per input (no truncation), to refuse over-long inputs under truncate NONE. */
function lengths(tok: Loaded['tokenizer'], texts: string[], pairs?: string[]): number[] {
  const enc = tok(texts, { padding: true, truncation: false, ...(pairs ? { text_pair: pairs } : {}) });
  const mask = enc.attention_mask!;
  const [rows, cols] = mask.dims as [number, number];
  return Array.from({ length: rows }, (_, r) => {
    let n = 0;
    for (let c = 0; c < cols; c++) n += Number(mask.data[r * cols + c]);
    return n;
  });
}

function refuseLong(lens: number[], max: number, what: string): void {
  const i = lens.findIndex((n) => n > max);
  if (i >= 0) throw invalidArgument(`${what} at index ${i} is ${lens[i]} tokens long, over the model's limit of ${max} tokens; shorten it or set truncate to END.`);
}

export async function embedOnnx(job: Extract<InferenceJob, { op: 'embed' }>): Promise<EmbedOut> {
  const { model: spec, task, source } = job;
  if (spec.local.kind !== 'onnx') throw new Error('not an ONNX model');
  const { tokenizer, model } = await load(spec, spec.local.hfId, 'embed', source);
  const prefix = (task.inputType === 'query' ? spec.local.queryPrefix : spec.local.passagePrefix) ?? '';
  const texts = task.texts.map((t) => prefix + t);
  if (task.truncate === 'NONE') refuseLong(lengths(tokenizer, texts), task.maxTokens, 'Input');
  const inputs = tokenizer(texts, { padding: true, truncation: true, max_length: task.maxTokens });
  const out = await model(inputs);
  const hidden = out.last_hidden_state ?? out.token_embeddings ?? Object.values(out)[0]!;
  const [batch, seq, dim] = hidden.dims as [number, number, number];
  const h = hidden.data as Float32Array;
  const mask = inputs.attention_mask!.data as BigInt64Array;
  const keep = task.dimension ?? dim;
  let totalTokens = 0;
  const tokensPerInput: number[] = [];
  const dense: number[][] = [];
  const sum = new Float64Array(dim);
  for (let b = 0; b < batch; b++) {
    sum.fill(0);
    let n = 0;
    for (let s = 0; s < seq; s++) {
      if (mask[b * seq + s] === 0n) continue;
      n++;
      const base = (b * seq + s) * dim;
      for (let d = 0; d < dim; d++) sum[d]! += h[base + d]!;
    }
    totalTokens += n;
    tokensPerInput.push(n);
    // Mean, then (for a smaller `dimension`) the leading components, then unit length.
    let norm = 0;
    for (let d = 0; d < keep; d++) norm += sum[d]! * sum[d]!;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0; // the mean's 1/n cancels in the normalisation
    const v = new Array<number>(keep);
    for (let d = 0; d < keep; d++) v[d] = Math.fround(sum[d]! * scale);
    dense.push(v);
  }
  return { dense, totalTokens, tokensPerInput };
}

export async function rerankOnnx(job: Extract<InferenceJob, { op: 'rerank' }>): Promise<RerankOut> {
  const { model: spec, task, source } = job;
  if (spec.local.kind !== 'onnx') throw new Error('not an ONNX model');
  const { tokenizer, model } = await load(spec, spec.local.hfId, 'rerank', source);
  const queries = task.texts.map(() => task.query);
  const max = Math.min(task.maxTokens, 512);
  if (task.truncate === 'NONE') refuseLong(lengths(tokenizer, queries, task.texts), max, 'The query and document');
  const inputs = tokenizer(queries, { text_pair: task.texts, padding: true, truncation: true, max_length: max });
  const { logits } = await model(inputs);
  const cols = logits!.dims[1] ?? 1;
  // One logit: relevance = sigmoid(logit); two (irrelevant, relevant): softmax's second column.
  const scores = task.texts.map((_, i) => {
    const row = Array.from({ length: cols }, (_, c) => Number(logits!.data[i * cols + c]));
    return cols === 1 ? 1 / (1 + Math.exp(-row[0]!)) : Math.exp(row[1]!) / (Math.exp(row[0]!) + Math.exp(row[1]!));
  });
  return { scores };
}
