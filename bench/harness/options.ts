/**
 * The settings of a bench run, their defaults (sized for a 2-core machine; flags scale up) and the parsing of
 * `larchdb bench` flags into them. Every mistake is a {@link UsageError} with one line that names the flag.
 *
 * @module
 */
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { RunSettings, WorkloadKind } from './report.js';

/** A bad flag or value: the CLI prints the message and exits 2. */
export class UsageError extends Error {}

/**
 * Everything a run needs; {@link resolveOptions} fills in the defaults. The fields it shares with the report's
 * {@link RunSettings} are documented there; these are the ones the report leaves out (the key above all).
 */
export interface BenchOptions extends RunSettings {
  /** Api-Key for URL targets (default: PINECONE_API_KEY from the environment). Never written to a report. */
  apiKey?: string;
  upsertConcurrency: number;
  /** Caps the number of queries used. */
  queries?: number;
  metric?: 'cosine' | 'euclidean' | 'dotproduct';
  includeValues: boolean;
  includeMetadata: boolean;
  /** Where computed ground truth is cached. */
  cacheDir: string;
  /** Keep the index (and its records) after the run. */
  keep: boolean;
  seed: number;
}

const WORKLOADS: readonly WorkloadKind[] = ['upsert', 'query', 'filtered', 'mixed', 'streaming', 'ef-sweep', 'open-loop'];

/** The defaults: a run of a few minutes on two cores. */
export function defaultOptions(): Omit<BenchOptions, 'targets' | 'dataset'> {
  return {
    workloads: ['upsert', 'query'],
    concurrency: [1, 8],
    topK: 10,
    selectivities: [0.01, 0.1, 0.5, 0.99],
    ef: [16, 32, 64, 128],
    rate: null,
    durationMs: 10_000,
    warmupMs: 1_000,
    repeats: 1,
    batchSize: 100,
    upsertConcurrency: 4,
    writeRatio: 0.1,
    loadThreads: Math.min(4, availableParallelism()),
    includeValues: false,
    includeMetadata: false,
    index: 'larchdb-bench',
    namespace: 'larchdb-bench',
    cacheDir: join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'larchdb', 'bench'),
    keep: false,
    seed: 1,
  };
}

/** Fills the defaults and checks every value (a library call gets the same errors as the CLI). */
export function resolveOptions(o: Partial<BenchOptions> & Pick<BenchOptions, 'targets' | 'dataset'>): BenchOptions {
  const r = { ...defaultOptions(), ...o };
  if (o.ef && !r.workloads.includes('ef-sweep')) r.workloads = [...r.workloads, 'ef-sweep'];
  if (o.rate != null && !r.workloads.includes('open-loop')) r.workloads = [...r.workloads, 'open-loop'];
  for (const w of r.workloads) if (!WORKLOADS.includes(w)) throw new UsageError(`--workload: unknown workload '${w}' (one of ${WORKLOADS.join(', ')})`);
  if (r.workloads.includes('open-loop') && r.rate == null) throw new UsageError('the open-loop workload needs --rate <requests per second>');
  const posInts: [string, number[]][] = [['concurrency', r.concurrency], ['topk', [r.topK]], ['ef', r.ef], ['repeats', [r.repeats]], ['batch-size', [r.batchSize]],
    ['upsert-concurrency', [r.upsertConcurrency]], ['load-threads', [r.loadThreads]], ...(r.queries !== undefined ? [['queries', [r.queries]] as [string, number[]]] : [])];
  for (const [flag, vs] of posInts) {
    if (vs.length === 0 || vs.some((v) => !Number.isInteger(v) || v < 1)) throw new UsageError(`--${flag} must be positive integers, got ${vs.join(',')}`);
  }
  if (r.topK > 10_000) throw new UsageError(`--topk must be at most 10000 (Pinecone's limit), got ${r.topK}`);
  if (r.batchSize > 1000) throw new UsageError(`--batch-size must be at most 1000 (Pinecone's limit), got ${r.batchSize}`);
  if (r.selectivities.length === 0 || r.selectivities.some((s) => !(s > 0 && s <= 1))) throw new UsageError(`--filter-selectivity values must be in (0, 1], got ${r.selectivities.join(',')}`);
  if (!(r.writeRatio >= 0 && r.writeRatio <= 1)) throw new UsageError(`--write-ratio must be in [0, 1], got ${r.writeRatio}`);
  if (r.rate !== null && !(r.rate > 0 && Number.isFinite(r.rate))) throw new UsageError(`--rate must be a positive number of requests per second, got ${r.rate}`);
  if (!(r.durationMs > 0)) throw new UsageError(`--duration must be positive, got ${r.durationMs} ms`);
  if (!(r.warmupMs >= 0)) throw new UsageError(`--warmup must not be negative, got ${r.warmupMs} ms`);
  if (r.metric !== undefined && !['cosine', 'euclidean', 'dotproduct'].includes(r.metric)) throw new UsageError(`--metric must be cosine, euclidean or dotproduct, got '${r.metric}'`);
  if (r.targets.length === 0 || r.targets.some((t) => t.trim() === '')) throw new UsageError('--target is required (memory, a data directory, a URL, exact or hnswlib; several separated by commas)');
  if (new Set(r.targets).size !== r.targets.length) throw new UsageError(`--target names a target twice: ${r.targets.join(',')}`);
  if (!r.dataset) throw new UsageError('--dataset is required (e.g. synthetic:10000x128, sift_base.fvecs, glove.hdf5, records.jsonl, data.parquet)');
  return r;
}

