/**
 * Pinecone Local's index-emulator mode: the `larchdb` CLI started as a child process with PORT, INDEX_TYPE,
 * VECTOR_TYPE, DIMENSION and METRIC in its environment serves one index's data plane at the root of the port, and
 * the official client 6.x uses `http://127.0.0.1:<port>` itself as the index host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { promisify } from 'node:util';
import { Pinecone, type QueryOptions } from 'pinecone-client-6';
import { tempDir, rejectsWith } from './helpers.js';
import { CLI, startCli, stopCli } from './cli-process.js';

const EMULATOR_VARS = ['PORT', 'INDEX_NAME', 'INDEX_TYPE', 'VECTOR_TYPE', 'DIMENSION', 'METRIC'];

/** The test process's environment without any emulator variable, plus `vars`. */
function envWith(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of EMULATOR_VARS) delete env[k];
  return { ...env, ...vars };
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const srv = createNetServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
}

const run = promisify(execFile);

/** Runs the CLI to completion; resolves with its exit code and stderr. */
async function exitOf(args: string[], vars: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [CLI, ...args], { env: envWith(vars), timeout: 20_000 });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

/** Pinecone Local's curl session, as raw HTTP against the root. */
async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Api-Key': 'pclocal', 'Content-Type': 'application/json', 'X-Pinecone-API-Version': '2025-01' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}


test('dense emulator (plain `larchdb`, PORT from the environment): client 6.x and raw HTTP at the root; restart reuses the index', async () => {
  const dir = await tempDir();
  const port = await freePort();
  const vars = { PORT: String(port), INDEX_TYPE: 'serverless', VECTOR_TYPE: 'dense', DIMENSION: '2', METRIC: 'cosine' };
  try {
    const srv = await startCli(['--data', dir.path, '--log-level', 'warn'], envWith(vars));
    try {
      assert.equal(srv.url, `http://127.0.0.1:${port}`, 'PORT is honoured');
      assert.match(srv.banner, /created index 'index'/);
      const pc = new Pinecone({ apiKey: 'pclocal', controllerHostUrl: srv.url, maxRetries: 0 });
      const index = pc.index('index', srv.url);

      await index.upsert([
        { id: 'vec1', values: [1.0, -2.5], metadata: { genre: 'drama' } },
        { id: 'vec2', values: [3.0, -2.0], metadata: { genre: 'documentary' } },
        { id: 'vec3', values: [0.5, -1.5], metadata: { genre: 'documentary' } },
      ]);
      const q = await index.query({ vector: [3.0, -2.0], topK: 3, filter: { genre: { $eq: 'documentary' } }, includeMetadata: true, includeValues: true });
      assert.deepEqual(q.matches.map((m) => m.id), ['vec2', 'vec3']);
      assert.ok(Math.abs(q.matches[0]!.score! - 1) < 1e-6);
      assert.deepEqual(q.matches[0]!.metadata, { genre: 'documentary' });
      assert.deepEqual(q.matches[0]!.values, [3, -2]);

      const stats = await index.describeIndexStats();
      assert.equal(stats.totalRecordCount, 3);
      assert.equal(stats.dimension, 2);
      assert.deepEqual(stats.namespaces, { __default__: { recordCount: 3 } });

      const f = await index.fetch(['vec1', 'missing']);
      assert.deepEqual(Object.keys(f.records), ['vec1']);
      assert.deepEqual(f.records.vec1!.metadata, { genre: 'drama' });
      await index.namespace('other').upsert([{ id: 'o', values: [1, 1] }]);
      assert.equal((await index.namespace('other').fetch(['o'])).records.o?.id, 'o');

      await index.deleteOne('vec1');
      await index.deleteMany({ genre: { $eq: 'documentary' } });
      assert.deepEqual((await index.fetch(['vec1', 'vec2', 'vec3'])).records, {});
      assert.equal((await index.describeIndexStats()).totalRecordCount, 1);

      // Errors on the root data plane have the data-plane shape, so the client shows the bare message.
      await rejectsWith(index.query({ vector: [1, 2, 3], topK: 1 }), 'PineconeBadRequestError', /^Vector dimension 3 does not match the dimension of the index 2/);

      // Pinecone Local's curl session (§25): upsert → describe_index_stats with {} → query with a filter.
      const up = await post(`${srv.url}/vectors/upsert`, {
        namespace: 'example-namespace',
        vectors: [
          { id: 'c1', values: [1.0, 1.5], metadata: { genre: 'comedy' } },
          { id: 'c2', values: [2.0, 1.0], metadata: { genre: 'drama' } },
        ],
      });
      assert.deepEqual(up, { status: 200, json: { upsertedCount: 2 } });
      const st = await post(`${srv.url}/describe_index_stats`, {});
      assert.equal(st.status, 200);
      // The emptied default namespace is still listed.
      assert.deepEqual(st.json.namespaces, { __default__: { vectorCount: 0 }, 'example-namespace': { vectorCount: 2 }, other: { vectorCount: 1 } });
      assert.equal(st.json.dimension, 2);
      assert.equal(st.json.totalVectorCount, 3);
      const rq = await post(`${srv.url}/query`, { namespace: 'example-namespace', vector: [1.0, 1.5], topK: 2, filter: { genre: { $eq: 'comedy' } }, includeMetadata: true });
      assert.equal(rq.status, 200);
      assert.deepEqual((rq.json.matches as { id: string; metadata: unknown }[]).map((m) => [m.id, m.metadata]), [['c1', { genre: 'comedy' }]]);
      const bad = await post(`${srv.url}/query`, { vector: [1], topK: 1 });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.code, 3);
      assert.match(String(bad.json.message), /dimension/);
      const badUpsert = await post(`${srv.url}/vectors/upsert`, { vectors: [{ id: 'x', values: [1, 2, 3] }] });
      assert.equal(badUpsert.status, 400);
      assert.equal(badUpsert.json.code, 3);
      assert.match(String(badUpsert.json.message), /dimension 3 does not match/);

      // The control plane answers on the same port, and /index/<name> is the same index.
      const model = await pc.describeIndex('index');
      assert.equal(model.dimension, 2);
      assert.equal(model.metric, 'cosine');
      assert.equal(model.host, `${srv.url}/index/index`);
      assert.equal((await pc.index('index').describeIndexStats()).totalRecordCount, 3);
    } finally {
      assert.equal(await stopCli(srv.child), 0, srv.output.join('\n'));
    }

    // Unlike Pinecone Local, the data survives a restart: the index is reused when the environment matches.
    const again = await startCli(['serve', '--data', dir.path, '--port', '0', '--log-level', 'warn'], envWith(vars));
    try {
      assert.notEqual(again.url, `http://127.0.0.1:${port}`, '--port wins over PORT');
      assert.match(again.banner, /reused index 'index'/);
      const pc = new Pinecone({ apiKey: 'pclocal', maxRetries: 0 });
      assert.equal((await pc.index('index', again.url).describeIndexStats()).totalRecordCount, 3);
    } finally {
      assert.equal(await stopCli(again.child), 0, again.output.join('\n'));
    }

    // Another configuration under the same name is refused (exit 1), naming both.
    const clash = await exitOf(['--data', dir.path, '--port', '0'], { ...vars, DIMENSION: '3' });
    assert.equal(clash.code, 1, clash.stderr);
    assert.match(clash.stderr, /index 'index' already exists .* dense, dimension 2, metric cosine, serverless.* dense, dimension 3/);
  } finally {
    await dir.cleanup();
  }
});

