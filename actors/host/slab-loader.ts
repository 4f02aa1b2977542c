/**
 * Loading a namespace's slabs on open: each slab file named by the manifest is read, verified and copied into a
 * fresh arena in shared memory (with its HNSW graph, when it has one). A missing or damaged slab stops the open with
 * DATA_LOSS naming the file; files the manifest does not name (a build or cleanup cut short by a crash) are deleted.
 */
import { join } from 'node:path';
import { LarchError } from '../../engine/core/errors.js';
import type { RecordMetadata } from '../../engine/core/types.js';
import { MetadataPostings } from '../../engine/storage/postings.js';
import { decodeSlab } from '../../engine/storage/slab-file.js';
import { slabSeq } from '../../engine/storage/layout.js';
import type { SlabStore } from '../../engine/storage/slab-store.js';
import type { Manifest } from '../../engine/storage/manifest.js';
import { arenaFromColumns } from '../shared/slab-columns.js';
import type { Segment, SlabGraph } from './segment.js';
import { restoreHnsw } from '../shared/hnsw-layout.js';

/** The slabs `m` names, from `store` (whose files live in `where`, for messages), oldest first. */
export async function loadSlabSegments(store: SlabStore, where: string, m: Manifest, dim: number, efSearch: number): Promise<Segment[]> {
  const named = new Set(m.slabs.map((s) => s.name));
  for (const f of await store.list()) if (!named.has(f)) await store.remove(f);
  const out: Segment[] = [];
  for (const e of m.slabs) {
    const path = join(where, e.name);
    let bytes: Uint8Array;
    try {
      bytes = await store.read(e.name);
    } catch (err) {
      throw new LarchError('DATA_LOSS', `Slab file ${path} named by the manifest cannot be read (${(err as Error).message}); refusing to start rather than serve incomplete data.`);
    }
    const c = decodeSlab(bytes, path);
    if (c.lsn !== e.lsn || c.ids.length !== e.rows || c.dim !== dim) {
      throw new LarchError('DATA_LOSS', `Slab file ${path} does not match the manifest (LSN ${c.lsn}/${e.lsn}, rows ${c.ids.length}/${e.rows}, dimension ${c.dim}/${dim}); refusing to start.`);
    }
    let postings: MetadataPostings;
    try {
      postings = MetadataPostings.decode(c.postings);
    } catch (err) {
      throw new LarchError('DATA_LOSS', `Slab file ${path} has damaged metadata postings (${(err as Error).message}); refusing to start.`);
    }
    const arena = arenaFromColumns(dim, c.ids.length, c, c.ids, c.metaJson);
    let graph: SlabGraph | undefined;
    if (c.graph) {
      try {
        graph = { handle: restoreHnsw(arena, c.graph, efSearch), free: [] };
      } catch (err) {
        throw new LarchError('DATA_LOSS', `Slab file ${path} has a damaged HNSW graph (${(err as Error).message}); refusing to start.`);
      }
    }
    out.push({
      seq: slabSeq(e.name),
      arena,
      graph,
      ids: c.ids,
      meta: c.metaJson.map((j) => (j === undefined ? undefined : (JSON.parse(j) as RecordMetadata))),
      frozenAt: { version: 0, lsn: e.lsn },
      postings,
      slab: e,
      tombstones: new Set(c.tombstones),
    });
  }
  return out;
}
