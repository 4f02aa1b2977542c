/**
 * Records as JSON Lines (`x.jsonl` / `x.ndjson`): one `{ id, values, metadata? }` per line (sparse values, as
 * `sparse_values` or `sparseValues`, are ignored: the benchmark is dense). The last records are held out as queries.
 * Two streaming passes: one counts the records (a byte scan) so the shared arrays are allocated at their size, one
 * parses them straight into place.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { RecordMetadata } from '../../../engine/index.js';
import { DatasetError, reason } from './error.js';
import { IdSet, checkValues, fileInfo, heldOut, parseMetadata, sharedFloats, type RawDataset, type ReadOptions } from './common.js';

/** Lines that hold something other than blanks. */
async function countRecords(path: string): Promise<number> {
  let records = 0;
  let content = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; ) {
      const nl = chunk.indexOf(10, i);
      const end = nl < 0 ? chunk.length : nl;
      for (let j = i; !content && j < end; j++) {
        const c = chunk[j]!;
        content = c !== 32 && c !== 9 && c !== 13;
      }
      if (nl < 0) break;
      if (content) records++;
      content = false;
      i = nl + 1;
    }
  }
  return content ? records + 1 : records;
}

/** Reads a JSON Lines file of records. */
export async function readJsonl(path: string, opts: ReadOptions): Promise<RawDataset> {
  const info = await fileInfo(path);
  opts.onProgress(`reading ${basename(path)}`);
  let total: number;
  try {
    total = await countRecords(path);
  } catch (e) {
    throw new DatasetError(`${path}: cannot read (${reason(e)})`);
  }
  if (total < 2) throw new DatasetError(`${path}: holds ${total} record(s); at least 2 are needed (base and a held-out query)`);
  const queryCount = heldOut(total, opts.queries);
  const count = total - queryCount;
  const ids = new IdSet();
  const metadata: (RecordMetadata | undefined)[] = [];
  let dim = 0;
  let vectors = sharedFloats(0);
  let queries = sharedFloats(0);
  let row = 0;
  let line = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      const where = `${path}:${line}`;
      if (row >= total) throw new DatasetError(`${path}: changed while being read`);
      let rec: { id?: unknown; values?: unknown; metadata?: unknown };
      try {
        rec = JSON.parse(text) as typeof rec;
      } catch (e) {
        throw new DatasetError(`${where}: not JSON (${reason(e)})`);
      }
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw new DatasetError(`${where}: not a JSON object`);
      if (row === 0) {
        const v = rec.values;
        if (!Array.isArray(v) || v.length === 0) throw new DatasetError(`${where}: "values" is not a non-empty list of numbers`);
        dim = v.length;
        vectors = sharedFloats(count * dim);
        queries = sharedFloats(queryCount * dim);
      }
      checkValues(rec.values, dim, where);
      if (row < count) {
        ids.add(rec.id, where);
        metadata.push(parseMetadata(rec.metadata, where));
        vectors.set(rec.values, row * dim);
      } else {
        queries.set(rec.values, (row - count) * dim);
      }
      row++;
    }
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`${path}: cannot read (${reason(e)})`);
  } finally {
    lines.close();
  }
  if (row !== total) throw new DatasetError(`${path}: changed while being read`);
  return {
    name: basename(path).replace(/\.(jsonl|ndjson)$/, ''),
    identity: info.identity,
    dimension: dim,
    vectors,
    count,
    ids: ids.ids,
    metadata,
    queries,
    queryCount,
    metric: 'cosine',
  };
}
