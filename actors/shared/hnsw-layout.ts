/**
 * An HNSW graph in an arena's shared memory, as the TypeScript side sees it: the handle (plain data, postable to any
 * thread holding the arena's memory), the header read and written through named fields (the layout is
 * wasm/assembly/layout.ts's GraphHeader, shared with the kernel), and the block table through which the kernel
 * reaches vectors. Building is the builder's (actors/builder/hnsw-build.ts); searching the executors'
 * (hnsw-search.ts).
 *
 *   graph (offset `graph`, `bytes` long; every offset inside is relative to `graph`, so it can be copied as is)
 *     header          GraphHeader, 64 bytes
 *     links0          n × (1 + M0) u32: neighbor count, then neighbor rows, layer 0 (M0 = 2M)
 *     levels          u8[n] (padded to 4)
 *     upperOff        u32[n]: offset of the node's upper-layer lists, 0 for level-0 nodes
 *     upper           for each node of level L > 0: L × (1 + M) u32 lists, layer 1 first
 *   block table (offset `table`, right after the graph): u32 per block covering rows [0, n), the offset of the
 *     block's vector array (block + layout.vecs). It belongs to this arena, not to the graph.
 */
import type { Arena } from './arena.js';
import { GRAPH_MAGIC, GRAPH_VERSION, GraphHeader, KernelMetric } from '../../wasm/assembly/layout.js';

/** A graph in an arena: plain data, postable to any thread that has the arena's memory. */
export interface HnswHandle {
  /** Byte offset of the graph header in the arena memory. */
  graph: number;
  /** Graph bytes (header, links, levels, upper layers). */
  bytes: number;
  /** Byte offset of the u32 block table (vector-array offset per block). */
  table: number;
  rowsPerBlock: number;
  /** layout.invNorms - layout.vecs: where a block's inverse norms are relative to its vectors. */
  invDelta: number;
  n: number;
  dim: number;
  /** Kernel metric code. */
  metric: KernelMetric;
  M: number;
  M0: number;
  efConstruction: number;
  efSearch: number;
  seed: number;
  maxLevel: number;
  entry: number;
  /** Wall time of the build. */
  buildMs: number;
  /** Distance computations the build made. */
  buildDistances: number;
}

/** The header's fields (magic and version aside). */
export interface GraphHeaderFields {
  n: number;
  count: number;
  M: number;
  M0: number;
  /** -1 while the graph is empty. */
  maxLevel: number;
  entry: number;
  dim: number;
  metric: number;
  links0: number;
  levels: number;
  upperOff: number;
  bytes: number;
  efConstruction: number;
  seed: number;
}

const u32At = (buf: ArrayBufferLike, g: number, field: GraphHeader) => new Uint32Array(buf, g + field, 1);

/** Where each field of {@link GraphHeaderFields} sits in the header. */
const FIELDS: readonly [keyof GraphHeaderFields, GraphHeader][] = [
  ['n', GraphHeader.N],
  ['count', GraphHeader.Count],
  ['M', GraphHeader.M],
  ['M0', GraphHeader.M0],
  ['maxLevel', GraphHeader.MaxLevel],
  ['entry', GraphHeader.Entry],
  ['dim', GraphHeader.Dim],
  ['metric', GraphHeader.Metric],
  ['links0', GraphHeader.Links0],
  ['levels', GraphHeader.Levels],
  ['upperOff', GraphHeader.UpperOff],
  ['bytes', GraphHeader.Bytes],
  ['efConstruction', GraphHeader.EfConstruction],
  ['seed', GraphHeader.Seed],
];

/** Reads the header of the graph at `g`; null when it is not a graph of this version. */
export function readGraphHeader(buf: ArrayBufferLike, g: number): GraphHeaderFields | null {
  const get = (f: GraphHeader) => u32At(buf, g, f)[0]!;
  if (get(GraphHeader.Magic) !== GRAPH_MAGIC || get(GraphHeader.Version) !== GRAPH_VERSION) return null;
  const h = Object.fromEntries(FIELDS.map(([name, f]) => [name, get(f)])) as unknown as GraphHeaderFields;
  h.maxLevel |= 0; // an i32
  return h;
}

