import { test } from 'node:test';
import assert from 'node:assert/strict';

import { InvalidArgumentError } from '../../../aggregation/errors.js';
import type { RandomSource } from '../../../aggregation/crypto/random-source.js';
import { seededRandom, seedFromNumber } from '../../../aggregation/crypto/random-source.js';
import {
  SHAMIR_PRIME,
  SHARE_BYTES,
  ShareCombiner,
  splitSecret,
  type Share,
} from '../../../aggregation/crypto/shamir.js';

// Reference arithmetic written independently of the module: hex conversion instead of DataView,
// Fermat inversion instead of extended Euclid, power sums instead of Horner.
const P = SHAMIR_PRIME;
const mod = (a: bigint): bigint => ((a % P) + P) % P;
const toBig = (bytes: Uint8Array): bigint => BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
const toBytes = (n: bigint, length: number): Uint8Array =>
  new Uint8Array(Buffer.from(n.toString(16).padStart(length * 2, '0'), 'hex'));

function powMod(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}
const inv = (a: bigint): bigint => powMod(mod(a), P - 2n, P);

/** Sum of c_i * x^i, each power computed on its own. */
function evaluate(coefficients: readonly bigint[], x: bigint): bigint {
  return mod(coefficients.reduce((acc, c, i) => acc + c * powMod(x, BigInt(i), P), 0n));
}

/** Coefficients (lowest degree first, length = points.length) of the interpolating polynomial. */
function interpolate(points: ReadonlyArray<readonly [bigint, bigint]>): bigint[] {
  const result = new Array<bigint>(points.length).fill(0n);
  points.forEach(([xi, yi], i) => {
    let basis = [1n];
    let denominator = 1n;
    points.forEach(([xj], j) => {
      if (j === i) return;
      // basis *= (X - xj)
      basis = [...basis, 0n].map((c, k) => mod((k > 0 ? basis[k - 1]! : 0n) - xj * c));
      denominator = mod(denominator * (xi - xj));
    });
    const scale = mod(yi * inv(denominator));
    basis.forEach((c, k) => (result[k] = mod(result[k]! + c * scale)));
  });
  return result;
}

function millerRabin(n: bigint, bases: readonly bigint[]): boolean {
  if (n < 2n) return false;
  for (const b of bases) if (n % b === 0n) return n === b;
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  return bases.every((a) => {
    let x = powMod(a, d, n);
    if (x === 1n || x === n - 1n) return true;
    for (let r = 1; r < s; r++) {
      x = (x * x) % n;
      if (x === n - 1n) return true;
    }
    return false;
  });
}
const FIRST_20_PRIMES = [
  2n,
  3n,
  5n,
  7n,
  11n,
  13n,
  17n,
  19n,
  23n,
  29n,
  31n,
  37n,
  41n,
  43n,
  47n,
  53n,
  59n,
  61n,
  67n,
  71n,
];

function randomSecret(seed: number): Uint8Array {
  const secret = new Uint8Array(32);
  seededRandom(seedFromNumber(seed)).fill(secret);
  return secret;
}

function randomInt(random: RandomSource, n: number): number {
  const b = new Uint8Array(4);
  random.fill(b);
  return new DataView(b.buffer).getUint32(0) % n;
}

/** A uniformly shuffled copy (Fisher–Yates); its first m elements are a random m-subset in random order. */
function shuffled<T>(items: readonly T[], random: RandomSource): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const asShares = (values: readonly Uint8Array[]): Share[] => values.map((value, j) => ({ x: j + 1, value }));

function assertRejects(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof InvalidArgumentError && e.field === field && message.test(e.message),
  );
}

