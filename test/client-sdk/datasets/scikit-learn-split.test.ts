import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  HEART_DISEASE_SITES,
  flambyStratify,
  loadHeartDisease,
  readHeartDisease,
  type HeartDiseaseSite,
} from '../../../client-sdk/datasets/heart-disease.js';
import { LegacyNumpyRandom } from '../../../client-sdk/datasets/legacy-numpy-random.js';
import {
  approximateMode,
  splitSizes,
  trainTestSplit,
} from '../../../client-sdk/datasets/scikit-learn-split.js';

// Expected indices and counts were produced by scikit-learn 1.9.1 on numpy 2.4.6
// (train_test_split(..., shuffle=True), sklearn.utils.extmath._approximate_mode), lists sorted.

// Compiled to dist/test/client-sdk/datasets/: four levels up is the repository root.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const mirror = process.env['COHORT_DATA_DIR'] || join(repoRoot, '..', 'shared', 'datasets');

const FLAMBY = { trainFraction: 0.66, testFraction: 1 - 0.66, randomState: 43 } as const;

describe('splitSizes', () => {
  test('test rounds up, train rounds down (FLamby’s four centres)', () => {
    assert.deepEqual(splitSizes(303, FLAMBY.trainFraction, FLAMBY.testFraction), { train: 199, test: 104 });
    assert.deepEqual(splitSizes(261, FLAMBY.trainFraction, FLAMBY.testFraction), { train: 172, test: 89 });
    assert.deepEqual(splitSizes(46, FLAMBY.trainFraction, FLAMBY.testFraction), { train: 30, test: 16 });
    assert.deepEqual(splitSizes(130, FLAMBY.trainFraction, FLAMBY.testFraction), { train: 85, test: 45 });
    assert.deepEqual(splitSizes(10, 0.5, 0.3), { train: 5, test: 3 });
  });

  test('fractions outside (0, 1), summing above 1, or leaving a side empty are refused', () => {
    for (const bad of [0, 1, -0.1, Number.NaN]) {
      assert.throws(() => splitSizes(10, bad, 0.2), { name: 'RangeError', message: /^trainFraction: / });
      assert.throws(() => splitSizes(10, 0.2, bad), { name: 'RangeError', message: /^testFraction: / });
    }
    assert.throws(() => splitSizes(10, 0.7, 0.4), {
      name: 'RangeError',
      message: /0\.7 \+ 0\.4 = .* exceeds 1/,
    });
    // scikit-learn: "With n_samples=2, test_size=0.66 and train_size=0.34, the resulting train set will be empty".
    assert.throws(() => splitSizes(2, 0.34, 0.66), {
      name: 'RangeError',
      message: /0 training and 2 test rows/,
    });
    assert.throws(() => splitSizes(0, 0.5, 0.5), { name: 'RangeError', message: /of 0 rows/ });
    assert.throws(() => splitSizes(2.5, 0.5, 0.5), { name: 'RangeError', message: /^rows: / });
  });
});

describe('approximateMode', () => {
  test('scikit-learn’s documented examples', () => {
    assert.deepEqual(approximateMode([4, 2], 3, new LegacyNumpyRandom(0)), [2, 1]);
    assert.deepEqual(approximateMode([5, 2], 4, new LegacyNumpyRandom(0)), [3, 1]);
    assert.deepEqual(approximateMode([2, 2, 2, 1], 2, new LegacyNumpyRandom(0)), [0, 1, 1, 0]);
    assert.deepEqual(approximateMode([2, 2, 2, 1], 2, new LegacyNumpyRandom(42)), [1, 1, 0, 0]);
  });

  test('three tied remainders, one winner drawn, then the stream carries on (random_state 43)', () => {
    const random = new LegacyNumpyRandom(43);
    assert.deepEqual(approximateMode([3, 3, 3], 4, random), [1, 2, 1]);
    assert.deepEqual(approximateMode([2, 1, 2], 5, random), [2, 1, 2]);
    assert.deepEqual(approximateMode([3, 3], 3, new LegacyNumpyRandom(43)), [1, 2]);
  });
});

