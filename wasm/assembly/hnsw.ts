// HNSW graph build and search (Malkov & Yashunin, "Efficient and robust
// approximate nearest neighbor search using Hierarchical Navigable Small World
// graphs") over vectors that stay where they are in the shared arena memory.
//
// Same rules as kernels.ts: no data segment, no allocation, no state in linear
// memory or globals. The graph and every scratch array (visited marks,
// candidate and result heaps) live at byte offsets the caller passes in; the
// graph header and the build's control block are defined in layout.ts, shared
// with the TypeScript that lays the graph out (actors/shared/hnsw-layout.ts).
//
// Vectors are addressed by row through a block table: u32 table[b] is the byte
// offset of block b's f32 vector array (block + layout.vecs); row r is vector
// r % B of block r / B (B = rows per block). For cosine, the inverse norm of
// row r is the f32 at table[b] + invDelta + 4 * (r % B) (invDelta =
// layout.invNorms - layout.vecs). Node ids are row numbers.
//
// Keys are "larger is better", exactly as scanTopK computes them: dot (0),
// dot * qInvNorm * invNorm (1, cosine), -squared distance (2, euclidean), so a
// search's results merge with scan heaps key for key.
//
// Graph at g: the 64-byte header (layout.ts GraphHeader; every offset in it
// is relative to g, so the graph can be moved or written to disk as one
// block), then
//   links0:   n lists of (1 + M0) u32: count, then neighbor rows (layer 0)
//   levels:   u8[n], the level of each node (drawn by the caller)
//   upperOff: u32[n], offset (from g) of the node's upper lists, 0 if level 0
//   upper:    per node with level L > 0: L lists of (1 + M) u32, layer 1 first
//
// Scratch at s (one per concurrent caller; see hnswScratchBytes/Init):
//   u32 header[16]: epoch, distance count of the last call, n, efCap, tmpCap,
//     f32 greedy key, touch sink
//   visited u16[n] (epoch marks), candidate heap f32[n] + u32[n],
//   result heap f32[efCap] + u32[efCap], prune / neighbor buffer
//   f32[tmpCap] + u32[tmpCap] (tmpCap = M0 + 1)
//
// Concurrent build (hnswInsertConcurrent): a control block shared by the
// building threads, see "Concurrent build" below. Searches take no locks: a
// graph is read-only once built.

import { dotImpl, l2sqImpl } from './simd';
import { offer, sortDesc, worse } from './topk-heap';
import { BuildControl, GRAPH_MAGIC, GraphHeader, KernelMetric } from './layout';

// Scratch header byte offsets.
const S_EPOCH: usize = 0;
const S_DIST: usize = 4;
const S_N: usize = 8;
const S_EFCAP: usize = 12;
const S_TMPCAP: usize = 16;
const S_KEY: usize = 20;
const S_TOUCH: usize = 24;
const S_HEADER: usize = 64;

// Error codes (negative returns).
const E_SCRATCH: i32 = -1; // scratch too small for this graph, ef or M0
const E_GRAPH: i32 = -2; // not a graph, or insertion out of order

// @ts-ignore: decorator
@inline
function align16(x: usize): usize {
  return (x + 15) & ~(<usize>15);
}

// ---------------------------------------------------------------------------
// Rows

// @ts-ignore: decorator
@inline
function blockOf(row: u32, B: u32, shift: i32): u32 {
  return shift >= 0 ? row >>> <u32>shift : row / B;
}

// @ts-ignore: decorator
@inline
function vecOf(table: usize, B: u32, shift: i32, stride: usize, row: u32): usize {
  const b = blockOf(row, B, shift);
  return <usize>load<u32>(table + (<usize>b << 2)) + <usize>(row - b * B) * stride;
}

// @ts-ignore: decorator
@inline
function invOf(table: usize, B: u32, shift: i32, invDelta: usize, row: u32): f32 {
  const b = blockOf(row, B, shift);
  return load<f32>(<usize>load<u32>(table + (<usize>b << 2)) + invDelta + (<usize>(row - b * B) << 2));
}

