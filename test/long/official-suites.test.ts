/**
 * The official Pinecone Node client's own jest integration suites (shipped in its npm package under
 * dist/integration/**), run unmodified against a real LarchDB server, for 7.2.0 (API 2025-10) and 8.2.0 (API
 * 2026-04).
 *
 * Per client version: a `larchdb serve` child process on a free port (temp data directory, an API key, durability
 * none, `--models-dir` with tiny stand-ins for the hosted models the inference suites name: see STAND_INS), the
 * fixture their global setup would create (official-suites.setup.cjs: the serverless-index half of their setup.js;
 * the Assistant half is cloud-only), then jest (node_modules/jest/bin/jest.js) with
 * official-suites.jest.config.cjs: rootDir at the client's dist/integration, the suites of RUN only, their
 * jest-setup.js, and official-suites.shim.cjs, which sends `https://api.pinecone.io` to the local server (the suites
 * build `new Pinecone({ apiKey })`, which ignores PINECONE_CONTROLLER_HOST) and logs every exchange. jest's --json
 * results are then checked: every test of RUN passes except those in EXCLUDED_TESTS. A failing test's assertion
 * message comes with the exchanges the client had with the server during that test.
 *
 * Versions run one after the other (the retries suite listens on the fixed port 4000); each takes about 11 s.
 * Run: npm run test:long (or, once built, node --test dist/test/long/official-suites.test.js).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCli, stopCli } from '../cli-process.js';
import { tempDir } from '../helpers.js';
import { buildTinyModels } from '../../bench/onnx-fixtures.js';

/** The repository: this file runs as dist/test/long/official-suites.test.js. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The .cjs helpers are not compiled: they are used from the source tree. */
const HERE = join(ROOT, 'test', 'long');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

const VERSIONS = [
  { version: '7.2.0', pkg: 'pinecone-client-7' },
  { version: '8.2.0', pkg: 'pinecone-client-8' },
];

/** Suites (relative to dist/integration) that need nothing cloud-only: jest runs these. */
const RUN = [
  'control/configureIndex.test.js',
  'control/createIndex.test.js',
  'control/describeIndex.test.js',
  'control/listIndexes.test.js',
  'data/namespaces/namespaces.test.js',
  'data/vectors/delete.test.js',
  'data/vectors/fetch.test.js',
  'data/vectors/fetchByMetadata.test.js',
  'data/vectors/list.test.js',
  'data/vectors/query.test.js',
  'data/vectors/upsertAndUpdate.test.js',
  'errorHandling.test.js',
  'inference/embed.test.js',
  'inference/integratedInference.test.js',
  'inference/models.test.js',
  'inference/rerank.test.js',
  'initialization.test.js',
  'retries.test.js',
];

/** Whole suites not run, by path prefix, with the reason. Every shipped *.test.js must be in RUN or here. */
const EXCLUDED_SUITES: { prefix: string; reason: string }[] = [
  { prefix: 'assistant-control/', reason: 'Pinecone Assistant (create/describe/update/evaluate assistants): cloud-only' },
  { prefix: 'assistant-data/', reason: 'Pinecone Assistant (files, chat, context): cloud-only' },
  { prefix: 'data/bulk/', reason: 'bulk import from s3://dev-bulk-import-datasets-pub: cloud-only' },
  { prefix: 'preview-control/', reason: '8.x pc.preview.* (API 2026-01.alpha): schema-based indexes with full-text-search fields, backups: cloud-only preview' },
  { prefix: 'preview-data/', reason: '8.x pc.preview documents API with full-text search (API 2026-01.alpha): cloud-only preview' },
];