describe('trainTestSplit against scikit-learn', () => {
  test('unstratified: ShuffleSplit, test rows first in one permutation', () => {
    const labels = new Float32Array(20);
    assert.deepEqual(trainTestSplit(labels, { ...FLAMBY, stratify: false }), {
      train: [0, 1, 2, 3, 4, 7, 10, 11, 13, 15, 16, 17, 18],
      test: [5, 6, 8, 9, 12, 14, 19],
    });
  });

  test('unstratified with fractions summing below 1 leaves rows out', () => {
    const split = trainTestSplit(new Float32Array(10), {
      ...FLAMBY,
      trainFraction: 0.5,
      testFraction: 0.3,
      stratify: false,
    });
    assert.deepEqual(split, { train: [1, 2, 5, 7, 8], test: [3, 6, 9] });
  });

  test('stratified 0/1 labels (9 positives of 25)', () => {
    const labels = [1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0];
    assert.deepEqual(trainTestSplit(labels, { ...FLAMBY, stratify: true }), {
      train: [0, 4, 6, 7, 10, 11, 12, 13, 14, 15, 17, 18, 19, 21, 22, 24],
      test: [1, 2, 3, 5, 8, 9, 16, 20, 23],
    });
  });

  test('stratified with tied remainders: the tie-break draw shifts every later permutation', () => {
    // 3 + 3 rows, 3 to train: 1.5 each, so choice(2 tied classes, 1) decides which class gives 2.
    assert.deepEqual(trainTestSplit([0, 1, 1, 0, 1, 0], { ...FLAMBY, stratify: true }), {
      train: [1, 4, 5],
      test: [0, 2, 3],
    });
    // Three classes of 3, 4 to train: 4/3 each, one of three tied classes gets the extra row.
    const three = [0, 0, 0, 1, 1, 1, 2, 2, 2];
    const options = { trainFraction: 0.5, testFraction: 0.5, randomState: 43, stratify: true };
    assert.deepEqual(trainTestSplit(three, options), { train: [0, 3, 4, 6], test: [1, 2, 5, 7, 8] });
    // Five of each class, 7 to train, 6 to test: rows 1 and 10 are in neither set.
    const fifteen = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2];
    assert.deepEqual(trainTestSplit(fifteen, { ...options, testFraction: 0.4 }), {
      train: [0, 3, 5, 7, 9, 11, 14],
      test: [2, 4, 6, 8, 12, 13],
    });
  });

  test('class values are ordered numerically, not by first appearance', () => {
    const relabelled = [7, 7, 7, -2, -2, -2, 3, 3, 3];
    const ordered = [2, 2, 2, 0, 0, 0, 1, 1, 1];
    const options = { trainFraction: 0.5, testFraction: 0.5, randomState: 43, stratify: true };
    assert.deepEqual(trainTestSplit(relabelled, options), { train: [0, 3, 6, 7], test: [1, 2, 4, 5, 8] });
    assert.deepEqual(trainTestSplit(ordered, options), trainTestSplit(relabelled, options));
  });

  test('errors name the field', () => {
    const options = { ...FLAMBY, stratify: true };
    assert.throws(() => trainTestSplit([], options), { name: 'RangeError', message: /^labels: no rows/ });
    assert.throws(
      () => trainTestSplit([0, 0, 0, 0, 1], { ...options, trainFraction: 0.6, testFraction: 0.4 }),
      {
        name: 'RangeError',
        message: /^labels: class 1 has a single row/,
      },
    );
    assert.throws(
      () => trainTestSplit([0, 0, 1, 1, 2, 2], { ...options, trainFraction: 0.5, testFraction: 0.2 }),
      {
        name: 'RangeError',
        message: /2 test rows cannot hold each of the 3 classes/,
      },
    );
    assert.throws(() => trainTestSplit([0, 1, Number.NaN, 1, 0, 0], options), {
      name: 'RangeError',
      message: /^labels\[2\]: NaN/,
    });
    for (const randomState of [-1, 2 ** 32, 0.5]) {
      assert.throws(() => trainTestSplit([0, 1, 0, 1], { ...options, randomState }), {
        name: 'RangeError',
        message: /^randomState: /,
      });
    }
    assert.throws(() => trainTestSplit([0, 1], { ...options, trainFraction: 0.34, testFraction: 0.66 }), {
      name: 'RangeError',
      message: /neither may be empty/,
    });
  });
});

