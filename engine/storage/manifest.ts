/**
 * A namespace's manifest: which slab files hold its records and up to which LSN. Rewritten atomically each time a
 * flush or merge publishes a slab; recovery loads exactly these slabs, then replays the log after `lsn`.
 */
import { join } from 'node:path';
import { readCheckedJson, writeCheckedJson } from './checked-json.js';
import type { MetadataSchema } from '../core/types.js';
import { MANIFEST_FILE } from './layout.js';

const FORMAT = 1;

export interface SlabEntry {
  /** File name in the slab store. */
  name: string;
  /** The slab holds the namespace's state up to this LSN (with the slabs before it). */
  lsn: number;
  rows: number;
}

export interface Manifest {
  namespace: string;
  dimension: number;
  /** Every write with an LSN up to this is in the slabs; the log is replayed after it. */
  lsn: number;
  /** Next slab sequence number, so file names are never reused. */
  nextSeq: number;
  slabs: SlabEntry[];
  /** The namespace's own metadata schema, when it was created with one (API 2025-10). */
  schema?: MetadataSchema;
}

export const readManifest = (dir: string) => readCheckedJson<Manifest>(join(dir, MANIFEST_FILE), FORMAT, 'Manifest');

export const writeManifest = (dir: string, m: Manifest) => writeCheckedJson(join(dir, MANIFEST_FILE), FORMAT, m);
