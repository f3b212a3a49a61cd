import type { RandomSource } from '../crypto/random-source.js';
import type { SecAggParameters } from '../secagg/parameters.js';
import type { QuantizerParams } from '../vector/quantize.js';
import type { WeightedUpdateParams } from '../vector/weighted-update.js';
import {
  PrivacyAccountant,
  budgetExceededMessage,
  type PrivacyAccountantState,
  type PrivacyBudget,
  type RoundPrivacy,
} from './accountant.js';
import { planDistributedNoise, skellamRoundEvent, type DistributedNoisePlan } from './distributed-noise.js';
import { adaptiveClipNoiseMultiplier } from './adaptive-clipping.js';
import { addGaussianNoise } from './gaussian-noise.js';
import { dequantizeNoisySum } from './noisy-sum.js';
import type { PrivacyEvent } from './privacy-events.js';

/** δ reported when noise is on but no budget is set: 1e-5, the usual order of 1/records. */
export const DEFAULT_PRIVACY_DELTA = 1e-5;

export interface PrivacySettings {
  readonly mode: 'none' | 'central' | 'distributed';
  /** z: noise stddev over the clipping bound, for the sum of the fewest survivors. */
  readonly noiseMultiplier?: number | undefined;
  readonly budget?: PrivacyBudget | undefined;
  /** C: the L2 bound every update is clipped to. */
  readonly clipNorm: number;
  readonly quantizer: QuantizerParams;
  /** Example-count weighting used when privacy is off. */
  readonly exampleCap: number;
  /** Fraction of members assumed to collude with the aggregator (their noise does not count). */
  readonly corruptFraction: number;
  /** Set when adaptive clipping releases a noised count of unclipped updates with this stddev. */
  readonly clipBitNoiseStddev?: number | undefined;
}

/**
 * A federation's differential privacy, the same for the coordinator and the simulator: how updates are
 * weighted, the noise added (by the aggregator in central mode, by each member in distributed mode),
 * and the accountant that turns every released sum into (ε, δ) and refuses a round that would exceed
 * the budget.
 *
 * Two conservative choices, both so the reported ε is an upper bound rather than an estimate:
 * - No amplification by subsampling is claimed (sampling rate 1): members are selected as a fixed-size
 *   uniform sample, not by the Poisson sampling the subsampled-Gaussian bound assumes.
 * - With noise on, updates are unweighted (exampleCap 1): a member's example count would otherwise
 *   enter the sum un-noised and change its sensitivity. The count word then sums to the number of
 *   survivors, which the aggregator knows anyway.
 */
export class PrivacyPolicy {
  private readonly accountant: PrivacyAccountant | undefined;

  constructor(
    private readonly settings: PrivacySettings,
    state?: PrivacyAccountantState,
  ) {
    this.accountant =
      settings.mode === 'none'
        ? undefined
        : new PrivacyAccountant({ delta: settings.budget?.delta ?? DEFAULT_PRIVACY_DELTA }, state);
  }

  get enabled(): boolean {
    return this.accountant !== undefined;
  }

  weighting(): WeightedUpdateParams {
    const { settings } = this;
    return {
      quantizer: settings.quantizer,
      clipNorm: settings.clipNorm,
      exampleCap: this.enabled ? 1 : settings.exampleCap,
    };
  }

  /**
   * Distributed mode: the Skellam noise each member of a secure-aggregation instance adds. Parameters
   * from `roundParameters` carry the corrupt members a member itself assumes (⌊γN⌋ of the federation);
   * without them, ⌊γn⌋ of the instance.
   */
  distributedNoise(
    parameters: SecAggParameters & { readonly corruptClients?: number },
    modelParameters: number,
  ): DistributedNoisePlan | undefined {
    const { settings } = this;
    if (settings.mode !== 'distributed') return undefined;
    return planDistributedNoise({
      quantizer: settings.quantizer,
      clipNorm: settings.clipNorm,
      dimension: modelParameters,
      noiseMultiplier: settings.noiseMultiplier!,
      // Members colluding with the aggregator can leave their share out (or reveal it), so the noise
      // must reach the target from the honest survivors alone: t minus the corrupt members assumed.
      minSurvivors: Math.max(
        1,
        parameters.threshold -
          (parameters.corruptClients ?? Math.floor(settings.corruptFraction * parameters.clients)),
      ),
      maxClients: parameters.clients,
    });
  }

