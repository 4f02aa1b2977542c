/**
 * Durable writes on the real disk: upsert throughput with and without fsync, a naive per-request-fsync peer on the
 * same disk, and recovery time per 100 MB of request log. In-process, one run, one data directory under the OS temp
 * directory (printed with its filesystem, removed afterwards unless `--keep`).
 *
 *   throughput  `c` async writers in a closed loop, each upserting batches of `--batch` seeded random records of
 *               dimension d and waiting for the acknowledgement before sending the next, for `--seconds` per
 *               configuration (after `--warmup-ms` unrecorded). Durability `fsync` and `none` (two databases open
 *               side by side, the two modes of a configuration run back to back). At c > 1 two layouts: `shared`
 *               (all writers on one namespace: one request log, group commit) and `spread` (one namespace per
 *               writer: c logs, each committing on its own). Every namespace's record count is checked afterwards.
 *   peer        on the same disk: a plain synchronous loop appending the bytes of one batch to a file with one
 *               fdatasync each (what a store that fsyncs every request does), and the raw fdatasync rate (64-byte
 *               append, 4 KiB overwrite in place).
 *   recovery    `--log-mb` of request log at `--recovery-dim` (memtable large enough that nothing flushes), clean
 *               close, then `LarchDB.open` + a first query timed (log replay); then `db.flush()` turns the same data
 *               into slabs and the open is timed again (slab load). A near-empty database's open + query is timed
 *               alongside and subtracted to get the replay rate. Record counts are checked after every open.
 *
 * CPU is attributed per thread from /proc/self/task/<tid>/schedstat (Linux; engine threads are told apart by
 * creation order: query executors, index builder, namespace hosts), device flushes from /proc/diskstats.
 *
 *   npm run bench:durability -- --seconds 3 --dims 128,768 --concurrency 1,8 --log-mb 100 [--max-frozen 1] [--json out.json]
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync, fdatasyncSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { makeLog, posInt, prng, systemBusyMs, threadTimes, type ThreadTime } from './common.js';
import { LatencyHistogram, type LatencySummary } from './stats.js';
import { LarchDB, type Durability, type Index } from '../engine/index.js';
import { crc32c } from '../engine/internal.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    'warmup-ms': { type: 'string', default: '500' },
    dims: { type: 'string', default: '128,768' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '1,8' },
    layouts: { type: 'string', default: 'shared,spread' },
    modes: { type: 'string', default: 'fsync,none' },
    'memtable-mb': { type: 'string', default: '32' },
    'max-frozen': { type: 'string', default: '64' },
    'actor-threads': { type: 'string', default: '1' },
    'query-threads': { type: 'string' },
    'log-mb': { type: 'string', default: '100' },
    'recovery-dim': { type: 'string', default: '768' },
    'recovery-reps': { type: 'string', default: '3' },
    skip: { type: 'string', default: '' },
    seed: { type: 'string', default: '42' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const list = (raw: string | undefined): string[] => (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const SECONDS = posInt('seconds', args.seconds);
const WARMUP_MS = posInt('warmup-ms', args['warmup-ms']);
const DIMS = list(args.dims).map((s) => posInt('dims', s));
const BATCH = posInt('batch', args.batch);
const CONCURRENCY = list(args.concurrency).map((s) => posInt('concurrency', s));
const LAYOUTS = list(args.layouts) as Layout[];
const MODES = list(args.modes) as Durability[];
const MEMTABLE_BYTES = posInt('memtable-mb', args['memtable-mb']) * 2 ** 20;
/**
 * Frozen memtables allowed to wait for the index builder. This bench measures the write path, so by default it lets
 * them queue (64) instead of pacing writes to graph builds as a database opened with the default (1) does on a long
 * load; `--max-frozen 1` measures that.
 */
const MAX_FROZEN = posInt('max-frozen', args['max-frozen']);
const ACTOR_THREADS = posInt('actor-threads', args['actor-threads']);
const QUERY_THREADS = args['query-threads'] === undefined ? availableParallelism() : posInt('query-threads', args['query-threads']);
const LOG_BYTES = posInt('log-mb', args['log-mb']) * 1e6;
const RECOVERY_DIM = posInt('recovery-dim', args['recovery-dim']);
const RECOVERY_REPS = posInt('recovery-reps', args['recovery-reps']);
const SKIP = new Set(list(args.skip));
const SEED = posInt('seed', args.seed);
const JSON_FILE = args.json;
const CORES = availableParallelism();
/** The largest memtable (1 GiB of write payload): with --log-mb up to a few hundred it never fills. */
const NEVER_FLUSH = 2 ** 30;
const MB = 1e6;

for (const l of LAYOUTS) if (l !== 'shared' && l !== 'spread') throw new Error(`--layouts takes shared,spread; got ${l}`);
for (const m of MODES) if (m !== 'fsync' && m !== 'none') throw new Error(`--modes takes fsync,none; got ${m}`);
for (const s of SKIP) if (!['peer', 'throughput', 'recovery'].includes(s)) throw new Error(`--skip takes peer,throughput,recovery; got ${s}`);

type Layout = 'shared' | 'spread';
const log = makeLog(false);
const now = () => performance.now();
const SPEC = { serverless: { cloud: 'aws' as const, region: 'us-east-1' } };

