/**
 * Background threads (the index builder, HNSW build threads) run at a lower scheduling priority than the threads
 * that answer requests. A graph build uses every core for seconds; at equal priority it took half the CPU from a
 * stream of durable upserts (bench/durability, 128-d, 2 cores: ~19k vectors/s with a build running vs ~45k with
 * none) and stretched their latency. At a lower priority the build gets the CPU the write path leaves idle, and
 * still most of a core when the write path is busy (CFS weights: nice 10 is ~1/9 of nice 0). The graph of a memtable
 * that was frozen full is the exception (build-job.ts `background`): writes wait for it once the next memtable fills,
 * and at nice 10 beside busy query threads it took minutes instead of seconds.
 *
 * Linux only: the nice value there is per thread, and `setpriority(PRIO_PROCESS, tid)` sets it for that thread
 * alone. Elsewhere the process-wide value would change, so nothing is done.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Nice value of background threads (0 is normal, 19 the lowest priority). */
export const BACKGROUND_NICE = 10;

/** This thread's kernel id on Linux (`/proc/thread-self` links to `<pid>/task/<tid>`), else null. */
function threadId(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** Lowers the calling thread's priority to {@link BACKGROUND_NICE}; best effort (a sandbox may refuse). */
export function runInBackground(): void {
  const tid = threadId();
  if (tid === null) return;
  try {
    setPriority(tid, BACKGROUND_NICE);
  } catch {
    // Not permitted: the thread keeps the normal priority, which is only slower, never wrong.
  }
}
