/**
 * Errors on the wire. The control plane answers `{"error":{"code","message"},"status"}`, the data plane
 * (grpc-gateway style) `{"code":<gRPC number>,"message","details":[]}` (API-DIGEST §2.5). Every failure, including
 * fastify's own (bad JSON, body too large, schema violations, unknown routes), is turned into one of those two.
 */
import { LarchError, type ErrorCode } from '../engine/index.js';
import { MAX_REQUEST_BYTES } from '../engine/internal.js';

/** Which error shape a request gets. */
export type Plane = 'control' | 'data';

/** Path prefix of every data-plane route (see the host rule in app.ts). */
export const DATA_PREFIX = '/index/';

/** An error ready to render: HTTP status, control-plane code string and data-plane gRPC number. */
export class WireError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly grpc: number,
    message: string,
  ) {
    super(message);
  }
}

/** A LarchError with an HTTP status other than the code's default (e.g. 415 for a wrong media type). */
export function withStatus(status: number, code: ErrorCode, message: string): WireError {
  return new WireError(status, code, new LarchError(code, message).grpc, message);
}

/** The plane a URL belongs to: data-plane routes all live under {@link DATA_PREFIX}. */
export function planeOf(url: string): Plane {
  return url.startsWith(DATA_PREFIX) ? 'data' : 'control';
}

/** The JSON body of an error in the shape of `plane`. */
export function errorBody(plane: Plane, e: WireError): object {
  if (plane === 'data') return { code: e.grpc, message: e.message, details: [] };
  return { error: { code: e.code, message: e.message }, status: e.status };
}

interface FastifyishError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: AjvError[];
  validationContext?: string;
}

/** The parts of an Ajv error the formatter reads (ajv runs with `verbose: true`). */
export interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
  parentSchema?: { properties?: Record<string, unknown> };
}

/**
 * Maps anything thrown while serving a request to a {@link WireError}. Bad input never becomes a 500: only errors
 * we do not recognise (bugs) are INTERNAL.
 */
export function toWireError(err: unknown, plane: Plane): WireError {
  if (err instanceof WireError) return err;
  if (err instanceof LarchError) return new WireError(err.status, err.code, err.grpc, err.message);
  const e = (err ?? {}) as FastifyishError;
  if (Array.isArray(e.validation)) {
    // Control plane: an undeserializable body is 422 in Pinecone's spec; the data plane answers 400 / code 3.
    const message = formatValidation(e.validation, e.validationContext ?? 'body');
    return plane === 'control' ? withStatus(422, 'UNPROCESSABLE_ENTITY', message) : withStatus(400, 'INVALID_ARGUMENT', message);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // 400 rather than 413: the official client maps 400 to PineconeBadRequestError, like every other size limit.
      return withStatus(400, 'INVALID_ARGUMENT', `Request body exceeds the maximum supported size of 2 MB (${MAX_REQUEST_BYTES} bytes); split the batch.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return withStatus(415, 'INVALID_ARGUMENT', 'Unsupported Content-Type: send the body as JSON with Content-Type: application/json.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return withStatus(400, 'INVALID_ARGUMENT', 'Malformed JSON in the request body.');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Other client errors fastify raises itself (aborted bodies, proto poisoning …).
    return withStatus(e.statusCode === 404 ? 404 : 400, e.statusCode === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT', e.message ?? 'Bad request.');
  }
  if (e.statusCode === 503) return withStatus(503, 'UNAVAILABLE', 'Service unavailable: the server is shutting down.');
  return withStatus(500, 'INTERNAL', 'Internal server error.');
}

/** One readable sentence for the first schema violation, naming the field by its JSON path. */
export function formatValidation(errors: AjvError[], context: string): string {
  const err = errors[0];
  const root = context === 'body' ? 'Request body' : context === 'querystring' ? 'Query string' : `Request ${context}`;
  if (!err) return `${root} is invalid.`;
  const path = jsonPath(err.instancePath);
  const where = path || root;
  switch (err.keyword) {
    case 'type': {
      const type = String(err.params.type).split(',').filter((t) => t !== 'null')[0] ?? 'value';
      const want = type === 'object' ? 'JSON object' : type;
      return `${where} must be ${/^[aeiou]/.test(want) ? 'an' : 'a'} ${want}, got ${typeName(err.data)}.`;
    }
    case 'required':
      return `${where} is missing required field '${String(err.params.missingProperty)}'.`;
    case 'additionalProperties': {
      const allowed = Object.keys(err.parentSchema?.properties ?? {});
      return `${where} has unknown field '${String(err.params.additionalProperty)}'; allowed fields are ${allowed.join(', ')}.`;
    }
    case 'enum': {
      const allowed = (err.params.allowedValues as unknown[] | undefined) ?? [];
      return `${where} must be one of ${allowed.map((v) => `'${String(v)}'`).join(', ')}, got ${show(err.data)}.`;
    }
    default:
      return `${where} ${err.message ?? 'is invalid'}.`;
  }
}

/** `/vectors/0/sparseValues/indices/2` → `vectors[0].sparseValues.indices[2]`. */
function jsonPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 64 ? `${v.slice(0, 48)}…` : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return typeName(v);
}