// ---------------------------------------------------------------------------
// Linux counters: per-thread CPU, device flushes, write syscalls, other processes' load. null where unavailable.

const listTids = (): Set<number> => new Set(threadTimes()?.keys() ?? []);

/**
 * Names the threads a LarchDB.open created (present now, not in `before`), by creation order: the supervisor
 * starts the query-executor pool, then the index builder, then the namespace hosts. If the count does not match,
 * the threads are left unnamed rather than guessed.
 */
function nameEngineThreads(before: Set<number>): Map<number, string> {
  const fresh = [...listTids()].filter((t) => !before.has(t)).sort((a, b) => a - b);
  const expected = [
    ...Array.from({ length: QUERY_THREADS }, (_, i) => `executor-${i}`),
    'builder-0',
    ...Array.from({ length: ACTOR_THREADS }, (_, i) => `ns-host-${i}`),
  ];
  const names = new Map<number, string>();
  fresh.forEach((t, i) => names.set(t, fresh.length === expected.length ? expected[i]! : `engine-thread-${i}`));
  return names;
}

/** Share of one core (1 = a whole core) each class of thread used between two snapshots. */
interface CpuShares {
  main: number;
  /** The namespace-host thread(s) of the database under test: request log, memtable apply, replay. */
  host: number;
  /** Run-queue wait of the host thread(s): time it was ready to run but had no core. */
  hostWait: number;
  builder: number;
  executors: number;
  /** Everything else in the process: V8 platform (GC) threads, the libuv pool (where the log writes run), HNSW build threads, the host's prefault thread, other databases' threads. */
  other: number;
}

function cpuShares(a: Map<number, ThreadTime> | null, b: Map<number, ThreadTime> | null, names: Map<number, string>, wallMs: number): CpuShares | null {
  if (!a || !b) return null;
  const s: CpuShares = { main: 0, host: 0, hostWait: 0, builder: 0, executors: 0, other: 0 };
  const wallNs = wallMs * 1e6;
  for (const [tid, t1] of b) {
    const t0 = a.get(tid) ?? { cpu: 0, wait: 0 };
    const cpu = (t1.cpu - t0.cpu) / wallNs;
    const name = names.get(tid) ?? '';
    if (tid === process.pid) s.main += cpu;
    else if (name.startsWith('ns-host')) {
      s.host += cpu;
      s.hostWait += (t1.wait - t0.wait) / wallNs;
    } else if (name.startsWith('builder')) s.builder += cpu;
    else if (name.startsWith('executor')) s.executors += cpu;
    else s.other += cpu;
  }
  return s;
}

/** major:minor of the device holding `path` (Linux dev_t encoding). */
function deviceOf(path: string): { major: number; minor: number } {
  const dev = statSync(path).dev;
  return { major: (dev >>> 8) & 0xfff, minor: (dev & 0xff) | ((dev >>> 12) & 0xfff00) };
}

interface DiskCounters {
  writes: number;
  sectorsWritten: number;
  flushes: number;
  flushMs: number;
}

function diskCounters(dev: { major: number; minor: number }): DiskCounters | null {
  try {
    for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (Number(f[0]) !== dev.major || Number(f[1]) !== dev.minor) continue;
      if (f.length < 20) return null; // kernel older than 5.5: no flush counters
      return { writes: Number(f[7]), sectorsWritten: Number(f[9]), flushes: Number(f[18]), flushMs: Number(f[19]) };
    }
  } catch {
    // not Linux
  }
  return null;
}


/** Everything a timed section compares before and after. */
interface Snapshot {
  t: number;
  threads: Map<number, ThreadTime> | null;
  proc: NodeJS.CpuUsage;
  disk: DiskCounters | null;
  busy: number | null;
}

let DEV: { major: number; minor: number } = { major: -1, minor: -1 };
const snapshot = (): Snapshot => ({
  t: now(), threads: threadTimes(), proc: process.cpuUsage(), disk: diskCounters(DEV), busy: systemBusyMs(),
});

interface Usage {
  wallMs: number;
  cpu: CpuShares | null;
  /** Process CPU, all threads, in cores. */
  processCores: number;
  /** CPU used by other processes, as a share of all cores; null where unknown. */
  otherLoad: number | null;
  /** Device counters (the whole device: other processes' writes and flushes count too). */
  device: { flushes: number; flushMsEach: number | null; writes: number; mbWritten: number } | null;
}

function usage(a: Snapshot, b: Snapshot, names: Map<number, string>): Usage {
  const wallMs = b.t - a.t;
  const procMs = (b.proc.user - a.proc.user + b.proc.system - a.proc.system) / 1000;
  const d = a.disk && b.disk ? {
    flushes: b.disk.flushes - a.disk.flushes,
    flushMsEach: b.disk.flushes > a.disk.flushes ? (b.disk.flushMs - a.disk.flushMs) / (b.disk.flushes - a.disk.flushes) : null,
    writes: b.disk.writes - a.disk.writes,
    mbWritten: ((b.disk.sectorsWritten - a.disk.sectorsWritten) * 512) / MB,
  } : null;
  return {
    wallMs,
    cpu: cpuShares(a.threads, b.threads, names, wallMs),
    processCores: procMs / wallMs,
    otherLoad: a.busy === null || b.busy === null ? null : Math.max(0, (b.busy - a.busy - procMs) / (wallMs * CORES)),
    device: d,
  };
}

