/**
 * A real full disk under the CLI server: the data directory lives on a small tmpfs that the test fills up.
 *
 * Requirement: a disk error on a write fails the request with a 5xx in Pinecone's shape, nothing acknowledged is
 * lost, and the server keeps serving reads. Checked end to end: upserts until the request log cannot grow (503,
 * data-plane shape, message naming ENOSPC), reads and further writes while the disk stays full, create_index on a
 * full disk (control-plane shape, no index left behind), writes again once space is freed, then SIGKILL and a
 * restart on the same directory: every acknowledged record is back with its values, no record of a failed batch is.
 *
 * Mounting a tmpfs needs root. As root the scenario runs here; otherwise this file re-executes itself under
 * `unshare -rm` (a user + mount namespace in which the child is root) with DISK_FULL_SCENARIO set, and the
 * scenario runs in that child. A machine with neither fails the test, saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpCall, rng, type HttpRes } from './helpers.js';
import { startCli, stopCli, type CliProcess } from './cli-process.js';

const SCENARIO_ENV = 'DISK_FULL_SCENARIO';
const THIS_FILE = fileURLToPath(import.meta.url);

const DIM = 64;
const BATCH = 25; // ≈ 7 KB per request-log frame: always more than the slack in a tmpfs page
const TMPFS_KB = 4096;
/** Room left beside the filler file: a handful of batches fit, then the disk is full. */
const ROOM = 96 * 1024;
const INDEX = 'full';
const HEADERS = { 'X-Pinecone-API-Version': '2025-04' };
const SPEC = { serverless: { cloud: 'aws', region: 'us-east-1' } };

interface Rec {
  id: string;
  values: number[];
  metadata: { batch: number };
}

type Res = HttpRes;

/** One request with raw fetch and the API version header; a body is sent as JSON. */
const call = (url: string, method: string, path: string, body?: unknown): Promise<Res> => httpCall(url, method, path, body, HEADERS);

function makeBatch(n: number, seed: number): Rec[] {
  const r = rng(seed);
  return Array.from({ length: BATCH }, (_, i) => ({
    id: `b${n}-${i}`,
    values: Array.from({ length: DIM }, () => Math.fround(r() * 2 - 1)),
    metadata: { batch: n },
  }));
}

