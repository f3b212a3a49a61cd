import { createCipheriv, randomFillSync } from 'node:crypto';

/**
 * Where every random byte in aggregation/ comes from. Production code uses the operating system's
 * CSPRNG; tests and simulations use a seeded source so a run can be replayed bit for bit. Both are
 * cryptographic: there is no non-cryptographic generator anywhere on a mask, seed, share or noise path.
 */
export interface RandomSource {
  /** Overwrites `out` with random bytes. */
  fill(out: Uint8Array): void;
}

export const systemRandom: RandomSource = {
  fill(out: Uint8Array): void {
    randomFillSync(out);
  },
};

const ZERO_IV = new Uint8Array(16);

/**
 * A deterministic CSPRNG: the AES-256-CTR keystream of a 32-byte seed. Distinct seeds give independent
 * streams; the same seed gives the same bytes on every machine.
 */
export function seededRandom(seed: Uint8Array): RandomSource {
  if (seed.length !== 32) throw new RangeError(`seed: expected 32 bytes, got ${seed.length}`);
  const cipher = createCipheriv('aes-256-ctr', seed, ZERO_IV);
  return {
    fill(out: Uint8Array): void {
      out.set(cipher.update(new Uint8Array(out.length)));
    },
  };
}

/** `n` fresh random bytes from `source`. */
export function randomBytes(source: RandomSource, n: number): Uint8Array {
  const out = new Uint8Array(n);
  source.fill(out);
  return out;
}

/** A 32-byte seed spelled from a small integer, for tests and seeded simulations. */
export function seedFromNumber(n: number): Uint8Array {
  const seed = new Uint8Array(32);
  new DataView(seed.buffer).setFloat64(0, n);
  return seed;
}

/** A uniformly random permutation of `items` (Fisher–Yates, unbiased integers by rejection sampling). */
export function shuffle<T>(items: readonly T[], random: RandomSource): T[] {
  const out = [...items];
  const word = new Uint32Array(1);
  const bytes = new Uint8Array(word.buffer);
  for (let i = out.length - 1; i > 0; i--) {
    const range = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % range);
    let r: number;
    do {
      random.fill(bytes);
      r = word[0]!;
    } while (r >= limit);
    const j = r % range;
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
