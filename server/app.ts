/**
 * The HTTP server: Pinecone's REST API 2025-04 over a {@link LarchDB}, so the official clients work unchanged.
 *
 * Host rule: one port serves both planes. The control plane is at the root (`/indexes` …); the data plane of index X
 * is under the path prefix `/index/X` (`/index/X/query`, `/index/X/vectors/upsert` …), and describe_index reports
 * `host` = `<base>/index/X`, which clients use as a base URL. `<base>` is `--advertise-host` when given, otherwise
 * `http://` + the Host header the client used (so `http://127.0.0.1:5080` for a client that connected there). The
 * scheme is always explicit because the official client prepends `https://` to scheme-less hosts.
 */
import { AJV_OPTIONS, tooDeep, tooDeepError } from './json-body.js';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { LarchDB } from '../engine/index.js';
import { MAX_REQUEST_BYTES } from '../engine/internal.js';
import { registerControlRoutes } from './control-routes.js';
import { registerDataRoutes } from './data-routes.js';
import { registerInferenceRoutes } from './inference-routes.js';
import { DATA_PREFIX, errorBody, planeOf, toWireError, withStatus } from './errors.js';
import { apiKeyGuard, apiVersionGuard } from './headers.js';

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The database to serve; the caller opens and closes it. */
  db: LarchDB;
  /** Accepted `Api-Key` values; none means no authentication. */
  apiKeys?: readonly string[];
  /** Base URL advertised in index hosts, e.g. `https://vectors.example.com`; default `http://<Host header>`. */
  advertiseHost?: string;
  /** fastify logger options; default off. */
  logger?: FastifyServerOptions['logger'];
  /** Log each request (fastify's request logging); default false. */
  logRequests?: boolean;
  /**
   * Answers carrying at least this many values (fetch, query with includeValues) are encoded on an executor thread,
   * off the event loop (server/response-encode.ts); default 8192. Tests set 0 or Infinity to choose the path.
   */
  offloadValuesFrom?: number;
}

/** 1000 fetch ids of 512 characters, percent-encoded, fit in the request line. */
const MAX_HEADER_BYTES = MAX_REQUEST_BYTES + 64 * 1024;

/**
 * Builds the fastify app serving `opts.db`. Call `listen()` on it; `close()` stops accepting and waits for in-flight
 * requests but leaves the database open.
 */
export function createServer(opts: ServerOptions): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? false,
    logController: new LogController({ disableRequestLogging: !opts.logRequests }),
    bodyLimit: MAX_REQUEST_BYTES,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    requestTimeout: 300_000, // Node's default, which fastify would otherwise turn off
    return503OnClosing: false, // the hook below answers in Pinecone's shape instead
    routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: true },
    ajv: { customOptions: { ...AJV_OPTIONS } },
    clientErrorHandler,
  });

  installJsonParser(app);
  app.setErrorHandler((err, req, reply) => {
    const plane = planeOf(req.url);
    const e = toWireError(err, plane);
    if (e.status === 500) req.log.error({ err }, 'request failed');
    return reply.code(e.status).type('application/json').send(errorBody(plane, e));
  });
  app.setNotFoundHandler((req, reply) => {
    const plane = planeOf(req.url);
    const path = req.url.split('?')[0];
    const hint = plane === 'control' && /^\/(query|vectors|describe_index_stats|namespaces)\b/.test(path ?? '')
      ? ` Data-plane routes live under the index host, ${DATA_PREFIX}<index name>; describe_index returns it.`
      : '';
    const e = withStatus(404, 'NOT_FOUND', `No route for ${req.method} ${path}.${hint}`);
    return reply.code(404).type('application/json').send(errorBody(plane, e));
  });

  // During close(), requests in flight finish; later ones on open keep-alive connections get a 503 once their body
  // is read (refusing earlier would reset the upload). Every response then closes its connection, so close() ends.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('preValidation', async () => {
    if (closing) throw withStatus(503, 'UNAVAILABLE', 'The server is shutting down.');
  });
  app.addHook('onSend', async (_req, reply) => {
    // Tools (`larchdb bench`) tell a LarchDB server from another Pinecone endpoint by it.
    reply.header('server', 'LarchDB');
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onRequest', apiKeyGuard(opts.apiKeys ?? []));
  app.addHook('onRequest', apiVersionGuard);

  const advertised = opts.advertiseHost?.replace(/\/+$/, '');
  const hostOf = (req: FastifyRequest, index: string): string => `${advertised ?? baseUrl(req)}${DATA_PREFIX}${index}`;
  registerControlRoutes(app, { db: opts.db, hostOf });
  registerInferenceRoutes(app, opts.db);
  app.register(async (scope) => registerDataRoutes(scope, opts.db, { offloadValuesFrom: opts.offloadValuesFrom }), { prefix: `${DATA_PREFIX}:index` });
  return app;
}

/** `http://` + the address the client used to reach us. */
function baseUrl(req: FastifyRequest): string {
  if (req.host) return `${req.protocol}://${req.host}`;
  const { localAddress, localPort } = req.socket;
  const addr = localAddress?.includes(':') ? `[${localAddress}]` : localAddress;
  return `${req.protocol}://${addr}:${localPort}`;
}

/**
 * JSON bodies only. An empty body is "no body" (`POST /describe_index_stats` is sent without one); prototype
 * poisoning and over-deep nesting are refused; any other media type is a 415.
 */
function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if ((body as string).trim().length === 0) return done(null, undefined);
    parse(req, body as string, (err, value) => {
      if (err) return done(err, undefined);
      if (tooDeep(value)) return done(tooDeepError(), undefined);
      done(null, value);
    });
  });
  // NDJSON bodies: the records upsert route parses them itself.
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) => done(null, body));
}

/** Malformed HTTP (bad request line, oversized headers) answered in the control-plane error shape. */
function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message = status === 431 ? 'Request headers (or URL) too large.' : status === 408 ? 'Request timed out.' : 'Malformed HTTP request.';
  const body = JSON.stringify(errorBody('control', withStatus(status, 'INVALID_ARGUMENT', message)));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
