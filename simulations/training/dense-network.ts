import { seededRandom, type RandomSource } from '../../aggregation/crypto/random-source.js';
import { InvalidArgumentError } from '../../aggregation/errors.js';
import type { TabularSplit } from '../../client-sdk/datasets/tabular.js';
import { trainingPasses } from '../../aggregation/training/schedule.js';

/**
 * Dense networks for the simulator, in plain typed arrays: logistic regression or an MLP with sigmoid
 * outputs, trained by minibatch SGD on binary cross-entropy. The maths is TF.js's (`buildModel` +
 * `trainLocally` in client-sdk/training) and so is the weight layout (per layer the kernel, row-major
 * [inputs × units], then the bias), so a simulated update means what a member's update means. What
 * differs is speed and exactness: a few microseconds per step with no tensor or backend overhead, and
 * float64 arithmetic in a fixed order, so a seeded run is bit-for-bit reproducible on every machine.
 */
export interface DenseArchitecture {
  /** Widths from the input to the single output unit, e.g. [13, 1] or [10, 16, 1]. */
  readonly widths: readonly number[];
  readonly activation: 'relu' | 'tanh';
}

export interface SgdSettings {
  /** Passes over the data, or 0 when `steps` sets the schedule (client-sdk/training/schedule.ts). */
  readonly epochs: number;
  readonly steps?: number | undefined;
  readonly batchSize: number;
  readonly learningRate: number;
}

/** Keras' epsilon for log(p): keeps the loss finite where TF.js keeps it finite. */
const EPSILON = 1e-7;

export function parameterCountOf(arch: DenseArchitecture): number {
  let n = 0;
  for (let l = 1; l < arch.widths.length; l++) n += (arch.widths[l - 1]! + 1) * arch.widths[l]!;
  return n;
}

/** Glorot-uniform kernels and zero biases from `random`, as TF.js initialises a dense layer. */
export function initialWeights(arch: DenseArchitecture, random: RandomSource): Float32Array {
  checkArchitecture(arch);
  const weights = new Float32Array(parameterCountOf(arch));
  const word = new Uint32Array(1);
  const bytes = new Uint8Array(word.buffer);
  let offset = 0;
  for (let l = 1; l < arch.widths.length; l++) {
    const fanIn = arch.widths[l - 1]!;
    const fanOut = arch.widths[l]!;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < fanIn * fanOut; i++) {
      random.fill(bytes);
      weights[offset + i] = ((word[0]! / 2 ** 32) * 2 - 1) * limit;
    }
    offset += (fanIn + 1) * fanOut; // the bias stays zero
  }
  return weights;
}

/**
 * Trains from `weights` on `data` and returns the new weights; `seed` orders the batches. Scratch
 * buffers are allocated once per call, not per example.
 */
export function trainDense(
  arch: DenseArchitecture,
  weights: Float32Array,
  data: TabularSplit,
  settings: SgdSettings,
  seed: Uint8Array,
): Float32Array {
  checkArchitecture(arch);
  if (data.features !== arch.widths[0])
    throw new InvalidArgumentError(
      'data',
      `has ${data.features} features; the model takes ${arch.widths[0]}`,
    );
  const w = Float64Array.from(weights);
  const grad = new Float64Array(w.length);
  const layers = arch.widths.length - 1;
  const activations = arch.widths.map((width) => new Float64Array(width));
  const deltas = arch.widths.map((width) => new Float64Array(width));
  const offsets: number[] = [0];
  for (let l = 1; l < arch.widths.length; l++)
    offsets.push(offsets[l - 1]! + (arch.widths[l - 1]! + 1) * arch.widths[l]!);
  const random = seededRandom(seed);
  for (const order of trainingPasses(data.rows, settings, settings.batchSize, random)) {
    for (let start = 0; start < order.length; start += settings.batchSize) {
      const end = Math.min(order.length, start + settings.batchSize);
      grad.fill(0);
      for (let k = start; k < end; k++) {
        const row = order[k]!;
        forward(arch, w, data.x, row, activations);
        // Output unit: d(BCE)/d(logit) = p − y for a sigmoid output.
        deltas[layers]![0] = activations[layers]![0]! - data.y[row]!;
        backward(arch, w, activations, deltas, grad, offsets);
      }
      const scale = settings.learningRate / (end - start);
      for (let i = 0; i < w.length; i++) w[i] = w[i]! - scale * grad[i]!;
    }
  }
  return Float32Array.from(w);
}

