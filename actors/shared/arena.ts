/**
 * The writer's side of a namespace arena (layout in arena-layout.ts). Only the owning namespace actor calls these
 * methods, so allocation needs no locks; readers see a row once the block's row count says so and the query's
 * snapshot version covers it.
 */
import { randomUUID } from 'node:crypto';
import { createArenaMemory, instantiateKernels, type Kernels } from '../../wasm/kernels.js';
import { resourceExhausted } from '../../engine/core/errors.js';
import type { FrameCursor } from '../../engine/storage/record-frame.js';
import {
  ALIVE,
  ARENA_HEADER_BYTES,
  ARENA_MAGIC,
  ArenaHeader,
  PAGE,
  blockLayout,
  locate,
  rowsPerBlock,
  type BlockLayout,
} from './arena-layout.js';

const MAX_PAGES = 65536;
const MIN_SCRATCH = 4096;
const FIRST_BLOCK_TABLE = 64;

/** What a row is called: its id and metadata as JSON (stored in the arena for readers on other threads). */
export interface RowLabel {
  id: string;
  metaJson?: string;
}

/** What a reader needs to find rows in an arena. Posted to executors and the main thread with each plan. */
export interface ArenaView {
  arenaId: string;
  memory: WebAssembly.Memory;
  dim: number;
  rowsPerBlock: number;
  blocks: number[];
}

/** An arena's memory and allocation state: what an index builder hands over when it built an arena. */
export interface ArenaState {
  memory: WebAssembly.Memory;
  dim: number;
  blocks: number[];
  rows: number;
  top: number;
  /** Released scratch chunks (size → offsets), so a builder's temporary space is reused, not lost. */
  free: [number, number[]][];
}

export class Arena {
  readonly id = randomUUID();
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  readonly layout: BlockLayout;
  readonly blocks: number[] = [];
  /** Rows ever appended (live and dead). */
  rows = 0;
  dead = 0;
  private top = ARENA_HEADER_BYTES;
  private readonly freeScratch = new Map<number, number[]>();
  /** The header's words. A shared memory's buffer is never detached by a grow, so one view serves for good. */
  private readonly header: Uint32Array;
  /**
   * Views of the whole memory as this thread last grew it, taken again after each grow (a view covers only the size
   * it saw): one set per grow, not a typed array per row written.
   */
  private u8!: Buffer;
  private u32!: Uint32Array;
  private f32!: Float32Array;

  /** A new empty arena, or (with `state`) one built in another thread, adopted as it is. */
  constructor(
    readonly dim: number,
    state?: ArenaState,
  ) {
    this.layout = blockLayout(dim, rowsPerBlock(dim));
    this.memory = state?.memory ?? createArenaMemory(1, MAX_PAGES);
    // A memory grown on another thread may still look short here; grow(0) shows this thread its size now.
    if (state) this.memory.grow(0);
    this.kernels = instantiateKernels(this.memory);
    this.header = new Uint32Array(this.memory.buffer, 0, 16);
    this.takeViews();
    if (state) {
      this.blocks.push(...state.blocks);
      this.rows = state.rows;
      this.top = state.top;
      for (const [size, offsets] of state.free) this.freeScratch.set(size, offsets.slice());
      return;
    }
    const h = this.header;
    h[ArenaHeader.Magic] = ARENA_MAGIC;
    h[ArenaHeader.Version] = 1;
    h[ArenaHeader.Dim] = dim;
    h[ArenaHeader.RowsPerBlock] = this.layout.rows;
  }

  private takeViews(): void {
    const buf = this.memory.buffer;
    this.u8 = Buffer.from(buf as ArrayBuffer, 0, buf.byteLength);
    this.u32 = new Uint32Array(buf);
    this.f32 = new Float32Array(buf);
  }

  /** Stores header word `w` for readers on other threads. */
  private publish(w: ArenaHeader, value: number): void {
    Atomics.store(this.header, w, value);
  }

  /** Adds a block to the arena and to the block table readers find it through. */
  private addBlock(): number {
    const block = this.alloc(this.layout.bytes);
    const n = this.blocks.push(block);
    const h = this.header;
    let table = h[ArenaHeader.BlockTable]!;
    const cap = h[ArenaHeader.BlockTableCap]!;
    if (n > cap) {
      // A bigger table; the old one stays as it was, for a reader that loaded its offset already.
      const bigger = Math.max(FIRST_BLOCK_TABLE, 2 * cap);
      table = this.alloc(4 * bigger, 4);
      this.u32.set(this.blocks.slice(0, n - 1), table / 4);
      this.publish(ArenaHeader.BlockTable, table);
      this.publish(ArenaHeader.BlockTableCap, bigger);
    }
    this.u32[table / 4 + n - 1] = block;
    this.publish(ArenaHeader.Blocks, n);
    return block;
  }

  /** The state to hand this arena to another thread (see the constructor). */
  state(): ArenaState {
    return { memory: this.memory, dim: this.dim, blocks: this.blocks.slice(), rows: this.rows, top: this.top, free: [...this.freeScratch] };
  }

