/**
 * Targets behind a URL: a LarchDB server (or any Pinecone control plane: the harness creates its index there) or a
 * Pinecone index host (Pinecone cloud, Pinecone Local, a LarchDB index host: the harness uses the index as it is,
 * in its own namespace).
 *
 * @module
 */
import type { TargetInfo } from './report.js';
import { pollIndexed, type Indexed } from './target-indexed.js';
import { BENCH_API_VERSION, DataPlaneClient, HttpStatusError, headers, requestJson } from './target-http-client.js';
import type { BenchQuery, BenchRecord, BenchTarget, IndexPlan, RemoteTargetConfig } from './target.js';

/** How long a created index may take to become ready. */
const READY_TIMEOUT_MS = 300_000;

interface IndexDescription {
  host?: string;
  dimension?: number;
  status?: { ready?: boolean };
}

/** Whether the answer came from LarchDB (its server identifies itself in the `server` header). */
async function probe(url: string, apiKey: string | undefined): Promise<{ controlPlane: boolean; larchdb: boolean }> {
  const h = headers(apiKey);
  let res: Response;
  try {
    res = await fetch(`${url}/indexes`, { headers: h });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const larchdb = /larchdb/i.test(res.headers.get('server') ?? '');
  const body = await res.text();
  if (res.status === 401 || res.status === 403) throw new Error(`${url} refused the API key (HTTP ${res.status}); pass --api-key or set PINECONE_API_KEY`);
  if (res.ok && body.includes('"indexes"')) return { controlPlane: true, larchdb };
  // Not a control plane: an index host answers describe_index_stats.
  try {
    await requestJson(`${url}/describe_index_stats`, { method: 'POST', headers: h, body: {} });
  } catch (err) {
    if (err instanceof HttpStatusError && (err.status === 401 || err.status === 403)) throw new Error(`${url} refused the API key (HTTP ${err.status}); pass --api-key or set PINECONE_API_KEY`);
    throw new Error(`${url} is neither a Pinecone control plane (GET /indexes) nor an index host (POST /describe_index_stats): ${(err as Error).message}`);
  }
  return { controlPlane: false, larchdb };
}

/** Opens a URL target: probes what answers there. */
export async function openHttpTarget(url: string, apiKey: string | undefined): Promise<BenchTarget> {
  // Credentials in the URL would end up in the report's descriptions: the key goes in --api-key / PINECONE_API_KEY.
  const u = new URL(url);
  if (u.username || u.password) throw new Error('put the API key in PINECONE_API_KEY (or --api-key), not in the URL');
  const base = `${u.origin}${u.pathname}`.replace(/\/+$/, '');
  const { controlPlane, larchdb } = await probe(base, apiKey);
  return controlPlane ? new ControlPlaneTarget(base, apiKey, larchdb) : new IndexHostTarget(base, apiKey, larchdb);
}

/** Shared by both kinds: the data plane through {@link DataPlaneClient}. */
abstract class HttpTargetBase implements BenchTarget {
  abstract readonly info: Omit<TargetInfo, 'name'>;
  protected client: DataPlaneClient | null = null;
  remote: RemoteTargetConfig | null = null;

  constructor(protected readonly base: string, protected readonly apiKey: string | undefined) {}

  protected connect(indexHost: string, namespace: string): void {
    this.remote = { indexHost, apiKey: this.apiKey, apiVersion: BENCH_API_VERSION, namespace };
    this.client = new DataPlaneClient(this.remote);
  }

  protected get data(): DataPlaneClient {
    if (!this.client) throw new Error('prepare() first');
    return this.client;
  }

  abstract prepare(plan: IndexPlan): Promise<void>;
  abstract setEf(ef: number): Promise<true | string>;
  abstract close(keep: boolean): Promise<void>;

  upsert(records: BenchRecord[]): Promise<void> {
    return this.data.upsert(records);
  }

  query(q: BenchQuery): Promise<string[]> {
    return this.data.query(q);
  }

  count(): Promise<number> {
    return this.data.count();
  }

  /** Through LarchDB's /larchdb/storage extension; Pinecone shows no index builds. */
  async waitIndexed(): Promise<Indexed | string> {
    const first = await this.data.segments();
    if (!first) return 'not observable over the Pinecone API (it reports records, not index builds)';
    return pollIndexed(async () => (await this.data.segments()) ?? { frozen: 0, memtableRows: 0 });
  }
}

/** A server with a control plane: the harness creates (and afterwards deletes) its own index. */
class ControlPlaneTarget extends HttpTargetBase {
  readonly info: Omit<TargetInfo, 'name'>;
  private plan: IndexPlan | null = null;
  private readonly h: Record<string, string>;

  constructor(base: string, apiKey: string | undefined, larchdb: boolean) {
    super(base, apiKey);
    this.h = headers(apiKey);
    this.info = { kind: larchdb ? 'larchdb-url' : 'pinecone', description: `${larchdb ? 'LarchDB server' : 'Pinecone control plane'} at ${base}` };
  }

  private describe(name: string): Promise<IndexDescription> {
    return requestJson(`${this.base}/indexes/${encodeURIComponent(name)}`, { method: 'GET', headers: this.h }) as Promise<IndexDescription>;
  }

  async prepare(plan: IndexPlan): Promise<void> {
    this.plan = plan;
    await this.dropIndex(plan.name);
    await requestJson(`${this.base}/indexes`, {
      method: 'POST',
      headers: this.h,
      body: { name: plan.name, dimension: plan.dimension, metric: plan.metric, spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } },
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let d = await this.describe(plan.name);
    while (!(d.status?.ready && d.host)) {
      if (Date.now() > deadline) throw new Error(`index ${plan.name} was not ready after ${READY_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
      d = await this.describe(plan.name);
    }
    this.connect(/^https?:\/\//.test(d.host!) ? d.host! : `https://${d.host}`, plan.namespace);
  }

  private async dropIndex(name: string): Promise<void> {
    try {
      await requestJson(`${this.base}/indexes/${encodeURIComponent(name)}`, { method: 'DELETE', headers: this.h });
    } catch (err) {
      if (!(err instanceof HttpStatusError && err.status === 404)) throw err;
    }
  }

  async setEf(ef: number): Promise<true | string> {
    if (!this.plan) throw new Error('prepare() first');
    try {
      // LarchDB's extension of configure_index; Pinecone refuses it with a 400.
      await requestJson(`${this.base}/indexes/${encodeURIComponent(this.plan.name)}`, { method: 'PATCH', headers: this.h, body: { hnsw: { ef_search: ef } } });
      return true;
    } catch (err) {
      if (err instanceof HttpStatusError && err.status < 500) return `the target does not let clients set efSearch (${err.message})`;
      throw err;
    }
  }

  async close(keep: boolean): Promise<void> {
    if (this.plan && !keep) await this.dropIndex(this.plan.name);
  }
}

/** An index host: the harness writes into its own namespace of the given index and empties it afterwards. */
class IndexHostTarget extends HttpTargetBase {
  readonly info: Omit<TargetInfo, 'name'>;

  constructor(base: string, apiKey: string | undefined, larchdb: boolean) {
    super(base, apiKey);
    this.info = { kind: larchdb ? 'larchdb-url' : 'pinecone', description: `index host ${base}` };
  }

  async prepare(plan: IndexPlan): Promise<void> {
    const stats = (await requestJson(`${this.base}/describe_index_stats`, { method: 'POST', headers: headers(this.apiKey), body: {} })) as { dimension?: number };
    if (stats.dimension !== undefined && stats.dimension !== plan.dimension) {
      throw new Error(`the index at ${this.base} has dimension ${stats.dimension}, the dataset ${plan.dimension}`);
    }
    this.connect(this.base, plan.namespace);
    await this.data.deleteAll();
  }

  async setEf(): Promise<true | string> {
    return 'an index host has no control plane to set efSearch on';
  }

  async close(keep: boolean): Promise<void> {
    if (this.client && !keep) await this.data.deleteNamespace();
  }
}
