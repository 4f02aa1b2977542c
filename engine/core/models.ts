/**
 * The inference model registry: Pinecone's hosted model names, each mapped to what runs locally. Dense embedding
 * and rerank models run as Hugging Face ONNX models (through @huggingface/transformers) loaded from the models
 * directory; `pinecone-sparse-english-v0` runs as a built-in BM25 encoder that needs no weights. Any other name with
 * a `/` (`org/name`) is a Hugging Face ONNX model id used as is: an embedding model on /embed, a cross-encoder on
 * /rerank.
 */
import { notFound } from './errors.js';

export type ModelType = 'embed' | 'rerank';

export interface ParameterSpec {
  parameter: string;
  type: 'one_of' | 'numeric_range' | 'any';
  value_type: 'string' | 'integer' | 'float' | 'boolean';
  required: boolean;
  allowed_values?: (string | number)[];
  min?: number;
  max?: number;
  default?: string | number | boolean;
}

/** A model as LarchDB runs it. */
export interface ModelSpec {
  /** The name clients use. */
  name: string;
  type: ModelType;
  vectorType?: 'dense' | 'sparse';
  shortDescription: string;
  provider: string;
  /** Dense models: the dimension the local model produces, and the ones `parameters.dimension` may ask for. */
  defaultDimension?: number;
  supportedDimensions?: number[];
  supportedMetrics?: ('cosine' | 'euclidean' | 'dotproduct')[];
  /** Tokens per input (embed) or per query+document pair (rerank). */
  maxSequenceLength: number;
  /** Inputs per /embed request, documents per /rerank request. */
  maxBatchSize: number;
  /** Rerank: how many rank fields the model takes. */
  maxRankFields?: number;
  parameters: ParameterSpec[];
  /** How it runs: an ONNX model id under the models directory, or the built-in sparse encoder. */
  local: { kind: 'onnx'; hfId: string; queryPrefix?: string; passagePrefix?: string } | { kind: 'bm25' };
  /** Set when the local model is a stand-in for a hosted one that cannot be reproduced. */
  standIn?: string;
}

const INPUT_TYPE: ParameterSpec = { parameter: 'input_type', type: 'one_of', value_type: 'string', required: true, allowed_values: ['query', 'passage'] };
const truncate = (values: string[], def: string): ParameterSpec => ({ parameter: 'truncate', type: 'one_of', value_type: 'string', required: false, allowed_values: values, default: def });

const REGISTRY: ModelSpec[] = [
  {
    name: 'llama-text-embed-v2',
    type: 'embed',
    vectorType: 'dense',
    shortDescription: 'A high performance dense embedding model. Runs locally as the stand-in BAAI bge-m3 (ONNX), not NVIDIA llama-text-embed-v2.',
    provider: 'NVIDIA',
    defaultDimension: 1024,
    supportedDimensions: [384, 512, 768, 1024],
    supportedMetrics: ['cosine', 'dotproduct'],
    maxSequenceLength: 2048,
    maxBatchSize: 96,
    parameters: [
      INPUT_TYPE,
      truncate(['END', 'NONE'], 'END'),
      { parameter: 'dimension', type: 'one_of', value_type: 'integer', required: false, allowed_values: [384, 512, 768, 1024], default: 1024 },
    ],
    local: { kind: 'onnx', hfId: 'Xenova/bge-m3' },
    standIn:
      "llama-text-embed-v2's weights are not public: LarchDB runs BAAI bge-m3 (1024-d, multilingual) instead; dimensions below 1024 keep the first components and re-normalise, and 2048 is not available.",
  },
  {
    name: 'multilingual-e5-large',
    type: 'embed',
    vectorType: 'dense',
    shortDescription: 'Microsoft multilingual-e5-large (ONNX), with its "query: " and "passage: " prefixes.',
    provider: 'Microsoft',
    defaultDimension: 1024,
    supportedDimensions: [1024],
    supportedMetrics: ['cosine', 'euclidean'],
    maxSequenceLength: 507,
    maxBatchSize: 96,
    parameters: [INPUT_TYPE, truncate(['END', 'NONE'], 'END')],
    local: { kind: 'onnx', hfId: 'Xenova/multilingual-e5-large', queryPrefix: 'query: ', passagePrefix: 'passage: ' },
  },
  {
    name: 'pinecone-sparse-english-v0',
    type: 'embed',
    vectorType: 'sparse',
    shortDescription: 'Sparse English embeddings. Runs as a built-in BM25 encoder (tokenizer, stop words, Porter stemming, hashed term ids): no weights needed.',
    provider: 'Pinecone',
    supportedMetrics: ['dotproduct'],
    maxSequenceLength: 512,
    maxBatchSize: 96,
    parameters: [
      INPUT_TYPE,
      truncate(['END', 'NONE'], 'END'),
      { parameter: 'max_tokens_per_sequence', type: 'one_of', value_type: 'integer', required: false, allowed_values: [512, 2048], default: 512 },
      { parameter: 'return_tokens', type: 'any', value_type: 'boolean', required: false, default: false },
    ],
    local: { kind: 'bm25' },
    standIn: "pinecone-sparse-english-v0 (DeepImpact) is Pinecone's own: LarchDB runs a BM25 encoder instead, so term weights differ.",
  },
  {
    name: 'bge-reranker-v2-m3',
    type: 'rerank',
    shortDescription: 'BAAI bge-reranker-v2-m3 cross-encoder (ONNX).',
    provider: 'BAAI',
    maxSequenceLength: 1024,
    maxBatchSize: 100,
    maxRankFields: 1,
    parameters: [truncate(['END', 'NONE'], 'NONE')],
    local: { kind: 'onnx', hfId: 'onnx-community/bge-reranker-v2-m3-ONNX' },
  },
  {
    name: 'cohere-rerank-3.5',
    type: 'rerank',
    shortDescription: 'Reranking with several rank fields. Runs locally as the stand-in cross-encoder ms-marco-MiniLM-L-6-v2 (ONNX), not Cohere Rerank 3.5.',
    provider: 'Cohere',
    maxSequenceLength: 40000,
    maxBatchSize: 200,
    maxRankFields: 10,
    parameters: [{ parameter: 'max_chunks_per_doc', type: 'numeric_range', value_type: 'integer', required: false, min: 1, max: 3072, default: 3072 }],
    local: { kind: 'onnx', hfId: 'Xenova/ms-marco-MiniLM-L-6-v2' },
    standIn: "Cohere Rerank 3.5 is hosted by Cohere: LarchDB runs ms-marco-MiniLM-L-6-v2 instead; the rank fields are joined as 'field: value' lines and the pair is cut at 512 tokens.",
  },
  {
    name: 'pinecone-rerank-v0',
    type: 'rerank',
    shortDescription: 'Reranking. Runs locally as the stand-in cross-encoder BAAI bge-reranker-base (ONNX), not Pinecone Rerank v0.',
    provider: 'Pinecone',
    maxSequenceLength: 512,
    maxBatchSize: 100,
    maxRankFields: 1,
    parameters: [truncate(['END', 'NONE'], 'END')],
    local: { kind: 'onnx', hfId: 'Xenova/bge-reranker-base' },
    standIn: 'pinecone-rerank-v0 is Pinecone\'s own: LarchDB runs BAAI bge-reranker-base instead.',
  },
];

