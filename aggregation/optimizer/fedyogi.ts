import { AdaptiveOptimizer } from './fedadam.js';
import type { AdaptiveConfig, ServerOptimizerState } from './server-optimizer.js';

/**
 * Yogi's additive rule, v ← v − (1−β2)·Δ²·sign(v − Δ²) (Zaheer et al. 2018): v moves by at most
 * (1−β2)·Δ² per step in either direction, so one quiet round cannot make v collapse and the next
 * noisy round take a huge step, which is the failure mode of Adam with heterogeneous clients. When
 * Δ² = v exactly, sign is 0 and v is kept.
 */
export class FedYogi extends AdaptiveOptimizer<'fedyogi'> {
  constructor(config: AdaptiveConfig, dimension: number, state?: ServerOptimizerState) {
    super('fedyogi', config, dimension, state);
  }

  protected secondMoment(v: number, deltaSquared: number): number {
    const gap = v - deltaSquared;
    const sign = gap > 0 ? 1 : gap < 0 ? -1 : 0;
    return v - (1 - this.beta2) * deltaSquared * sign;
  }
}
