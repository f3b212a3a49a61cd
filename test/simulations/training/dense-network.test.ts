import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom, seedFromNumber } from '../../../aggregation/index.js';
import {
  assignWeights,
  buildModel,
  flattenWeights,
  loadTensorFlow,
  trainLocally,
} from '../../../client-sdk/training/index.js';
import { SHUFFLE_STREAM, streamSeed } from '../../../client-sdk/training/models.js';
import {
  binaryCrossEntropy,
  initialWeights,
  parameterCountOf,
  predictDense,
  trainDense,
  type DenseArchitecture,
} from '../../../simulations/training/dense-network.js';

function dataset(rows: number, features: number, seed: number) {
  const bytes = new Uint8Array(rows * features);
  seededRandom(seedFromNumber(seed)).fill(bytes);
  const x = Float32Array.from(bytes, (b) => (b - 127.5) / 64);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) y[r] = x[r * features]! + 0.5 * x[r * features + 1]! > 0 ? 1 : 0;
  return { x, y, rows, features };
}

test('one full-batch SGD step equals TF.js training of the same model from the same weights', async () => {
  const { tf } = await loadTensorFlow();
  const data = dataset(40, 5, 1);
  for (const arch of [
    { widths: [5, 1], activation: 'relu' },
    { widths: [5, 4, 1], activation: 'tanh' },
  ] satisfies DenseArchitecture[]) {
    const spec =
      arch.widths.length === 2
        ? ({ kind: 'logistic-regression', inputs: 5 } as const)
        : ({ kind: 'mlp', inputs: 5, hidden: [4], activation: 'tanh' } as const);
    const model = buildModel(tf, spec, 3);
    const start = flattenWeights(model);
    assert.equal(start.length, parameterCountOf(arch));
    // One batch of all rows: the order does not matter, so both trainers take exactly one identical step.
    const settings = { epochs: 1, batchSize: 40, learningRate: 0.3 };
    await trainLocally(tf, model, data, { ...settings, seed: 1 });
    const viaTf = flattenWeights(model);
    const viaTypedArrays = trainDense(arch, start, data, settings, seedFromNumber(1));
    for (let i = 0; i < viaTf.length; i++)
      assert.ok(
        Math.abs(viaTf[i]! - viaTypedArrays[i]!) < 1e-5,
        `${arch.widths.join('-')} weight ${i}: ${viaTf[i]} vs ${viaTypedArrays[i]}`,
      );
    assignWeights(model, viaTypedArrays);
    model.dispose();
  }
});

test('a local-steps schedule takes the same steps in TF.js and in typed arrays', async () => {
  const { tf } = await loadTensorFlow();
  const data = dataset(10, 5, 5);
  const arch: DenseArchitecture = { widths: [5, 1], activation: 'relu' };
  const model = buildModel(tf, { kind: 'logistic-regression', inputs: 5 }, 4);
  const start = flattenWeights(model);
  // 10 rows in batches of 4 for 7 steps: batches straddle walks through the data, so the two trainers
  // agree only if they walk the same orders and cut the same batches.
  const settings = { epochs: 0, steps: 7, batchSize: 4, learningRate: 0.2 };
  await trainLocally(tf, model, data, { ...settings, seed: 8 });
  const viaTf = flattenWeights(model);
  const viaTypedArrays = trainDense(arch, start, data, settings, streamSeed(8, SHUFFLE_STREAM));
  let moved = 0;
  for (let i = 0; i < viaTf.length; i++) {
    assert.ok(
      Math.abs(viaTf[i]! - viaTypedArrays[i]!) < 1e-5,
      `weight ${i}: ${viaTf[i]} vs ${viaTypedArrays[i]}`,
    );
    moved = Math.max(moved, Math.abs(viaTf[i]! - start[i]!));
  }
  assert.ok(moved > 0.01, `training moved the weights (${moved})`);
  model.dispose();
});

test('training lowers the loss, is reproducible from its seed, and initial weights are Glorot-bounded', () => {
  const arch: DenseArchitecture = { widths: [5, 8, 1], activation: 'relu' };
  const data = dataset(200, 5, 2);
  const w0 = initialWeights(arch, seededRandom(seedFromNumber(4)));
  const limit = Math.sqrt(6 / (5 + 8));
  for (let i = 0; i < 40; i++) assert.ok(Math.abs(w0[i]!) <= limit);
  for (let i = 40; i < 48; i++) assert.equal(w0[i], 0, 'biases start at zero');
  const settings = { epochs: 5, batchSize: 16, learningRate: 0.1 };
  const trained = trainDense(arch, w0, data, settings, seedFromNumber(9));
  const before = binaryCrossEntropy(predictDense(arch, w0, data), data.y);
  const after = binaryCrossEntropy(predictDense(arch, trained, data), data.y);
  assert.ok(after < before * 0.6, `loss ${before} -> ${after}`);
  assert.deepEqual(trainDense(arch, w0, data, settings, seedFromNumber(9)), trained);
  assert.notDeepEqual(trainDense(arch, w0, data, settings, seedFromNumber(10)), trained);
  assert.throws(
    () =>
      trainDense(
        { widths: [4, 1], activation: 'relu' },
        new Float32Array(5),
        data,
        settings,
        seedFromNumber(1),
      ),
    /data: has 5 features; the model takes 4/,
  );
});
