import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, UnsafeParametersError } from '../../aggregation/errors.js';
import {
  createServerOptimizer,
  decodeServerOptimizerState,
  encodeServerOptimizerState,
  type ServerOptimizer,
  type ServerOptimizerConfig,
} from '../../aggregation/optimizer/index.js';

const f32 = (values: number[]): Float32Array => Float32Array.from(values);

/** Compares float32 results against float64 reference values written out in the test. */
function assertClose(actual: Float32Array, expected: number[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    assert.ok(Math.abs(a - e) <= 1e-6, `${label}[${i}]: got ${a}, expected ${e}`);
  });
}

function assertRejects(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && e.field === field, `field ${field}`);
}

/** β1 = β2 = 0.5, τ = 1, η = 1 keep the hand arithmetic in halves and quarters. */
const HAND = { learningRate: 1, beta1: 0.5, beta2: 0.5, tau: 1 } as const;
const W0 = [0, 1, -1];
const DELTAS = [
  [1, -7, 0],
  [3, 1, 2],
  [-2, 0.5, 0],
];
// m is the same for both adaptive optimizers: m ← 0.5·m + 0.5·Δ from m = 0.
const M = [
  [0.5, -3.5, 0],
  [1.75, -1.25, 1],
  [-0.125, -0.375, 0.5],
];

function runHand(optimizer: ServerOptimizer, expectedV: number[][], expectedX: number[][]): void {
  let x = f32(W0);
  DELTAS.forEach((delta, t) => {
    x = optimizer.step(x, f32(delta));
    assertClose(x, expectedX[t]!, `x after step ${t + 1}`);
    const state = optimizer.state();
    assert.deepEqual(state.m, f32(M[t]!), `m after step ${t + 1}`);
    assert.deepEqual(state.v, f32(expectedV[t]!), `v after step ${t + 1}`);
    assert.equal(state.steps, t + 1);
  });
}

describe('FedAvg', () => {
  test('three steps by hand with η = 0.5: x ← x + 0.5·Δ', () => {
    const opt = createServerOptimizer({ kind: 'fedavg', learningRate: 0.5 }, 3);
    let x = opt.step(f32([1, -2, 0.5]), f32([0.5, 0.25, -1]));
    assertClose(x, [1 + 0.25, -2 + 0.125, 0.5 - 0.5], 'step 1');
    x = opt.step(x, f32([-2, 4, 0.1]));
    assertClose(x, [1.25 - 1, -1.875 + 2, 0 + 0.05], 'step 2');
    x = opt.step(x, f32([0, -0.5, 1e-3]));
    assertClose(x, [0.25, 0.125 - 0.25, 0.05 + 0.0005], 'step 3');
    assert.deepEqual(opt.state(), { kind: 'fedavg', steps: 3, m: null, v: null });
  });

  test('the default η = 1 gives the average client model, w + Δ', () => {
    const opt = createServerOptimizer({ kind: 'fedavg' }, 3);
    assertClose(opt.step(f32([1, 2, 3]), f32([-1, 0.5, 0.25])), [0, 2.5, 3.25], 'x');
  });
});

