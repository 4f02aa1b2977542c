// Distance kernels for LarchDB.
//
// The memory is imported and shared by several worker threads that instantiate
// this module at once, so nothing here may live in linear memory: no string
// literals, no static arrays, no allocation. Only locals and the byte offsets
// passed in. build.mjs fails the build if a data section ever appears.

import { dotImpl, l2sqImpl } from './simd';
import { offer, siftDown, sortDesc } from './topk-heap';
import { KernelMetric, SCAN_SKIP_ZERO } from './layout';
export * from './hnsw';

// ---------------------------------------------------------------------------
// Primitives (inlined into the scan loops; the dense ones are in simd.ts)

// @ts-ignore: decorator
@inline
function sparseDotImpl(aIdx: usize, aVal: usize, aN: i32, bIdx: usize, bVal: usize, bN: i32): f32 {
  let s: f32 = 0;
  if (aN <= 0 || bN <= 0) return s;
  // Disjoint index ranges are common (and cheap to detect).
  if (load<u32>(aIdx + (<usize>(aN - 1) << 2)) < load<u32>(bIdx) ||
      load<u32>(bIdx + (<usize>(bN - 1) << 2)) < load<u32>(aIdx)) return s;
  let i = 0;
  let j = 0;
  let ai = load<u32>(aIdx);
  let bj = load<u32>(bIdx);
  while (true) {
    if (ai < bj) {
      if (++i >= aN) break;
      ai = load<u32>(aIdx + (<usize>i << 2));
    } else if (ai > bj) {
      if (++j >= bN) break;
      bj = load<u32>(bIdx + (<usize>j << 2));
    } else {
      s += load<f32>(aVal + (<usize>i << 2)) * load<f32>(bVal + (<usize>j << 2));
      if (++i >= aN || ++j >= bN) break;
      ai = load<u32>(aIdx + (<usize>i << 2));
      bj = load<u32>(bIdx + (<usize>j << 2));
    }
  }
  return s;
}

// ---------------------------------------------------------------------------
// Exported scalar kernels

/** Dot product of two f32[dim] vectors. */
export function dot(a: usize, b: usize, dim: i32): f32 {
  return dotImpl(a, b, dim);
}

/** Squared euclidean distance. */
export function l2sq(a: usize, b: usize, dim: i32): f32 {
  return l2sqImpl(a, b, dim);
}

/** Euclidean norm. */
export function norm(a: usize, dim: i32): f32 {
  return sqrt<f32>(dotImpl(a, a, dim));
}

/** Cosine similarity; 0 if either vector has norm 0. */
export function cosine(a: usize, b: usize, dim: i32): f32 {
  const na = dotImpl(a, a, dim);
  const nb = dotImpl(b, b, dim);
  if (na == 0 || nb == 0) return 0;
  return dotImpl(a, b, dim) / (sqrt<f32>(na) * sqrt<f32>(nb));
}

/** Merge-join dot product of two sparse vectors with ascending u32 indices. */
export function sparseDot(aIdx: usize, aVal: usize, aN: i32, bIdx: usize, bVal: usize, bN: i32): f32 {
  return sparseDotImpl(aIdx, aVal, aN, bIdx, bVal, bN);
}

/**
 * Writes n scores to out: 0 = dot, 1 = cosine (dot * qInvNorm * invNorms[i]),
 * 2 = squared euclidean distance.
 */
export function scoreBlock(
  q: usize, vecs: usize, n: i32, dim: i32, metric: i32,
  qInvNorm: f32, invNorms: usize, out: usize,
): void {
  const stride = <usize>dim << 2;
  let row = vecs;
  if (metric == KernelMetric.Euclidean) {
    for (let i = 0; i < n; i++, row += stride) {
      store<f32>(out + (<usize>i << 2), l2sqImpl(q, row, dim));
    }
  } else if (metric == KernelMetric.Cosine) {
    for (let i = 0; i < n; i++, row += stride) {
      const o = <usize>i << 2;
      store<f32>(out + o, dotImpl(q, row, dim) * qInvNorm * load<f32>(invNorms + o));
    }
  } else {
    for (let i = 0; i < n; i++, row += stride) {
      store<f32>(out + (<usize>i << 2), dotImpl(q, row, dim));
    }
  }
}

/**
 * Scans rows 0..n-1 of one block into a bounded top-k heap (see the loader's
 * TSDoc for the full contract). Returns the new heap count.
 */
export function scanTopK(
  q: usize, qInvNorm: f32, vecs: usize, invNorms: usize, n: i32, dim: i32, metric: i32,
  qsIdx: usize, qsVal: usize, qsN: i32, sOff: usize, sNnz: usize,
  created: usize, deleted: usize, snap: u32, bits: usize,
  heap: usize, k: i32, count: i32, rowBase: u32, flags: i32,
): i32 {
  if (k <= 0) return count;
  const keys = heap;
  const rows = heap + (<usize>k << 2);
  const hasDense = q != 0 && dim > 0;
  const hasSparse = qsN > 0 && metric != KernelMetric.Euclidean;
  const skipZero = (flags & SCAN_SKIP_ZERO) != 0;
  const stride = <usize>dim << 2;

  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    if (created != 0) {
      if (load<u32>(created + o) > snap || load<u32>(deleted + o) <= snap) continue;
    }
    if (bits != 0) {
      if ((load<u32>(bits + (<usize>(i >>> 5) << 2)) & (1 << (i & 31))) == 0) continue;
    }
    let score: f32 = 0;
    if (hasDense) {
      const row = vecs + <usize>i * stride;
      if (metric == KernelMetric.Euclidean) {
        score = l2sqImpl(q, row, dim);
      } else if (metric == KernelMetric.Cosine) {
        score = dotImpl(q, row, dim) * qInvNorm * load<f32>(invNorms + o);
      } else {
        score = dotImpl(q, row, dim);
      }
    }
    if (hasSparse) {
      const nnz = <i32>load<u32>(sNnz + o);
      if (nnz > 0) {
        const at = <usize>load<u32>(sOff + o);
        score += sparseDotImpl(qsIdx, qsVal, qsN, at, at + (<usize>nnz << 2), nnz);
      }
    }
    if (skipZero && score == 0) continue;
    if (isNaN(score)) continue;
    const key = metric == KernelMetric.Euclidean ? -score : score;
    count = offer(keys, rows, k, count, key, rowBase + <u32>i);
  }
  return count;
}

/** Sorts count heap entries in place, best first (larger key, then smaller row). */
export function heapSortDesc(heap: usize, k: i32, count: i32): void {
  if (count <= 1) return;
  const keys = heap;
  const rows = heap + (<usize>k << 2);
  // Heapify first so arbitrary input is accepted, not only scanTopK output.
  for (let i = (count >> 1) - 1; i >= 0; i--) siftDown(keys, rows, i, count);
  sortDesc(keys, rows, count);
}
