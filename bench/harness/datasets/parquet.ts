/**
 * Records as Parquet, in Pinecone's bulk-import layout: a file or a directory of `.parquet` files (read in name
 * order) with columns `id` (string), `values` (list of float), optional `metadata` (a JSON string) and `sparse_values`
 * (ignored: the benchmark is dense). The last records are held out as queries. Read with hyparquet (with
 * hyparquet-compressors for every codec), a row group at a time, column by column into shared memory.
 *
 * @module
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { RecordMetadata } from '../../../engine/index.js';
import { DatasetError, reason } from './error.js';
import { IdSet, checkValues, fileInfo, heldOut, parseMetadata, sharedFloats, type RawDataset, type ReadOptions } from './common.js';

interface Part {
  path: string;
  file: AsyncBuffer;
  metadata: FileMetaData;
  columns: string[];
  rows: number;
}

/** The `.parquet` files a spec names: the file, or a directory's, sorted by name. */
export async function parquetFiles(spec: string, isDir: boolean): Promise<string[]> {
  if (!isDir) return [spec];
  const files = (await readdir(spec)).filter((f) => f.endsWith('.parquet')).sort();
  return files.map((f) => join(spec, f));
}

async function openPart(path: string): Promise<Part> {
  await fileInfo(path);
  try {
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    const names = parquetSchema(metadata).children.map((c) => c.element.name);
    for (const c of ['id', 'values']) if (!names.includes(c)) throw new DatasetError(`${path}: has no "${c}" column (columns: ${names.join(', ')})`);
    const columns = ['id', 'values', ...(names.includes('metadata') ? ['metadata'] : [])];
    return { path, file, metadata, columns, rows: Number(metadata.num_rows) };
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`${path}: not a readable Parquet file (${reason(e)})`);
  }
}

/** Reads Parquet records from `files` (read in this order); `name` names the dataset. */
export async function readParquet(name: string, files: string[], opts: ReadOptions): Promise<RawDataset> {
  if (files.length === 0) throw new DatasetError(`${name}: holds no .parquet files`);
  const parts: Part[] = [];
  for (const f of files) parts.push(await openPart(f));
  const total = parts.reduce((n, p) => n + p.rows, 0);
  if (total < 2) throw new DatasetError(`${name}: holds ${total} record(s); at least 2 are needed (base and a held-out query)`);
  const queryCount = heldOut(total, opts.queries);
  const count = total - queryCount;
  const ids = new IdSet();
  const idAt: unknown[] = [];
  const metadata: (RecordMetadata | undefined)[] = new Array<RecordMetadata | undefined>(count);
  let dim = 0;
  let vectors = sharedFloats(0);
  let queries = sharedFloats(0);
  let first = 0; // global row of the part's first row
  for (const p of parts) {
    opts.onProgress(`reading ${basename(p.path)} (${p.rows} records)`);
    let groupStart = 0;
    for (const g of p.metadata.row_groups) {
      const groupEnd = groupStart + Number(g.num_rows);
      let failed: unknown;
      const take = (c: { columnName: string; columnData: ArrayLike<unknown>; rowStart: number; rowEnd: number }) => {
        // Chunks may reach outside the group asked for: keep the rows inside it.
        for (let r = Math.max(c.rowStart, groupStart); r < Math.min(c.rowEnd, groupEnd); r++) {
          const v = c.columnData[r - c.rowStart];
          const row = first + r;
          const where = `${p.path}: row ${r}`;
          if (c.columnName === 'values') {
            if (dim === 0) {
              dim = (v as ArrayLike<number> | null)?.length ?? 0;
              if (dim === 0) throw new DatasetError(`${where}: "values" is not a non-empty list of numbers`);
              vectors = sharedFloats(count * dim);
              queries = sharedFloats(queryCount * dim);
            }
            checkValues(v, dim, where);
            if (row < count) vectors.set(v, row * dim);
            else queries.set(v, (row - count) * dim);
          } else if (row < count) {
            if (c.columnName === 'id') idAt[row] = v;
            else metadata[row] = parseMetadata(v, where);
          }
        }
      };
      // The library calls onChunk from promise callbacks: a throw there would not reach the await below.
      const onChunk = (c: Parameters<typeof take>[0]) => {
        if (failed === undefined) {
          try {
            take(c);
          } catch (e) {
            failed = e;
          }
        }
      };
      try {
        await parquetRead({ file: p.file, metadata: p.metadata, columns: p.columns, rowStart: groupStart, rowEnd: groupEnd, compressors, onChunk });
        if (failed !== undefined) throw failed;
      } catch (e) {
        if (e instanceof DatasetError) throw e;
        throw new DatasetError(`${p.path}: cannot read rows ${groupStart}..${groupEnd - 1} (${reason(e)})`);
      }
      groupStart = groupEnd;
    }
    for (let r = first; r < Math.min(count, first + p.rows); r++) ids.add(idAt[r], `${p.path}: row ${r - first}`);
    first += p.rows;
  }
  const infos = await Promise.all(files.map(fileInfo));
  return {
    name: basename(name).replace(/\.parquet$/, ''),
    identity: infos.map((i) => i.identity).join('|'),
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
