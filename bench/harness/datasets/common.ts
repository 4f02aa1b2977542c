/**
 * What every format reader hands the loader, and the small pieces they share: shared-memory allocation, the
 * held-out query count, a file's identity for cache keys, and checks that name the file.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Metric, RecordMetadata } from '../../../engine/index.js';
import { DatasetError, reason } from './error.js';

/** What a format reader is asked for. */
export interface ReadOptions {
  /** Query count asked for (files with their own queries: at most this many; held-out and synthetic: this many). */
  queries?: number;
  /** Seed for synthetic data that names none. */
  seed: number;
  onProgress: (msg: string) => void;
}

/** Exact neighbours shipped with a file, valid for its own metric. */
export interface FileTruth {
  file: string;
  metric: Metric;
  /** Neighbours per query in the file. */
  k: number;
  /** `queryCount × k` row indexes (at least the queries read). */
  rows: Int32Array;
}

/** A dataset as a format reader read it: before buckets and ground truth. */
export interface RawDataset {
  name: string;
  /** Names the data in ground-truth cache keys: the spec, or the files' paths, sizes and mtimes. */
  identity: string;
  dimension: number;
  /** `count × dimension` on a SharedArrayBuffer. */
  vectors: Float32Array;
  count: number;
  ids: string[] | null;
  /** Each record's own metadata (null: the format has none). */
  metadata: (RecordMetadata | undefined)[] | null;
  /** `queryCount × dimension` on a SharedArrayBuffer. */
  queries: Float32Array;
  queryCount: number;
  /** The metric the data is for (a file's distance), used unless one is asked for. */
  metric: Metric;
  truth?: FileTruth;
}

/** Zeroed float32s on a SharedArrayBuffer (what load-generating worker threads read without copies). */
export function sharedFloats(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(n * 4));
}

/**
 * Records held out as queries from `records` (the last ones): `asked`, else min(1000, 10%) but at least one; at least
 * one record stays in the base.
 */
export function heldOut(records: number, asked: number | undefined): number {
  const q = asked ?? Math.max(1, Math.min(1000, Math.floor(records / 10)));
  return Math.max(0, Math.min(q, records - 1));
}

/** A file's size and identity (path, size, mtime), or a DatasetError naming it. */
export async function fileInfo(path: string): Promise<{ size: number; identity: string }> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new DatasetError(`${path}: not a file`);
    return { size: s.size, identity: `${resolve(path)}:${s.size}:${Math.floor(s.mtimeMs)}` };
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`${path}: cannot read (${reason(e)})`);
  }
}

/**
 * Why `truth` cannot serve `queryCount` queries over `count` rows (a message naming the file), or null when it can.
 */
export function truthProblem(truth: FileTruth, queryCount: number, count: number): string | null {
  if (truth.rows.length < queryCount * truth.k) return `${truth.file}: has ${truth.rows.length / truth.k} queries' neighbours, ${queryCount} needed`;
  for (let i = 0; i < queryCount * truth.k; i++) {
    const r = truth.rows[i]!;
    if (r < -1 || r >= count) return `${truth.file}: neighbour ${r} is not a row of the ${count}-row base`;
  }
  return null;
}

/** Checks one record's vector; `where` names it in the error ("file:line"). */
export function checkValues(values: unknown, dimension: number, where: string): asserts values is ArrayLike<number> {
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
    throw new DatasetError(`${where}: "values" is not a list of numbers`);
  }
  const v = values as ArrayLike<unknown>;
  if (v.length !== dimension) throw new DatasetError(`${where}: "values" has ${v.length} numbers, the first record ${dimension}`);
  for (let j = 0; j < v.length; j++) {
    if (typeof v[j] !== 'number' || !Number.isFinite(v[j])) throw new DatasetError(`${where}: "values"[${j}] is not a finite number`);
  }
}

/** A record's metadata: a JSON object (or a string of one), or none. */
export function parseMetadata(m: unknown, where: string): RecordMetadata | undefined {
  if (m === null || m === undefined || m === '') return undefined;
  if (typeof m === 'string') {
    try {
      m = JSON.parse(m);
    } catch (e) {
      throw new DatasetError(`${where}: "metadata" is not JSON (${reason(e)})`);
    }
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new DatasetError(`${where}: "metadata" is not an object`);
  return m as RecordMetadata;
}

/** Record ids, refusing the duplicates that would make an upserted index hold fewer records than the dataset. */
export class IdSet {
  readonly ids: string[] = [];
  private readonly seen = new Set<string>();

  add(id: unknown, where: string): void {
    if (typeof id !== 'string' || id === '') throw new DatasetError(`${where}: "id" is not a non-empty string`);
    if (this.seen.has(id)) throw new DatasetError(`${where}: duplicate id ${JSON.stringify(id)}`);
    this.seen.add(id);
    this.ids.push(id);
  }
}
