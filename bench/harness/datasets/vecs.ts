/**
 * TEXMEX vector files: `x_base.fvecs` (or .bvecs) with `x_query.fvecs` (or .bvecs) and, when present,
 * `x_groundtruth.ivecs` beside it; the spec names the base file or a directory holding one. Per vector a file holds
 * an int32 dimension, then the values: float32 (.fvecs), int32 (.ivecs) or uint8 (.bvecs, converted to float32).
 * The ground-truth file is for squared L2 (euclidean), the default metric here.
 *
 * @module
 */
import { open, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatasetError, reason } from './error.js';
import { fileInfo, sharedFloats, type RawDataset, type ReadOptions } from './common.js';

type Kind = 'fvecs' | 'ivecs' | 'bvecs';

const ELEMENT_BYTES: Record<Kind, number> = { fvecs: 4, ivecs: 4, bvecs: 1 };
/** Bytes read per call: large enough to stream at disk speed, small enough to stay a bounded extra buffer. */
const READ_BYTES = 16 << 20;

function kindOf(path: string): Kind {
  const ext = path.slice(path.lastIndexOf('.') + 1);
  if (ext === 'fvecs' || ext === 'ivecs' || ext === 'bvecs') return ext;
  throw new DatasetError(`${path}: not a .fvecs, .ivecs or .bvecs file`);
}

/**
 * Reads the first `limit` vectors (all when undefined) of a vecs file into `alloc(count, dim)`'s array, checking
 * every record's dimension header and that the file holds whole records.
 */
export async function readVecsFile<T extends Float32Array | Int32Array>(
  path: string, alloc: (count: number, dim: number) => T, limit?: number,
): Promise<{ dim: number; count: number; total: number; data: T }> {
  const kind = kindOf(path);
  const { size } = await fileInfo(path);
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new DatasetError(`${path}: cannot open (${reason(e)})`);
  }
  try {
    const head = Buffer.alloc(4);
    if (size < 4 || (await fh.read(head, 0, 4, 0)).bytesRead < 4) throw new DatasetError(`${path}: empty or truncated ${kind} file (${size} bytes)`);
    const dim = head.readInt32LE(0);
    const rec = 4 + dim * ELEMENT_BYTES[kind];
    if (dim <= 0 || dim > 1 << 20) throw new DatasetError(`${path}: not a ${kind} file (first dimension header ${dim})`);
    if (size % rec !== 0) throw new DatasetError(`${path}: truncated or not a ${kind} file: ${size} bytes is not a whole number of ${rec}-byte records (dimension ${dim})`);
    const total = size / rec;
    const count = Math.min(total, limit ?? total);
    const data = alloc(count, dim);
    // Whole records per read; an own ArrayBuffer so that the 4-byte values of .fvecs/.ivecs are aligned views.
    const per = Math.max(1, Math.floor(READ_BYTES / rec));
    const buf = Buffer.from(new ArrayBuffer(Math.min(count, per) * rec));
    for (let first = 0; first < count; first += per) {
      const n = Math.min(per, count - first);
      const { bytesRead } = await fh.read(buf, 0, n * rec, first * rec);
      if (bytesRead < n * rec) throw new DatasetError(`${path}: file shrank while being read`);
      for (let i = 0; i < n; i++) {
        const at = i * rec;
        if (buf.readInt32LE(at) !== dim) throw new DatasetError(`${path}: vector ${first + i} has dimension ${buf.readInt32LE(at)}, the first ${dim}`);
        const out = (first + i) * dim;
        if (kind === 'bvecs') data.set(buf.subarray(at + 4, at + rec), out);
        else if (kind === 'fvecs') data.set(new Float32Array(buf.buffer, at + 4, dim), out);
        else data.set(new Int32Array(buf.buffer, at + 4, dim), out);
      }
    }
    return { dim, count, total, data };
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`${path}: cannot read (${reason(e)})`);
  } finally {
    await fh.close();
  }
}

/** The base file a spec names: the file itself, or the one `*_base.fvecs` / `*_base.bvecs` in a directory. */
export async function baseFileIn(dir: string): Promise<string | null> {
  const found = (await readdir(dir)).filter((f) => /_base\.[fb]vecs$/.test(f)).sort();
  if (found.length > 1) throw new DatasetError(`${dir}: holds several base files (${found.join(', ')}); name one`);
  return found.length === 1 ? join(dir, found[0]!) : null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await fileInfo(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads a TEXMEX dataset from its base file (`x_base.fvecs` or `x_base.bvecs`). */
export async function readTexmex(baseFile: string, opts: ReadOptions): Promise<RawDataset> {
  const m = /^(.*)_base\.([fb]vecs)$/.exec(baseFile);
  if (!m) throw new DatasetError(`${baseFile}: a TEXMEX base file is named x_base.fvecs or x_base.bvecs (its queries are x_query.*)`);
  const prefix = m[1]!;
  const queryFile = [`${prefix}_query.fvecs`, `${prefix}_query.bvecs`];
  const qf = (await exists(queryFile[0]!)) ? queryFile[0]! : (await exists(queryFile[1]!)) ? queryFile[1]! : null;
  if (!qf) throw new DatasetError(`${baseFile}: no query file beside it (${basename(queryFile[0]!)} or ${basename(queryFile[1]!)})`);
  opts.onProgress(`reading ${basename(baseFile)}`);
  const base = await readVecsFile(baseFile, (n, d) => sharedFloats(n * d));
  opts.onProgress(`reading ${basename(qf)}`);
  const q = await readVecsFile(qf, (n, d) => sharedFloats(n * d), opts.queries);
  if (q.dim !== base.dim) throw new DatasetError(`${qf}: queries have dimension ${q.dim}, the base ${base.dim}`);
  const gtFile = `${prefix}_groundtruth.ivecs`;
  let truth: RawDataset['truth'];
  if (await exists(gtFile)) {
    const gt = await readVecsFile(gtFile, (n, d) => new Int32Array(n * d), q.count);
    truth = { file: gtFile, metric: 'euclidean', k: gt.dim, rows: gt.data };
  }
  const ids = await Promise.all([fileInfo(baseFile), fileInfo(qf)]);
  return {
    name: basename(prefix),
    identity: ids.map((i) => i.identity).join('|'),
    dimension: base.dim,
    vectors: base.data,
    count: base.count,
    ids: null,
    metadata: null,
    queries: q.data,
    queryCount: q.count,
    metric: 'euclidean',
    truth,
  };
}
