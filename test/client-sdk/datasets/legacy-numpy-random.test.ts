import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LegacyNumpyRandom } from '../../../client-sdk/datasets/legacy-numpy-random.js';

// Expected values were produced by numpy 2.4.6 (legacy RandomState / MT19937._legacy_seeding + random_raw),
// except 3499211612, the reference MT19937's published first output for init_genrand(5489).

function draw(
  random: LegacyNumpyRandom,
  count: number,
  next: () => number = () => random.nextUint32(),
): number[] {
  return Array.from({ length: count }, next);
}

describe('LegacyNumpyRandom raw stream', () => {
  test('init_genrand(5489) starts with the reference generator’s 3499211612', () => {
    assert.deepEqual(
      draw(new LegacyNumpyRandom(5489), 5),
      [3499211612, 581869302, 3890346734, 3586334585, 545404204],
    );
  });

  test('outputs 623–626 straddle the first re-twist of the state', () => {
    const random = new LegacyNumpyRandom(5489);
    draw(random, 623);
    assert.deepEqual(draw(random, 4), [4020325887, 4178893912, 610818241, 2787397224]);
  });

  test('the seed range ends: 0 and 2^32 − 1, and FLamby’s 43', () => {
    assert.deepEqual(draw(new LegacyNumpyRandom(0), 3), [2357136044, 2546248239, 3071714933]);
    assert.deepEqual(draw(new LegacyNumpyRandom(0xffffffff), 3), [419326371, 479346978, 3918654476]);
    assert.deepEqual(draw(new LegacyNumpyRandom(43), 3), [494155588, 2134003008, 2615920895]);
  });
});

describe('LegacyNumpyRandom.interval', () => {
  // numpy's legacy randint(0, max + 1) for a range below 2^32 draws by the same masked rejection.
  test('max = 4 (mask 7, so many rejections) matches RandomState(7).randint(0, 5, 12)', () => {
    const random = new LegacyNumpyRandom(7);
    assert.deepEqual(
      draw(random, 12, () => random.interval(4)),
      [4, 1, 3, 3, 4, 1, 0, 1, 2, 2, 0, 4],
    );
  });

  test('max = 1000 matches RandomState(7).randint(0, 1001, 5)', () => {
    const random = new LegacyNumpyRandom(7);
    assert.deepEqual(
      draw(random, 5, () => random.interval(1000)),
      [175, 196, 537, 502, 579],
    );
  });

  test('max = 2^32 − 1 is the raw output; max = 0 draws nothing', () => {
    const random = new LegacyNumpyRandom(7);
    assert.equal(random.interval(0xffffffff), 327741615);
    assert.equal(random.interval(0), 0);
    assert.equal(random.nextUint32(), 976413892);
  });
});

describe('LegacyNumpyRandom shuffles', () => {
  test('RandomState(42).permutation(10)', () => {
    assert.deepEqual(new LegacyNumpyRandom(42).permutation(10), [8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
  });

  test('shuffle works in place on a typed array, as RandomState(1).shuffle does', () => {
    const values = Float64Array.of(0.5, 1.5, 2.5, 3.5, 4.5);
    const returned = new LegacyNumpyRandom(1).shuffle(values);
    assert.equal(returned, values);
    assert.deepEqual([...values], [2.5, 1.5, 4.5, 0.5, 3.5]);
  });

  test('permutation(1) and permutation(0) leave the stream where it was', () => {
    const random = new LegacyNumpyRandom(43);
    assert.deepEqual(random.permutation(1), [0]);
    assert.deepEqual(random.permutation(0), []);
    assert.equal(random.nextUint32(), 494155588);
  });

  test('RandomState(0).choice(5, 3, replace=False)', () => {
    assert.deepEqual(new LegacyNumpyRandom(0).choiceWithoutReplacement(5, 3), [2, 0, 1]);
  });

  test('choice draws a whole permutation of the population, however few it keeps', () => {
    const random = new LegacyNumpyRandom(0);
    assert.deepEqual(random.choiceWithoutReplacement(10, 2), [2, 8]);
    // The same as after RandomState(0).permutation(10): numpy's choice(10, 2, replace=False) then permutation(6).
    assert.deepEqual(random.permutation(6), [1, 2, 3, 5, 0, 4]);
    assert.deepEqual(new LegacyNumpyRandom(3).choiceWithoutReplacement(4, 0), []);
  });
});

describe('LegacyNumpyRandom argument checks', () => {
  test('a seed must be an integer in [0, 2^32 − 1]', () => {
    for (const seed of [-1, 2 ** 32, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => new LegacyNumpyRandom(seed), { name: 'RangeError', message: /^seed: / });
    }
  });

  test('counts, sizes and bounds are checked and named', () => {
    const random = new LegacyNumpyRandom(1);
    assert.throws(() => random.permutation(-1), { name: 'RangeError', message: /^n: -1/ });
    assert.throws(() => random.choiceWithoutReplacement(3, 4), {
      name: 'RangeError',
      message: /^size: .*4.*3/,
    });
    assert.throws(() => random.choiceWithoutReplacement(3, -1), { name: 'RangeError', message: /^size: / });
    assert.throws(() => random.interval(-1), { name: 'RangeError', message: /^max: / });
    assert.throws(() => random.interval(2.5), { name: 'RangeError', message: /^max: / });
  });
});