/** Writes zeros to `path` until the filesystem refuses (ENOSPC); returns the bytes written. */
function fillToTheBrim(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let total = 0;
  try {
    for (;;) {
      try {
        total += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return total;
        throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** The slab files of every namespace under the data directory. */
async function slabFiles(data: string): Promise<string[]> {
  const entries = await readdir(join(data, 'indexes'), { recursive: true });
  return entries.filter((e) => e.endsWith('.slab'));
}

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`);
}

/** The whole scenario on a fresh tmpfs; `memtableBytes` small makes background flushes run into the full disk too. */
async function scenario(memtableBytes: number | undefined, note: (msg: string) => void): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'larch-diskfull-'));
  const mnt = join(base, 'mnt');
  const data = join(mnt, 'data');
  const filler = join(mnt, 'filler');
  const topOff = join(mnt, 'top-off');
  const args = ['serve', '--port', '0', '--data', data, '--log-level', 'warn', ...(memtableBytes ? ['--memtable-bytes', String(memtableBytes)] : [])];
  let cli: CliProcess | undefined;
  let mounted = false;
  const out = () => `\n--- server output ---\n${(cli?.output ?? []).join('\n')}`;
  try {
    await mkdir(mnt);
    sh('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_KB}k`, 'tmpfs', mnt]);
    mounted = true;
    const start = async (): Promise<string> => {
      cli = await startCli(args);
      const m = /^LarchDB listening on (http:\/\/127\.0\.0\.1:(\d+))\b/.exec(cli.banner);
      assert.ok(m, `banner without a URL: ${cli.banner}`);
      assert.notEqual(Number(m[2]), 0, `banner must give the real port for --port 0: ${cli.banner}`);
      assert.equal(cli.url, m[1]);
      return cli.url;
    };
    const alive = () => assert.ok(cli && cli.child.exitCode === null && cli.child.signalCode === null, `the server died${out()}`);
    let url = await start();
    const D = `/index/${INDEX}`;

    const created = await call(url, 'POST', '/indexes', { name: INDEX, dimension: DIM, metric: 'cosine', spec: SPEC });
    assert.equal(created.status, 201, created.text);

    const acked = new Map<string, Rec>();
    const failedIds: string[] = [];

    /** Every acknowledged record answers with its values and metadata; no failed one does; counts match. */
    const checkReads = async (when: string) => {
      const ids = [...acked.keys()];
      for (let i = 0; i < ids.length; i += 100) {
        const chunk = ids.slice(i, i + 100);
        const res = await call(url, 'GET', `${D}/vectors/fetch?${chunk.map((id) => `ids=${encodeURIComponent(id)}`).join('&')}`);
        assert.equal(res.status, 200, `${when}: fetch ${res.text}${out()}`);
        assert.deepEqual(Object.keys(res.body.vectors).sort(), [...chunk].sort(), `${when}: fetched ids`);
        for (const id of chunk) {
          const want = acked.get(id)!;
          const got = res.body.vectors[id];
          assert.equal(got.id, id);
          assert.deepEqual(got.values.map(Math.fround), want.values, `${when}: values of ${id}`);
          assert.deepEqual(got.metadata, want.metadata, `${when}: metadata of ${id}`);
        }
      }
      for (let i = 0; i < failedIds.length; i += 100) {
        const chunk = failedIds.slice(i, i + 100);
        const res = await call(url, 'GET', `${D}/vectors/fetch?${chunk.map((id) => `ids=${encodeURIComponent(id)}`).join('&')}`);
        assert.equal(res.status, 200, `${when}: fetch of failed ids ${res.text}${out()}`);
        assert.deepEqual(Object.keys(res.body.vectors), [], `${when}: records of a failed (unacknowledged) batch are visible${out()}`);
      }

      const stats = await call(url, 'POST', `${D}/describe_index_stats`, {});
      assert.equal(stats.status, 200, `${when}: stats ${stats.text}${out()}`);
      assert.equal(stats.body.dimension, DIM);
      assert.equal(stats.body.totalVectorCount, acked.size, `${when}: totalVectorCount ${stats.text}`);
      assert.equal(stats.body.namespaces.__default__?.vectorCount ?? 0, acked.size, `${when}: namespace count ${stats.text}`);

      if (ids.length === 0) return;
      const probe = acked.get(ids[ids.length - 1]!)!;
      const q = await call(url, 'POST', `${D}/query`, { vector: probe.values, topK: acked.size + 50, includeValues: false });
      assert.equal(q.status, 200, `${when}: query ${q.text}${out()}`);
      const matched: string[] = q.body.matches.map((m: { id: string }) => m.id);
      assert.deepEqual([...matched].sort(), [...ids].sort(), `${when}: query matches are exactly the acknowledged records`);
      assert.equal(matched[0], probe.id);
      assert.ok(Math.abs(q.body.matches[0].score - 1) < 1e-4, `${when}: self-match score ${q.body.matches[0].score}`);
    };

    const upsert = (batch: Rec[]) => call(url, 'POST', `${D}/vectors/upsert`, { vectors: batch });
    const expectDiskFull = (res: Res, what: string) => {
      assert.equal(res.status, 503, `${what}: want 503, got ${res.status} ${res.text}${out()}`);
      assert.deepEqual(res.body, { code: 14, message: res.body?.message, details: [] }, `${what}: data-plane error shape`);
      assert.equal(typeof res.body.message, 'string');
      assert.match(res.body.message, /ENOSPC/, `${what}: message names the errno`);
    };

    // 1. Fill the disk: a filler file leaves ROOM bytes, then upsert batches until the request log cannot grow.
    let next = 0;
    await checkReads('empty index');
    await writeFile(filler, Buffer.alloc(Math.max(0, (await freeBytes(mnt)) - ROOM)));
    let failure: Res | undefined;
    while (next < 400) {
      const n = next++;
      const batch = makeBatch(n, 1000 + n);
      const res = await upsert(batch);
      if (res.status === 200) {
        assert.deepEqual(res.body, { upsertedCount: BATCH }, res.text);
        for (const r of batch) acked.set(r.id, r);
        continue;
      }
      failure = res;
      failedIds.push(...batch.map((r) => r.id));
      break;
    }
    assert.ok(failure, `the disk never filled up after ${next} batches${out()}`);
    expectDiskFull(failure, `batch ${next - 1}`);
    note(`${acked.size / BATCH} batches acknowledged, batch ${next - 1} refused: ${failure.status} ${failure.text}`);
    assert.ok(acked.size > 0, 'some batches were acknowledged before the disk filled up');
    alive();

    // 2. Keep the disk full to the last byte (the failed round was cut off the log, freeing its pages again).
    fillToTheBrim(topOff);
    assert.equal(await freeBytes(mnt), 0, 'the tmpfs is full');
    await checkReads('disk full');
    for (let k = 0; k < 3; k++) {
      const n = next++;
      const batch = makeBatch(n, 1000 + n);
      expectDiskFull(await upsert(batch), `retry ${k} while full`);
      failedIds.push(...batch.map((r) => r.id));
    }
    // An id already acknowledged, written again with other values: refused, and the old values stay.
    const [firstId] = acked.keys();
    const overwrite = makeBatch(next++, 4242).map((r, i) => (i === 0 ? { ...r, id: firstId! } : r));
    expectDiskFull(await upsert(overwrite), 'overwrite while full');
    failedIds.push(...overwrite.slice(1).map((r) => r.id));

    // Control plane: create_index on a full disk is an error in the control-plane shape and leaves no index.
    const refused = await call(url, 'POST', '/indexes', { name: 'nospace', dimension: 8, metric: 'cosine', spec: SPEC });
    assert.ok(refused.status >= 400 && refused.status < 600 && refused.status !== 201, `create_index on a full disk: ${refused.status} ${refused.text}`);
    assert.deepEqual(Object.keys(refused.body ?? {}).sort(), ['error', 'status'], `control-plane error shape: ${refused.text}`);
    assert.equal(refused.body.status, refused.status);
    assert.equal(typeof refused.body.error.code, 'string');
    assert.equal(typeof refused.body.error.message, 'string');
    note(`create_index on the full disk: ${refused.status} ${refused.text}`);
    assert.equal((await call(url, 'GET', '/indexes/nospace')).status, 404, 'the refused index does not exist');
    const listed = await call(url, 'GET', '/indexes');
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.body.indexes.map((i: { name: string }) => i.name), [INDEX]);

    await checkReads('disk full, after failed writes');
    alive();

    // 3. Free the space: writes succeed again.
    await rm(filler);
    await rm(topOff);
    for (let k = 0; k < 2; k++) {
      const n = next++;
      const batch = makeBatch(n, 1000 + n);
      const res = await upsert(batch);
      assert.equal(res.status, 200, `upsert after freeing space: ${res.text}${out()}`);
      assert.deepEqual(res.body, { upsertedCount: BATCH });
      for (const r of batch) acked.set(r.id, r);
    }
    await checkReads('space freed');
    alive();

    // 4. SIGKILL, restart on the same directory: exactly the acknowledged records are back.
    const before = cli!.output.slice();
    await stopCli(cli!.child, 'SIGKILL');
    url = await start();
    cli!.output.unshift(...before, '--- restarted ---');
    await checkReads('after SIGKILL and restart');
    alive();
    const background = before.filter((l) => l.includes('background work') && l.includes('ENOSPC')).length;
    note(`slab files at the end: ${(await slabFiles(data)).length}; background jobs that hit ENOSPC: ${background}`);
    await stopCli(cli!.child, 'SIGKILL');
  } finally {
    if (cli && cli.child.exitCode === null && cli.child.signalCode === null) await stopCli(cli.child, 'SIGKILL');
    if (mounted) {
      try {
        sh('umount', [mnt]);
      } catch {
        sh('umount', ['-l', mnt]);
      }
    }
    await rm(base, { recursive: true, force: true });
  }
}

