import { digest } from '../aggregation/crypto/kdf.js';
import { idList, u32 } from '../aggregation/secagg/transcript.js';
import type { WireTrainingPlan } from './training-plan.js';

/** `cohort.v1.SecAggSettings` as proto-loader presents it; the coordinator builds it, members read it. */
export interface WireSecAggSettings {
  readonly participants: readonly number[];
  readonly degree: number;
  readonly threshold: number;
  readonly dimension: number;
  readonly clip_range: number;
  readonly levels: number;
  readonly mask_prg: string;
  readonly max_chunk_words: number;
}

/** `cohort.v1.DistributedNoise`: the noise the coordinator asks each member to add. */
export interface WireDistributedNoise {
  readonly mechanism: string;
  readonly variance: number;
}

/** `cohort.v1.RoundStarted` as both sides hold it (proto-loader fills unset messages with null). */
export interface WireRoundStarted {
  readonly round: number;
  readonly round_id: Uint8Array;
  readonly model_sha256: Uint8Array;
  readonly model_spec_json: string;
  readonly training: WireTrainingPlan | null;
  /** Null in robust mode, where `plain` is set instead. */
  readonly secagg: WireSecAggSettings | null;
  readonly plain: { readonly dimension: number; readonly max_chunk_values: number } | null;
  readonly noise: WireDistributedNoise | null;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function f64(x: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, x);
  return out;
}

/**
 * The digest every member signs with its round keys (AdvertiseKeys): the pinned manifest's hash and
 * every field of the secure round's plan that a coordinator could show differently to different
 * members — participants, k, t, vector layout, quantizer, mask PRG, the noise asked for, the training
 * plan and the model. Members whose digests differ cannot verify each other's keys.
 */
export function roundPlanDigest(manifestSha256: Uint8Array, started: WireRoundStarted): Uint8Array {
  const s = started.secagg;
  if (s === null) throw new RangeError('roundPlanDigest: a secure round carries secagg settings');
  const t = started.training;
  const training =
    t === null
      ? [text('none')]
      : [
          u32(t.epochs),
          u32(t.steps),
          u32(t.batch_size),
          f64(t.learning_rate),
          f64(t.clip_norm),
          u32(t.example_cap),
          u32(t.report_clip_indicator ? 1 : 0),
        ];
  const noise =
    started.noise === null ? [text('none')] : [text(started.noise.mechanism), f64(started.noise.variance)];
  return digest(
    'cohort/round-plan/v1',
    manifestSha256,
    u32(started.round),
    started.round_id,
    started.model_sha256,
    text(started.model_spec_json),
    idList(s.participants),
    u32(s.degree),
    u32(s.threshold),
    u32(s.dimension),
    f64(s.clip_range),
    f64(s.levels),
    text(s.mask_prg),
    u32(s.max_chunk_words),
    ...noise,
    ...training,
  );
}
