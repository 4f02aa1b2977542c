/**
 * Crash test of the durable write path: the real server (`larchdb serve`) runs as a child process with a small
 * memtable (so slab flushes, merges and log truncation happen during the load). Several clients send upserts,
 * updates, deletes by id and deletes by filter concurrently into two namespaces, one request at a time each, over
 * disjoint id sets, and record every acknowledged (2xx) write in a model. At a random moment the server gets
 * SIGKILL; it is restarted on the same data directory and every id must hold exactly its latest acknowledged
 * value, or that value plus the one write the client had in flight applied entirely, never partly; deleted ids
 * must be absent, `/vectors/list` and `describe_index_stats` must agree with the model, and LSNs answered after
 * the restart must be above every LSN acknowledged before. Each round does several kill/restart cycles on one
 * data directory (state carries over), then a clean shutdown and a last check.
 *
 * Every write carries its write number in both the vector values (values[0]) and the metadata (`w`), and all
 * records of an upsert batch share it, so a record whose values and metadata come from different writes, or a
 * batch applied only in part, shows up as a mismatch against both candidate states.
 *
 * Environment:
 *   LARCH_CRASH_ROUNDS=<n>  rounds to run (default 3; each round has a fresh data directory). Use hundreds for a
 *                           soak run, e.g. `LARCH_CRASH_ROUNDS=300 node --test dist/test/durability-kill.test.js`.
 *   LARCH_CRASH_SEED=<n>    base seed (default: random, printed). Round r uses seed + r. The seed fixes the
 *                           operations each client picks and the kill delays; thread timing is not reproducible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { rng, tempDir } from './helpers.js';
import { startCli, stopCli, type CliProcess } from './cli-process.js';

const ROUNDS = Number(process.env.LARCH_CRASH_ROUNDS ?? 3);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`LARCH_CRASH_ROUNDS must be a positive integer, got '${process.env.LARCH_CRASH_ROUNDS}'`);
const BASE_SEED = Number(process.env.LARCH_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Kill/restart cycles per round, on the same data directory. */
const CYCLES = 3;
const CLIENTS = 4;
/** Ids per client per namespace. */
const UNIVERSE = 24;
const NAMESPACES = ['', 'beta'];
const INDEX = 'crash';
const DIM = 8;
const GROUPS = 4;
const HEADERS = { 'content-type': 'application/json', 'X-Pinecone-API-Version': '2025-04' };
/** A request that takes this long while the server is supposed to be up is a failure (a hung write path). */
const REQUEST_TIMEOUT_MS = 15_000;

type Metadata = Record<string, string | number>;
interface Rec {
  values: number[];
  metadata: Metadata;
}
type NsModel = Map<string, Rec>;

/** A write a client sends: its request and what it does to the client's model of its namespace. */
interface Write {
  ns: number;
  path: string;
  body: unknown;
  desc: string;
  apply(m: NsModel): void;
}

const nsLabel = (i: number) => JSON.stringify(NAMESPACES[i]);

/** Values are small integers and halves, exact in float32, so they compare with ===. */
function vector(w: number, client: number, k: number, g: number, ns: number, kind: number): number[] {
  return [w, client, k, g, ns, kind, (w % 7) - 3, 0.5 * (k % 5)];
}

function recEqual(a: Rec | undefined, b: Rec | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return JSON.stringify(a.values) === JSON.stringify(b.values) && JSON.stringify(sortKeys(a.metadata)) === JSON.stringify(sortKeys(b.metadata));
}

