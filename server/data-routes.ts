/**
 * Data-plane routes of one index (API-DIGEST §5), mounted under `/index/:index` (see the host rule in app.ts).
 * Bodies are camelCase; snake_case aliases and nulls are normalised before schema validation.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Filter, Index, LarchDB, MetadataSchema, QueryOptions, UpdateOptions } from '../engine/index.js';
import { compileFilter, fetchedFloats, invalidArgument, notFound, unsupported } from '../engine/internal.js';
import { versionOf } from './api-versions.js';
import { parseNdjson, searchFromWire, searchToWire } from './records-wire.js';
import { ALIASES, createNamespaceBody, searchRecordsBody, deleteBody, fetchByMetadataBody, queryBody, statsBody, updateBody } from './schemas.js';
import { prepareUpsert, type PrepareReply, type PreparedUpsert } from './upsert-prepare.js';
import { WireError } from './errors.js';
import { OFFLOAD_FLOATS, ValuesSender, type ValuesAnswer } from './response-encode.js';

/** Upsert bodies from this size on are parsed on an executor thread; below it a thread hop costs more than parsing. */
const OFFLOAD_BYTES = 64 * 1024;
const PREPARE_MODULE = new URL('./upsert-prepare.js', import.meta.url).href;
import { defined, isObject, namespaceToWire, namespacesToWire, normalizeMessage, queryToWire, statsToWire } from './wire.js';

type Json = Record<string, unknown>;
type Params = { index: string; namespace?: string };
type Query = Record<string, string | string[] | undefined>;

/** A single-valued query parameter. */
function param(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw invalidArgument(`Query parameter ${name} was given ${v.length} times; give it once.`);
  return v;
}

/** An integer query parameter; the engine checks its range. */
function intParam(q: Query, name: string): number | undefined {
  const v = param(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`Query parameter ${name} must be an integer, got '${v}'.`);
  return Number(v);
}

