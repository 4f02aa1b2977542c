/**
 * Exact ground truth, so that recall@k is always reported: a brute-force scan with the WASM SIMD scan kernel
 * (scanTopK over an Arena, float32 like the systems measured), cached on disk as .ivecs keyed by what determines it,
 * optionally restricted to the rows a filter matches (recall@k of a result against it: load-data.ts recallAt).
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Arena, METRIC_CODE, alignUp } from '../../engine/internal.js';
import type { Metric } from '../../engine/index.js';
import { BUCKETS, BUCKET_FIELD, type Dataset, type GroundTruth, type SelectiveFilter } from './dataset.js';
import { DatasetError, reason } from './datasets/error.js';

/** Base vectors per arena by default: an arena holds at most 4 GiB, and one chunk at a time bounds the peak memory. */
const CHUNK_BYTES = 1 << 30;

/** Exact top-k of each query with the scan kernel (scanTopK block by block), optionally over a bitmap. */
export function exactTopK(arena: Arena, metric: number, queries: Float32Array[], k: number, bits?: Uint32Array): { rows: Uint32Array; keys: Float32Array }[] {
  const K = arena.kernels;
  const L = arena.layout;
  const dim = arena.dim;
  const qBytes = alignUp(dim * 4, 16);
  const sc = arena.allocScratch(qBytes + k * 8 + (bits ? bits.length * 4 : 0));
  const [q, heap] = [sc.offset, sc.offset + qBytes];
  const bitsAt = heap + k * 8;
  const out: { rows: Uint32Array; keys: Float32Array }[] = [];
  try {
    if (bits) new Uint32Array(arena.memory.buffer, bitsAt, bits.length).set(bits);
    for (const query of queries) {
      new Float32Array(arena.memory.buffer, q, dim).set(query);
      const nrm = K.norm(q, dim);
      let count = 0;
      for (let b = 0; b * L.rows < arena.rows; b++) {
        const blk = arena.blocks[b]!;
        const rows = Math.min(L.rows, arena.rows - b * L.rows);
        const bw = bits ? bitsAt + ((b * L.rows) / 32) * 4 : 0;
        count = K.scanTopK(q, nrm > 0 ? 1 / nrm : 0, blk + L.vecs, blk + L.invNorms, rows, dim, metric,
          0, 0, 0, 0, 0, 0, 0, 0, bw, heap, k, count, b * L.rows, 0);
      }
      K.heapSortDesc(heap, k, count);
      out.push({
        rows: new Uint32Array(arena.memory.buffer, heap + k * 4, count).slice(),
        keys: new Float32Array(arena.memory.buffer, heap, count).slice(),
      });
    }
  } finally {
    arena.releaseScratch(sc);
  }
  return out;
}

/** Best-first merge of two top-k lists (larger key first; on equal keys `a`, which holds the smaller rows, first). */
function mergeTop(a: { rows: Uint32Array; keys: Float32Array }, b: { rows: Uint32Array; keys: Float32Array }, k: number) {
  const n = Math.min(k, a.rows.length + b.rows.length);
  const rows = new Uint32Array(n);
  const keys = new Float32Array(n);
  for (let i = 0, x = 0, y = 0; i < n; i++) {
    const takeA = y >= b.rows.length || (x < a.rows.length && a.keys[x]! >= b.keys[y]!);
    rows[i] = takeA ? a.rows[x]! : b.rows[y]!;
    keys[i] = takeA ? a.keys[x++]! : b.keys[y++]!;
  }
  return { rows, keys };
}

/** Extras of {@link computeGroundTruth}. */
export interface GroundTruthOptions {
  onProgress?: (msg: string) => void;
  /** Base rows per arena (rounded down to a multiple of 32; default: 1 GiB of vectors). */
  chunkRows?: number;
}

/**
 * Exact top-`k` rows of the base `vectors` (`count × dim`, row-major) for each of `queryCount` queries, with the WASM
 * scan kernel; with `bits`, only rows whose bit is set (bit r of word r >> 5) count. Row lists are best first (ties:
 * smaller row first) and padded with -1 when fewer than `k` rows qualify. The base is copied into arenas a chunk at a
 * time (an arena holds at most 4 GiB) and the chunks' top-k lists merged.
 */
export function computeGroundTruth(
  vectors: Float32Array, count: number, dim: number, metric: Metric, queries: Float32Array, queryCount: number, k: number,
  bits?: Uint32Array, opts: GroundTruthOptions = {},
): GroundTruth {
  const onProgress = opts.onProgress;
  if (vectors.length < count * dim || queries.length < queryCount * dim) throw new RangeError('vectors or queries are shorter than count × dim');
  if (bits && bits.length < Math.ceil(count / 32)) throw new RangeError(`bitmap has ${bits.length} words, ${Math.ceil(count / 32)} needed`);
  const rows = new Int32Array(queryCount * k).fill(-1);
  if (count === 0 || queryCount === 0 || k === 0) return { k, rows };
  const code = METRIC_CODE[metric];
  const qs = Array.from({ length: queryCount }, (_, i) => queries.subarray(i * dim, (i + 1) * dim));
  // Chunks start on a multiple of 32 rows so that each one's bitmap is a word-aligned slice of `bits`.
  const chunkRows = Math.max(32, Math.floor((opts.chunkRows ?? CHUNK_BYTES / (dim * 4)) / 32) * 32);
  const best: { rows: Uint32Array; keys: Float32Array }[] = [];
  const step = Math.max(1, Math.ceil(queryCount / 10));
  for (let start = 0; start < count; start += chunkRows) {
    const end = Math.min(count, start + chunkRows);
    const arena = new Arena(dim);
    for (let r = start; r < end; r++) arena.append(vectors.subarray(r * dim, (r + 1) * dim), undefined, 0);
    const chunkBits = bits?.subarray(start >>> 5, Math.ceil(end / 32));
    for (let q0 = 0; q0 < queryCount; q0 += step) {
      const got = exactTopK(arena, code, qs.slice(q0, q0 + step), k, chunkBits);
      got.forEach((g, i) => {
        if (start > 0) for (let j = 0; j < g.rows.length; j++) g.rows[j]! += start;
        best[q0 + i] = start === 0 ? g : mergeTop(best[q0 + i]!, g, k);
      });
      const done = Math.min(queryCount, q0 + step);
      onProgress?.(`ground truth: ${done}/${queryCount} queries over rows ${start}..${end - 1} of ${count}`);
    }
  }
  best.forEach((b, i) => rows.set(b.rows, i * k));
  return { k, rows };
}

