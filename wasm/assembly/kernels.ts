// Distance kernels for LarchDB.
//
// The memory is imported and shared by several worker threads that instantiate
// this module at once, so nothing here may live in linear memory: no string
// literals, no static arrays, no allocation. Only locals and the byte offsets
// passed in. build.mjs fails the build if a data section ever appears.

import { dotImpl, l2sqImpl } from './simd';
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
  if (metric == 2) {
    for (let i = 0; i < n; i++, row += stride) {
      store<f32>(out + (<usize>i << 2), l2sqImpl(q, row, dim));
    }
  } else if (metric == 1) {
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

// ---------------------------------------------------------------------------
// Bounded top-k heap: keys f32[k] at heap, rows u32[k] right after.
// Min-heap on "worse": lower key, or equal key and larger row. Root = worst kept.

// @ts-ignore: decorator
@inline
function worse(ka: f32, ra: u32, kb: f32, rb: u32): bool {
  return ka < kb || (ka == kb && ra > rb);
}

// @ts-ignore: decorator
@inline
function siftDown(keys: usize, rows: usize, start: i32, count: i32): void {
  let pos = start;
  const key = load<f32>(keys + (<usize>pos << 2));
  const row = load<u32>(rows + (<usize>pos << 2));
  while (true) {
    let c = (pos << 1) + 1;
    if (c >= count) break;
    let ck = load<f32>(keys + (<usize>c << 2));
    let cr = load<u32>(rows + (<usize>c << 2));
    const c2 = c + 1;
    if (c2 < count) {
      const k2 = load<f32>(keys + (<usize>c2 << 2));
      const r2 = load<u32>(rows + (<usize>c2 << 2));
      if (worse(k2, r2, ck, cr)) { c = c2; ck = k2; cr = r2; }
    }
    if (!worse(ck, cr, key, row)) break;
    store<f32>(keys + (<usize>pos << 2), ck);
    store<u32>(rows + (<usize>pos << 2), cr);
    pos = c;
  }
  store<f32>(keys + (<usize>pos << 2), key);
  store<u32>(rows + (<usize>pos << 2), row);
}

// @ts-ignore: decorator
@inline
function siftUp(keys: usize, rows: usize, pos: i32, key: f32, row: u32): void {
  while (pos > 0) {
    const p = (pos - 1) >> 1;
    const pk = load<f32>(keys + (<usize>p << 2));
    const pr = load<u32>(rows + (<usize>p << 2));
    if (!worse(key, row, pk, pr)) break;
    store<f32>(keys + (<usize>pos << 2), pk);
    store<u32>(rows + (<usize>pos << 2), pr);
    pos = p;
  }
  store<f32>(keys + (<usize>pos << 2), key);
  store<u32>(rows + (<usize>pos << 2), row);
}

/** Offers (key, row) to the heap; returns the new count. */
// @ts-ignore: decorator
@inline
function offer(keys: usize, rows: usize, k: i32, count: i32, key: f32, row: u32): i32 {
  if (count < k) {
    siftUp(keys, rows, count, key, row);
    return count + 1;
  }
  const rk = load<f32>(keys);
  if (key > rk || (key == rk && row < load<u32>(rows))) {
    store<f32>(keys, key);
    store<u32>(rows, row);
    siftDown(keys, rows, 0, count);
  }
  return count;
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
  const hasSparse = qsN > 0 && metric != 2;
  const skipZero = (flags & 1) != 0;
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
      if (metric == 2) {
        score = l2sqImpl(q, row, dim);
      } else if (metric == 1) {
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
    const key = metric == 2 ? -score : score;
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
  // Pop the worst to the back: the array ends up best-first.
  for (let end = count - 1; end > 0; end--) {
    const eo = <usize>end << 2;
    const k0 = load<f32>(keys);
    const r0 = load<u32>(rows);
    store<f32>(keys, load<f32>(keys + eo));
    store<u32>(rows, load<u32>(rows + eo));
    store<f32>(keys + eo, k0);
    store<u32>(rows + eo, r0);
    siftDown(keys, rows, 0, end);
  }
}
