import { shuffle, systemRandom, type RandomSource } from '../aggregation/crypto/random-source.js';
import { InvalidArgumentError, UnsafeParametersError } from '../aggregation/errors.js';
import {
  createServerOptimizer,
  decodeServerOptimizerState,
  encodeServerOptimizerState,
} from '../aggregation/optimizer/index.js';
import {
  initialAdaptiveClip,
  PrivacyPolicy,
  updateClipBound,
  type PrivacyAccountantState,
} from '../aggregation/privacy/index.js';
import type { MaskRemover, SecAggParameters } from '../aggregation/secagg/index.js';
import type { WeightedUpdateParams } from '../aggregation/vector/weighted-update.js';
import { modelSpecJson, type ModelSpec } from '../proto/model-spec.js';
import type { FederationConfig } from './config/index.js';
import type { CoordinatorService } from './grpc/service.js';
import type { Membership } from './membership.js';
import { Quarantine, type QuarantineRecord } from './quarantine.js';
import { runBucketedRound } from './rounds/bucketed-mode.js';
import { runRobustRound } from './rounds/robust-mode.js';
import { RoundAbortedError, type RoundAggregate, type RoundContext } from './rounds/round-aggregate.js';
import { runSecureRound } from './rounds/secure-mode.js';
import { secAggParametersFor } from './rounds/secure-sum.js';
import type { CheckpointStore } from './store/index.js';

export interface FederationDeps {
  readonly config: FederationConfig;
  readonly membership: Membership;
  readonly service: CoordinatorService;
  readonly store: CheckpointStore;
  /** The architecture members build; sent as JSON in RoundStarted.model_spec_json. */
  readonly spec: ModelSpec;
  /** The starting weights of a fresh federation (members' trainer layout), e.g. a seeded TF.js model. */
  readonly initialWeights: () => Promise<Float32Array>;
  readonly log: (event: Record<string, unknown>) => void;
  readonly now?: () => Date;
  readonly random?: RandomSource;
  readonly remover?: MaskRemover;
  /** How long a round may wait for minimumClients members to be connected. */
  readonly memberWaitMs?: number;
}

/** How a federation ended. */
export interface FederationResult {
  /**
   * Rounds that produced a new model in this federation's life (its checkpoints after round 0, so rounds
   * before a coordinator restart count too); aborted rounds do not. What FederationFinished.rounds says.
   */
  readonly roundsAggregated: number;
  /** `rounds` in the federation file. */
  readonly roundsConfigured: number;
  /** Set when the privacy budget stopped training before roundsConfigured: the accountant's refusal. */
  readonly budgetStop?: string;
  readonly modelSha256: string;
  readonly weights: Float32Array;
}

/**
 * The coordinator's round loop: resume from the newest intact checkpoint, then for every round pick
 * members, publish the model, run training plus secure aggregation, decode the weighted mean update,
 * apply the server optimizer and checkpoint. An aborted round leaves the model unchanged and is
 * recorded; the loop goes on to the next round.
 */
export class Federation {
  constructor(private readonly deps: FederationDeps) {}

