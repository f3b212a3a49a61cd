import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom, seedFromNumber } from '../../../aggregation/crypto/random-source.js';
import { simdKernelModule } from '../../../aggregation/vector/simd-kernel.js';
import { MAX_THREADS_PER_VECTOR, WordVector } from '../../../aggregation/vector/word-vector.js';

function randomWords(seed: number, n: number): Uint32Array {
  const words = new Uint32Array(n);
  seededRandom(seedFromNumber(seed)).fill(new Uint8Array(words.buffer));
  return words;
}

/** The definition, one word at a time with exact integer arithmetic. */
function reference(base: Uint32Array, src: Uint32Array, offset: number, sign: 1 | -1): Uint32Array {
  const out = Uint32Array.from(base);
  for (let i = 0; i < src.length; i++)
    out[offset + i] = (out[offset + i]! + sign * src[i]! + 2 ** 32) % 2 ** 32;
  return out;
}

describe('WordVector', () => {
  test('the hand-assembled module validates', () => {
    assert.equal(WebAssembly.validate(simdKernelModule(65_536)), true);
  });

  // Lengths around the 4-word SIMD lanes and the 16,384-word scratch block; offsets unaligned.
  const cases: [number, number, number][] = [
    [1, 1, 0],
    [7, 3, 2],
    [64, 64, 0],
    [100, 61, 13],
    [40_000, 16_384, 5],
    [40_000, 16_389, 3],
    [70_001, 70_001, 0],
    [70_001, 33_333, 36_668],
  ];
  for (const [length, count, offset] of cases) {
    test(`add and subtract equal the scalar definition (length ${length}, ${count} words at ${offset})`, () => {
      const base = randomWords(length, length);
      const src = randomWords(length + 1, count);
      const vector = WordVector.zeros(length);
      vector.words.set(base);
      vector.add(src, offset);
      assert.deepEqual(vector.words, reference(base, src, offset, 1));
      vector.subtract(src, offset);
      assert.deepEqual(vector.words, base);
      vector.subtract(src, offset);
      assert.deepEqual(vector.words, reference(base, src, offset, -1));
    });
  }

  test('wraps modulo 2^32 in every lane', () => {
    const vector = WordVector.zeros(8);
    vector.words.fill(0xffff_ffff);
    vector.add(Uint32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 0);
    assert.deepEqual([...vector.words], [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('a view for another thread sees and changes the same words through its own scratch', () => {
    const vector = WordVector.zeros(50);
    const other = WordVector.over(vector.memory, 50, 1);
    other.add(new Uint32Array(50).fill(3), 0);
    vector.add(new Uint32Array(50).fill(4), 0);
    assert.deepEqual([...vector.words], new Array<number>(50).fill(7));
    assert.deepEqual(other.words, vector.words);
    assert.throws(() => WordVector.over(vector.memory, 50, MAX_THREADS_PER_VECTOR), /thread slot/);
  });

  test('refuses a range outside the vector and an impossible length', () => {
    const vector = WordVector.zeros(10);
    assert.throws(() => vector.add(new Uint32Array(4), 7), /outside 10/);
    assert.throws(() => vector.subtract(new Uint32Array(1), -1), /outside 10/);
    assert.throws(() => WordVector.zeros(2 ** 31), /holds 0 to/);
    assert.throws(() => WordVector.zeros(-1), /holds 0 to/);
  });
});