function sortKeys(m: Metadata): Metadata {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A record for failure messages; the padding shows as its length. */
function show(r: Rec | undefined): string {
  if (r === undefined) return 'absent';
  const md = sortKeys(r.metadata);
  if (typeof md.pad === 'string') md.pad = `<${md.pad.length} x>`;
  return JSON.stringify({ values: r.values, metadata: md });
}

class Client {
  readonly tag: string;
  readonly groupKey: string;
  readonly rnd: () => number;
  /** Write number: goes into values[0] and metadata.w of every record a write touches. Never reused. */
  w = 0;
  readonly models: NsModel[] = NAMESPACES.map(() => new Map());
  inflight: Write | null = null;
  acked = 0;
  /** Outcomes of in-flight writes at kill time, as resolved by recovery. */
  inflightApplied = 0;
  inflightNotApplied = 0;
  /** In-flight writes that change nothing (say a delete of absent ids), so their outcome cannot be seen. */
  inflightNoop = 0;

  constructor(
    readonly idx: number,
    seed: number,
  ) {
    this.tag = `c${idx}`;
    this.groupKey = `g_c${idx}`; // only this client's records carry this field
    this.rnd = rng(seed);
  }

  id(k: number): string {
    return `${this.tag}-${k}`;
  }

  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  private pick(n: number): number[] {
    const s = new Set<number>();
    while (s.size < n) s.add(this.int(UNIVERSE));
    return [...s];
  }

  /** The next write, chosen at random. */
  next(): Write {
    const ns = this.int(NAMESPACES.length);
    const namespace = NAMESPACES[ns]!;
    const model = this.models[ns]!;
    const w = ++this.w;
    const r = this.rnd();
    const existing = [...model.keys()];
    if (r < 0.42 || (r < 0.68 && existing.length === 0)) {
      const recs = this.pick(2 + this.int(7)).map((k) => {
        const g = this.int(GROUPS);
        const rec: Rec = {
          values: vector(w, this.idx, k, g, ns, 1),
          // `pad` makes bodies bigger, so memtables fill and slabs are flushed and merged during the run.
          metadata: { owner: this.tag, w, born: w, [this.groupKey]: g, pad: 'x'.repeat(this.int(1500)) },
        };
        return { id: this.id(k), rec };
      });
      return {
        ns,
        path: `/index/${INDEX}/vectors/upsert`,
        body: { namespace, vectors: recs.map(({ id, rec }) => ({ id, values: rec.values, metadata: rec.metadata })) },
        desc: `upsert w=${w} ns=${nsLabel(ns)} ids=${recs.map((x) => x.id).join(',')}`,
        apply: (m) => {
          for (const { id, rec } of recs) m.set(id, { values: [...rec.values], metadata: { ...rec.metadata } });
        },
      };
    }
    if (r < 0.68) {
      const id = existing[this.int(existing.length)]!;
      const k = Number(id.slice(this.tag.length + 1));
      const g = this.int(GROUPS);
      const values = vector(w, this.idx, k, g, ns, 2);
      const setMetadata = { w, [this.groupKey]: g }; // merged: owner, born and pad stay
      return {
        ns,
        path: `/index/${INDEX}/vectors/update`,
        body: { namespace, id, values, setMetadata },
        desc: `update w=${w} ns=${nsLabel(ns)} id=${id}`,
        apply: (m) => {
          const old = m.get(id);
          if (old) m.set(id, { values: [...values], metadata: { ...old.metadata, ...setMetadata } });
        },
      };
    }
    if (r < 0.86) {
      const ids = this.pick(1 + this.int(4)).map((k) => this.id(k));
      return {
        ns,
        path: `/index/${INDEX}/vectors/delete`,
        body: { namespace, ids },
        desc: `delete w=${w} ns=${nsLabel(ns)} ids=${ids.join(',')}`,
        apply: (m) => {
          for (const id of ids) m.delete(id);
        },
      };
    }
    const g = this.int(GROUPS);
    const key = this.groupKey;
    return {
      ns,
      path: `/index/${INDEX}/vectors/delete`,
      body: { namespace, filter: { [key]: { $eq: g } } },
      desc: `delete w=${w} ns=${nsLabel(ns)} filter ${key}=${g}`,
      apply: (m) => {
        for (const [id, rec] of [...m]) if (rec.metadata[key] === g) m.delete(id);
      },
    };
  }
}

/** The anchor record each namespace gets before the load, so both namespaces exist from the start. */
const anchor = (ns: number): Rec => ({ values: vector(0, 99, 0, 0, ns, 0), metadata: { owner: 'anchor', w: 0 } });

interface RoundState {
  round: number;
  seed: number;
  /** Highest acknowledged LSN per namespace, over all cycles of the round. */
  lsnFloor: number[];
  failures: string[];
  /** Server output of every process of this round, for failure messages. */
  logs: { label: string; output: string[] }[];
}

async function request(url: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(url + path, {
    method,
    headers: HEADERS,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

async function json(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await request(url, method, path, body);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

function lsnOf(res: Response): number {
  const h = res.headers.get('x-pinecone-request-lsn');
  return h !== null && /^\d+$/.test(h) ? Number(h) : NaN;
}

/** One client's load: one write at a time until the kill (or a failure). */
async function runClient(cl: Client, url: string, st: RoundState, stop: { killed: boolean }): Promise<void> {
  while (!stop.killed && st.failures.length === 0) {
    const wr = cl.next();
    const floor = st.lsnFloor[wr.ns]!;
    cl.inflight = wr;
    let res: Response;
    try {
      res = await request(url, 'POST', wr.path, wr.body);
    } catch (err) {
      if (!stop.killed) st.failures.push(`client ${cl.tag}: ${wr.desc} failed while the server was up: ${(err as Error).message} ${(err as Error).cause ?? ''}`);
      return;
    }
    // The status line arrives only after the write is durable: a 2xx is an acknowledgement even if the body is cut.
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      st.failures.push(`client ${cl.tag}: ${wr.desc} answered ${res.status}: ${text}`);
      return;
    }
    const lsn = lsnOf(res);
    if (!(lsn > floor)) {
      st.failures.push(`client ${cl.tag}: ${wr.desc} got LSN ${res.headers.get('x-pinecone-request-lsn')}, not above ${floor}, the highest LSN acknowledged in namespace ${nsLabel(wr.ns)} before it was sent`);
    }
    wr.apply(cl.models[wr.ns]!);
    cl.inflight = null;
    cl.acked++;
    if (lsn > st.lsnFloor[wr.ns]!) st.lsnFloor[wr.ns] = lsn;
  }
}

function fail(st: RoundState, what: string): never {
  const logs = st.logs.map((l) => `--- server output (${l.label}) ---\n${l.output.slice(-60).join('\n')}`).join('\n');
  assert.fail(`seed ${st.seed} (LARCH_CRASH_SEED=${st.seed - st.round}), round ${st.round}: ${what}\n${logs}`);
}

/** Fetches every id of `ids` in namespace `ns`, as records. */
async function fetchAll(url: string, ns: number, ids: string[]): Promise<Map<string, Rec>> {
  const out = new Map<string, Rec>();
  for (let i = 0; i < ids.length; i += 50) {
    const qs = ids.slice(i, i + 50).map((id) => `ids=${encodeURIComponent(id)}`).join('&');
    const body = await json(url, 'GET', `/index/${INDEX}/vectors/fetch?${qs}&namespace=${encodeURIComponent(NAMESPACES[ns]!)}`);
    for (const [id, v] of Object.entries<any>(body.vectors ?? {})) out.set(id, { values: v.values ?? [], metadata: v.metadata ?? {} });
  }
  return out;
}

async function listAll(url: string, ns: number): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const qs = `namespace=${encodeURIComponent(NAMESPACES[ns]!)}&limit=100${token ? `&paginationToken=${encodeURIComponent(token)}` : ''}`;
    const body = await json(url, 'GET', `/index/${INDEX}/vectors/list?${qs}`);
    for (const v of body.vectors ?? []) ids.push(v.id);
    token = body.pagination?.next;
    if (!token) return ids;
  }
  throw new Error('list did not end');
}

/**
 * Checks the recovered state against the model. For each client and namespace the state must equal the model
 * (the in-flight write not applied) or the model with the in-flight write applied entirely; the model becomes
 * whichever it is. Then list, stats and the anchors.
 */
async function verify(url: string, clients: Client[], st: RoundState, when: string): Promise<void> {
  for (let ns = 0; ns < NAMESPACES.length; ns++) {
    const a = (await fetchAll(url, ns, ['anchor'])).get('anchor');
    if (!recEqual(a, anchor(ns))) fail(st, `${when}: namespace ${nsLabel(ns)}, id anchor: expected ${show(anchor(ns))}, got ${show(a)}`);
    for (const cl of clients) {
      const universe = Array.from({ length: UNIVERSE }, (_, k) => cl.id(k));
      const got = await fetchAll(url, ns, universe);
      for (const [id, rec] of got) {
        if (!universe.includes(id)) fail(st, `${when}: fetch of ${cl.tag}'s ids in ${nsLabel(ns)} answered id ${id}`);
        if (rec.values[0] !== rec.metadata.w) fail(st, `${when}: namespace ${nsLabel(ns)}, id ${id} is half-applied (values from write ${rec.values[0]}, metadata from write ${rec.metadata.w}): ${show(rec)}`);
      }
      const base = cl.models[ns]!;
      const inflight = cl.inflight?.ns === ns ? cl.inflight : null;
      const withInflight = new Map(base);
      inflight?.apply(withInflight);
      const matches = (m: NsModel) => universe.every((id) => recEqual(got.get(id), m.get(id)));
      const isBase = matches(base);
      const isWith = inflight !== null && matches(withInflight);
      if (isBase || isWith) {
        if (inflight) {
          if (isBase && isWith) cl.inflightNoop++;
          else if (isWith) cl.inflightApplied++;
          else cl.inflightNotApplied++;
        }
        if (!isBase) cl.models[ns] = withInflight;
        continue;
      }
      const diffs = universe
        .filter((id) => !recEqual(got.get(id), base.get(id)) || (inflight && !recEqual(got.get(id), withInflight.get(id))))
        .map((id) => `  id ${id}: expected ${show(base.get(id))}${inflight ? `\n      or (with the in-flight write) ${show(withInflight.get(id))}` : ''}\n      got ${show(got.get(id))}`);
      fail(st, `${when}: client ${cl.tag}, namespace ${nsLabel(ns)}: recovered state is neither the acknowledged state nor it plus the in-flight write (${inflight?.desc ?? 'none in this namespace'}):\n${diffs.join('\n')}`);
    }
    const want = ['anchor', ...clients.flatMap((cl) => [...cl.models[ns]!.keys()])].sort();
    const listed = (await listAll(url, ns)).sort();
    if (JSON.stringify(listed) !== JSON.stringify(want)) {
      const extra = listed.filter((id) => !want.includes(id));
      const missing = want.filter((id) => !listed.includes(id));
      fail(st, `${when}: /vectors/list of namespace ${nsLabel(ns)} disagrees with the model: extra ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)}`);
    }
  }
  for (const cl of clients) cl.inflight = null;
  const stats = await json(url, 'POST', `/index/${INDEX}/describe_index_stats`, {});
  let total = 0;
  for (let ns = 0; ns < NAMESPACES.length; ns++) {
    const want = 1 + clients.reduce((s, cl) => s + cl.models[ns]!.size, 0);
    total += want;
    // The default namespace is reported as "__default__", as Pinecone does.
    const name = NAMESPACES[ns] || '__default__';
    const got = stats.namespaces?.[name]?.vectorCount;
    if (got !== want) fail(st, `${when}: describe_index_stats counts ${got} records in namespace ${nsLabel(ns)}, the model ${want}: ${JSON.stringify(stats)}`);
  }
  if (stats.totalVectorCount !== total) fail(st, `${when}: describe_index_stats totalVectorCount ${stats.totalVectorCount}, the model ${total}: ${JSON.stringify(stats)}`);
}

/** Writes the anchors again; each write's LSN must be above every LSN acknowledged so far in its namespace. */
async function probeLsn(url: string, st: RoundState, when: string): Promise<void> {
  for (let ns = 0; ns < NAMESPACES.length; ns++) {
    const a = anchor(ns);
    const res = await request(url, 'POST', `/index/${INDEX}/vectors/upsert`, { namespace: NAMESPACES[ns], vectors: [{ id: 'anchor', ...a }] });
    const text = await res.text();
    if (!res.ok) fail(st, `${when}: anchor upsert answered ${res.status}: ${text}`);
    const lsn = lsnOf(res);
    if (!(lsn > st.lsnFloor[ns]!)) fail(st, `${when}: a write to namespace ${nsLabel(ns)} got LSN ${res.headers.get('x-pinecone-request-lsn')}, not above ${st.lsnFloor[ns]}, the highest acknowledged before`);
    st.lsnFloor[ns] = lsn;
  }
}

/**
 * What is on disk, for the round summary: per namespace the manifest's LSN (writes up to it are in slabs and cut
 * from the log), its slabs and their rows, and the log files; shows that flushes, merges and truncation happened.
 */
async function storageSummary(dir: string): Promise<string> {
  const root = join(dir, 'indexes', INDEX);
  const parts: string[] = [];
  for (const e of (await readdir(root).catch(() => [] as string[])).sort()) {
    if (!e.startsWith('ns-')) continue;
    const m = JSON.parse(await readFile(join(root, e, 'MANIFEST.json'), 'utf8')).data;
    let walBytes = 0;
    const wals = await readdir(join(root, e, 'log')).catch(() => [] as string[]);
    for (const f of wals) walBytes += (await stat(join(root, e, 'log', f))).size;
    const slabs = m.slabs.map((x: { name: string; rows: number }) => `${x.name.replace(/^0+/, '')}:${x.rows}`).join(',');
    parts.push(`ns ${JSON.stringify(m.namespace)}: manifest LSN ${m.lsn}, slabs [${slabs}], ${wals.length} log files (${walBytes} bytes)`);
  }
  return parts.join('; ');
}

async function runRound(round: number): Promise<void> {
  const seed = BASE_SEED + round;
  const r = rng(seed);
  const started = Date.now();
  const dir = await tempDir();
  const st: RoundState = { round, seed, lsnFloor: NAMESPACES.map(() => 0), failures: [], logs: [] };
  const args = ['serve', '--port', '0', '--data', dir.path, '--memtable-bytes', '65536'];
  const clients = Array.from({ length: CLIENTS }, (_, i) => new Client(i, seed * 31 + i + 1));
  let srv: CliProcess | null = null;
  const start = async (label: string) => {
    try {
      srv = await startCli(args);
    } catch (err) {
      fail(st, `the server did not start (${label}): ${(err as Error).message}`);
    }
    st.logs.push({ label, output: srv.output });
    return srv;
  };
  const kills: number[] = [];
  let inflightAtKills = 0;
  try {
    let s = await start('first start');
    const created = await request(s.url, 'POST', '/indexes', { name: INDEX, dimension: DIM, metric: 'euclidean', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } } });
    if (created.status !== 201) fail(st, `create index answered ${created.status}: ${await created.text()}`);
    await probeLsn(s.url, st, 'setup');

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const stop = { killed: false };
      const loops = clients.map((cl) => runClient(cl, s.url, st, stop));
      const delay = 300 + Math.floor(r() * 1200);
      kills.push(delay);
      const deadline = Date.now() + delay;
      while (Date.now() < deadline && st.failures.length === 0) await new Promise((res) => setTimeout(res, Math.min(25, deadline - Date.now())));
      stop.killed = true;
      const code = await stopCli(s.child, 'SIGKILL');
      srv = null;
      await Promise.all(loops);
      inflightAtKills += clients.filter((cl) => cl.inflight !== null).length;
      if (st.failures.length > 0) fail(st, `cycle ${cycle}, before the kill:\n${st.failures.join('\n')}`);
      if (code !== null) fail(st, `cycle ${cycle}: the server exited with ${code} before the SIGKILL`);

      s = await start(`restart after kill ${cycle + 1} at ${delay} ms`);
      await verify(s.url, clients, st, `cycle ${cycle}, after SIGKILL at ${delay} ms and restart`);
      await probeLsn(s.url, st, `cycle ${cycle}, after restart`);
    }

    // A clean shutdown and restart keeps everything too.
    const code = await stopCli(s.child, 'SIGTERM');
    srv = null;
    if (code !== 0) fail(st, `SIGTERM: the server exited with ${code}`);
    s = await start('restart after clean shutdown');
    await verify(s.url, clients, st, 'after clean shutdown and restart');
    const summary = await storageSummary(dir.path);
    await stopCli(s.child, 'SIGTERM');
    srv = null;
    const acked = clients.reduce((n, cl) => n + cl.acked, 0);
    const applied = clients.reduce((n, cl) => n + cl.inflightApplied, 0);
    const notApplied = clients.reduce((n, cl) => n + cl.inflightNotApplied, 0);
    const noop = clients.reduce((n, cl) => n + cl.inflightNoop, 0);
    console.log(
      `durability-kill round ${round} seed ${seed}: ${((Date.now() - started) / 1000).toFixed(1)} s, kills at ${kills.join('/')} ms, ` +
        `${acked} writes acknowledged, ${inflightAtKills} in flight at the kills (${applied} found applied, ${notApplied} not, ${noop} no-ops)` +
        `; LSNs ${st.lsnFloor.join('/')}; ${summary}`,
    );
  } catch (err) {
    // A request that failed outright (say a 500 from fetch after a restart) still reports seed, round and logs.
    if (err instanceof assert.AssertionError) throw err;
    fail(st, `after kills at ${kills.join('/')} ms: ${(err as Error).stack ?? err}`);
  } finally {
    const left = srv as CliProcess | null;
    if (left && left.child.exitCode === null && left.child.signalCode === null) await stopCli(left.child, 'SIGKILL');
    await dir.cleanup();
  }
}

test(`acknowledged writes survive SIGKILL of the server, none half-applied (${ROUNDS} rounds, seed ${BASE_SEED})`, { timeout: 120_000 + ROUNDS * 60_000 }, async () => {
  console.log(`durability-kill: ${ROUNDS} rounds, base seed ${BASE_SEED} (rerun with LARCH_CRASH_SEED=${BASE_SEED})`);
  for (let round = 0; round < ROUNDS; round++) await runRound(round);
});
