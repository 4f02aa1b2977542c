/** The records endpoints' wire (integrated embedding): NDJSON upserts, and search requests/answers in snake_case. */
import type { SearchRecordsOptions, SearchRecordsResponse } from '../engine/index.js';
import { invalidArgument } from '../engine/internal.js';
import { defined, isObject } from './wire.js';

type Json = Record<string, unknown>;

/** One JSON object per non-empty line. */
export function parseNdjson(body: string): Json[] {
  const out: Json[] = [];
  body.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw invalidArgument(`Line ${i + 1} of the body is not valid JSON: send one JSON record per line (NDJSON).`);
    }
    if (!isObject(v)) throw invalidArgument(`Line ${i + 1} of the body must be a JSON object (a record), got ${Array.isArray(v) ? 'an array' : typeof v}.`);
    out.push(v);
  });
  if (out.length === 0) throw invalidArgument('The body holds no records: send one JSON record per line (NDJSON).');
  return out;
}

/** Search request (snake_case, schema-checked) → engine options. */
export function searchFromWire(b: Json): SearchRecordsOptions {
  const q = b.query as Json;
  const v = q.vector as Json | undefined;
  const mt = q.match_terms as Json | undefined;
  const r = b.rerank as Json | undefined;
  return defined({
    query: defined({
      topK: q.top_k as number,
      inputs: q.inputs as { text?: string } | undefined,
      vector: v ? defined({ values: v.values as number[] | undefined, sparseValues: v.sparse_values as number[] | undefined, sparseIndices: v.sparse_indices as number[] | undefined }) : undefined,
      id: q.id as string | undefined,
      filter: q.filter as Json | undefined,
      matchTerms: mt ? { terms: mt.terms as string[] } : undefined,
    }),
    fields: b.fields as string[] | undefined,
    rerank: r
      ? defined({ model: r.model as string, rankFields: r.rank_fields as string[], topN: r.top_n as number | undefined, query: r.query as string | undefined, parameters: r.parameters as Json | undefined })
      : undefined,
  }) as SearchRecordsOptions;
}

/** Search answer → wire. */
export function searchToWire(r: SearchRecordsResponse): Json {
  return {
    result: { hits: r.result.hits },
    usage: defined({ read_units: r.usage.readUnits, embed_total_tokens: r.usage.embedTotalTokens, rerank_units: r.usage.rerankUnits }),
  };
}
