/**
 * Query executor: a piscina worker running the read path's scan tasks (actors/shared/scan-task.ts) on its own
 * thread, so queries scan in parallel and off the event loop.
 */
import type { ScanTask } from '../shared/query-plan.js';
import { runScanTask } from '../shared/scan-task.js';

export default function scan(t: ScanTask): number[] {
  return runScanTask(t);
}
