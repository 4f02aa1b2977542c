/**
 * A pool of byte buffers for the write path, one per thread (module state). Every upsert needs a buffer the size of
 * its batch (up to 2 MB) for as long as it takes to log and apply it; allocating a fresh one each time costs more
 * than the copy into it: a large ArrayBuffer is fresh memory, and first touching its pages costs a page fault each
 * (measured ~13 µs per 4 KiB page on the 2-vCPU VM the benchmarks run on: ~1 ms for a batch of 100 × 768-d), on
 * top of the garbage to collect. A buffer given back is reused by the next write of its size class.
 *
 * Sizes round up to powers of two (4 KiB and up); each class keeps a few free buffers and the pool at most
 * {@link POOL_BYTES} in all, so a burst of large batches does not pin memory for good.
 */

const MIN_CLASS = 12; // 4 KiB
const MAX_CLASS = 23; // 8 MiB: a 2 MB upsert plus head room fits below it
/** Free buffers kept per size class. */
const PER_CLASS = 16;
/** Free bytes kept in all. */
const POOL_BYTES = 32 << 20;

const sizeClass = (n: number): number => Math.max(MIN_CLASS, 32 - Math.clz32(Math.max(1, n) - 1));

export class BufferPool {
  private readonly free: ArrayBuffer[][] = Array.from({ length: MAX_CLASS + 1 }, () => []);
  /** Buffers this pool made (and may take back). */
  private readonly mine = new WeakSet<ArrayBuffer>();
  /** Buffers sitting in the free lists: giving one back twice is a bug that would hand it to two writes. */
  private readonly idle = new Set<ArrayBuffer>();
  private idleBytes = 0;

  /** A buffer of `n` bytes (contents undefined): the start of a pooled ArrayBuffer, or a plain one when huge. */
  take(n: number): Uint8Array {
    const c = sizeClass(n);
    if (c > MAX_CLASS) return new Uint8Array(n);
    const ab = this.free[c]!.pop();
    if (ab) {
      this.idle.delete(ab);
      this.idleBytes -= ab.byteLength;
      return new Uint8Array(ab, 0, n);
    }
    const fresh = new ArrayBuffer(1 << c);
    this.mine.add(fresh);
    return new Uint8Array(fresh, 0, n);
  }

  /**
   * Gives a buffer from {@link take} back; anything else is ignored (left to the garbage collector). The caller must
   * hold no view of it any more: the next take hands out the same memory.
   */
  give(b: Uint8Array): void {
    const ab = b.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.mine.has(ab)) return;
    if (this.idle.has(ab)) throw new Error('BufferPool: a buffer was given back twice');
    const list = this.free[sizeClass(ab.byteLength)]!;
    if (list.length >= PER_CLASS || this.idleBytes + ab.byteLength > POOL_BYTES) return;
    list.push(ab);
    this.idle.add(ab);
    this.idleBytes += ab.byteLength;
  }

  /** Free bytes held (tests). */
  get freeBytes(): number {
    return this.idleBytes;
  }
}
