/**
 * `larchdb bench`: runs a benchmark and prints its table (or JSON), writing `--out report.json` and `--html
 * report.html`; `larchdb bench compare a.json b.json [--html diff.html]` sets two reports side by side. Exit status:
 * 0 done, 1 the target failed during the run (the report says where), 2 bad flags, dataset or target.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compareReports, formatCompareText } from './compare.js';
import { DatasetError } from './load-dataset.js';
import { parseBenchArgs, UsageError } from './options.js';
import { terminalProgress } from './progress.js';
import { renderCompareHtml, renderHtml } from './report-html.js';
import { readReport } from './report-schema.js';
import { formatText } from './report-text.js';
import { runBench } from './run.js';
import { TargetError } from './target-open.js';

export const BENCH_USAGE = `Usage: larchdb bench --target <target> --dataset <dataset> [options]
       larchdb bench compare <before.json> <after.json> [--html diff.html] [--json]

Targets:
  memory                 LarchDB in this process, in memory
  <dir>                  LarchDB in this process, on a data directory
  (several, separated by commas, run one after the other on the same data: --target memory,hnswlib)
  http://host:port       a LarchDB server (or any Pinecone control plane): the run creates, then deletes, its index
  https://<index-host>   a Pinecone index host (Pinecone cloud or Local): the run uses its own namespace
  exact                  exact brute-force scan baseline (WASM SIMD kernel)
  hnswlib                hnswlib-node baseline (npm install hnswlib-node)

Datasets (exact ground truth is read from the file or computed and cached):
  synthetic:NxD[:clusters=C][:seed=S][:sigma=X][:queries=Q][:metric=M]   seeded clustered Gaussians
  sift_base.fvecs | .bvecs (+ sibling *_query and *_groundtruth.ivecs) | glove.hdf5 (ann-benchmarks)
  records.jsonl | data.parquet (Pinecone's bulk-import layout; the last records are held out as queries)

Options:
  --workload <list>            upsert,query,filtered,mixed,streaming,ef-sweep,open-loop (default upsert,query)
  --concurrency <list>         requests in flight, swept by query and mixed (default 1,8)
  --topk <n>                   (default 10)
  --filter-selectivity <list>  fractions matched by filtered queries (default 0.01,0.1,0.5,0.99)
  --ef <list>                  efSearch values of the ef sweep (adds ef-sweep; default 16,32,64,128)
  --rate <n>                   open loop: requests per second (adds open-loop)
  --duration <t>               each timed measurement, e.g. 30s, 500ms, 2m (default 10s)
  --warmup <t>                 before each measurement (default 1s)
  --repeats <n>                runs of each measurement; the median is reported (default 1)
  --batch-size <n>             records per upsert (default 100)
  --upsert-concurrency <n>     upserts in flight while loading (default 4)
  --write-ratio <x>            mixed: share of writes (default 0.1)
  --load-threads <n>           worker threads generating load against URL targets (default min(4, cores))
  --queries <n>                use at most n queries
  --metric <m>                 cosine, euclidean or dotproduct (default: the dataset's)
  --include-values, --include-metadata   ask queries for them
  --index <name>, --namespace <ns>       (default larchdb-bench)
  --api-key <key>              for URL targets (default: PINECONE_API_KEY; prefer the variable: ps shows flags)
  --cache-dir <dir>            ground-truth cache (default ~/.cache/larchdb/bench)
  --keep                       keep the index and its records afterwards
  --seed <n>                   (default 1)
  --out <file>                 write the JSON report
  --html <file>                write the HTML report (charts; opens offline)
  --json                       print the JSON report instead of the table
  -h, --help                   show this help

Exit status: 0 done; 1 the target failed during the run (reported); 2 bad flags, dataset or target.
`;

/** Runs `larchdb bench ...` (argv after the word `bench`); resolves with the exit status. */
export async function benchMain(argv: string[]): Promise<number> {
  try {
    if (argv[0] === 'compare') return compareMain(argv.slice(1));
    const cmd = parseBenchArgs(argv);
    if (cmd.help) {
      process.stdout.write(BENCH_USAGE);
      return 0;
    }
    const report = await runBench(cmd.options, terminalProgress());
    if (cmd.out) writeFileSync(cmd.out, JSON.stringify(report, null, 2) + '\n');
    if (cmd.html) writeFileSync(cmd.html, renderHtml(report));
    process.stdout.write(cmd.json ? JSON.stringify(report, null, 2) + '\n' : formatText(report));
    return report.measurements.some((m) => m.failed) || report.warnings.some((w) => w.includes('the run stopped')) ? 1 : 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof DatasetError || err instanceof TargetError) {
      process.stderr.write(`larchdb bench: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

function compareMain(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { html: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 2) throw new UsageError(`compare needs two reports, got ${positionals.length}: larchdb bench compare before.json after.json`);
  let a, b;
  try {
    a = readReport(positionals[0]!);
    b = readReport(positionals[1]!);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const c = compareReports(a, b);
  if (values.html) writeFileSync(values.html, renderCompareHtml(a, b, c));
  process.stdout.write(values.json ? JSON.stringify(c, null, 2) + '\n' : formatCompareText(c));
  return 0;
}
