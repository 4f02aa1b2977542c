/**
 * `db.inference`: Pinecone's inference API (embed, rerank, models) on local models, shaped like the official
 * client's `pc.inference` (6.x: positional arguments). Work runs on the inference worker pool.
 */
import { hostedModel, listModels, modelInfo, resolveModel, type ModelInfo, type ModelType } from './core/models.js';
import type { Settings } from './core/settings.js';
import { validateEmbed, validateRerank } from './core/validation/inference.js';
import type { Supervisor } from '../actors/main/supervisor.js';
import type { EmbedOut, ModelSource, RerankOut } from '../actors/shared/inference-job.js';

export interface DenseEmbedding {
  vectorType: 'dense';
  values: number[];
}
export interface SparseEmbedding {
  vectorType: 'sparse';
  sparseIndices: number[];
  sparseValues: number[];
  /** With `parameters.return_tokens: true`. */
  sparseTokens?: string[];
}
export interface EmbeddingsList {
  model: string;
  vectorType: 'dense' | 'sparse';
  data: (DenseEmbedding | SparseEmbedding)[];
  usage: { totalTokens: number };
}

export interface RerankOptions {
  topN?: number;
  returnDocuments?: boolean;
  /** Fields of each document to score (default `['text']`). */
  rankFields?: string[];
  parameters?: Record<string, unknown>;
}
export interface RankedDocument {
  index: number;
  score: number;
  document?: Record<string, unknown>;
}
export interface RerankResult {
  model: string;
  data: RankedDocument[];
  usage: { rerankUnits: number };
}

/** Inference on local models: see the model registry (engine/core/models.ts) for what runs. */
export class Inference {
  /** @internal */
  constructor(
    private readonly supervisor: () => Supervisor,
    private readonly settings: Settings,
  ) {}

  private get source(): ModelSource {
    return { modelsDir: this.settings.modelsDir, allowDownloads: this.settings.allowModelDownloads };
  }

  /** Embeds texts (`parameters.input_type` is required by every embedding model). */
  async embed(model: string, inputs: (string | { text: string })[], parameters?: Record<string, unknown>): Promise<EmbeddingsList> {
    const spec = resolveModel(model, 'embed');
    const task = validateEmbed(spec, inputs, parameters);
    const out = await this.supervisor().inference.embed({ op: 'embed', model: spec, task, source: this.source });
    const data: EmbeddingsList['data'] = out.sparse
      ? out.sparse.map((s) => ({ vectorType: 'sparse' as const, sparseIndices: s.indices, sparseValues: s.values, ...(s.tokens ? { sparseTokens: s.tokens } : {}) }))
      : out.dense!.map((values) => ({ vectorType: 'dense' as const, values }));
    return { model, vectorType: spec.vectorType ?? 'dense', data, usage: { totalTokens: out.totalTokens } };
  }

  /** Scores documents against a query with a cross-encoder, most relevant first. */
  async rerank(model: string, query: string, documents: (string | Record<string, unknown>)[], options: RerankOptions = {}): Promise<RerankResult> {
    const spec = resolveModel(model, 'rerank');
    const task = validateRerank(spec, { query, documents, ...options });
    const { scores } = await this.supervisor().inference.run<RerankOut>({ op: 'rerank', model: spec, task, source: this.source });
    const order = scores.map((score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index);
    const data = order.slice(0, task.topN).map(({ index, score }): RankedDocument => {
      if (!task.returnDocuments) return { index, score };
      const d = documents[index]!;
      return { index, score, document: typeof d === 'string' ? { text: d } : d };
    });
    return { model, data, usage: { rerankUnits: 1 } };
  }

  /** The hosted models LarchDB runs, optionally of one type / vector type. */
  listModels(filter: { type?: ModelType; vectorType?: 'dense' | 'sparse' } = {}): { models: ModelInfo[] } {
    return { models: listModels(filter).map(modelInfo) };
  }

  /** One hosted model's ModelInfo (NOT_FOUND "Model X not found."). */
  describeModel(name: string): ModelInfo {
    return modelInfo(hostedModel(name));
  }
}