/** `1s`, `500ms`, `2m`, or a number of seconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--${flag} must be a duration like 30s, 500ms or 2m, got '${text}'`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
}

function numberList(flag: string, text: string): number[] {
  const vs = text.split(',').map((s) => s.trim());
  const nums = vs.map(Number);
  if (vs.some((s) => s === '') || nums.some((n) => !Number.isFinite(n))) throw new UsageError(`--${flag} must be a comma-separated list of numbers, got '${text}'`);
  return nums;
}

function number(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got '${text}'`);
  return n;
}

/** Flags of `larchdb bench` (run): name → value type. */
const FLAGS = {
  target: 'string', 'api-key': 'string', dataset: 'string', workload: 'string', concurrency: 'string', topk: 'string',
  'filter-selectivity': 'string', ef: 'string', rate: 'string', duration: 'string', warmup: 'string', repeats: 'string',
  'batch-size': 'string', 'upsert-concurrency': 'string', 'write-ratio': 'string', 'load-threads': 'string', queries: 'string',
  metric: 'string', 'include-values': 'boolean', 'include-metadata': 'boolean', index: 'string', namespace: 'string',
  'cache-dir': 'string', keep: 'boolean', seed: 'string', out: 'string', html: 'string', json: 'boolean', help: 'boolean',
} as const;

/** Parsed command line of a run: the options and where the reports go. */
export interface BenchCommand {
  /** What the flags say, defaults not filled in (the run fills them: `--ef` alone adds the ef sweep). */
  options: Partial<BenchOptions> & Pick<BenchOptions, 'targets' | 'dataset'>;
  out?: string;
  html?: string;
  /** Print the JSON report on stdout instead of the text table. */
  json: boolean;
  help: boolean;
}

/** Parses `larchdb bench` flags (after the word `bench`). */
export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchCommand {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    const options = Object.fromEntries(Object.entries(FLAGS).map(([k, type]) => [k, { type, ...(k === 'help' ? { short: 'h' } : {}) }])) as NonNullable<ParseArgsConfig['options']>;
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
  const s = (k: keyof typeof FLAGS) => values[k] as string | undefined;
  if (values.help) return { options: { targets: [], dataset: '' }, json: false, help: true };
  const o: Partial<BenchOptions> & Pick<BenchOptions, 'targets' | 'dataset'> = {
    targets: s('target') === undefined ? [] : s('target')!.split(',').map((t) => t.trim()),
    dataset: s('dataset') ?? '',
    apiKey: s('api-key') ?? env.PINECONE_API_KEY,
  };
  if (s('workload')) o.workloads = s('workload')!.split(',').map((w) => w.trim()) as WorkloadKind[];
  if (s('concurrency')) o.concurrency = numberList('concurrency', s('concurrency')!);
  if (s('topk')) o.topK = number('topk', s('topk')!);
  if (s('filter-selectivity')) o.selectivities = numberList('filter-selectivity', s('filter-selectivity')!);
  if (s('ef')) o.ef = numberList('ef', s('ef')!);
  if (s('rate')) o.rate = number('rate', s('rate')!);
  if (s('duration')) o.durationMs = parseDuration('duration', s('duration')!);
  if (s('warmup')) o.warmupMs = parseDuration('warmup', s('warmup')!);
  if (s('repeats')) o.repeats = number('repeats', s('repeats')!);
  if (s('batch-size')) o.batchSize = number('batch-size', s('batch-size')!);
  if (s('upsert-concurrency')) o.upsertConcurrency = number('upsert-concurrency', s('upsert-concurrency')!);
  if (s('write-ratio')) o.writeRatio = number('write-ratio', s('write-ratio')!);
  if (s('load-threads')) o.loadThreads = number('load-threads', s('load-threads')!);
  if (s('queries')) o.queries = number('queries', s('queries')!);
  if (s('metric')) o.metric = s('metric') as BenchOptions['metric'];
  if (s('index')) o.index = s('index')!;
  if (s('namespace')) o.namespace = s('namespace')!;
  if (s('cache-dir')) o.cacheDir = s('cache-dir')!;
  if (s('seed')) o.seed = number('seed', s('seed')!);
  o.includeValues = values['include-values'] === true;
  o.includeMetadata = values['include-metadata'] === true;
  o.keep = values.keep === true;
  resolveOptions(o); // bad values fail here, before anything starts
  return { options: o, out: s('out'), html: s('html'), json: values.json === true, help: false };
}
