/**
 * Tidying a data directory before its indexes open: what a crash can leave half-done is finished here.
 * - an index directory the catalog does not name (its deletion was cut short) is removed;
 * - a trash directory (a namespace deletion cut short after its atomic rename) is removed;
 * - a namespace directory without a manifest (its first write never became durable) is removed;
 * - temp files of atomic writes (catalog, manifests) that a crash left behind are removed.
 * None of these holds an acknowledged write.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, TMP_MARK, indexesDir, isNamespaceDir, isTrashDir } from './layout.js';

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

const exists = (path: string) => stat(path).then(() => true, () => false);

async function removeTemps(dir: string): Promise<void> {
  for (const e of await list(dir)) if (e.includes(TMP_MARK)) await rm(join(dir, e), { force: true });
}

export async function sweepDataDir(dataDir: string, indexNames: ReadonlySet<string>): Promise<void> {
  await removeTemps(dataDir);
  const root = indexesDir(dataDir);
  for (const index of await list(root)) {
    const dir = join(root, index);
    if (!indexNames.has(index)) {
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    for (const e of await list(dir)) {
      const sub = join(dir, e);
      if (isTrashDir(e) || (isNamespaceDir(e) && !(await exists(join(sub, MANIFEST_FILE))))) await rm(sub, { recursive: true, force: true });
      else if (isNamespaceDir(e)) await removeTemps(sub);
    }
  }
}
