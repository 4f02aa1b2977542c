/**
 * Worker entry of one HNSW build thread (started by buildHnswParallel, several per build): inserts rows taken from
 * the shared control block into the graph in the arena's shared memory, then posts its distance computations.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HnswHandle } from '../shared/hnsw-layout.js';
import { instantiateKernels } from '../../wasm/kernels.js';
import { runInBackground } from '../shared/thread-priority.js';

/** What a build thread gets (workerData). */
export interface HnswBuildThreadData {
  memory: WebAssembly.Memory;
  handle: HnswHandle;
  /** This thread's kernel scratch. */
  scratch: number;
  /** The build's control block (wasm/assembly/layout.ts BuildControl). */
  ctl: number;
  /** Run at the background priority (thread-priority.ts). */
  background: boolean;
}

/** Inserts rows until the control block's `next` passes `end`; returns this thread's distance computations. */
function run(d: HnswBuildThreadData): number {
  const k = instantiateKernels(d.memory);
  const h = d.handle;
  const r = k.hnswInsertConcurrent(h.graph, h.table, h.rowsPerBlock, h.invDelta, h.efConstruction, d.scratch, d.ctl);
  if (r < 0) throw new Error(`hnswInsertConcurrent failed (${r})`);
  return k.hnswDistances(d.scratch) >>> 0;
}

if (parentPort && workerData) {
  if ((workerData as HnswBuildThreadData).background) runInBackground();
  parentPort.postMessage({ distances: run(workerData as HnswBuildThreadData) });
}
