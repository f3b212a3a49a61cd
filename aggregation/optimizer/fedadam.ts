import { InvalidArgumentError, UnsafeParametersError } from '../errors.js';
import {
  checkDimension,
  checkPositive,
  checkState,
  checkStepInputs,
  type AdaptiveConfig,
  type ServerOptimizer,
  type ServerOptimizerState,
} from './server-optimizer.js';

type AdaptiveKind = AdaptiveConfig['kind'];

function checkBeta(value: number, field: string): number {
  if (!(value >= 0 && value < 1)) throw new InvalidArgumentError(field, `must be in [0, 1), got ${value}`);
  return value;
}

/**
 * Algorithm 2 of Reddi et al. 2021, shared by FedAdam and FedYogi, which differ only in how v follows Δ²:
 *   m ← β1·m + (1−β1)·Δ,   v ← secondMoment(v, Δ²),   x ← x + η·m/(√v + τ).
 * No bias correction, as in the paper: v starts at τ² rather than 0, so early steps are not inflated
 * the way uncorrected Adam's are. τ² is the smallest start the paper allows (v₋₁ ≥ τ²); a larger one
 * damps the first rounds, for Yogi for many rounds since its v shrinks by only (1−β2)·Δ² per step.
 * Moments are kept in float32 (the checkpointed form), the arithmetic of one step in float64.
 */
export abstract class AdaptiveOptimizer<K extends AdaptiveKind> implements ServerOptimizer {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly tau: number;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private steps: number;

  protected constructor(
    readonly kind: K,
    config: AdaptiveConfig,
    dimension: number,
    state?: ServerOptimizerState,
  ) {
    if (config.kind !== kind)
      throw new InvalidArgumentError('kind', `expected '${kind}', got '${config.kind}'`);
    this.learningRate = checkPositive(config.learningRate, 'learningRate');
    this.beta1 = checkBeta(config.beta1 ?? 0.9, 'beta1');
    this.beta2 = checkBeta(config.beta2 ?? 0.99, 'beta2');
    this.tau = checkPositive(config.tau ?? 1e-3, 'tau');
    checkDimension(dimension);
    if (state === undefined) {
      this.m = new Float32Array(dimension);
      this.v = new Float32Array(dimension).fill(this.tau * this.tau);
      this.steps = 0;
    } else {
      const resumed = checkState(state, kind, dimension);
      this.m = resumed.m as Float32Array;
      this.v = resumed.v as Float32Array;
      this.steps = resumed.steps;
    }
  }

  /** v_t from v_{t−1} and Δ²: the one place the two optimizers differ. */
  protected abstract secondMoment(v: number, deltaSquared: number): number;

  step(weights: Float32Array, averagedDelta: Float32Array): Float32Array {
    checkStepInputs(weights, averagedDelta, this.m.length);
    const { learningRate: lr, beta1: b1, tau, m, v } = this;
    const out = new Float32Array(m.length);
    // Pass 1 computes the new weights from the would-be moments and checks them for float32 overflow
    // before anything is stored, so a step that throws leaves the state as it was.
    for (let i = 0; i < out.length; i++) {
      const d = averagedDelta[i] as number;
      const mi = Math.fround(b1 * (m[i] as number) + (1 - b1) * d);
      const vi = Math.fround(this.secondMoment(v[i] as number, d * d));
      const x = Math.fround((weights[i] as number) + (lr * mi) / (Math.sqrt(vi) + tau));
      if (!Number.isFinite(vi) || !Number.isFinite(x)) {
        throw new UnsafeParametersError(`element ${i} overflows float32 (v = ${vi}, weight = ${x})`);
      }
      out[i] = x;
    }
    // Pass 2 commits the same moments (same float64 expressions, same float32 rounding).
    for (let i = 0; i < out.length; i++) {
      const d = averagedDelta[i] as number;
      m[i] = b1 * (m[i] as number) + (1 - b1) * d;
      v[i] = this.secondMoment(v[i] as number, d * d);
    }
    this.steps++;
    return out;
  }

  state(): ServerOptimizerState {
    return { kind: this.kind, steps: this.steps, m: Float32Array.from(this.m), v: Float32Array.from(this.v) };
  }
}

/**
 * Adam's exponential average, v ← β2·v + (1−β2)·Δ²: v follows Δ² at the same rate whether Δ² rises or
 * falls, so after a quiet stretch the effective step η/√v grows back quickly.
 */
export class FedAdam extends AdaptiveOptimizer<'fedadam'> {
  constructor(config: AdaptiveConfig, dimension: number, state?: ServerOptimizerState) {
    super('fedadam', config, dimension, state);
  }

  protected secondMoment(v: number, deltaSquared: number): number {
    return this.beta2 * v + (1 - this.beta2) * deltaSquared;
  }
}
