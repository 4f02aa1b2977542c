/**
 * Tiny but real ONNX models for the integrated-inference tests (embed, rerank), written with
 * protobufjs from a subset of onnx.proto, next to the real all-MiniLM-L6-v2 tokenizer files, in a
 * directory laid out like the Hugging Face hub:
 *   <modelsDir>/<org>/<name>/{config.json, tokenizer.json, tokenizer_config.json,
 *                             special_tokens_map.json, vocab.txt, onnx/model.onnx}
 * No weights are downloaded: the tables are drawn from a seeded PRNG, and the reference functions
 * below compute the same numbers in float64 straight from those tables.
 *
 * Recipes checked against @huggingface/transformers 3.8.1 (onnxruntime-node 1.21.0) on Node 20:
 *
 *   import { env, pipeline, AutoTokenizer, AutoModelForSequenceClassification } from '@huggingface/transformers';
 *   env.localModelPath = modelsDir;   // '<org>/<name>' ids resolve to <modelsDir>/<org>/<name>/...
 *   env.allowRemoteModels = false;    // never fetch: a missing file throws at once
 *   env.useFSCache = false;           // don't look in/behind node_modules/@huggingface/transformers/.cache
 *
 * Embeddings (feature-extraction; the pipeline tokenizes with padding: true, truncation: true):
 *   const extractor = await pipeline('feature-extraction', 'larch-test/tiny-embed',
 *     { dtype: 'fp32', local_files_only: true, session_options: { intraOpNumThreads: 1 } });
 *   const t = await extractor(texts, { pooling: 'mean', normalize: true }); // Tensor [n, D]
 *   const vectors = t.tolist() as number[][];
 *   File read per dtype, under <id>/onnx/: fp32 -> model.onnx, fp16 -> model_fp16.onnx,
 *   q8 -> model_quantized.onnx, int8 -> model_int8.onnx, uint8 -> model_uint8.onnx,
 *   q4 -> model_q4.onnx, q4f16 -> model_q4f16.onnx, bnb4 -> model_bnb4.onnx. Without `dtype`
 *   it picks fp32 on the cpu device but prints `dtype not specified for "model". Using the
 *   default dtype (fp32) for this device (cpu).` An absolute directory works as the id too
 *   (then env.localModelPath is not used).
 *
 * Rerank (cross-encoder; the text-classification pipeline cannot take text pairs, and with one
 * label it would softmax to 1.0, so call the tokenizer and the model directly):
 *   const tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
 *   const model = await AutoModelForSequenceClassification.from_pretrained(id,
 *     { dtype: 'fp32', local_files_only: true });
 *   const inputs = tokenizer(docs.map(() => query), { text_pair: docs, padding: true, truncation: true });
 *   const { logits } = await model(inputs);             // Tensor [n, 1], float32
 *   const scores = Array.from(logits.data as Float32Array, (z) => 1 / (1 + Math.exp(-z)));
 *
 * Token counts (usage): tokenizer(text, { return_tensor: false }).input_ids.length counts the
 * [CLS]/[SEP] tokens too (pairs: tokenizer(q, { text_pair: d, return_tensor: false })); or sum the
 * attention_mask of a padded batch. Truncation is `truncation: true, max_length: N` (capped at
 * tokenizer_config.model_max_length, 512 here) and is a plain cut: the trailing [SEP] is dropped
 * too, and for a pair only the end of the pair (the document) is cut. The pipeline always
 * truncates at model_max_length silently, so detect over-length input beforehand by tokenizing
 * without truncation and comparing input_ids.length with the limit.
 *
 * Quiet and offline: with dtype given and the env above, loading and running print nothing and
 * call fetch never. Leaving out dtype prints the "dtype not specified" warning above; passing
 * max_length without truncation prints "Truncation was not explicitly activated...". A missing
 * model throws at once (about 1 ms), naming the first file it missed:
 *   `local_files_only=true` or `env.allowRemoteModels=false` and file was not found locally at "<modelsDir>/<id>/tokenizer.json".
 * (pipeline() misses tokenizer.json first; AutoModel*.from_pretrained misses config.json; a
 * missing dtype variant names e.g. ".../onnx/model_quantized.onnx".)
 *
 * Workers: onnxruntime-node 1.21.0 keeps process-global N-API references, so inference works in
 * ONE long-lived worker_threads Worker per process (tinypool minThreads = maxThreads = 1, never
 * recycled). Two Workers running inference at once abort the process ("FATAL ERROR:
 * HandleScope::HandleScope Entering the V8 API without proper locking in place", from
 * OrtValueToNapiValue), and terminating the Worker and starting a new one usually aborts later
 * ("free(): invalid next size (fast)"). More than one inference worker, or any recycling, needs
 * tinypool's runtime: 'child_process' (checked: 2 processes, pool recreated 3 times).
 * onnxruntime's intra-op pool defaults to all cores per session: pass
 * session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 } (or a small number) per model.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { prng } from './common.js';

/**
 * Where the real all-MiniLM-L6-v2 tokenizer (no weights) is looked for: $LARCH_TOKENIZER_DIR, then
 * shared/ beside the repository (as CI lays it out), then the developers' /work/shared.
 */
