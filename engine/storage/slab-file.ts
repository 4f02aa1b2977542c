/**
 * Slab files: an immutable, checksummed set of records of one namespace as of an LSN, written by an index-builder
 * actor and loaded into shared memory on open.
 *
 * Layout (little-endian):
 *   header   'LSLB', u32 format 1, u32 dim, u32 rows, f64 lsn, u32 section count, u32 CRC-32C of the 24 bytes before
 *   table    per section: u32 kind, u32 CRC-32C of its bytes, f64 byte length; then u32 CRC-32C of the table, u32 0
 *   sections in table order, each starting on an 8-byte boundary
 *   trailer  'LEND', u32 CRC-32C of every byte before the trailer (padding too; a file cut short loses it)
 * Sections: ids and tombstone ids (u32 n, u32 offsets[n+1], UTF-8), vectors (f32 rows×dim), sparse (u32 offsets[rows+1],
 * u32 indices, f32 values), metadata (strings of JSON text, empty = none), metadata postings (postings.ts), and for slabs
 * large enough an HNSW graph (actors/shared/hnsw-layout.ts; every offset in it is relative to its start). A slab
 * without a graph has no graph section; readers that predate it skip kinds they do not know.
 */
import { LarchError } from '../core/errors.js';
import { crc32c } from './crc32c.js';

/** Everything a slab holds, in columns. Row i of every column is the same record. */
export interface SlabContent {
  dim: number;
  /** The namespace's state up to this LSN is in this slab and the slabs before it. */
  lsn: number;
  ids: string[];
  /** rows × dim float32 (empty when the index is sparse-only). */
  vectors: Float32Array;
  /** Row i's sparse entries are [sparseOffsets[i], sparseOffsets[i+1]) of sparseIndices/sparseValues. */
  sparseOffsets: Uint32Array;
  sparseIndices: Uint32Array;
  sparseValues: Float32Array;
  /** Metadata as JSON text; `undefined` for none. */
  metaJson: (string | undefined)[];
  /** Metadata postings (postings.ts encoding). */
  postings: Uint8Array;
  /** Ids deleted while this slab's records were written: they kill rows of older slabs on load. */
  tombstones: string[];
  /** The HNSW graph over the rows (absent: the slab is searched exactly). */
  graph?: Uint8Array;
}

const MAGIC = 0x424c534c; // 'LSLB'
const END = 0x444e454c; // 'LEND'
const FORMAT = 1;
const HEADER = 32;
const enum Kind {
  Ids = 1,
  Vectors = 2,
  SparseOffsets = 3,
  SparseIndices = 4,
  SparseValues = 5,
  Meta = 6,
  Postings = 7,
  Tombstones = 8,
  Graph = 9,
}
const KINDS = [Kind.Ids, Kind.Vectors, Kind.SparseOffsets, Kind.SparseIndices, Kind.SparseValues, Kind.Meta, Kind.Postings, Kind.Tombstones];
const pad8 = (n: number) => (n + 7) & ~7;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A string table: u32 count n, u32 offsets[n+1], UTF-8 text (`undefined` is stored as an empty string). */
function encodeStrings(list: readonly (string | undefined)[]): Uint8Array {
  const encoded = list.map((s) => (s === undefined ? new Uint8Array(0) : encoder.encode(s)));
  const offsets = new Uint32Array(list.length + 2);
  offsets[0] = list.length;
  for (let i = 0; i < encoded.length; i++) offsets[i + 2] = offsets[i + 1]! + encoded[i]!.length;
  const head = 4 * (list.length + 2);
  const out = new Uint8Array(head + offsets[list.length + 1]!);
  out.set(bytesOf(offsets), 0);
  for (let i = 0; i < encoded.length; i++) out.set(encoded[i]!, head + offsets[i + 1]!);
  return out;
}

function decodeStrings(b: Uint8Array, emptyIsNone: boolean, expect?: number): (string | undefined)[] {
  if (b.length < 8) throw new Error('strings section too short');
  const n = new Uint32Array(b.buffer, b.byteOffset, 1)[0]!;
  if (expect !== undefined && n !== expect) throw new Error(`strings section holds ${n} entries, expected ${expect}`);
  const head = 4 * (n + 2);
  if (head > b.length) throw new Error('strings section offsets run past its end');
  const offsets = new Uint32Array(b.buffer, b.byteOffset + 4, n + 1);
  const out: (string | undefined)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const s = offsets[i]!;
    const e = offsets[i + 1]!;
    if (e < s || head + e > b.length) throw new Error(`string ${i} runs past its section`);
    out[i] = emptyIsNone && s === e ? undefined : decoder.decode(b.subarray(head + s, head + e));
  }
  return out;
}

