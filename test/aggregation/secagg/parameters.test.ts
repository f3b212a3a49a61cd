import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { InvalidArgumentError, UnsafeParametersError } from '../../../aggregation/errors.js';
import {
  deriveParameters,
  validateParameters,
  type DerivedParameters,
  type ThreatModel,
} from '../../../aggregation/secagg/parameters.js';

// Reference hypergeometric tails written independently of the module: exact BigInt binomials and an
// exact rational tail, converted to log2 only at the end (the module sums float masses in log space).

const factorials: bigint[] = [1n];
function factorial(n: number): bigint {
  for (let i = factorials.length; i <= n; i++) factorials.push(factorials[i - 1]! * BigInt(i));
  return factorials[n]!;
}

function choose(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  return factorial(n) / (factorial(k) * factorial(n - k));
}

/** log2 of a non-negative BigInt, from its top 64 bits. */
function log2Big(x: bigint): number {
  if (x === 0n) return -Infinity;
  const bits = x.toString(2).length;
  const shift = Math.max(0, bits - 64);
  return Math.log2(Number(x >> BigInt(shift))) + shift;
}

/**
 * For X ~ Hypergeometric(population, successes, draws): log2 P[X >= x] for every x in 0..draws+1,
 * from exact suffix sums of C(successes, i) C(population - successes, draws - i) over C(population, draws).
 */
function exactLog2Tails(population: number, successes: number, draws: number): number[] {
  const total = choose(population, draws);
  const out = new Array<number>(draws + 2).fill(-Infinity);
  let suffix = 0n;
  for (let x = draws; x >= 0; x--) {
    suffix += choose(successes, x) * choose(population - successes, draws - x);
    out[x] = log2Big(suffix) - log2Big(total);
  }
  return out;
}

/** log2 P[X >= x], clamped to the support. */
function tailAt(tails: readonly number[], x: number): number {
  if (x <= 0) return tails[0]!;
  if (x >= tails.length) return -Infinity;
  return tails[x]!;
}

/** γ = gammaPct/100 and δ = deltaPct/100, with the counts in exact integer arithmetic. */
interface Model {
  readonly n: number;
  readonly gammaPct: number;
  readonly deltaPct: number;
  readonly sigma?: number;
  readonly eta?: number;
}

function threatModel(m: Model): ThreatModel {
  return {
    clients: m.n,
    dropoutRate: m.deltaPct / 100,
    corruptFraction: m.gammaPct / 100,
    ...(m.sigma === undefined ? {} : { securityBits: m.sigma }),
    ...(m.eta === undefined ? {} : { correctnessBits: m.eta }),
  };
}

/** ⌊γn⌋ corrupt clients and ⌈(γ+δ)(n-1)⌉ failing ones, computed on integers. */
function counts(m: Model): { corrupt: number; failing: number } {
  const corrupt = Math.floor((m.gammaPct * m.n) / 100);
  const failing = Math.min(m.n - 1, Math.ceil(((m.gammaPct + m.deltaPct) * (m.n - 1)) / 100));
  return { corrupt, failing };
}

/** Exact per-client log2 failure probabilities of (k, t), multiplied by n (the union bound). */
function exactBounds(m: Model, k: number, t: number): { privacy: number; correctness: number } {
  const { corrupt, failing } = counts(m);
  const privacy = tailAt(exactLog2Tails(m.n - 1, corrupt, k), 2 * t - k) + Math.log2(m.n);
  const correctness = tailAt(exactLog2Tails(m.n - 1, failing, k), k - t + 1) + Math.log2(m.n);
  return { privacy, correctness };
}

/** All t in (k/2, k] that clearly meet both budgets (by more than a float rounding margin). */
function clearlyValidThresholds(m: Model, k: number): number[] {
  const { corrupt, failing } = counts(m);
  const sigma = m.sigma ?? 40;
  const eta = m.eta ?? 20;
  const privacyTails = exactLog2Tails(m.n - 1, corrupt, k);
  const failTails = exactLog2Tails(m.n - 1, failing, k);
  const out: number[] = [];
  for (let t = Math.floor(k / 2) + 1; t <= k; t++) {
    const privacy = tailAt(privacyTails, 2 * t - k) + Math.log2(m.n);
    const correctness = tailAt(failTails, k - t + 1) + Math.log2(m.n);
    if (privacy <= -sigma - 1e-9 && correctness <= -eta - 1e-9) out.push(t);
  }
  return out;
}

