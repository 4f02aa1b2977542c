import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCK_FILE } from './layout.js';
import { LarchError } from '../core/errors.js';

export interface DirLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process at a time may own a data directory: `<dir>/LOCK` holds the owner's pid. A lock left by a process
 * that no longer runs (a crash) is taken over.
 */
export async function acquireDirLock(dir: string): Promise<DirLock> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid > 0 && alive(pid)) {
        throw new LarchError('FAILED_PRECONDITION', `Data directory ${dir} is in use by process ${pid}${pid === process.pid ? ' (this process: close the other LarchDB first)' : ''}.`);
      }
      await rm(path, { force: true });
    }
  }
  throw new LarchError('FAILED_PRECONDITION', `Could not lock data directory ${dir}.`);
}