describe('flambyStratify', () => {
  test('two classes with more than 2 rows each', () => {
    assert.equal(flambyStratify([0, 0, 0, 1, 1, 1]), true);
    assert.equal(flambyStratify(Float32Array.of(1, 0, 1, 0, 1, 0, 1)), true);
    assert.equal(flambyStratify([0, 0, 1, 1, 1, 1]), false);
    assert.equal(flambyStratify([1, 1, 1, 1]), false);
    assert.equal(flambyStratify([0, 0, 0, 1, 1, 1, 2, 2, 2]), false);
  });
});

// FLamby's Fed-Heart-Disease split: train_test_split(np.arange(nb), test_size=1.0 - 0.66, train_size=0.66,
// random_state=43, shuffle=True, stratify=labels or None), labels from readHeartDisease (which equal
// those of FLamby's own pandas cleaning of the same files).
const HEART_TEST_ROWS: Record<HeartDiseaseSite, { train: number; stratified: boolean; test: number[] }> = {
  cleveland: {
    train: 199,
    stratified: true,
    test: [
      5, 13, 16, 24, 26, 34, 40, 42, 43, 46, 47, 48, 49, 53, 55, 56, 59, 60, 61, 63, 64, 65, 69, 72, 76, 78,
      86, 87, 88, 90, 91, 93, 95, 101, 103, 104, 105, 113, 116, 123, 128, 133, 134, 135, 136, 137, 151, 152,
      154, 156, 157, 160, 163, 165, 170, 171, 179, 180, 188, 190, 192, 197, 201, 202, 203, 211, 213, 215, 216,
      218, 221, 223, 224, 227, 228, 233, 236, 239, 243, 246, 249, 250, 256, 257, 258, 259, 260, 264, 265, 266,
      270, 283, 284, 285, 288, 289, 290, 292, 294, 295, 296, 297, 298, 301,
    ],
  },
  hungarian: {
    train: 172,
    stratified: true,
    test: [
      3, 7, 16, 21, 25, 26, 27, 28, 29, 32, 34, 35, 36, 41, 47, 48, 49, 51, 53, 58, 60, 61, 64, 68, 73, 74,
      75, 84, 85, 87, 89, 91, 95, 104, 107, 110, 111, 112, 117, 118, 120, 123, 127, 128, 131, 132, 136, 137,
      139, 143, 145, 149, 155, 158, 159, 161, 164, 169, 172, 179, 182, 186, 188, 189, 190, 191, 193, 194, 196,
      199, 202, 203, 204, 206, 213, 219, 223, 224, 234, 236, 239, 243, 248, 250, 251, 252, 254, 258, 259,
    ],
  },
  switzerland: {
    train: 30,
    stratified: false,
    test: [5, 6, 7, 8, 13, 14, 18, 19, 20, 22, 24, 28, 29, 32, 40, 41],
  },
  va: {
    train: 85,
    stratified: true,
    test: [
      1, 5, 6, 9, 12, 26, 29, 33, 35, 36, 38, 39, 41, 42, 45, 47, 54, 60, 61, 62, 64, 66, 67, 68, 73, 75, 76,
      78, 79, 85, 88, 92, 97, 98, 110, 111, 112, 114, 117, 118, 119, 121, 125, 127, 128,
    ],
  },
};

describe('FLamby Fed-Heart-Disease splits', () => {
  test('the shared mirror is where the test looks for it', () => {
    assert.ok(
      existsSync(join(mirror, 'heart-disease', 'processed.cleveland.data')),
      `no mirror at ${mirror}`,
    );
  });

  for (const site of HEART_DISEASE_SITES) {
    const expected = HEART_TEST_ROWS[site];
    test(`${site}: ${expected.train} train / ${expected.test.length} test, scikit-learn’s rows`, () => {
      const { y, rows, lines } = readHeartDisease(mirror, site);
      const stratify = flambyStratify(y);
      assert.equal(stratify, expected.stratified);
      const split = trainTestSplit(y, { ...FLAMBY, stratify });
      assert.equal(split.train.length, expected.train);
      assert.deepEqual(split.test, expected.test);
      // n_train + n_test = n here, so FLamby's "train = every row not in test" is scikit-learn's train list.
      const inTest = new Set(split.test);
      assert.deepEqual(
        split.train,
        Array.from({ length: rows }, (_, i) => i).filter((i) => !inTest.has(i)),
      );
      // The loader every member, the demo and the simulator use holds out exactly these patients.
      assert.deepEqual(
        loadHeartDisease(mirror, site).lines.test,
        expected.test.map((i) => lines[i]),
      );
    });
  }
});
