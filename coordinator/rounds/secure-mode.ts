import type { DistributedNoisePlan } from '../../aggregation/privacy/index.js';
import type { MaskRemover, SecAggParameters } from '../../aggregation/secagg/index.js';
import type { WeightedUpdateParams } from '../../aggregation/vector/weighted-update.js';
import type { RoundAggregate, RoundContext } from './round-aggregate.js';
import { runSecureSum } from './secure-sum.js';

export interface SecureModeOptions {
  readonly weighting: WeightedUpdateParams;
  readonly remover?: MaskRemover;
  readonly noiseFor?: (parameters: SecAggParameters) => DistributedNoisePlan | undefined;
  /** Central DP: noise on the survivors' mean. */
  readonly noiseMean?: (mean: Float32Array, survivors: number) => void;
}

/** Mode `secure`: one secure aggregation over every selected member; weighted FedAvg of the survivors. */
export async function runSecureRound(ctx: RoundContext, options: SecureModeOptions): Promise<RoundAggregate> {
  const sum = await runSecureSum(ctx, ctx.participants, options.weighting, {
    ...(options.remover === undefined ? {} : { remover: options.remover }),
    ...(options.noiseFor === undefined ? {} : { noiseFor: options.noiseFor }),
  });
  options.noiseMean?.(sum.meanDelta, sum.survivors.length);
  return {
    meanDelta: sum.meanDelta,
    survivors: sum.survivors,
    examples: sum.examples,
    culprits: sum.culprits,
    sums: [{ survivors: sum.survivors.length, ...(sum.noise ? { plan: sum.noise } : {}) }],
    ...(sum.fitted === undefined ? {} : { clipBits: { fitted: sum.fitted, clients: sum.survivors.length } }),
    record: {
      mode: 'secure',
      degree: sum.parameters.degree,
      threshold: sum.parameters.threshold,
      dropped: sum.dropped,
    },
  };
}
