/**
 * The read path, driven from the main thread: the namespace actor plans (snapshot, filter bitmap, query copied
 * into the arena), executors scan block ranges in parallel into heaps in shared memory, this module merges the
 * heaps, and the actor maps the winning rows to ids and metadata. Values are read from shared memory here.
 */
import { hnswSettings, METRIC_CODE, type IndexConfig } from '../../engine/core/index-config.js';
import type { QueryResponse, RecordMetadata, ScoredPineconeRecord } from '../../engine/core/types.js';
import type { ValidQuery } from '../../engine/core/validation/data.js';
import { encodeRecords } from '../../engine/storage/record-frame.js';
import { f32ToNumber } from '../shared/arena-layout.js';
import { readHits, type RowRef, type RowValues } from '../shared/row-values.js';
import { readUnits, type PlanHit, type PlanRequest, type PlanResult, type PlanUnit, type QueryPlan, type ScanTask, type ScanUnit } from '../shared/query-plan.js';
import { labelHits, readQuery, readWork, rowViews, type ReadRequest, type ReadResult } from '../shared/read-query.js';
import type { NamespaceReadView } from '../shared/read-view.js';
import type { Supervisor } from './supervisor.js';

interface Candidate {
  key: number;
  /** Position of the segment in the plan. */
  seg: number;
  row: number;
}

/** Merges the unit heaps (keys f32[k] then rows u32[k]) into the best `k` candidates, best first. */
function mergeHeaps(plan: QueryPlan, counts: Map<PlanUnit, number>): Candidate[] {
  const out: Candidate[] = [];
  plan.segments.forEach((segment, s) => {
    const buf = segment.view.memory.buffer;
    for (const u of segment.units) {
      const n = counts.get(u)!;
      const keys = new Float32Array(buf, u.heap, n);
      const rows = new Uint32Array(buf, u.heap + 4 * plan.k, n);
      for (let j = 0; j < n; j++) out.push({ key: keys[j]!, seg: s, row: rows[j]! });
    }
  });
  // Equal keys: older segment, then earlier row (the earlier write) first.
  out.sort((a, b) => b.key - a.key || a.seg - b.seg || a.row - b.row);
  return out.slice(0, plan.k);
}

/** The executor tasks of a plan: each gets the units assigned to it. */
function scanTasks(plan: QueryPlan): { task: ScanTask; units: PlanUnit[] }[] {
  const tasks = Array.from({ length: plan.tasks }, () => ({
    task: { snap: plan.snap, k: plan.k, metric: plan.metric, flags: plan.flags, units: [] as ScanUnit[] },
    units: [] as PlanUnit[],
  }));
  for (const segment of plan.segments) {
    const { view, units, ...placement } = segment;
    for (const u of units) {
      const t = tasks[u.task]!;
      t.units.push(u);
      t.task.units.push({
        ...placement,
        arenaId: view.arenaId,
        memory: view.memory,
        dim: view.dim,
        rowsPerBlock: view.rowsPerBlock,
        // A graph search reaches rows through the graph's block table in shared memory.
        blocks: placement.graph ? [] : view.blocks.slice(u.b0, u.b1),
        rowBase: u.b0 * view.rowsPerBlock,
        heap: u.heap,
      });
    }
  }
  return tasks.filter((t) => t.units.length > 0);
}

/** A winning row as the answer needs it: kernel key (larger is better), id and what was asked for. */
interface Winner {
  key: number;
  id: string;
  metadata?: RecordMetadata;
  values?: number[];
  sparse?: { indices: number[]; values: number[] };
}