  /**
   * Central mode: N(0, (z·C)²) on the sum of `survivors` unweighted updates, i.e. (z·C/survivors)² on
   * their mean. With adaptive clipping C is this round's bound, and the update sum uses the slightly
   * larger z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2), so that it and the clip-bit count together cost exactly z.
   */
  addCentralNoise(
    mean: Float32Array,
    survivors: number,
    random: RandomSource,
    clipNorm: number = this.settings.clipNorm,
  ): void {
    const { settings } = this;
    if (settings.mode !== 'central') return;
    const z =
      settings.clipBitNoiseStddev === undefined
        ? settings.noiseMultiplier!
        : adaptiveClipNoiseMultiplier(settings.noiseMultiplier!, settings.clipBitNoiseStddev);
    addGaussianNoise(mean, (z * clipNorm) / survivors, random);
  }

  /**
   * The budget message if the next round, at its least noisy, would exceed the budget; undefined when
   * it may run. `instance` sizes the smallest secure-aggregation instance (a bucket, or the round).
   */
  refuseRound(round: number, instance: SecAggParameters, modelParameters: number): string | undefined {
    const budget = this.settings.budget;
    if (this.accountant === undefined || budget === undefined) return undefined;
    const event = this.worstCaseEvent(instance, modelParameters);
    if (!this.accountant.wouldExceed(event, budget)) return undefined;
    return budgetExceededMessage(round, this.accountant.spentAfter(event, budget.delta).epsilon, budget);
  }

  /**
   * Records what a round released: in central mode one Gaussian release; in distributed mode the least
   * noisy of its sums (buckets hold disjoint members, so a member's privacy is that of its own bucket,
   * and the weakest bucket bounds them all).
   */
  record(
    released: readonly { plan?: DistributedNoisePlan | undefined; survivors: number }[],
  ): RoundPrivacy | undefined {
    if (this.accountant === undefined || released.length === 0) return undefined;
    if (this.settings.mode === 'central') return this.accountant.compose(this.gaussianEvent());
    const events = released.map((r) => skellamRoundEvent(r.plan!, r.survivors));
    const strength = (e: { variance: number; l2Sensitivity: number }) => e.variance / e.l2Sensitivity ** 2;
    return this.accountant.compose(events.reduce((a, b) => (strength(b) < strength(a) ? b : a)));
  }

  state(): PrivacyAccountantState | undefined {
    return this.accountant?.state();
  }

  private gaussianEvent(): PrivacyEvent {
    return { kind: 'gaussian', samplingRate: 1, noiseMultiplier: this.settings.noiseMultiplier!, steps: 1 };
  }

  private worstCaseEvent(instance: SecAggParameters, modelParameters: number): PrivacyEvent {
    if (this.settings.mode === 'central') return this.gaussianEvent();
    const plan = this.distributedNoise(instance, modelParameters)!;
    return skellamRoundEvent(plan, plan.minSurvivors);
  }
}

/**
 * The mean update from a noisy secure sum of `survivors` unweighted encodings (the layout of
 * `encodeWeightedUpdate` with exampleCap 1): the words are read centred, since noise may have pushed
 * the sum below zero, and the last word, the survivor count, is returned as the example count.
 */
export function decodeNoisyMean(
  sum: Uint32Array,
  survivors: number,
  quantizer: QuantizerParams,
): { meanDelta: Float32Array; examples: number } {
  const d = sum.length - 1;
  const meanDelta = dequantizeNoisySum(sum.subarray(0, d), quantizer, survivors);
  for (let i = 0; i < d; i++) meanDelta[i] = meanDelta[i]! / survivors;
  return { meanDelta, examples: sum[d]! };
}