describe('FedAdam and FedYogi (Reddi et al. 2021, Algorithm 2)', () => {
  test('FedAdam: three steps by hand, v ← 0.5·v + 0.5·Δ² from v = τ² = 1', () => {
    const v = [
      [1, 25, 0.5],
      [5, 13, 2.25],
      [4.5, 6.625, 1.125],
    ];
    const x1 = [0 + 0.5 / (1 + 1), 1 - 3.5 / (5 + 1), -1 + 0];
    const x2 = [
      x1[0]! + 1.75 / (Math.sqrt(5) + 1),
      x1[1]! - 1.25 / (Math.sqrt(13) + 1),
      x1[2]! + 1 / (1.5 + 1),
    ];
    const x3 = [
      x2[0]! - 0.125 / (Math.sqrt(4.5) + 1),
      x2[1]! - 0.375 / (Math.sqrt(6.625) + 1),
      x2[2]! + 0.5 / (Math.sqrt(1.125) + 1),
    ];
    runHand(createServerOptimizer({ kind: 'fedadam', ...HAND }, 3), v, [x1, x2, x3]);
  });

  test('FedYogi: three steps by hand, v ← v − 0.5·Δ²·sign(v − Δ²) from v = 1', () => {
    // Step 1: sign(1 − 1) = 0 keeps v; 1 < 49 adds 24.5; Δ = 0 leaves v. Step 2: 1 < 9, 25.5 > 1, 1 < 4.
    // Step 3: 5.5 > 4, 25 > 0.25, 3 > 0 (subtracts 0).
    const v = [
      [1, 25.5, 1],
      [5.5, 25, 3],
      [3.5, 24.875, 3],
    ];
    const x1 = [0 + 0.5 / (1 + 1), 1 - 3.5 / (Math.sqrt(25.5) + 1), -1 + 0];
    const x2 = [
      x1[0]! + 1.75 / (Math.sqrt(5.5) + 1),
      x1[1]! - 1.25 / (5 + 1),
      x1[2]! + 1 / (Math.sqrt(3) + 1),
    ];
    const x3 = [
      x2[0]! - 0.125 / (Math.sqrt(3.5) + 1),
      x2[1]! - 0.375 / (Math.sqrt(24.875) + 1),
      x2[2]! + 0.5 / (Math.sqrt(3) + 1),
    ];
    runHand(createServerOptimizer({ kind: 'fedyogi', ...HAND }, 3), v, [x1, x2, x3]);
  });

  test("defaults are the paper's β1 = 0.9, β2 = 0.99, τ = 10^-3, with v starting at τ²", () => {
    const delta = [0.5, -0.25, 0];
    const m = delta.map((d) => 0.1 * d);
    const adamV = delta.map((d) => 0.99 * 1e-6 + 0.01 * d * d);
    const yogiV = delta.map((d) => (d * d > 1e-6 ? 1e-6 + 0.01 * d * d : 1e-6));
    for (const [kind, v] of [
      ['fedadam', adamV],
      ['fedyogi', yogiV],
    ] as const) {
      const opt = createServerOptimizer({ kind, learningRate: 0.01 }, 3);
      assert.deepEqual(opt.state().v, f32([1e-6, 1e-6, 1e-6]), `${kind} initial v`);
      const x = opt.step(f32([0, 0, 0]), f32(delta));
      assertClose(
        x,
        m.map((mi, i) => (0.01 * mi) / (Math.sqrt(v[i]!) + 1e-3)),
        kind,
      );
      assertClose(opt.state().v!, v, `${kind} v`);
    }
  });

  test('FedAdam and FedYogi differ when Δ² > v: Yogi adds (1−β2)·Δ² to all of v, Adam to β2·v', () => {
    const delta = f32([3, -2, 4]);
    const adam = createServerOptimizer({ kind: 'fedadam', ...HAND }, 3);
    const yogi = createServerOptimizer({ kind: 'fedyogi', ...HAND }, 3);
    const xAdam = adam.step(f32(W0), delta);
    const xYogi = yogi.step(f32(W0), delta);
    assert.deepEqual(adam.state().v, f32([0.5 + 4.5, 0.5 + 2, 0.5 + 8]));
    assert.deepEqual(yogi.state().v, f32([1 + 4.5, 1 + 2, 1 + 8]));
    for (let i = 0; i < 3; i++) {
      assert.ok(
        Math.abs(xYogi[i]! - W0[i]!) < Math.abs(xAdam[i]! - W0[i]!),
        `Yogi's larger v damps step ${i}`,
      );
    }
  });
});

const CONFIGS: ServerOptimizerConfig[] = [
  { kind: 'fedavg' },
  { kind: 'fedadam', learningRate: 0.1 },
  { kind: 'fedyogi', learningRate: 0.1 },
];