/** The query's matches, best first; equal scores by id (bitwise), so the order is the same on every run. */
function matchesOf(cfg: IndexConfig, winners: Winner[]): ScoredPineconeRecord[] {
  const euclid = cfg.metric === 'euclidean';
  const matches = winners.map((w): ScoredPineconeRecord => {
    const m: ScoredPineconeRecord = { id: w.id, score: f32ToNumber(euclid ? -w.key : w.key), values: w.values ?? [] };
    if (w.sparse) m.sparseValues = w.sparse;
    if (w.metadata) m.metadata = w.metadata;
    return m;
  });
  matches.sort((a, b) => (euclid ? a.score! - b.score! : b.score! - a.score!) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return matches;
}

/**
 * Runs a validated query; also answers the namespace's applied LSN when it was planned. An unfiltered dense query
 * runs right here from the namespace's read view when it can; otherwise the namespace actor plans it. Counted in
 * `sup.activeQueries` from start to answer: a query alone may have its small scans run on this thread.
 */
export async function runQuery(sup: Supervisor, cfg: IndexConfig, ns: string, q: ValidQuery): Promise<{ response: QueryResponse; lsn: number }> {
  sup.activeQueries++;
  try {
    return (await readHere(sup, cfg, ns, q)) ?? (await planScanHydrate(sup, cfg, ns, q));
  } finally {
    sup.activeQueries--;
  }
}

/** The query answered from the namespace's read view (here or on an executor), or null when it is the actor's. */
async function readHere(sup: Supervisor, cfg: IndexConfig, ns: string, q: ValidQuery): Promise<{ response: QueryResponse; lsn: number } | null> {
  if (!q.vector || q.sparse || q.id !== undefined || q.filter !== undefined || !sup.readersEnabled) return null;
  const view = sup.host(cfg.name, ns).readView(cfg.name, ns);
  if (!view) return null;
  const req: ReadRequest = {
    vector: q.vector,
    k: q.topK,
    ef: hnswSettings(cfg).efSearch,
    metric: METRIC_CODE[cfg.metric],
    flags: 0,
    includeMetadata: q.includeMetadata,
  };
  const read = await readSomewhere(sup, cfg, ns, view, req);
  if (!read) return null;
  const r = read.result;
  let values: RowValues[] | undefined;
  if (q.includeValues) {
    // Values are read here, where a large HTTP answer can defer them to an executor (row-values.ts).
    const views = rowViews(read.view);
    if (!views) return null;
    values = readHits(views, r.hits.map((h): RowRef => [h.seg, h.row]), q.deferValues);
  }
  sup.countReaderQuery();
  const winners = r.hits.map((h, i): Winner => ({
    key: h.key,
    id: h.id,
    metadata: h.metaJson === undefined ? undefined : (JSON.parse(h.metaJson) as RecordMetadata),
    ...values?.[i],
  }));
  return { response: { matches: matchesOf(cfg, winners), namespace: ns, usage: { readUnits: readUnits(r.live, cfg.dimension ?? 0) } }, lsn: r.lsn };
}

/**
 * Runs a read-view query: on a reader thread when the supervisor hands it one (and that thread answers), else here
 * (or, when large and no reader can take it, on an executor), with the view it was read from (its hits name that
 * view's segment positions). Null: the query is the actor's.
 */
async function readSomewhere(sup: Supervisor, cfg: IndexConfig, ns: string, view: NamespaceReadView, req: ReadRequest): Promise<{ result: ReadResult; view: NamespaceReadView } | null> {
  const work = readWork(view, Math.max(req.k, req.ef));
  const reader = sup.readerFor(view, req, work);
  if (reader) {
    // Null: the reader could not answer from the view (it died, or the view was behind by then); try here.
    const found = await sup.readOnReader(reader, view, req);
    const hits = found && labelHits(view, found.best, req.includeMetadata);
    if (found && hits) return { result: { hits, lsn: found.lsn, live: found.live }, view };
  }
  const where = sup.placeRead(work);
  if (where === 'yield') await new Promise((resolve) => setImmediate(resolve));
  if (where === 'pool') {
    const result = await sup.readOnPool(view, req);
    return result && { result, view };
  }
  // After a yield (or a hand-off that came back) the view may have been replaced: read the current one.
  const here = sup.host(cfg.name, ns).readView(cfg.name, ns) ?? view;
  const result = readQuery(here, req);
  // This thread was busy: queries the reader threads answered meanwhile are settled now.
  sup.pollReaders();
  return result && { result, view: here };
}

async function planScanHydrate(sup: Supervisor, cfg: IndexConfig, ns: string, q: ValidQuery): Promise<{ response: QueryResponse; lsn: number }> {
  const host = sup.host(cfg.name, ns);
  const req: PlanRequest = { k: q.topK, id: q.id, filter: q.filter, tasks: sup.executorCount };
  const plan: PlanResult =
    q.id === undefined
      ? await host.withFrame('plan', [cfg.name, ns, req, true], encodeRecords([{ id: '', values: q.vector, sparse: q.sparse }]), false)
      : await host.call.plan(cfg.name, ns, req, false);
  if ('empty' in plan) return { response: { matches: [], namespace: ns, usage: { readUnits: plan.readUnits } }, lsn: plan.lsn };

  let best: Candidate[];
  try {
    const tasks = scanTasks(plan);
    const results = await Promise.all(tasks.map((t) => sup.scan(t.task)));
    const counts = new Map<PlanUnit, number>();
    tasks.forEach((t, i) => t.units.forEach((u, j) => counts.set(u, results[i]![j]!)));
    best = mergeHeaps(plan, counts);
  } catch (err) {
    await host.call.release(cfg.name, ns, plan.planId).catch(() => undefined);
    throw err;
  }

  const hits = best.map((c): PlanHit => [c.seg, c.row]);
  const hyd = await host.call.hydrate(cfg.name, ns, plan.planId, hits, q.includeMetadata);
  const values = q.includeValues ? readHits(plan.segments.map((s) => s.view), hits, q.deferValues) : undefined;
  const winners = best.map((c, i): Winner => ({ key: c.key, id: hyd.ids[i]!, metadata: hyd.metadata?.[i] ?? undefined, ...values?.[i] }));
  return { response: { matches: matchesOf(cfg, winners), namespace: ns, usage: { readUnits: plan.readUnits } }, lsn: plan.lsn };
}
