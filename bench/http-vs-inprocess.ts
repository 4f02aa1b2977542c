/**
 * Query latency and throughput over HTTP vs in-process, on the same data in the same run.
 *
 * One process opens an in-memory LarchDB, upserts `n` seeded random vectors into a cosine index, and serves that same
 * database over HTTP on 127.0.0.1. For each concurrency level the same query set runs three ways:
 *
 *   in-process   `db.index(name).query({ vector, topK })`
 *   http client  the official `@pinecone-database/pinecone` 6.x client, `pc.index(name).query(...)`
 *   http fetch   a bare `fetch` POST to `<host>/query` (same transport as the client: Node's global fetch), to tell
 *                the client library's own overhead from the HTTP server's
 *
 * Latencies are per request (closed loop: `concurrency` callers, each sending its next query when the previous one
 * answers), recorded in an HdrHistogram. Every answer over HTTP is checked against the in-process answer to the same
 * query (same top-k ids), and the run fails if they differ.
 *
 * Client and server share this process and its cores, so the HTTP figures include the client's own CPU (JSON
 * encoding and decoding, undici) as well as the server's.
 *
 *   npm run bench:http -- --n 10000 --dim 384 --queries 2000 --k 10 --concurrency 1,16 --warmup 200 [--json]
 *
 * @module
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { makeLog, posInt, prng, systemBusyMs } from './common.js';
import { performance } from 'node:perf_hooks';
import { Pinecone } from 'pinecone-client-6';
import { LarchDB } from '../engine/index.js';
import { MAX_BATCH, MAX_REQUEST_BYTES } from '../engine/internal.js';
import { createServer } from '../server/app.js';
import { LatencyHistogram, type LatencySummary } from './stats.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    dim: { type: 'string', default: '384' },
    queries: { type: 'string', default: '2000' },
    k: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '1,16' },
    warmup: { type: 'string', default: '200' },
    check: { type: 'string', default: '50' },
    seed: { type: 'string', default: '42' },
    json: { type: 'boolean', default: false },
  },
});


const N = posInt('n', args.n);
const DIM = posInt('dim', args.dim);
const QUERIES = posInt('queries', args.queries);
const K = Math.min(posInt('k', args.k), N);
const CONCURRENCY = (args.concurrency ?? '').split(',').map((s) => posInt('concurrency', s.trim()));
const WARMUP = posInt('warmup', args.warmup);
const CHECK = Math.min(posInt('check', args.check), QUERIES);
const SEED = posInt('seed', args.seed);
const JSON_OUT = args.json ?? false;
const INDEX = 'bench-http';
const CORES = availableParallelism();

const log = makeLog(JSON_OUT);



const randomVector = (rand: () => number): number[] => Array.from({ length: DIM }, () => rand() * 2 - 1);

// ---------------------------------------------------------------------------
// Modes: each answers one query with its matches (id and score, best first).

interface Match {
  id: string;
  score?: number;
}
type Ask = (vector: number[]) => Promise<Match[]>;
interface Mode {
  name: string;
  ask: Ask;
}

interface RunResult {
  latency: LatencySummary;
  wallMs: number;
  qps: number;
  /** Process CPU (all threads) per query, ms. */
  cpuMsPerQuery: number;
  /** Main-thread event-loop utilisation (0–1): the HTTP server and client both run there. */
  mainThreadUtil: number;
  /** CPU used by other processes during the run, as a share of all cores (0–1); null where unknown (not Linux). */
  otherLoad: number | null;
  answers: Match[][];
}

/** Closed loop: `concurrency` callers take the next query as soon as their previous one answers. */
async function run(ask: Ask, queries: number[][], concurrency: number): Promise<RunResult> {
  const hist = new LatencyHistogram();
  const answers: Match[][] = new Array(queries.length);
  let next = 0;
  const caller = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= queries.length) return;
      const t = performance.now();
      const matches = await ask(queries[i]!);
      hist.record(performance.now() - t);
      answers[i] = matches;
    }
  };
  const busy0 = systemBusyMs();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, queries.length) }, caller));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const busy1 = systemBusyMs();
  const ownMs = (cpu.user + cpu.system) / 1000;
  return {
    latency: hist.summary(),
    wallMs,
    qps: queries.length / (wallMs / 1000),
    cpuMsPerQuery: ownMs / queries.length,
    mainThreadUtil: elu.utilization,
    otherLoad: busy0 === null || busy1 === null ? null : Math.max(0, (busy1 - busy0 - ownMs) / (wallMs * CORES)),
    answers,
  };
}

/** Same ids in the same order; a swap is tolerated only between scores equal to float precision. */
function sameTopK(got: Match[], want: Match[]): boolean {
  if (got.length !== want.length) return false;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Math.abs((g.score ?? NaN) - (w.score ?? NaN)) > 1e-6) return false;
    if (g.id !== w.id && !want.some((m) => m.id === g.id)) return false;
  }
  return true;
}