test('sparse emulator (VECTOR_TYPE=sparse DIMENSION=0 METRIC=dotproduct)', async () => {
  const dir = await tempDir();
  try {
    const srv = await startCli(['serve', '--data', dir.path, '--log-level', 'warn'], envWith({ PORT: '0', INDEX_TYPE: 'serverless', VECTOR_TYPE: 'sparse', DIMENSION: '0', METRIC: 'dotproduct' }));
    try {
      const pc = new Pinecone({ apiKey: 'pclocal', maxRetries: 0 });
      const index = pc.index('index', srv.url);
      await index.upsert([
        { id: 's1', sparseValues: { indices: [1, 5], values: [0.5, 0.5] }, metadata: { genre: 'drama' } },
        { id: 's2', sparseValues: { indices: [5, 9], values: [1, 2] }, metadata: { genre: 'comedy' } },
        { id: 's3', sparseValues: { indices: [5], values: [4] }, metadata: { genre: 'drama' } },
      ]);
      // The 6.x client's types demand `vector` even for sparse indexes; at run time it sends only what is given.
      const q = await index.query({ sparseVector: { indices: [5], values: [1] }, topK: 3, filter: { genre: 'drama' }, includeMetadata: true } as unknown as QueryOptions);
      assert.deepEqual(q.matches.map((m) => [m.id, m.score, m.metadata]), [
        ['s3', 4, { genre: 'drama' }],
        ['s1', 0.5, { genre: 'drama' }],
      ]);
      const stats = await index.describeIndexStats();
      assert.equal(stats.totalRecordCount, 3);
      assert.equal(stats.dimension, undefined);
      assert.deepEqual((await index.fetch(['s2'])).records.s2?.sparseValues, { indices: [5, 9], values: [1, 2] });
      await index.deleteMany(['s1', 's2']);
      assert.equal((await index.describeIndexStats()).totalRecordCount, 1);
      await rejectsWith(index.query({ vector: [1, 2], topK: 1 }), 'PineconeBadRequestError', /sparse/);

      const st = await post(`${srv.url}/describe_index_stats`, {});
      assert.equal(st.status, 200);
      assert.equal(st.json.vectorType, 'sparse');
      assert.equal(st.json.metric, 'dotproduct');
      assert.deepEqual(st.json.namespaces, { __default__: { vectorCount: 1 } });
    } finally {
      assert.equal(await stopCli(srv.child), 0, srv.output.join('\n'));
    }
  } finally {
    await dir.cleanup();
  }
});

