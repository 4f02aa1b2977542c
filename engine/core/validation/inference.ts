/**
 * Validation of inference requests (/embed, /rerank) against a model's spec. Messages follow Pinecone's where the
 * official client's tests check them (`field 'X' not found in document at index N`, `Only one rank field is
 * supported for model …`, `Documents must be a list of strings or objects containing the "text" field`).
 */
import { invalidArgument } from '../errors.js';
import type { ModelSpec } from '../models.js';
import { absent, isPlainObject, show, typeName } from './shape.js';

export type InputType = 'query' | 'passage';
export type Truncate = 'END' | 'NONE';

/** A validated embed request. */
export interface EmbedTask {
  texts: string[];
  inputType: InputType;
  truncate: Truncate;
  /** Dense: the dimension to answer (absent: the model's own). */
  dimension?: number;
  /** Tokens allowed per input. */
  maxTokens: number;
  /** Sparse: answer each input's tokens too. */
  returnTokens: boolean;
}

function parameter(params: Record<string, unknown>, spec: ModelSpec, name: string): unknown {
  const p = spec.parameters.find((x) => x.parameter === name);
  if (!p) return undefined;
  const v = params[name];
  if (absent(v)) {
    if (p.required) throw invalidArgument(`Missing required parameter '${name}' for model ${spec.name}: one of ${(p.allowed_values ?? []).join(', ')}.`);
    return p.default;
  }
  if (p.type === 'one_of' && !(p.allowed_values ?? []).includes(v as string | number)) {
    throw invalidArgument(`Invalid value ${show(v)} for parameter '${name}' of model ${spec.name}: must be one of ${(p.allowed_values ?? []).join(', ')}.`);
  }
  if (p.type === 'numeric_range' && (typeof v !== 'number' || !Number.isInteger(v) || v < (p.min ?? -Infinity) || v > (p.max ?? Infinity))) {
    throw invalidArgument(`Invalid value ${show(v)} for parameter '${name}' of model ${spec.name}: must be an integer from ${p.min} to ${p.max}.`);
  }
  if (p.value_type === 'boolean' && typeof v !== 'boolean') throw invalidArgument(`Parameter '${name}' of model ${spec.name} must be a boolean, got ${typeName(v)}.`);
  return v;
}

function checkParameters(params: unknown, spec: ModelSpec): Record<string, unknown> {
  if (absent(params)) return {};
  if (!isPlainObject(params)) throw invalidArgument(`parameters must be an object, got ${typeName(params)}.`);
  for (const key of Object.keys(params)) {
    if (!spec.parameters.some((p) => p.parameter === key)) {
      throw invalidArgument(`Unsupported parameter '${key}' for model ${spec.name}; supported: ${spec.parameters.map((p) => p.parameter).join(', ') || 'none'}.`);
    }
  }
  return params;
}

/** Validates an embed request: 1..maxBatchSize inputs (strings or `{text}`), the model's parameters. */
export function validateEmbed(spec: ModelSpec, inputs: unknown, parameters: unknown): EmbedTask {
  if (spec.type !== 'embed') throw invalidArgument(`Model ${spec.name} is a ${spec.type} model; /embed needs an embedding model.`);
  if (!Array.isArray(inputs) || inputs.length === 0) throw invalidArgument('inputs must be a non-empty array of {"text": string}.');
  if (inputs.length > spec.maxBatchSize) {
    throw invalidArgument(`Too many inputs: ${inputs.length} inputs exceed the maximum batch size of ${spec.maxBatchSize} for model ${spec.name}.`);
  }
  const texts = inputs.map((x, i) => {
    const text = typeof x === 'string' ? x : isPlainObject(x) ? x.text : undefined;
    if (typeof text !== 'string') throw invalidArgument(`Input at index ${i} must be a string or an object with a string "text" field, got ${typeName(x)}.`);
    return text;
  });
  const params = checkParameters(parameters, spec);
  const task: EmbedTask = {
    texts,
    inputType: parameter(params, spec, 'input_type') as InputType,
    truncate: (parameter(params, spec, 'truncate') as Truncate | undefined) ?? 'END',
    maxTokens: (parameter(params, spec, 'max_tokens_per_sequence') as number | undefined) ?? spec.maxSequenceLength,
    returnTokens: (parameter(params, spec, 'return_tokens') as boolean | undefined) ?? false,
  };
  const dimension = parameter(params, spec, 'dimension') as number | undefined;
  if (dimension !== undefined && dimension !== spec.defaultDimension) task.dimension = dimension;
  return task;
}

