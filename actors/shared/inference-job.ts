/**
 * Messages between the main thread and an inference worker (a tinypool task and its answer). Vectors come back as
 * plain arrays: an embed answer is at most 96 × 1024 floats, small next to what the model computed.
 */
import type { SerializedError } from '../../engine/core/errors.js';
import type { ModelSpec } from '../../engine/core/models.js';
import type { EmbedTask, RerankTask } from '../../engine/core/validation/inference.js';

/** Where models come from. */
export interface ModelSource {
  /** Absolute path of the models directory (`<dir>/<org>/<name>/onnx/model.onnx` …). */
  modelsDir: string;
  /** Let @huggingface/transformers fetch a missing model from the hub into the models directory. */
  allowDownloads: boolean;
}

export type InferenceJob =
  | { op: 'embed'; model: ModelSpec; task: EmbedTask; source: ModelSource }
  | { op: 'rerank'; model: ModelSpec; task: RerankTask; source: ModelSource }
  /** Fault injection for tests: the worker thread dies mid-task. */
  | { op: 'crash' };

export interface SparseOut {
  indices: number[];
  values: number[];
  tokens?: string[];
}

export interface EmbedOut {
  /** Dense vectors, or sparse ones, in input order. */
  dense?: number[][];
  sparse?: SparseOut[];
  totalTokens: number;
  /** Tokens of each input (lets a batched job's usage be split back per request). */
  tokensPerInput?: number[];
}

export interface RerankOut {
  /** One relevance score in 0..1 per document, in request order. */
  scores: number[];
}

export type InferenceReply<T> = { ok: T } | { err: SerializedError };