export const MINILM_TOKENIZER_CANDIDATES = [
  process.env['LARCH_TOKENIZER_DIR'],
  fileURLToPath(new URL('../../../shared/models/Xenova/all-MiniLM-L6-v2', import.meta.url)),
  '/work/shared/models/Xenova/all-MiniLM-L6-v2',
].filter((d): d is string => !!d);

export function findMiniLmTokenizerDir(): string {
  const dir = MINILM_TOKENIZER_CANDIDATES.find((d) => existsSync(join(d, 'tokenizer.json')));
  if (!dir) throw new Error(`no all-MiniLM-L6-v2 tokenizer.json in ${MINILM_TOKENIZER_CANDIDATES.join(', ')}`);
  return dir;
}
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

export const VOCAB_SIZE = 30522;
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

/** The subset of onnx.proto (field numbers as in the ONNX spec) that the fixtures write. */
const ONNX_PROTO_SUBSET = `
syntax = "proto3";
package onnx;
message AttributeProto {
  string name = 1; float f = 2; int64 i = 3; bytes s = 4; TensorProto t = 5;
  repeated float floats = 7; repeated int64 ints = 8; int32 type = 20;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4;
  repeated AttributeProto attribute = 5; string doc_string = 6; string domain = 7;
}
message StringStringEntryProto { string key = 1; string value = 2; }
message ModelProto {
  int64 ir_version = 1; string producer_name = 2; string producer_version = 3; string domain = 4;
  int64 model_version = 5; string doc_string = 6; GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8; repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5;
  string doc_string = 10; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1; int32 data_type = 2; string name = 8; bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
`;

// TensorProto.DataType and AttributeProto.AttributeType values used here.
const FLOAT = 1;
const INT64 = 7;
const ATTR_INT = 2;

let modelType: protobuf.Type | undefined;
function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO_SUBSET, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

type Dim = number | string;
interface Node {
  op_type: string;
  input: string[];
  output: string[];
  name: string;
  attribute?: { name: string; type: number; i: number }[];
}

function floatTensor(name: string, dims: number[], data: Float32Array): object {
  return { name, dims, data_type: FLOAT, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
function int64Tensor(name: string, values: number[]): object {
  const data = BigInt64Array.from(values, BigInt);
  return { name, dims: [values.length], data_type: INT64, raw_data: new Uint8Array(data.buffer) };
}
function valueInfo(name: string, elemType: number, dims: Dim[]): object {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}
function node(op_type: string, input: string[], output: string[], attrs: Record<string, number> = {}): Node {
  const n: Node = { op_type, input, output, name: `${op_type}_${output[0]}` };
  const attribute = Object.entries(attrs).map(([name, i]) => ({ name, type: ATTR_INT, i }));
  if (attribute.length > 0) n.attribute = attribute;
  return n;
}

/** Serializes one graph as an ONNX model (IR 8, default domain opset 17). */
function encodeModel(name: string, nodes: Node[], initializer: object[], outputs: object[]): Uint8Array {
  const seqDims: Dim[] = ['batch_size', 'sequence_length'];
  const Model = onnxModelType();
  const msg = {
    ir_version: ONNX_IR_VERSION,
    producer_name: 'larchdb-test-fixtures',
    producer_version: '1',
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name,
      node: nodes,
      initializer,
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => valueInfo(n, INT64, seqDims)),
      output: outputs,
    },
  };
  const err = Model.verify(msg);
  if (err) throw new Error(`ONNX model ${name}: ${err}`);
  return Model.encode(Model.fromObject(msg)).finish();
}