/** The file's bytes as a list of chunks (written one after another), so a large slab is never copied whole. */
export function encodeSlab(c: SlabContent): Uint8Array[] {
  const rows = c.ids.length;
  const sections = new Map<Kind, Uint8Array>([
    [Kind.Ids, encodeStrings(c.ids)],
    [Kind.Vectors, bytesOf(c.vectors)],
    [Kind.SparseOffsets, bytesOf(c.sparseOffsets)],
    [Kind.SparseIndices, bytesOf(c.sparseIndices)],
    [Kind.SparseValues, bytesOf(c.sparseValues)],
    [Kind.Meta, encodeStrings(c.metaJson)],
    [Kind.Postings, c.postings],
    [Kind.Tombstones, encodeStrings(c.tombstones)],
  ]);
  const kinds = c.graph ? [...KINDS, Kind.Graph] : KINDS;
  if (c.graph) sections.set(Kind.Graph, c.graph);
  const head = new Uint8Array(HEADER + kinds.length * 16 + 8);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, FORMAT, true);
  dv.setUint32(8, c.dim, true);
  dv.setUint32(12, rows, true);
  dv.setFloat64(16, c.lsn, true);
  dv.setUint32(24, kinds.length, true);
  dv.setUint32(28, crc32c(head.subarray(0, 28)), true);
  const chunks: Uint8Array[] = [head];
  kinds.forEach((kind, i) => {
    const data = sections.get(kind)!;
    const at = HEADER + i * 16;
    dv.setUint32(at, kind, true);
    dv.setUint32(at + 4, crc32c(data), true);
    dv.setFloat64(at + 8, data.length, true);
    chunks.push(data);
    if (pad8(data.length) > data.length) chunks.push(new Uint8Array(pad8(data.length) - data.length));
  });
  const tableEnd = HEADER + kinds.length * 16;
  dv.setUint32(tableEnd, crc32c(head.subarray(HEADER, tableEnd)), true);
  let crc = 0;
  for (const c of chunks) crc = crc32c(c, crc);
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setUint32(0, END, true);
  new DataView(trailer.buffer).setUint32(4, crc, true);
  chunks.push(trailer);
  return chunks;
}

/** Parses and verifies a slab file; any damage is DATA_LOSS naming `name`. Typed arrays may view `file`. */
export function decodeSlab(file: Uint8Array, name: string): SlabContent {
  const fail = (why: string) =>
    new LarchError('DATA_LOSS', `Slab file ${name} is corrupt (${why}); refusing to start rather than serve incomplete data. Restore the file from a backup.`);
  if (file.byteOffset % 8 !== 0) file = file.slice();
  if (file.length < HEADER + 8) throw fail('too short');
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw fail('bad magic');
  if (dv.getUint32(28, true) !== crc32c(file.subarray(0, 28))) throw fail('header checksum mismatch');
  if (dv.getUint32(4, true) !== FORMAT) throw fail(`unknown format ${dv.getUint32(4, true)}`);
  const dim = dv.getUint32(8, true);
  const rows = dv.getUint32(12, true);
  const lsn = dv.getFloat64(16, true);
  const count = dv.getUint32(24, true);
  const tableEnd = HEADER + count * 16;
  if (tableEnd + 8 > file.length) throw fail('truncated section table');
  if (dv.getUint32(tableEnd, true) !== crc32c(file.subarray(HEADER, tableEnd))) throw fail('section table checksum mismatch');
  if (dv.getUint32(file.length - 8, true) !== END) throw fail('missing end marker (file cut short)');
  // One pass over the whole file; the section checksums are read only to say which part is damaged.
  const intact = dv.getUint32(file.length - 4, true) === crc32c(file.subarray(0, file.length - 8));
  const got = new Map<number, Uint8Array>();
  let o = tableEnd + 8;
  for (let i = 0; i < count; i++) {
    const at = HEADER + i * 16;
    const kind = dv.getUint32(at, true);
    const len = dv.getFloat64(at + 8, true);
    if (o + len > file.length - 8) throw fail(`section ${kind} runs past the end`);
    const data = file.subarray(o, o + len);
    if (!intact && crc32c(data) !== dv.getUint32(at + 4, true)) throw fail(`section ${kind} checksum mismatch`);
    got.set(kind, data);
    o += pad8(len);
  }
  if (!intact) throw fail('file checksum mismatch (in padding)');
  const need = (k: Kind) => {
    const b = got.get(k);
    if (!b) throw fail(`section ${k} missing`);
    return b;
  };
  const view = <T>(k: Kind, make: (buf: ArrayBufferLike, off: number, n: number) => T, expect: number): T => {
    const b = need(k);
    if (b.length !== expect * 4) throw fail(`section ${k} is ${b.length} bytes, expected ${expect * 4}`);
    return make(b.buffer, b.byteOffset, expect);
  };
  try {
    const ids = decodeStrings(need(Kind.Ids), false, rows) as string[];
    const sparseOffsets = view(Kind.SparseOffsets, (b, off, n) => new Uint32Array(b, off, n), rows + 1);
    const nnz = sparseOffsets[rows]!;
    return {
      dim,
      lsn,
      ids,
      vectors: view(Kind.Vectors, (b, off, n) => new Float32Array(b, off, n), rows * dim),
      sparseOffsets,
      sparseIndices: view(Kind.SparseIndices, (b, off, n) => new Uint32Array(b, off, n), nnz),
      sparseValues: view(Kind.SparseValues, (b, off, n) => new Float32Array(b, off, n), nnz),
      metaJson: decodeStrings(need(Kind.Meta), true, rows),
      postings: need(Kind.Postings),
      tombstones: decodeStrings(need(Kind.Tombstones), false) as string[],
      graph: got.get(Kind.Graph),
    };
  } catch (err) {
    if (err instanceof LarchError) throw err;
    throw fail((err as Error).message);
  }
}