/** Writes the header of the graph at `g` (magic and version included). */
export function writeGraphHeader(buf: ArrayBufferLike, g: number, h: GraphHeaderFields): void {
  const set = (f: GraphHeader, v: number) => (u32At(buf, g, f)[0] = v >>> 0);
  set(GraphHeader.Magic, GRAPH_MAGIC);
  set(GraphHeader.Version, GRAPH_VERSION);
  for (const [name, f] of FIELDS) set(f, h[name]);
}

/** Nodes inserted so far. */
export const graphCount = (buf: ArrayBufferLike, g: number): number => u32At(buf, g, GraphHeader.Count)[0]!;

/** Marks rows [0, count) inserted (after a concurrent build, whose threads do not move the count). */
export function setGraphCount(buf: ArrayBufferLike, g: number, count: number): void {
  u32At(buf, g, GraphHeader.Count)[0] = count;
}

/** Whether `code` is a metric the kernel knows. */
export const isKernelMetric = (code: number): code is KernelMetric =>
  code === KernelMetric.Dot || code === KernelMetric.Cosine || code === KernelMetric.Euclidean;

/**
 * Reserves a graph of `bytes` over rows [0, n) of `arena` and the block table right after it (the vector array of
 * each block, which is how the kernel reaches row r); returns the graph's offset. Owner thread only.
 */
export function reserveGraph(arena: Arena, bytes: number, n: number): number {
  const nBlocks = Math.ceil(n / arena.layout.rows);
  const g = arena.reserve(bytes + nBlocks * 4);
  const t = new Uint32Array(arena.memory.buffer, g + bytes, nBlocks);
  for (let b = 0; b < nBlocks; b++) t[b] = arena.blocks[b]! + arena.layout.vecs;
  return g;
}

/** The handle of the graph at `g` of `arena`, from its header; `efSearch` is the index's setting. */
export function handleOf(arena: Arena, g: number, h: GraphHeaderFields, efSearch: number): HnswHandle {
  return {
    graph: g,
    bytes: h.bytes,
    table: g + h.bytes,
    rowsPerBlock: arena.layout.rows,
    invDelta: arena.layout.invNorms - arena.layout.vecs,
    n: h.n,
    dim: h.dim,
    metric: h.metric as KernelMetric,
    M: h.M,
    M0: h.M0,
    efConstruction: h.efConstruction,
    efSearch,
    seed: h.seed,
    maxLevel: h.maxLevel,
    entry: h.entry,
    buildMs: 0,
    buildDistances: 0,
  };
}

/** The graph's bytes in the arena memory (a view): what a slab file stores. */
export function graphBytes(memory: WebAssembly.Memory, h: HnswHandle): Uint8Array {
  return new Uint8Array(memory.buffer, h.graph, h.bytes);
}

/**
 * Puts a graph read from a slab file into `arena` (whose rows it indexes) and lays out the block table; throws a
 * plain Error naming what does not fit (the caller turns it into DATA_LOSS). `efSearch` is the index's setting.
 */
export function restoreHnsw(arena: Arena, bytes: Uint8Array, efSearch: number): HnswHandle {
  if (bytes.length < GraphHeader.Size) throw new Error(`graph section is ${bytes.length} bytes, shorter than its header`);
  const h = readGraphHeader(bytes.slice(0, GraphHeader.Size).buffer, 0);
  if (!h) throw new Error('graph section has a bad magic number or version');
  if (h.n !== arena.rows || h.count !== h.n) throw new Error(`graph indexes ${h.count}/${h.n} rows, the slab has ${arena.rows}`);
  if (h.dim !== arena.dim || h.bytes !== bytes.length) throw new Error(`graph header says dimension ${h.dim} and ${h.bytes} bytes, found ${arena.dim} and ${bytes.length}`);
  if (!isKernelMetric(h.metric)) throw new Error(`graph header has an unknown metric code ${h.metric}`);
  const g = reserveGraph(arena, bytes.length, h.n);
  new Uint8Array(arena.memory.buffer, g, bytes.length).set(bytes);
  return handleOf(arena, g, h, efSearch);
}