// ---------------------------------------------------------------------------
// Data

/** Seeded random vectors, reused round-robin under fresh ids (writing them is what is measured, not making them). */
const POOL_SIZE = 2000;
const pools = new Map<number, number[][]>();
function pool(dim: number): number[][] {
  let p = pools.get(dim);
  if (!p) {
    const rand = prng(SEED + dim);
    p = Array.from({ length: POOL_SIZE }, () => Array.from({ length: dim }, () => rand() * 2 - 1));
    pools.set(dim, p);
  }
  return p;
}

function makeBatch(dim: number, prefix: string, seq: number, size = BATCH): { id: string; values: number[] }[] {
  const p = pool(dim);
  return Array.from({ length: size }, (_, j) => ({ id: `${prefix}${seq}-${j}`, values: p[(seq * size + j) % POOL_SIZE]! }));
}

/** Bytes LarchDB logs for one batch, per the record codec and log frame (ids of ~12 bytes): what the peer writes too. */
const batchBytes = (dim: number) => 24 + 4 + BATCH * (4 + 12 + 4 + 4 * dim);

async function filesUnder(dir: string): Promise<{ path: string; bytes: number }[]> {
  const out: { path: string; bytes: number }[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push({ path: p, bytes: (await stat(p)).size });
  }
  return out;
}

const bytesOf = (files: { path: string; bytes: number }[], ext: string) => files.filter((f) => f.path.endsWith(ext)).reduce((s, f) => s + f.bytes, 0);

// ---------------------------------------------------------------------------
// 2. Peer: plain appends with one fdatasync each, synchronous, on the main thread.

interface PeerResult {
  what: string;
  bytesPerOp: number;
  ops: number;
  opsPerSec: number;
  mbPerSec: number;
  /** Vectors per second, when an op is one batch of vectors. */
  vectorsPerSec: number | null;
  latencyMs: LatencySummary;
  usage: Usage;
}

/**
 * `sync`: writeSync + fdatasyncSync on the main thread (the disk's own cost). `async`: FileHandle write + datasync,
 * awaited, as a naive Node store would do it (each call a hop through the libuv pool, like LarchDB's log).
 */
async function peerLoop(root: string, what: string, bytes: number, how: 'append' | 'overwrite' | 'async-append', vectors: number | null): Promise<PeerResult> {
  const path = join(root, `peer-${bytes}-${how}.dat`);
  const buf = Buffer.alloc(bytes);
  const rand = prng(SEED);
  for (let i = 0; i < bytes; i++) buf[i] = Math.floor(rand() * 256);
  const fd = openSync(path, 'w');
  const fh = how === 'async-append' ? await open(path, 'r+') : null;
  try {
    let pos = 0;
    const once = fh
      ? async () => {
        await fh.write(buf, 0, bytes, pos);
        pos += bytes;
        await fh.datasync();
      }
      : () => {
        writeSync(fd, buf, 0, bytes, how === 'overwrite' ? 0 : pos);
        pos += bytes;
        fdatasyncSync(fd);
      };
    for (let i = 0; i < 20; i++) await once(); // warm-up: the file exists, its first blocks are allocated
    const hist = new LatencyHistogram();
    const s0 = snapshot();
    const deadline = s0.t + SECONDS * 1000;
    let ops = 0;
    for (let t = now(); t < deadline; ops++) {
      await once();
      const t1 = now();
      hist.record(t1 - t);
      t = t1;
    }
    const u = usage(s0, snapshot(), new Map());
    const opsPerSec = ops / (u.wallMs / 1000);
    return {
      what, bytesPerOp: bytes, ops, opsPerSec, mbPerSec: (opsPerSec * bytes) / MB,
      vectorsPerSec: vectors === null ? null : opsPerSec * vectors, latencyMs: hist.summary(), usage: u,
    };
  } finally {
    await fh?.close();
    closeSync(fd);
    unlinkSync(path);
  }
}

// ---------------------------------------------------------------------------
// 1. Throughput

interface Db {
  mode: Durability;
  db: LarchDB;
  names: Map<number, string>;
}

async function openDb(path: string, mode: Durability, memtableBytes: number): Promise<Db> {
  const before = listTids();
  const db = await LarchDB.open({ path, durability: mode, memtableBytes, maxFrozenMemtables: MAX_FROZEN, queryThreads: QUERY_THREADS, actorThreads: ACTOR_THREADS });
  return { mode, db, names: nameEngineThreads(before) };
}

/** `targets.length` namespaces; writer w writes to targets[w % n]. Closed loop until `ms` have passed. */
async function drive(targets: Index[], conc: number, dim: number, prefix: string, ms: number, hist: LatencyHistogram | null): Promise<number> {
  const deadline = now() + ms;
  let batches = 0;
  const writer = async (w: number) => {
    const ns = targets[w % targets.length]!;
    for (let seq = 0; now() < deadline; seq++) {
      const records = makeBatch(dim, `${prefix}w${w}-`, seq);
      const t = now();
      await ns.upsert(records);
      hist?.record(now() - t);
      batches++;
    }
  };
  await Promise.all(Array.from({ length: conc }, (_, w) => writer(w)));
  return batches;
}

