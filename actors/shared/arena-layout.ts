/**
 * Layout of a namespace arena: one shared WebAssembly.Memory that the namespace actor writes and every query
 * executor (and the main thread, for values) reads in place. The WASM kernel is instantiated on this memory, so
 * everything a scan touches (rows, norms, visibility, the query, the filter bitmap, the result heaps) lives here.
 *
 * [0, 4096)                arena header (magic, version, dim, rows per block)
 * blocks                   each: 64-byte header, f32 vectors [B × dim], f32 inverse norms [B],
 *                          u32 created [B], u32 deleted [B], u32 sparse offset [B], u32 sparse nnz [B]
 * sparse chunks            per row: u32 indices [nnz] then f32 values [nnz], at the offset its block names
 * scratch chunks           per query: query vector, sparse query, filter bitmap, one top-k heap per task
 * Blocks, sparse and scratch chunks are carved from one bump allocator in whatever order they are needed.
 * A row is visible to a query whose snapshot version v satisfies created <= v < deleted.
 */

import { alignUp } from './align.js';

export const ARENA_HEADER_BYTES = 4096;
export const ARENA_MAGIC = 0x4c415241; // 'LARA'
export const BLOCK_HEADER_BYTES = 64;
export const ALIVE = 0xffffffff;
export const PAGE = 65536;

/** Byte offsets of the arrays inside one block, relative to the block start. */
export interface BlockLayout {
  rows: number;
  dim: number;
  vecs: number;
  invNorms: number;
  created: number;
  deleted: number;
  sparseOff: number;
  sparseNnz: number;
  bytes: number;
}

/** Rows per block: about 4 MiB of vectors, a multiple of 32 (one bitmap word), between 32 and 4096. */
export function rowsPerBlock(dim: number): number {
  const target = Math.floor((4 << 20) / Math.max(1, dim * 4));
  return Math.min(4096, Math.max(32, target - (target % 32)));
}

export function blockLayout(dim: number, rows: number): BlockLayout {
  const vecs = BLOCK_HEADER_BYTES;
  const invNorms = alignUp(vecs + rows * dim * 4, 16);
  const created = invNorms + rows * 4;
  const deleted = created + rows * 4;
  const sparseOff = deleted + rows * 4;
  const sparseNnz = sparseOff + rows * 4;
  return { rows, dim, vecs, invNorms, created, deleted, sparseOff, sparseNnz, bytes: alignUp(sparseNnz + rows * 4, 64) };
}

/** Where a global row number lives: block byte offset and row within the block. */
export function locate(blocks: readonly number[], rowsPerBlk: number, row: number): { block: number; r: number } {
  const b = Math.floor(row / rowsPerBlk);
  const block = blocks[b];
  if (block === undefined) throw new RangeError(`row ${row} is outside the arena`);
  return { block, r: row - b * rowsPerBlk };
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact doubles

/** `v` rounded to `p` significant digits (decimal exponent `e`), as the double nearest that decimal. */
function roundDigits(v: number, p: number, e: number): number {
  const k = p - 1 - e;
  return k >= 0 ? Math.round(v * POW10[k]!) / POW10[k]! : Math.round(v / POW10[-k]!) * POW10[-k]!;
}

/**
 * A shortest decimal that reads back as the same float32 (what Pinecone returns: 0.1, not 0.10000000149011612).
 * Round-tripping is monotone in the digit count, so a binary search over 1..9 digits finds it. Power-of-ten
 * arithmetic instead of toPrecision: values go through here by the million on the main thread.
 */
export function f32ToNumber(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const e = Math.floor(Math.log10(Math.abs(v)));
  // Exponents the table does not cover (below 1e-13, above 1e21) take the slow string path.
  const digits = e >= -13 && e <= 21 ? (p: number) => roundDigits(v, p, e) : (p: number) => Number(v.toPrecision(p));
  let best = digits(9);
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = digits(mid);
    if (Math.fround(r) === v) {
      hi = mid;
      best = r;
    } else lo = mid + 1;
  }
  return best;
}

/** Reads a row's dense values (a copy) straight from shared memory. */
export function readDense(buf: ArrayBufferLike, layout: BlockLayout, block: number, r: number): number[] {
  const f = new Float32Array(buf, block + layout.vecs + r * layout.dim * 4, layout.dim);
  return Array.from(f, f32ToNumber);
}

/** Reads a row's sparse values straight from shared memory; undefined when the row has none. */
export function readSparse(
  buf: ArrayBufferLike,
  layout: BlockLayout,
  block: number,
  r: number,
): { indices: number[]; values: number[] } | undefined {
  const u = new Uint32Array(buf);
  const nnz = u[(block + layout.sparseNnz) / 4 + r]!;
  if (nnz === 0) return undefined;
  const off = u[(block + layout.sparseOff) / 4 + r]!;
  return {
    indices: Array.from(new Uint32Array(buf, off, nnz)),
    values: Array.from(new Float32Array(buf, off + 4 * nnz, nnz), f32ToNumber),
  };
}