/** A validated rerank request: the text of each document to score (rank fields joined), in request order. */
export interface RerankTask {
  query: string;
  texts: string[];
  truncate: Truncate;
  maxTokens: number;
  topN: number;
  returnDocuments: boolean;
}

/** Validates a rerank request (documents as strings or objects; `rank_fields` default `["text"]`). */
export function validateRerank(
  spec: ModelSpec,
  req: { query: unknown; documents: unknown; rankFields?: unknown; topN?: unknown; returnDocuments?: unknown; parameters?: unknown },
): RerankTask {
  if (spec.type !== 'rerank') throw invalidArgument(`Model ${spec.name} is an ${spec.type} model; /rerank needs a rerank model.`);
  if (typeof req.query !== 'string' || req.query.length === 0) throw invalidArgument('query must be a non-empty string.');
  const docs = req.documents;
  if (!Array.isArray(docs) || docs.length === 0) throw invalidArgument('documents must be a non-empty list of strings or objects.');
  if (docs.length > spec.maxBatchSize) {
    throw invalidArgument(`Too many documents: ${docs.length} documents exceed the maximum of ${spec.maxBatchSize} for model ${spec.name}.`);
  }
  const rankFields = absent(req.rankFields) ? ['text'] : req.rankFields;
  if (!Array.isArray(rankFields) || rankFields.length === 0 || !rankFields.every((f) => typeof f === 'string')) {
    throw invalidArgument('rank_fields must be a non-empty list of field names.');
  }
  if (rankFields.length > (spec.maxRankFields ?? 1)) {
    throw invalidArgument(`Only one rank field is supported for model ${spec.name}, got ${rankFields.length}: ${rankFields.join(', ')}.`);
  }
  const texts = docs.map((d, i) => {
    if (typeof d === 'string') {
      if (rankFields.length !== 1 || rankFields[0] !== 'text') throw invalidArgument(`field '${rankFields.find((f) => f !== 'text') ?? rankFields[0]}' not found in document at index ${i}`);
      return d;
    }
    if (!isPlainObject(d)) throw invalidArgument('Documents must be a list of strings or objects containing the "text" field');
    const parts: string[] = [];
    for (const f of rankFields as string[]) {
      const v = d[f];
      if (v === undefined) {
        if (absent(req.rankFields) && f === 'text') throw invalidArgument('Documents must be a list of strings or objects containing the "text" field');
        throw invalidArgument(`field '${f}' not found in document at index ${i}`);
      }
      if (typeof v !== 'string') throw invalidArgument(`field '${f}' in document at index ${i} must be a string, got ${typeName(v)}`);
      parts.push(rankFields.length === 1 ? v : `${f}: ${v}`);
    }
    return parts.join('\n');
  });
  const params = checkParameters(req.parameters, spec);
  const topN = absent(req.topN) ? docs.length : req.topN;
  if (typeof topN !== 'number' || !Number.isInteger(topN) || topN < 1) throw invalidArgument(`top_n must be a positive integer, got ${show(topN)}.`);
  if (!absent(req.returnDocuments) && typeof req.returnDocuments !== 'boolean') throw invalidArgument(`return_documents must be a boolean, got ${typeName(req.returnDocuments)}.`);
  return {
    query: req.query,
    texts,
    truncate: (parameter(params, spec, 'truncate') as Truncate | undefined) ?? 'END',
    maxTokens: spec.maxSequenceLength,
    topN: Math.min(topN, docs.length),
    returnDocuments: req.returnDocuments !== false,
  };
}
