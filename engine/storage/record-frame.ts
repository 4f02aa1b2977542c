/**
 * The record frame: a binary batch of records, how vectors cross threads (in a ring frame) and how the request log
 * stores writes on disk. Floats are written as float32 in place, never as JSON; metadata (not a vector) travels as
 * UTF-8 JSON.
 *
 * Frame: u32 count, then per record (4-byte aligned):
 *   u16 idLength, u8 present (1 dense, 2 sparse, 4 metadata), u8 0, id bytes (pad 4),
 *   [u32 dim, f32 × dim], [u32 nnz, u32 × nnz, f32 × nnz], [u32 bytes, JSON (pad 4)]
 */
import type { RecordMetadata } from '../core/types.js';

/** A record as it travels in a frame. Sparse indices are sorted ascending and unique. */
export interface CodecRecord {
  id: string;
  values?: ArrayLike<number>;
  sparse?: { indices: ArrayLike<number>; values: ArrayLike<number> };
  metadata?: RecordMetadata;
}

/**
 * A record as decoded. Vectors are views into the frame, not copies (the write path copies them once more, into the
 * arena): they are valid as long as the frame's bytes are, and a frame must not be reused before its records are
 * applied.
 */
export interface DecodedRecord {
  id: string;
  values?: Float32Array;
  sparse?: { indices: Uint32Array; values: Float32Array };
  metadata?: RecordMetadata;
}

const DENSE = 1;
const SPARSE = 2;
const META = 4;
const pad4 = (n: number) => (n + 3) & ~3;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Prepared {
  size: number;
  /** Per record: the id's bytes, or its length when it is ASCII (written char by char, no array in between). */
  ids: (Uint8Array | number)[];
  metas: (Uint8Array | undefined)[];
}

/** The length of `s` when it is ASCII (as every record id is), else -1. */
function asciiLength(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return -1;
  return s.length;
}

function prepare(records: readonly CodecRecord[]): Prepared {
  let size = 4;
  const ids = new Array<Uint8Array | number>(records.length);
  const metas = new Array<Uint8Array | undefined>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const n = asciiLength(r.id);
    const id = n >= 0 ? n : encoder.encode(r.id);
    ids[i] = id;
    size += 4 + pad4(n >= 0 ? n : (id as Uint8Array).length);
    if (r.values) size += 4 + 4 * r.values.length;
    if (r.sparse) size += 4 + 8 * r.sparse.indices.length;
    const meta = r.metadata === undefined ? undefined : encoder.encode(JSON.stringify(r.metadata));
    metas[i] = meta;
    if (meta) size += 4 + pad4(meta.length);
  }
  return { size, ids, metas };
}

/** An encoder that knows its size before writing, so a ring can reserve the space first. */
export interface EncodedBatch {
  size: number;
  writeTo(dst: Uint8Array): void;
}

/** Prepares `records` for writing into a frame of exactly `size` bytes. */
export function encodeRecords(records: readonly CodecRecord[]): EncodedBatch {
  const p = prepare(records);
  return {
    size: p.size,
    writeTo(dst: Uint8Array) {
      if (dst.byteOffset % 4 !== 0) throw new Error('record frame must be 4-byte aligned');
      const buf = dst.buffer;
      const base = dst.byteOffset;
      const dv = new DataView(buf, base, dst.byteLength);
      let o = 0;
      dv.setUint32(o, records.length, true);
      o += 4;
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        const id = p.ids[i]!;
        const meta = p.metas[i];
        const present = (r.values ? DENSE : 0) | (r.sparse ? SPARSE : 0) | (meta ? META : 0);
        const idLen = typeof id === 'number' ? id : id.length;
        dv.setUint32(o, idLen | (present << 16), true); // u16 length, u8 present, u8 0
        if (typeof id === 'number') {
          const s = r.id;
          for (let k = 0; k < idLen; k++) dst[o + 4 + k] = s.charCodeAt(k);
        } else dst.set(id, o + 4);
        o += 4 + pad4(idLen);
        if (r.values) {
          const n = r.values.length;
          dv.setUint32(o, n, true);
          new Float32Array(buf, base + o + 4, n).set(r.values);
          o += 4 + 4 * n;
        }
        if (r.sparse) {
          const n = r.sparse.indices.length;
          dv.setUint32(o, n, true);
          new Uint32Array(buf, base + o + 4, n).set(r.sparse.indices);
          new Float32Array(buf, base + o + 4 + 4 * n, n).set(r.sparse.values);
          o += 4 + 8 * n;
        }
        if (meta) {
          dv.setUint32(o, meta.length, true);
          dst.set(meta, o + 4);
          o += 4 + pad4(meta.length);
        }
      }
    },
  };
}

/** Encodes into a fresh buffer (log bodies, tests). */
export function encodeRecordsToBytes(records: readonly CodecRecord[]): Uint8Array {
  const enc = encodeRecords(records);
  const out = new Uint8Array(enc.size);
  enc.writeTo(out);
  return out;
}