function assertLog2Close(actual: number, expected: number, what: string): void {
  if (!Number.isFinite(expected)) {
    assert.equal(actual, expected, what);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= 1e-6, `${what}: module ${actual}, exact ${expected}`);
}

function tryDerive(m: Model): DerivedParameters | null {
  try {
    return deriveParameters(threatModel(m));
  } catch (error) {
    assert.ok(error instanceof UnsafeParametersError, `unexpected ${String(error)}`);
    return null;
  }
}

const label = (m: Model): string =>
  `n=${m.n} γ=${m.gammaPct}% δ=${m.deltaPct}%` + (m.sigma === undefined ? '' : ` σ=${m.sigma} η=${m.eta}`);

const grid: Model[] = [];
for (const n of [3, 4, 5, 7, 10, 16, 25, 40, 64, 100, 150]) {
  for (const gammaPct of [0, 5, 15, 30]) {
    for (const deltaPct of [0, 2, 10, 25]) grid.push({ n, gammaPct, deltaPct });
  }
}
// Larger n, where the privacy condition (not correctness) is the binding one.
for (const [n, gammaPct, deltaPct] of [
  [200, 10, 0],
  [200, 15, 0],
  [300, 10, 5],
  [300, 20, 2],
] as const) {
  grid.push({ n, gammaPct, deltaPct });
}
for (const n of [20, 60, 120]) {
  grid.push({ n, gammaPct: 10, deltaPct: 10, sigma: 20, eta: 10 });
  grid.push({ n, gammaPct: 10, deltaPct: 5, sigma: 64, eta: 30 });
  grid.push({ n, gammaPct: 20, deltaPct: 0, sigma: 30, eta: 40 });
}

const derived = grid.map((m) => ({ m, p: tryDerive(m) }));
const feasible = derived.filter((d): d is { m: Model; p: DerivedParameters } => d.p !== null);

