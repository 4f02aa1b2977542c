/**
 * Seeded synthetic data, `synthetic:NxD[:clusters=C][:seed=S][:sigma=X][:queries=Q][:metric=M]`: the Gaussian mixture
 * of bench/ann.ts (centers from N(0, I), points = a uniformly chosen center + sigma·N(0, I); the draws are not the
 * same numbers as its Box-Muller ones, see normal.ts); queries are drawn from the same mixture after the base, so none
 * is a base vector. Defaults: clusters round(N / 1000) (at least 1), sigma
 * 1, seed from the options, 1000 queries (or the options' count), metric cosine.
 *
 * @module
 */
import type { Metric } from '../../../engine/index.js';
import { DatasetError } from './error.js';
import { sharedFloats, type RawDataset, type ReadOptions } from './common.js';
import { Normals } from './normal.js';

/** The prefix that marks a synthetic spec. */
export const SYNTHETIC = 'synthetic:';

/** The generator's version (see identity below). */
const GENERATOR = 'xoshiro128ss-ziggurat-1';

const METRICS: readonly Metric[] = ['cosine', 'euclidean', 'dotproduct'];

interface SyntheticSpec {
  count: number;
  dimension: number;
  clusters: number;
  seed: number;
  sigma: number;
  queries: number;
  metric?: Metric;
}

function parse(spec: string, opts: ReadOptions): SyntheticSpec {
  const bad = (what: string) => new DatasetError(`${spec}: ${what} (expected synthetic:NxD[:clusters=C][:seed=S][:sigma=X][:queries=Q][:metric=M])`);
  const [size, ...params] = spec.slice(SYNTHETIC.length).split(':');
  const m = /^(\d+)x(\d+)$/.exec(size ?? '');
  if (!m) throw bad(`size "${size}" is not NxD`);
  const count = Number(m[1]);
  const dimension = Number(m[2]);
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(dimension) || dimension < 1) throw bad('N and D must be positive integers');
  const kv = new Map<string, string>();
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw bad(`parameter "${p}" is not name=value`);
    kv.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const int = (name: string, min: number): number | undefined => {
    const raw = kv.get(name);
    kv.delete(name);
    if (raw === undefined) return undefined;
    const v = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(v) || v < min) throw bad(`${name} must be an integer ≥ ${min}, got "${raw}"`);
    return v;
  };
  const clusters = int('clusters', 1) ?? Math.max(1, Math.round(count / 1000));
  const seed = int('seed', 0) ?? opts.seed;
  const queries = int('queries', 1) ?? opts.queries ?? 1000;
  const rawSigma = kv.get('sigma');
  kv.delete('sigma');
  const sigma = rawSigma === undefined ? 1 : Number(rawSigma);
  if (!(sigma >= 0) || rawSigma === '') throw bad(`sigma must be a number ≥ 0, got "${rawSigma}"`);
  const metric = kv.get('metric') as Metric | undefined;
  kv.delete('metric');
  if (metric !== undefined && !METRICS.includes(metric)) throw bad(`metric must be one of ${METRICS.join(', ')}, got "${metric}"`);
  if (kv.size > 0) throw bad(`unknown parameter "${[...kv.keys()][0]}"`);
  return { count, dimension, clusters, seed, sigma, queries: Math.min(queries, opts.queries ?? queries), metric };
}

/** Generates the data a synthetic spec names, straight into shared memory. */
export function readSynthetic(spec: string, opts: ReadOptions): RawDataset {
  const s = parse(spec, opts);
  const { count, dimension: dim, clusters, sigma } = s;
  if (count * dim > 2 ** 31) throw new DatasetError(`${spec}: ${count}×${dim} floats do not fit in one shared array`);
  const name = `synthetic:${count}x${dim}:clusters=${clusters}:seed=${s.seed}:sigma=${sigma}`;
  opts.onProgress(`generating ${name} and ${s.queries} queries`);
  const g = new Normals(s.seed);
  const centers = new Float64Array(clusters * dim);
  for (let i = 0; i < centers.length; i++) centers[i] = g.normal();
  const draw = (out: Float32Array, n: number) => {
    for (let i = 0; i < n; i++) g.fill(out, i * dim, dim, centers, g.below(clusters) * dim, sigma);
  };
  const vectors = sharedFloats(count * dim);
  draw(vectors, count);
  const queries = sharedFloats(s.queries * dim);
  draw(queries, s.queries);
  return {
    name,
    // Names the generator too: cached truth must not outlive a change in how the numbers are drawn.
    identity: `${name}:queries=${s.queries}:${GENERATOR}`,
    dimension: dim,
    vectors,
    count,
    ids: null,
    metadata: null,
    queries,
    queryCount: s.queries,
    metric: s.metric ?? 'cosine',
  };
}
