/** Shared test helpers: a seeded PRNG, random data and a brute-force reference search in float64. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { Metric } from 'larchdb';
import { prng } from '../bench/common.js';

export const SPEC = { serverless: { cloud: 'aws' as const, region: 'us-east-1' } };

/** Seeded random numbers in [0, 1) (mulberry32, shared with the benchmarks). */
export const rng = prng;

export function randomVectors(n: number, dim: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => Math.fround(r() * 2 - 1)));
}

export function randomSparse(r: () => number, nnz: number, space: number): { indices: number[]; values: number[] } {
  const set = new Set<number>();
  while (set.size < nnz) set.add(Math.floor(r() * space));
  const indices = [...set];
  return { indices, values: indices.map(() => Math.fround(r() * 2)) };
}

export function dense(a: number[], b: number[], metric: Metric): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let l2 = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
    l2 += (a[i]! - b[i]!) ** 2;
  }
  if (metric === 'euclidean') return l2;
  if (metric === 'cosine') return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
  return dot;
}

export function sparseDot(a: { indices: number[]; values: number[] }, b: { indices: number[]; values: number[] }): number {
  const m = new Map(a.indices.map((ix, i) => [ix, a.values[i]!]));
  let s = 0;
  b.indices.forEach((ix, i) => {
    const v = m.get(ix);
    if (v !== undefined) s += v * b.values[i]!;
  });
  return s;
}

/** Brute-force top-k of scored ids: best first (lowest first for euclidean). */
export function topK(scored: { id: string; score: number }[], k: number, metric: Metric): { id: string; score: number }[] {
  const sign = metric === 'euclidean' ? 1 : -1;
  return [...scored].sort((x, y) => sign * (x.score - y.score) || (x.id < y.id ? -1 : 1)).slice(0, k);
}

/** True when `got` is within 1e-5 relative of `want` (absolute near zero). */
export function close(got: number, want: number, tol = 1e-5): boolean {
  return Math.abs(got - want) <= tol * Math.max(1, Math.abs(want));
}

export async function tempDir(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'larch-test-'));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Asserts that `p` rejects with the official client's error class `name` and a message matching `message`. */
export async function rejectsWith(p: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** An HTTP answer: status, headers, raw text and the parsed JSON body (undefined when it is not JSON). */
export interface HttpRes {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** One request with raw fetch; a non-string body is sent as JSON. */
export async function httpCall(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<HttpRes> {
  const init: RequestInit = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const r = await fetch(url + path, init);
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: r.status, headers: r.headers, text, body: parsed };
}