describe('every server optimizer', () => {
  for (const config of CONFIGS) {
    test(`${config.kind}: inputs are untouched and a new array is returned`, () => {
      const opt = createServerOptimizer(config, 3);
      const weights = f32([1, 2, 3]);
      const delta = f32([0.5, -0.5, 0.25]);
      const out = opt.step(weights, delta);
      assert.notEqual(out, weights);
      assert.notEqual(out, delta);
      assert.deepEqual(weights, f32([1, 2, 3]));
      assert.deepEqual(delta, f32([0.5, -0.5, 0.25]));
    });

    test(`${config.kind}: resuming from a saved (encoded) state continues exactly like an uninterrupted run`, () => {
      const deltas = [f32([0.5, -1, 2]), f32([-0.25, 0.75, 1]), f32([1.5, -0.5, -3])];
      const straight = createServerOptimizer(config, 3);
      let xStraight = f32([1, -1, 0.5]);
      for (const d of deltas) xStraight = straight.step(xStraight, d);

      const first = createServerOptimizer(config, 3);
      let x = first.step(f32([1, -1, 0.5]), deltas[0]!);
      const saved = first.state();
      first.step(x, deltas[1]!); // must not change the state already handed out
      const resumed = createServerOptimizer(
        config,
        3,
        decodeServerOptimizerState(encodeServerOptimizerState(saved)),
      );
      x = resumed.step(x, deltas[1]!);
      x = resumed.step(x, deltas[2]!);
      assert.deepEqual(x, xStraight);
      assert.deepEqual(resumed.state(), straight.state());
    });

    test(`${config.kind}: minimising ||x − c||² with Δ = −0.1·∇ converges toward c`, () => {
      const c = [3, -1, 0.5];
      const opt = createServerOptimizer(config, 3);
      let x = f32([0, 0, 0]);
      const distance = (): number => Math.hypot(...c.map((ci, i) => x[i]! - ci));
      const start = distance();
      let early = 0;
      for (let t = 1; t <= 300; t++) {
        const delta = new Float32Array(3);
        for (let i = 0; i < 3; i++) delta[i] = -0.1 * 2 * (x[i]! - c[i]!);
        x = opt.step(x, delta);
        if (t === 30) early = distance();
      }
      assert.ok(early < start, `after 30 steps ${early} ≥ start ${start}`);
      assert.ok(distance() < 1e-3, `after 300 steps still ${distance()} from c`);
    });

    test(`${config.kind}: NaN, Infinity and length mismatches are rejected naming the field`, () => {
      const opt = createServerOptimizer(config, 3);
      const ok = f32([1, 2, 3]);
      assertRejects(() => opt.step(f32([1, NaN, 3]), ok), 'weights');
      assertRejects(() => opt.step(ok, f32([1, 2, Infinity])), 'averagedDelta');
      assertRejects(() => opt.step(f32([1, 2]), ok), 'weights');
      assertRejects(() => opt.step(ok, f32([1, 2, 3, 4])), 'averagedDelta');
      assertRejects(() => createServerOptimizer(config, 0), 'dimension');
      assertRejects(() => createServerOptimizer({ ...config, learningRate: 0 }, 3), 'learningRate');
      assert.equal(opt.state().steps, 0, 'rejected steps change nothing');
    });

    test(`${config.kind}: a step that overflows float32 throws and leaves the state unchanged`, () => {
      const opt = createServerOptimizer(config, 2);
      opt.step(f32([0, 0]), f32([1, 1]));
      const before = opt.state();
      assert.throws(() => opt.step(f32([0, 3e38]), f32([1e19, 3e38])), UnsafeParametersError);
      assert.deepEqual(opt.state(), before);
    });
  }

  test('adaptive hyper-parameters and resumed states are checked', () => {
    const adam = { kind: 'fedadam', learningRate: 0.1 } as const;
    assertRejects(() => createServerOptimizer({ ...adam, beta1: 1 }, 3), 'beta1');
    assertRejects(() => createServerOptimizer({ ...adam, beta2: -0.1 }, 3), 'beta2');
    assertRejects(() => createServerOptimizer({ ...adam, tau: 0 }, 3), 'tau');
    assertRejects(
      () => createServerOptimizer({ kind: 'sgd' } as unknown as ServerOptimizerConfig, 3),
      'kind',
    );
    const state = createServerOptimizer(adam, 3).state();
    assertRejects(
      () => createServerOptimizer({ kind: 'fedyogi', learningRate: 0.1 }, 3, state),
      'state.kind',
    );
    assertRejects(() => createServerOptimizer(adam, 3, { ...state, m: new Float32Array(2) }), 'state.m');
    assertRejects(() => createServerOptimizer(adam, 3, { ...state, v: f32([1, -1, 1]) }), 'state.v');
    assertRejects(() => createServerOptimizer(adam, 3, { ...state, v: null }), 'state.v');
    assertRejects(() => createServerOptimizer({ kind: 'fedavg' }, 3, state), 'state.kind');
    const bytes = encodeServerOptimizerState(state);
    assertRejects(() => decodeServerOptimizerState(bytes.subarray(0, bytes.length - 1)), 'optimizerState');
    assertRejects(() => decodeServerOptimizerState(new Uint8Array(16)), 'optimizerState');
  });
});