test('SHAMIR_PRIME is 2^256 + 297, a Miller–Rabin prime, and the smallest prime above 2^256', () => {
  assert.equal(FIRST_20_PRIMES.length, 20);
  assert.ok(P > 1n << 256n);
  assert.equal(P - (1n << 256n), 297n);
  assert.ok(millerRabin(P, FIRST_20_PRIMES));
  // The test itself must be able to say no: a Carmichael number, and 2^256 + 1.
  assert.ok(!millerRabin(561n, FIRST_20_PRIMES));
  assert.ok(!millerRabin((1n << 256n) + 1n, FIRST_20_PRIMES));
  for (let n = (1n << 256n) + 1n; n < P; n++) assert.ok(!millerRabin(n, FIRST_20_PRIMES), `${n} is prime`);
});

test('shares are f(1..k) for f(0) = secret and coefficients drawn uniformly by rejection sampling', () => {
  for (const [t, k] of [
    [1, 3],
    [2, 2],
    [4, 9],
    [30, 50],
  ] as const) {
    const seed = seedFromNumber(1000 + t);
    const secret = randomSecret(t);
    const shares = splitSecret(secret, t, k, seededRandom(seed));
    const replay = seededRandom(seed);
    const coefficients = [toBig(secret)];
    while (coefficients.length < t) {
      const draw = new Uint8Array(33);
      replay.fill(draw);
      draw[0] = draw[0]! & 1;
      if (toBig(draw) < P) coefficients.push(toBig(draw));
    }
    assert.equal(shares.length, k);
    shares.forEach((share, j) => {
      assert.equal(share.length, SHARE_BYTES);
      assert.deepEqual(share, toBytes(evaluate(coefficients, BigInt(j + 1)), SHARE_BYTES));
    });
  }
});

test('shares lie on one polynomial of degree exactly t - 1 through the secret', () => {
  for (const [t, k] of [
    [1, 4],
    [2, 5],
    [3, 3],
    [7, 20],
    [20, 40],
  ] as const) {
    const secret = randomSecret(50 + t);
    const ys = splitSecret(secret, t, k, seededRandom(seedFromNumber(t))).map(toBig);
    const points = ys.map((y, j) => [BigInt(j + 1), y] as const);
    const f = interpolate(points.slice(0, t));
    assert.equal(f[0], toBig(secret));
    for (const [x, y] of points) assert.equal(evaluate(f, x), y);
    if (t > 1) {
      // Not lower degree: t - 1 shares do not predict the t-th.
      const g = interpolate(points.slice(0, t - 1));
      assert.notEqual(evaluate(g, points[t - 1]![0]), points[t - 1]![1]);
    }
  }
});

test('any t-subset in any order reconstructs the secret, for many (t, k)', () => {
  const configs = [
    [1, 1],
    [1, 2],
    [2, 2],
    [1, 7],
    [3, 5],
    [5, 5],
    [10, 16],
    [20, 100],
    [40, 100],
    [100, 100],
  ];
  const combiner = new ShareCombiner();
  const select = seededRandom(seedFromNumber(7));
  for (const [t, k] of configs as Array<[number, number]>) {
    const secret = randomSecret(t * 1000 + k);
    const shares = asShares(splitSecret(secret, t, k, seededRandom(seedFromNumber(k))));
    for (let trial = 0; trial < 25; trial++) {
      assert.deepEqual(combiner.combine(shuffled(shares, select).slice(0, t), t), secret, `t=${t} k=${k}`);
    }
  }
});

test('more than t shares, in any order, reconstruct the secret', () => {
  const combiner = new ShareCombiner();
  const select = seededRandom(seedFromNumber(8));
  const secret = randomSecret(8);
  const shares = asShares(splitSecret(secret, 6, 30, seededRandom(seedFromNumber(9))));
  for (let m = 6; m <= 30; m++)
    assert.deepEqual(combiner.combine(shuffled(shares, select).slice(0, m), 6), secret);
});

test('extreme secrets round-trip: all zero and all 0xff (2^256 - 1)', () => {
  const combiner = new ShareCombiner();
  for (const secret of [new Uint8Array(32), new Uint8Array(32).fill(0xff)]) {
    const shares = asShares(splitSecret(secret, 3, 5, seededRandom(seedFromNumber(secret[0]!))));
    assert.deepEqual(combiner.combine(shares.slice(2), 3), secret);
  }
});