/** Ground truth as .ivecs: per query, int32 k then k int32 rows. */
function toIvecs(t: GroundTruth): Buffer {
  const n = t.rows.length / t.k;
  const out = new Int32Array(n * (t.k + 1));
  for (let i = 0; i < n; i++) {
    out[i * (t.k + 1)] = t.k;
    out.set(t.rows.subarray(i * t.k, (i + 1) * t.k), i * (t.k + 1) + 1);
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** A cached .ivecs, or null when it is missing or not whole (then it is computed again). */
function fromIvecs(file: string): GroundTruth | null {
  let b: Buffer;
  try {
    b = readFileSync(file);
  } catch {
    return null;
  }
  if (b.byteLength < 4) return null;
  const k = b.readInt32LE(0);
  const rec = 4 * (k + 1);
  if (k <= 0 || b.byteLength % rec !== 0) return null;
  const n = b.byteLength / rec;
  const rows = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    if (b.readInt32LE(i * rec) !== k) return null;
    for (let j = 0; j < k; j++) rows[i * k + j] = b.readInt32LE(i * rec + 4 + 4 * j);
  }
  return { k, rows };
}

/**
 * The ground truth `key` names, from `cacheDir` when an earlier run computed it, else `compute()`d and stored there
 * (atomically: a temporary file renamed into place). `key` must name everything the truth depends on: the data (spec,
 * or file paths with sizes and mtimes), metric, k, query count and filter. The file is `truth-<sha256 of key>.ivecs`.
 */
export function cachedGroundTruth(key: string, cacheDir: string, compute: () => GroundTruth): { truth: GroundTruth; source: 'computed' | 'cache' } {
  const file = join(cacheDir, `truth-${createHash('sha256').update(key).digest('hex').slice(0, 40)}.ivecs`);
  const cached = fromIvecs(file);
  if (cached) return { truth: cached, source: 'cache' };
  const truth = compute();
  // An empty truth has no k to record; it costs nothing to compute again.
  if (truth.rows.length === 0 || truth.k === 0) return { truth, source: 'computed' };
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(tmp, toIvecs(truth));
    renameSync(tmp, file);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written (the directory itself is the problem)
    }
    throw new DatasetError(`${file}: cannot write the ground-truth cache (${reason(e)})`);
  }
  return { truth, source: 'computed' };
}

/** What names a dataset in cache keys: its identity when the loader set one, else a hash of its contents. */
function identityOf(ds: Dataset): string {
  if (ds.identity) return ds.identity;
  const h = createHash('sha256');
  const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  h.update(bytes(ds.vectors)).update(bytes(ds.queries));
  h.update(Int32Array.from(ds.metadata, (m) => Number(m[BUCKET_FIELD])));
  return `sha256:${h.digest('hex')}`;
}

/**
 * Filters of known selectivity on {@link BUCKET_FIELD}: for each requested fraction s, `{ bench_bucket: { $lt:
 * round(s × BUCKETS) } }`, the fraction of records it actually matches, and exact top-`k` neighbours among the
 * matching records only (cached in `cacheDir` like the unfiltered truth).
 */
export function selectiveFilters(ds: Dataset, selectivities: number[], k: number, cacheDir: string, onProgress?: (msg: string) => void): SelectiveFilter[] {
  const identity = identityOf(ds);
  return selectivities.map((s) => {
    if (!(s > 0 && s <= 1)) throw new RangeError(`selectivity must be in (0, 1], got ${s}`);
    const below = Math.round(s * BUCKETS);
    const filter = { [BUCKET_FIELD]: { $lt: below } };
    const bits = new Uint32Array(Math.ceil(ds.count / 32));
    let matched = 0;
    for (let r = 0; r < ds.count; r++) {
      if (Number(ds.metadata[r]![BUCKET_FIELD]) < below) {
        bits[r >>> 5]! |= 1 << (r & 31);
        matched++;
      }
    }
    const key = JSON.stringify({ data: identity, metric: ds.info.metric, k, queries: ds.queryCount, filter });
    onProgress?.(`ground truth: ${ds.queryCount} queries × ${matched} rows (filter ${BUCKET_FIELD} < ${below})`);
    const { truth } = cachedGroundTruth(key, cacheDir, () =>
      computeGroundTruth(ds.vectors, ds.count, ds.dimension, ds.info.metric, ds.queries, ds.queryCount, k, bits, { onProgress }));
    return { selectivity: s, actualSelectivity: ds.count === 0 ? 0 : matched / ds.count, filter, truth };
  });
}
