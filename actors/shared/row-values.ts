/**
 * The values of stored rows, read in place from the arenas' shared memory and formatted as Pinecone answers them
 * (shortest float32 decimals, `f32ToNumber`). Any thread can read them: the main thread for small answers, a query
 * executor for large ones, because formatting and JSON-encoding a million floats takes the better part of a second
 * and must not hold the HTTP server's event loop (server/response-encode.ts).
 *
 * Reading later is safe: rows are copy-on-write (a write appends a new row, it never changes one in place) and an
 * arena's memory lives as long as anything holds it, so a row found by a fetch or a query keeps its values.
 */
import type { FetchResponse, PineconeRecord, RecordMetadata, RecordSparseValues } from '../../engine/core/types.js';
import { blockLayout, locate, readDense, readSparse, type BlockLayout } from './arena-layout.js';
import type { ArenaView } from './arena.js';
import type { FetchResult } from './host-api.js';

/** A row: index into a list of arena views, and the row's number in that arena. */
export type RowRef = [view: number, row: number];

export interface RowValues {
  values: number[];
  sparse?: RecordSparseValues;
}

/** Rows whose values are still to be read: in the order of the records they belong to. */
export interface DeferredRows {
  views: readonly ArenaView[];
  rows: RowRef[];
  /** Dense and sparse values of all the rows together: what reading them costs. */
  floats: number;
}

/** Reads one row's values, given its views' block layouts. */
function readRow(views: readonly ArenaView[], layouts: BlockLayout[], [p, row]: RowRef): RowValues {
  const view = views[p]!;
  const { block, r } = locate(view.blocks, view.rowsPerBlock, row);
  const buf = view.memory.buffer;
  const values = view.dim > 0 ? readDense(buf, layouts[p]!, block, r) : [];
  const sparse = readSparse(buf, layouts[p]!, block, r);
  return sparse ? { values, sparse } : { values };
}

/** How many sparse values a row of `views` has (0: none), without reading them. */
function sparseCounter(views: readonly ArenaView[], layouts: BlockLayout[]): (ref: RowRef) => number {
  const words = views.map((v) => new Uint32Array(v.memory.buffer));
  return ([p, row]) => {
    const view = views[p]!;
    const { block, r } = locate(view.blocks, view.rowsPerBlock, row);
    return words[p]![(block + layouts[p]!.sparseNnz) / 4 + r]!;
  };
}

/**
 * Where the rows behind deferred placeholders are. A WeakMap keyed by the placeholder arrays, because the read path
 * (query-coordinator.ts) builds and sorts its matches with whatever `readHits` returns; the placeholders travel with
 * their matches through that, and {@link deferredRows} finds each match's row again afterwards.
 */
const placeholders = new WeakMap<number[], { views: readonly ArenaView[]; ref: RowRef; floats: number }>();

/**
 * Dense and sparse values of rows (`[view index, row]`), read in place from the arenas' shared memory. With `defer`
 * the values are not read: each row gets an empty placeholder `values` array (and an empty `sparse` when the row
 * has sparse values, so the answer keeps its key order) to be filled later, on any thread, by {@link fillValues}
 * with the rows that {@link deferredRows} recovers from the placeholders.
 */
export function readHits(views: readonly ArenaView[], hits: readonly RowRef[], defer = false): RowValues[] {
  const layouts = views.map((v) => blockLayout(v.dim, v.rowsPerBlock));
  if (!defer) return hits.map((ref) => readRow(views, layouts, ref));
  const sparseCount = sparseCounter(views, layouts);
  return hits.map(([p, row]) => {
    const nnz = sparseCount([p, row]);
    const values: number[] = [];
    placeholders.set(values, { views, ref: [p, row], floats: views[p]!.dim + 2 * nnz });
    return nnz > 0 ? { values, sparse: { indices: [], values: [] } } : { values };
  });
}

/**
 * The rows behind the placeholder `values` of `records` (from one deferred `readHits`), in the records' order.
 * Undefined when a record's values are not a placeholder.
 */
export function deferredRows(records: readonly { values?: number[] }[]): DeferredRows | undefined {
  const rows: RowRef[] = [];
  let views: readonly ArenaView[] = [];
  let floats = 0;
  for (const rec of records) {
    const at = rec.values && placeholders.get(rec.values);
    if (!at || (rows.length > 0 && at.views !== views)) return undefined;
    views = at.views;
    rows.push(at.ref);
    floats += at.floats;
  }
  return { views, rows, floats };
}

/** Reads the rows of `src` into `records` (same order): `values`, and `sparseValues` where the record has that key. */
export function fillValues(records: { values?: number[]; sparseValues?: RecordSparseValues }[], src: DeferredRows): void {
  const layouts = src.views.map((v) => blockLayout(v.dim, v.rowsPerBlock));
  records.forEach((rec, i) => {
    const v = readRow(src.views, layouts, src.rows[i]!);
    rec.values = v.values;
    if (rec.sparseValues && v.sparse) rec.sparseValues = v.sparse;
  });
}

/** Dense and sparse values a fetch's rows hold together: what reading them costs. */
export function fetchedFloats({ found }: FetchedRows): number {
  if (!found) return 0;
  const sparseCount = sparseCounter(found.views, found.views.map((v) => blockLayout(v.dim, v.rowsPerBlock)));
  let floats = 0;
  for (const { view, row } of found.rows) floats += found.views[view]!.dim + 2 * sparseCount([view, row]);
  return floats;
}

/** A fetch's rows before their values are read; {@link fetchResponse} reads them, on any thread. */
export interface FetchedRows {
  /** Null: the namespace does not exist. */
  found: FetchResult | null;
  namespace: string;
  readUnits: number;
}

/** A fetch's answer: its records with their values read from shared memory. */
export function fetchResponse<T extends RecordMetadata = RecordMetadata>(f: FetchedRows): FetchResponse<T> {
  return { records: fetchRecords<T>(f.found), namespace: f.namespace, usage: { readUnits: f.readUnits } };
}

/** A fetch's records by id, values read from shared memory: `{ id, values, sparseValues?, metadata? }`. */
function fetchRecords<T extends RecordMetadata>(found: FetchResult | null): Record<string, PineconeRecord<T>> {
  const records: Record<string, PineconeRecord<T>> = {};
  if (!found || found.rows.length === 0) return records;
  const layouts = found.views.map((v) => blockLayout(v.dim, v.rowsPerBlock));
  for (const r of found.rows) {
    const v = readRow(found.views, layouts, [r.view, r.row]);
    const rec: PineconeRecord<T> = { id: r.id, values: v.values };
    if (v.sparse) rec.sparseValues = v.sparse;
    if (r.metadata) rec.metadata = r.metadata as T;
    records[r.id] = rec;
  }
  return records;
}