/** Key of `row` against the vector at `q` (larger is better), as scanTopK computes it. */
// @ts-ignore: decorator
@inline
function keyOf(
  q: usize, qInv: f32, table: usize, B: u32, shift: i32, stride: usize, invDelta: usize,
  dim: i32, metric: i32, row: u32,
): f32 {
  const b = blockOf(row, B, shift);
  const base = <usize>load<u32>(table + (<usize>b << 2));
  const r = row - b * B;
  const v = base + <usize>r * stride;
  if (metric == KernelMetric.Euclidean) return -l2sqImpl(q, v, dim);
  const d = dotImpl(q, v, dim);
  if (metric == KernelMetric.Cosine) return d * qInv * load<f32>(base + invDelta + (<usize>r << 2));
  return d;
}

// @ts-ignore: decorator
@inline
function pow2Shift(B: u32): i32 {
  return B != 0 && (B & (B - 1)) == 0 ? <i32>ctz<u32>(B) : -1;
}

// @ts-ignore: decorator
@inline
function allowed(bits: usize, row: u32): bool {
  return bits == 0 || (load<u32>(bits + (<usize>(row >>> 5) << 2)) & (<u32>1 << (row & 31))) != 0;
}

// ---------------------------------------------------------------------------
// Graph header fields (layout.ts GraphHeader), read through these accessors

// @ts-ignore: decorator
@inline function isGraph(g: usize): bool { return load<u32>(g + GraphHeader.Magic) == GRAPH_MAGIC; }
// @ts-ignore: decorator
@inline function graphN(g: usize): u32 { return load<u32>(g + GraphHeader.N); }
// @ts-ignore: decorator
@inline function graphCount(g: usize): u32 { return load<u32>(g + GraphHeader.Count); }
// @ts-ignore: decorator
@inline function graphM(g: usize): i32 { return <i32>load<u32>(g + GraphHeader.M); }
// @ts-ignore: decorator
@inline function graphM0(g: usize): i32 { return <i32>load<u32>(g + GraphHeader.M0); }
// @ts-ignore: decorator
@inline function graphMaxLevel(g: usize): i32 { return load<i32>(g + GraphHeader.MaxLevel); }
// @ts-ignore: decorator
@inline function graphEntry(g: usize): u32 { return load<u32>(g + GraphHeader.Entry); }
// @ts-ignore: decorator
@inline function graphDim(g: usize): i32 { return <i32>load<u32>(g + GraphHeader.Dim); }
// @ts-ignore: decorator
@inline function graphMetric(g: usize): i32 { return <i32>load<u32>(g + GraphHeader.Metric); }
/** Address of the layer-0 lists. */
// @ts-ignore: decorator
@inline function links0Of(g: usize): usize { return g + <usize>load<u32>(g + GraphHeader.Links0); }
/** Address of the per-node offsets of upper-layer lists. */
// @ts-ignore: decorator
@inline function upperOffOf(g: usize): usize { return g + <usize>load<u32>(g + GraphHeader.UpperOff); }
// @ts-ignore: decorator
@inline function levelOf(g: usize, q: u32): i32 { return <i32>load<u8>(g + <usize>load<u32>(g + GraphHeader.Levels) + <usize>q); }

// ---------------------------------------------------------------------------
// Concurrent build: a control block shared by the building threads (layout.ts
//   BuildControl): next (atomic), end, done (atomic), a global lock, then one
//   u32 spin lock per node. `locks` = ctl + BuildControl.Locks, or 0 when one
//   thread builds (no locking). A node's lock guards all its neighbor lists; no
//   thread ever holds two, so there is no lock order to get wrong.

// @ts-ignore: decorator
@inline
function spinLock(a: usize): void {
  while (atomic.cmpxchg<u32>(a, 0, 1) != 0) {
    while (atomic.load<u32>(a) != 0) {}
  }
}

// @ts-ignore: decorator
@inline
function lockNode(locks: usize, v: u32): void {
  if (locks != 0) spinLock(locks + (<usize>v << 2));
}

// @ts-ignore: decorator
@inline
function unlockNode(locks: usize, v: u32): void {
  if (locks != 0) atomic.store<u32>(locks + (<usize>v << 2), 0);
}

