/**
 * A minimal Pinecone REST data-plane client for load generation: raw `fetch` (undici, keep-alive) with JSON bodies,
 * so the client adds as little as possible to what is measured. Used by the main thread and by load workers alike.
 *
 * @module
 */
import type { SegmentState } from './target-indexed.js';
import type { BenchQuery, BenchRecord, RemoteTargetConfig } from './target.js';

/** The API version the harness speaks: supported by LarchDB and by Pinecone. */
export const BENCH_API_VERSION = '2025-04';

/** An HTTP answer other than 2xx, with Pinecone's error message when the body has one. */
export class HttpStatusError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Headers for every request: the key (never logged) and the API version. */
export function headers(apiKey: string | undefined, apiVersion = BENCH_API_VERSION): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-pinecone-api-version': apiVersion,
    ...(apiKey ? { 'api-key': apiKey } : {}),
  };
}

/** Sends one request and parses the JSON answer; non-2xx becomes an {@link HttpStatusError}. */
export async function requestJson(url: string, init: { method: string; headers: Record<string, string>; body?: unknown }): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { method: init.method, headers: init.headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let msg = text.slice(0, 300);
    try {
      const j = JSON.parse(text) as { message?: string; error?: { message?: string } };
      msg = j.error?.message ?? j.message ?? msg;
    } catch {
      // not JSON: keep the text
    }
    throw new HttpStatusError(res.status, `${init.method} ${new URL(url).pathname}: HTTP ${res.status}: ${msg}`);
  }
  return text.length > 0 ? JSON.parse(text) : {};
}

/** The data-plane calls of one index host. */
export class DataPlaneClient {
  private readonly h: Record<string, string>;

  constructor(private readonly cfg: RemoteTargetConfig) {
    this.h = headers(cfg.apiKey, cfg.apiVersion);
  }

  private post(path: string, body: unknown): Promise<unknown> {
    return requestJson(`${this.cfg.indexHost}${path}`, { method: 'POST', headers: this.h, body });
  }

  async upsert(records: BenchRecord[]): Promise<void> {
    const vectors = records.map((r) => ({ id: r.id, values: Array.from(r.values), ...(r.metadata ? { metadata: r.metadata } : {}) }));
    await this.post('/vectors/upsert', { vectors, namespace: this.cfg.namespace });
  }

  async query(q: BenchQuery): Promise<string[]> {
    const res = (await this.post('/query', {
      vector: Array.from(q.vector),
      topK: q.topK,
      namespace: this.cfg.namespace,
      includeValues: q.includeValues,
      includeMetadata: q.includeMetadata,
      ...(q.filter ? { filter: q.filter } : {}),
    })) as { matches?: { id: string }[] };
    return (res.matches ?? []).map((m) => m.id);
  }

  /** The namespace's segments, from LarchDB's /larchdb/storage extension; null where the server has none (Pinecone). */
  async segments(): Promise<SegmentState | null> {
    try {
      return (await requestJson(`${this.cfg.indexHost}/larchdb/storage/${encodeURIComponent(this.cfg.namespace)}`, { method: 'GET', headers: this.h })) as SegmentState;
    } catch (err) {
      if (err instanceof HttpStatusError && err.status === 404) return null;
      throw err;
    }
  }

  /** Records in the namespace, per describe_index_stats. */
  async count(): Promise<number> {
    const res = (await this.post('/describe_index_stats', {})) as { namespaces?: Record<string, { vectorCount?: number; recordCount?: number }> };
    const ns = res.namespaces?.[this.cfg.namespace];
    return Number(ns?.vectorCount ?? ns?.recordCount ?? 0);
  }

  /**
   * Deletes the namespace (API 2025-04's DELETE /namespaces/{namespace}); where that is not offered, deletes its
   * records (deleteAll keeps the namespace itself). 404: it is already gone.
   */
  async deleteNamespace(): Promise<void> {
    try {
      await requestJson(`${this.cfg.indexHost}/namespaces/${encodeURIComponent(this.cfg.namespace)}`, { method: 'DELETE', headers: this.h });
    } catch (err) {
      if (err instanceof HttpStatusError && err.status === 404) return;
      if (err instanceof HttpStatusError && (err.status === 405 || err.status === 400)) await this.deleteAll();
      else throw err;
    }
  }

  /** Deletes every record of the namespace (404: it is already gone). */
  async deleteAll(): Promise<void> {
    try {
      await this.post('/vectors/delete', { deleteAll: true, namespace: this.cfg.namespace });
    } catch (err) {
      if (!(err instanceof HttpStatusError && err.status === 404)) throw err;
    }
  }
}
