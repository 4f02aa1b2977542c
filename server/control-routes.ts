/** Control-plane routes (API-DIGEST §4): indexes, plus clear 400s for the parts of the API LarchDB does not implement. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CreateIndexForModelOptions, IndexModel, LarchDB } from '../engine/index.js';
import { unsupported } from '../engine/internal.js';
import { versionOf } from './api-versions.js';
import { configureIndexBody, createForModelBody, createIndexBody } from './schemas.js';
import { configureIndexFromWire, createIndexFromWire, embedFromWire, indexModelToWire, isObject, normalizeMessage } from './wire.js';

type Json = Record<string, unknown>;

/** What the routes need from the server. */
export interface RouteContext {
  db: LarchDB;
  /** The data-plane base URL of an index, as advertised in `host`. */
  hostOf(req: FastifyRequest, index: string): string;
}

/** Maps the create body to the canonical version, then drops nulls in its messages (serde reads `null` as absent). */
function normalizeCreate(req: FastifyRequest): void {
  if (!isObject(req.body)) {
    req.body ??= {}; // not an object: the schema check says so
    return;
  }
  const body = versionOf(req).createIndexIn(req.body);
  req.body = body;
  normalizeMessage(body);
  if (isObject(body.spec)) {
    normalizeMessage(body.spec);
    for (const kind of ['serverless', 'pod', 'byoc']) normalizeMessage(body.spec[kind]);
  }
}

const UNSUPPORTED: [string, string, string][] = [
  // API 2026-07: backup schedules.
  ['GET', '/indexes/:name/backup-schedules', 'Backup schedules are'],
  ['POST', '/indexes/:name/backup-schedules', 'Backup schedules are'],
  ['GET', '/backup-schedules/:id', 'Backup schedules are'],
  ['PATCH', '/backup-schedules/:id', 'Backup schedules are'],
  ['DELETE', '/backup-schedules/:id', 'Backup schedules are'],
  ['GET', '/backup-schedules/:id/history', 'Backup schedules are'],
  ['GET', '/collections', 'Collections are'],
  ['POST', '/collections', 'Collections are'],
  ['GET', '/collections/:name', 'Collections are'],
  ['DELETE', '/collections/:name', 'Collections are'],
  ['GET', '/indexes/:name/backups', 'Backups are'],
  ['POST', '/indexes/:name/backups', 'Backups are'],
  ['GET', '/backups', 'Backups are'],
  ['GET', '/backups/:id', 'Backups are'],
  ['DELETE', '/backups/:id', 'Backups are'],
  ['POST', '/backups/:id/create-index', 'Restoring from a backup is'],
  ['GET', '/restore-jobs', 'Restore jobs are'],
  ['GET', '/restore-jobs/:id', 'Restore jobs are'],
];

/** Registers `/indexes` and friends on `app`. */
export function registerControlRoutes(app: FastifyInstance, route: RouteContext): void {
  const { db } = route;
  const ctx = {
    /** An index as the request's API version shows it. */
    modelOut: (req: FastifyRequest, m: IndexModel) => versionOf(req).indexModelOut(indexModelToWire(m, route.hostOf(req, m.name))),
  };

  app.post<{ Body: Json }>('/indexes', { schema: { body: createIndexBody }, preValidation: async (req) => normalizeCreate(req) }, async (req, reply) => {
    const model = await db.createIndex(createIndexFromWire(req.body));
    return reply.code(201).send(ctx.modelOut(req, model));
  });

  app.post<{ Body: Json }>('/indexes/create-for-model', { schema: { body: createForModelBody }, preValidation: async (req) => normalizeMessage((req.body ??= {})) }, async (req, reply) => {
    const b = req.body;
    const model = await db.createIndexForModel({
      name: b.name as string,
      cloud: b.cloud as 'aws' | 'gcp' | 'azure',
      region: b.region as string,
      embed: embedFromWire(b.embed) as CreateIndexForModelOptions['embed'],
      ...(b.deletion_protection !== undefined ? { deletionProtection: b.deletion_protection as 'enabled' | 'disabled' } : {}),
      ...(b.tags !== undefined ? { tags: b.tags as Record<string, string> } : {}),
    });
    return reply.code(201).send(ctx.modelOut(req, model));
  });

  app.get('/indexes', async (req) => {
    const list = await db.listIndexes();
    return { indexes: (list.indexes ?? []).map((m) => ctx.modelOut(req, m)) };
  });

  app.get<{ Params: { name: string } }>('/indexes/:name', async (req) => {
    return ctx.modelOut(req, await db.describeIndex(req.params.name));
  });

  app.patch<{ Params: { name: string }; Body: Json }>(
    '/indexes/:name',
    {
      schema: { body: configureIndexBody },
      preValidation: async (req) => {
        req.body = isObject(req.body) ? versionOf(req).configureIndexIn(req.body) : (req.body ?? {});
        normalizeMessage(req.body);
      },
    },
    async (req, reply) => {
      const model = await db.configureIndex(req.params.name, configureIndexFromWire(req.body));
      return reply.code(202).send(ctx.modelOut(req, model));
    },
  );

  app.delete<{ Params: { name: string } }>('/indexes/:name', async (req, reply) => {
    await db.deleteIndex(req.params.name);
    return reply.code(202).send();
  });

  for (const [method, url, what] of UNSUPPORTED) {
    app.route({
      method,
      url,
      handler: async () => {
        throw unsupported(what);
      },
    });
  }
}