describe('deriveParameters', () => {
  test('the grid exercises feasible sparse, feasible complete and infeasible models', () => {
    assert.ok(feasible.some(({ m, p }) => p.degree < m.n - 1 && p.degree > 2));
    assert.ok(feasible.some(({ m, p }) => p.degree === m.n - 1 && m.n > 3));
    assert.ok(derived.some((d) => d.p === null));
  });

  test('returns a well-formed (k, t): even k in [2, n-2] or k = n-1, k/2 < t <= k', () => {
    for (const { m, p } of feasible) {
      assert.equal(p.clients, m.n, label(m));
      assert.ok(Number.isInteger(p.degree) && Number.isInteger(p.threshold), label(m));
      assert.ok(p.degree >= 2 && p.degree <= m.n - 1, label(m));
      assert.ok(p.degree === m.n - 1 || p.degree % 2 === 0, label(m));
      assert.ok(2 * p.threshold > p.degree && p.threshold <= p.degree, label(m));
      assert.doesNotThrow(() => validateParameters(p), label(m));
    }
  });

  test('exact hypergeometric tails meet both budgets and match the returned log2 fields', () => {
    for (const { m, p } of feasible) {
      const exact = exactBounds(m, p.degree, p.threshold);
      const sigma = m.sigma ?? 40;
      const eta = m.eta ?? 20;
      assert.ok(exact.privacy <= -sigma + 1e-9, `${label(m)}: privacy 2^${exact.privacy}`);
      assert.ok(exact.correctness <= -eta + 1e-9, `${label(m)}: correctness 2^${exact.correctness}`);
      assertLog2Close(p.log2PrivacyFailure, exact.privacy, `${label(m)} privacy`);
      assertLog2Close(p.log2CorrectnessFailure, exact.correctness, `${label(m)} correctness`);
      assert.ok(p.log2PrivacyFailure <= -sigma, label(m));
      assert.ok(p.log2CorrectnessFailure <= -eta, label(m));
    }
  });

  test('the threshold is the smallest valid one for the returned degree', () => {
    for (const { m, p } of feasible) {
      const valid = clearlyValidThresholds(m, p.degree);
      const smaller = valid.filter((t) => t < p.threshold);
      assert.deepEqual(smaller, [], `${label(m)}: k=${p.degree} t=${p.threshold}`);
    }
  });

  test('the degree is minimal: no smaller even degree admits any threshold', () => {
    let checked = 0;
    for (const { m, p } of feasible) {
      for (let k = 2; k < p.degree && k < m.n - 1; k += 2) {
        assert.deepEqual(
          clearlyValidThresholds(m, k),
          [],
          `${label(m)}: returned k=${p.degree}, but k=${k} works`,
        );
        checked++;
      }
    }
    assert.ok(checked > 100, `only ${checked} smaller degrees checked`);
  });

  test('no dropout and no corruption give the smallest graph, k = t = 2', () => {
    for (const n of [3, 4, 10, 1000]) {
      const p = deriveParameters({ clients: n, dropoutRate: 0, corruptFraction: 0 });
      assert.deepEqual([p.degree, p.threshold], [2, 2], `n=${n}`);
      assert.equal(p.log2PrivacyFailure, -Infinity);
      assert.equal(p.log2CorrectnessFailure, -Infinity);
    }
  });

  test('complete graph for small n follows Bonawitz: t > (n-1+⌊γn⌋)/2 and t <= n-1-⌈(γ+δ)(n-1)⌉', () => {
    let complete = 0;
    let infeasible = 0;
    for (let n = 3; n <= 12; n++) {
      for (let gammaPct = 0; gammaPct <= 45; gammaPct += 5) {
        for (let deltaPct = 0; deltaPct <= 45; deltaPct += 5) {
          const m: Model = { n, gammaPct, deltaPct };
          const { corrupt, failing } = counts(m);
          const tMin = Math.floor((n - 1 + corrupt) / 2) + 1;
          const tMax = n - 1 - failing;
          const p = tryDerive(m);
          if (tMin > tMax) {
            assert.equal(p, null, `${label(m)}: Bonawitz infeasible, got ${JSON.stringify(p)}`);
            infeasible++;
            continue;
          }
          assert.notEqual(p, null, `${label(m)}: Bonawitz feasible with t=${tMin}, but it threw`);
          if (p !== null && p.degree === n - 1) {
            assert.equal(p.threshold, tMin, label(m));
            assert.equal(p.log2PrivacyFailure, -Infinity, label(m));
            assert.equal(p.log2CorrectnessFailure, -Infinity, label(m));
            complete++;
          }
        }
      }
    }
    assert.ok(complete > 50 && infeasible > 50, `complete ${complete}, infeasible ${infeasible}`);
  });

  test('the degree is non-decreasing in the corrupt fraction and in the dropout rate', () => {
    const steps = Array.from({ length: 13 }, (_, i) => i * 2.5);
    for (const n of [10, 30, 100]) {
      const k = steps.map((gammaPct) =>
        steps.map((deltaPct) => tryDerive({ n, gammaPct, deltaPct })?.degree ?? Infinity),
      );
      for (let g = 0; g < steps.length; g++) {
        for (let d = 0; d < steps.length; d++) {
          const here = k[g]![d]!;
          if (g > 0)
            assert.ok(k[g - 1]![d]! <= here, `n=${n}: k falls as γ rises to ${steps[g]}% (δ=${steps[d]}%)`);
          if (d > 0)
            assert.ok(k[g]![d - 1]! <= here, `n=${n}: k falls as δ rises to ${steps[d]}% (γ=${steps[g]}%)`);
        }
      }
      assert.ok(k.flat().some((v) => v === Infinity) && k.flat().some((v) => v < n - 1), `n=${n}`);
    }
  });

  test('rejects invalid clients, dropout rate and corrupt fraction, naming the field', () => {
    const base: ThreatModel = { clients: 10, dropoutRate: 0.1, corruptFraction: 0.1 };
    const cases: Array<[Partial<ThreatModel>, string]> = [
      [{ clients: 2 }, 'clients'],
      [{ clients: 2.5 }, 'clients'],
      [{ clients: NaN }, 'clients'],
      [{ dropoutRate: -0.1 }, 'dropoutRate'],
      [{ dropoutRate: 1 }, 'dropoutRate'],
      [{ dropoutRate: NaN }, 'dropoutRate'],
      [{ corruptFraction: 1 }, 'corruptFraction'],
      [{ corruptFraction: -0.01 }, 'corruptFraction'],
      [{ corruptFraction: NaN }, 'corruptFraction'],
    ];
    for (const [override, field] of cases) {
      assert.throws(
        () => deriveParameters({ ...base, ...override }),
        (error: unknown) =>
          error instanceof InvalidArgumentError && error.field === field && error.message.includes(field),
        JSON.stringify(override),
      );
    }
  });

  test('an infeasible threat model throws UnsafeParametersError naming the model', () => {
    assert.throws(
      () => deriveParameters({ clients: 10, dropoutRate: 0.4, corruptFraction: 0.3 }),
      (error: unknown) =>
        error instanceof UnsafeParametersError &&
        error.message.includes('clients=10') &&
        error.message.includes('dropoutRate=0.4') &&
        error.message.includes('corruptFraction=0.3'),
    );
  });

  // BUG (parameters.ts line 60, `const corrupt = Math.floor(gamma * n)`): in floating point
  // 0.29 * 200 = 57.99999999999999, so 29% of 200 clients is counted as 57 corrupt, not 58 (the
  // dropout count next to it subtracts 1e-9 before rounding; this one has no such care, and errs on the
  // unsafe side). The result k=174, t=116 needs all 58 corrupt clients among the 174 neighbours to
  // break privacy: probability ≈ 2^-13.4 per client, ≈ 2^-5.8 after the union bound, not <= 2^-40.
  test('29% of 200 clients is 58 corrupt: the privacy bound holds for the intended ⌊γn⌋', () => {
    for (const deltaPct of [0, 1, 5]) {
      const m: Model = { n: 200, gammaPct: 29, deltaPct };
      assert.equal(counts(m).corrupt, 58);
      const p = deriveParameters(threatModel(m));
      const exact = exactBounds(m, p.degree, p.threshold);
      assert.ok(
        exact.privacy <= -40,
        `${label(m)}: k=${p.degree} t=${p.threshold} fails privacy with probability 2^${exact.privacy.toFixed(2)}`,
      );
    }
  });

  // BUG (parameters.ts lines 51-52): securityBits / correctnessBits are never validated. With
  // NaN every comparison against the budget is false, so the loop accepts the first t whose other
  // condition holds: clients=50, δ=0.1, γ=0.2, securityBits=NaN returns k=32, t=17 with
  // log2PrivacyFailure ≈ +5.6 (no privacy at all) instead of rejecting the field.
  test('rejects a NaN securityBits or correctnessBits, naming the field', () => {
    const base: ThreatModel = { clients: 50, dropoutRate: 0.1, corruptFraction: 0.2 };
    for (const field of ['securityBits', 'correctnessBits'] as const) {
      assert.throws(
        () => deriveParameters({ ...base, [field]: NaN }),
        (error: unknown) => error instanceof InvalidArgumentError && error.message.includes(field),
        `${field}=NaN was accepted`,
      );
    }
  });
});

