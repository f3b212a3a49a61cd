import { createRobustRule, type RobustRule } from '../../aggregation/robust/index.js';
import type { DistributedNoisePlan } from '../../aggregation/privacy/index.js';
import type { MaskRemover, SecAggParameters } from '../../aggregation/secagg/index.js';
import type { WeightedUpdateParams } from '../../aggregation/vector/weighted-update.js';
import { assignBuckets, bucketSeed } from '../../aggregation/robust/buckets.js';
import { runSecureSum, type SecureSum } from './secure-sum.js';
import { RoundAbortedError, type RoundAggregate, type RoundContext } from './round-aggregate.js';
import { suspicionScores } from '../../aggregation/robust/suspicion.js';

export interface BucketedRoundOptions {
  readonly weighting: WeightedUpdateParams;
  readonly remover?: MaskRemover;
  readonly noiseFor?: (parameters: SecAggParameters) => DistributedNoisePlan | undefined;
  /** Central DP: adds noise to each bucket's mean before the rule sees it. */
  readonly noiseBucketMean?: (mean: Float32Array, survivors: number) => void;
  /** Where centered clipping starts: last round's combined update. */
  readonly centre?: Float32Array;
}

/**
 * Mode `secure+robust`: each bucket is its own secure aggregation, so the coordinator learns only
 * bucket sums of >= bucketSize members; the robust rule then combines the bucket means, weighted by
 * their example counts where the rule averages. A bucket that aborts is left out and recorded; the
 * round aborts only when too few buckets remain for the rule.
 */
export async function runBucketedRound(
  ctx: RoundContext,
  options: BucketedRoundOptions,
): Promise<RoundAggregate> {
  const { aggregation } = ctx.config;
  const rule: RobustRule = createRobustRule(aggregation.rule!);
  const seed = bucketSeed(ctx.random);
  const buckets = assignBuckets(ctx.participants, aggregation.bucketSize!, seed);
  ctx.log({ event: 'buckets-assigned', round: ctx.round, seed: Buffer.from(seed).toString('hex'), buckets });
  const outcomes = await Promise.allSettled(
    buckets.map((members, i) =>
      runSecureSum(ctx, members, options.weighting, {
        label: String(i),
        ...(options.remover === undefined ? {} : { remover: options.remover }),
        ...(options.noiseFor === undefined ? {} : { noiseFor: options.noiseFor }),
      }),
    ),
  );
  const sums: { bucket: number; sum: SecureSum }[] = [];
  const aborted: { bucket: number; reason: string }[] = [];
  // A bucket that aborted still proved who misbehaved in it.
  const culprits = new Map<number, string>();
  outcomes.forEach((o, bucket) => {
    if (o.status === 'fulfilled') {
      sums.push({ bucket, sum: o.value });
      for (const [id, why] of o.value.culprits) culprits.set(id, why);
    } else {
      aborted.push({ bucket, reason: o.reason instanceof Error ? o.reason.message : String(o.reason) });
      if (o.reason instanceof RoundAbortedError)
        for (const [id, why] of o.reason.culprits) culprits.set(id, why);
    }
  });
  for (const a of aborted) ctx.log({ event: 'bucket-aborted', round: ctx.round, ...a });
  if (sums.length < rule.minClients())
    throw new RoundAbortedError(
      `${sums.length} of ${buckets.length} buckets completed; ${rule.name} needs at least ${rule.minClients()}`,
      culprits,
    );
  const means = sums.map(({ sum }) => {
    const mean = sum.meanDelta;
    options.noiseBucketMean?.(mean, sum.survivors.length);
    return mean;
  });
  const combined = rule.aggregate({
    updates: means,
    weights: sums.map(({ sum }) => Math.max(1, sum.examples)),
    ...(options.centre === undefined ? {} : { centre: options.centre }),
  });
  const suspicion = suspicionScores(
    sums.map(({ sum }) => sum.survivors),
    means,
    combined.result,
  );
  const counted = sums.map(({ sum }) => sum);
  return {
    ...(ctx.clipIndicator
      ? {
          clipBits: {
            fitted: counted.reduce((n, s) => n + (s.fitted ?? 0), 0),
            clients: counted.reduce((n, s) => n + s.survivors.length, 0),
          },
        }
      : {}),
    meanDelta: combined.result,
    survivors: sums.flatMap(({ sum }) => sum.survivors).sort((a, b) => a - b),
    examples: sums.reduce((n, { sum }) => n + sum.examples, 0),
    culprits,
    suspicion,
    sums: sums.map(({ sum }) => ({
      survivors: sum.survivors.length,
      ...(sum.noise ? { plan: sum.noise } : {}),
    })),
    record: {
      mode: 'secure+robust',
      rule: aggregation.rule,
      bucketSeed: Buffer.from(seed).toString('hex'),
      buckets,
      bucketsCompleted: sums.map(({ bucket }) => bucket),
      bucketsAborted: aborted,
      bucketsSelected: combined.selected.map((i) => sums[i]!.bucket),
    },
  };
}
