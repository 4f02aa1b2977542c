// Codes and memory layouts shared by the kernel (AssemblyScript) and the
// TypeScript that calls it: this file is valid in both languages (const enums
// and integer constants only), so each value is defined here once and named
// the same on both sides. TypeScript imports it as wasm/assembly/layout.js.

/** Metric codes of every kernel entry point. */
export const enum KernelMetric {
  Dot = 0,
  /** dot * qInvNorm * invNorm[row] */
  Cosine = 1,
  /** keys are -squared distance, so larger is better for every metric */
  Euclidean = 2,
}

/** scanTopK flag: skip rows whose combined score is exactly 0 (sparse indexes). */
export const SCAN_SKIP_ZERO = 1;

/** 'HNSW', the first u32 of a graph. */
export const GRAPH_MAGIC = 0x57534e48;
export const GRAPH_VERSION = 1;

/**
 * Byte offsets of the u32 fields of an HNSW graph's 64-byte header. Offsets of
 * sections (Links0, Levels, UpperOff) are relative to the graph's start, so a
 * graph can be copied or written to a file as one block.
 */
export const enum GraphHeader {
  Magic = 0,
  Version = 4,
  /** Rows the graph is laid out for. */
  N = 8,
  /** Nodes inserted so far: rows [0, Count). */
  Count = 12,
  /** Links per node on upper layers. */
  M = 16,
  /** Links per node on layer 0 (2M). */
  M0 = 20,
  /** i32, -1 while the graph is empty. */
  MaxLevel = 24,
  Entry = 28,
  Dim = 32,
  /** A KernelMetric. */
  Metric = 36,
  /** n lists of (1 + M0) u32: count, then neighbor rows (layer 0). */
  Links0 = 40,
  /** u8[n]: the level of each node (drawn by the caller). */
  Levels = 44,
  /** u32[n]: offset of the node's upper-layer lists, 0 for level-0 nodes. */
  UpperOff = 48,
  /** The graph's size in bytes (64-byte multiple). */
  Bytes = 52,
  EfConstruction = 56,
  /** Seed of the level draw. */
  Seed = 60,
  /** Header size. */
  Size = 64,
}

/**
 * Byte offsets in the control block of a concurrent graph build, shared by the
 * build threads: u32 next (atomic), end, done (atomic), a global lock, then at
 * Locks one u32 spin lock per node.
 */
export const enum BuildControl {
  Next = 0,
  End = 4,
  Done = 8,
  Global = 12,
  Locks = 64,
}
