/**
 * Seeded standard normal draws fast enough for synthetic data of 10⁸ values: xoshiro128** (its state seeded from the
 * project's prng) with the Marsaglia-Tsang ziggurat, 128 layers, whose fast path is one 32-bit draw and a table
 * lookup (Box-Muller's log, square root and cosine per value took seconds more). The layer comes from the draw's low
 * 7 bits and the value from the other 25, so they are independent (Doornik's remark on the original). The hot loop,
 * {@link Normals.fill}, keeps the generator's state in locals.
 *
 * @module
 */
import { prng } from '../../../engine/internal.js';

const R = 3.442619855899; // start of the tail
const V = 9.91256303526217e-3; // area of each layer
const SCALE = 2 ** 24; // magnitude of the 25-bit signed value

const kn = new Int32Array(128);
const wn = new Float64Array(128);
const fn = new Float64Array(128);
{
  let dn = R;
  let tn = dn;
  const q = V / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.floor((dn / q) * SCALE);
  kn[1] = 0;
  wn[0] = q / SCALE;
  wn[127] = dn / SCALE;
  fn[0] = 1;
  fn[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(V / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.floor((dn / tn) * SCALE);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / SCALE;
  }
}

/** A seeded source of standard normal (and uniform) numbers. */
export class Normals {
  /** xoshiro128** state, as int32s. */
  private readonly s = new Int32Array(4);

  constructor(seed: number) {
    const r = prng(seed);
    for (let i = 0; i < 4; i++) this.s[i] = (r() * 2 ** 32) | 0;
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1; // the one state it cannot leave
  }

  /** A uniform 32-bit integer (signed). */
  next(): number {
    const s = this.s;
    const b = s[1]!;
    const m = Math.imul(b, 5);
    const out = Math.imul((m << 7) | (m >>> 25), 9);
    const t = b << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= b;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = (s[3]! << 11) | (s[3]! >>> 21);
    return out;
  }

  /** A uniform number in (0, 1). */
  uniform(): number {
    return ((this.next() >>> 0) + 0.5) / 2 ** 32;
  }

  /** A uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** One standard normal draw. */
  normal(): number {
    const u = this.next();
    const i = u & 127;
    const hz = u >> 7;
    return Math.abs(hz) < kn[i]! ? hz * wn[i]! : this.slow(hz, i);
  }

  /** The ziggurat's rare path: the tail beyond R, or a draw in a layer's wedge (rejection). */
  private slow(hz: number, i: number): number {
    for (;;) {
      let x = hz * wn[i]!;
      if (i === 0) {
        let y: number;
        do {
          x = -Math.log(this.uniform()) / R;
          y = -Math.log(this.uniform());
        } while (y + y < x * x);
        return hz > 0 ? R + x : -R - x;
      }
      if (fn[i]! + this.uniform() * (fn[i - 1]! - fn[i]!) < Math.exp(-0.5 * x * x)) return x;
      const u = this.next();
      i = u & 127;
      hz = u >> 7;
      if (Math.abs(hz) < kn[i]!) return hz * wn[i]!;
    }
  }

  /** `out[at + j] = mean[meanAt + j] + sigma · N(0, 1)` for j < n: the same draws as n calls of {@link normal}. */
  fill(out: Float32Array, at: number, n: number, mean: Float64Array, meanAt: number, sigma: number): void {
    const s = this.s;
    let a = s[0]!;
    let b = s[1]!;
    let c = s[2]!;
    let d = s[3]!;
    for (let j = 0; j < n; j++) {
      const m = Math.imul(b, 5);
      const u = Math.imul((m << 7) | (m >>> 25), 9);
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
      const i = u & 127;
      const hz = u >> 7;
      let z: number;
      if (Math.abs(hz) < kn[i]!) z = hz * wn[i]!;
      else {
        s[0] = a;
        s[1] = b;
        s[2] = c;
        s[3] = d;
        z = this.slow(hz, i);
        a = s[0]!;
        b = s[1]!;
        c = s[2]!;
        d = s[3]!;
      }
      out[at + j] = mean[meanAt + j]! + sigma * z;
    }
    s[0] = a;
    s[1] = b;
    s[2] = c;
    s[3] = d;
  }
}
