import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { clipToL2Ball, l2Norm } from '../../../aggregation/vector/clip.js';
import { InvalidArgumentError } from '../../../aggregation/errors.js';

describe('l2Norm', () => {
  test('matches the Euclidean norm, including the empty vector', () => {
    assert.equal(l2Norm(new Float32Array([3, 4])), 5);
    assert.equal(l2Norm(new Float32Array([1, 2, 2, 4])), 5);
    assert.equal(l2Norm(new Float32Array(0)), 0);
  });

  test('keeps small coordinates of a long vector (float64 accumulation)', () => {
    const v = new Float32Array(1_000_001).fill(1e-3);
    v[0] = 1e4;
    const expected = Math.sqrt(1e8 + 1_000_000 * Math.fround(1e-3) ** 2);
    // A float32 sum would drop every 1e-6 square against 1e8 and return exactly 1e4.
    const excess = l2Norm(v) - 1e4;
    assert.ok(Math.abs(excess - (expected - 1e4)) < 0.1 * (expected - 1e4), `excess ${excess}`);
  });
});

describe('clipToL2Ball', () => {
  test('a vector inside the ball is untouched and the scale is 1', () => {
    const v = new Float32Array([0.5, -0.25, 0.125]);
    const before = Float32Array.from(v);
    assert.equal(clipToL2Ball(v, 1), 1);
    assert.deepEqual(v, before);
  });

  test('a vector on the boundary is untouched', () => {
    const v = new Float32Array([3, 4]);
    assert.equal(clipToL2Ball(v, 5), 1);
    assert.deepEqual(v, new Float32Array([3, 4]));
  });

  test('a vector outside the ball ends at the bound, same direction', () => {
    const v = new Float32Array(1000);
    for (let i = 0; i < v.length; i++) v[i] = Math.sin(i) * 10 + 0.1;
    const before = Float32Array.from(v);
    const normBefore = l2Norm(v);
    const bound = 1.7;
    const scale = clipToL2Ball(v, bound);
    const normAfter = l2Norm(v);
    assert.ok(normAfter <= bound, `norm ${normAfter} exceeds bound ${bound}`);
    assert.ok(Math.abs(normAfter - bound) / bound < 1e-5, `norm ${normAfter} not at bound ${bound}`);
    assert.ok(Math.abs(scale - bound / normBefore) / scale < 1e-5);
    for (let i = 0; i < v.length; i++) {
      assert.ok(Math.abs(v[i]! - before[i]! * scale) <= 1e-6 * Math.abs(before[i]!) + 1e-12);
    }
  });

  test('the norm never exceeds the bound across many bounds', () => {
    const v0 = new Float32Array(257);
    for (let i = 0; i < v0.length; i++) v0[i] = Math.cos(i * 1.3) * (i + 1);
    for (let k = 1; k <= 200; k++) {
      const bound = k * 0.37 + 1e-3;
      const v = Float32Array.from(v0);
      clipToL2Ball(v, bound);
      assert.ok(l2Norm(v) <= bound, `bound ${bound}: norm ${l2Norm(v)}`);
    }
  });

  test('the zero vector stays zero with scale 1', () => {
    const v = new Float32Array(16);
    assert.equal(clipToL2Ball(v, 0.5), 1);
    assert.deepEqual(v, new Float32Array(16));
  });

  test('NaN and ±Infinity are rejected naming the index, leaving the vector unchanged', () => {
    for (const [bad, word] of [
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [-Infinity, '-Infinity'],
    ] as const) {
      const v = new Float32Array(32).fill(100);
      v[17] = bad;
      const before = Float32Array.from(v);
      assert.throws(
        () => clipToL2Ball(v, 1),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.field === 'update' &&
          e.message.includes('element 17 is ' + word),
      );
      assert.deepEqual(v, before);
    }
  });

  test('an invalid bound is rejected naming the field', () => {
    for (const bound of [0, -1, NaN, Infinity, -Infinity]) {
      assert.throws(
        () => clipToL2Ball(new Float32Array([1, 2]), bound),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'bound',
        `bound ${bound}`,
      );
    }
  });
});