  /** Whether `row` is visible at `version` (created <= version < deleted). */
  visible(row: number, version: number): boolean {
    const { block, r } = locate(this.blocks, this.layout.rows, row);
    const u = this.u32;
    return u[(block + this.layout.created) / 4 + r]! <= version && version < u[(block + this.layout.deleted) / 4 + r]!;
  }

  /** The version at which `row` was deleted (ALIVE when it is not). */
  deletedAt(row: number): number {
    const b = Math.floor(row / this.layout.rows);
    const block = this.blocks[b];
    if (block === undefined) throw new RangeError(`row ${row} is outside the arena`);
    return this.u32[(block + this.layout.deleted) / 4 + row - b * this.layout.rows]!;
  }

  /** A bitmap of the rows not deleted (bit r of word r >> 5). */
  aliveBits(): Uint32Array {
    const words = new Uint32Array(Math.ceil(this.rows / 32));
    const u = new Uint32Array(this.memory.buffer);
    const B = this.layout.rows;
    for (let b = 0; b < this.blocks.length; b++) {
      const del = (this.blocks[b]! + this.layout.deleted) / 4;
      const end = Math.min(B, this.rows - b * B);
      for (let r = 0; r < end; r++) {
        if (u[del + r] === ALIVE) {
          const row = b * B + r;
          words[row >>> 5]! |= 1 << (row & 31);
        }
      }
    }
    return words;
  }

  view(): ArenaView {
    return { arenaId: this.id, memory: this.memory, dim: this.dim, rowsPerBlock: this.layout.rows, blocks: this.blocks.slice() };
  }

  get live(): number {
    return this.rows - this.dead;
  }