describe('validateParameters', () => {
  const rejects = (clients: number, degree: number, threshold: number, field: string): void => {
    assert.throws(
      () => validateParameters({ clients, degree, threshold }),
      (error: unknown) =>
        error instanceof InvalidArgumentError && error.field === field && error.message.includes(field),
      `n=${clients} k=${degree} t=${threshold}`,
    );
  };

  test('accepts valid parameters, including the odd complete degree n-1', () => {
    const valid: Array<[number, number, number]> = [
      [3, 2, 2],
      [10, 2, 2],
      [10, 4, 3],
      [10, 4, 4],
      [10, 8, 5],
      [10, 9, 5],
      [10, 9, 9],
      [11, 10, 6],
      [100, 16, 11],
    ];
    for (const [clients, degree, threshold] of valid) {
      assert.doesNotThrow(
        () => validateParameters({ clients, degree, threshold }),
        `${clients}/${degree}/${threshold}`,
      );
    }
  });

  test('rejects too few or fractional clients', () => {
    rejects(2, 1, 1, 'clients');
    rejects(4.5, 2, 2, 'clients');
  });

  test('rejects an odd degree unless it is n-1, and a degree >= n', () => {
    rejects(10, 5, 3, 'degree');
    rejects(10, 3, 2, 'degree');
    rejects(11, 9, 5, 'degree');
    rejects(10, 10, 6, 'degree');
    rejects(10, 12, 7, 'degree');
    rejects(10, 0, 1, 'degree');
    rejects(10, 4.5, 3, 'degree');
  });

  test('rejects t <= k/2 and t > k', () => {
    rejects(10, 4, 2, 'threshold');
    rejects(10, 4, 1, 'threshold');
    rejects(10, 9, 4, 'threshold');
    rejects(10, 4, 5, 'threshold');
    rejects(10, 9, 10, 'threshold');
    rejects(10, 4, 3.5, 'threshold');
  });

  test('accepts every result of deriveParameters on the grid', () => {
    for (const { m, p } of feasible) assert.doesNotThrow(() => validateParameters(p), label(m));
  });
});
