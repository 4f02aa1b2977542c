// Dense SIMD primitives shared by the scan kernels (kernels.ts) and the HNSW
// kernels (hnsw.ts). All @inline: they compile into their callers, so this
// file adds no exports of its own. Same rules as kernels.ts: locals and the
// byte offsets passed in only, nothing in linear memory.

// @ts-ignore: decorator
@inline
export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
         (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline
export function dotImpl(a: usize, b: usize, dim: i32): f32 {
  if (dim <= 0) return 0;
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  const end16 = <usize>(dim & ~15) << 2;
  const end4 = <usize>(dim & ~3) << 2;
  const end = <usize>dim << 2;
  let o: usize = 0;
  // Four independent accumulators hide the add latency.
  for (; o < end16; o += 64) {
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
    s2 = f32x4.add(s2, f32x4.mul(v128.load(a + o, 32), v128.load(b + o, 32)));
    s3 = f32x4.add(s3, f32x4.mul(v128.load(a + o, 48), v128.load(b + o, 48)));
  }
  for (; o < end4; o += 16) {
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  for (; o < end; o += 4) {
    s += load<f32>(a + o) * load<f32>(b + o);
  }
  return s;
}

// @ts-ignore: decorator
@inline
export function l2sqImpl(a: usize, b: usize, dim: i32): f32 {
  if (dim <= 0) return 0;
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  const end16 = <usize>(dim & ~15) << 2;
  const end4 = <usize>(dim & ~3) << 2;
  const end = <usize>dim << 2;
  let o: usize = 0;
  for (; o < end16; o += 64) {
    const d0 = f32x4.sub(v128.load(a + o), v128.load(b + o));
    const d1 = f32x4.sub(v128.load(a + o, 16), v128.load(b + o, 16));
    const d2 = f32x4.sub(v128.load(a + o, 32), v128.load(b + o, 32));
    const d3 = f32x4.sub(v128.load(a + o, 48), v128.load(b + o, 48));
    s0 = f32x4.add(s0, f32x4.mul(d0, d0));
    s1 = f32x4.add(s1, f32x4.mul(d1, d1));
    s2 = f32x4.add(s2, f32x4.mul(d2, d2));
    s3 = f32x4.add(s3, f32x4.mul(d3, d3));
  }
  for (; o < end4; o += 16) {
    const d = f32x4.sub(v128.load(a + o), v128.load(b + o));
    s0 = f32x4.add(s0, f32x4.mul(d, d));
  }
  let s = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  for (; o < end; o += 4) {
    const d = load<f32>(a + o) - load<f32>(b + o);
    s += d * d;
  }
  return s;
}
