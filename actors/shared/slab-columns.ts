/**
 * Moving records between arenas and slab columns: gathering rows out of source arenas (flush, merge) and building
 * an arena from columns (after a build, and when a slab file is loaded). Vectors are copied as float32 blocks.
 */
import type { SlabContent } from '../../engine/storage/slab-file.js';
import { Arena, type ArenaState } from './arena.js';
import { blockLayout, locate, rowsPerBlock } from './arena-layout.js';

export type Columns = Pick<SlabContent, 'vectors' | 'sparseOffsets' | 'sparseIndices' | 'sparseValues'>;

/** Rows `rows` of an arena (in that order). */
export interface ColumnSource {
  arena: ArenaState;
  rows: Uint32Array;
}

/** Copies the vectors of `sources`' rows, in order, into contiguous columns. */
export function gatherColumns(dim: number, sources: readonly ColumnSource[]): Columns {
  const L = blockLayout(dim, rowsPerBlock(dim));
  let n = 0;
  let nnz = 0;
  for (const s of sources) {
    const u = new Uint32Array(s.arena.memory.buffer);
    n += s.rows.length;
    for (const row of s.rows) {
      const { block, r } = locate(s.arena.blocks, L.rows, row);
      nnz += u[(block + L.sparseNnz) / 4 + r]!;
    }
  }
  const vectors = new Float32Array(n * dim);
  const sparseOffsets = new Uint32Array(n + 1);
  const sparseIndices = new Uint32Array(nnz);
  const sparseValues = new Float32Array(nnz);
  let i = 0;
  for (const s of sources) {
    const buf = s.arena.memory.buffer;
    const u = new Uint32Array(buf);
    const f = new Float32Array(buf);
    for (const row of s.rows) {
      const { block, r } = locate(s.arena.blocks, L.rows, row);
      if (dim > 0) vectors.set(f.subarray((block + L.vecs) / 4 + r * dim, (block + L.vecs) / 4 + (r + 1) * dim), i * dim);
      const k = u[(block + L.sparseNnz) / 4 + r]!;
      const at = sparseOffsets[i]!;
      if (k > 0) {
        const off = u[(block + L.sparseOff) / 4 + r]! / 4;
        sparseIndices.set(u.subarray(off, off + k), at);
        sparseValues.set(f.subarray(off + k, off + 2 * k), at);
      }
      sparseOffsets[i + 1] = at + k;
      i++;
    }
  }
  return { vectors, sparseOffsets, sparseIndices, sparseValues };
}

/** A new arena holding `rows` records from columns (with their ids and metadata JSON), every row visible from version 0 on. */
export function arenaFromColumns(dim: number, rows: number, c: Columns, ids: readonly string[], metaJson: readonly (string | undefined)[]): Arena {
  const arena = new Arena(dim);
  for (let i = 0; i < rows; i++) {
    const s = c.sparseOffsets[i]!;
    const e = c.sparseOffsets[i + 1]!;
    arena.append(
      dim > 0 ? c.vectors.subarray(i * dim, (i + 1) * dim) : undefined,
      e > s ? { indices: c.sparseIndices.subarray(s, e), values: c.sparseValues.subarray(s, e) } : undefined,
      0,
      { id: ids[i]!, metaJson: metaJson[i] },
    );
  }
  return arena;
}
