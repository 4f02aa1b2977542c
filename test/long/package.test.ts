/**
 * The newcomer path of the README, for real (npm run test:long; seconds once npm's cache holds the dependencies):
 * `npm pack` of this repository, the tarball's files, an install of it into a fresh app without any npm warning,
 * the README's in-process example run twice in that app, and the `larchdb` bin through npx: `--version`, and
 * `serve` answering GET /indexes until SIGTERM stops it with exit status 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from '../helpers.js';

/** The repository: this file runs as dist/test/long/package.test.js. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

/** The shell environment of a user: without the npm_* variables that `npm run test:long` sets for its scripts. */
const USER_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

/** Ends a process group that may already be gone. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already exited
  }
}

/** Output lines npm would print as warnings. */
function npmWarnings(output: string): string[] {
  return output.split('\n').filter((l) => /^npm warn/i.test(l));
}

/** The code block right after `<!-- example:NAME -->` in the README. */
function readmeBlock(readme: string, name: string): string {
  const m = new RegExp(`<!-- example:${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(m, `README has no code block marked example:${name}`);
  return m[1]!;
}

test('the package as a newcomer installs it: npm pack, a fresh app, the README example, npx larchdb', { timeout: 600_000 }, async (t) => {
  const tmp = await tempDir();
  try {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    let tarball = '';

    await t.test('npm pack: built code and the WASM kernel, no tests, benches or source maps', async () => {
      // --ignore-scripts: the pack would otherwise rebuild dist/ under the running tests (npm run test:long built it).
      const { stdout, stderr } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.path], { cwd: ROOT, env: USER_ENV, timeout: 120_000 });
      assert.deepEqual(npmWarnings(stderr), []);
      const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
      const files = packed!.files.map((f) => f.path);
      for (const f of ['package.json', 'README.md', 'dist/engine/index.js', 'dist/engine/index.d.ts', 'dist/cli/larchdb.js', 'dist/bench/harness/index.js', 'dist/wasm/kernels.wasm', 'dist/wasm/assembly/layout.js']) {
        assert.ok(files.includes(f), `${f} missing from the tarball`);
      }
      assert.ok(files.some((f) => f.startsWith('dist/actors/')), 'dist/actors/ missing from the tarball');
      const unexpected = files.filter((f) => !/^(package\.json|README\.md|dist\/(engine|actors|server|wasm|cli|bench\/harness)\/.+)$/.test(f) || f.endsWith('.map'));
      assert.deepEqual(unexpected, [], 'only package.json, README.md and built code without source maps');
      tarball = join(tmp.path, packed!.filename);
    });

    const app = join(tmp.path, 'app');
    await t.test('npm install of the tarball into a fresh app prints no npm warning', async () => {
      await mkdir(app);
      await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'newcomer-app', version: '1.0.0', private: true, type: 'module' }));
      const { stdout, stderr } = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, env: USER_ENV, timeout: 300_000 });
      assert.deepEqual(npmWarnings(`${stdout}\n${stderr}`), [], `${stdout}\n${stderr}`);
      assert.ok((await stat(join(app, 'node_modules', 'larchdb', 'dist', 'wasm', 'kernels.wasm'))).size > 0);
    });

    await t.test("the README's in-process example runs twice in the app and prints what the README says", async () => {
      const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
      await writeFile(join(app, 'example.mjs'), readmeBlock(readme, 'in-process'));
      const expected = readmeBlock(readme, 'in-process-output');
      for (const round of [1, 2]) {
        const { stdout, stderr } = await run(process.execPath, ['example.mjs'], { cwd: app, env: USER_ENV, timeout: 60_000 });
        assert.equal(stdout, expected, `run ${round}`);
        assert.equal(stderr, '', `run ${round}`);
      }
      assert.ok((await stat(join(app, 'larch-example'))).isDirectory(), 'the example keeps its data in ./larch-example');
    });

    await t.test('npx larchdb --version prints the version of package.json', async () => {
      const { stdout } = await run('npx', ['larchdb', '--version'], { cwd: app, env: USER_ENV, timeout: 60_000 });
      assert.equal(stdout.trim(), pkg.version);
    });

    await t.test('npx larchdb bench runs in the app, and larchdb/bench imports; hnswlib without hnswlib-node is a clear exit 2', async () => {
      const cache = join(tmp.path, 'bench-cache');
      const args = ['larchdb', 'bench', '--target', 'memory', '--dataset', 'synthetic:2000x16:queries=20', '--workload', 'upsert,query', '--concurrency', '2', '--duration', '300ms', '--warmup', '0ms', '--cache-dir', cache];
      const { stdout } = await run('npx', [...args, '--out', 'r.json', '--html', 'r.html'], { cwd: app, env: { ...USER_ENV, CI: 'true' }, timeout: 120_000 });
      assert.match(stdout, /query c=2/);
      const report = JSON.parse(await readFile(join(app, 'r.json'), 'utf8')) as { measurements: { label: string; recall?: number }[] };
      assert.deepEqual(report.measurements.map((m) => [m.label, m.recall]), [['upsert b=100 c=4', undefined], ['query c=2', 1]]);
      assert.ok((await stat(join(app, 'r.html'))).size > 40_000, 'the HTML report with uPlot inlined');
      await writeFile(join(app, 'bench.mjs'), `import { bench, formatText } from 'larchdb/bench';
const r = await bench({ target: 'exact', dataset: 'synthetic:500x8:queries=10', workloads: ['query'], durationMs: 200, warmupMs: 0, cacheDir: ${JSON.stringify(cache)} });
process.stdout.write(String(r.measurements[0].recall) + '\\n' + formatText(r).split('\\n')[0] + '\\n');
`);
      const lib = await run(process.execPath, ['bench.mjs'], { cwd: app, env: USER_ENV, timeout: 60_000 });
      assert.equal(lib.stdout, '1\nLarchDB bench report\n');
      const noLib = await run('npx', ['larchdb', 'bench', '--target', 'hnswlib', '--dataset', 'synthetic:100x4', '--cache-dir', cache], { cwd: app, env: USER_ENV, timeout: 60_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => err,
      );
      assert.equal(noLib.code, 2);
      assert.match(noLib.stderr, /needs hnswlib-node: npm install hnswlib-node/);
    });

    await t.test('npx larchdb serve answers GET /indexes and exits 0 on SIGTERM', async () => {
      const data = join(tmp.path, 'serve-data');
      // Its own process group, so that a failure below can end npx, its shell and the server together.
      const npx = spawn('npx', ['larchdb', 'serve', '--port', '0', '--data', data], { cwd: app, env: USER_ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const exited = once(npx, 'exit');
      const output: string[] = [];
      createInterface({ input: npx.stderr! }).on('line', (l) => output.push(l));
      try {
        const { url, pid } = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`npx larchdb serve did not start:\n${output.join('\n')}`)), 60_000);
          npx.once('exit', (code) => reject(new Error(`npx larchdb serve exited with ${code}:\n${output.join('\n')}`)));
          let url = '';
          let pid = 0;
          createInterface({ input: npx.stdout! }).on('line', (line) => {
            output.push(line);
            // The server's JSON log lines carry its pid, before or after the listening line.
            if (line.startsWith('{')) pid ||= (JSON.parse(line) as { pid?: number }).pid ?? 0;
            url ||= /^LarchDB listening on (\S+)/.exec(line)?.[1] ?? '';
            if (url && pid) {
              clearTimeout(timer);
              resolve({ url, pid });
            }
          });
        });
        const res = await fetch(`${url}/indexes`, { signal: AbortSignal.timeout(10_000) });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { indexes: [] });
        // To the server itself: npx runs the bin under `sh -c`, and Debian's sh does not pass on the SIGTERM that npm
        // forwards to it, so one sent to npx would leave the server running. npx exits with the server's status.
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(npx.pid!), 30_000);
        const [code, signal] = await exited;
        clearTimeout(timer);
        assert.equal(code, 0, `exit ${code} ${signal}:\n${output.join('\n')}`);
      } finally {
        killGroup(npx.pid!);
      }
    });
  } finally {
    await tmp.cleanup();
  }
});
