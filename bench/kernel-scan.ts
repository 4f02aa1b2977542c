/**
 * Brute-force scan benchmark: the WASM SIMD kernel vs a plain JS loop vs a
 * native peer (usearch `exactSearch`), all single-threaded on the same data;
 * and what a user gets for the same scan: the same rows in a namespace's
 * memtable (searched exactly), `index.query` in-process, one at a time.
 *
 *   npm run bench:kernel -- --n 100000 --dim 768 --queries 20 --k 10 [--json]
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { makeLog, posInt, prng } from './common.js';
import { performance } from 'node:perf_hooks';
import { alignUp, createArenaMemory, instantiateKernels, type Kernels } from '../engine/internal.js';
import { LarchDB } from '../engine/index.js';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '768' },
    queries: { type: 'string', default: '20' },
    k: { type: 'string', default: '10' },
    seed: { type: 'string', default: '42' },
    json: { type: 'boolean', default: false },
  },
});


const N = posInt('n', args.n);
const DIM = posInt('dim', args.dim);
const QUERIES = posInt('queries', args.queries);
const K = Math.min(posInt('k', args.k), N);
const SEED = posInt('seed', args.seed);
const JSON_OUT = args.json ?? false;
const WARMUP = 5;
const MATRIX_BYTES = N * DIM * 4;

const log = makeLog(JSON_OUT);


// ---------------------------------------------------------------------------
// Arena layout (mirrors real use: vectors in shared memory above 64 KiB)

const align = (x: number): number => alignUp(x, 64);
const VECS = 65536;
const INV_NORMS = align(VECS + MATRIX_BYTES);
const QUERY = align(INV_NORMS + N * 4);
const HEAP = align(QUERY + QUERIES * DIM * 4);
const OUT = align(HEAP + K * 8);
const END = align(OUT + N * 4);
if (END > 2 ** 32) throw new Error(`data does not fit a 4 GiB wasm32 memory (${END} bytes)`);

const memory = createArenaMemory(Math.ceil(END / 65536));
const kernels: Kernels = instantiateKernels(memory);
const vecs = new Float32Array(memory.buffer, VECS, N * DIM);
const invNorms = new Float32Array(memory.buffer, INV_NORMS, N);
const queries = new Float32Array(memory.buffer, QUERY, QUERIES * DIM);
const heapRows = new Uint32Array(memory.buffer, HEAP + K * 4, K);

{
  const rand = prng(SEED);
  for (let i = 0; i < vecs.length; i++) vecs[i] = rand() * 2 - 1;
  for (let i = 0; i < queries.length; i++) queries[i] = rand() * 2 - 1;
  for (let i = 0; i < N; i++) {
    const nrm = kernels.norm(VECS + i * DIM * 4, DIM);
    invNorms[i] = nrm > 0 ? 1 / nrm : 0;
  }
}
const queryPtr = (qi: number): number => QUERY + qi * DIM * 4;

// ---------------------------------------------------------------------------
// Methods. Each returns the top-k row ids (best first) or null if it has none.

type Method = (qi: number) => number[] | null;

function wasmScan(metric: number): Method {
  return (qi) => {
    const q = queryPtr(qi);
    const qn = kernels.norm(q, DIM);
    const count = kernels.scanTopK(
      q, qn > 0 ? 1 / qn : 0, VECS, INV_NORMS, N, DIM, metric,
      0, 0, 0, 0, 0, 0, 0, 0, 0, HEAP, K, 0, 0, 0,
    );
    kernels.heapSortDesc(HEAP, K, count);
    return Array.from(heapRows.subarray(0, count));
  };
}

const wasmScoreBlock: Method = (qi) => {
  kernels.scoreBlock(queryPtr(qi), VECS, N, DIM, 0, 0, 0, OUT);
  return null;
};

/** The plain JS baseline: one accumulator, sorted top-k insertion. */
const jsLoop: Method = (qi) => {
  const q = queries.subarray(qi * DIM, (qi + 1) * DIM);
  const topScore = new Float64Array(K).fill(-Infinity);
  const topId = new Int32Array(K).fill(-1);
  for (let r = 0, base = 0; r < N; r++, base += DIM) {
    let s = 0;
    for (let j = 0; j < DIM; j++) s += q[j] * vecs[base + j];
    if (s > topScore[K - 1]) {
      let p = K - 1;
      while (p > 0 && s > topScore[p - 1]) {
        topScore[p] = topScore[p - 1];
        topId[p] = topId[p - 1];
        p--;
      }
      topScore[p] = s;
      topId[p] = r;
    }
  }
  return Array.from(topId);
};

type Usearch = typeof import('usearch');