/** P(y = 1) for every row of `x`. */
export function predictDense(
  arch: DenseArchitecture,
  weights: Float32Array,
  data: TabularSplit,
): Float64Array {
  checkArchitecture(arch);
  const w = Float64Array.from(weights);
  const activations = arch.widths.map((width) => new Float64Array(width));
  const out = new Float64Array(data.rows);
  for (let row = 0; row < data.rows; row++) {
    forward(arch, w, data.x, row, activations);
    out[row] = activations[arch.widths.length - 1]![0]!;
  }
  return out;
}

/** Mean binary cross-entropy of `predictions` (clipped like Keras). */
export function binaryCrossEntropy(predictions: Float64Array, labels: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) {
    const p = Math.min(1 - EPSILON, Math.max(EPSILON, predictions[i]!));
    sum -= labels[i]! * Math.log(p) + (1 - labels[i]!) * Math.log(1 - p);
  }
  return sum / predictions.length;
}

function forward(
  arch: DenseArchitecture,
  w: Float64Array,
  x: Float32Array,
  row: number,
  activations: Float64Array[],
): void {
  const input = activations[0]!;
  const features = arch.widths[0]!;
  for (let f = 0; f < features; f++) input[f] = x[row * features + f]!;
  let offset = 0;
  const last = arch.widths.length - 1;
  for (let l = 1; l <= last; l++) {
    const fanIn = arch.widths[l - 1]!;
    const units = arch.widths[l]!;
    const prev = activations[l - 1]!;
    const out = activations[l]!;
    const bias = offset + fanIn * units;
    for (let u = 0; u < units; u++) {
      let z = w[bias + u]!;
      for (let i = 0; i < fanIn; i++) z += prev[i]! * w[offset + i * units + u]!;
      out[u] =
        l === last ? 1 / (1 + Math.exp(-z)) : arch.activation === 'relu' ? Math.max(0, z) : Math.tanh(z);
    }
    offset = bias + units;
  }
}

function backward(
  arch: DenseArchitecture,
  w: Float64Array,
  activations: Float64Array[],
  deltas: Float64Array[],
  grad: Float64Array,
  offsets: readonly number[],
): void {
  for (let l = arch.widths.length - 1; l >= 1; l--) {
    const fanIn = arch.widths[l - 1]!;
    const units = arch.widths[l]!;
    const offset = offsets[l - 1]!;
    const bias = offset + fanIn * units;
    const prev = activations[l - 1]!;
    const delta = deltas[l]!;
    for (let u = 0; u < units; u++) {
      const d = delta[u]!;
      grad[bias + u]! += d;
      for (let i = 0; i < fanIn; i++) grad[offset + i * units + u]! += prev[i]! * d;
    }
    if (l === 1) break;
    const prevDelta = deltas[l - 1]!;
    for (let i = 0; i < fanIn; i++) {
      let sum = 0;
      for (let u = 0; u < units; u++) sum += w[offset + i * units + u]! * delta[u]!;
      const a = prev[i]!;
      prevDelta[i] = sum * (arch.activation === 'relu' ? (a > 0 ? 1 : 0) : 1 - a * a);
    }
  }
}

function checkArchitecture(arch: DenseArchitecture): void {
  if (arch.widths.length < 2 || arch.widths[arch.widths.length - 1] !== 1)
    throw new InvalidArgumentError('model', 'needs at least an input width and one sigmoid output unit');
  arch.widths.forEach((width, i) => {
    if (!Number.isSafeInteger(width) || width < 1)
      throw new InvalidArgumentError(`model.widths[${i}]`, `expected a positive integer, got ${width}`);
  });
}