function uniform(r: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

/**
 * Embedding model: last_hidden_state[b,s,:] = tanh((word[ids] + type[tt]) · W + bias) * mask[b,s]
 * (the pipeline then mean-pools over the mask and L2-normalizes). With an output dimension
 * outDim ≠ dim, a final projection P [dim, outDim] follows: last_hidden_state[b,s,:] =
 * (tanh(...) · P) * mask[b,s], so a wide output (say 1024) costs dim × outDim more weights, not
 * VOCAB_SIZE × outDim.
 */
export interface TinyEmbedModel {
  id: string;
  dir: string;
  /** hidden size D (the width of word, type, weight and bias) */
  dim: number;
  /** the width of last_hidden_state and of the embeddings: outDim, or dim without a projection */
  outDim: number;
  /** [VOCAB_SIZE, dim], row-major */
  word: Float32Array;
  /** [2, dim] */
  type: Float32Array;
  /** [dim, dim], row-major (input index first) */
  weight: Float32Array;
  /** [dim] */
  bias: Float32Array;
  /** [dim, outDim], row-major; absent when outDim is not given (no projection) */
  projection?: Float32Array;
}

/**
 * Cross-encoder: logits[b,0] = (Σ_s mask·tanh(word[ids] + type[tt]) / Σ_s mask) · w + bias,
 * so a pair's logit does not depend on the padding of the batch it is in.
 */
export interface TinyRerankModel {
  id: string;
  dir: string;
  dim: number;
  word: Float32Array;
  type: Float32Array;
  /** [dim] (the [dim, 1] MatMul weight) */
  weight: Float32Array;
  bias: number;
}

export interface TinyModels {
  modelsDir: string;
  embed: TinyEmbedModel;
  rerank: TinyRerankModel;
}

export interface TinyModelOptions {
  /** hub-style ids (`org/name`), also the directories under modelsDir */
  embedId?: string;
  rerankId?: string;
  /** hidden size D (default 16) */
  dim?: number;
  /**
   * The embedding model's output dimension, through a final [D, outDim] projection (default: no
   * projection, output dimension D). E.g. 1024 for a stand-in of a 1024-d hosted model.
   */
  outDim?: number;
  seed?: number;
  /** where the MiniLM tokenizer files are copied from */
  tokenizerDir?: string;
}

function bertConfig(dim: number, extra: Record<string, unknown>): string {
  return (
    JSON.stringify(
      {
        model_type: 'bert',
        hidden_size: dim,
        num_attention_heads: 1,
        num_hidden_layers: 1,
        intermediate_size: dim,
        max_position_embeddings: 512,
        type_vocab_size: 2,
        vocab_size: VOCAB_SIZE,
        pad_token_id: 0,
        ...extra,
      },
      null,
      2,
    ) + '\n'
  );
}

async function writeModelDir(dir: string, tokenizerDir: string, config: string, onnx: Uint8Array): Promise<void> {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await Promise.all(TOKENIZER_FILES.map((f) => copyFile(join(tokenizerDir, f), join(dir, f))));
  await writeFile(join(dir, 'config.json'), config);
  await writeFile(join(dir, 'onnx', 'model.onnx'), onnx);
}

/**
 * Writes the two tiny models (about 2 MB each with D = 16, plus 4·D·outDim bytes for a projection)
 * under modelsDir and returns their weights.
 */
export async function buildTinyModels(modelsDir: string, opts: TinyModelOptions = {}): Promise<TinyModels> {
  const dim = opts.dim ?? 16;
  const outDim = opts.outDim;
  if (outDim !== undefined && !(Number.isInteger(outDim) && outDim > 0)) throw new Error(`outDim must be a positive integer, not ${outDim}`);
  const embedId = opts.embedId ?? 'larch-test/tiny-embed';
  const rerankId = opts.rerankId ?? 'larch-test/tiny-rerank';
  const tokenizerDir = opts.tokenizerDir ?? findMiniLmTokenizerDir();
  const r = prng(opts.seed ?? 20250101);
  const root = resolve(modelsDir);

  const embed: TinyEmbedModel = {
    id: embedId,
    dir: join(root, embedId),
    dim,
    outDim: outDim ?? dim,
    word: uniform(r, VOCAB_SIZE * dim, 1),
    type: uniform(r, 2 * dim, 0.5),
    weight: uniform(r, dim * dim, 1 / Math.sqrt(dim)),
    bias: uniform(r, dim, 0.1),
  };

  const rerank: TinyRerankModel = {
    id: rerankId,
    dir: join(root, rerankId),
    dim,
    word: uniform(r, VOCAB_SIZE * dim, 1),
    type: uniform(r, 2 * dim, 0.5),
    weight: uniform(r, dim, 4),
    bias: Math.fround((r() * 2 - 1) * 0.5),
  };
  const rerankOnnx = encodeModel(
    'tiny_rerank',
    [
      node('Gather', ['word', 'input_ids'], ['we'], { axis: 0 }),
      node('Gather', ['type', 'token_type_ids'], ['te'], { axis: 0 }),
      node('Add', ['we', 'te'], ['x']),
      node('Tanh', ['x'], ['h']),
      node('Cast', ['attention_mask'], ['mf'], { to: FLOAT }),
      node('Unsqueeze', ['mf', 'last_axis'], ['m3']),
      node('Mul', ['h', 'm3'], ['hm']),
      node('ReduceSum', ['hm', 'seq_axis'], ['hsum'], { keepdims: 0 }),
      node('ReduceSum', ['mf', 'seq_axis'], ['count'], { keepdims: 1 }),
      node('Div', ['hsum', 'count'], ['pooled']),
      node('MatMul', ['pooled', 'weight'], ['z']),
      node('Add', ['z', 'bias'], ['logits']),
    ],
    [
      floatTensor('word', [VOCAB_SIZE, dim], rerank.word),
      floatTensor('type', [2, dim], rerank.type),
      floatTensor('weight', [dim, 1], rerank.weight),
      floatTensor('bias', [1], Float32Array.of(rerank.bias)),
      int64Tensor('last_axis', [-1]),
      int64Tensor('seq_axis', [1]),
    ],
    [valueInfo('logits', FLOAT, ['batch_size', 1])],
  );
  await writeModelDir(
    rerank.dir,
    tokenizerDir,
    bertConfig(dim, {
      architectures: ['BertForSequenceClassification'],
      id2label: { '0': 'LABEL_0' },
      label2id: { LABEL_0: 0 },
    }),
    rerankOnnx,
  );

  // Drawn last, so that a seed gives the same other weights with or without a projection.
  if (outDim !== undefined) embed.projection = uniform(r, dim * outDim, 1 / Math.sqrt(dim));
  const P = embed.projection;
  const embedOnnx = encodeModel(
    'tiny_embed',
    [
      node('Gather', ['word', 'input_ids'], ['we'], { axis: 0 }),
      node('Gather', ['type', 'token_type_ids'], ['te'], { axis: 0 }),
      node('Add', ['we', 'te'], ['x']),
      node('MatMul', ['x', 'weight'], ['xw']),
      node('Add', ['xw', 'bias'], ['xb']),
      node('Tanh', ['xb'], P ? ['t'] : ['h']),
      ...(P ? [node('MatMul', ['t', 'projection'], ['h'])] : []),
      node('Cast', ['attention_mask'], ['mf'], { to: FLOAT }),
      node('Unsqueeze', ['mf', 'last_axis'], ['m3']),
      node('Mul', ['h', 'm3'], ['last_hidden_state']),
    ],
    [
      floatTensor('word', [VOCAB_SIZE, dim], embed.word),
      floatTensor('type', [2, dim], embed.type),
      floatTensor('weight', [dim, dim], embed.weight),
      floatTensor('bias', [dim], embed.bias),
      ...(P ? [floatTensor('projection', [dim, embed.outDim], P)] : []),
      int64Tensor('last_axis', [-1]),
    ],
    [valueInfo('last_hidden_state', FLOAT, ['batch_size', 'sequence_length', embed.outDim])],
  );
  // hidden_size is the width of last_hidden_state, as in a real BERT export.
  await writeModelDir(embed.dir, tokenizerDir, bertConfig(embed.outDim, { architectures: ['BertModel'] }), embedOnnx);

  return { modelsDir: root, embed, rerank };
}

// ---- references: the same graphs in float64, from the same weights ----

export interface Encoding {
  input_ids: number[];
  attention_mask: number[];
  token_type_ids: number[];
}

type Tokenizer = Awaited<ReturnType<typeof import('@huggingface/transformers').AutoTokenizer.from_pretrained>>;
const tokenizers = new Map<string, Promise<Tokenizer>>();

/**
 * Tokenizes one text (or a pair) with transformers' AutoTokenizer loaded from the model's own
 * directory (an absolute path, local files only, so env.localModelPath does not matter).
 */
export async function tokenize(
  dir: string,
  text: string,
  opts: { textPair?: string; maxLength?: number } = {},
): Promise<Encoding> {
  let loading = tokenizers.get(dir);
  if (!loading) {
    loading = import('@huggingface/transformers').then(({ AutoTokenizer }) =>
      AutoTokenizer.from_pretrained(dir, { local_files_only: true }),
    );
    tokenizers.set(dir, loading);
  }
  const tokenizer = await loading;
  const enc = tokenizer(text, {
    text_pair: opts.textPair ?? null,
    return_tensor: false,
    ...(opts.maxLength !== undefined ? { truncation: true, max_length: opts.maxLength } : {}),
  }) as unknown as Encoding;
  return enc;
}

/** Mean-pooled, L2-normalized embedding of one text (what feature-extraction with pooling 'mean', normalize true returns). */
export async function referenceEmbedding(m: TinyEmbedModel, text: string, maxLength?: number): Promise<number[]> {
  const enc = await tokenize(m.dir, text, { maxLength });
  const D = m.dim;
  const sum = new Float64Array(D);
  for (let s = 0; s < enc.input_ids.length; s++) {
    const id = enc.input_ids[s]!;
    const tt = enc.token_type_ids[s]!;
    for (let j = 0; j < D; j++) {
      let acc = m.bias[j]!;
      for (let k = 0; k < D; k++) acc += (m.word[id * D + k]! + m.type[tt * D + k]!) * m.weight[k * D + j]!;
      sum[j]! += Math.tanh(acc);
    }
  }
  const n = enc.input_ids.length;
  let mean = Array.from(sum, (v) => v / n);
  // The projection is linear, so projecting the mean equals the mean of the projected tokens.
  const P = m.projection;
  if (P) {
    const O = m.outDim;
    mean = Array.from({ length: O }, (_, o) => {
      let acc = 0;
      for (let j = 0; j < D; j++) acc += mean[j]! * P[j * O + o]!;
      return acc;
    });
  }
  const norm = Math.sqrt(mean.reduce((a, v) => a + v * v, 0));
  return mean.map((v) => v / norm);
}

/** The cross-encoder's logit for (query, document). */
export async function referenceRerankLogit(
  m: TinyRerankModel,
  query: string,
  document: string,
  maxLength?: number,
): Promise<number> {
  const enc = await tokenize(m.dir, query, { textPair: document, maxLength });
  const D = m.dim;
  const sum = new Float64Array(D);
  for (let s = 0; s < enc.input_ids.length; s++) {
    const id = enc.input_ids[s]!;
    const tt = enc.token_type_ids[s]!;
    for (let j = 0; j < D; j++) sum[j]! += Math.tanh(m.word[id * D + j]! + m.type[tt * D + j]!);
  }
  const n = enc.input_ids.length;
  let z = m.bias;
  for (let j = 0; j < D; j++) z += (sum[j]! / n) * m.weight[j]!;
  return z;
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** The rerank score Pinecone-style: sigmoid of the cross-encoder's logit. */
export async function referenceRerankScore(
  m: TinyRerankModel,
  query: string,
  document: string,
  maxLength?: number,
): Promise<number> {
  return sigmoid(await referenceRerankLogit(m, query, document, maxLength));
}