/** Registers the data-plane routes; `app` is already scoped to the `/index/:index` prefix. */
export function registerDataRoutes(app: FastifyInstance, db: LarchDB, opts: { offloadValuesFrom?: number } = {}): void {
  const offloadFrom = opts.offloadValuesFrom ?? OFFLOAD_FLOATS;
  const sender = new ValuesSender(db);
  const answer = (reply: FastifyReply, a: ValuesAnswer, floats: number) => sender.send(reply, a, floats >= offloadFrom);
  const target = (req: FastifyRequest<{ Params: Params }>, namespace: unknown): Index =>
    db.index(req.params.index).namespace((namespace as string | undefined) ?? '');

  /**
   * Freshness headers (guides/index-data/check-data-freshness): a write answers its own LSN as
   * x-pinecone-request-lsn and (as Pinecone's example shows) x-pinecone-max-indexed-lsn; a query answers the
   * namespace's applied LSN as x-pinecone-max-indexed-lsn. LarchDB applies a write before answering it, so a query
   * reflects every write up to that LSN. A write to a namespace that does not exist (a no-op) answers LSN 0.
   */
  const lsnHeaders = (reply: FastifyReply, lsn: number, write: boolean) => {
    if (write) reply.header('x-pinecone-request-lsn', String(lsn));
    reply.header('x-pinecone-max-indexed-lsn', String(lsn));
  };

  /** preValidation: a missing body is `{}`, then nulls dropped and aliases renamed in each message. */
  const normalize =
    (fn: (body: Json) => void) =>
    async (req: FastifyRequest): Promise<void> => {
      req.body ??= {};
      if (isObject(req.body)) fn(req.body);
    };

  // Upsert bodies are kept raw and handed to prepareUpsert: parsed and validated on this thread when small, on an
  // executor thread when large, so big batches never stall the event loop. The buffer parser is scoped to this route.
  app.register(async (sub) => {
    sub.removeAllContentTypeParsers();
    sub.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    sub.post<{ Params: Params; Body: Buffer | undefined }>('/vectors/upsert', async (req, reply) => {
      const cfg = db.indexConfig(req.params.index);
      const raw = req.body ?? new Uint8Array(0);
      let prep: PreparedUpsert;
      if (raw.length < OFFLOAD_BYTES) {
        prep = prepareUpsert(raw, cfg);
      } else {
        const shared = new Uint8Array(new SharedArrayBuffer(raw.length));
        shared.set(raw);
        const reply = await db.offload<PrepareReply>(PREPARE_MODULE, { raw: shared, cfg });
        if ('err' in reply) throw new WireError(reply.err.status, reply.err.code, reply.err.grpc, reply.err.message);
        prep = reply.ok;
      }
      const { upsertedCount, lsn } = await db.index(req.params.index).namespace(prep.namespace).upsertEncoded(prep.frame, prep.count);
      lsnHeaders(reply, lsn, true);
      return { upsertedCount };
    });
  });

  app.post<{ Params: Params; Body: Json }>(
    '/query',
    {
      schema: { body: queryBody },
      preValidation: normalize((b) => {
        normalizeMessage(b, ALIASES.query);
        normalizeMessage(b.sparseVector);
      }),
    },
    async (req, reply) => {
      const b = req.body;
      if (b.queries !== undefined) {
        throw invalidArgument('queries (the deprecated multi-query form) is not supported; send one query per request with vector, sparseVector or id.');
      }
      compileFilter(b.filter); // the engine skips it when the namespace is empty; a bad filter is still a 400
      const options = defined({
        topK: b.topK,
        id: b.id,
        vector: b.vector,
        sparseVector: b.sparseVector,
        filter: b.filter,
        includeValues: b.includeValues,
        includeMetadata: b.includeMetadata,
        scanFactor: b.scanFactor,
        maxCandidates: b.maxCandidates,
      }) as unknown as QueryOptions;
      const { response, lsn, values } = await target(req, b.namespace).queryWithLsn(options, true);
      lsnHeaders(reply, lsn, false);
      const wire = queryToWire(response);
      return values ? answer(reply, { kind: 'query', wire, values }, values.floats) : wire;
    },
  );

  app.get<{ Params: Params; Querystring: Query }>('/vectors/fetch', async (req, reply) => {
    const raw = req.query.ids;
    const ids = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    if (ids.length === 0) throw invalidArgument('Fetch needs at least one id: repeat the ids query parameter (?ids=a&ids=b).');
    const rows = await target(req, param(req.query, 'namespace')).fetchRows(ids);
    return answer(reply, { kind: 'fetch', rows }, fetchedFloats(rows));
  });

  app.post<{ Params: Params; Body: Json }>(
    '/vectors/update',
    {
      schema: { body: updateBody },
      preValidation: normalize((b) => {
        normalizeMessage(b, ALIASES.update);
        normalizeMessage(b.sparseValues);
      }),
    },
    async (req, reply) => {
      const b = req.body;
      // By id, or (API 2025-10, `filter`) every matching record; the engine tells them apart and checks each.
      if (b.filter === undefined) {
        if (b.id === undefined) throw invalidArgument('Update needs id (one record) or filter (every matching record, API 2025-10).');
        if (b.values === undefined && b.sparseValues === undefined && b.setMetadata === undefined) {
          throw invalidArgument(`Update of record '${String(b.id)}' must set at least one of values, sparseValues or setMetadata.`);
        }
      }
      const options = defined({
        id: b.id,
        values: b.values,
        sparseValues: b.sparseValues,
        metadata: b.setMetadata,
        filter: b.filter,
        dryRun: b.dryRun,
      }) as unknown as UpdateOptions;
      const { response, lsn } = await target(req, b.namespace).updateWithLsn(options);
      if (b.dryRun !== true) lsnHeaders(reply, lsn, true); // a dry run writes nothing
      return response;
    },
  );

  const deleteOptions = {
    schema: { body: deleteBody },
    preValidation: normalize((b) => normalizeMessage(b, ALIASES.delete)),
  };
  const deleteHandler = async (req: FastifyRequest<{ Params: Params; Body: Json }>, reply: FastifyReply) => {
    const b = req.body;
    const chosen = [b.ids !== undefined && 'ids', b.deleteAll === true && 'deleteAll', b.filter !== undefined && 'filter'].filter(Boolean);
    if (chosen.length === 0) throw invalidArgument('Delete needs one of ids, deleteAll: true or filter.');
    if (chosen.length > 1) throw invalidArgument(`ids, deleteAll and filter are mutually exclusive; got ${chosen.join(' and ')}.`);
    const ns = target(req, b.namespace);
    let lsn: number;
    if (b.deleteAll === true) lsn = await ns.deleteWithLsn('all');
    else if (b.ids !== undefined) lsn = await ns.deleteWithLsn(b.ids as string[]);
    else {
      if (Object.keys(b.filter as Json).length === 0) throw invalidArgument('filter must not be empty; use deleteAll: true to delete every record.');
      compileFilter(b.filter);
      lsn = await ns.deleteWithLsn(b.filter as Filter);
    }
    lsnHeaders(reply, lsn, true);
    return {};
  };
  app.post<{ Params: Params; Body: Json }>('/vectors/delete', deleteOptions, deleteHandler);
  app.delete<{ Params: Params; Body: Json }>('/vectors/delete', deleteOptions, deleteHandler); // binding from the proto (API-DIGEST §2.4)

  app.get<{ Params: Params; Querystring: Query }>('/vectors/list', async (req) => {
    const q = req.query;
    const token = param(q, 'paginationToken') ?? param(q, 'pagination_token');
    const options = defined({ prefix: param(q, 'prefix'), limit: intParam(q, 'limit'), paginationToken: token });
    return target(req, param(q, 'namespace')).listPaginated(options);
  });

  // Text records (integrated embedding): NDJSON in, whatever content type the clients send (6.x sends none, which
  // fetch turns into text/plain; 7.x+ send application/x-ndjson).
  app.register(async (sub) => {
    sub.removeAllContentTypeParsers();
    sub.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    sub.post<{ Params: Params; Body: string | undefined }>('/records/namespaces/:namespace/upsert', async (req, reply) => {
      const records = parseNdjson(req.body ?? '');
      const lsn = await target(req, req.params.namespace).upsertRecordsWithLsn(records);
      lsnHeaders(reply, lsn, true);
      return reply.code(201).send({});
    });
  });

  app.post<{ Params: Params; Body: Json }>('/records/namespaces/:namespace/search', { schema: { body: searchRecordsBody } }, async (req) =>
    searchToWire(await target(req, req.params.namespace).searchRecords(searchFromWire(req.body))),
  );

  app.post<{ Params: Params; Body: Json }>(
    '/vectors/fetch_by_metadata',
    { schema: { body: fetchByMetadataBody }, preValidation: normalize((b) => normalizeMessage(b, ALIASES.fetchByMetadata)) },
    async (req, reply) => {
      const b = req.body;
      const options = defined({ filter: (b.filter ?? {}) as Filter, limit: b.limit as number | undefined, paginationToken: b.paginationToken as string | undefined });
      const { rows, next } = await target(req, b.namespace).fetchByMetadataRows(options);
      return answer(reply, { kind: 'fetch', rows, paginated: true, next }, fetchedFloats(rows));
    },
  );

  const stats = async (req: FastifyRequest<{ Params: Params }>, filter: Filter | undefined) =>
    versionOf(req).statsOut(statsToWire(await db.index(req.params.index).describeIndexStats(defined({ filter }))));
  app.post<{ Params: Params; Body: Json }>(
    '/describe_index_stats',
    { schema: { body: statsBody }, preValidation: normalize((b) => normalizeMessage(b)) },
    async (req) => stats(req, req.body.filter as Filter | undefined),
  );
  // Deprecated GET binding, without a filter.
  app.get<{ Params: Params }>('/describe_index_stats', async (req) => stats(req, undefined));

  app.get<{ Params: Params; Querystring: Query }>('/namespaces', async (req) => {
    const q = req.query;
    const options = defined({
      limit: intParam(q, 'limit'),
      paginationToken: param(q, 'paginationToken') ?? param(q, 'pagination_token'),
      prefix: param(q, 'prefix'),
    });
    return versionOf(req).namespaceListOut(namespacesToWire(await db.index(req.params.index).listNamespaces(options)));
  });

  app.post<{ Params: Params; Body: Json }>(
    '/namespaces',
    { schema: { body: createNamespaceBody }, preValidation: normalize((b) => normalizeMessage(b)) },
    async (req, reply) => {
      const b = req.body;
      const created = await db.index(req.params.index).createNamespace(defined({ name: b.name as string, schema: b.schema as MetadataSchema | undefined }));
      return reply.code(201).send(versionOf(req).namespaceOut(namespaceToWire(created)));
    },
  );

  app.get<{ Params: Params }>('/namespaces/:namespace', async (req) =>
    versionOf(req).namespaceOut(namespaceToWire(await db.index(req.params.index).describeNamespace(req.params.namespace ?? ''))),
  );

  app.delete<{ Params: Params }>('/namespaces/:namespace', async (req) => {
    await db.index(req.params.index).deleteNamespace(req.params.namespace ?? '');
    return {};
  });

  // LarchDB's extension (not Pinecone's API): a namespace's segments, so tools can tell when background index builds
  // are done (larchdb bench measures time until indexed with it). Pinecone answers 404 here.
  app.get<{ Params: Params }>('/larchdb/storage/:namespace', async (req) => {
    const ns = req.params.namespace ?? '';
    const info = await db.storageInfo(req.params.index, ns === '' ? undefined : ns);
    if (!info) throw notFound(`Namespace '${ns}' of index '${req.params.index}' does not exist.`);
    const { segments, slabs, slabRows, slabGraphBytes, frozen, memtableRows, busy, lsn, flushes, merges } = info;
    return { segments, slabs, slabRows, slabGraphBytes, frozen, memtableRows, busy, lsn, flushes, merges };
  });

  const refuse = (what: string) => async () => {
    throw unsupported(what);
  };
  // API 2026-07's documents API (full-text search).
  for (const verb of ['upsert', 'search', 'fetch', 'list', 'update', 'delete']) {
    app.post(`/namespaces/:namespace/documents/${verb}`, refuse('The documents API (full-text search, API 2026-07) is'));
  }
  app.get('/bulk/imports', refuse('Bulk imports are'));
  app.post('/bulk/imports', refuse('Bulk imports are'));
  app.get('/bulk/imports/:id', refuse('Bulk imports are'));
  app.delete('/bulk/imports/:id', refuse('Bulk imports are'));
}
