import { randomBytes } from '../../aggregation/crypto/random-source.js';
import { maskPrgById } from '../../aggregation/crypto/mask-prg.js';
import { decodeNoisyMean, type DistributedNoisePlan } from '../../aggregation/privacy/index.js';
import {
  CulpritReason,
  type CulpritRecord,
  roundParameters,
  type ClientId,
  type MaskRemover,
  type RoundParameters,
  type SecAggParameters,
} from '../../aggregation/secagg/index.js';
import { decodeWeightedSum, type WeightedUpdateParams } from '../../aggregation/vector/weighted-update.js';
import type { FederationConfig } from '../config/index.js';
import { RoundAbortedError, type RoundContext } from './round-aggregate.js';

const MAX_CHUNK_WORDS = 65_536;

/** One secure aggregation's outcome, decoded: the weighted mean of its survivors' updates. */
export interface SecureSum {
  readonly meanDelta: Float32Array;
  readonly examples: number;
  readonly survivors: readonly ClientId[];
  readonly dropped: number;
  /** Members proven to have misbehaved (bad share ciphertexts, wrong unmask shares), with why. */
  readonly culprits: ReadonlyMap<ClientId, string>;
  readonly parameters: SecAggParameters;
  readonly roundId: Uint8Array;
  /** The distributed noise its members were told to add, if any. */
  readonly noise?: DistributedNoisePlan;
  /** Adaptive clipping: survivors whose update fit the bound. */
  readonly fitted?: number;
}

export interface SecureSumOptions {
  readonly remover?: MaskRemover;
  /** Distributed DP: the Skellam noise each member of an instance with these parameters adds (RoundStarted.noise). */
  readonly noiseFor?: (parameters: SecAggParameters) => DistributedNoisePlan | undefined;
  /** Names this instance in progress events when a round runs several (buckets). */
  readonly label?: string;
}

/**
 * Runs one secure-aggregation instance over `members` (the whole round, or one bucket) on the core's
 * state machines, and decodes the sum into the survivors' weighted mean update. Throws
 * RoundAbortedError when the instance aborts (too few survivors): nothing about any input is learned.
 */
export async function runSecureSum(
  ctx: RoundContext,
  members: readonly ClientId[],
  weighting: WeightedUpdateParams,
  options: SecureSumOptions = {},
): Promise<SecureSum> {
  const { config, service } = ctx;
  const parameters = secAggParametersFor(config, members.length);
  const roundId = randomBytes(ctx.random, 32);
  const noise = options.noiseFor?.(parameters);
  const session = service.startSecureRound(
    ctx.round,
    {
      roundId,
      parameters,
      corruptClients: parameters.corruptClients,
      minimumRoster: parameters.minimumRoster,
      dimension: ctx.parameters + (ctx.clipIndicator ? 2 : 1),
      participants: members,
      identityKeyOf: (id) => ctx.membership.member(id)?.identityKey,
      prg: maskPrgById(config.secureAggregation.maskPrg),
      deadlines: {
        ...config.deadlines,
        advertiseKeys: config.deadlines.training + config.deadlines.advertiseKeys,
      },
      ...(options.remover === undefined ? {} : { remover: options.remover }),
      onPhase: (progress) =>
        ctx.log({
          event: 'round-phase',
          round: ctx.round,
          ...(options.label === undefined ? {} : { bucket: options.label }),
          phase: progress.phase,
          // Everyone not dropped has answered every earlier phase; at a phase change that is the news.
          responding: progress.participants - progress.dropped,
          dropped: progress.dropped,
          elapsedMs: ctx.elapsedMs(),
        }),
    },
    { ...config.secureAggregation.quantization, maxChunkWords: MAX_CHUNK_WORDS },
    ctx.plan,
    noise === undefined
      ? undefined
      : { mechanism: 'NOISE_MECHANISM_SKELLAM', variance: noise.clientVariance },
  );
  let result;
  try {
    result = await session.result;
  } catch (error) {
    throw new RoundAbortedError(
      error instanceof Error ? error.message : String(error),
      describeCulprits(session.culprits),
    );
  }
  const survivors = result.survivors.length;
  const protectedWords = result.sum.subarray(0, ctx.parameters + 1);
  const decoded =
    noise === undefined
      ? decodeWeightedSum(protectedWords, survivors, weighting)
      : decodeNoisyMean(protectedWords, survivors, weighting.quantizer);
  return {
    ...decoded,
    survivors: result.survivors,
    dropped: result.dropped.size,
    culprits: describeCulprits(result.culprits),
    parameters,
    roundId,
    ...(noise === undefined ? {} : { noise }),
    ...(ctx.clipIndicator ? { fitted: result.sum[ctx.parameters + 1]! } : {}),
  };
}

/**
 * k, t, C and the smallest roster for an instance of `clients` members, by the same roundParameters a
 * member runs on its pinned threat model, so every member can recompute (and check) what it is told.
 * Explicit k and t are passed through whenever configured, as the manifest carries them; roundParameters
 * still holds them to the privacy bound.
 */
export function secAggParametersFor(config: FederationConfig, clients: number): RoundParameters {
  const s = config.secureAggregation;
  return roundParameters(
    {
      federationSize: config.members.length,
      corruptFraction: s.corruptFraction,
      dropoutRate: s.expectedDropout,
      ...(s.degree !== undefined && s.threshold !== undefined
        ? { degree: s.degree, threshold: s.threshold }
        : {}),
    },
    clients,
  );
}

/** Culprits as the coordinator records them: the numbered reason's name and the core's detail. */
function describeCulprits(culprits: ReadonlyMap<ClientId, CulpritRecord>): Map<ClientId, string> {
  return new Map([...culprits].map(([id, c]) => [id, `${CulpritReason[c.reason]}: ${c.detail}`] as const));
}
