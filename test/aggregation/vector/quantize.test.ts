import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  MODULUS,
  checkNoWrap,
  dequantizeSum,
  maxClientsWithoutWrap,
  quantize,
  validateQuantizerParams,
  type QuantizerParams,
} from '../../../aggregation/vector/quantize.js';
import { InvalidArgumentError, UnsafeParametersError } from '../../../aggregation/errors.js';
import {
  seededRandom,
  seedFromNumber,
  type RandomSource,
} from '../../../aggregation/crypto/random-source.js';

const clip = (x: number, c: number): number => Math.min(c, Math.max(-c, x));

/** Uniform float32 values in [lo, hi) from a seeded source, so tests never touch Math.random. */
function uniformVector(random: RandomSource, n: number, lo: number, hi: number): Float32Array {
  const words = new Uint32Array(n);
  random.fill(new Uint8Array(words.buffer));
  return Float32Array.from(words, (w) => lo + (hi - lo) * (w / MODULUS));
}

describe('quantize', () => {
  // step = 2/16 = 0.125: a power of two, so grid points are exactly representable.
  const p: QuantizerParams = { clipRange: 1, levels: 17 };
  const step = 0.125;

  test('is unbiased: empirical means within 5 standard errors, grid points exact', () => {
    const values: number[] = [];
    for (let i = 0; i < 240; i++) values.push(-1.5 + (3 * i) / 239); // spread, incl. beyond ±c
    for (let k = 0; k <= 16; k++) values.push(-1 + k * step); // grid points
    values.push(-1 + 1e-4, -1 + 1e-3, 1 - 1e-4, 1 - 1e-3, -1 + step / 2, 1 - step / 2, 5, -5, 1e30, -1e30);
    const x = Float32Array.from(values);
    const reps = 4000;
    const random = seededRandom(seedFromNumber(20240601));
    const sums = new Float64Array(x.length);
    const out = new Uint32Array(x.length);
    const ys = Array.from(x, (v) => (clip(v, 1) + 1) / step);
    for (let r = 0; r < reps; r++) {
      quantize(x, p, random, out);
      for (let i = 0; i < x.length; i++) {
        const q = out[i]!;
        const y = ys[i]!;
        assert.ok(q === Math.floor(y) || q === Math.floor(y) + 1, `coordinate ${i}: q=${q}, y=${y}`);
        if (Number.isInteger(y)) assert.equal(q, y, `grid point ${x[i]} must be exact`);
        sums[i]! += q * step - 1;
      }
    }
    let gridPoints = 0;
    for (let i = 0; i < x.length; i++) {
      const f = ys[i]! - Math.floor(ys[i]!);
      if (f === 0) gridPoints++;
      const mean = sums[i]! / reps;
      const se = step * Math.sqrt((f * (1 - f)) / reps);
      const target = clip(x[i]!, 1);
      assert.ok(
        Math.abs(mean - target) <= 5 * se + 1e-12,
        `x=${x[i]}: mean ${mean}, target ${target}, se ${se}`,
      );
    }
    assert.ok(gridPoints >= 17 + 4, 'grid points (incl. clipped ends) must be in the test vector');
  });

  test('draws fresh randomness across 4096-word blocks', () => {
    const x = new Float32Array(3 * 4096 + 5).fill(step / 2); // fractional part 1/2 everywhere
    const q = quantize(x, p, seededRandom(seedFromNumber(7)));
    const first = q.subarray(0, 4096);
    assert.notDeepEqual(q.subarray(4096, 8192), first);
    assert.notDeepEqual(q.subarray(8192, 12288), first);
    const ups = q.reduce((a, v) => a + (v - 8), 0);
    assert.ok(Math.abs(ups / q.length - 0.5) < 5 * Math.sqrt(0.25 / q.length));
  });

  test('is deterministic for a seed and writes into the given out', () => {
    const x = uniformVector(seededRandom(seedFromNumber(1)), 5000, -2, 2);
    const a = quantize(x, p, seededRandom(seedFromNumber(2)));
    const out = new Uint32Array(5000);
    assert.equal(quantize(x, p, seededRandom(seedFromNumber(2)), out), out);
    assert.deepEqual(out, a);
    assert.ok(a.every((v) => v <= 16));
  });

  test('handles levels = 2^32 without exceeding levels-1', () => {
    const q = quantize(
      new Float32Array([-3, -1, 0, 1, 3]),
      { clipRange: 1, levels: MODULUS },
      seededRandom(seedFromNumber(3)),
    );
    assert.equal(q[0], 0);
    assert.equal(q[1], 0);
    assert.equal(q[3], MODULUS - 1);
    assert.equal(q[4], MODULUS - 1);
  });

  test('rejects non-finite elements naming the index, and an out of the wrong length', () => {
    const random = seededRandom(seedFromNumber(4));
    for (const [bad, word] of [
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
    ] as const) {
      const x = new Float32Array(10);
      x[6] = bad;
      assert.throws(
        () => quantize(x, p, random),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.field === 'update' &&
          e.message.includes(`element 6 is ${word}`),
      );
    }
    assert.throws(
      () => quantize(new Float32Array(10), p, random, new Uint32Array(9)),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'out',
    );
  });
});