  async run(): Promise<FederationResult> {
    const { config, service, store, log } = this.deps;
    const now = this.deps.now ?? (() => new Date());
    const random = this.deps.random ?? systemRandom;
    const spec = this.deps.spec;
    const latest = await store.latest();
    let weights: Float32Array;
    let round: number;
    let parent: string;
    if (latest === undefined) {
      weights = await this.deps.initialWeights();
      parent = (
        await store.save({
          round: 0,
          model: bytesOf(weights),
          parentSha256: null,
          now: now(),
          participants: 0,
          aggregation: { spec },
          metrics: {},
        })
      ).modelSha256;
      round = 0;
    } else {
      weights = new Float32Array(latest.model.slice().buffer);
      parent = latest.manifest.modelSha256;
      round = latest.manifest.round;
      log({ event: 'resumed', round, model: parent, skipped: latest.skipped.length });
    }
    // Rounds that produced a model, this run's and any before a restart: checkpoints after round 0, up to
    // the one resumed from (a newer broken one is skipped, and its round is run again).
    let aggregated = (await store.list()).filter((m) => m.round > 0 && m.round <= round).length;
    let budgetStop: string | undefined;
    const optimizer = createServerOptimizer(
      config.serverOptimizer,
      weights.length,
      latest?.manifest.optimizerState === undefined
        ? undefined
        : decodeServerOptimizerState(Buffer.from(latest.manifest.optimizerState, 'base64')),
    );
    const privacy = new PrivacyPolicy(
      {
        ...config.privacy,
        clipNorm: config.training.clipNorm,
        quantizer: config.secureAggregation.quantization,
        exampleCap: config.training.exampleCap,
        corruptFraction: config.secureAggregation.corruptFraction,
        ...(config.training.clipping.kind === 'adaptive'
          ? { clipBitNoiseStddev: config.training.clipping.bitNoiseStddev }
          : {}),
      },
      privacyStateOf(latest?.manifest.metrics),
    );
    const clipping = config.training.clipping;
    const adaptive = clipping.kind === 'adaptive';
    let clipState = adaptive
      ? initialAdaptiveClip(clipBoundOf(latest?.manifest.metrics) ?? config.training.clipNorm, clipping)
      : undefined;
    let previousDelta: Float32Array | undefined;
    const quarantine = new Quarantine(
      config.secureAggregation.quarantineRounds,
      quarantineStateOf(latest?.manifest.metrics),
    );

    for (let r = round + 1; r <= config.rounds; r++) {
      const refusal = privacy.enabled
        ? privacy.refuseRound(r, this.smallestInstance(), weights.length)
        : undefined;
      if (refusal !== undefined) {
        log({ event: 'privacy-budget-exhausted', round: r, message: refusal });
        budgetStop = refusal;
        break;
      }
      // Adaptive clipping may not push the bound past the quantizer's range, or coordinates would be cut.
      const clipNorm = Math.min(
        clipState?.clipBound ?? config.training.clipNorm,
        config.secureAggregation.quantization.clipRange,
      );
      const weighting = { ...privacy.weighting(), clipNorm };
      const eligible = await this.connectedMembers((id) => quarantine.allows(id, r));
      const participants = pick(eligible, config.clientsPerRound, random);
      const modelSha256 = service.publishModel(bytesOf(weights));
      const started = Date.now();
      log({ event: 'round-started', round: r, participants, mode: config.aggregation.mode });
      const ctx: RoundContext = {
        round: r,
        participants,
        parameters: weights.length,
        plan: {
          modelSha256,
          modelSpecJson: modelSpecJson(spec),
          training: {
            epochs: config.training.epochs,
            steps: config.training.steps,
            batch_size: config.training.batchSize,
            learning_rate: config.training.learningRate,
            clip_norm: clipNorm,
            example_cap: weighting.exampleCap,
            report_clip_indicator: adaptive && config.aggregation.mode !== 'robust',
          },
        },
        config,
        service,
        membership: this.deps.membership,
        random,
        log,
        elapsedMs: () => Date.now() - started,
        clipNorm,
        clipIndicator: adaptive && config.aggregation.mode !== 'robust',
      };
      let aggregate: RoundAggregate;
      try {
        aggregate = await this.aggregateRound(ctx, privacy, weighting, previousDelta);
      } catch (error) {
        // Anything else is a coordinator bug, and aborting round after round would hide it.
        const expected =
          error instanceof RoundAbortedError ||
          error instanceof InvalidArgumentError ||
          error instanceof UnsafeParametersError;
        if (!expected) throw error;
        log({ event: 'round-aborted', round: r, reason: error.message, elapsedMs: Date.now() - started });
        if (error instanceof RoundAbortedError)
          for (const record of quarantine.add(r, error.culprits))
            log({ event: 'member-quarantined', round: r, ...record });
        continue;
      }
      const spent = privacy.record(aggregate.sums);
      if (clipState !== undefined && aggregate.clipBits !== undefined)
        clipState = updateClipBound(clipState, aggregate.clipBits.fitted, aggregate.clipBits.clients, random);
      weights = optimizer.step(weights, aggregate.meanDelta);
      previousDelta = aggregate.meanDelta;
      const suspicion =
        aggregate.suspicion === undefined ? undefined : Object.fromEntries(aggregate.suspicion);
      const culprits = aggregate.culprits ?? new Map<number, string>();
      for (const record of quarantine.add(r, culprits))
        log({ event: 'member-quarantined', round: r, ...record });
      const saved = await store.save({
        round: r,
        model: bytesOf(weights),
        parentSha256: parent,
        now: now(),
        participants: aggregate.survivors.length,
        aggregation: {
          spec,
          ...aggregate.record,
          optimizer: config.serverOptimizer.kind,
          privacy: config.privacy.mode,
        },
        metrics: {
          examples: aggregate.examples,
          survivors: aggregate.survivors,
          elapsedMs: Date.now() - started,
          clipNorm,
          ...(clipState === undefined || aggregate.clipBits === undefined
            ? {}
            : { clipFitted: aggregate.clipBits.fitted, nextClipNorm: clipState.clipBound }),
          ...(suspicion === undefined ? {} : { suspicion }),
          ...(culprits.size === 0 ? {} : { culprits: Object.fromEntries(culprits) }),
          quarantine: quarantine.state(r),
          ...(spent === undefined
            ? {}
            : {
                privacy: {
                  roundEpsilon: spent.roundEpsilon,
                  cumulativeEpsilon: spent.cumulativeEpsilon,
                  delta: spent.delta,
                  order: spent.order,
                  state: privacy.state(),
                },
              }),
        },
        optimizerState: encodeServerOptimizerState(optimizer.state()),
      });
      parent = saved.modelSha256;
      aggregated++;
      // Per member: a member whose late answer found the round already finished learns here that its
      // update counted all the same.
      const summed = new Set(aggregate.survivors);
      for (const id of participants)
        service.push(id, {
          event: 'round_finished',
          round_finished: {
            round: r,
            model_sha256: Buffer.from(parent, 'hex'),
            survivors: aggregate.survivors.length,
            aggregated: summed.has(id),
          },
        });
      log({
        event: 'round-finished',
        round: r,
        survivors: aggregate.survivors.length,
        examples: aggregate.examples,
        model: parent,
        elapsedMs: Date.now() - started,
        ...(suspicion === undefined ? {} : { suspicion }),
        ...(spent === undefined ? {} : { epsilon: spent.cumulativeEpsilon, delta: spent.delta }),
      });
    }
    const finalSha = service.publishModel(bytesOf(weights));
    for (const id of service.connected) {
      service.push(id, {
        event: 'federation_finished',
        federation_finished: { rounds: aggregated, model_sha256: finalSha },
      });
    }
    log({
      event: 'federation-finished',
      roundsAggregated: aggregated,
      roundsConfigured: config.rounds,
      model: parent,
      ...(budgetStop === undefined ? {} : { stoppedBy: 'privacy-budget', reason: budgetStop }),
    });
    return {
      roundsAggregated: aggregated,
      roundsConfigured: config.rounds,
      ...(budgetStop === undefined ? {} : { budgetStop }),
      modelSha256: parent,
      weights,
    };
  }

