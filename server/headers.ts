/** Request-header checks every route shares: `Api-Key` and `X-Pinecone-API-Version` (API-DIGEST §2.2). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LarchError } from '../engine/index.js';
import { parseApiVersion, setVersion } from './api-versions.js';


const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * An onRequest hook that admits only requests whose `Api-Key` header is one of `keys` (compared in constant time).
 * With no keys configured every request is admitted, as Pinecone Local does.
 */
export function apiKeyGuard(keys: readonly string[]): (req: FastifyRequest) => Promise<void> {
  const wanted = keys.map(digest);
  return async (req) => {
    if (wanted.length === 0) return;
    const given = req.headers['api-key'];
    if (typeof given !== 'string' || given.length === 0) {
      throw new LarchError('UNAUTHENTICATED', 'Missing API key: send it in the Api-Key header.');
    }
    const d = digest(given);
    if (!wanted.some((w) => timingSafeEqual(w, d))) throw new LarchError('UNAUTHENTICATED', 'Invalid API key.');
  };
}

/** An onRequest hook that refuses API versions LarchDB does not speak, records the one in use and echoes it. */
export async function apiVersionGuard(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const shape = parseApiVersion(req.headers['x-pinecone-api-version']);
  setVersion(req, shape);
  reply.header('x-pinecone-api-version', shape.version);
}
