/**
 * What the request log stores: the op code of each record (its `op` byte) and how each op's body is encoded.
 *   Upsert          a record frame (record-frame.ts) of whole records
 *   Update          a one-record frame; the parts present are the parts to change, metadata merges key by key
 *   DeleteIds       a record frame of id-only records
 *   DeleteByFilter  the filter as UTF-8 JSON
 *   DeleteAll       empty
 *   UpdateByFilter  `{ filter, metadata }` as UTF-8 JSON: metadata merged into every record the filter matches
 */
import type { RecordMetadata } from '../core/types.js';
import { decodeRecords, encodeRecordsToBytes } from './record-frame.js';

export const enum LogOp {
  Upsert = 1,
  Update = 2,
  DeleteIds = 3,
  DeleteByFilter = 4,
  DeleteAll = 5,
  UpdateByFilter = 6,
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const deleteIdsBody = (ids: readonly string[]): Uint8Array => encodeRecordsToBytes(ids.map((id) => ({ id })));

export const readDeleteIdsBody = (body: Uint8Array): string[] => decodeRecords(body).map((r) => r.id);

export const filterBody = (filter: unknown): Uint8Array => encoder.encode(JSON.stringify(filter));

export const readFilterBody = (body: Uint8Array): unknown => JSON.parse(decoder.decode(body));

export const updateByFilterBody = (filter: unknown, metadata: RecordMetadata): Uint8Array => encoder.encode(JSON.stringify({ filter, metadata }));

export const readUpdateByFilterBody = (body: Uint8Array): { filter: unknown; metadata: RecordMetadata } => JSON.parse(decoder.decode(body));
