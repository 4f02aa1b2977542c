/**
 * The read path, driven from the main thread: the namespace actor plans (snapshot, filter bitmap, query copied
 * into the arena), executors scan block ranges in parallel into heaps in shared memory, this module merges the
 * heaps, and the actor maps the winning rows to ids and metadata. Values are read from shared memory here.
 */
import type { IndexConfig } from '../engine/index-config.js';
import type { ValidQuery } from '../engine/validation.js';
import type { QueryResponse, RecordMetadata, ScoredPineconeRecord } from '../engine/types.js';
import { blockLayout, f32ToNumber, locate, readDense, readSparse } from './arena-layout.js';
import type { PlanRequest, PlanResult, QueryPlan } from './namespace-actor.js';
import type { ArenaView } from './arena.js';
import { encodeRecords } from './record-codec.js';
import type { Supervisor } from './supervisor.js';

interface Candidate {
  key: number;
  row: number;
}

/** Merges per-task heaps (keys f32[k] then rows u32[k]) into the best `k` candidates, best first. */
function mergeHeaps(plan: QueryPlan, counts: number[]): Candidate[] {
  const buf = plan.view.memory.buffer;
  const out: Candidate[] = [];
  plan.heaps.forEach((heap, i) => {
    const n = counts[i]!;
    const keys = new Float32Array(buf, heap, n);
    const rows = new Uint32Array(buf, heap + 4 * plan.k, n);
    for (let j = 0; j < n; j++) out.push({ key: keys[j]!, row: rows[j]! });
  });
  out.sort((a, b) => b.key - a.key || a.row - b.row);
  return out.slice(0, plan.k);
}

/** Dense and sparse values of rows, read in place from an arena's shared memory. */
export function readValues(view: ArenaView, rows: number[]): { values: number[]; sparse?: { indices: number[]; values: number[] } }[] {
  const layout = blockLayout(view.dim, view.rowsPerBlock);
  const buf = view.memory.buffer;
  return rows.map((row) => {
    const { block, r } = locate(view.blocks, view.rowsPerBlock, row);
    return { values: view.dim > 0 ? readDense(buf, layout, block, r) : [], sparse: readSparse(buf, layout, block, r) };
  });
}

export async function runQuery(sup: Supervisor, cfg: IndexConfig, ns: string, q: ValidQuery): Promise<QueryResponse> {
  const host = sup.host(cfg.name, ns);
  const req: PlanRequest = { k: q.topK, id: q.id, filter: q.filter, tasks: sup.executorCount };
  const plan: PlanResult =
    q.id === undefined
      ? await host.withFrame<PlanResult>('plan', [cfg.name, ns, req, true], encodeRecords([{ id: '', values: q.vector, sparse: q.sparse }]), false)
      : await host.call.plan(cfg.name, ns, req, false);
  if ('empty' in plan) return { matches: [], namespace: ns, usage: { readUnits: plan.readUnits } };

  let best: Candidate[];
  try {
    const { planId: _id, view, heaps, ranges, readUnits: _ru, ...params } = plan;
    const counts = await Promise.all(
      ranges.map(([b0, b1], i) =>
        sup.scan({ ...params, arenaId: view.arenaId, memory: view.memory, dim: view.dim, rowsPerBlock: view.rowsPerBlock, blocks: view.blocks, b0, b1, heap: heaps[i]! }),
      ),
    );
    best = mergeHeaps(plan, counts);
  } catch (err) {
    await host.call.release(cfg.name, ns, plan.planId).catch(() => undefined);
    throw err;
  }

  const rows = best.map((c) => c.row);
  const hyd = await host.call.hydrate(cfg.name, ns, plan.planId, rows, q.includeMetadata);
  const values = q.includeValues ? readValues(plan.view, rows) : undefined;
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
  return { matches, namespace: ns, usage: { readUnits: plan.readUnits } };
}