describe('validateQuantizerParams', () => {
  test('accepts the extremes of levels', () => {
    validateQuantizerParams({ clipRange: 1, levels: 2 });
    validateQuantizerParams({ clipRange: 0.01, levels: MODULUS });
  });

  test('rejects invalid params naming the field', () => {
    const bad: [QuantizerParams, string][] = [
      [{ clipRange: 1, levels: 1 }, 'levels'],
      [{ clipRange: 1, levels: 2.5 }, 'levels'],
      [{ clipRange: 1, levels: MODULUS + 1 }, 'levels'],
      [{ clipRange: 1, levels: NaN }, 'levels'],
      [{ clipRange: 0, levels: 16 }, 'clipRange'],
      [{ clipRange: NaN, levels: 16 }, 'clipRange'],
      [{ clipRange: -1, levels: 16 }, 'clipRange'],
      [{ clipRange: Infinity, levels: 16 }, 'clipRange'],
    ];
    for (const [params, field] of bad) {
      assert.throws(
        () => validateQuantizerParams(params),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
        JSON.stringify(params),
      );
      assert.throws(
        () => quantize(new Float32Array(1), params, seededRandom(seedFromNumber(0))),
        InvalidArgumentError,
      );
    }
  });
});

describe('checkNoWrap', () => {
  for (const levels of [2, 3, 2 ** 16, 2 ** 16 + 1, 2 ** 31, 2 ** 32]) {
    void test(`fires exactly at the bound for levels=${levels}`, () => {
      const p: QuantizerParams = { clipRange: 0.5, levels };
      const n = maxClientsWithoutWrap(levels);
      assert.ok(n * (levels - 1) <= MODULUS - 1 && (n + 1) * (levels - 1) > MODULUS - 1);
      checkNoWrap(p, n);
      assert.throws(
        () => checkNoWrap(p, n + 1),
        (e: unknown) =>
          e instanceof UnsafeParametersError &&
          e.message.includes(`n=${n + 1}`) &&
          e.message.includes(`levels=${levels}`) &&
          e.message.includes('4294967296') &&
          e.message.includes(`n=${n} `),
      );
      // n maximal vectors sum to n*(levels-1) with no wrap; for small n, add them mod 2^32 for real.
      const sum = new Uint32Array(3);
      if (n <= 70_000) {
        const top = new Uint32Array(3).fill(levels - 1);
        for (let k = 0; k < n; k++) for (let i = 0; i < 3; i++) sum[i] = sum[i]! + top[i]!;
      } else {
        sum.fill(n * (levels - 1));
      }
      assert.equal(sum[0], n * (levels - 1));
      const got = dequantizeSum(sum, p, n);
      for (const v of got) assert.ok(Math.abs(v - n * 0.5) <= 1e-6 * n * 0.5, `${v} vs ${n * 0.5}`);
      // One more maximal vector really would wrap: the modular sum drops below the true sum.
      const wrapped = new Uint32Array([sum[0] + (levels - 1)]);
      assert.ok(wrapped[0]! < (n + 1) * (levels - 1));
      assert.throws(() => dequantizeSum(wrapped, p, n + 1), UnsafeParametersError);
    });
  }

  test('rejects a non-positive or fractional client count naming the field', () => {
    for (const clients of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(
        () => checkNoWrap({ clipRange: 1, levels: 16 }, clients),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'clients',
        String(clients),
      );
    }
  });
});

describe('dequantizeSum', () => {
  test('the sum of quantized vectors is within n*step of the float sum', () => {
    const p: QuantizerParams = { clipRange: 2, levels: 2 ** 10 + 1 };
    const step = 4 / 2 ** 10;
    const n = 50;
    const len = 2000;
    const data = seededRandom(seedFromNumber(11));
    const random = seededRandom(seedFromNumber(12));
    const floatSum = new Float64Array(len);
    const sum = new Uint32Array(len);
    const q = new Uint32Array(len);
    for (let k = 0; k < n; k++) {
      const x = uniformVector(data, len, -2, 2);
      quantize(x, p, random, q);
      for (let i = 0; i < len; i++) {
        floatSum[i]! += x[i]!;
        sum[i] = sum[i]! + q[i]!;
      }
    }
    const got = dequantizeSum(sum, p, n);
    let exactlyEqual = 0;
    for (let i = 0; i < len; i++) {
      assert.ok(Math.abs(got[i]! - floatSum[i]!) < n * step, `coordinate ${i}: ${got[i]} vs ${floatSum[i]}`);
      if (got[i] === Math.fround(floatSum[i]!)) exactlyEqual++;
    }
    assert.ok(exactlyEqual < len, 'quantization noise should be visible somewhere');
  });

  test('extreme values summed over the maximum number of clients are exact', () => {
    const p: QuantizerParams = { clipRange: 1, levels: 2 ** 16 + 1 }; // step 2^-15
    const n = maxClientsWithoutWrap(p.levels);
    assert.equal(n, 65535);
    const x = new Float32Array([-5, -1, 1, 7, 0, 0.5, -3e38]);
    const q = quantize(x, p, seededRandom(seedFromNumber(13)));
    const sum = new Uint32Array(x.length);
    for (let k = 0; k < n; k++) for (let i = 0; i < x.length; i++) sum[i] = sum[i]! + q[i]!;
    const got = dequantizeSum(sum, p, n, new Float32Array(x.length));
    assert.deepEqual(
      got,
      Float32Array.from(x, (v) => n * clip(v, 1)),
    );
  });

  test('rejects an out of the wrong length', () => {
    assert.throws(
      () => dequantizeSum(new Uint32Array(4), { clipRange: 1, levels: 16 }, 2, new Float32Array(3)),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'out',
    );
  });
});
