// Bounded top-k heap on split arrays: keys f32[k] at `keys`, rows u32[k] at `rows`, shared by the exact scan
// (kernels.ts) and the HNSW search (hnsw.ts) so their results merge. Min-heap on "worse": lower key, or equal key
// and larger row. Root = worst kept.

// @ts-ignore: decorator
@inline
export function worse(ka: f32, ra: u32, kb: f32, rb: u32): bool {
  return ka < kb || (ka == kb && ra > rb);
}

// @ts-ignore: decorator
@inline
export function siftDown(keys: usize, rows: usize, start: i32, count: i32): void {
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
export function siftUp(keys: usize, rows: usize, pos: i32, key: f32, row: u32): void {
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
export function offer(keys: usize, rows: usize, k: i32, count: i32, key: f32, row: u32): i32 {
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

/** Sorts a heap in place, best first (pops the worst to the back). */
export function sortDesc(keys: usize, rows: usize, count: i32): void {
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
