/**
 * Errors in Pinecone's vocabulary. One class carries the control-plane code string, the HTTP status and the
 * gRPC number the data plane uses, so the server can render either error shape and the in-process API can throw
 * something a Pinecone user recognises (the `name` matches the official client's error class for the status).
 */

/** Control-plane error codes (db_control ErrorResponse enum) that LarchDB uses. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'UNPROCESSABLE_ENTITY'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS';

interface CodeInfo {
  status: number;
  grpc: number;
}

const CODES: Record<ErrorCode, CodeInfo> = {
  INVALID_ARGUMENT: { status: 400, grpc: 3 },
  UNAUTHENTICATED: { status: 401, grpc: 16 },
  FORBIDDEN: { status: 403, grpc: 7 },
  NOT_FOUND: { status: 404, grpc: 5 },
  ALREADY_EXISTS: { status: 409, grpc: 6 },
  FAILED_PRECONDITION: { status: 412, grpc: 9 },
  UNPROCESSABLE_ENTITY: { status: 422, grpc: 3 },
  RESOURCE_EXHAUSTED: { status: 429, grpc: 8 },
  DEADLINE_EXCEEDED: { status: 504, grpc: 4 },
  INTERNAL: { status: 500, grpc: 13 },
  UNAVAILABLE: { status: 503, grpc: 14 },
  DATA_LOSS: { status: 500, grpc: 15 },
};

/** The official Node client's error class name for each HTTP status (dist/errors/http.js). */
function clientErrorName(status: number): string {
  switch (status) {
    case 400:
    case 403:
      return 'PineconeBadRequestError';
    case 401:
      return 'PineconeAuthorizationError';
    case 404:
      return 'PineconeNotFoundError';
    case 409:
      return 'PineconeConflictError';
    case 500:
      return 'PineconeInternalServerError';
    case 503:
      return 'PineconeUnavailableError';
    default:
      return 'PineconeUnmappedHttpError';
  }
}

/** Plain form of a LarchError, safe to post between threads. */
export interface SerializedError {
  larch: true;
  code: ErrorCode;
  message: string;
}

/** Every error LarchDB raises on purpose. `status` is the HTTP status, `grpc` the data-plane `code` number. */
export class LarchError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly grpc: number;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = CODES[code].status;
    this.grpc = CODES[code].grpc;
    this.name = clientErrorName(this.status);
  }

  toJSON(): SerializedError {
    return { larch: true, code: this.code, message: this.message };
  }
}

export const invalidArgument = (message: string) => new LarchError('INVALID_ARGUMENT', message);
/**
 * A feature LarchDB does not support: a 400 (INVALID_ARGUMENT, gRPC 3) whose message says so. Never Pinecone's 501
 * (UNIMPLEMENTED, gRPC 12): clients 7.x+ retry every 5xx and then lose the message. `what` ends with "is"/"are".
 */
export const unsupported = (what: string) => invalidArgument(`${what} not supported by LarchDB.`);
export const notFound = (message: string) => new LarchError('NOT_FOUND', message);
export const alreadyExists = (message: string) => new LarchError('ALREADY_EXISTS', message);
export const forbidden = (message: string) => new LarchError('FORBIDDEN', message);
export const resourceExhausted = (message: string) => new LarchError('RESOURCE_EXHAUSTED', message);
export const unavailable = (message: string) => new LarchError('UNAVAILABLE', message);
export const internal = (message: string) => new LarchError('INTERNAL', message);

/** Turns anything thrown (possibly in another thread) back into a LarchError; unknown errors become INTERNAL. */
export function toLarchError(err: unknown): LarchError {
  if (err instanceof LarchError) return err;
  if (isSerializedError(err)) return new LarchError(err.code, err.message);
  const message = err instanceof Error ? err.message : String(err);
  return internal(message);
}

export function isSerializedError(v: unknown): v is SerializedError {
  return typeof v === 'object' && v !== null && (v as SerializedError).larch === true && typeof (v as SerializedError).code === 'string';
}

/**
 * A failed disk operation (ENOSPC, EIO, EACCES ...) on a write: UNAVAILABLE (503), naming the error and what was
 * being written, so the caller knows the write was not applied and can retry once the disk is fixed.
 */
export function diskError(err: unknown, where: string): LarchError {
  if (err instanceof LarchError) return err;
  const e = err as NodeJS.ErrnoException;
  const what = e?.code && !String(e.message).startsWith(e.code) ? `${e.code}: ${e.message}` : String(e?.message ?? err);
  return unavailable(`The write could not be made durable (${what}, in ${where}); it was not applied. Nothing acknowledged earlier is affected and reads still work; fix the disk (e.g. free space) and retry.`);
}