const BY_NAME = new Map(REGISTRY.map((m) => [m.name, m]));

/** Every hosted model, optionally of one type / vector type (GET /models). */
export function listModels(filter: { type?: ModelType; vectorType?: 'dense' | 'sparse' } = {}): ModelSpec[] {
  return REGISTRY.filter((m) => (filter.type === undefined || m.type === filter.type) && (filter.vectorType === undefined || m.vectorType === filter.vectorType));
}

/** A hosted model by name (NOT_FOUND "Model X not found.", as Pinecone words it). */
export function hostedModel(name: string): ModelSpec {
  const m = BY_NAME.get(name);
  if (!m) throw notFound(`Model ${name} not found.`);
  return m;
}

/**
 * The model a request names: a hosted one, or (a name with `/`) any Hugging Face ONNX model used as `type`. Its
 * dimension is learnt when it loads; its limits are a BERT's (512 tokens), batches Pinecone's (96 / 100).
 */
export function resolveModel(name: string, type: ModelType): ModelSpec {
  const hosted = BY_NAME.get(name);
  if (hosted) return hosted;
  if (!name.includes('/')) {
    const names = listModels({ type }).map((m) => m.name).join(', ');
    throw notFound(`Model ${name} not found. Use one of ${names}, or a Hugging Face ONNX model id (org/name) from the models directory.`);
  }
  return {
    name,
    type,
    ...(type === 'embed' ? { vectorType: 'dense' as const, supportedMetrics: ['cosine', 'dotproduct', 'euclidean'] as ModelSpec['supportedMetrics'] } : { maxRankFields: 1 }),
    shortDescription: `Hugging Face ONNX model ${name}, from the models directory.`,
    provider: name.split('/')[0]!,
    maxSequenceLength: 512,
    maxBatchSize: type === 'embed' ? 96 : 100,
    parameters: type === 'embed' ? [INPUT_TYPE, truncate(['END', 'NONE'], 'END')] : [truncate(['END', 'NONE'], 'END')],
    local: { kind: 'onnx', hfId: name },
  };
}

/** A model as the inference API describes it (the official client's ModelInfo, camelCase). */
export interface ModelInfo {
  model: string;
  shortDescription: string;
  type: ModelType;
  vectorType?: 'dense' | 'sparse';
  defaultDimension?: number;
  supportedDimensions?: number[];
  modality: 'text';
  maxSequenceLength: number;
  maxBatchSize: number;
  providerName: string;
  /** As Pinecone spells them: `Cosine`, `DotProduct`, `Euclidean`. */
  supportedMetrics?: string[];
  supportedParameters: { parameter: string; type: string; valueType: string; required: boolean; allowedValues?: (string | number)[]; min?: number; max?: number; default?: string | number | boolean }[];
}

export function modelInfo(m: ModelSpec): ModelInfo {
  const info: ModelInfo = {
    model: m.name,
    shortDescription: m.shortDescription,
    type: m.type,
    modality: 'text',
    maxSequenceLength: m.maxSequenceLength,
    maxBatchSize: m.maxBatchSize,
    providerName: m.provider,
    supportedParameters: m.parameters.map(({ value_type, allowed_values, ...p }) => ({ ...p, valueType: value_type, ...(allowed_values ? { allowedValues: allowed_values } : {}) })),
  };
  if (m.vectorType) info.vectorType = m.vectorType;
  if (m.defaultDimension !== undefined) info.defaultDimension = m.defaultDimension;
  if (m.supportedDimensions) info.supportedDimensions = m.supportedDimensions;
  if (m.supportedMetrics) info.supportedMetrics = m.supportedMetrics.map((x) => (x === 'dotproduct' ? 'DotProduct' : x.charAt(0).toUpperCase() + x.slice(1)));
  return info;
}