interface ThroughputRow {
  dim: number;
  concurrency: number;
  layout: Layout;
  namespaces: number;
  durability: Durability;
  batches: number;
  vectorsPerSec: number;
  batchesPerSec: number;
  /** Vector payload (4 bytes a float) acknowledged per second. */
  mbPerSec: number;
  latencyMs: LatencySummary;
  usage: Usage;
  /** Device flush requests per acknowledged batch. */
  deviceFlushesPerBatch: number | null;
  /** Process CPU (all threads) per batch, ms. */
  cpuMsPerBatch: number;
  slabsAtEnd: number;
  recordsChecked: number;
}

async function throughputRun(d: Db, index: string, dim: number, conc: number, layout: Layout): Promise<ThroughputRow> {
  const nsCount = layout === 'spread' ? conc : 1;
  const nsNames = Array.from({ length: nsCount }, (_, k) => `d${dim}-c${conc}-${layout}-${k}`);
  const targets = nsNames.map((n) => d.db.index(index).namespace(n));
  const warm = await drive(targets, conc, dim, 'u', WARMUP_MS, null); // also creates the namespaces' directories
  (globalThis as { gc?: () => void }).gc?.();
  const hist = new LatencyHistogram();
  const s0 = snapshot();
  const batches = await drive(targets, conc, dim, 'm', SECONDS * 1000, hist);
  const u = usage(s0, snapshot(), d.names);
  // Every acknowledged record is there, and nothing else.
  let records = 0;
  let slabs = 0;
  for (const n of nsNames) {
    records += (await d.db.index(index).describeNamespace(n)).recordCount;
    slabs += (await d.db.storageInfo(index, n))?.slabs ?? 0;
  }
  if (records !== (warm + batches) * BATCH) {
    throw new Error(`${d.mode} d=${dim} c=${conc} ${layout}: ${records} records in the namespaces, ${(warm + batches) * BATCH} acknowledged`);
  }
  for (const n of nsNames) await d.db.index(index).deleteNamespace(n);
  const bps = batches / (u.wallMs / 1000);
  return {
    dim, concurrency: conc, layout, namespaces: nsCount, durability: d.mode, batches,
    vectorsPerSec: bps * BATCH, batchesPerSec: bps, mbPerSec: (bps * BATCH * dim * 4) / MB,
    latencyMs: hist.summary(), usage: u,
    deviceFlushesPerBatch: u.device ? u.device.flushes / batches : null,
    cpuMsPerBatch: (u.processCores * u.wallMs) / batches,
    slabsAtEnd: slabs,
    recordsChecked: records,
  };
}

// ---------------------------------------------------------------------------
// 3. Recovery

const RINDEX = 'recovery';

interface OpenTiming {
  openMs: number;
  queryMs: number;
  totalMs: number;
  records: number;
  /** CPU seconds of the namespace-host thread (replay or slab load runs there) and the main thread during open + query. */
  hostCpuMs: number | null;
  mainCpuMs: number | null;
  memtableRows: number;
  slabs: number;
}

async function timedOpen(path: string, dim: number, expect: number): Promise<OpenTiming> {
  const query = pool(dim)[7]!;
  const before = listTids();
  const s0 = snapshot();
  const db = await LarchDB.open({ path, durability: 'fsync', memtableBytes: NEVER_FLUSH, queryThreads: QUERY_THREADS, actorThreads: ACTOR_THREADS });
  const t1 = now();
  try {
    const r = await db.index(RINDEX).query({ vector: query, topK: 10 });
    const t2 = now();
    const u = usage(s0, snapshot(), nameEngineThreads(before));
    if (r.matches.length !== Math.min(10, expect)) throw new Error(`first query after open returned ${r.matches.length} matches`);
    const records = (await db.index(RINDEX).describeIndexStats()).totalRecordCount;
    if (records !== expect) throw new Error(`after reopen: ${records} records, expected ${expect}`);
    const info = await db.storageInfo(RINDEX);
    return {
      openMs: t1 - s0.t, queryMs: t2 - t1, totalMs: t2 - s0.t, records,
      hostCpuMs: u.cpu ? u.cpu.host * u.wallMs : null, mainCpuMs: u.cpu ? u.cpu.main * u.wallMs : null,
      memtableRows: info?.memtableRows ?? 0, slabs: info?.slabs ?? 0,
    };
  } finally {
    await db.close();
  }
}

