/** Where a namespace keeps its files: its directory, request log and slab store (null for an in-memory database). */
import { slabsDir } from '../../engine/storage/layout.js';
import type { RequestLog } from '../../engine/storage/request-log.js';
import { FileSlabStore, type SlabStore } from '../../engine/storage/slab-store.js';

export interface NamespaceStorage {
  dir: string;
  log: RequestLog;
  slabs: SlabStore;
  /** The slab store's directory (index builders write slab files there). */
  slabDir: string;
}

/** The storage of the namespace in `dir`, with its log. */
export function namespaceStorage(dir: string, log: RequestLog): NamespaceStorage {
  return { dir, log, slabs: new FileSlabStore(slabsDir(dir)), slabDir: slabsDir(dir) };
}
