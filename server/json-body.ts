/**
 * JSON request bodies: the parser rules and the schema-validator options, shared by fastify's parser on the HTTP
 * thread and by upsert preparation on an executor thread, so both answer the same errors.
 */
import secureJson from 'secure-json-parse';
import { invalidArgument } from '../engine/internal.js';

/** Deepest JSON nesting accepted: real filters are a few levels deep, and recursion on hostile ones must not overflow. */
export const MAX_JSON_DEPTH = 64;

/** Types are checked, never coerced: "5" is not a topK; unknown fields are errors, not silently dropped. */
export const AJV_OPTIONS = { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, verbose: true } as const;

export function tooDeep(root: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v as object);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, depth + 1]);
  }
  return false;
}

export const tooDeepError = () => invalidArgument(`Request body is nested more than ${MAX_JSON_DEPTH} levels deep.`);

/** Parses a body as fastify's parser does (prototype poisoning refused; empty = no body), then checks depth. */
export function parseJsonBody(text: string): unknown {
  if (text.trim().length === 0) return undefined;
  let value: unknown;
  try {
    value = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw invalidArgument('Malformed JSON in the request body.');
  }
  if (tooDeep(value)) throw tooDeepError();
  return value;
}