test('the largest share count, 65535, works and its last x-coordinates reconstruct', () => {
  const secret = randomSecret(65535);
  const shares = splitSecret(secret, 2, 65535, seededRandom(seedFromNumber(1)));
  assert.equal(shares.length, 65535);
  const last = [65534, 65535].map((x) => ({ x, value: shares[x - 1]! }));
  assert.deepEqual(new ShareCombiner().combine(last, 2), secret);
});

test('splitSecret rejects a bad secret, threshold or share count', () => {
  const r = seededRandom(seedFromNumber(2));
  const secret = randomSecret(2);
  assertRejects(() => splitSecret(new Uint8Array(31), 2, 3, r), 'secret', /32 bytes/);
  assertRejects(() => splitSecret(new Uint8Array(33), 2, 3, r), 'secret', /32 bytes/);
  assertRejects(() => splitSecret(secret, 0, 3, r), 'threshold', /\[1, 3\]/);
  assertRejects(() => splitSecret(secret, 4, 3, r), 'threshold', /\[1, 3\]/);
  assertRejects(() => splitSecret(secret, 1.5, 3, r), 'threshold', /integer/);
  assertRejects(() => splitSecret(secret, 1, 0, r), 'shareCount', /65535/);
  assertRejects(() => splitSecret(secret, 1, 65536, r), 'shareCount', /65535/);
});

test('combine rejects too few shares, duplicate or out-of-range x, bad length and values >= p', () => {
  const combiner = new ShareCombiner();
  const shares = asShares(splitSecret(randomSecret(3), 3, 5, seededRandom(seedFromNumber(3))));
  const value = shares[0]!.value;
  assertRejects(() => combiner.combine(shares.slice(0, 2), 3), 'shares', /too few/);
  assertRejects(() => combiner.combine([], 1), 'shares', /too few/);
  assertRejects(
    () => combiner.combine([...shares.slice(0, 3), { x: 2, value }], 3),
    'shares',
    /duplicate x 2/,
  );
  for (const x of [0, -1, 65536, 1.5, Number.NaN]) {
    assertRejects(() => combiner.combine([...shares.slice(1), { x, value }], 3), 'shares', /x out of range/);
  }
  for (const length of [0, 32, 34]) {
    const bad = { x: 9, value: new Uint8Array(length) };
    assertRejects(() => combiner.combine([...shares, bad], 3), 'shares', /bad length/);
  }
  for (const n of [P, P + 1n, (1n << 264n) - 1n, 2n << 256n]) {
    const big = { x: 9, value: toBytes(n, SHARE_BYTES) };
    assertRejects(() => combiner.combine([...shares, big], 3), 'shares', /value >= p/);
  }
  assertRejects(() => combiner.combine(shares, 0), 'threshold', /integer/);
});

test('an interpolated value in [2^256, p) is reported as inconsistent shares', () => {
  const combiner = new ShareCombiner();
  // p - 1 passes the value check (it is a field element) but is no 32-byte secret.
  assertRejects(() => combiner.combine([{ x: 1, value: toBytes(P - 1n, 33) }], 1), 'shares', /inconsistent/);
  // Two shares on the line through (0, 2^256) with slope 1.
  const line = [1n, 2n].map((x) => ({ x: Number(x), value: toBytes((1n << 256n) + x, 33) }));
  assertRejects(() => combiner.combine(line, 2), 'shares', /inconsistent/);
});

test('a share with one byte flipped never silently reconstructs the secret', () => {
  const combiner = new ShareCombiner();
  const secret = randomSecret(4);
  const shares = asShares(splitSecret(secret, 4, 4, seededRandom(seedFromNumber(4))));
  for (let victim = 0; victim < 4; victim++) {
    for (let byte = 0; byte < SHARE_BYTES; byte++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const value = shares[victim]!.value.slice();
        value[byte] = value[byte]! ^ mask;
        const tampered = shares.map((s, i) => (i === victim ? { x: s.x, value } : s));
        let result: Uint8Array | undefined;
        try {
          result = combiner.combine(tampered, 4);
        } catch (e) {
          assert.ok(e instanceof InvalidArgumentError && e.field === 'shares');
        }
        if (result !== undefined) assert.notDeepEqual(result, secret);
      }
    }
  }
});