  private aggregateRound(
    ctx: RoundContext,
    privacy: PrivacyPolicy,
    weighting: WeightedUpdateParams,
    previousDelta: Float32Array | undefined,
  ): Promise<RoundAggregate> {
    const remover = this.deps.remover === undefined ? {} : { remover: this.deps.remover };
    const centre = previousDelta === undefined ? {} : { centre: previousDelta };
    const noiseFor = (parameters: SecAggParameters) => privacy.distributedNoise(parameters, ctx.parameters);
    const noiseMean = (mean: Float32Array, survivors: number) =>
      privacy.addCentralNoise(mean, survivors, ctx.random, ctx.clipNorm);
    switch (ctx.config.aggregation.mode) {
      case 'secure':
        return runSecureRound(ctx, { weighting, noiseFor, noiseMean, ...remover });
      case 'robust':
        return runRobustRound(ctx, {
          exampleCap: weighting.exampleCap,
          ...centre,
        });
      case 'secure+robust':
        return runBucketedRound(ctx, {
          weighting,
          noiseFor,
          noiseBucketMean: noiseMean,
          ...remover,
          ...centre,
        });
    }
  }

  /** The secure-aggregation instance with the fewest members a round can have: the least noise. */
  private smallestInstance(): SecAggParameters {
    const { config } = this.deps;
    const size =
      config.aggregation.mode === 'secure+robust' ? config.aggregation.bucketSize! : config.minimumClients;
    return secAggParametersFor(config, size);
  }

