/**
 * Query latency and throughput over HTTP vs in-process, on the same data in the same run, with the server in a
 * process of its own.
 *
 * The bench starts `larchdb serve` as a child process (bench/server-process.ts) and opens an in-memory LarchDB in its
 * own process; the same seeded random vectors go into both (in-process upsert; HTTP upsert). Both keep the records in
 * their memtable (idle flush off), so both answer exactly and every answer can be compared. For each concurrency
 * level the same query set runs these ways:
 *
 *   in-process   `db.index(name).query({ vector, topK })` in this process
 *   http fetch   a bare `fetch` POST to `<host>/query` (Node's global fetch, keep-alive)
 *   http node    the same request with `node:http` and a keep-alive agent: a lighter client than fetch (undici),
 *                to tell the client's share of the HTTP cost from the server's
 *   http client  the official `@pinecone-database/pinecone` 6.x client (same transport), to tell the client
 *                library's own cost from the server's
 *   baseline     with `--baseline <path to another build's dist/cli/larchdb.js>`: raw fetch to a second server
 *                started from that build, for an A/B of server changes in the same run. Calibrate with an A/A run
 *                (the baseline a copy of this build): on the 2-vCPU VM the second server came out 10-20% slower
 *                at small queries (server CPU per query, QPS at c=16), so smaller differences there mean nothing
 *
 * The modes take turns: each concurrency level runs `--rounds` rounds, each round a slice of the queries in every
 * mode (the order rotating), so machine drift hits all modes alike. Latencies are per request (closed loop:
 * `concurrency` callers, each sending its next query when the previous one answers). Every timed answer is checked
 * against the in-process answer to the same query (same top-k ids), and the run fails if they differ.
 *
 * Then the large-response section (bench/http-large-responses.ts): a 768-d index of `--large-n` records in the
 * server (and the baseline server), a fetch of all of them and a query with includeValues and topK = all, each while
 * a probe sends small requests back to back: the probes' max and p99 latency show how long the large answer held the
 * server's event loop.
 *
 *   npm run bench:http -- --n 10000 --dim 384 --queries 2000 --rounds 5 --k 10 --concurrency 1,16 [--json]
 *     [--baseline ../base/dist/cli/larchdb.js] [--server-node-args=--cpu-prof,--cpu-prof-dir=/tmp/prof]
 *
 * @module
 */
import { Agent, request } from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Pinecone } from 'pinecone-client-6';
import { makeLog, posInt, prng, systemBusyMs } from './common.js';
import { LarchDB } from '../engine/index.js';
import { MAX_BATCH, MAX_REQUEST_BYTES } from '../engine/internal.js';
import { LatencyHistogram, type LatencySummary } from './stats.js';
import { processCpuMs, startServer, type ServerProcess } from './server-process.js';
import { largeSample, loadLargeIndex, median, type LargeIndex, type LargeKind, type LargeSample } from './http-large-responses.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    dim: { type: 'string', default: '384' },
    queries: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    k: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '1,16' },
    warmup: { type: 'string', default: '200' },
    check: { type: 'string', default: '50' },
    seed: { type: 'string', default: '42' },
    'large-n': { type: 'string', default: '1000' },
    'large-dim': { type: 'string', default: '768' },
    'large-reps': { type: 'string', default: '5' },
    baseline: { type: 'string' },
    'server-node-args': { type: 'string', default: '' },
    'no-client': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const N = posInt('n', args.n);
const DIM = posInt('dim', args.dim);
const QUERIES = posInt('queries', args.queries);
const ROUNDS = Math.min(posInt('rounds', args.rounds), QUERIES);
const K = Math.min(posInt('k', args.k), N);
const CONCURRENCY = (args.concurrency ?? '').split(',').map((s) => posInt('concurrency', s.trim()));
const WARMUP = posInt('warmup', args.warmup);
const CHECK = Math.min(posInt('check', args.check), QUERIES);
const SEED = posInt('seed', args.seed);
const LARGE_N = posInt('large-n', args['large-n']);
const LARGE_DIM = posInt('large-dim', args['large-dim']);
const LARGE_REPS = args['large-reps'] === '0' ? 0 : posInt('large-reps', args['large-reps']); // 0: skip the section
const SERVER_NODE_ARGS = (args['server-node-args'] ?? '').split(',').filter(Boolean);
const JSON_OUT = args.json ?? false;
const INDEX = 'bench-http';
const LARGE_INDEX = 'bench-large';
const CORES = availableParallelism();
const SPEC = { serverless: { cloud: 'aws', region: 'us-east-1' } } as const;
/** Both databases keep every record in the memtable, so both search exactly and their answers can be compared. */
const EXACT = { idleFlushMs: 0 };

