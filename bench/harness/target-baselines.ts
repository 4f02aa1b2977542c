/**
 * In-process baselines for matched-recall comparisons: an exact brute-force scan (the WASM scan kernel over every
 * record, recall 1 by construction) and hnswlib-node when it is installed (an optional peer: not a dependency of
 * LarchDB). Both are synchronous libraries, so their queries run one at a time whatever the concurrency.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { Arena, METRIC_CODE } from '../../engine/internal.js';
import { BUCKET_FIELD } from './dataset.js';
import { exactTopK } from './ground-truth.js';
import type { TargetInfo } from './report.js';
import type { Indexed } from './target-indexed.js';
import type { BenchQuery, BenchRecord, BenchTarget, IndexPlan } from './target.js';

/** HNSW build settings of the hnswlib-node baseline: LarchDB's defaults, so graphs are comparable. */
const HNSW_M = 16;
const HNSW_EF_CONSTRUCTION = 200;
const HNSW_EF_SEARCH = 80;

/** The one filter shape the harness sends, `{ bench_bucket: { $lt: n } }`, as a predicate on a row's bucket. */
function bucketLimit(filter: Record<string, unknown> | undefined): number | null {
  if (!filter) return null;
  const cond = filter[BUCKET_FIELD] as { $lt?: unknown } | undefined;
  if (Object.keys(filter).length !== 1 || typeof cond?.$lt !== 'number') {
    throw new Error(`baselines understand only the harness's own filter { ${BUCKET_FIELD}: { $lt: n } }`);
  }
  return cond.$lt;
}

/** Ids and buckets of the rows a baseline holds, by row (= hnswlib label). */
class RowTable {
  readonly ids: string[] = [];
  readonly buckets: number[] = [];
  private readonly rowOf = new Map<string, number>();

  /** The row of `r` (existing for an id seen before) and whether it is new. */
  place(r: BenchRecord): { row: number; fresh: boolean } {
    const known = this.rowOf.get(r.id);
    const row = known ?? this.ids.length;
    if (known === undefined) {
      this.rowOf.set(r.id, row);
      this.ids.push(r.id);
    }
    this.buckets[row] = Number(r.metadata?.[BUCKET_FIELD] ?? 0);
    return { row, fresh: known === undefined };
  }
}

/** Brute force in the WASM scan kernel. */
export class ExactTarget implements BenchTarget {
  readonly info: Omit<TargetInfo, 'name'> = { kind: 'exact', description: 'exact brute-force scan (LarchDB WASM SIMD kernel, single thread)' };
  readonly remote = null;
  private arena: Arena | null = null;
  private metric = 0;
  private rows = new RowTable();

  async prepare(plan: IndexPlan): Promise<void> {
    this.arena = new Arena(plan.dimension);
    this.metric = METRIC_CODE[plan.metric];
    this.rows = new RowTable();
  }

  async upsert(records: BenchRecord[]): Promise<void> {
    for (const r of records) {
      // The harness re-writes only identical records (mixed workload), so an overwrite keeps the row as it is.
      if (this.rows.place(r).fresh) this.arena!.append(r.values, undefined, 1);
    }
  }

  async query(q: BenchQuery): Promise<string[]> {
    const limit = bucketLimit(q.filter);
    let bits: Uint32Array | undefined;
    if (limit !== null) {
      bits = new Uint32Array(Math.ceil(this.rows.ids.length / 32));
      this.rows.buckets.forEach((b, row) => {
        if (b < limit) bits![row >>> 5]! |= 1 << (row & 31);
      });
    }
    const [hit] = exactTopK(this.arena!, this.metric, [q.vector], q.topK, bits);
    return Array.from(hit!.rows, (row) => this.rows.ids[row]!);
  }

  async count(): Promise<number> {
    return this.rows.ids.length;
  }

  async setEf(): Promise<string> {
    return 'an exact scan has no efSearch';
  }

  async waitIndexed(): Promise<Indexed> {
    return { exactRows: this.rows.ids.length };
  }

  async close(): Promise<void> {
    this.arena = null;
  }
}

interface HnswIndex {
  initIndex(maxElements: number, m?: number, efConstruction?: number): void;
  resizeIndex(maxElements: number): void;
  getMaxElements(): number;
  addPoint(point: number[] | Float32Array, label: number): void;
  setEf(ef: number): void;
  searchKnn(q: number[] | Float32Array, k: number, filter?: (label: number) => boolean): { neighbors: number[] };
}

/** hnswlib-node's HierarchicalNSW, or a clear error when it is not installed. */
export class HnswlibTarget implements BenchTarget {
  readonly info: Omit<TargetInfo, 'name'>;
  readonly remote = null;
  private index: HnswIndex | null = null;
  private rows = new RowTable();

  private constructor(private readonly lib: { HierarchicalNSW: new (space: string, dim: number) => HnswIndex }, version: string) {
    this.info = { kind: 'hnswlib', description: `hnswlib-node ${version} (M ${HNSW_M}, efConstruction ${HNSW_EF_CONSTRUCTION}, single thread)` };
  }

  /** Loads hnswlib-node from the current project (an optional peer, installed by the user). */
  static async load(): Promise<HnswlibTarget> {
    const require = createRequire(`${process.cwd()}/`);
    let lib;
    let version = '?';
    try {
      lib = (await import('hnswlib-node')) as unknown as { default?: unknown; HierarchicalNSW?: unknown };
      version = (require('hnswlib-node/package.json') as { version: string }).version;
    } catch {
      throw new Error('the hnswlib baseline needs hnswlib-node: npm install hnswlib-node');
    }
    return new HnswlibTarget((lib.HierarchicalNSW ? lib : lib.default) as { HierarchicalNSW: new (space: string, dim: number) => HnswIndex }, version);
  }

  async prepare(plan: IndexPlan): Promise<void> {
    const space = plan.metric === 'euclidean' ? 'l2' : plan.metric === 'cosine' ? 'cosine' : 'ip';
    this.index = new this.lib.HierarchicalNSW(space, plan.dimension);
    this.index.initIndex(1024, HNSW_M, HNSW_EF_CONSTRUCTION);
    this.index.setEf(HNSW_EF_SEARCH);
    this.rows = new RowTable();
  }

  async upsert(records: BenchRecord[]): Promise<void> {
    const idx = this.index!;
    const need = this.rows.ids.length + records.length;
    if (need > idx.getMaxElements()) idx.resizeIndex(Math.max(need, idx.getMaxElements() * 2));
    for (const r of records) idx.addPoint(Array.from(r.values), this.rows.place(r).row);
  }

  async query(q: BenchQuery): Promise<string[]> {
    const limit = bucketLimit(q.filter);
    const buckets = this.rows.buckets;
    const res = limit === null
      ? this.index!.searchKnn(Array.from(q.vector), Math.min(q.topK, this.rows.ids.length))
      : this.index!.searchKnn(Array.from(q.vector), Math.min(q.topK, this.rows.ids.length), (label) => buckets[label]! < limit);
    return res.neighbors.map((row) => this.rows.ids[row]!);
  }

  async count(): Promise<number> {
    return this.rows.ids.length;
  }

  async setEf(ef: number): Promise<true> {
    this.index!.setEf(ef);
    return true;
  }

  async waitIndexed(): Promise<Indexed> {
    return { exactRows: 0 }; // hnswlib inserts into its graph synchronously
  }

  async close(): Promise<void> {
    this.index = null;
  }
}