  /**
   * Connected members that `eligible` admits (not quarantined), once there are minimumClients of them and
   * the round they would make has safe secure-aggregation parameters: a round that could only abort is
   * not started (the federation file check makes this the same wait, unless the config was built by hand).
   */
  private async connectedMembers(eligible: (id: number) => boolean): Promise<number[]> {
    const { service, config } = this.deps;
    const deadline = Date.now() + (this.deps.memberWaitMs ?? 60_000);
    for (;;) {
      const members = service.connected.filter(eligible);
      const unsafe = members.length >= config.minimumClients ? this.unsafeRound(members.length) : undefined;
      if (members.length >= config.minimumClients && unsafe === undefined) return members;
      if (Date.now() > deadline) {
        const count = `only ${members.length} eligible members connected (${service.connected.length} in all, the rest quarantined)`;
        throw new Error(
          unsafe === undefined
            ? `${count}; minimumClients is ${config.minimumClients}`
            : `${count}, and a round of them has no safe secure-aggregation parameters: ${unsafe}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Why a round picked from `connected` eligible members could not be secured, or undefined when it
   * can: every secure aggregation it would run (the round, or each bucket) needs k and t members derive.
   */
  private unsafeRound(connected: number): string | undefined {
    const { config } = this.deps;
    if (config.aggregation.mode === 'robust') return undefined;
    const n = Math.min(connected, config.clientsPerRound);
    const sizes =
      config.aggregation.mode === 'secure+robust' ? bucketSizes(n, config.aggregation.bucketSize!) : [n];
    for (const size of new Set(sizes)) {
      try {
        secAggParametersFor(config, size);
      } catch (error) {
        if (!(error instanceof InvalidArgumentError || error instanceof UnsafeParametersError)) throw error;
        return `${size} members: ${error.message}`;
      }
    }
    return undefined;
  }
}

/** The sizes of the buckets assignBuckets deals `n` members into: floor(n/s) buckets differing by at most one. */
function bucketSizes(n: number, bucketSize: number): number[] {
  const count = Math.floor(n / bucketSize);
  if (count < 1) return [n];
  return [Math.floor(n / count), Math.ceil(n / count)];
}

/** `count` members drawn uniformly without replacement (all of them when fewer), ascending. */
function pick(members: readonly number[], count: number, random: RandomSource): number[] {
  return shuffle(members, random)
    .slice(0, count)
    .sort((a, b) => a - b);
}

/** Members quarantined at the last checkpoint, and until when. */
function quarantineStateOf(
  metrics: Readonly<Record<string, unknown>> | undefined,
): Record<string, QuarantineRecord> {
  const state = metrics?.['quarantine'];
  return typeof state === 'object' && state !== null ? (state as Record<string, QuarantineRecord>) : {};
}

/** Where adaptive clipping left the bound at the last checkpoint. */
function clipBoundOf(metrics: Readonly<Record<string, unknown>> | undefined): number | undefined {
  const next = metrics?.['nextClipNorm'];
  return typeof next === 'number' && next > 0 && Number.isFinite(next) ? next : undefined;
}

/** The accountant's state as the last checkpoint recorded it; undefined for a fresh federation. */
function privacyStateOf(
  metrics: Readonly<Record<string, unknown>> | undefined,
): PrivacyAccountantState | undefined {
  const privacy = metrics?.['privacy'];
  if (typeof privacy !== 'object' || privacy === null) return undefined;
  return (privacy as { state?: PrivacyAccountantState }).state;
}

function bytesOf(weights: Float32Array): Uint8Array {
  return new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength).slice();
}
