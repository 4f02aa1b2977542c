/**
 * The in-process engine: a `LarchDB` opened in this process (in memory or on a data directory), driven through its
 * public API exactly as a user's code would be.
 *
 * @module
 */
import { LarchDB, type Index, type OpenOptions } from '../../engine/index.js';
import type { TargetInfo } from './report.js';
import { pollIndexed, type Indexed } from './target-indexed.js';
import type { BenchQuery, BenchRecord, BenchTarget, IndexPlan } from './target.js';

export class EngineTarget implements BenchTarget {
  readonly info: Omit<TargetInfo, 'name'>;
  readonly remote = null;
  private plan: IndexPlan | null = null;
  private index: Index | null = null;

  private constructor(private readonly db: LarchDB, path: string) {
    this.info = path === ':memory:'
      ? { kind: 'memory', description: 'in-process LarchDB, in memory' }
      : { kind: 'directory', description: `in-process LarchDB on ${db.path ?? path}` };
  }

  /** Opens the engine on `path` (`':memory:'` or a data directory). */
  static async open(path: string, options: Omit<OpenOptions, 'path'> = {}): Promise<EngineTarget> {
    try {
      return new EngineTarget(await LarchDB.open({ ...options, path }), path);
    } catch (err) {
      throw new Error(`cannot open LarchDB at ${path}: ${(err as Error).message}`);
    }
  }

  private get idx(): Index {
    if (!this.index) throw new Error('prepare() first');
    return this.index;
  }

  async prepare(plan: IndexPlan): Promise<void> {
    this.plan = plan;
    if ((await this.db.listIndexes()).indexes?.some((i) => i.name === plan.name)) await this.db.deleteIndex(plan.name);
    await this.db.createIndex({ name: plan.name, dimension: plan.dimension, metric: plan.metric, spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
    this.index = this.db.index(plan.name).namespace(plan.namespace);
  }

  async upsert(records: BenchRecord[]): Promise<void> {
    await this.idx.upsert(records.map((r) => ({ id: r.id, values: Array.from(r.values), ...(r.metadata ? { metadata: r.metadata } : {}) })));
  }

  async query(q: BenchQuery): Promise<string[]> {
    const res = await this.idx.query({
      vector: Array.from(q.vector),
      topK: q.topK,
      includeValues: q.includeValues,
      includeMetadata: q.includeMetadata,
      ...(q.filter ? { filter: q.filter } : {}),
    });
    return res.matches.map((m) => m.id);
  }

  async count(): Promise<number> {
    const stats = await this.idx.describeIndexStats();
    return stats.namespaces?.[this.plan!.namespace]?.recordCount ?? 0;
  }

  async setEf(ef: number): Promise<true> {
    await this.db.configureIndex(this.plan!.name, { hnsw: { efSearch: ef } });
    return true;
  }

  /** Waits until the namespace's background slab and graph builds are done (as a user would, without a flush). */
  async waitIndexed(): Promise<Indexed> {
    const { name, namespace } = this.plan!;
    return pollIndexed(async () => (await this.db.storageInfo(name, namespace)) ?? { frozen: 0, memtableRows: 0 });
  }

  async close(keep: boolean): Promise<void> {
    if (this.plan && !keep) await this.db.deleteIndex(this.plan.name).catch(() => undefined);
    await this.db.close();
  }
}
