import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Which namespace host owns (index, namespace): FNV-1a of both names, modulo the host count. */
export function hostFor(index: string, namespace: string, hosts: number): number {
  let h = 0x811c9dc5;
  const s = `${index}\u0000${namespace}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % hosts;
}

/** Directory of an index under the data directory. */
export function indexDir(dataDir: string, index: string): string {
  return join(dataDir, 'indexes', index);
}

/** Directory of a namespace: names may be 512 characters of any ASCII, so the directory is named by a hash. */
export function namespaceDir(dataDir: string, index: string, namespace: string): string {
  return join(indexDir(dataDir, index), `ns-${createHash('sha256').update(namespace).digest('hex').slice(0, 32)}`);
}

