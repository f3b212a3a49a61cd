/**
 * Arithmetic in Z_2^32 over Uint32Array. A typed-array store already reduces mod 2^32, so these are
 * plain loops the JIT turns into tight machine code; they are the server's other hot path beside
 * mask expansion.
 */

/** dst[offset + i] = dst[offset + i] + src[i] (mod 2^32) for every i of src. */
export function addInto(dst: Uint32Array, src: Uint32Array, offset: number): void {
  const n = src.length;
  if (offset < 0 || offset + n > dst.length)
    throw new RangeError(`words ${offset}..${offset + n} outside ${dst.length}`);
  for (let i = 0; i < n; i++) dst[offset + i] = dst[offset + i]! + src[i]!;
}

/** dst[offset + i] = dst[offset + i] - src[i] (mod 2^32) for every i of src. */
export function subtractInto(dst: Uint32Array, src: Uint32Array, offset: number): void {
  const n = src.length;
  if (offset < 0 || offset + n > dst.length)
    throw new RangeError(`words ${offset}..${offset + n} outside ${dst.length}`);
  for (let i = 0; i < n; i++) dst[offset + i] = dst[offset + i]! - src[i]!;
}
