import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { seededRandom } from '../../aggregation/crypto/random-source.js';
import type { TF } from './backend.js';
import { SHUFFLE_STREAM, streamSeed } from './models.js';
import { checkSchedule, trainingPasses } from '../../aggregation/training/schedule.js';

/** Row-major features (`rows × features`) and binary labels (`rows × output units`, each 0 or 1). */
export interface TrainingData {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  features: number;
}

export interface TrainOptions {
  /** Passes over the data; 0 when `steps` sets the schedule (see LocalSchedule). */
  epochs: number;
  /** Minibatches to take instead of epochs; 0 or absent when `epochs` does. */
  steps?: number | undefined;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export interface TrainResult {
  numExamples: number;
  loss: number;
  accuracy: number;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  /** NaN when the labels are all of one class: the ranking is then undefined. */
  auc: number;
}

/** Keras clips probabilities by the same epsilon before taking logs, so our loss matches `fit`'s. */
const EPSILON = 1e-7;

/**
 * Local SGD on binary cross-entropy. `fit`'s own shuffle draws from JavaScript's unseeded global generator, which would make two
 * clients with the same seed diverge; instead each pass of the schedule is one `fit` call over rows we
 * ordered with a seeded stream, with `shuffle: false`. The reported loss and accuracy are those of the final
 * weights on the local data (not running averages over the epoch), so they compare with `evaluate`.
 */
export async function trainLocally(
  tf: TF,
  model: LayersModel,
  data: TrainingData,
  options: TrainOptions,
): Promise<TrainResult> {
  const outputs = checkData(model, data);
  checkSchedule(options);
  checkPositiveInteger('batchSize', options.batchSize);
  if (!(Number.isFinite(options.learningRate) && options.learningRate > 0)) {
    throw new RangeError(`learningRate: expected a positive number, got ${options.learningRate}`);
  }
  const random = seededRandom(streamSeed(options.seed, SHUFFLE_STREAM));
  // An optimizer passed to compile stays ours to dispose: it holds the learning rate as a tensor.
  const optimizer = tf.train.sgd(options.learningRate);
  try {
    model.compile({ optimizer, loss: 'binaryCrossentropy' });
    const { rows, features } = data;
    for (const order of trainingPasses(rows, options, options.batchSize, random)) {
      const xs = tf.tensor2d(gatherRows(data.x, features, order), [order.length, features]);
      const ys = tf.tensor2d(gatherRows(data.y, outputs, order), [order.length, outputs]);
      try {
        // verbose 0: tfjs-node registers a progress bar that would otherwise print to stdout.
        await model.fit(xs, ys, { epochs: 1, batchSize: options.batchSize, shuffle: false, verbose: 0 });
      } finally {
        xs.dispose();
        ys.dispose();
      }
    }
  } finally {
    optimizer.dispose();
  }
  const { loss, accuracy } = evaluate(tf, model, data);
  return { numExamples: data.rows, loss, accuracy };
}

/**
 * Loss, accuracy (threshold 0.5, as Keras' binaryAccuracy) and ROC AUC. With several output units
 * every (row, unit) pair counts as one binary decision (micro-averaging).
 */
export function evaluate(tf: TF, model: LayersModel, data: TrainingData): Evaluation {
  checkData(model, data);
  const scores = tf.tidy(() => {
    const x = tf.tensor2d(data.x, [data.rows, data.features]);
    return Float32Array.from((model.predict(x) as Tensor).dataSync());
  });
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(Math.max(scores[i]!, EPSILON), 1 - EPSILON);
    const positive = data.y[i] === 1;
    loss -= positive ? Math.log(p) : Math.log(1 - p);
    if (scores[i]! > 0.5 === positive) correct++;
  }
  return { loss: loss / scores.length, accuracy: correct / scores.length, auc: rankAuc(scores, data.y) };
}

/**
 * AUC as the Mann–Whitney statistic: the chance a random positive outscores a random negative, ties
 * counting half. Computed from average ranks, so it is exact and O(n log n) with no thresholds.
 */
export function rankAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n;) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function gatherRows(source: Float32Array, width: number, order: Uint32Array): Float32Array {
  const out = new Float32Array(order.length * width);
  order.forEach((row, i) => out.set(source.subarray(row * width, (row + 1) * width), i * width));
  return out;
}

/** Returns the model's output width; shape errors here name lengths, unlike TF's deep stack traces. */
function checkData(model: LayersModel, data: TrainingData): number {
  checkPositiveInteger('rows', data.rows);
  checkPositiveInteger('features', data.features);
  const inputs = model.inputs[0]?.shape[1];
  if (inputs !== data.features) {
    throw new RangeError(`data: model expects ${inputs} features, got ${data.features}`);
  }
  const outputs = model.outputs[0]?.shape[1] ?? 1;
  if (data.x.length !== data.rows * data.features) {
    throw new RangeError(`data.x: expected ${data.rows * data.features} values, got ${data.x.length}`);
  }
  if (data.y.length !== data.rows * outputs) {
    throw new RangeError(`data.y: expected ${data.rows * outputs} values, got ${data.y.length}`);
  }
  const bad = data.y.findIndex((v) => v !== 0 && v !== 1);
  if (bad >= 0) throw new RangeError(`data.y[${bad}]: labels must be 0 or 1, got ${data.y[bad]}`);
  return outputs;
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name}: expected a positive integer, got ${value}`);
  }
}
