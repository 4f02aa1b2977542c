/** Request-header checks every route shares: `Api-Key` and `X-Pinecone-API-Version` (API-DIGEST §2.2). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LarchError } from '../engine/index.js';
import { invalidArgument } from '../engine/internal.js';

/** API versions whose wire format LarchDB speaks (every one the official clients 3.x to 9.x send). */
export const SUPPORTED_API_VERSIONS = ['2024-07', '2024-10', '2025-01', '2025-04', '2025-10', '2026-04', '2026-07'] as const;
export const DEFAULT_API_VERSION = '2025-04';

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

/** An onRequest hook that refuses API versions LarchDB does not speak and echoes the one in use. */
export async function apiVersionGuard(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const raw = req.headers['x-pinecone-api-version'];
  const version = raw === undefined ? DEFAULT_API_VERSION : String(raw).trim();
  if (!(SUPPORTED_API_VERSIONS as readonly string[]).includes(version)) {
    throw invalidArgument(
      `Unsupported API version '${version}' in the X-Pinecone-API-Version header. Supported versions: ${SUPPORTED_API_VERSIONS.join(', ')}.`,
    );
  }
  reply.header('x-pinecone-api-version', version);
}