function assertAgree(what: string, qi: number, got: Match[], want: Match[]): void {
  if (!sameTopK(got, want)) {
    const fmt = (ms: Match[]) => ms.map((m) => `${m.id}:${m.score?.toFixed(6)}`).join(' ');
    throw new Error(`${what} disagrees with in-process for query ${qi} (top-${K}):\n` +
      `  ${what.padEnd(11)} ${fmt(got)}\n  in-process  ${fmt(want)}`);
  }
}

// ---------------------------------------------------------------------------

interface Row {
  concurrency: number;
  mode: string;
  queries: number;
  qps: number;
  latencyMs: LatencySummary;
  cpuMsPerQuery: number;
  mainThreadUtil: number;
  otherLoad: number | null;
}

async function main(): Promise<void> {
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown cpu';
  const loadAtStart = loadavg()[0]!;
  log(`http-vs-inprocess: n=${N} dim=${DIM} queries=${QUERIES} k=${K} concurrency=${CONCURRENCY.join(',')} ` +
    `warmup=${WARMUP}, cosine, node ${process.version}, ${CORES} cores (${cpuModel}), load average ${loadAtStart.toFixed(2)}`);

  const db = await LarchDB.open({ path: ':memory:' });
  const diag = db.diagnostics();
  let app: ReturnType<typeof createServer> | undefined;
  try {
    await db.createIndex({ name: INDEX, dimension: DIM, metric: 'cosine', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
    const local = db.index(INDEX);

    // In-process batches are binary (4 bytes a float); keep them well under the 2 MB request limit.
    const batchSize = Math.max(1, Math.min(MAX_BATCH, Math.floor((MAX_REQUEST_BYTES * 0.75) / (DIM * 4 + 64))));
    const rand = prng(SEED);
    const tLoad = performance.now();
    for (let start = 0; start < N; start += batchSize) {
      const batch = Array.from({ length: Math.min(batchSize, N - start) }, (_, j) => ({ id: `v${start + j}`, values: randomVector(rand) }));
      await local.upsert(batch);
    }
    const stats = await local.describeIndexStats();
    if (stats.totalRecordCount !== N) throw new Error(`expected ${N} records after upsert, index reports ${stats.totalRecordCount}`);
    log(`  loaded ${N} vectors in ${((performance.now() - tLoad) / 1000).toFixed(1)} s (batches of ${batchSize}); ` +
      `engine threads: ${diag.hosts} namespace host(s), ${diag.executors} query executor(s)`);

    app = createServer({ db });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const pc = new Pinecone({ apiKey: 'x', controllerHostUrl: base, maxRetries: 0 });
    const host = (await pc.describeIndex(INDEX)).host;
    const remote = pc.index(INDEX);
    log(`  server on ${base}, index host ${host}`);

    const queries = Array.from({ length: QUERIES }, () => randomVector(rand));
    const warmupQueries = Array.from({ length: WARMUP }, () => randomVector(rand));

    const headers = { 'content-type': 'application/json', 'api-key': 'x', 'x-pinecone-api-version': '2025-04' };
    const modes: Mode[] = [
      { name: 'in-process', ask: async (vector) => (await local.query({ vector, topK: K })).matches },
      { name: 'http client', ask: async (vector) => (await remote.query({ vector, topK: K })).matches },
      {
        name: 'http fetch',
        ask: async (vector) => {
          const res = await fetch(`${host}/query`, { method: 'POST', headers, body: JSON.stringify({ vector, topK: K }) });
          const body = (await res.json()) as { matches?: Match[]; message?: string };
          if (!res.ok) throw new Error(`POST ${host}/query: HTTP ${res.status}: ${JSON.stringify(body)}`);
          return body.matches ?? [];
        },
      },
    ];

    // Agreement, before any timing: a spread of queries, one at a time, all modes.
    for (let c = 0; c < CHECK; c++) {
      const qi = Math.floor((c * QUERIES) / CHECK);
      const want = await modes[0]!.ask(queries[qi]!);
      if (want.length !== K) throw new Error(`in-process returned ${want.length} matches for query ${qi}, expected ${K}`);
      for (const m of modes.slice(1)) assertAgree(m.name, qi, await m.ask(queries[qi]!), want);
    }
    log(`  agreement: top-${K} ids and scores identical in all modes for ${CHECK} sampled queries`);

    const rows: Row[] = [];
    let reference: Match[][] | undefined;
    let checked = 0;
    for (const conc of CONCURRENCY) {
      for (const mode of modes) {
        await run(mode.ask, warmupQueries, conc);
        (globalThis as { gc?: () => void }).gc?.();
        const r = await run(mode.ask, queries, conc);
        if (!reference) reference = r.answers;
        else {
          for (let qi = 0; qi < QUERIES; qi++) assertAgree(mode.name, qi, r.answers[qi]!, reference[qi]!);
          checked += QUERIES;
        }
        rows.push({
          concurrency: conc,
          mode: mode.name,
          queries: QUERIES,
          qps: r.qps,
          latencyMs: r.latency,
          cpuMsPerQuery: r.cpuMsPerQuery,
          mainThreadUtil: r.mainThreadUtil,
          otherLoad: r.otherLoad,
        });
        log(`  c=${String(conc).padEnd(3)} ${mode.name.padEnd(12)} ${r.qps.toFixed(0).padStart(6)} qps  ` +
          `p50 ${r.latency.p50Ms.toFixed(2)} ms  p99 ${r.latency.p99Ms.toFixed(2)} ms`);
      }
    }
    log(`  agreement: every timed answer matched the in-process (c=${CONCURRENCY[0]}) answer (${checked} answers checked)`);

    const ratios = CONCURRENCY.map((conc) => {
      const at = (mode: string) => rows.find((r) => r.concurrency === conc && r.mode === mode)!;
      const inproc = at('in-process');
      const vs = (mode: string) => {
        const h = at(mode);
        return {
          p50: h.latencyMs.p50Ms / inproc.latencyMs.p50Ms,
          p99: h.latencyMs.p99Ms / inproc.latencyMs.p99Ms,
          qps: h.qps / inproc.qps,
        };
      };
      return { concurrency: conc, httpClient: vs('http client'), httpFetch: vs('http fetch') };
    });

    const note = `Client and server share one process and its ${CORES} cores: HTTP figures include the client's own CPU ` +
      `(JSON encode/decode, undici) and the server's, both on the main thread; the engine's ${diag.executors} query ` +
      `executor thread(s) compete for the same cores. Latency is per request in a closed loop, so at concurrency > 1 it ` +
      `includes queueing. cpu ms/q = process CPU (all threads) per query; main util = main-thread event-loop utilisation; ` +
      `other = CPU used by other processes during the run, as a share of all cores (from /proc/stat).`;
    const busiest = Math.max(...rows.map((r) => r.otherLoad ?? 0));
    const quiet = busiest <= 0.05;

    if (JSON_OUT) {
      process.stdout.write(JSON.stringify({
        config: { n: N, dim: DIM, queries: QUERIES, k: K, concurrency: CONCURRENCY, warmup: WARMUP, seed: SEED, metric: 'cosine' },
        environment: {
          node: process.version, cores: CORES, cpu: cpuModel, queryExecutors: diag.executors, namespaceHosts: diag.hosts,
          loadAverage: { start: loadAtStart, end: loadavg()[0]! },
        },
        results: rows,
        ratios,
        agreement: { sampled: CHECK, timedAnswersChecked: checked },
        quiet,
        note,
      }, null, 2) + '\n');
      return;
    }

    const line = '-'.repeat(105);
    const f = (x: number, w: number, d = 2) => x.toFixed(d).padStart(w);
    console.log(`\n${line}`);
    console.log(`${'conc'.padEnd(6)}${'mode'.padEnd(13)}${'QPS'.padStart(8)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}` +
      `${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}${'mean ms'.padStart(9)}${'cpu ms/q'.padStart(10)}${'main util'.padStart(11)}${'other'.padStart(7)}`);
    console.log(line);
    for (const r of rows) {
      const l = r.latencyMs;
      console.log(`${String(r.concurrency).padEnd(6)}${r.mode.padEnd(13)}${f(r.qps, 8, 0)}${f(l.p50Ms, 9)}${f(l.p95Ms, 9)}` +
        `${f(l.p99Ms, 9)}${f(l.maxMs, 9)}${f(l.meanMs, 9)}${f(r.cpuMsPerQuery, 10)}${f(r.mainThreadUtil * 100, 10, 0)}%` +
        (r.otherLoad === null ? '      ?' : `${f(r.otherLoad * 100, 6, 0)}%`));
    }
    console.log(line);
    for (const r of ratios) {
      for (const [name, v] of [['http client', r.httpClient], ['http fetch', r.httpFetch]] as const) {
        console.log(`c=${r.concurrency} ${name.padEnd(11)} / in-process: p50 ${v.p50.toFixed(2)}x, p99 ${v.p99.toFixed(2)}x, ` +
          `QPS ${v.qps.toFixed(2)}x`);
      }
    }
    console.log(`\n${note}`);
    if (!quiet) console.log(`warning: other processes used up to ${(busiest * 100).toFixed(0)}% of the cores during a run; the numbers are noisy.`);
  } finally {
    await app?.close();
    await db.close();
  }
}

await main();
