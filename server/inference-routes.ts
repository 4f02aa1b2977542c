/** The inference API (API-DIGEST §6): /embed, /rerank, /models on local models. snake_case on the wire. */
import type { FastifyInstance } from 'fastify';
import type { EmbeddingsList, LarchDB, ModelInfo, RerankResult } from '../engine/index.js';
import { invalidArgument } from '../engine/internal.js';
import { embedBody, rerankBody } from './schemas.js';
import { camelToSnake, defined, renameKeys } from './wire.js';

type Json = Record<string, unknown>;

/** EmbeddingsList → wire. */
export function embeddingsToWire(r: EmbeddingsList): Json {
  return {
    model: r.model,
    vector_type: r.vectorType,
    data: r.data.map((d) =>
      d.vectorType === 'dense'
        ? { values: d.values, vector_type: 'dense' }
        : defined({ sparse_values: d.sparseValues, sparse_indices: d.sparseIndices, sparse_tokens: d.sparseTokens, vector_type: 'sparse' }),
    ),
    usage: { total_tokens: r.usage.totalTokens },
  };
}

/** ModelInfo → snake_case, its supported parameters too. */
function modelInfoToWire(m: ModelInfo): Json {
  const { supportedParameters, ...rest } = m;
  return { ...renameKeys(rest as unknown as Json, camelToSnake), supported_parameters: supportedParameters.map((p) => renameKeys(p as unknown as Json, camelToSnake)) };
}

function rerankToWire(r: RerankResult): Json {
  return { model: r.model, data: r.data.map((d) => defined({ index: d.index, score: d.score, document: d.document })), usage: { rerank_units: r.usage.rerankUnits } };
}

export function registerInferenceRoutes(app: FastifyInstance, db: LarchDB): void {
  app.post<{ Body: Json }>('/embed', { schema: { body: embedBody } }, async (req) => {
    const b = req.body;
    return embeddingsToWire(await db.inference.embed(b.model as string, b.inputs as { text: string }[], b.parameters as Json | undefined));
  });

  app.post<{ Body: Json }>('/rerank', { schema: { body: rerankBody } }, async (req) => {
    const b = req.body;
    const options = defined({
      topN: b.top_n as number | undefined,
      returnDocuments: b.return_documents as boolean | undefined,
      rankFields: b.rank_fields as string[] | undefined,
      parameters: b.parameters as Json | undefined,
    });
    return rerankToWire(await db.inference.rerank(b.model as string, b.query as string, b.documents as Json[], options));
  });

  app.get<{ Querystring: { type?: string; vector_type?: string } }>('/models', async (req) => {
    const { type, vector_type: vectorType } = req.query;
    if (type !== undefined && type !== 'embed' && type !== 'rerank') throw invalidArgument(`type must be 'embed' or 'rerank', got '${type}'.`);
    if (vectorType !== undefined && vectorType !== 'dense' && vectorType !== 'sparse') throw invalidArgument(`vector_type must be 'dense' or 'sparse', got '${vectorType}'.`);
    const list = db.inference.listModels(defined({ type, vectorType }) as Parameters<LarchDB['inference']['listModels']>[0]);
    return { models: list.models.map(modelInfoToWire) };
  });

  app.get<{ Params: { name: string } }>('/models/:name', async (req) => modelInfoToWire(db.inference.describeModel(req.params.name)));
}