/** Makes what a database directory holds durable, so writeback does not run during a timed open. */
async function syncFiles(dir: string): Promise<void> {
  for (const f of await filesUnder(dir)) {
    const fh = await open(f.path, 'r+');
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface RecoveryResult {
  dim: number;
  records: number;
  logBytes: number;
  logSegments: number;
  loadSeconds: number;
  /** Near-empty database (one batch): the fixed cost of opening (threads, catalog) and a first query. */
  emptyOpens: OpenTiming[];
  replayOpens: OpenTiming[];
  flushSeconds: number;
  slabBytes: number;
  slabFiles: number;
  /** Request log still on disk after the flush (the segment being written is never deleted; it is read and checked, not applied, at open). */
  logBytesAfterFlush: number;
  slabOpens: OpenTiming[];
  replay: { medianTotalMs: number; fixedMs: number; replayMs: number; secondsPer100MB: number; mbPerSec: number };
  slab: { medianTotalMs: number; loadMs: number; secondsPer100MBOfLog: number; speedupVsReplay: number };
  /** The engine's CRC-32C (every log frame and slab section is checked with it at open), on this CPU, main thread. */
  crc32cMBPerSec: number;
}

async function recovery(root: string): Promise<RecoveryResult> {
  const dim = RECOVERY_DIM;
  const dir = join(root, 'recovery');
  const emptyDir = join(root, 'recovery-empty');
  const create = (db: LarchDB) => db.createIndex({ name: RINDEX, dimension: dim, metric: 'cosine', spec: SPEC });

  // The near-empty twin: one batch in the default namespace.
  {
    const db = await LarchDB.open({ path: emptyDir, memtableBytes: NEVER_FLUSH, queryThreads: QUERY_THREADS, actorThreads: ACTOR_THREADS });
    await create(db);
    await db.index(RINDEX).upsert(makeBatch(dim, 'e', 0));
    await db.close();
  }

  // Load: durability 'none' (the log's bytes are the same; the files are made durable before timing).
  const tLoad = now();
  const db = await LarchDB.open({ path: dir, durability: 'none', memtableBytes: NEVER_FLUSH, queryThreads: QUERY_THREADS, actorThreads: ACTOR_THREADS });
  let batches: number;
  try {
    await create(db);
    const ns = db.index(RINDEX);
    await ns.upsert(makeBatch(dim, 'r', 0));
    const perBatch = bytesOf(await filesUnder(join(dir, 'indexes')), '.wal') - 8;
    batches = Math.max(1, Math.ceil((LOG_BYTES - 8) / perBatch));
    let next = 1;
    const writer = async () => {
      for (let seq = next++; seq < batches; seq = next++) await ns.upsert(makeBatch(dim, 'r', seq));
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    const info = await db.storageInfo(RINDEX);
    if (!info || info.slabs !== 0 || info.frozen !== 0) throw new Error(`the memtable flushed during the load: ${JSON.stringify(info)}`);
  } finally {
    await db.close();
  }
  const records = batches * BATCH;
  await syncFiles(dir);
  const loadSeconds = (now() - tLoad) / 1000;
  const files = await filesUnder(join(dir, 'indexes'));
  const logBytes = bytesOf(files, '.wal');
  const logSegments = files.filter((f) => f.path.endsWith('.wal')).length;
  log(`  loaded ${records} records at ${dim}-d: ${(logBytes / MB).toFixed(1)} MB of request log in ${logSegments} segment(s), ` +
    `${loadSeconds.toFixed(1)} s`);
  const sample = new Uint8Array(await readFile(files.find((f) => f.path.endsWith('.wal'))!.path));
  crc32c(sample.subarray(0, 1 << 20));
  const tCrc = now();
  crc32c(sample);
  const crc32cMBPerSec = sample.length / MB / ((now() - tCrc) / 1000);
  log(`  engine crc32c on this CPU: ${crc32cMBPerSec.toFixed(0)} MB/s (one thread)`);

  const emptyOpens: OpenTiming[] = [];
  const replayOpens: OpenTiming[] = [];
  for (let r = 0; r < RECOVERY_REPS; r++) {
    emptyOpens.push(await timedOpen(emptyDir, dim, BATCH));
    const t = await timedOpen(dir, dim, records);
    if (t.slabs !== 0 || t.memtableRows !== records) throw new Error(`replay open: expected all ${records} rows in the memtable, got ${JSON.stringify(t)}`);
    replayOpens.push(t);
    log(`  replay open ${r + 1}/${RECOVERY_REPS}: open ${t.openMs.toFixed(0)} ms + first query ${t.queryMs.toFixed(0)} ms ` +
      `(near-empty: ${emptyOpens[r]!.totalMs.toFixed(0)} ms); ns-host CPU ${t.hostCpuMs?.toFixed(0) ?? '?'} ms; ${t.records} records ✓`);
  }

  // Same data, as slabs.
  let flushSeconds: number;
  {
    const fdb = await LarchDB.open({ path: dir, memtableBytes: NEVER_FLUSH, queryThreads: QUERY_THREADS, actorThreads: ACTOR_THREADS });
    try {
      const t = now();
      await fdb.flush(RINDEX);
      flushSeconds = (now() - t) / 1000;
    } finally {
      await fdb.close();
    }
  }
  await syncFiles(dir);
  const after = await filesUnder(join(dir, 'indexes'));
  const slabBytes = bytesOf(after, '.slab');
  const slabFiles = after.filter((f) => f.path.endsWith('.slab')).length;
  const logBytesAfterFlush = bytesOf(after, '.wal');
  log(`  flush: ${flushSeconds.toFixed(1)} s → ${slabFiles} slab file(s), ${(slabBytes / MB).toFixed(1)} MB; ` +
    `${(logBytesAfterFlush / MB).toFixed(1)} MB of request log left`);
  const slabOpens: OpenTiming[] = [];
  for (let r = 0; r < RECOVERY_REPS; r++) {
    const t = await timedOpen(dir, dim, records);
    if (t.slabs === 0 || t.memtableRows !== 0) throw new Error(`slab open: expected slabs and an empty memtable, got ${JSON.stringify(t)}`);
    slabOpens.push(t);
    log(`  slab open ${r + 1}/${RECOVERY_REPS}: open ${t.openMs.toFixed(0)} ms + first query ${t.queryMs.toFixed(0)} ms; ` +
      `ns-host CPU ${t.hostCpuMs?.toFixed(0) ?? '?'} ms; ${t.records} records ✓`);
  }

  const fixedMs = median(emptyOpens.map((t) => t.totalMs));
  const replayTotal = median(replayOpens.map((t) => t.totalMs));
  const slabTotal = median(slabOpens.map((t) => t.totalMs));
  const replayMs = Math.max(1e-3, replayTotal - fixedMs);
  const slabMs = Math.max(1e-3, slabTotal - fixedMs);
  return {
    dim, records, logBytes, logSegments, loadSeconds, emptyOpens, replayOpens, flushSeconds, slabBytes, slabFiles,
    logBytesAfterFlush, slabOpens,
    replay: {
      medianTotalMs: replayTotal, fixedMs, replayMs,
      secondsPer100MB: (replayTotal / 1000) / (logBytes / 100e6), mbPerSec: logBytes / MB / (replayMs / 1000),
    },
    slab: { medianTotalMs: slabTotal, loadMs: slabMs, secondsPer100MBOfLog: (slabTotal / 1000) / (logBytes / 100e6), speedupVsReplay: replayTotal / slabTotal },
    crc32cMBPerSec,
  };
}

// ---------------------------------------------------------------------------

const pct = (x: number | undefined | null, w: number) => (x === undefined || x === null ? '?' : `${(x * 100).toFixed(0)}%`).padStart(w);
const num = (x: number | null | undefined, w: number, d = 0) => (x === null || x === undefined ? '?' : x.toFixed(d)).padStart(w);

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'larch-durability-'));
  DEV = deviceOf(root);
  await stat(root); // starts the libuv pool now, so its threads are not taken for the engine's
  let df = '';
  try {
    df = execFileSync('df', ['-hT', root], { encoding: 'utf8' }).trim();
  } catch {
    try {
      df = execFileSync('df', ['-h', root], { encoding: 'utf8' }).trim();
    } catch {
      df = '(df unavailable)';
    }
  }
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown cpu';
  const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  log(`durability: node ${process.version}, ${CORES} cores (${cpuModel}), load average ${loadavg()[0]!.toFixed(2)}, libuv pool ${poolSize}`);
  log(`  data dir ${root} (device ${DEV.major}:${DEV.minor}${diskCounters(DEV) ? ', flush counters from /proc/diskstats' : ', no device counters'})`);
  for (const l of df.split('\n')) log(`  df: ${l}`);
  if (/\b(tmpfs|ramfs|overlay)\b/.test(df)) log('  warning: the temp directory is not on a real disk; fsync costs nothing here');
  log(`  engine: ${ACTOR_THREADS} namespace host(s), ${QUERY_THREADS} query executor(s), 1 index builder, memtable ${MEMTABLE_BYTES / 2 ** 20} MiB; ` +
    `batches of ${BATCH}, ${SECONDS} s per configuration after ${WARMUP_MS} ms warm-up`);

  const peer: PeerResult[] = [];
  const rows: ThroughputRow[] = [];
  let rec: RecoveryResult | null = null;
  try {
    // ---- 2. peer (first: nothing else is writing to the disk yet)
    if (!SKIP.has('peer')) {
      log('\npeer: plain synchronous write + fdatasync loop on the same disk');
      const add = (r: PeerResult) => {
        peer.push(r);
        log(`  ${r.what.padEnd(34)} ${num(r.opsPerSec, 7)} op/s  p50 ${r.latencyMs.p50Ms.toFixed(3)} ms  p99 ${r.latencyMs.p99Ms.toFixed(3)} ms` +
          (r.vectorsPerSec === null ? '' : `  ${num(r.vectorsPerSec, 7)} vectors/s`) +
          (r.usage.device ? `  (${(r.usage.device.flushes / r.ops).toFixed(2)} device flushes/op, ${r.usage.device.flushMsEach?.toFixed(3) ?? '?'} ms each)` : ''));
      };
      add(await peerLoop(root, 'raw: append 64 B + fdatasync', 64, 'append', null));
      add(await peerLoop(root, 'raw: overwrite 4 KiB + fdatasync', 4096, 'overwrite', null));
      for (const dim of DIMS) {
        add(await peerLoop(root, `naive: append ${BATCH}×${dim}-d + fdatasync`, batchBytes(dim), 'append', BATCH));
        add(await peerLoop(root, `naive async: same, FileHandle`, batchBytes(dim), 'async-append', BATCH));
      }
    }

    // ---- 1. throughput
    if (!SKIP.has('throughput')) {
      log(`\nthroughput: closed loop, each writer waits for its batch to be acknowledged`);
      const dbs: Db[] = [];
      try {
        for (const mode of MODES) {
          const d = await openDb(join(root, `tp-${mode}`), mode, MEMTABLE_BYTES);
          dbs.push(d);
          for (const dim of DIMS) await d.db.createIndex({ name: `tp-${dim}`, dimension: dim, metric: 'cosine', spec: SPEC });
          if (d.names.size > 0 && [...d.names.values()].some((n) => n.startsWith('engine-thread'))) {
            log(`  note: could not tell the ${mode} database's threads apart (${d.names.size} new threads); host/builder CPU shown as '?'`);
          }
        }
        for (const dim of DIMS) {
          for (const conc of CONCURRENCY) {
            for (const layout of conc === 1 ? (['shared'] as Layout[]) : LAYOUTS) {
              for (const d of dbs) {
                const r = await throughputRun(d, `tp-${dim}`, dim, conc, layout);
                rows.push(r);
                log(`  d=${String(dim).padEnd(4)} c=${String(conc).padEnd(2)} ${layout.padEnd(6)} ${d.mode.padEnd(5)} ` +
                  `${num(r.vectorsPerSec, 7)} vectors/s  ${num(r.batchesPerSec, 6)} batches/s  p50 ${r.latencyMs.p50Ms.toFixed(2)} ms  ` +
                  `p99 ${r.latencyMs.p99Ms.toFixed(2)} ms  main ${pct(r.usage.cpu?.main, 4)} host ${pct(r.usage.cpu?.host, 4)}  ` +
                  `${r.recordsChecked} records ✓`);
              }
            }
          }
        }
      } finally {
        for (const d of dbs) await d.db.close();
      }
    }

    // ---- 3. recovery
    if (!SKIP.has('recovery')) {
      log(`\nrecovery: ${LOG_BYTES / MB} MB of request log at ${RECOVERY_DIM}-d, batches of ${BATCH}; ${RECOVERY_REPS} timed opens each`);
      rec = await recovery(root);
    }
  } finally {
    if (!args.keep) await rm(root, { recursive: true, force: true });
    else log(`kept ${root}`);
  }

  // ---- report
  const find = (dim: number, conc: number, layout: Layout, mode: Durability) =>
    rows.find((r) => r.dim === dim && r.concurrency === conc && r.layout === layout && r.durability === mode);
  const naive = (dim: number) => peer.find((p) => p.what.startsWith('naive:') && p.bytesPerOp === batchBytes(dim));
  const naiveAsync = (dim: number) => peer.find((p) => p.what.startsWith('naive async') && p.bytesPerOp === batchBytes(dim));
  const ratios = rows.filter((r) => r.durability === 'fsync').map((r) => {
    const none = find(r.dim, r.concurrency, r.layout, 'none');
    const base = naive(r.dim);
    const baseAsync = naiveAsync(r.dim);
    return {
      dim: r.dim, concurrency: r.concurrency, layout: r.layout,
      fsyncOverNone: none ? r.vectorsPerSec / none.vectorsPerSec : null,
      fsyncOverNaivePeer: base?.vectorsPerSec ? r.vectorsPerSec / base.vectorsPerSec : null,
      fsyncOverNaiveAsyncPeer: baseAsync?.vectorsPerSec ? r.vectorsPerSec / baseAsync.vectorsPerSec : null,
    };
  });

  const line = '-'.repeat(150);
  if (peer.length > 0) {
    console.log(`\n${'-'.repeat(110)}\npeer on the same disk, one op at a time (sync: main thread; async: FileHandle through the libuv pool)`);
    console.log(`${'what'.padEnd(36)}${'bytes/op'.padStart(9)}${'op/s'.padStart(8)}${'vectors/s'.padStart(10)}${'MB/s'.padStart(7)}` +
      `${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'max ms'.padStart(8)}${'flush/op'.padStart(9)}${'ms/flush'.padStart(9)}`);
    for (const p of peer) {
      const dv = p.usage.device;
      console.log(`${p.what.padEnd(36)}${num(p.bytesPerOp, 9)}${num(p.opsPerSec, 8)}${num(p.vectorsPerSec, 10)}${num(p.mbPerSec, 7, 1)}` +
        `${num(p.latencyMs.p50Ms, 8, 3)}${num(p.latencyMs.p99Ms, 8, 3)}${num(p.latencyMs.maxMs, 8, 2)}` +
        `${num(dv ? dv.flushes / p.ops : null, 9, 2)}${num(dv?.flushMsEach, 9, 3)}`);
    }
  }
  if (rows.length > 0) {
    console.log(`\n${line}\nLarchDB upsert throughput (in-process, batches of ${BATCH}; CPU as share of one core)`);
    console.log(`${'dim'.padEnd(5)}${'c'.padStart(2)} ${'layout'.padEnd(7)}${'dur'.padEnd(6)}${'vectors/s'.padStart(10)}${'batch/s'.padStart(8)}` +
      `${'MB/s'.padStart(7)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'max ms'.padStart(8)}${'main'.padStart(6)}${'host'.padStart(6)}` +
      `${'hwait'.padStart(6)}${'bldr'.padStart(6)}${'other'.padStart(6)}${'proc'.padStart(6)}${'cpu ms/b'.padStart(9)}` +
      `${'flush/b'.padStart(8)}${'ms/fl'.padStart(7)}${'slabs'.padStart(6)}${'sys'.padStart(5)}`);
    console.log(line);
    for (const r of rows) {
      const c = r.usage.cpu;
      console.log(`${String(r.dim).padEnd(5)}${String(r.concurrency).padStart(2)} ${r.layout.padEnd(7)}${r.durability.padEnd(6)}` +
        `${num(r.vectorsPerSec, 10)}${num(r.batchesPerSec, 8)}${num(r.mbPerSec, 7, 1)}` +
        `${num(r.latencyMs.p50Ms, 8, 2)}${num(r.latencyMs.p99Ms, 8, 2)}${num(r.latencyMs.maxMs, 8, 1)}` +
        `${pct(c?.main, 6)}${pct(c?.host, 6)}${pct(c?.hostWait, 6)}${pct(c?.builder, 6)}${pct(c?.other, 6)}${pct(r.usage.processCores, 6)}` +
        `${num(r.cpuMsPerBatch, 9, 2)}${num(r.deviceFlushesPerBatch, 8, 2)}` +
        `${num(r.usage.device?.flushMsEach, 7, 3)}${num(r.slabsAtEnd, 6)}${pct(r.usage.otherLoad, 5)}`);
    }
    console.log(line);
    for (const q of ratios) {
      console.log(`d=${String(q.dim).padEnd(4)} c=${String(q.concurrency).padEnd(2)} ${q.layout.padEnd(6)}  fsync/none ${num(q.fsyncOverNone, 5, 2)}x` +
        `   fsync / naive fdatasync-per-batch peer (c=1): sync ${num(q.fsyncOverNaivePeer, 5, 2)}x, async ${num(q.fsyncOverNaiveAsyncPeer, 5, 2)}x`);
    }
    console.log(`\nmain = main thread (validate + encode + hand-off); host = namespace-host thread (log append, group commit, memtable apply);` +
      `\nhwait = host runnable but without a core; bldr = index builder (memtable → slab); other = V8 GC + libuv pool (log writes) + HNSW build threads ` +
      `+ the host's prefault thread + idle threads;\nproc = whole process in cores; cpu ms/b = process CPU per batch; flush/b = device flush requests per batch (< 1: one ` +
      `log write covered several batches;\nthe whole device, so other processes' fsyncs count too); ms/fl = mean device flush time; ` +
      `slabs = slabs in the namespaces at the end; sys = other processes' CPU share.`);
  }
  if (rec) {
    const r = rec;
    const ms = (ts: OpenTiming[]) => ts.map((t) => `${t.openMs.toFixed(0)}+${t.queryMs.toFixed(0)}`).join(', ');
    console.log(`\n${'-'.repeat(110)}\nrecovery (${r.records} records at ${r.dim}-d; page cache warm: the files were just written)`);
    console.log(`  request log        ${(r.logBytes / MB).toFixed(1)} MB in ${r.logSegments} segment(s)`);
    console.log(`  near-empty open    ${r.replay.fixedMs.toFixed(0)} ms median (open+query ms: ${ms(r.emptyOpens)})`);
    console.log(`  replay open        ${r.replay.medianTotalMs.toFixed(0)} ms median (open+query ms: ${ms(r.replayOpens)})  →  ` +
      `${r.replay.secondsPer100MB.toFixed(2)} s per 100 MB of log, replay ${r.replay.mbPerSec.toFixed(0)} MB/s after the fixed cost; ` +
      `ns-host CPU ${num(median(r.replayOpens.map((t) => t.hostCpuMs ?? NaN)), 0)} ms`);
    console.log(`  flush to slabs     ${r.flushSeconds.toFixed(2)} s → ${r.slabFiles} slab(s), ${(r.slabBytes / MB).toFixed(1)} MB; ` +
      `${(r.logBytesAfterFlush / MB).toFixed(1)} MB of log left (read and checked at open, not applied)`);
    console.log(`  slab open          ${r.slab.medianTotalMs.toFixed(0)} ms median (open+query ms: ${ms(r.slabOpens)})  →  ` +
      `${r.slab.secondsPer100MBOfLog.toFixed(2)} s per 100 MB of (original) log, ${(1 / r.slab.speedupVsReplay).toFixed(2)}x the replay open's time; ` +
      `ns-host CPU ${num(median(r.slabOpens.map((t) => t.hostCpuMs ?? NaN)), 0)} ms`);
    console.log(`  engine crc32c      ${r.crc32cMBPerSec.toFixed(0)} MB/s on one thread (every log frame, and every slab byte twice, is checked at open)`);
    console.log(`  record count after every reopen: ${r.records} ✓`);
  }
  const busiest = Math.max(0, ...rows.map((r) => r.usage.otherLoad ?? 0), ...peer.map((p) => p.usage.otherLoad ?? 0));
  if (busiest > 0.05) console.log(`\nwarning: other processes used up to ${(busiest * 100).toFixed(0)}% of the cores during a run; the numbers are noisy.`);

  if (JSON_FILE) {
    writeFileSync(JSON_FILE, JSON.stringify({
      config: {
        seconds: SECONDS, warmupMs: WARMUP_MS, dims: DIMS, batch: BATCH, concurrency: CONCURRENCY, layouts: LAYOUTS, modes: MODES,
        memtableBytes: MEMTABLE_BYTES, actorThreads: ACTOR_THREADS, queryThreads: QUERY_THREADS, logBytesTarget: LOG_BYTES,
        recoveryDim: RECOVERY_DIM, recoveryReps: RECOVERY_REPS, seed: SEED, skip: [...SKIP],
      },
      environment: {
        node: process.version, cores: CORES, cpu: cpuModel, libuvPool: poolSize, dataDir: root, df,
        device: `${DEV.major}:${DEV.minor}`, loadAverageEnd: loadavg()[0]!,
      },
      peer, throughput: rows, ratios, recovery: rec, maxOtherLoad: busiest,
    }, null, 2) + '\n');
    log(`\nwrote ${JSON_FILE}`);
  }
}

await main();