// ---------------------------------------------------------------------------
// Heaps on split arrays (f32 keys, u32 rows).
// "Worst at root" (the result heap, and the caller's output heap) uses the
// same order as kernels.ts's top-k heap: lower key, or equal key and larger
// row, is worse. "Best at root" is the candidate heap.

// @ts-ignore: decorator
@inline
function cPush(keys: usize, rows: usize, count: i32, key: f32, row: u32): void {
  let pos = count;
  while (pos > 0) {
    const p = (pos - 1) >> 1;
    const pk = load<f32>(keys + (<usize>p << 2));
    if (pk >= key) break;
    store<f32>(keys + (<usize>pos << 2), pk);
    store<u32>(rows + (<usize>pos << 2), load<u32>(rows + (<usize>p << 2)));
    pos = p;
  }
  store<f32>(keys + (<usize>pos << 2), key);
  store<u32>(rows + (<usize>pos << 2), row);
}

/** Removes the root of a best-at-root heap of `count` entries. */
// @ts-ignore: decorator
@inline
function cPop(keys: usize, rows: usize, count: i32): void {
  const n = count - 1;
  if (n <= 0) return;
  const key = load<f32>(keys + (<usize>n << 2));
  const row = load<u32>(rows + (<usize>n << 2));
  let pos = 0;
  while (true) {
    let c = (pos << 1) + 1;
    if (c >= n) break;
    let ck = load<f32>(keys + (<usize>c << 2));
    const c2 = c + 1;
    if (c2 < n) {
      const k2 = load<f32>(keys + (<usize>c2 << 2));
      if (k2 > ck) { c = c2; ck = k2; }
    }
    if (ck <= key) break;
    store<f32>(keys + (<usize>pos << 2), ck);
    store<u32>(rows + (<usize>pos << 2), load<u32>(rows + (<usize>c << 2)));
    pos = c;
  }
  store<f32>(keys + (<usize>pos << 2), key);
  store<u32>(rows + (<usize>pos << 2), row);
}

// ---------------------------------------------------------------------------
// Scratch

/** Bytes of scratch for graphs of up to `n` nodes, ef up to `efCap` and M0 up to `m0Cap`. */
export function hnswScratchBytes(n: u32, efCap: u32, m0Cap: u32): usize {
  const visited = align16(S_HEADER + (<usize>n << 1));
  return visited + (<usize>n << 3) + (<usize>efCap << 3) + (<usize>(m0Cap + 1) << 3);
}

/** Writes the scratch header and clears the visited marks. */
export function hnswScratchInit(s: usize, n: u32, efCap: u32, m0Cap: u32): void {
  store<u32>(s + S_EPOCH, 0);
  store<u32>(s + S_DIST, 0);
  store<u32>(s + S_N, n);
  store<u32>(s + S_EFCAP, efCap);
  store<u32>(s + S_TMPCAP, m0Cap + 1);
  memory.fill(s + S_HEADER, 0, <usize>n << 1);
}

/** Distance computations made by the last hnswInsert / hnswSearch call on scratch `s`. */
export function hnswDistances(s: usize): u32 {
  return load<u32>(s + S_DIST);
}

// @ts-ignore: decorator
@inline
function candKeysOf(s: usize): usize {
  return align16(S_HEADER + s + (<usize>load<u32>(s + S_N) << 1));
}

// @ts-ignore: decorator
@inline
function resKeysOf(s: usize): usize {
  return candKeysOf(s) + (<usize>load<u32>(s + S_N) << 3);
}

// @ts-ignore: decorator
@inline
function tmpKeysOf(s: usize): usize {
  return resKeysOf(s) + (<usize>load<u32>(s + S_EFCAP) << 3);
}

/** A fresh visited epoch (u16); clears the marks when it wraps. */
function nextEpoch(s: usize): u32 {
  let e = (load<u32>(s + S_EPOCH) + 1) & 0xffff;
  if (e == 0) {
    memory.fill(s + S_HEADER, 0, <usize>load<u32>(s + S_N) << 1);
    e = 1;
  }
  store<u32>(s + S_EPOCH, e);
  return e;
}

// ---------------------------------------------------------------------------
// Graph

