import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyStandardizer,
  concatenateRows,
  fitStandardizer,
  selectRows,
  standardize,
  stratifiedSplit,
  type TabularSplit,
} from '../../../client-sdk/datasets/index.js';

function labels(positives: number, negatives: number): Float32Array {
  // Interleaved, so a split that ignored the labels would not come out stratified by accident.
  const y = new Float32Array(positives + negatives);
  for (let i = 0; i < positives; i++) y[Math.floor((i * y.length) / positives)] = 1;
  return y;
}

function count(y: Float32Array, rows: readonly number[]): number {
  return rows.reduce((sum, row) => sum + y[row]!, 0);
}

describe('stratifiedSplit', () => {
  test('sizes, stratification and a partition of the rows', () => {
    for (const [pos, neg] of [
      [139, 164],
      [45, 1],
      [7, 93],
      [50, 50],
    ] as const) {
      const y = labels(pos, neg);
      const { train, test: held } = stratifiedSplit(y, 0.34, 1);
      assert.equal(held.length, Math.round(y.length * 0.34));
      assert.deepEqual(
        [...train, ...held].sort((a, b) => a - b),
        [...y.keys()],
      );
      assert.ok(Math.abs(count(y, held) - (held.length * pos) / y.length) <= 1, `${pos}/${neg}`);
      assert.deepEqual(
        train,
        [...train].sort((a, b) => a - b),
      );
    }
  });

  test('the same seed gives the same split, another seed a different one', () => {
    const y = labels(40, 60);
    assert.deepEqual(stratifiedSplit(y, 0.3, 7), stratifiedSplit(y, 0.3, 7));
    assert.notDeepEqual(stratifiedSplit(y, 0.3, 7).test, stratifiedSplit(y, 0.3, 8).test);
  });

  test('refuses labels other than 0/1 and fractions that empty a side', () => {
    assert.throws(() => stratifiedSplit(Float32Array.of(0, 1, 2), 0.5, 1), /labels must be 0 or 1/);
    assert.throws(() => stratifiedSplit(labels(2, 2), 1, 1), /testFraction/);
    assert.throws(() => stratifiedSplit(labels(1, 1), 0.1, 1), /empty train or test/);
  });
});

describe('standardization', () => {
  // Column 0 varies, column 1 is constant in training (5) but not in the test row (7).
  const train: TabularSplit = {
    x: Float32Array.of(1, 5, 2, 5, 3, 5, 6, 5),
    y: labels(2, 2),
    rows: 4,
    features: 2,
  };
  const held: TabularSplit = { x: Float32Array.of(4, 7), y: Float32Array.of(1), rows: 1, features: 2 };

  test('training columns get mean 0 and population std 1', () => {
    const { train: z, stats } = standardize(train, held);
    assert.equal(stats.mean[0], 3);
    assert.ok(Math.abs(stats.scale[0]! - Math.sqrt(3.5)) < 1e-12);
    const column = [0, 1, 2, 3].map((r) => z.x[r * 2]!);
    assert.ok(Math.abs(column.reduce((a, b) => a + b)) < 1e-6);
    assert.ok(Math.abs(column.reduce((a, b) => a + b * b, 0) / 4 - 1) < 1e-6);
  });

  test('a constant training column becomes 0 and the test set is shifted by the training value', () => {
    const { train: z, test: t } = standardize(train, held);
    assert.deepEqual(
      [0, 1, 2, 3].map((r) => z.x[r * 2 + 1]),
      [0, 0, 0, 0],
    );
    assert.equal(t.x[1], 2);
    assert.ok(Math.abs(t.x[0]! - 1 / Math.sqrt(3.5)) < 1e-6);
  });

  test('inputs are not modified and a width mismatch is refused', () => {
    const before = train.x.slice();
    const stats = fitStandardizer(train);
    applyStandardizer(train, stats);
    assert.deepEqual(train.x, before);
    assert.throws(() => applyStandardizer({ ...held, x: Float32Array.of(1), features: 1 }, stats), /columns/);
  });

  test('selectRows copies rows and labels in the order asked', () => {
    const picked = selectRows(train, [3, 0]);
    assert.deepEqual([...picked.x], [6, 5, 1, 5]);
    assert.deepEqual([...picked.y], [train.y[3], train.y[0]]);
    assert.throws(() => selectRows(train, [4]), /row 4/);
  });
});

test('concatenateRows keeps every part’s rows, in order', () => {
  const a: TabularSplit = { x: Float32Array.of(1, 2, 3, 4), y: Float32Array.of(0, 1), rows: 2, features: 2 };
  const b: TabularSplit = { x: Float32Array.of(5, 6), y: Float32Array.of(1), rows: 1, features: 2 };
  assert.deepEqual(concatenateRows([a, b]), {
    x: Float32Array.of(1, 2, 3, 4, 5, 6),
    y: Float32Array.of(0, 1, 1),
    rows: 3,
    features: 2,
  });
});
