import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { seededRandom, seedFromNumber } from '../../../aggregation/crypto/random-source.js';
import {
  checkSchedule,
  permutation,
  scheduleAsWritten,
  trainingPasses,
  withLocalSchedule,
} from '../../../aggregation/training/schedule.js';

const isPermutationOf = (order: ArrayLike<number>, n: number): boolean =>
  order.length === n &&
  Array.from(order)
    .sort((a, b) => a - b)
    .every((v, i) => v === i);

describe('trainingPasses', () => {
  test('by epochs: one fresh permutation of every row per epoch', () => {
    const passes = [...trainingPasses(10, { epochs: 3 }, 4, seededRandom(seedFromNumber(1)))];
    assert.equal(passes.length, 3);
    for (const pass of passes) assert.ok(isPermutationOf(pass, 10), String(pass));
    assert.notDeepEqual(passes[0], passes[1]);
  });

  test('by epochs it draws exactly what per-epoch permutations draw, so epoch runs are unchanged', () => {
    const random = seededRandom(seedFromNumber(2));
    const expected = [permutation(7, random), permutation(7, random)];
    assert.deepEqual(
      [...trainingPasses(7, { epochs: 2, steps: 0 }, 3, seededRandom(seedFromNumber(2)))],
      expected,
    );
  });

  test('by steps: steps full batches from back-to-back walks, each walk a permutation', () => {
    // 10 rows, batches of 4: 7 steps = 28 rows = two whole walks and 8 rows of a third.
    const passes = [...trainingPasses(10, { epochs: 0, steps: 7 }, 4, seededRandom(seedFromNumber(3)))];
    for (const pass of passes) {
      assert.equal(pass.length % 4, 0, 'whole batches only');
      assert.ok(pass.length <= 10, 'at most a dataset of rows at a time');
    }
    const rows = passes.flatMap((p) => Array.from(p));
    assert.equal(rows.length, 28);
    assert.ok(isPermutationOf(rows.slice(0, 10), 10));
    assert.ok(isPermutationOf(rows.slice(10, 20), 10));
    assert.equal(new Set(rows.slice(20)).size, 8, 'the third walk repeats no row');
    assert.notDeepEqual(rows.slice(0, 10), rows.slice(10, 20));
  });

  test('by steps with batches larger than the data: each pass is one batch', () => {
    const passes = [...trainingPasses(3, { epochs: 0, steps: 2 }, 5, seededRandom(seedFromNumber(4)))];
    assert.deepEqual(
      passes.map((p) => p.length),
      [5, 5],
    );
    const rows = passes.flatMap((p) => Array.from(p));
    for (let walk = 0; walk + 3 <= rows.length; walk += 3)
      assert.ok(isPermutationOf(rows.slice(walk, walk + 3), 3));
  });

  test('the same seed gives the same order', () => {
    const run = (seed: number) =>
      [...trainingPasses(9, { epochs: 0, steps: 5 }, 4, seededRandom(seedFromNumber(seed)))].map((p) =>
        Array.from(p),
      );
    assert.deepEqual(run(5), run(5));
    assert.notDeepEqual(run(5), run(6));
  });
});

describe('checkSchedule', () => {
  test('exactly one of epochs and steps, each a non-negative integer', () => {
    assert.doesNotThrow(() => checkSchedule({ epochs: 2 }));
    assert.doesNotThrow(() => checkSchedule({ epochs: 0, steps: 100 }));
    assert.throws(
      () => checkSchedule({ epochs: 0, steps: 0 }),
      /^RangeError: epochs, steps: expected exactly one/,
    );
    assert.throws(() => checkSchedule({ epochs: 1, steps: 5 }), /got epochs 1 and steps 5/);
    assert.throws(
      () => checkSchedule({ epochs: 1.5 }),
      /^RangeError: epochs: expected a non-negative integer, got 1.5$/,
    );
    assert.throws(() => checkSchedule({ epochs: 0, steps: -3 }), /^RangeError: steps: .* got -3$/);
    assert.throws(
      () => [...trainingPasses(4, { epochs: 0 }, 2, seededRandom(seedFromNumber(1)))],
      /exactly one/,
    );
  });
});

describe('withLocalSchedule', () => {
  const schema = withLocalSchedule(
    z
      .object({
        epochs: z.number().int().min(1).optional(),
        steps: z.number().int().min(1).optional(),
        lr: z.number(),
      })
      .strict(),
  );

  test('neither means one epoch; steps zero the epochs; other fields pass through', () => {
    assert.deepEqual(schema.parse({ lr: 0.1 }), { lr: 0.1, epochs: 1, steps: 0 });
    assert.deepEqual(schema.parse({ lr: 0.1, epochs: 3 }), { lr: 0.1, epochs: 3, steps: 0 });
    assert.deepEqual(schema.parse({ lr: 0.1, steps: 100 }), { lr: 0.1, epochs: 0, steps: 100 });
  });

  test('scheduleAsWritten turns a parsed section back into one that parses to the same', () => {
    for (const written of [{ lr: 0.1 }, { lr: 0.1, epochs: 4 }, { lr: 0.1, steps: 100 }]) {
      const parsed = schema.parse(written);
      const again = scheduleAsWritten(parsed);
      assert.equal('epochs' in again && 'steps' in again, false, JSON.stringify(again));
      assert.deepEqual(schema.parse(again), parsed);
    }
  });

  test('both is one issue at steps', () => {
    const result = schema.safeParse({ lr: 0.1, epochs: 2, steps: 100 });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error.issues.map((i) => [i.path.join('.'), i.message]),
      [['steps', 'expected either epochs or steps, not both']],
    );
  });
});