/** The neighbor list (count, then rows) of node v on layer `level`. */
// @ts-ignore: decorator
@inline
function linksOf(g: usize, v: u32, level: i32): usize {
  if (level == 0) return links0Of(g) + <usize>v * (<usize>(graphM0(g) + 1) << 2);
  return g + <usize>load<u32>(upperOffOf(g) + (<usize>v << 2)) + <usize>(level - 1) * (<usize>(graphM(g) + 1) << 2);
}

/**
 * Greedy walk on one upper layer from `ep`: moves to a better neighbor while
 * there is one. Returns the node reached; its key is left at s + S_KEY.
 */
function greedy(
  g: usize, level: i32, q: usize, qInv: f32,
  table: usize, B: u32, shift: i32, invDelta: usize, ep: u32, epKey: f32, s: usize, locks: usize,
): u32 {
  const dim = graphDim(g);
  const metric = graphMetric(g);
  const stride = <usize>dim << 2;
  let cur = ep;
  let curKey = epKey;
  let dist: u32 = 0;
  const nbR = tmpKeysOf(s) + (<usize>load<u32>(s + S_TMPCAP) << 2);
  let changed = true;
  while (changed) {
    changed = false;
    // A copy of the list, taken under the node's lock while others may be building.
    lockNode(locks, cur);
    const nl = linksOf(g, cur, level);
    const cnt = <i32>load<u32>(nl);
    memory.copy(nbR, nl + 4, <usize>cnt << 2);
    unlockNode(locks, cur);
    for (let j = 0; j < cnt; j++) {
      const v = load<u32>(nbR + (<usize>j << 2));
      const key = keyOf(q, qInv, table, B, shift, stride, invDelta, dim, metric, v);
      dist++;
      if (key > curKey) {
        curKey = key;
        cur = v;
        changed = true;
      }
    }
  }
  store<u32>(s + S_DIST, load<u32>(s + S_DIST) + dist);
  store<f32>(s + S_KEY, curKey);
  return cur;
}

/**
 * Best-first search of one layer from `ep` with a result set of `ef` (the
 * paper's SEARCH-LAYER). With a bitmap, only rows whose bit is set enter the
 * results, but every node is walked, and the walk goes on until `ef` allowed
 * rows are found and no candidate beats the worst of them. Returns the result
 * count; the results are the worst-at-root heap at resKeysOf(s).
 */