  private alloc(bytes: number, alignTo = 64): number {
    const at = Math.ceil(this.top / alignTo) * alignTo;
    const end = at + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil(end / PAGE) - have / PAGE;
      // Grow by at least 1/8 of the current size so a long load does not grow page by page.
      const grow = Math.max(pages, Math.ceil(have / PAGE / 8));
      const current = have / PAGE;
      if (current + pages > MAX_PAGES) {
        throw resourceExhausted(`namespace arena is full: ${this.live} records use the 4 GiB a namespace may hold in memory`);
      }
      this.memory.grow(Math.min(grow, MAX_PAGES - current));
      this.takeViews();
    }
    this.top = end;
    this.publish(ArenaHeader.Top, end);
    return at;
  }

  /**
   * Appends a row; returns its row number. The row is visible to queries at `version` and later; `label` (every
   * namespace row has one) is what readers on other threads answer for it.
   */
  append(
    values: ArrayLike<number> | undefined,
    sparse: { indices: ArrayLike<number>; values: ArrayLike<number> } | undefined,
    version: number,
    label?: RowLabel,
  ): number {
    const L = this.layout;
    const { row, block, r } = this.nextRow();
    const nnz = sparse ? sparse.indices.length : 0;
    const idBytes = label ? Buffer.byteLength(label.id) : 0;
    const mdBytes = label?.metaJson === undefined ? 0 : Buffer.byteLength(label.metaJson);
    // Allocate before taking views: an allocation may grow the memory, and views cover only the size they saw.
    const off = nnz > 0 ? this.alloc(8 * nnz, 16) : 0;
    const labelAt = label ? this.alloc(8 + idBytes + mdBytes, 4) : 0;
    const u = this.u32;
    const f32 = this.f32;
    if (this.dim > 0) {
      const at = block + L.vecs + r * this.dim * 4;
      if (values) f32.set(values, at / 4);
      const n = values ? this.kernels.norm(at, this.dim) : 0;
      f32[(block + L.invNorms) / 4 + r] = n > 0 ? 1 / n : 0;
    }
    if (nnz > 0) {
      u.set(sparse!.indices, off / 4);
      f32.set(sparse!.values, off / 4 + nnz);
    }
    u[(block + L.sparseOff) / 4 + r] = off;
    u[(block + L.sparseNnz) / 4 + r] = nnz;
    if (label) {
      u[labelAt / 4] = idBytes;
      u[labelAt / 4 + 1] = mdBytes;
      this.u8.write(label.id, labelAt + 8, idBytes, 'utf8');
      if (mdBytes > 0) this.u8.write(label.metaJson!, labelAt + 8 + idBytes, mdBytes, 'utf8');
    }
    return this.commitRow(block, r, row, labelAt, version);
  }

  /**
   * Appends the record `c` is at (FrameCursor.next was called), copying its parts byte for byte from the frame:
   * vector, sparse chunk (the frame lays it out as the arena does), and id and metadata JSON into the row's label.
   * What {@link append} does for a decoded record, without one. Returns the row number.
   */
  appendFrom(c: FrameCursor, version: number): number {
    const L = this.layout;
    const { row, block, r } = this.nextRow();
    const nnz = c.nnz;
    const src = c.bytes;
    // Allocate before using the views: an allocation may grow the memory and replace them.
    const off = nnz > 0 ? this.alloc(8 * nnz, 16) : 0;
    const labelAt = this.alloc(8 + c.idLength + c.metaLength, 4);
    const u = this.u32;
    if (this.dim > 0) {
      const at = block + L.vecs + r * this.dim * 4;
      let inv = 0;
      if (c.values >= 0) {
        src.copy(this.u8, at, c.values, c.values + 4 * this.dim);
        const n = this.kernels.norm(at, this.dim);
        inv = n > 0 ? 1 / n : 0;
      }
      this.f32[(block + L.invNorms) / 4 + r] = inv;
    }
    if (nnz > 0) src.copy(this.u8, off, c.sparse, c.sparse + 8 * nnz);
    u[(block + L.sparseOff) / 4 + r] = off;
    u[(block + L.sparseNnz) / 4 + r] = nnz;
    u[labelAt / 4] = c.idLength;
    u[labelAt / 4 + 1] = c.metaLength;
    src.copy(this.u8, labelAt + 8, c.idAt, c.idAt + c.idLength);
    if (c.metaLength > 0) src.copy(this.u8, labelAt + 8 + c.idLength, c.meta, c.meta + c.metaLength);
    return this.commitRow(block, r, row, labelAt, version);
  }

  /** Where the next appended row goes (a new block when the last one is full). */
  private nextRow(): { row: number; block: number; r: number } {
    const row = this.rows;
    const b = Math.floor(row / this.layout.rows);
    if (b === this.blocks.length) this.addBlock();
    return { row, block: this.blocks[b]!, r: row - b * this.layout.rows };
  }

  /** Finishes an appended row: its label, versions, the block's and the arena's row counts (readers see it now). */
  private commitRow(block: number, r: number, row: number, labelAt: number, version: number): number {
    const L = this.layout;
    const u = this.u32;
    u[(block + L.label) / 4 + r] = labelAt;
    u[(block + L.created) / 4 + r] = version;
    u[(block + L.deleted) / 4 + r] = ALIVE;
    this.rows = row + 1;
    Atomics.store(u, (block + 4) / 4, r + 1);
    this.publish(ArenaHeader.Rows, this.rows);
    return row;
  }

  /** Marks a row dead from `version` on (queries on older snapshots still see it). */
  kill(row: number, version: number): void {
    const { block, r } = locate(this.blocks, this.layout.rows, row);
    const u = this.u32;
    u[(block + this.layout.deleted) / 4 + r] = version;
    const bits = this.header[ArenaHeader.AliveBits]!;
    if (bits !== 0) Atomics.and(u, bits / 4 + (row >>> 5), ~(1 << (row & 31)));
    this.dead++;
    this.publish(ArenaHeader.Dead, this.dead);
  }

  /**
   * From now on keeps a bitmap of the rows not deleted in the arena (what a graph walk on any thread skips dead rows
   * by); answers its offset. Owner thread only; idempotent.
   */
  trackAlive(): number {
    const have = this.header[ArenaHeader.AliveBits]!;
    if (have !== 0) return have;
    const words = this.aliveBits();
    const at = this.alloc(Math.max(4, words.length * 4), 16);
    new Uint32Array(this.memory.buffer, at, words.length).set(words);
    this.publish(ArenaHeader.AliveBits, at);
    return at;
  }


  /** Dense values of a row (a copy). */
  dense(row: number): Float32Array {
    const { block, r } = locate(this.blocks, this.layout.rows, row);
    return new Float32Array(this.memory.buffer, block + this.layout.vecs + r * this.dim * 4, this.dim).slice();
  }

  /** Sparse values of a row (copies), undefined when none. */
  sparse(row: number): { indices: Uint32Array; values: Float32Array } | undefined {
    const { block, r } = locate(this.blocks, this.layout.rows, row);
    const u = new Uint32Array(this.memory.buffer);
    const nnz = u[(block + this.layout.sparseNnz) / 4 + r]!;
    if (nnz === 0) return undefined;
    const off = u[(block + this.layout.sparseOff) / 4 + r]!;
    return { indices: u.slice(off / 4, off / 4 + nnz), values: new Float32Array(this.memory.buffer, off + 4 * nnz, nnz).slice() };
  }

  /**
   * Space for the arena's lifetime (a slab's HNSW graph), 64-byte aligned and zero: the bump allocator's memory was
   * never used before. Owner thread only, like every allocation.
   */
  reserve(bytes: number): number {
    return this.alloc(bytes, 64);
  }

  /** Scratch space for one query (freed with {@link releaseScratch}); sizes round up to powers of two for reuse. */
  allocScratch(bytes: number): { offset: number; size: number } {
    let size = MIN_SCRATCH;
    while (size < bytes) size *= 2;
    const list = this.freeScratch.get(size);
    const offset = list && list.length > 0 ? list.pop()! : this.alloc(size, 64);
    new Uint8Array(this.memory.buffer, offset, size).fill(0);
    return { offset, size };
  }

  releaseScratch(s: { offset: number; size: number }): void {
    let list = this.freeScratch.get(s.size);
    if (!list) this.freeScratch.set(s.size, (list = []));
    list.push(s.offset);
  }
}
