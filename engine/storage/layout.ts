/**
 * The data directory's layout: every path and file name LarchDB writes under `<data>`, in one place.
 *
 *   <data>/LOCK                                  pid of the owning process (dir-lock.ts)
 *   <data>/catalog.json                          the catalog (catalog.ts)
 *   <data>/indexes/<index>/                      one directory per index
 *     ns-<sha256(namespace)[:32]>/               one per namespace (named by hash: a name may be 512 chars of ASCII)
 *       MANIFEST.json                            the namespace's slabs and LSN (manifest.ts)
 *       log/<first LSN, 20 digits>.wal           request log files (request-log.ts)
 *       slabs/<sequence, 10 digits>.slab         immutable slabs (slab-file.ts, slab-store.ts)
 *     trash-<uuid>/                              a namespace being deleted (renamed away atomically, then removed)
 *   *.tmp-<pid>-<time>                           temp files of atomic writes a crash can leave (swept on open)
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export const LOCK_FILE = 'LOCK';
export const CATALOG_FILE = 'catalog.json';
export const MANIFEST_FILE = 'MANIFEST.json';
const INDEXES_DIR = 'indexes';
const NAMESPACE_PREFIX = 'ns-';
const TRASH_PREFIX = 'trash-';
const LOG_DIR = 'log';
const SLABS_DIR = 'slabs';
const LOG_SUFFIX = '.wal';
const SLAB_SUFFIX = '.slab';
/** Temp files of atomic writes carry this in their name. */
export const TMP_MARK = '.tmp-';

/** The directory holding every index's directory. */
export const indexesDir = (dataDir: string): string => join(dataDir, INDEXES_DIR);

/** Directory of an index under the data directory. */
export const indexDir = (dataDir: string, index: string): string => join(indexesDir(dataDir), index);

/** Directory of a namespace: names may be 512 characters of any ASCII, so the directory is named by a hash. */
export function namespaceDir(dataDir: string, index: string, namespace: string): string {
  return join(indexDir(dataDir, index), `${NAMESPACE_PREFIX}${createHash('sha256').update(namespace).digest('hex').slice(0, 32)}`);
}

/** Whether an entry of an index directory is a namespace directory. */
export const isNamespaceDir = (entry: string): boolean => entry.startsWith(NAMESPACE_PREFIX);

/** A fresh name, in the index directory, for a namespace directory being deleted. */
export const trashDir = (dataDir: string, index: string, uuid: string): string => join(indexDir(dataDir, index), `${TRASH_PREFIX}${uuid}`);

/** Whether an entry of an index directory is a namespace deletion cut short. */
export const isTrashDir = (entry: string): boolean => entry.startsWith(TRASH_PREFIX);

/** Where a namespace's request log files live. */
export const logDir = (namespaceDir: string): string => join(namespaceDir, LOG_DIR);

/** Where a namespace's slab files live. */
export const slabsDir = (namespaceDir: string): string => join(namespaceDir, SLABS_DIR);

/** Name of the log file whose first record has LSN `lsn` (zero-padded, so names sort by LSN). */
export const logFileName = (lsn: number): string => `${String(lsn).padStart(20, '0')}${LOG_SUFFIX}`;

/** Whether a file of the log directory is a log file. */
export const isLogFile = (name: string): boolean => name.endsWith(LOG_SUFFIX);

/** Name of the slab file of segment sequence number `seq`. */
export const slabFileName = (seq: number): string => `${String(seq).padStart(10, '0')}${SLAB_SUFFIX}`;

/** The segment sequence number a slab file name carries. */
export const slabSeq = (name: string): number => Number.parseInt(name, 10);