function searchLayer(
  g: usize, level: i32, q: usize, qInv: f32,
  table: usize, B: u32, shift: i32, invDelta: usize,
  ep: u32, epKey: f32, ef: i32, bits: usize, s: usize, locks: usize,
): i32 {
  const dim = graphDim(g);
  const metric = graphMetric(g);
  const stride = <usize>dim << 2;
  const n = <usize>load<u32>(s + S_N);
  const visited = s + S_HEADER;
  const candK = candKeysOf(s);
  const candR = candK + (n << 2);
  const resK = resKeysOf(s);
  const resR = resK + (<usize>load<u32>(s + S_EFCAP) << 2);
  const epoch = <u16>nextEpoch(s);
  // The prune buffer (idle while a layer is searched) holds one node's unvisited neighbors.
  const nbK = tmpKeysOf(s);
  const nbR = nbK + (<usize>load<u32>(s + S_TMPCAP) << 2);

  store<u16>(visited + (<usize>ep << 1), epoch);
  cPush(candK, candR, 0, epKey, ep);
  let cc = 1;
  let rc = 0;
  let lower: f32 = <f32>(-Infinity);
  if (!isNaN(epKey) && allowed(bits, ep)) {
    store<f32>(resK, epKey);
    store<u32>(resR, ep);
    rc = 1;
    lower = epKey;
  }
  let dist: u32 = 0;
  while (cc > 0) {
    const ck = load<f32>(candK);
    if (rc == ef && ck < lower) break;
    const c = load<u32>(candR);
    cPop(candK, candR, cc);
    cc--;
    lockNode(locks, c);
    const nl = linksOf(g, c, level);
    const cnt = <i32>load<u32>(nl);
    // Three passes: the unvisited neighbors, their keys, then the heaps. The key loop has no data-dependent
    // branches, so the CPU overlaps the cache misses of consecutive vectors.
    let m = 0;
    for (let j = 0; j < cnt; j++) {
      const v = load<u32>(nl + 4 + (<usize>j << 2));
      const va = visited + (<usize>v << 1);
      if (load<u16>(va) == epoch) continue;
      store<u16>(va, epoch);
      store<u32>(nbR + (<usize>m << 2), v);
      m++;
    }
    unlockNode(locks, c);
    // WASM has no prefetch: touching the vectors' cache lines first puts their misses in flight at once. Up to 8
    // lines (512 bytes) each: all of a 128-d vector; for longer ones more touches only queue up (measured at 768-d),
    // and the hardware prefetcher follows on.
    const touchEnd = min<usize>(stride, 512);
    let touch: u32 = 0;
    for (let j = 0; j < m; j++) {
      const v = load<u32>(nbR + (<usize>j << 2));
      const b = blockOf(v, B, shift);
      const base = <usize>load<u32>(table + (<usize>b << 2));
      const r = v - b * B;
      const va = base + <usize>r * stride;
      for (let o: usize = 0; o < touchEnd; o += 64) touch += load<u32>(va + o);
      if (metric == KernelMetric.Cosine) touch += load<u32>(base + invDelta + (<usize>r << 2));
    }
    store<u32>(s + S_TOUCH, touch);
    for (let j = 0; j < m; j++) {
      const v = load<u32>(nbR + (<usize>j << 2));
      store<f32>(nbK + (<usize>j << 2), keyOf(q, qInv, table, B, shift, stride, invDelta, dim, metric, v));
    }
    dist += <u32>m;
    for (let j = 0; j < m; j++) {
      const v = load<u32>(nbR + (<usize>j << 2));
      let key = load<f32>(nbK + (<usize>j << 2));
      const nan = isNaN(key);
      if (nan) key = <f32>(-Infinity);
      if (rc < ef || key > lower) {
        cPush(candK, candR, cc, key, v);
        cc++;
        if (!nan && allowed(bits, v)) {
          rc = offer(resK, resR, ef, rc, key, v);
          lower = load<f32>(resK);
        }
      }
    }
  }
  store<u32>(s + S_DIST, load<u32>(s + S_DIST) + dist);
  return rc;
}

/**
 * The paper's neighbor-selection heuristic over `cnt` candidates sorted best
 * first (keys relative to the base node): keeps a candidate only if it is
 * closer to the base than to every candidate kept before it, up to `m`.
 * The kept ones are compacted to the front; returns how many.
 */
function selectNeighbors(
  keys: usize, rows: usize, cnt: i32, m: i32,
  g: usize, table: usize, B: u32, shift: i32, invDelta: usize, s: usize,
): i32 {
  const dim = graphDim(g);
  const metric = graphMetric(g);
  const stride = <usize>dim << 2;
  let kept = 0;
  let dist: u32 = 0;
  for (let i = 0; i < cnt && kept < m; i++) {
    const ri = load<u32>(rows + (<usize>i << 2));
    const ki = load<f32>(keys + (<usize>i << 2));
    const vi = vecOf(table, B, shift, stride, ri);
    const inv: f32 = metric == KernelMetric.Cosine ? invOf(table, B, shift, invDelta, ri) : 1;
    let good = true;
    for (let j = 0; j < kept; j++) {
      const rj = load<u32>(rows + (<usize>j << 2));
      dist++;
      if (keyOf(vi, inv, table, B, shift, stride, invDelta, dim, metric, rj) > ki) {
        good = false;
        break;
      }
    }
    if (good) {
      store<f32>(keys + (<usize>kept << 2), ki);
      store<u32>(rows + (<usize>kept << 2), ri);
      kept++;
    }
  }
  store<u32>(s + S_DIST, load<u32>(s + S_DIST) + dist);
  return kept;
}

