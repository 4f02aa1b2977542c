/** Pieces every benchmark (and the tests' data generators) share. */
import { readFileSync } from 'node:fs';

export { prng } from '../engine/prng.js';

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
