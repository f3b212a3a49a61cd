import type { LayersModel } from '@tensorflow/tfjs';
import type { ModelSpec } from '../proto/model-spec.js';
import {
  assignWeights,
  buildModelFromSpec,
  flattenWeights,
  trainLocally,
  type TF,
  type TrainingData,
} from './training/index.js';

/** The coordinator's instructions for one round of local training. */
export interface TrainingPlan {
  /** Exactly one of epochs and steps is nonzero (see LocalSchedule). */
  readonly epochs: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
}

export interface TrainingContext {
  readonly round: number;
  readonly spec: ModelSpec;
  readonly plan: TrainingPlan;
}

/** What local training hands back: the new weights, how many examples produced them, and any metrics to report. */
export interface LocalTrainingResult {
  readonly weights: Float32Array;
  readonly numExamples: number;
  readonly metrics?: Readonly<Record<string, number>>;
}

/**
 * The member's own training step, for embedding code that trains its own way (another framework, a
 * custom loop). It receives the global weights in the flattened layout of `flattenWeights` and returns
 * weights in the same layout; the SDK forms, clips, weights and masks the update.
 */
export interface LocalTrainer {
  train(globalWeights: Float32Array, context: TrainingContext): Promise<LocalTrainingResult>;
}

/**
 * The SDK running the local training itself with TF.js on `data`: builds the announced architecture once,
 * loads the global weights each round and trains with the round's plan. `seed` fixes the batch order
 * per round, so a rerun of a member is reproducible.
 */
export function tfjsTrainer(tf: TF, data: TrainingData, seed: number): LocalTrainer {
  let model: LayersModel | undefined;
  let builtFor: string | undefined;
  return {
    async train(globalWeights, { round, spec, plan }) {
      const key = JSON.stringify(spec);
      if (model === undefined || builtFor !== key) {
        model?.dispose();
        model = await buildModelFromSpec(tf, spec, seed);
        builtFor = key;
      }
      assignWeights(model, globalWeights);
      const result = await trainLocally(tf, model, data, { ...plan, seed: seed * 1000 + round });
      return {
        weights: flattenWeights(model),
        numExamples: result.numExamples,
        metrics: { loss: result.loss, accuracy: result.accuracy },
      };
    },
  };
}