function registerScenarios(): void {
  test('disk full (tmpfs): 503 in Pinecone shape, reads keep working, nothing acknowledged lost, no failed write reappears', (t) => scenario(undefined, (m) => t.diagnostic(m)));
  test('disk full (tmpfs) with small memtables: background flushes hit the full disk too', (t) => scenario(16 * 1024, (m) => t.diagnostic(m)));
}

if (process.getuid?.() === 0 || process.env[SCENARIO_ENV] === '1') {
  registerScenarios();
} else {
  test('disk full (tmpfs, in a user + mount namespace via unshare -rm)', async (t) => {
    const probe = spawnSync('unshare', ['-rm', 'true'], { encoding: 'utf8' });
    assert.ok(
      probe.status === 0,
      `This test mounts a small tmpfs to get a real full disk. It needs root, or 'unshare -rm' (unprivileged user ` +
        `namespaces); this machine has neither: not root (uid ${process.getuid?.()}), and 'unshare -rm true' failed ` +
        `(${probe.error?.message ?? `exit ${probe.status}: ${probe.stderr.trim()}`}).`,
    );
    // A plain TAP run of this file, not a node --test child (which would report in the runner's binary format).
    const env: NodeJS.ProcessEnv = { ...process.env, [SCENARIO_ENV]: '1' };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn('unshare', ['-rm', process.execPath, '--test-reporter=tap', THIS_FILE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b));
    child.stderr.on('data', (b: Buffer) => (output += b));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    for (const line of output.split('\n')) if (/^# (?!Subtest:|tests|suites|pass|fail|cancelled|skipped|todo|duration_ms)/.test(line)) t.diagnostic(line.slice(2));
    assert.equal(code, 0, `the scenario failed under unshare -rm:\n${output}`);
    assert.match(output, /^# pass 2$/m, `the scenario did not run under unshare -rm:\n${output}`);
    assert.match(output, /^# fail 0$/m);
  });
}