/** Adds the link e -> q on `level`; a full list is re-pruned with the heuristic. */
function addLink(
  g: usize, e: u32, q: u32, kq: f32, level: i32, mMax: i32,
  table: usize, B: u32, shift: i32, invDelta: usize, s: usize, locks: usize,
): void {
  const dim = graphDim(g);
  const metric = graphMetric(g);
  const stride = <usize>dim << 2;
  const el = linksOf(g, e, level);
  lockNode(locks, e);
  const cnt = <i32>load<u32>(el);
  if (locks != 0) {
    // Building concurrently, e may have found q (and linked to it) itself meanwhile.
    for (let j = 0; j < cnt; j++) {
      if (load<u32>(el + 4 + (<usize>j << 2)) == q) {
        unlockNode(locks, e);
        return;
      }
    }
  }
  if (cnt < mMax) {
    store<u32>(el + 4 + (<usize>cnt << 2), q);
    store<u32>(el, cnt + 1);
    unlockNode(locks, e);
    return;
  }
  // Full: the old neighbors and q, keyed against e, sorted best first, pruned.
  const tk = tmpKeysOf(s);
  const tr = tk + (<usize>load<u32>(s + S_TMPCAP) << 2);
  const ev = vecOf(table, B, shift, stride, e);
  const eInv: f32 = metric == KernelMetric.Cosine ? invOf(table, B, shift, invDelta, e) : 1;
  let m = 0;
  for (let j = -1; j < cnt; j++) {
    let key = kq;
    let row = q;
    if (j >= 0) {
      row = load<u32>(el + 4 + (<usize>j << 2));
      key = keyOf(ev, eInv, table, B, shift, stride, invDelta, dim, metric, row);
    }
    if (isNaN(key)) key = <f32>(-Infinity);
    // Insertion sort, best first (larger key, then smaller row).
    let p = m;
    while (p > 0) {
      const pk = load<f32>(tk + (<usize>(p - 1) << 2));
      const pr = load<u32>(tr + (<usize>(p - 1) << 2));
      if (!worse(pk, pr, key, row)) break;
      store<f32>(tk + (<usize>p << 2), pk);
      store<u32>(tr + (<usize>p << 2), pr);
      p--;
    }
    store<f32>(tk + (<usize>p << 2), key);
    store<u32>(tr + (<usize>p << 2), row);
    m++;
  }
  store<u32>(s + S_DIST, load<u32>(s + S_DIST) + <u32>cnt);
  const kept = selectNeighbors(tk, tr, m, mMax, g, table, B, shift, invDelta, s);
  for (let j = 0; j < kept; j++) {
    store<u32>(el + 4 + (<usize>j << 2), load<u32>(tr + (<usize>j << 2)));
  }
  store<u32>(el, kept);
  unlockNode(locks, e);
}

function insertOne(
  g: usize, q: u32, table: usize, B: u32, shift: i32, invDelta: usize, efC: i32, s: usize, ctl: usize,
): void {
  const locks = ctl != 0 ? ctl + BuildControl.Locks : 0;
  const dim = graphDim(g);
  const metric = graphMetric(g);
  const M = graphM(g);
  const M0 = graphM0(g);
  const stride = <usize>dim << 2;
  const level = levelOf(g, q);

  for (let l = 0; l <= level; l++) store<u32>(linksOf(g, q, l), 0);
  if (ctl != 0) spinLock(ctl + BuildControl.Global);
  const maxLevel = graphMaxLevel(g);
  let cur = graphEntry(g);
  if (maxLevel < 0) {
    store<u32>(g + GraphHeader.Entry, q);
    store<i32>(g + GraphHeader.MaxLevel, level);
  }
  if (ctl != 0) atomic.store<u32>(ctl + BuildControl.Global, 0);
  if (maxLevel < 0) return;
  const qv = vecOf(table, B, shift, stride, q);
  const qInv: f32 = metric == KernelMetric.Cosine ? invOf(table, B, shift, invDelta, q) : 1;
  let curKey = keyOf(qv, qInv, table, B, shift, stride, invDelta, dim, metric, cur);
  if (isNaN(curKey)) curKey = <f32>(-Infinity);
  for (let lc = maxLevel; lc > level; lc--) {
    cur = greedy(g, lc, qv, qInv, table, B, shift, invDelta, cur, curKey, s, locks);
    curKey = load<f32>(s + S_KEY);
  }
  const resK = resKeysOf(s);
  const resR = resK + (<usize>load<u32>(s + S_EFCAP) << 2);
  for (let lc = min(level, maxLevel); lc >= 0; lc--) {
    const rc = searchLayer(g, lc, qv, qInv, table, B, shift, invDelta, cur, curKey, efC, 0, s, locks);
    sortDesc(resK, resR, rc);
    cur = load<u32>(resR);
    curKey = load<f32>(resK);
    const m = selectNeighbors(resK, resR, rc, M, g, table, B, shift, invDelta, s);
    const ql = linksOf(g, q, lc);
    lockNode(locks, q);
    for (let j = 0; j < m; j++) store<u32>(ql + 4 + (<usize>j << 2), load<u32>(resR + (<usize>j << 2)));
    store<u32>(ql, m);
    unlockNode(locks, q);
    const mMax = lc == 0 ? M0 : M;
    for (let j = 0; j < m; j++) {
      addLink(g, load<u32>(resR + (<usize>j << 2)), q, load<f32>(resK + (<usize>j << 2)), lc, mMax,
        table, B, shift, invDelta, s, locks);
    }
  }
  if (level > maxLevel) {
    // Others may have raised the top meanwhile: compare with the current one.
    if (ctl != 0) spinLock(ctl + BuildControl.Global);
    if (level > graphMaxLevel(g)) {
      store<u32>(g + GraphHeader.Entry, q);
      store<i32>(g + GraphHeader.MaxLevel, level);
    }
    if (ctl != 0) atomic.store<u32>(ctl + BuildControl.Global, 0);
  }
}