const log = makeLog(JSON_OUT);
/** Keep-alive connections for the node:http mode. */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const randomVector = (rand: () => number, dim: number): number[] => Array.from({ length: dim }, () => Math.fround(rand() * 2 - 1));

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
  /** The server process this mode talks to (its CPU is counted per query). */
  server?: ServerProcess;
}

interface Totals {
  hist: LatencyHistogram;
  queries: number;
  wallMs: number;
  clientCpuMs: number;
  serverCpuMs: number;
  otherMs: number;
  /** p50 per round. */
  roundP50: number[];
  /** QPS per round. */
  roundQps: number[];
}

/** Closed loop over `queries[from, to)`: `concurrency` callers take the next query when their previous one answers. */
async function run(mode: Mode, queries: number[][], from: number, to: number, concurrency: number, answers: Match[][], into?: Totals): Promise<void> {
  const hist = new LatencyHistogram();
  let next = from;
  const caller = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= to) return;
      const t = performance.now();
      const matches = await mode.ask(queries[i]!);
      const ms = performance.now() - t;
      hist.record(ms);
      into?.hist.record(ms);
      answers[i] = matches;
    }
  };
  const busy0 = systemBusyMs();
  const srv0 = mode.server?.cpuMs() ?? 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, to - from) }, caller));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const srvMs = (mode.server?.cpuMs() ?? 0) - srv0;
  const busy1 = systemBusyMs();
  if (!into) return;
  const ownMs = (cpu.user + cpu.system) / 1000;
  into.queries += to - from;
  into.wallMs += wallMs;
  into.clientCpuMs += ownMs;
  into.serverCpuMs += srvMs;
  // CPU of every process on the machine but this one and its server, during the run.
  if (busy0 !== null && busy1 !== null) into.otherMs += Math.max(0, busy1 - busy0 - ownMs - srvMs);
  into.roundP50.push(hist.summary().p50Ms);
  into.roundQps.push((to - from) / (wallMs / 1000));
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

