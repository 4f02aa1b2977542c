/**
 * Layout of a namespace arena: one shared WebAssembly.Memory that the namespace actor writes and every query
 * executor (and the main thread, for values) reads in place. The WASM kernel is instantiated on this memory, so
 * everything a scan touches (rows, norms, visibility, the query, the filter bitmap, the result heaps) lives here.
 *
 * [0, 4096)                arena header: u32 words (ArenaHeader): magic, version, dim, rows per block, then what
 *                          readers on other threads find the rows by (rows, block count, block table, dead count,
 *                          alive bitmap), stored with Atomics by the owner
 * blocks                   each: 64-byte header, f32 vectors [B × dim], f32 inverse norms [B],
 *                          u32 created [B], u32 deleted [B], u32 sparse offset [B], u32 sparse nnz [B], u32 label [B]
 * block table              u32 per block: its offset (moved to a table twice the size when full; old ones stay valid)
 * sparse chunks            per row: u32 indices [nnz] then f32 values [nnz], at the offset its block names
 * label chunks             per row: u32 id bytes, u32 metadata bytes, UTF-8 id, UTF-8 metadata JSON (readers turn a
 *                          winning row into its id and metadata without asking the owner)
 * alive bitmap             graph slabs: bit r set while row r is not deleted (a graph walk skips the others)
 * scratch chunks           per query: query vector, sparse query, filter bitmap, one top-k heap per task; reader
 *                          slots (read-view.ts)
 * Everything after the header is carved from one bump allocator in whatever order it is needed.
 * A row is visible to a query whose snapshot version v satisfies created <= v < deleted.
 */

import { alignUp } from './align.js';

export const ARENA_HEADER_BYTES = 4096;
export const ARENA_MAGIC = 0x4c415241; // 'LARA'
export const BLOCK_HEADER_BYTES = 64;
export const ALIVE = 0xffffffff;
export const PAGE = 65536;

/** u32 word indexes of the arena header. Words from Rows on are written with Atomics.store by the owner thread. */
export const enum ArenaHeader {
  Magic = 0,
  Version = 1,
  Dim = 2,
  RowsPerBlock = 3,
  /** Rows appended; a reader that loads it sees every row below it fully written. */
  Rows = 4,
  Blocks = 5,
  /** Offset of the block table (u32 per block) and its capacity in blocks. */
  BlockTable = 6,
  BlockTableCap = 7,
  Dead = 8,
  /** Offset of the alive bitmap (0: none kept). */
  AliveBits = 9,
  /** End of the last allocation: what a reader's view of the memory must cover. */
  Top = 10,
}

/** A u32 word of the arena header at `memory`, read with Atomics (a reader on any thread). */
export const headerWord = (buf: ArrayBufferLike, w: ArenaHeader): number => Atomics.load(new Uint32Array(buf, 0, 16), w);

/**
 * Whether this thread's view of a shared arena memory covers everything allocated in it. Another thread's
 * `memory.grow` reaches this thread's buffer (and kernel instances) only at some later interrupt; `grow(0)` makes
 * this thread look at the current size now. False: still short (the caller leaves the work to the owner).
 */
export function coversArena(memory: WebAssembly.Memory): boolean {
  const top = headerWord(memory.buffer, ArenaHeader.Top);
  if (memory.buffer.byteLength >= top) return true;
  memory.grow(0);
  return memory.buffer.byteLength >= top;
}

/** The offsets of the first `n` blocks, from the arena's block table in shared memory. */
export function blockOffsets(buf: ArrayBufferLike, n: number): number[] {
  const table = headerWord(buf, ArenaHeader.BlockTable);
  return Array.from(new Uint32Array(buf, table, n));
}

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
  /** u32 offset of the row's label chunk (id and metadata). */
  label: number;
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
  const label = sparseNnz + rows * 4;
  return { rows, dim, vecs, invNorms, created, deleted, sparseOff, sparseNnz, label, bytes: alignUp(label + rows * 4, 64) };
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

/** A row's id and metadata JSON (undefined: none), read from its label chunk in shared memory. */
export function readLabel(buf: ArrayBufferLike, layout: BlockLayout, block: number, r: number, withMetadata: boolean): { id: string; metaJson?: string } {
  const off = new Uint32Array(buf)[(block + layout.label) / 4 + r]!;
  const [idLen, mdLen] = new Uint32Array(buf, off, 2) as unknown as [number, number];
  const bytes = Buffer.from(buf as ArrayBuffer, off + 8, idLen + mdLen);
  const id = bytes.toString('utf8', 0, idLen);
  return withMetadata && mdLen > 0 ? { id, metaJson: bytes.toString('utf8', idLen) } : { id };
}