/**
 * The hosted models the inference/* suites name (the same in 7.2.0 and 8.2.0): embed.test.js embeds with
 * multilingual-e5-large, rerank.test.js reranks with bge-reranker-v2-m3, models.test.js reads multilingual-e5-large's
 * description and the model list, and integratedInference.test.js creates an index for multilingual-e5-large
 * (createIndexForModel, so a 1024-d index), upserts and searches records through it. LarchDB runs these as the ONNX
 * models of engine/core/models.ts under --models-dir; the harness builds stand-ins at the same paths with
 * test/onnx-fixtures.ts: tiny real ONNX graphs with seeded random weights over the MiniLM tokenizer, the embedding
 * one projected to multilingual-e5-large's 1024 dimensions. They run through exactly the server's loading and
 * inference path, but their numbers mean nothing: the suites check the API's shapes (response fields, lengths,
 * usage, topK hits) and Pinecone's error texts, never embedding or ranking quality, and neither does this harness.
 */
const STAND_INS = {
  embedId: 'Xenova/multilingual-e5-large',
  outDim: 1024,
  rerankId: 'onnx-community/bge-reranker-v2-m3-ONNX',
};

/**
 * Single tests of RUN that are not held against LarchDB, with the reason. `test` is jest's full name, ancestors and
 * title joined by ' › '; `versions` limits an entry to some client versions.
 */
const EXCLUDED_TESTS: { suite: string; test: string; versions?: string[]; reason: string }[] = [
  {
    suite: 'retries.test.js',
    test: 'Testing retry logic via a mock, in-memory http server › Max retries exceeded w/o resolve',
    versions: ['7.2.0'],
    reason:
      "7.2.0's copy calls rejects.toThrowError, which jest 30 (installed here) removed (8.2.0 uses toThrow); the " +
      "suite talks only to its own mock server on localhost:4000, never to LarchDB",
  },
];

const JEST_TIMEOUT_MS = 150_000;
/** Per test and hook: LarchDB is read-after-write consistent, so no test needs the cloud retry windows (assertWithRetries waits up to 240 s); the longest passing one takes ~2 s. */
const TEST_TIMEOUT_MS = 10_000;

interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  status: 'passed' | 'failed' | 'pending' | 'skipped' | 'todo' | 'disabled' | 'focused';
  failureMessages: string[];
}
interface SuiteResult {
  name: string;
  status: string;
  message: string;
  assertionResults: AssertionResult[];
}
interface Exchange {
  file: string;
  test: string;
  method: string;
  url: string;
  body?: string;
  status?: number;
  answer?: string;
  error?: string;
}

const fullName = (a: AssertionResult): string => [...a.ancestorTitles, a.title].join(' › ');

/** Every shipped suite file under dir, relative, sorted. */
function shippedSuites(dir: string, sub = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...shippedSuites(dir, rel));
    else if (e.name.endsWith('.test.js')) out.push(rel);
  }
  return out.sort();
}

/** jest's failure text without stack frames or ANSI colour, and short. */
function clean(message: string): string {
  const text = message
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((l) => !/^\s+at /.test(l))
    .join('\n')
    .replace(/\n{2,}/g, '\n')
    .trim();
  return text.length > 1500 ? `${text.slice(0, 1500)}…` : text;
}

function formatExchange(x: Exchange, base: string): string {
  const path = x.url.startsWith(base) ? x.url.slice(base.length) : x.url;
  const answer = x.error ? `network error: ${x.error}` : `${x.status} ${x.answer ?? ''}`;
  return `    ${x.method} ${path}${x.body ? ` ${x.body}` : ''}\n      -> ${answer}`;
}

/** The exchanges to show for a failure: the non-2xx ones (at most eight), else the last three. */
function relevant(exchanges: Exchange[]): Exchange[] {
  const bad = exchanges.filter((x) => x.error || (x.status ?? 0) >= 300);
  return bad.length > 0 ? bad.slice(-8) : exchanges.slice(-3);
}

/** Runs a command, resolving with its exit code (null if killed) and combined output; kills its group on timeout. */
function runGroup(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      killGroup(); // jest workers left behind by --forceExit, if any
      resolve({ code, output, timedOut });
    });
  });
}

