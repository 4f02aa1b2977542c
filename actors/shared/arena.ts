/**
 * The writer's side of a namespace arena (layout in arena-layout.ts). Only the owning namespace actor calls these
 * methods, so allocation needs no locks; readers see a row once the block's row count says so and the query's
 * snapshot version covers it.
 */
import { randomUUID } from 'node:crypto';
import { createArenaMemory, instantiateKernels, type Kernels } from '../../wasm/kernels.js';
import { resourceExhausted } from '../../engine/core/errors.js';
import {
  ALIVE,
  ARENA_HEADER_BYTES,
  ARENA_MAGIC,
  PAGE,
  blockLayout,
  locate,
  rowsPerBlock,
  type BlockLayout,
} from './arena-layout.js';

const MAX_PAGES = 65536;
const MIN_SCRATCH = 4096;

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

  /** A new empty arena, or (with `state`) one built in another thread, adopted as it is. */
  constructor(
    readonly dim: number,
    state?: ArenaState,
  ) {
    this.layout = blockLayout(dim, rowsPerBlock(dim));
    this.memory = state?.memory ?? createArenaMemory(1, MAX_PAGES);
    this.kernels = instantiateKernels(this.memory);
    if (state) {
      this.blocks.push(...state.blocks);
      this.rows = state.rows;
      this.top = state.top;
      for (const [size, offsets] of state.free) this.freeScratch.set(size, offsets.slice());
      return;
    }
    const h = new Uint32Array(this.memory.buffer, 0, 4);
    h[0] = ARENA_MAGIC;
    h[1] = 1;
    h[2] = dim;
    h[3] = this.layout.rows;
  }

  /** The state to hand this arena to another thread (see the constructor). */
  state(): ArenaState {
    return { memory: this.memory, dim: this.dim, blocks: this.blocks.slice(), rows: this.rows, top: this.top, free: [...this.freeScratch] };
  }

  /** Whether `row` is visible at `version` (created <= version < deleted). */
  visible(row: number, version: number): boolean {
    const { block, r } = locate(this.blocks, this.layout.rows, row);
    const u = new Uint32Array(this.memory.buffer);
    return u[(block + this.layout.created) / 4 + r]! <= version && version < u[(block + this.layout.deleted) / 4 + r]!;
  }

  /** The version at which `row` was deleted (ALIVE when it is not). */
  deletedAt(row: number): number {
    const { block, r } = locate(this.blocks, this.layout.rows, row);
    return new Uint32Array(this.memory.buffer)[(block + this.layout.deleted) / 4 + r]!;
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
    }
    this.top = end;
    return at;
  }

  /** Appends a row; returns its row number. The row is visible to queries at `version` and later. */
  append(values: ArrayLike<number> | undefined, sparse: { indices: ArrayLike<number>; values: ArrayLike<number> } | undefined, version: number): number {
    const L = this.layout;
    const row = this.rows;
    const b = Math.floor(row / L.rows);
    if (b === this.blocks.length) this.blocks.push(this.alloc(L.bytes));
    const block = this.blocks[b]!;
    const r = row - b * L.rows;
    const nnz = sparse ? sparse.indices.length : 0;
    // Allocate before taking views: an allocation may grow the memory, and views cover only the size they saw.
    const off = nnz > 0 ? this.alloc(8 * nnz, 16) : 0;
    const buf = this.memory.buffer;
    const u = new Uint32Array(buf);
    const f32 = new Float32Array(buf);
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
    u[(block + L.created) / 4 + r] = version;
    u[(block + L.deleted) / 4 + r] = ALIVE;
    this.rows = row + 1;
    Atomics.store(u, (block + 4) / 4, r + 1);
    return row;
  }

  /** Marks a row dead from `version` on (queries on older snapshots still see it). */
  kill(row: number, version: number): void {
    const { block, r } = locate(this.blocks, this.layout.rows, row);
    new Uint32Array(this.memory.buffer)[(block + this.layout.deleted) / 4 + r] = version;
    this.dead++;
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