/** Optional: a missing or broken native build only drops the usearch rows. */
async function loadUsearch(): Promise<Usearch | string> {
  try {
    return await import('usearch');
  } catch (err) {
    return (err as Error).message;
  }
}

// ---------------------------------------------------------------------------
// Runner

interface Result {
  name: string;
  msMedian: number;
  msMean: number;
  gbPerSec: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function measure(name: string, method: Method, ids?: (number[] | null)[]): Result {
  for (let w = 0; w < WARMUP; w++) method(w % QUERIES);
  const times: number[] = [];
  for (let qi = 0; qi < QUERIES; qi++) {
    const t0 = performance.now();
    const out = method(qi);
    times.push(performance.now() - t0);
    if (ids) ids[qi] = out;
  }
  const msMedian = median(times);
  const msMean = times.reduce((a, b) => a + b, 0) / times.length;
  const r = { name, msMedian, msMean, gbPerSec: MATRIX_BYTES / (msMedian / 1000) / 1e9 };
  log(`  ${name.padEnd(34)} ${r.msMedian.toFixed(2).padStart(9)} ms/query`);
  return r;
}

function exactDot(qi: number, row: number): number {
  let s = 0;
  for (let j = 0; j < DIM; j++) s += queries[qi * DIM + j]! * vecs[row * DIM + j]!;
  return s;
}

/** Ids must match; a swap is tolerated only between scores equal to float precision. */
function sameTopK(qi: number, got: number[], want: number[]): boolean {
  if (got.length !== want.length) return false;
  for (let i = 0; i < got.length; i++) {
    if (got[i] === want[i]) continue;
    const a = exactDot(qi, got[i]!);
    const b = exactDot(qi, want[i]!);
    if (Math.abs(a - b) > 1e-4 * Math.max(1, Math.abs(b))) return false;
  }
  return true;
}

async function main(): Promise<void> {
  log(`kernel-scan: n=${N} dim=${DIM} queries=${QUERIES} k=${K} ` +
    `(${(MATRIX_BYTES / 2 ** 20).toFixed(1)} MiB matrix at arena offset ${VECS}), node ${process.version}, single thread`);

  const results: Result[] = [];
  const jsIds: (number[] | null)[] = [];
  const wasmIds: (number[] | null)[] = [];
  results.push(measure('wasm scanTopK dot', wasmScan(0), wasmIds));
  results.push(measure('wasm scanTopK cosine', wasmScan(1)));
  results.push(measure('wasm scanTopK l2', wasmScan(2)));
  results.push(measure('wasm scoreBlock dot (no top-k)', wasmScoreBlock));
  results.push(measure('js loop dot + top-k', jsLoop, jsIds));

  for (let qi = 0; qi < QUERIES; qi++) {
    if (!sameTopK(qi, wasmIds[qi]!, jsIds[qi]!)) {
      throw new Error(`WASM top-${K} differs from the JS reference for query ${qi}:\n` +
        `  wasm ${wasmIds[qi]!.join(',')}\n  js   ${jsIds[qi]!.join(',')}`);
    }
  }
  log(`  top-${K} ids: wasm == js reference for all ${QUERIES} queries`);

  let usearchNote: string | undefined;
  let usearchAgree: number | undefined;
  const us = await loadUsearch();
  if (typeof us === 'string') {
    usearchNote = `usearch unavailable: ${us}`;
    log(`  ${usearchNote}`);
  } else {
    // usearch reads from the ArrayBuffer's start (ignores byteOffset) and
    // cannot take a SharedArrayBuffer, so it gets private copies.
    const dataset = vecs.slice();
    const qCopies = Array.from({ length: QUERIES }, (_, qi) => queries.slice(qi * DIM, (qi + 1) * DIM));
    const usIds: (number[] | null)[] = [];
    results.push(measure('usearch exactSearch IP (1 thread)', (qi) => {
      const res = us.exactSearch(dataset, qCopies[qi]!, DIM, K, us.MetricKind.IP, 1);
      return Array.from(res.keys, Number);
    }, usIds));
    usearchAgree = usIds.filter((ids, qi) => sameTopK(qi, ids!, jsIds[qi]!)).length;
    log(`  top-${K} ids: usearch == js reference for ${usearchAgree}/${QUERIES} queries`);

    // Batched: one call for all queries, reported per query.
    const allQ = queries.slice();
    us.exactSearch(dataset, allQ.subarray(0, DIM).slice(), DIM, K, us.MetricKind.IP, 1);
    const t0 = performance.now();
    us.exactSearch(dataset, allQ, DIM, K, us.MetricKind.IP, 1);
    const ms = (performance.now() - t0) / QUERIES;
    results.push({ name: 'usearch exactSearch IP batch (1 thr)', msMedian: ms, msMean: ms, gbPerSec: MATRIX_BYTES / (ms / 1000) / 1e9 });
  }

  // The engine: the same rows in a memtable (no graph, no flush), the same queries through the public API.
  const db = await LarchDB.open({ path: ':memory:', durability: 'none', hnswMinRows: 2 ** 31, idleFlushMs: 0, memtableBytes: 2 ** 30 });
  try {
    await db.createIndex({ name: 'scan', dimension: DIM, metric: 'dotproduct', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
    const index = db.index('scan');
    for (let i = 0; i < N; i += 1000) {
      const batch = [];
      for (let r = i; r < Math.min(N, i + 1000); r++) batch.push({ id: String(r), values: Array.from(vecs.subarray(r * DIM, (r + 1) * DIM)) });
      await index.upsert(batch);
    }
    const qs = Array.from({ length: QUERIES }, (_, qi) => Array.from(queries.subarray(qi * DIM, (qi + 1) * DIM)));
    for (let w = 0; w < WARMUP; w++) await index.query({ vector: qs[w % QUERIES]!, topK: K });
    const times: number[] = [];
    let agree = 0;
    for (let qi = 0; qi < QUERIES; qi++) {
      const t0 = performance.now();
      const r = await index.query({ vector: qs[qi]!, topK: K });
      times.push(performance.now() - t0);
      if (sameTopK(qi, r.matches.map((m) => Number(m.id)), wasmIds[qi]!)) agree++;
    }
    const msMedian = median(times);
    const engine = { name: 'engine index.query (memtable, exact)', msMedian, msMean: times.reduce((a, b) => a + b, 0) / times.length, gbPerSec: MATRIX_BYTES / (msMedian / 1000) / 1e9 };
    results.push(engine);
    log(`  ${engine.name.padEnd(34)} ${msMedian.toFixed(2).padStart(9)} ms/query; top-${K} ids == wasm for ${agree}/${QUERIES} queries`);
  } finally {
    await db.close();
  }

  const byName = (n: string): Result | undefined => results.find((r) => r.name === n);
  const wasmDot = byName('wasm scanTopK dot')!;
  const js = byName('js loop dot + top-k')!;
  const usearch = byName('usearch exactSearch IP (1 thread)');
  const ratios = {
    /** JS time / WASM time: how many times faster the WASM scan is. */
    wasmSpeedupVsJs: js.msMedian / wasmDot.msMedian,
    /** A user's exact query in-process / the kernel's scan of the same rows (1: no overhead). */
    engineVsKernel: byName('engine index.query (memtable, exact)')!.msMedian / wasmDot.msMedian,
    /** usearch time / WASM time (> 1: WASM faster, < 1: usearch faster). */
    wasmSpeedupVsUsearch: usearch ? usearch.msMedian / wasmDot.msMedian : null,
  };

  if (JSON_OUT) {
    process.stdout.write(JSON.stringify({
      config: { n: N, dim: DIM, queries: QUERIES, k: K, seed: SEED, node: process.version, matrixBytes: MATRIX_BYTES },
      results,
      ratios,
      usearchAgreement: usearchAgree ?? null,
      note: usearchNote ?? null,
    }, null, 2) + '\n');
    return;
  }

  const line = '-'.repeat(86);
  console.log(`\n${line}`);
  console.log(`${'method'.padEnd(38)}${'ms/query'.padStart(10)}${'mean'.padStart(10)}${'GB/s'.padStart(8)}${'time vs wasm dot'.padStart(20)}`);
  console.log(line);
  for (const r of results) {
    console.log(`${r.name.padEnd(38)}${r.msMedian.toFixed(2).padStart(10)}${r.msMean.toFixed(2).padStart(10)}` +
      `${r.gbPerSec.toFixed(2).padStart(8)}${(r.msMedian / wasmDot.msMedian).toFixed(2).padStart(19)}x`);
  }
  console.log(line);
  console.log(`WASM scanTopK(dot) vs JS loop: ${ratios.wasmSpeedupVsJs.toFixed(2)}x faster`);
  console.log(`engine exact query in-process vs the kernel's scan of the same rows: ${ratios.engineVsKernel.toFixed(2)}x its time (target <= 1.3)`);
  if (ratios.wasmSpeedupVsUsearch !== null) {
    const r = ratios.wasmSpeedupVsUsearch;
    console.log(`WASM scanTopK(dot) vs usearch exactSearch (1 thread): ` +
      (r >= 1 ? `${r.toFixed(2)}x faster` : `${(1 / r).toFixed(2)}x slower`));
  }
  console.log('(ms/query = median over queries; GB/s = n*dim*4 bytes / median time)');
}

await main();