test('secrecy: t - 1 shares are consistent with every candidate secret', () => {
  const select = seededRandom(seedFromNumber(5));
  for (const t of [2, 3, 5, 8]) {
    const k = 2 * t;
    const secret = randomSecret(t + 500);
    const shares = asShares(splitSecret(secret, t, k, seededRandom(seedFromNumber(t + 600))));
    const [extra, ...known] = shuffled(shares, select).slice(0, t);
    const points = known.map((s) => [BigInt(s.x), toBig(s.value)] as const);
    const polynomials = [randomSecret(1), randomSecret(2), secret].map((candidate) => {
      const f = interpolate([[0n, toBig(candidate)], ...points]);
      assert.equal(f.length, t);
      assert.equal(evaluate(f, 0n), toBig(candidate));
      for (const [x, y] of points) assert.equal(evaluate(f, x), y);
      // Completing the t - 1 real shares with one more point of f makes the combiner output the candidate.
      const forged = { x: extra!.x, value: toBytes(evaluate(f, BigInt(extra!.x)), SHARE_BYTES) };
      assert.deepEqual(new ShareCombiner().combine([...known, forged], t), candidate);
      return f;
    });
    assert.notDeepEqual(polynomials[0], polynomials[1]);
    assert.deepEqual(toBytes(evaluate(polynomials[2]!, BigInt(extra!.x)), SHARE_BYTES), extra!.value);
  }
});

test('the coefficient cache does not change answers, before or after eviction', () => {
  const combiner = new ShareCombiner();
  const xs = [3, 8, 11, 20, 21];
  const pick = (values: Uint8Array[]): Share[] => xs.map((x) => ({ x, value: values[x - 1]! }));
  const secrets = [randomSecret(10), randomSecret(11)];
  const sharesOf = secrets.map((s, i) => pick(splitSecret(s, 5, 25, seededRandom(seedFromNumber(20 + i)))));
  assert.deepEqual(combiner.combine(sharesOf[0]!, 5), secrets[0]);
  assert.deepEqual(combiner.combine(sharesOf[1]!, 5), secrets[1]);
  assert.deepEqual(combiner.combine(sharesOf[0]!.slice().reverse(), 5), secrets[0]);
  // Push the first x-set out of a 4096-entry cache, then come back to it.
  const pair = splitSecret(secrets[1]!, 2, 4200, seededRandom(seedFromNumber(30)));
  for (let x = 1; x <= 4100; x++) {
    const two = [x, x + 1].map((xi) => ({ x: xi, value: pair[xi - 1]! }));
    assert.deepEqual(combiner.combine(two, 2), secrets[1]);
  }
  assert.deepEqual(combiner.combine(sharesOf[1]!, 5), secrets[1]);
  assert.deepEqual(combiner.combine(sharesOf[0]!, 5), secrets[0]);
});

test('only the t shares with the smallest x are used; extra shares are not checked', () => {
  const secret = randomSecret(12);
  const shares = asShares(splitSecret(secret, 3, 6, seededRandom(seedFromNumber(12))));
  const garbage = { x: 6, value: toBytes(12345n, SHARE_BYTES) };
  const given = [garbage, ...shares.slice(0, 5).reverse()];
  assert.deepEqual(new ShareCombiner().combine(given, 3), secret);
  const corruptedLow = [{ x: 1, value: toBytes(12345n, SHARE_BYTES) }, ...shares.slice(1)];
  assert.throws(() => assert.deepEqual(new ShareCombiner().combine(corruptedLow, 3), secret));
});