/** Decodes a frame written by {@link encodeRecords} (see {@link DecodedRecord} on the lifetime of its vectors). */
export function decodeRecords(src: Uint8Array): DecodedRecord[] {
  // Vectors are typed-array views into the frame: they need it 4-byte aligned.
  if (src.byteOffset % 4 !== 0) src = src.slice();
  const buf = src.buffer;
  const at = src.byteOffset;
  const c = new FrameCursor(src);
  const out: DecodedRecord[] = new Array(c.count);
  for (let i = 0; i < c.count; i++) {
    c.next();
    const rec: DecodedRecord = { id: c.id() };
    if (c.values >= 0) rec.values = new Float32Array(buf, at + c.values, c.dim);
    if (c.sparse >= 0) rec.sparse = { indices: new Uint32Array(buf, at + c.sparse, c.nnz), values: new Float32Array(buf, at + c.sparse + 4 * c.nnz, c.nnz) };
    const metadata = c.metadata();
    if (metadata !== undefined) rec.metadata = metadata;
    out[i] = rec;
  }
  return out;
}

/**
 * Walks a frame record by record without making objects: after {@link next}, the fields say where the record's
 * parts sit, as byte offsets into {@link bytes} (-1: absent). The write path applies upserts through it, copying
 * each part from the frame straight to its place in the arena; a decoded record per row (an object, a string of
 * metadata JSON made again, a typed array per vector) was most of the garbage the namespace host made.
 */
export class FrameCursor {
  /** The frame's bytes as a Buffer (same memory), so parts are copied and ids read without a view per part. */
  readonly bytes: Buffer;
  readonly count: number;
  /** Records read so far. */
  index = 0;
  idAt = 0;
  idLength = 0;
  values = -1;
  dim = 0;
  /** The sparse part: u32 indices [nnz] then f32 values [nnz], as the arena lays a row's sparse chunk out. */
  sparse = -1;
  nnz = 0;
  meta = -1;
  metaLength = 0;
  private readonly dv: DataView;
  private o = 4;

  constructor(src: Uint8Array) {
    this.bytes = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    this.dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    if (src.byteLength < 4) throw new RangeError(`record frame of ${src.byteLength} bytes has no count`);
    this.count = this.dv.getUint32(0, true);
  }

  /** Reads the next record's layout; throws a RangeError when the frame ends before it does. */
  next(): void {
    const dv = this.dv;
    const end = dv.byteLength;
    let o = this.o;
    if (this.index >= this.count || o + 4 > end) throw new RangeError(`record frame of ${end} bytes ends before record ${this.index}`);
    const head = dv.getUint32(o, true);
    const present = (head >>> 16) & 0xff;
    this.idLength = head & 0xffff;
    this.idAt = o + 4;
    o += 4 + pad4(this.idLength);
    this.values = -1;
    this.sparse = -1;
    this.meta = -1;
    this.dim = this.nnz = this.metaLength = 0;
    if (present & DENSE) {
      if (o + 4 > end) throw new RangeError(`record frame of ${end} bytes ends inside record ${this.index}`);
      this.dim = dv.getUint32(o, true);
      this.values = o + 4;
      o += 4 + 4 * this.dim;
    }
    if (present & SPARSE) {
      if (o + 4 > end) throw new RangeError(`record frame of ${end} bytes ends inside record ${this.index}`);
      this.nnz = dv.getUint32(o, true);
      this.sparse = o + 4;
      o += 4 + 8 * this.nnz;
    }
    if (present & META) {
      if (o + 4 > end) throw new RangeError(`record frame of ${end} bytes ends inside record ${this.index}`);
      this.metaLength = dv.getUint32(o, true);
      this.meta = o + 4;
      o += 4 + pad4(this.metaLength);
    }
    if (o > end) throw new RangeError(`record frame of ${end} bytes ends inside record ${this.index}`);
    this.o = o;
    this.index++;
  }

  /** The current record's id. */
  id(): string {
    return this.bytes.toString('utf8', this.idAt, this.idAt + this.idLength);
  }

  /** The current record's metadata, parsed (undefined: none). */
  metadata(): RecordMetadata | undefined {
    return this.meta < 0 ? undefined : (JSON.parse(this.bytes.toString('utf8', this.meta, this.meta + this.metaLength)) as RecordMetadata);
  }
}

/**
 * Checks that a frame's records all lie inside it, with dense parts of `dim` values (`dim` 0: any); answers the
 * record count. A write's frame is checked so before it is logged: a broken one fails then, not when applied.
 */
export function checkFrame(src: Uint8Array, dim: number): number {
  const c = new FrameCursor(src);
  for (let i = 0; i < c.count; i++) {
    c.next();
    if (dim > 0 && c.values >= 0 && c.dim !== dim) throw new RangeError(`record ${i} of the frame has ${c.dim} values, the index ${dim}`);
  }
  return c.count;
}