// @ts-ignore: decorator
@inline
function scratchFits(g: usize, s: usize, ef: i32): bool {
  return load<u32>(s + S_N) >= graphN(g) &&
    <i32>load<u32>(s + S_EFCAP) >= ef &&
    load<u32>(s + S_TMPCAP) >= <u32>graphM0(g) + 1;
}

// ---------------------------------------------------------------------------
// Exported kernels

/**
 * Inserts nodes (rows) [from, to) into the graph at g; `from` must equal the
 * graph's count. Levels and upper-list offsets must already be in the graph.
 * Returns the new count, or a negative error (-1 scratch too small, -2 bad
 * graph or order).
 */
export function hnswInsert(
  g: usize, table: usize, rowsPerBlock: u32, invDelta: usize,
  from: u32, to: u32, efConstruction: i32, s: usize,
): i32 {
  if (!isGraph(g)) return E_GRAPH;
  if (from != graphCount(g) || to < from || to > graphN(g)) return E_GRAPH;
  const efC = max(efConstruction, graphM(g));
  if (!scratchFits(g, s, efC)) return E_SCRATCH;
  store<u32>(s + S_DIST, 0);
  const shift = pow2Shift(rowsPerBlock);
  for (let q = from; q < to; q++) {
    insertOne(g, q, table, rowsPerBlock, shift, invDelta, efC, s, 0);
    store<u32>(g + GraphHeader.Count, q + 1);
  }
  return <i32>to;
}

/** Bytes of the control block for a concurrent build of n nodes. */
export function hnswBuildControlBytes(n: u32): usize {
  return <usize>BuildControl.Locks + (<usize>n << 2);
}

/**
 * One of several threads building a graph at once: takes node after node from
 * the control block's `next` counter (all threads share `ctl`, zeroed but for
 * next = the graph's count and end) and inserts it, locking one node's lists
 * at a time. The graph must have at least one node (hnswInsert the first);
 * once `done` reaches end - count the caller sets the graph's count to end.
 * Each thread needs its own scratch. Returns the nodes this thread inserted,
 * or a negative error.
 */
export function hnswInsertConcurrent(
  g: usize, table: usize, rowsPerBlock: u32, invDelta: usize,
  efConstruction: i32, s: usize, ctl: usize,
): i32 {
  if (!isGraph(g) || graphMaxLevel(g) < 0) return E_GRAPH;
  const end = load<u32>(ctl + BuildControl.End);
  if (end > graphN(g)) return E_GRAPH;
  const efC = max(efConstruction, graphM(g));
  if (!scratchFits(g, s, efC)) return E_SCRATCH;
  store<u32>(s + S_DIST, 0);
  const shift = pow2Shift(rowsPerBlock);
  let inserted = 0;
  while (true) {
    const q = atomic.add<u32>(ctl + BuildControl.Next, 1);
    if (q >= end) break;
    insertOne(g, q, table, rowsPerBlock, shift, invDelta, efC, s, ctl);
    atomic.add<u32>(ctl + BuildControl.Done, 1);
    inserted++;
  }
  return inserted;
}

