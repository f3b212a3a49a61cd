import { UnsafeParametersError } from '../errors.js';
import {
  checkDimension,
  checkPositive,
  checkState,
  checkStepInputs,
  type FedAvgConfig,
  type ServerOptimizer,
  type ServerOptimizerState,
} from './server-optimizer.js';

/**
 * x ← x + η·Δ. With η = 1 the new model is the example-weighted average of the client models (McMahan
 * et al. 2017); η ≠ 1 is server-side SGD on the pseudo-gradient, the non-adaptive baseline of Reddi et al.
 */
export class FedAvg implements ServerOptimizer {
  readonly kind = 'fedavg';
  readonly learningRate: number;
  private readonly dimension: number;
  private steps: number;

  constructor(config: FedAvgConfig, dimension: number, state?: ServerOptimizerState) {
    this.learningRate = checkPositive(config.learningRate ?? 1, 'learningRate');
    this.dimension = checkDimension(dimension);
    this.steps = state === undefined ? 0 : checkState(state, 'fedavg', this.dimension).steps;
  }

  step(weights: Float32Array, averagedDelta: Float32Array): Float32Array {
    checkStepInputs(weights, averagedDelta, this.dimension);
    const lr = this.learningRate;
    const out = new Float32Array(this.dimension);
    for (let i = 0; i < out.length; i++) {
      const x = Math.fround((weights[i] as number) + lr * (averagedDelta[i] as number));
      // Finite inputs can still overflow float32; a model with ±Infinity would be unrecoverable.
      if (!Number.isFinite(x)) throw new UnsafeParametersError(`weight ${i} overflows float32 (${x})`);
      out[i] = x;
    }
    this.steps++;
    return out;
  }

  state(): ServerOptimizerState {
    return { kind: 'fedavg', steps: this.steps, m: null, v: null };
  }
}