for (const { version, pkg } of VERSIONS) {
  test(`@pinecone-database/pinecone ${version}: its shipped integration suites against LarchDB`, { timeout: 240_000 }, async (t: TestContext) => {
    const clientDist = realpathSync(join(ROOT, 'node_modules', pkg, 'dist'));
    const integration = join(clientDist, 'integration');
    const installed = JSON.parse(readFileSync(join(clientDist, '..', 'package.json'), 'utf8')) as { version: string };
    assert.equal(installed.version, version, `${pkg} is not ${version}`);

    const shipped = shippedSuites(integration);
    const unclassified = shipped.filter((s) => !RUN.includes(s) && !EXCLUDED_SUITES.some((e) => s.startsWith(e.prefix)));
    assert.deepEqual(unclassified, [], 'shipped suites neither in RUN nor in EXCLUDED_SUITES');
    assert.deepEqual(RUN.filter((s) => !shipped.includes(s)), [], 'RUN names suites this version does not ship');

    const tmp = await tempDir();
    let server: Awaited<ReturnType<typeof startCli>> | undefined;
    try {
      const modelsDir = join(tmp.path, 'models');
      await buildTinyModels(modelsDir, STAND_INS);
      const apiKey = `larch-${process.pid}-${Date.now()}`;
      server = await startCli([
        'serve', '--port', '0', '--data', join(tmp.path, 'data'), '--api-key', apiKey, '--durability', 'none', '--log-level', 'warn',
        '--models-dir', modelsDir,
      ]);
      const base = server.url;
      const exchangeLog = join(tmp.path, 'exchanges.jsonl');
      const env: NodeJS.ProcessEnv = {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|PINECONE_|FIXTURES_JSON$|JEST_)/i.test(k))),
        PINECONE_API_KEY: apiKey,
        LARCH_URL: base,
        LARCH_CLIENT_DIR: clientDist,
        LARCH_SUITES: JSON.stringify(RUN),
        LARCH_EXCHANGE_LOG: exchangeLog,
        LARCH_TEST_TIMEOUT: String(TEST_TIMEOUT_MS),
        LARCH_JEST_CACHE: join(tmp.path, 'jest-cache'),
        DOTENV_CONFIG_QUIET: 'true',
        NODE_ENV: 'test',
      };

      // Their global setup: the serverless index with its seed records (FIXTURES_JSON).
      const setup = await new Promise<{ ok: boolean; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [join(HERE, 'official-suites.setup.cjs')], { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ ok: !err, stdout, stderr }),
        );
      });
      const fixtures = /^FIXTURES_JSON=(.*)$/m.exec(setup.stdout)?.[1];
      await t.test('global setup: serverless index fixture (their setup.js without the Assistant)', () => {
        const sent = existsSync(exchangeLog)
          ? readFileSync(exchangeLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Exchange)
          : [];
        assert.ok(setup.ok && fixtures, `setup failed:\n${clean(setup.stderr)}\n  exchanges:\n${relevant(sent).map((x) => formatExchange(x, base)).join('\n')}`);
      });
      if (fixtures) env.FIXTURES_JSON = fixtures;

      // retries.test.js runs alone, after the others: it binds the fixed port 4000 for its own mock server, and a suite
      // running beside it in the other jest worker was once seen sending a request there.
      const groups = [RUN.filter((s) => s !== 'retries.test.js'), RUN.filter((s) => s === 'retries.test.js')].filter((g) => g.length > 0);
      const results: { testResults: SuiteResult[] } = { testResults: [] };
      for (const [i, group] of groups.entries()) {
        const resultsFile = join(tmp.path, `results-${i}.json`);
        const run = await runGroup(
          [JEST, '--config', join(HERE, 'official-suites.jest.config.cjs'), '--ci', '--json', `--outputFile=${resultsFile}`, '--forceExit'],
          { ...env, LARCH_SUITES: JSON.stringify(group) },
          JEST_TIMEOUT_MS,
        );
        assert.ok(!run.timedOut, `jest ran over ${JEST_TIMEOUT_MS} ms:\n${run.output.slice(-4000)}`);
        assert.ok(existsSync(resultsFile), `jest wrote no results (exit ${run.code}):\n${run.output.slice(-4000)}`);
        results.testResults.push(...(JSON.parse(readFileSync(resultsFile, 'utf8')) as { testResults: SuiteResult[] }).testResults);
      }
      const exchanges = existsSync(exchangeLog)
        ? readFileSync(exchangeLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Exchange)
        : [];

      const rows: string[][] = [];
      const stale = EXCLUDED_TESTS.filter((e) => !e.versions || e.versions.includes(version)).map((e) => `${e.suite}: ${e.test}`);
      const totals = { passed: 0, failed: 0, excluded: 0 };
      for (const suite of RUN) {
        const result = results.testResults.find((r) => relative(integration, r.name) === suite);
        await t.test(suite, () => {
          assert.ok(result, `jest reported nothing for ${suite}`);
          const failures: string[] = [];
          let passed = 0;
          let excluded = 0;
          for (const a of result.assertionResults) {
            const name = fullName(a);
            const exclusion = EXCLUDED_TESTS.find((e) => e.suite === suite && e.test === name && (!e.versions || e.versions.includes(version)));
            if (exclusion) {
              excluded++;
              stale.splice(stale.indexOf(`${suite}: ${name}`), 1);
              continue;
            }
            if (a.status === 'passed') {
              passed++;
              continue;
            }
            if (!fixtures && a.failureMessages.some((m) => m.includes('FIXTURES_JSON environment variable not set'))) {
              failures.push(`✗ ${name}: needs the fixture index, which the global setup failed to create`);
              continue;
            }
            // jest's currentTestName (what the shim logs) joins the titles with spaces.
            const mine = exchanges.filter((x) => x.file === result.name && x.test === [...a.ancestorTitles, a.title].join(' '));
            failures.push(
              `✗ ${name} [${a.status}]\n  ${clean(a.failureMessages.join('\n')).replace(/\n/g, '\n  ')}\n  exchanges:\n${relevant(mine).map((x) => formatExchange(x, base)).join('\n') || '    (none)'}`,
            );
          }
          // Errors outside tests: a failing beforeAll/afterAll, or a suite that did not load.
          if (result.status === 'failed' && result.message && result.assertionResults.every((a) => a.status !== 'failed')) {
            const hooks = exchanges.filter((x) => x.file === result.name && x.test.startsWith('(hook'));
            failures.push(`✗ (suite-level error)\n  ${clean(result.message).replace(/\n/g, '\n  ')}\n  exchanges in hooks:\n${relevant(hooks).map((x) => formatExchange(x, base)).join('\n') || '    (none)'}`);
          }
          rows.push([suite, String(passed), String(failures.length), String(excluded)]);
          totals.passed += passed;
          totals.failed += failures.length;
          totals.excluded += excluded;
          assert.equal(failures.length, 0, `${failures.length} failing in ${suite} (${version}):\n${failures.join('\n')}`);
        });
      }

      const width = Math.max(...RUN.map((s) => s.length), 5);
      t.diagnostic(`${version}: ${'suite'.padEnd(width)}  passed  failed  excluded`);
      for (const [suite, p, f, e] of rows) t.diagnostic(`${version}: ${suite!.padEnd(width)}  ${p!.padStart(6)}  ${f!.padStart(6)}  ${e!.padStart(8)}`);
      t.diagnostic(`${version}: ${'total'.padEnd(width)}  ${String(totals.passed).padStart(6)}  ${String(totals.failed).padStart(6)}  ${String(totals.excluded).padStart(8)}`);
      for (const e of EXCLUDED_SUITES) t.diagnostic(`${version}: not run: ${e.prefix}* (${e.reason})`);
      for (const s of stale) t.diagnostic(`${version}: exclusion matched no test: ${s}`);
    } finally {
      if (server) await stopCli(server.child);
      await tmp.cleanup();
    }
  });
}
