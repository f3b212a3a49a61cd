/**
 * numpy's legacy `numpy.random.RandomState(seed)` for an integer seed, reduced to the draws that
 * scikit-learn's shuffled train/test splits make. It exists so that Cohort can pick exactly the rows a
 * published Python benchmark (FLamby) picked, without running Python.
 *
 * Only stream-compatibility matters here, not statistical quality: MT19937 is not a cryptographic
 * generator and must never feed masks, keys or DP noise (those use aggregation/crypto's RandomSource).
 */

/** MT19937's state length in 32-bit words and its middle-word offset. */
const STATE_WORDS = 624;
const MIDDLE_OFFSET = 397;
const TWIST_MATRIX = 0x9908b0df;
const UPPER_BIT = 0x80000000;
const LOWER_BITS = 0x7fffffff;
const INIT_MULTIPLIER = 1812433253;
const MAX_UINT32 = 0xffffffff;

/** Anything indexable and writable by position: plain arrays and every typed array. */
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

function checkUint32(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_UINT32) {
    throw new RangeError(`${field}: ${value} is not an integer in [0, ${MAX_UINT32}]`);
  }
}

function checkCount(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${field}: ${value} is not a non-negative integer`);
  }
}

/**
 * The Mersenne Twister as `RandomState(seed)` runs it for an integer seed: the state is filled by the
 * reference `init_genrand` recurrence (numpy's `mt19937_seed`), not by `init_by_array`, which numpy
 * uses only for array seeds. Each method consumes the stream exactly as its numpy namesake does, so a
 * sequence of calls here reproduces the same sequence of calls on a numpy generator.
 */
export class LegacyNumpyRandom {
  readonly #state = new Uint32Array(STATE_WORDS);
  #next = STATE_WORDS;

  /** @param seed an integer in [0, 2^32 − 1], as numpy accepts for `RandomState(seed)`. */
  constructor(seed: number) {
    checkUint32('seed', seed);
    const state = this.#state;
    state[0] = seed;
    for (let i = 1; i < STATE_WORDS; i++) {
      const previous = state[i - 1]!;
      // Math.imul keeps the low 32 bits of the product, which is all the recurrence keeps.
      state[i] = (Math.imul(INIT_MULTIPLIER, previous ^ (previous >>> 30)) + i) >>> 0;
    }
  }

  /** The next raw 32-bit output (numpy's `next_uint32` on a legacy MT19937 generator). */
  nextUint32(): number {
    if (this.#next >= STATE_WORDS) this.#regenerate();
    let y = this.#state[this.#next++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * A uniform integer in [0, max] by masked rejection (numpy's legacy `random_interval`): keep the low
   * bits up to the next power of two minus one and draw again while the value exceeds `max`. Draws
   * nothing for max = 0, which is why a one-element shuffle leaves the stream untouched.
   */
  interval(max: number): number {
    checkUint32('max', max);
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    for (;;) {
      const value = (this.nextUint32() & mask) >>> 0;
      if (value <= max) return value;
    }
  }

  /**
   * Shuffles in place as legacy `RandomState.shuffle` does a 1-D array: Fisher–Yates from the last
   * position down to 1, swapping position i with `interval(i)`. Returns the same array.
   */
  shuffle<A extends MutableArrayLike<unknown>>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const held = array[i]!;
      array[i] = array[j]!;
      array[j] = held;
    }
    return array;
  }

  /** `RandomState.permutation(n)`: 0, 1, …, n − 1 shuffled. */
  permutation(n: number): number[] {
    checkCount('n', n);
    const values = Array.from({ length: n }, (_, i) => i);
    return this.shuffle(values);
  }

  /**
   * `RandomState.choice(count, size, replace=False)` without weights: positions in [0, count). numpy
   * shuffles the whole population and keeps the first `size`, so the stream advances by a full
   * permutation of `count` whatever `size` is; callers choosing from an array index it with these.
   */
  choiceWithoutReplacement(count: number, size: number): number[] {
    checkCount('count', count);
    checkCount('size', size);
    if (size > count) {
      throw new RangeError(`size: cannot take ${size} distinct values from a population of ${count}`);
    }
    return this.permutation(count).slice(0, size);
  }

  /** One full twist of the state, from the reference generator's recurrence. */
  #regenerate(): void {
    const state = this.#state;
    for (let k = 0; k < STATE_WORDS; k++) {
      const y = (state[k]! & UPPER_BIT) | (state[(k + 1) % STATE_WORDS]! & LOWER_BITS);
      const twisted = (y >>> 1) ^ (y & 1 ? TWIST_MATRIX : 0);
      state[k] = (state[(k + MIDDLE_OFFSET) % STATE_WORDS]! ^ twisted) >>> 0;
    }
    this.#next = 0;
  }
}
