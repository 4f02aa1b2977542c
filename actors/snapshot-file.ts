/**
 * A namespace snapshot on disk: every live record of one namespace, written atomically on close.
 *
 * Layout (little-endian): u32 magic 'LSNP', u32 format 1, u32 name bytes, name (pad 4), u32 dimension,
 * u32 body bytes, u32 CRC-32C of the body, body = a record frame (record-codec.ts).
 * A file whose magic, format, length or checksum is wrong is refused by name, never skipped.
 */
import { readFile } from 'node:fs/promises';
import { LarchError } from '../engine/errors.js';
import { crc32c } from '../engine/crc32c.js';
import { decodeRecords, type DecodedRecord } from './record-codec.js';

const MAGIC = 0x504e534c; // 'LSNP'
const FORMAT = 1;
const pad4 = (n: number) => (n + 3) & ~3;

export interface Snapshot {
  namespace: string;
  dimension: number;
  records: DecodedRecord[];
}

export function encodeSnapshot(namespace: string, dimension: number, body: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode(namespace);
  const head = 12 + pad4(name.length) + 12;
  const out = new Uint8Array(head + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, FORMAT, true);
  dv.setUint32(8, name.length, true);
  out.set(name, 12);
  let o = 12 + pad4(name.length);
  dv.setUint32(o, dimension, true);
  dv.setUint32(o + 4, body.length, true);
  dv.setUint32(o + 8, crc32c(body), true);
  out.set(body, head);
  return out;
}

function corrupt(path: string, why: string): LarchError {
  return new LarchError('DATA_LOSS', `Snapshot file ${path} is corrupt (${why}); refusing to load it. Restore the file or remove the namespace directory.`);
}

/** Reads and verifies a snapshot file. */
export async function readSnapshot(path: string): Promise<Snapshot> {
  const buf = new Uint8Array(await readFile(path));
  if (buf.length < 24) throw corrupt(path, 'too short');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw corrupt(path, 'bad magic');
  if (dv.getUint32(4, true) !== FORMAT) throw corrupt(path, `unknown format ${dv.getUint32(4, true)}`);
  const nameLen = dv.getUint32(8, true);
  const o = 12 + pad4(nameLen);
  if (o + 12 > buf.length) throw corrupt(path, 'truncated header');
  const namespace = new TextDecoder().decode(buf.subarray(12, 12 + nameLen));
  const dimension = dv.getUint32(o, true);
  const bodyLen = dv.getUint32(o + 4, true);
  const crc = dv.getUint32(o + 8, true);
  const body = buf.subarray(o + 12);
  if (body.length !== bodyLen) throw corrupt(path, `body is ${body.length} bytes, header says ${bodyLen}`);
  if (crc32c(body) !== crc) throw corrupt(path, 'checksum mismatch');
  return { namespace, dimension, records: decodeRecords(body) };
}
