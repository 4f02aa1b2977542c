/**
 * Single-producer single-consumer byte ring over a SharedArrayBuffer. Bulk data (vector batches, query vectors)
 * crosses threads through it; the control message that names the frame goes separately (host-rpc.ts, over postMessage).
 *
 * Layout: Int32 header [0] = write cursor, [1] = read cursor, then `capacity` (a power of two) bytes of data.
 * Cursors are free-running int32 byte counts; position = cursor & (capacity - 1). A frame is
 * [u32 length][payload][pad to 8]. A frame that does not fit before the end of the data area is preceded by a
 * WRAP marker and starts again at offset 0. The consumer reads frames in the order they were written and frees
 * each one as soon as it has copied it out, so a slow actor never holds the ring.
 */
import { alignUp } from './align.js';

const HEADER_BYTES = 64;
const W = 0;
const R = 1;
const WRAP = 0xffffffff;

export class RingProducer {
  private readonly ctl: Int32Array;
  private readonly data: Uint8Array;
  private readonly cap: number;

  constructor(readonly sab: SharedArrayBuffer) {
    this.ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(sab, HEADER_BYTES);
    this.cap = this.data.byteLength;
  }

  static create(capacityBytes: number): RingProducer {
    let cap = 1024;
    while (cap < capacityBytes) cap *= 2;
    return new RingProducer(new SharedArrayBuffer(HEADER_BYTES + cap));
  }

  /** Largest payload that fits the ring; bigger frames travel in a SharedArrayBuffer of their own. */
  get maxFrame(): number {
    return (this.cap >> 1) - 8;
  }

  private free(): number {
    const w = Atomics.load(this.ctl, W);
    const r = Atomics.load(this.ctl, R);
    return this.cap - ((w - r) | 0);
  }

  /**
   * Writes one frame whose payload `fill` writes into the given view; waits (without blocking the thread) while
   * the consumer has not freed enough room.
   */
  async write(length: number, fill: (dst: Uint8Array) => void): Promise<void> {
    if (length > this.maxFrame) throw new RangeError(`frame of ${length} bytes exceeds ring frame limit ${this.maxFrame}`);
    const need = alignUp(4 + length, 8);
    for (;;) {
      const w = Atomics.load(this.ctl, W);
      const pos = w & (this.cap - 1);
      const tail = this.cap - pos;
      const total = tail < need ? tail + need : need;
      if (this.free() >= total) {
        let at = pos;
        let cursor = w;
        if (tail < need) {
          if (tail >= 4) new DataView(this.data.buffer, HEADER_BYTES + pos, 4).setUint32(0, WRAP, true);
          at = 0;
          cursor = (cursor + tail) | 0;
        }
        const view = new DataView(this.data.buffer, HEADER_BYTES + at, need);
        view.setUint32(0, length, true);
        fill(new Uint8Array(this.data.buffer, HEADER_BYTES + at + 4, length));
        Atomics.store(this.ctl, W, (cursor + need) | 0);
        return;
      }
      const r = Atomics.load(this.ctl, R);
      const res = Atomics.waitAsync(this.ctl, R, r, 1000);
      if (res.async) await res.value;
    }
  }
}

export class RingConsumer {
  private readonly ctl: Int32Array;
  private readonly data: Uint8Array;
  private readonly cap: number;

  constructor(sab: SharedArrayBuffer) {
    this.ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(sab, HEADER_BYTES);
    this.cap = this.data.byteLength;
  }

  /**
   * Copies the next frame out of the ring and frees its space. Throws if the producer has not written one. `into`
   * gives the destination for a frame of `length` bytes (a fresh array by default), so a caller can copy straight
   * into a buffer of its own.
   */
  read(into: (length: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array {
    let r = Atomics.load(this.ctl, R);
    const w = Atomics.load(this.ctl, W);
    if (r === w) throw new Error('ring: no frame to read (protocol out of step)');
    let pos = r & (this.cap - 1);
    const tail = this.cap - pos;
    if (tail < 4 || new DataView(this.data.buffer, HEADER_BYTES + pos, 4).getUint32(0, true) === WRAP) {
      r = (r + tail) | 0;
      pos = 0;
    }
    const length = new DataView(this.data.buffer, HEADER_BYTES + pos, 4).getUint32(0, true);
    const out = into(length);
    if (out.length !== length) throw new Error(`ring: destination of ${out.length} bytes for a frame of ${length}`);
    out.set(new Uint8Array(this.data.buffer, HEADER_BYTES + pos + 4, length));
    Atomics.store(this.ctl, R, (r + alignUp(4 + length, 8)) | 0);
    Atomics.notify(this.ctl, R);
    return out;
  }
}
