/**
 * Query executor: a piscina worker running the read path on its own thread, so queries run in parallel and off the
 * event loop: scan tasks of planned queries (actors/shared/scan-task.ts) and whole queries from a namespace's read
 * view (actors/shared/read-query.ts).
 */
import type { ScanTask } from '../shared/query-plan.js';
import { runReadTask, type ReadTask, type ReadTaskResult } from '../shared/read-query.js';
import { runScanTask } from '../shared/scan-task.js';

export default function execute(t: ScanTask | ReadTask): number[] | ReadTaskResult {
  return 'viewId' in t ? runReadTask(t) : runScanTask(t);
}