test('INDEX_TYPE=pod and INDEX_NAME: a pod-spec index under that name', async () => {
  const dir = await tempDir();
  try {
    const srv = await startCli(['--data', dir.path, '--log-level', 'warn'], envWith({ PORT: '0', INDEX_TYPE: 'pod', DIMENSION: '3', METRIC: 'euclidean', INDEX_NAME: 'pods' }));
    try {
      const pc = new Pinecone({ apiKey: 'pclocal', controllerHostUrl: srv.url, maxRetries: 0 });
      const model = await pc.describeIndex('pods');
      assert.equal(model.metric, 'euclidean');
      assert.equal(model.spec.pod?.environment, 'us-east-1-aws');
      assert.equal(model.spec.serverless, undefined);
      const index = pc.index('pods', srv.url);
      await index.upsert([{ id: 'a', values: [0, 0, 0] }, { id: 'b', values: [1, 2, 2] }]);
      assert.deepEqual((await index.query({ vector: [0, 0, 0], topK: 2 })).matches.map((m) => [m.id, m.score]), [['a', 0], ['b', 9]]);
    } finally {
      assert.equal(await stopCli(srv.child), 0, srv.output.join('\n'));
    }
  } finally {
    await dir.cleanup();
  }
});

test('bad emulator environment: exit code 2 and a message naming the variable', async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ DIMENSION: 'abc' }, /DIMENSION must be a non-negative integer, got 'abc'/],
    [{ INDEX_TYPE: 'serverless' }, /DIMENSION is required for a dense index/],
    [{ DIMENSION: '0' }, /DIMENSION must be an integer from 1 to 20000 for a dense index, got '0'/],
    [{ DIMENSION: '20001' }, /DIMENSION must be an integer from 1 to 20000/],
    [{ DIMENSION: '2', INDEX_TYPE: 'hybrid' }, /INDEX_TYPE must be one of serverless, pod, got 'hybrid'/],
    [{ DIMENSION: '2', VECTOR_TYPE: 'binary' }, /VECTOR_TYPE must be one of dense, sparse, got 'binary'/],
    [{ DIMENSION: '2', METRIC: 'manhattan' }, /METRIC must be one of cosine, euclidean, dotproduct, got 'manhattan'/],
    [{ VECTOR_TYPE: 'sparse', DIMENSION: '8' }, /DIMENSION must be 0 \(or unset\) when VECTOR_TYPE=sparse/],
    [{ VECTOR_TYPE: 'sparse', METRIC: 'cosine' }, /METRIC must be dotproduct when VECTOR_TYPE=sparse/],
    [{ VECTOR_TYPE: 'sparse', INDEX_TYPE: 'pod' }, /VECTOR_TYPE=sparse needs INDEX_TYPE=serverless/],
    [{ DIMENSION: '2', PORT: '99999' }, /PORT must be an integer from 0 to 65535/],
    [{ DIMENSION: '2', PORT: 'http' }, /PORT must be a non-negative integer/],
    [{ DIMENSION: '2', INDEX_NAME: 'Bad_Name' }, /INDEX_NAME: Index name must contain only lowercase/],
  ];
  await Promise.all(
    cases.map(async ([vars, message]) => {
      const r = await exitOf(['--data', '/nonexistent/never-opened'], vars);
      assert.equal(r.code, 2, `${JSON.stringify(vars)}: ${r.stderr}`);
      assert.match(r.stderr, message, JSON.stringify(vars));
    }),
  );
  // Without a trigger variable there is no emulator mode, so plain `larchdb` prints the help and exits 0.
  const plain = await run(process.execPath, [CLI], { env: envWith({ METRIC: 'cosine', PORT: '5081' }), timeout: 20_000 });
  assert.match(plain.stdout, /Usage: larchdb serve/);
  const help = await exitOf(['--help'], {});
  assert.equal(help.code, 0);
  const usage = await run(process.execPath, [CLI, '--help'], { env: envWith({}) });
  assert.match(usage.stdout, /Index-emulator mode/);
  assert.match(usage.stdout, /DIMENSION, INDEX_TYPE or VECTOR_TYPE/);
});
