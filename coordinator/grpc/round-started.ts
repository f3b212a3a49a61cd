import type { ClientId, SecAggParameters } from '../../aggregation/secagg/index.js';
import type { MaskPrg } from '../../aggregation/crypto/mask-prg.js';
import type { WireRoundStarted } from '../../proto/round-plan.js';
import type { WireTrainingPlan } from '../../proto/training-plan.js';

/** What members need to train in a round, whatever the aggregation mode. */
export interface RoundPlan {
  readonly modelSha256: Uint8Array;
  readonly modelSpecJson: string;
  readonly training: WireTrainingPlan;
}

/** How the protected vector is quantized and chunked, as RoundStarted.secagg announces it. */
export interface SecureVectorSettings {
  readonly clipRange: number;
  readonly levels: number;
  readonly maxChunkWords: number;
}

/**
 * The RoundStarted of a secure round, built once: the service pushes exactly this object and the plan
 * digest the core checks signatures against is computed from it, so what members are shown and what
 * the coordinator holds them to cannot drift apart.
 */
export function secureRoundStarted(
  round: number,
  instance: {
    readonly roundId: Uint8Array;
    readonly participants: readonly ClientId[];
    readonly parameters: SecAggParameters;
    readonly dimension: number;
    readonly prg: MaskPrg;
  },
  settings: SecureVectorSettings,
  plan?: RoundPlan,
  noise?: { readonly mechanism: 'NOISE_MECHANISM_SKELLAM'; readonly variance: number },
): WireRoundStarted {
  return {
    round,
    round_id: instance.roundId,
    model_sha256: plan?.modelSha256 ?? new Uint8Array(0),
    model_spec_json: plan?.modelSpecJson ?? '',
    training: plan?.training ?? null,
    secagg: {
      participants: [...instance.participants],
      degree: instance.parameters.degree,
      threshold: instance.parameters.threshold,
      dimension: instance.dimension,
      clip_range: settings.clipRange,
      levels: settings.levels,
      mask_prg: instance.prg.id === 'aes256ctr' ? 'MASK_PRG_AES256_CTR' : 'MASK_PRG_CHACHA20',
      max_chunk_words: settings.maxChunkWords,
    },
    plain: null,
    noise: noise ?? null,
  };
}
