/**
 * Data for the approximate-search tests: the fvecs/ivecs sets in test/data, seeded Gaussian clusters, recall, and
 * loading and querying them through the engine.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LarchDB, QueryResponse, RecordMetadata } from 'larchdb';
import { rng } from './helpers.js';

/** Datasets the tests read ship with the repository in test/data (this file runs from dist/test). */
export const DATASETS = new URL('../../test/data/', import.meta.url);

export function readVecs<T extends Float32Array | Int32Array>(file: URL, Ctor: new (b: ArrayBuffer) => T): T[] {
  const b = readFileSync(fileURLToPath(file));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dim = dv.getInt32(0, true);
  const rec = 4 + 4 * dim;
  assert.equal(b.byteLength % rec, 0, `${file.pathname}: not a ${dim}-d vecs file`);
  const out: T[] = [];
  for (let i = 0; i < b.byteLength / rec; i++) {
    assert.equal(dv.getInt32(i * rec, true), dim);
    out.push(new Ctor(b.buffer.slice(b.byteOffset + i * rec + 4, b.byteOffset + (i + 1) * rec)));
  }
  return out;
}

/** Fraction of `truth` (the first k of it) found in `got`. */
export function recallAt<T>(got: ArrayLike<T>, truth: ArrayLike<T>, k: number): number {
  const want = new Set(Array.from(truth).slice(0, k));
  let hit = 0;
  for (let i = 0; i < Math.min(k, got.length); i++) if (want.has(got[i]!)) hit++;
  return hit / Math.min(k, want.size);
}

/** A standard normal draw (Box-Muller). */
export function gauss(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/**
 * Seeded Gaussian mixture: `clusters` centers drawn from N(0, I), each point a center plus N(0, sigma² I) noise. With
 * sigma = 1 the noise is as large as the spread of the centers, so neighbors within a cluster are those of isotropic
 * random data: harder for a graph than real embeddings (low intrinsic dimension), a conservative stand-in.
 */
export function clustered(n: number, dim: number, seed: number, clusters = 20, sigma = 1): { vectors: Float32Array[]; cluster: Uint16Array } {
  const r = rng(seed);
  const centers = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, () => gauss(r)));
  const cluster = new Uint16Array(n);
  const vectors = Array.from({ length: n }, (_, i) => {
    const c = Math.floor(r() * clusters);
    cluster[i] = c;
    return Float32Array.from(centers[c]!, (x) => x + sigma * gauss(r));
  });
  return { vectors, cluster };
}

export const ids = (r: QueryResponse) => r.matches.map((m) => m.id);

/** Upserts `vectors` with ids `first`, `first + 1`, …. */
export async function upsertAll(db: LarchDB, index: string, vectors: ArrayLike<number>[], meta?: (i: number) => RecordMetadata, first = 0): Promise<void> {
  const idx = db.index(index);
  const batch = vectors[0]!.length > 256 ? 200 : 500;
  for (let i = 0; i < vectors.length; i += batch) {
    const end = Math.min(vectors.length, i + batch);
    const records = [];
    for (let j = i; j < end; j++) records.push({ id: String(first + j), values: Array.from(vectors[j]!), ...(meta ? { metadata: meta(j) } : {}) });
    await idx.upsert(records);
  }
}

/** Queries one at a time (c=1), topK 10. */
export async function queryAll(db: LarchDB, index: string, queries: ArrayLike<number>[], filter?: object): Promise<QueryResponse[]> {
  const idx = db.index(index);
  const out: QueryResponse[] = [];
  for (const q of queries) out.push(await idx.query({ vector: Array.from(q), topK: 10, ...(filter ? { filter: filter as Record<string, unknown> } : {}) }));
  return out;
}

/** Mean recall@10 of `got` against `truth` (ids). */
export function meanRecall(got: QueryResponse[], truth: string[][]): number {
  let sum = 0;
  got.forEach((r, i) => (sum += recallAt(ids(r), truth[i]!, 10)));
  return sum / got.length;
}

/** The namespace's storage info, with the number of slabs that have a graph. */
export async function slabInfo(db: LarchDB, index: string) {
  const info = (await db.storageInfo(index))!;
  return { ...info, graphs: info.slabGraphBytes.filter((b) => b > 0).length };
}
