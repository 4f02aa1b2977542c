/**
 * ann-benchmarks HDF5 files (`x.hdf5` / `x.h5`): datasets `train` (base vectors), `test` (queries), `neighbors`
 * (exact neighbours of each query, for the file's metric) and `distances`, with the root attribute `distance`
 * (angular = cosine, euclidean, dot). Read with h5wasm, loaded only when an HDF5 file is asked for; rows are copied a
 * slice at a time into shared memory, so the library's heap never holds the whole file.
 *
 * @module
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Metric } from '../../../engine/index.js';
import { DatasetError, reason } from './error.js';
import { fileInfo, sharedFloats, type RawDataset, type ReadOptions } from './common.js';

type H5 = typeof import('h5wasm/node').default;
type H5File = InstanceType<H5['File']>;

/** ann-benchmarks' distance names, and a few other spellings, to Pinecone metrics. */
const DISTANCES: Record<string, Metric> = {
  angular: 'cosine',
  cosine: 'cosine',
  euclidean: 'euclidean',
  l2: 'euclidean',
  dot: 'dotproduct',
  ip: 'dotproduct',
  dotproduct: 'dotproduct',
  inner_product: 'dotproduct',
};
/** Values copied per slice. */
const SLICE_VALUES = 1 << 22;
const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

let library: Promise<H5> | undefined;
function h5wasm(): Promise<H5> {
  library ??= import('h5wasm/node').then(async (m) => {
    await m.default.ready;
    return m.default;
  });
  return library;
}

/**
 * Whether the file starts with the HDF5 signature (at 0, or a user block's 512, 1024, ... bytes in). Checked first
 * because the library neither throws on a missing file nor quietly refuses a foreign one.
 */
async function isHdf5(path: string, size: number): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      await fh.read(b, 0, 8, at);
      if (b.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}

/** A 2-d numeric dataset of the file, with its shape. */
function matrix(f: H5File, H: H5, name: string, path: string) {
  const d = f.get(name);
  if (!(d instanceof H.Dataset)) return null;
  const shape = d.shape ?? [];
  if (shape.length !== 2) throw new DatasetError(`${path}: "${name}" has shape [${shape.join(', ')}], a matrix is expected`);
  const meta = d.metadata;
  // type 0 = integer, 1 = float; 8-byte integers would come back as BigInts.
  if (!((meta.type === 1 && meta.size <= 8) || (meta.type === 0 && meta.size <= 4))) {
    throw new DatasetError(`${path}: "${name}" holds ${d.dtype} values, numbers are expected`);
  }
  return { d, rows: shape[0]!, cols: shape[1]! };
}

/** Copies rows [0, rows) of a matrix into `out`, a slice at a time. */
function copyRows(m: NonNullable<ReturnType<typeof matrix>>, rows: number, out: Float32Array | Int32Array): void {
  const per = Math.max(1, Math.floor(SLICE_VALUES / Math.max(1, m.cols)));
  for (let r = 0; r < rows; r += per) {
    const end = Math.min(rows, r + per);
    const v = m.d.slice([[r, end], []]);
    if (!ArrayBuffer.isView(v) || v instanceof BigInt64Array || v instanceof BigUint64Array) throw new TypeError('not numeric');
    out.set(v as unknown as ArrayLike<number>, r * m.cols);
  }
}

/** Reads an ann-benchmarks HDF5 file. */
export async function readHdf5(path: string, opts: ReadOptions): Promise<RawDataset> {
  const info = await fileInfo(path);
  if (!(await isHdf5(path, info.size))) throw new DatasetError(`${path}: not an HDF5 file`);
  const H = await h5wasm();
  let f: H5File;
  try {
    f = new H.File(path, 'r');
  } catch (e) {
    throw new DatasetError(`${path}: cannot open as HDF5 (${reason(e)})`);
  }
  try {
    const train = matrix(f, H, 'train', path);
    const test = matrix(f, H, 'test', path);
    if (!train || !test) throw new DatasetError(`${path}: needs the datasets "train" and "test" (ann-benchmarks layout), has ${f.keys().join(', ') || 'none'}`);
    if (test.cols !== train.cols) throw new DatasetError(`${path}: "test" has dimension ${test.cols}, "train" ${train.cols}`);
    const attr = f.attrs['distance']?.value;
    const distance = typeof attr === 'string' ? attr.toLowerCase() : undefined;
    const metric = distance === undefined ? undefined : DISTANCES[distance];
    if (distance !== undefined && !metric) throw new DatasetError(`${path}: distance "${distance}" is not one LarchDB has (angular, euclidean, dot)`);
    const dim = train.cols;
    const queryCount = Math.min(test.rows, opts.queries ?? test.rows);
    opts.onProgress(`reading ${basename(path)}: ${train.rows}×${dim} train, ${queryCount} test`);
    const vectors = sharedFloats(train.rows * dim);
    copyRows(train, train.rows, vectors);
    const queries = sharedFloats(queryCount * dim);
    copyRows(test, queryCount, queries);
    let truth: RawDataset['truth'];
    const nb = metric ? matrix(f, H, 'neighbors', path) : null;
    if (nb && metric && nb.cols > 0) {
      // Fewer rows than queries is the loader's to report (it computes the truth instead).
      const rows = new Int32Array(Math.min(queryCount, nb.rows) * nb.cols);
      copyRows(nb, Math.min(queryCount, nb.rows), rows);
      truth = { file: `${path} "neighbors"`, metric, k: nb.cols, rows };
    }
    return {
      name: basename(path).replace(/\.(hdf5|h5)$/, ''),
      identity: info.identity,
      dimension: dim,
      vectors,
      count: train.rows,
      ids: null,
      metadata: null,
      queries,
      queryCount,
      metric: metric ?? 'cosine',
      truth,
    };
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`${path}: cannot read (${reason(e)})`);
  } finally {
    f.close();
  }
}
