/** Pieces every benchmark (and the tests' data generators) share. */
import { readdirSync, readFileSync } from 'node:fs';

export { prng } from '../engine/internal.js';

/** A positive integer flag, or an error naming the flag. */
export function posInt(name: string, raw: string | undefined): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return v;
}

/** Progress lines: to stderr when stdout carries JSON. */
export function makeLog(jsonOut: boolean): (msg: string) => void {
  return (msg) => {
    (jsonOut ? process.stderr : process.stdout).write(msg + '\n');
  };
}

/** CPU time (ms) all processes have used since boot, from Linux's /proc/stat (USER_HZ = 100); null elsewhere. */
export function systemBusyMs(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = f[3]! + f[4]!; // idle + iowait
    return (f.reduce((a, b) => a + b, 0) - idle) * 10;
  } catch {
    return null;
  }
}

/** CPU and run-queue wait of one thread, in ns. */
export interface ThreadTime {
  /** ns on a CPU. */
  cpu: number;
  /** ns runnable but waiting for a CPU. */
  wait: number;
}

/** CPU and run-queue wait of every thread of this process, from /proc/self/task/<tid>/schedstat; null off Linux. */
export function threadTimes(): Map<number, ThreadTime> | null {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  const out = new Map<number, ThreadTime>();
  for (const t of tids) {
    try {
      const [cpu, wait] = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
      out.set(Number(t), { cpu: cpu!, wait: wait! });
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}
