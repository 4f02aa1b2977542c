/**
 * Turns a raw `/vectors/upsert` body into a binary record frame: parse, normalise aliases, check the JSON Schema,
 * validate against the index, encode. Small bodies run this on the HTTP thread; large ones on an executor thread
 * (the default export), so a 2 MB upsert never stalls the event loop. One function, so both give the same errors.
 */
import { Ajv } from 'ajv';
import { LarchError } from '../engine/index.js';
import { encodeRecords, validateUpsert, type IndexConfig } from '../engine/internal.js';
import { AJV_OPTIONS, parseJsonBody } from './json-body.js';
import { ALIASES, upsertBody } from './schemas.js';
import { isObject, normalizeMessage } from './wire.js';
import { WireError, formatValidation, withStatus, type AjvError } from './errors.js';

export interface PreparedUpsert {
  namespace: string;
  /** The encoded records, on a SharedArrayBuffer when prepared on another thread. */
  frame: Uint8Array;
  count: number;
}

let validate: ReturnType<Ajv['compile']> | undefined;

export function prepareUpsert(raw: Uint8Array, cfg: IndexConfig): PreparedUpsert {
  const body = parseJsonBody(new TextDecoder().decode(raw)) ?? {};
  if (isObject(body)) {
    normalizeMessage(body);
    if (Array.isArray(body.vectors)) {
      for (const v of body.vectors) {
        normalizeMessage(v, ALIASES.vector);
        if (isObject(v)) normalizeMessage(v.sparseValues);
      }
    }
  }
  validate ??= new Ajv({ ...AJV_OPTIONS }).compile(upsertBody);
  if (!validate(body)) throw withStatus(400, 'INVALID_ARGUMENT', formatValidation(validate.errors as AjvError[], 'body'));
  const b = body as { vectors: unknown; namespace?: string };
  const records = validateUpsert(b.vectors, cfg);
  // Over HTTP the 2 MB limit is on the JSON body (fastify's bodyLimit), not on this encoding.
  const enc = encodeRecords(records);
  const frame = new Uint8Array(new SharedArrayBuffer(enc.size));
  enc.writeTo(frame);
  return { namespace: b.namespace ?? '', frame, count: records.length };
}

/** A thrown error in plain form: piscina would keep only message and name. */
export type PrepareReply = { ok: PreparedUpsert } | { err: { status: number; code: LarchError['code']; grpc: number; message: string } };

/** Executor-thread entry. */
export default function prepareOnWorker(task: { raw: Uint8Array; cfg: IndexConfig }): PrepareReply {
  try {
    return { ok: prepareUpsert(task.raw, task.cfg) };
  } catch (e) {
    if (e instanceof WireError || e instanceof LarchError) return { err: { status: e.status, code: e.code, grpc: e.grpc, message: e.message } };
    throw e;
  }
}
