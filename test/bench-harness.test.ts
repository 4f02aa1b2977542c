/**
 * `larchdb bench` end to end: short runs against the in-process engine, a real server on a free port (its own
 * process, load from worker threads) and the exact baseline; the counts in the report match what was sent, recall is
 * 1 where search is exact, the report validates against its schema; the CLI writes the JSON and HTML reports,
 * compares two runs and answers bad flags, datasets and targets with one line and exit status 2; a server killed
 * during a run is reported as a failure, not averaged away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bench, validateReport, type BenchReport, type Measurement } from '../bench/harness/index.js';
import { expectedCharts, openInChromium } from './browser-report.js';
import { CLI, startCli, stopCli } from './cli-process.js';
import { tempDir } from './helpers.js';

const run = promisify(execFile);

/** Short timings: these tests check what is measured, not how fast. */
const QUICK = { durationMs: 400, warmupMs: 100 };

const only = (r: BenchReport, workload: string): Measurement[] => r.measurements.filter((m) => m.workload === workload);

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'bench', ...args], { env: { ...process.env, CI: 'true', ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('in-process: every workload, counts as sent, exact recall below the graph threshold, a valid report', async () => {
  const cache = await tempDir();
  try {
    const report = await bench({
      target: 'memory', dataset: 'synthetic:2000x32:clusters=10:queries=50', cacheDir: cache.path, ...QUICK,
      workloads: ['upsert', 'query', 'filtered', 'mixed', 'streaming', 'ef-sweep', 'open-loop'],
      concurrency: [1, 4], selectivities: [0.1, 0.5], ef: [16, 64], rate: 200, batchSize: 50,
    });
    validateReport(JSON.parse(JSON.stringify(report)));
    assert.equal(report.targets[0]!.kind, 'memory');
    assert.equal(report.dataset.records, 2000);
    assert.equal(report.dataset.queries, 50);
    assert.equal(report.dataset.groundTruth, 'computed');
    const [load] = only(report, 'upsert');
    // Streaming inserts the second half while querying: the measured load is the first half.
    assert.equal(load!.records, 1000);
    assert.equal(load!.operations, 20, '1000 records in batches of 50');
    assert.equal(load!.errors, 0);
    assert.ok(load!.searchableMs! >= load!.durationMs && load!.indexedMs! >= load!.searchableMs!);
    const [stream] = only(report, 'streaming');
    assert.ok(stream!.notes!.some((n) => n.startsWith('1000 records inserted during the run')), stream!.notes!.join('\n'));
    assert.ok(stream!.timeline.some((p) => p.recall !== undefined));
    // 2,000 records stay below hnswMinRows: every search is an exact scan.
    for (const m of [...only(report, 'query'), ...only(report, 'filtered'), ...only(report, 'ef-sweep'), ...only(report, 'open-loop')]) {
      assert.equal(m.errors, 0, `${m.label}: ${m.errorSamples.join('; ')}`);
      assert.ok(m.operations > 0, m.label);
      assert.equal(m.recall, 1, `${m.label} recall`);
      assert.equal(m.latency.count, m.operations);
    }
    assert.deepEqual(only(report, 'query').map((m) => m.params.concurrency), [1, 4]);
    assert.deepEqual(only(report, 'filtered').map((m) => m.params.selectivity), [0.1, 0.5]);
    for (const f of only(report, 'filtered')) assert.ok(Math.abs(f.params.actualSelectivity! - f.params.selectivity!) < 0.05);
    assert.deepEqual(only(report, 'ef-sweep').map((m) => m.params.ef), [16, 64]);
    const [open] = only(report, 'open-loop');
    // 200/s for 0.4 s measured: about 80 requests started on schedule.
    assert.ok(Math.abs(open!.operations - 80) <= 4, `open loop ran ${open!.operations}`);
    assert.ok(only(report, 'mixed').every((m) => m.operations > 0 && m.recall === 1));
    assert.deepEqual(report.warnings, []);
    // A second run reads the cached ground truth.
    const again = await bench({ target: 'memory', dataset: 'synthetic:2000x32:clusters=10:queries=50', cacheDir: cache.path, ...QUICK, workloads: ['query'], concurrency: [1] });
    assert.equal(again.dataset.groundTruth, 'cache');
    assert.equal(again.measurements[0]!.recall, 1);
  } finally {
    await cache.cleanup();
  }
});

test('a LarchDB server on a free port: load from worker threads, exact recall, the index removed afterwards', async () => {
  const dir = await tempDir();
  const server = await startCli(['serve', '--port', '0', '--data', join(dir.path, 'data')]);
  try {
    const report = await bench({
      target: server.url, dataset: 'synthetic:1500x16:queries=40', cacheDir: join(dir.path, 'cache'), ...QUICK,
      workloads: ['upsert', 'query', 'ef-sweep'], concurrency: [1, 6], ef: [32], loadThreads: 2,
    });
    validateReport(JSON.parse(JSON.stringify(report)));
    assert.equal(report.targets[0]!.kind, 'larchdb-url');
    const [load] = only(report, 'upsert');
    assert.equal(load!.records, 1500);
    assert.equal(load!.operations, 15);
    // LarchDB's /larchdb/storage extension shows when background builds are done; 1,500 rows stay in the memtable.
    assert.ok(load!.indexedMs! >= load!.searchableMs!);
    assert.ok(load!.notes!.includes('1500 of 1500 records are searched exactly, not through a graph (LarchDB: its memtable, until that fills)'), load!.notes!.join('\n'));
    const [c1, c6] = only(report, 'query');
    assert.equal(c1!.clientCpu.threads, 1);
    assert.equal(c6!.clientCpu.threads, 2, 'six loops on two worker threads');
    for (const m of [c1!, c6!, ...only(report, 'ef-sweep')]) {
      assert.equal(m.errors, 0, m.errorSamples.join('; '));
      assert.equal(m.recall, 1);
    }
    const list = (await (await fetch(`${server.url}/indexes`)).json()) as { indexes: unknown[] };
    assert.deepEqual(list.indexes, [], 'the run deleted its index');
  } finally {
    await stopCli(server.child);
    await dir.cleanup();
  }
});

test('an index host (as Pinecone cloud or Pinecone Local give): the run uses its own namespace and empties it', async () => {
  const dir = await tempDir();
  const server = await startCli(['serve', '--port', '0', '--data', join(dir.path, 'data')]);
  const h = { 'content-type': 'application/json' };
  try {
    await fetch(`${server.url}/indexes`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'theirs', dimension: 16, metric: 'cosine', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } }) });
    const host = `${server.url}/index/theirs`;
    await fetch(`${host}/vectors/upsert`, { method: 'POST', headers: h, body: JSON.stringify({ namespace: 'users-data', vectors: [{ id: 'keep-me', values: Array(16).fill(0.5) }] }) });
    const report = await bench({ target: host, dataset: 'synthetic:800x16:queries=20', cacheDir: join(dir.path, 'cache'), ...QUICK, workloads: ['upsert', 'query'], concurrency: [2] });
    assert.equal(report.targets[0]!.description, `index host ${host}`);
    assert.equal(only(report, 'upsert')[0]!.records, 800);
    assert.equal(only(report, 'query')[0]!.recall, 1);
    const stats = (await (await fetch(`${host}/describe_index_stats`, { method: 'POST', headers: h, body: '{}' })).json()) as { namespaces: Record<string, { vectorCount: number }> };
    assert.deepEqual(stats.namespaces, { 'users-data': { vectorCount: 1 } }, 'the bench namespace is emptied, the user\'s data untouched');
    const dimMismatch = bench({ target: host, dataset: 'synthetic:100x8', cacheDir: join(dir.path, 'cache'), ...QUICK, workloads: ['query'] });
    await assert.rejects(dimMismatch, /has dimension 16, the dataset 8/);
  } finally {
    await stopCli(server.child);
    await dir.cleanup();
  }
});