function assertAgree(what: string, qi: number, got: Match[] | undefined, want: Match[]): void {
  if (!got || !sameTopK(got, want)) {
    const fmt = (ms: Match[] | undefined) => (ms ?? []).map((m) => `${m.id}:${m.score?.toFixed(6)}`).join(' ');
    throw new Error(`${what} disagrees with in-process for query ${qi} (top-${K}):\n` +
      `  ${what.padEnd(11)} ${fmt(got)}\n  in-process  ${fmt(want)}`);
  }
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

// ---------------------------------------------------------------------------

interface Row {
  concurrency: number;
  mode: string;
  queries: number;
  qps: number;
  latencyMs: LatencySummary;
  /** Median over rounds of each round's p50, and of each round's QPS. */
  roundMedian: { p50Ms: number; qps: number };
  clientCpuMsPerQuery: number;
  serverCpuMsPerQuery: number | null;
  otherLoad: number | null;
}

interface LargeRow {
  server: string;
  kind: LargeKind;
  samples: LargeSample[];
  median: { largeMs: number; probeMaxMs: number; probeP99Ms: number; probeP50Ms: number };
  worstProbeMaxMs: number;
  bytes: number;
}

async function main(): Promise<void> {
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown cpu';
  const loadAtStart = loadavg()[0]!;
  log(`http-vs-inprocess: n=${N} dim=${DIM} queries=${QUERIES} rounds=${ROUNDS} k=${K} concurrency=${CONCURRENCY.join(',')} ` +
    `warmup=${WARMUP}, cosine, node ${process.version}, ${CORES} cores (${cpuModel}), load average ${loadAtStart.toFixed(2)}`);

  const serverArgs = ['--data', ':memory:', '--idle-flush-ms', '0'];
  const db = await LarchDB.open({ path: ':memory:', ...EXACT });
  const servers: { name: string; proc: ServerProcess }[] = [];
  try {
    servers.push({ name: 'this build', proc: await startServer({ args: serverArgs, nodeArgs: SERVER_NODE_ARGS }) });
    if (args.baseline) servers.push({ name: 'baseline', proc: await startServer({ cli: args.baseline, args: serverArgs }) });
    const diag = db.diagnostics();
    const headers = { 'content-type': 'application/json', 'api-key': 'x', 'x-pinecone-api-version': '2025-04' };

    // The same records, in the same order, into the in-process database and every server.
    const rand = prng(SEED);
    const records = Array.from({ length: N }, (_, i) => ({ id: `v${i}`, values: randomVector(rand, DIM) }));
    await db.createIndex({ name: INDEX, dimension: DIM, metric: 'cosine', spec: SPEC });
    const local = db.index(INDEX);
    const tLoad = performance.now();
    // In-process batches are binary (4 bytes a float); keep them well under the 2 MB request limit.
    const batchSize = Math.max(1, Math.min(MAX_BATCH, Math.floor((MAX_REQUEST_BYTES * 0.75) / (DIM * 4 + 64))));
    for (let start = 0; start < N; start += batchSize) await local.upsert(records.slice(start, start + batchSize));
    // Over HTTP the 2 MB limit is on the JSON (about 20 bytes a float).
    const httpBatch = Math.max(1, Math.min(MAX_BATCH, Math.floor(1_500_000 / (DIM * 22 + 64))));
    const hosts: string[] = [];
    for (const s of servers) {
      await post(`${s.proc.url}/indexes`, { name: INDEX, dimension: DIM, metric: 'cosine', spec: SPEC }, headers);
      const host = `${s.proc.url}/index/${INDEX}`;
      for (let start = 0; start < N; start += httpBatch) await post(`${host}/vectors/upsert`, { vectors: records.slice(start, start + httpBatch) }, headers);
      const stats = await post(`${host}/describe_index_stats`, {}, headers);
      if (stats.totalVectorCount !== N) throw new Error(`${s.name} server: expected ${N} records, it reports ${stats.totalVectorCount}`);
      hosts.push(host);
    }
    if ((await local.describeIndexStats()).totalRecordCount !== N) throw new Error(`in-process: expected ${N} records`);
    log(`  loaded ${N} vectors in-process and into ${servers.length} server process(es) (${servers.map((s) => `${s.name} pid ${s.proc.pid} at ${s.proc.url}`).join(', ')}) ` +
      `in ${((performance.now() - tLoad) / 1000).toFixed(1)} s; engine threads per process: ${diag.hosts} namespace host(s), ${diag.executors} query executor(s)`);

    const rawFetch = (host: string): Ask => async (vector) => {
      const res = await fetch(`${host}/query`, { method: 'POST', headers, body: JSON.stringify({ vector, topK: K }) });
      const body = (await res.json()) as { matches?: Match[]; message?: string };
      if (!res.ok) throw new Error(`POST ${host}/query: HTTP ${res.status}: ${JSON.stringify(body)}`);
      return body.matches ?? [];
    };
    const nodeHttp = (host: string): Ask => {
      const url = new URL(`${host}/query`);
      return (vector) =>
        new Promise((resolve, reject) => {
          const body = JSON.stringify({ vector, topK: K });
          const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { matches?: Match[] };
              if (res.statusCode !== 200) reject(new Error(`POST ${url}: HTTP ${res.statusCode}: ${JSON.stringify(parsed)}`));
              else resolve(parsed.matches ?? []);
            });
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end(body);
        });
    };
    const pc = new Pinecone({ apiKey: 'x', controllerHostUrl: servers[0]!.proc.url, maxRetries: 0 });
    const remote = pc.index(INDEX);
    const modes: Mode[] = [
      { name: 'in-process', ask: async (vector) => (await local.query({ vector, topK: K })).matches },
      { name: 'http fetch', ask: rawFetch(hosts[0]!), server: servers[0]!.proc },
      { name: 'http node', ask: nodeHttp(hosts[0]!), server: servers[0]!.proc },
    ];
    if (!args['no-client']) modes.push({ name: 'http client', ask: async (vector) => (await remote.query({ vector, topK: K })).matches, server: servers[0]!.proc });
    if (servers[1]) modes.push({ name: 'baseline', ask: rawFetch(hosts[1]!), server: servers[1].proc });

    const queries = Array.from({ length: QUERIES }, () => randomVector(rand, DIM));
    const warmupQueries = Array.from({ length: WARMUP }, () => randomVector(rand, DIM));

    // The reference: every query's in-process answer, before any timing; a spread of them also asked of every mode.
    const reference: Match[][] = [];
    for (let qi = 0; qi < QUERIES; qi++) reference[qi] = (await local.query({ vector: queries[qi]!, topK: K })).matches;
    if (reference.some((m) => m.length !== K)) throw new Error(`in-process returned fewer than ${K} matches`);
    for (let c = 0; c < CHECK; c++) {
      const qi = Math.floor((c * QUERIES) / CHECK);
      for (const m of modes.slice(1)) assertAgree(m.name, qi, await m.ask(queries[qi]!), reference[qi]!);
    }
    log(`  agreement: top-${K} ids and scores identical in all modes for ${CHECK} sampled queries`);

    const rows: Row[] = [];
    let checked = 0;
    for (const conc of CONCURRENCY) {
      const totals = new Map<Mode, Totals>(modes.map((m) => [m, { hist: new LatencyHistogram(), queries: 0, wallMs: 0, clientCpuMs: 0, serverCpuMs: 0, otherMs: 0, roundP50: [], roundQps: [] }]));
      for (const mode of modes) await run(mode, warmupQueries, 0, WARMUP, conc, []);
      for (let round = 0; round < ROUNDS; round++) {
        const from = Math.floor((round * QUERIES) / ROUNDS);
        const to = Math.floor(((round + 1) * QUERIES) / ROUNDS);
        // Rotate the order so no mode always runs first (or right after the same other mode).
        const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
        for (const mode of order) {
          (globalThis as { gc?: () => void }).gc?.();
          const answers: Match[][] = [];
          await run(mode, queries, from, to, conc, answers, totals.get(mode));
          for (let qi = from; qi < to; qi++) assertAgree(mode.name, qi, answers[qi], reference[qi]!);
          checked += to - from;
        }
      }
      for (const mode of modes) {
        const t = totals.get(mode)!;
        const row: Row = {
          concurrency: conc,
          mode: mode.name,
          queries: t.queries,
          qps: t.queries / (t.wallMs / 1000),
          latencyMs: t.hist.summary(),
          roundMedian: { p50Ms: median(t.roundP50), qps: median(t.roundQps) },
          clientCpuMsPerQuery: t.clientCpuMs / t.queries,
          serverCpuMsPerQuery: mode.server && processCpuMs(process.pid) !== null ? t.serverCpuMs / t.queries : null,
          otherLoad: systemBusyMs() === null ? null : t.otherMs / (t.wallMs * CORES),
        };
        rows.push(row);
        log(`  c=${String(conc).padEnd(3)} ${mode.name.padEnd(12)} ${row.qps.toFixed(0).padStart(6)} qps  ` +
          `p50 ${row.latencyMs.p50Ms.toFixed(2)} ms  p99 ${row.latencyMs.p99Ms.toFixed(2)} ms`);
      }
    }
    log(`  agreement: every timed answer matched the in-process answer (${checked} answers checked)`);

    const ratios = CONCURRENCY.map((conc) => {
      const at = (mode: string) => rows.find((r) => r.concurrency === conc && r.mode === mode);
      const inproc = at('in-process')!;
      const vs = (mode: string) => {
        const h = at(mode);
        if (!h) return undefined;
        return {
          p50: h.latencyMs.p50Ms / inproc.latencyMs.p50Ms,
          p99: h.latencyMs.p99Ms / inproc.latencyMs.p99Ms,
          qps: h.qps / inproc.qps,
          roundMedianP50: h.roundMedian.p50Ms / inproc.roundMedian.p50Ms,
          roundMedianQps: h.roundMedian.qps / inproc.roundMedian.qps,
        };
      };
      return { concurrency: conc, httpFetch: vs('http fetch')!, httpNode: vs('http node')!, httpClient: vs('http client'), baseline: vs('baseline') };
    });

    // Large responses: each server gets the same 768-d records; requests alternate between servers, rep by rep.
    const largeRand = prng(SEED + 1);
    const largeVectors = Array.from({ length: LARGE_N }, () => randomVector(largeRand, LARGE_DIM));
    const large: LargeIndex[] = [];
    for (const s of LARGE_REPS > 0 ? servers : []) {
      await post(`${s.proc.url}/indexes`, { name: LARGE_INDEX, dimension: LARGE_DIM, metric: 'dotproduct', spec: SPEC }, headers);
      const ix = { host: `${s.proc.url}/index/${LARGE_INDEX}`, headers, vectors: largeVectors };
      await loadLargeIndex(ix);
      await largeSample(ix, 'fetch'); // warm-up, unrecorded
      large.push(ix);
    }
    const samples = new Map<string, LargeSample[]>();
    for (let rep = 0; rep < LARGE_REPS; rep++) {
      for (let j = 0; j < servers.length; j++) {
        const si = (j + rep) % servers.length;
        for (const kind of ['fetch', 'query'] as const) {
          const key = `${servers[si]!.name}|${kind}`;
          samples.set(key, [...(samples.get(key) ?? []), await largeSample(large[si]!, kind)]);
        }
      }
    }
    const largeRows: LargeRow[] = [...samples].map(([key, ss]) => {
      const [server, kind] = key.split('|') as [string, LargeKind];
      return {
        server,
        kind,
        samples: ss,
        median: {
          largeMs: median(ss.map((s) => s.largeMs)),
          probeMaxMs: median(ss.map((s) => s.probeMaxMs)),
          probeP99Ms: median(ss.map((s) => s.probeP99Ms)),
          probeP50Ms: median(ss.map((s) => s.probeP50Ms)),
        },
        worstProbeMaxMs: Math.max(...ss.map((s) => s.probeMaxMs)),
        bytes: ss[0]!.bytes,
      };
    });

    const note = `The server runs in its own process (larchdb serve, pid ${servers[0]!.proc.pid}); the client, the in-process ` +
      `database and the server share the machine's ${CORES} cores, each process with ${diag.executors} query executor ` +
      `thread(s). Latency is per request in a closed loop, so at concurrency > 1 it includes queueing. Modes alternate in ` +
      `${ROUNDS} rounds per concurrency; "round med" ratios compare the medians of the per-round p50 and QPS. ` +
      `client/server ms/q = CPU (all threads) of this process / of the server process per query; other = CPU used by ` +
      `other processes during the runs, as a share of all cores (from /proc/stat).`;
    const busiest = Math.max(...rows.map((r) => r.otherLoad ?? 0));
    const quiet = busiest <= 0.05;

    if (JSON_OUT) {
      process.stdout.write(JSON.stringify({
        config: { n: N, dim: DIM, queries: QUERIES, rounds: ROUNDS, k: K, concurrency: CONCURRENCY, warmup: WARMUP, seed: SEED, metric: 'cosine', large: { n: LARGE_N, dim: LARGE_DIM, reps: LARGE_REPS }, baseline: args.baseline ?? null },
        environment: {
          node: process.version, cores: CORES, cpu: cpuModel, queryExecutors: diag.executors, namespaceHosts: diag.hosts,
          loadAverage: { start: loadAtStart, end: loadavg()[0]! },
        },
        results: rows,
        ratios,
        large: largeRows,
        agreement: { sampled: CHECK, timedAnswersChecked: checked },
        quiet,
        note,
      }, null, 2) + '\n');
      return;
    }

    const line = '-'.repeat(112);
    const f = (x: number, w: number, d = 2) => x.toFixed(d).padStart(w);
    console.log(`\n${line}`);
    console.log(`${'conc'.padEnd(6)}${'mode'.padEnd(13)}${'QPS'.padStart(8)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}` +
      `${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}${'mean ms'.padStart(9)}${'client ms/q'.padStart(13)}${'server ms/q'.padStart(13)}${'other'.padStart(7)}`);
    console.log(line);
    for (const r of rows) {
      const l = r.latencyMs;
      console.log(`${String(r.concurrency).padEnd(6)}${r.mode.padEnd(13)}${f(r.qps, 8, 0)}${f(l.p50Ms, 9)}${f(l.p95Ms, 9)}` +
        `${f(l.p99Ms, 9)}${f(l.maxMs, 9)}${f(l.meanMs, 9)}${f(r.clientCpuMsPerQuery, 13, 3)}` +
        (r.serverCpuMsPerQuery === null ? '            -' : f(r.serverCpuMsPerQuery, 13, 3)) +
        (r.otherLoad === null ? '      ?' : `${f(r.otherLoad * 100, 6, 0)}%`));
    }
    console.log(line);
    for (const r of ratios) {
      for (const [name, v] of [['http fetch', r.httpFetch], ['http node', r.httpNode], ['http client', r.httpClient], ['baseline', r.baseline]] as const) {
        if (!v) continue;
        console.log(`c=${String(r.concurrency).padEnd(3)} ${name.padEnd(11)} / in-process: p50 ${v.p50.toFixed(2)}x (round med ${v.roundMedianP50.toFixed(2)}x), ` +
          `p99 ${v.p99.toFixed(2)}x, QPS ${v.qps.toFixed(2)}x (round med ${v.roundMedianQps.toFixed(2)}x)`);
      }
    }
    const c1 = ratios.find((r) => r.concurrency === 1);
    const c16 = ratios.find((r) => r.concurrency === 16);
    if (c1) console.log(`target: HTTP p50 / in-process p50 at c=1 <= 1.3: fetch ${c1.httpFetch.p50.toFixed(2)}x, node:http ${c1.httpNode.p50.toFixed(2)}x`);
    if (c16) console.log(`target: HTTP QPS / in-process QPS at c=16 >= 0.8: fetch ${c16.httpFetch.qps.toFixed(2)}x, node:http ${c16.httpNode.qps.toFixed(2)}x`);

    console.log(`\nLarge responses (${LARGE_N} x ${LARGE_DIM}, ${LARGE_REPS} reps, medians; probe = GET describe_index_stats back to back during the large request)`);
    console.log(`${'server'.padEnd(12)}${'request'.padEnd(40)}${'MB'.padStart(6)}${'large ms'.padStart(10)}${'probes'.padStart(8)}` +
      `${'probe p50'.padStart(11)}${'probe p99'.padStart(11)}${'probe max'.padStart(11)}${'worst max'.padStart(11)}`);
    for (const r of largeRows) {
      const what = r.kind === 'fetch' ? `fetch ${LARGE_N} ids` : `query topK ${LARGE_N} includeValues`;
      console.log(`${r.server.padEnd(12)}${what.padEnd(40)}${f(r.bytes / 1e6, 6, 1)}${f(r.median.largeMs, 10, 1)}` +
        `${f(median(r.samples.map((s) => s.probes)), 8, 0)}${f(r.median.probeP50Ms, 11)}${f(r.median.probeP99Ms, 11)}${f(r.median.probeMaxMs, 11)}${f(r.worstProbeMaxMs, 11)}`);
    }
    console.log(`\n${note}`);
    if (!quiet) console.log(`warning: other processes used up to ${(busiest * 100).toFixed(0)}% of the cores during a run; the numbers are noisy.`);
  } finally {
    agent.destroy();
    await Promise.all(servers.map((s) => s.proc.stop()));
    await db.close();
  }
}

await main();