/**
 * Searches the graph for the query at q (f32[dim]; qInvNorm = 1/|q| for
 * cosine) with a result set of max(ef, k), and offers the results to the
 * caller's top-k heap (scanTopK layout: f32 keys[k] then u32 rows[k], `count`
 * entries already in it). With `bits` != 0 only rows whose bit is set are
 * returned (bit r of u32 word r >> 5), but traversal walks every node.
 * Returns the new heap count, or a negative error.
 */
export function hnswSearch(
  g: usize, table: usize, rowsPerBlock: u32, invDelta: usize,
  q: usize, qInvNorm: f32, ef: i32, bits: usize, s: usize,
  heap: usize, k: i32, count: i32,
): i32 {
  if (!isGraph(g)) return E_GRAPH;
  if (k <= 0) return count;
  const e = max(ef, k);
  if (!scratchFits(g, s, e)) return E_SCRATCH;
  store<u32>(s + S_DIST, 0);
  const maxLevel = graphMaxLevel(g);
  if (maxLevel < 0) return count;
  const shift = pow2Shift(rowsPerBlock);
  const dim = graphDim(g);
  const metric = graphMetric(g);
  let cur = graphEntry(g);
  let curKey = keyOf(q, qInvNorm, table, rowsPerBlock, shift, <usize>dim << 2, invDelta, dim, metric, cur);
  if (isNaN(curKey)) curKey = <f32>(-Infinity);
  for (let lc = maxLevel; lc > 0; lc--) {
    cur = greedy(g, lc, q, qInvNorm, table, rowsPerBlock, shift, invDelta, cur, curKey, s, 0);
    curKey = load<f32>(s + S_KEY);
  }
  const rc = searchLayer(g, 0, q, qInvNorm, table, rowsPerBlock, shift, invDelta, cur, curKey, e, bits, s, 0);
  const resK = resKeysOf(s);
  const resR = resK + (<usize>load<u32>(s + S_EFCAP) << 2);
  const keys = heap;
  const rows = heap + (<usize>k << 2);
  for (let i = 0; i < rc; i++) {
    count = offer(keys, rows, k, count, load<f32>(resK + (<usize>i << 2)), load<u32>(resR + (<usize>i << 2)));
  }
  return count;
}

/**
 * Exact top-k over the rows [0, n) whose bit is set, visiting set bits only
 * (O(n/32 + popcount)): the fallback for selective filters. Keys and heap as
 * in hnswSearch; NaN scores are skipped. Returns the new heap count.
 */
export function scanBitsTopK(
  table: usize, rowsPerBlock: u32, invDelta: usize, dim: i32, metric: i32,
  q: usize, qInvNorm: f32, bits: usize, n: u32,
  heap: usize, k: i32, count: i32,
): i32 {
  if (k <= 0) return count;
  const shift = pow2Shift(rowsPerBlock);
  const stride = <usize>dim << 2;
  const keys = heap;
  const rows = heap + (<usize>k << 2);
  const words = (n + 31) >>> 5;
  for (let w: u32 = 0; w < words; w++) {
    let m = load<u32>(bits + (<usize>w << 2));
    if (w == words - 1 && (n & 31) != 0) m &= (<u32>1 << (n & 31)) - 1;
    while (m != 0) {
      const row = (w << 5) + ctz<u32>(m);
      m &= m - 1;
      const key = keyOf(q, qInvNorm, table, rowsPerBlock, shift, stride, invDelta, dim, metric, row);
      if (isNaN(key)) continue;
      count = offer(keys, rows, k, count, key, row);
    }
  }
  return count;
}

/** Number of set bits among the first n bits of the bitmap at `bits`. */
export function bitCount(bits: usize, n: u32): u32 {
  const full = n >>> 5;
  let c: u32 = 0;
  for (let w: u32 = 0; w < full; w++) c += popcnt<u32>(load<u32>(bits + (<usize>w << 2)));
  if ((n & 31) != 0) c += popcnt<u32>(load<u32>(bits + (<usize>full << 2)) & ((<u32>1 << (n & 31)) - 1));
  return c;
}
