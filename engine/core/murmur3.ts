/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's smhasher `MurmurHash3_x86_32`): the hash the built-in sparse
 * encoder maps each term to. Blocks are read little-endian, as on x86, so the result matches the reference (and
 * Python's `mmh3.hash(..., signed=False)`) on any platform.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const utf8 = new TextEncoder();

/**
 * The unsigned 32-bit MurmurHash3 (x86_32) of `input`; a string is hashed as its UTF-8 bytes.
 * @param seed any number; only its low 32 bits are used.
 */
export function murmur3_32(input: string | Uint8Array, seed = 0): number {
  const bytes = typeof input === 'string' ? utf8.encode(input) : input;
  const len = bytes.length;
  const tail = len & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < tail; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h ^= mixK(k);
    h = rotl(h, 13);
    // Math.imul keeps the product in 32 bits; a plain * would lose low bits beyond 2^53.
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest > 0) {
    let k = bytes[tail]!;
    if (rest > 1) k |= bytes[tail + 1]! << 8;
    if (rest > 2) k |= bytes[tail + 2]! << 16;
    h ^= mixK(k);
  }
  h ^= len;
  return fmix32(h) >>> 0;
}

function mixK(k: number): number {
  return Math.imul(rotl(Math.imul(k, C1), 15), C2);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** The finalizer: forces every input bit to affect every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
