/**
 * The read path, driven from the main thread: the namespace actor plans (snapshot, filter bitmap, query copied
 * into the arena), executors scan block ranges in parallel into heaps in shared memory, this module merges the
 * heaps, and the actor maps the winning rows to ids and metadata. Values are read from shared memory here.
 */
import type { IndexConfig } from '../../engine/core/index-config.js';
import type { QueryResponse, RecordMetadata, ScoredPineconeRecord } from '../../engine/core/types.js';
import type { ValidQuery } from '../../engine/core/validation/data.js';
import { encodeRecords } from '../../engine/storage/record-frame.js';
import { f32ToNumber } from '../shared/arena-layout.js';
import { readHits } from '../shared/row-values.js';
import type { PlanHit, PlanRequest, PlanResult, PlanUnit, QueryPlan, ScanTask, ScanUnit } from '../shared/query-plan.js';
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

/**
 * Runs a validated query; also answers the namespace's applied LSN when it was planned. Counted in
 * `sup.activeQueries` from start to answer: a query alone may have its small scans run on this thread.
 */
export async function runQuery(sup: Supervisor, cfg: IndexConfig, ns: string, q: ValidQuery): Promise<{ response: QueryResponse; lsn: number }> {
  sup.activeQueries++;
  try {
    return await planScanHydrate(sup, cfg, ns, q);
  } finally {
    sup.activeQueries--;
  }
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
  const euclid = cfg.metric === 'euclidean';
  const matches: ScoredPineconeRecord[] = best.map((c, i) => {
    const m: ScoredPineconeRecord = { id: hyd.ids[i]!, score: f32ToNumber(euclid ? -c.key : c.key), values: values ? values[i]!.values : [] };
    const sv = values?.[i]!.sparse;
    if (sv) m.sparseValues = sv;
    const md = hyd.metadata?.[i] as RecordMetadata | undefined;
    if (md) m.metadata = md;
    return m;
  });
  // Equal scores are listed by id (bitwise), so the order is the same on every run.
  matches.sort((a, b) => (euclid ? a.score! - b.score! : b.score! - a.score!) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { response: { matches, namespace: ns, usage: { readUnits: plan.readUnits } }, lsn: plan.lsn };
}