test('several targets in one run: the engine and the exact baseline on the same data, labels naming each', async () => {
  const cache = await tempDir();
  try {
    const report = await bench({ targets: ['memory', 'exact'], dataset: 'synthetic:3000x24:queries=30', cacheDir: cache.path, ...QUICK, workloads: ['upsert', 'query', 'filtered'], concurrency: [1], selectivities: [0.05] });
    validateReport(JSON.parse(JSON.stringify(report)));
    assert.deepEqual(report.targets.map((t) => [t.name, t.kind]), [['memory', 'memory'], ['exact', 'exact']]);
    assert.deepEqual(report.measurements.map((m) => m.label), [
      'memory · upsert b=100 c=4', 'memory · query c=1', 'memory · filtered s=0.05 c=1',
      'exact · upsert b=100 c=4', 'exact · query c=1', 'exact · filtered s=0.05 c=1',
    ]);
    for (const m of report.measurements) {
      assert.equal(m.label.startsWith(`${m.target} · `), true);
      if (m.workload !== 'upsert') assert.equal(m.recall, 1, m.label);
      else assert.equal(m.records, 3000);
    }
  } finally {
    await cache.cleanup();
  }
});

test('the CLI writes JSON and HTML, compares two runs, and answers mistakes with one line and status 2', async (t) => {
  const dir = await tempDir();
  try {
    const common = ['--target', 'memory', '--dataset', 'synthetic:1000x16:queries=20', '--workload', 'query', '--concurrency', '1', '--duration', '300ms', '--warmup', '50ms', '--cache-dir', join(dir.path, 'cache')];
    const a = await cli([...common, '--out', join(dir.path, 'a.json'), '--html', join(dir.path, 'a.html')]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /query c=1/);
    assert.match(a.stderr, /query c=1: .*queries\/s/, 'line-oriented progress under CI=true');
    const reportA = validateReport(JSON.parse(readFileSync(join(dir.path, 'a.json'), 'utf8')));
    assert.deepEqual(reportA.settings.workloads, ['query'], 'no --ef: no ef sweep');
    assert.deepEqual(reportA.measurements.map((m) => m.label), ['query c=1']);
    // The page of a real run draws in Chromium, offline, without errors.
    const page = await openInChromium(t, readFileSync(join(dir.path, 'a.html'), 'utf8'), 'cli-run');
    assert.deepEqual([page.attempted, page.errors], [[], []]);
    // No filtered measurement in this run: that chart's section says so instead of drawing.
    assert.equal(page.drawn, expectedCharts([reportA]) - 1);
    const b = await cli([...common, '--out', join(dir.path, 'b.json')]);
    assert.equal(b.code, 0, b.stderr);
    const cmp = await cli(['compare', join(dir.path, 'a.json'), join(dir.path, 'b.json'), '--html', join(dir.path, 'diff.html')]);
    assert.equal(cmp.code, 0, cmp.stderr);
    assert.match(cmp.stdout, /query c=1/);
    assert.ok(existsSync(join(dir.path, 'diff.html')));

    const mistakes: [string[], RegExp][] = [
      [['--target', 'memory', '--dataset', 'synthetic:100x4', '--concurrency', '1,x'], /--concurrency must be a comma-separated list of numbers, got '1,x'/],
      [['--target', 'memory', '--dataset', 'synthetic:100x4', '--bogus'], /Unknown option '--bogus'/],
      [['--dataset', 'synthetic:100x4'], /--target is required/],
      [['--target', 'memory', '--dataset', 'synthetic:100x4', '--workload', 'query,dance'], /unknown workload 'dance'/],
      [['--target', 'memory', '--dataset', join(dir.path, 'missing.fvecs')], /missing\.fvecs/],
      [['--target', 'http://127.0.0.1:1', '--dataset', 'synthetic:100x4'], /cannot reach http:\/\/127\.0\.0\.1:1/],
      [['compare', join(dir.path, 'a.json')], /compare needs two reports/],
      [['--target', 'http://user:secret@127.0.0.1:1', '--dataset', 'synthetic:100x4'], /put the API key in PINECONE_API_KEY \(or --api-key\), not in the URL/],
    ];
    for (const [args, message] of mistakes) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
  } finally {
    await dir.cleanup();
  }
});

test('a server that dies during a run is reported as a failed measurement, exit status 1', async () => {
  const dir = await tempDir();
  const server = await startCli(['serve', '--port', '0', '--data', join(dir.path, 'data')]);
  try {
    const out = join(dir.path, 'r.json');
    const pending = cli(['--target', server.url, '--dataset', 'synthetic:500x8:queries=20', '--workload', 'query', '--concurrency', '2', '--duration', '20s', '--warmup', '0ms', '--cache-dir', join(dir.path, 'cache'), '--out', out]);
    await new Promise((r) => setTimeout(r, 3000));
    server.child.kill('SIGKILL');
    const r = await pending;
    assert.equal(r.code, 1, r.stderr);
    const report = validateReport(JSON.parse(readFileSync(out, 'utf8')));
    const [q] = only(report, 'query');
    assert.match(q!.failed!, /the target failed during the run/);
    assert.ok(q!.operations > 0, 'what completed before the failure is kept');
    assert.match(r.stdout, /FAILED|failed/);
  } finally {
    server.child.kill('SIGKILL');
    await dir.cleanup();
  }
});
