import type { RandomSource } from '../../aggregation/crypto/random-source.js';
import type { DistributedNoisePlan } from '../../aggregation/privacy/index.js';
import type { ClientId } from '../../aggregation/secagg/index.js';
import type { FederationConfig } from '../config/index.js';
import type { CoordinatorService, RoundPlan } from '../grpc/service.js';
import type { Membership } from '../membership.js';

/** Everything one round's aggregation needs from the federation around it. */
export interface RoundContext {
  readonly round: number;
  readonly participants: readonly ClientId[];
  /** Parameters in the model (the update's length). */
  readonly parameters: number;
  readonly plan: RoundPlan;
  readonly config: FederationConfig;
  readonly service: CoordinatorService;
  readonly membership: Membership;
  readonly random: RandomSource;
  readonly log: (event: Record<string, unknown>) => void;
  /** Milliseconds since the round started, for progress events. */
  readonly elapsedMs: () => number;
  /** This round's clip bound (fixed, or where adaptive clipping has moved it). */
  readonly clipNorm: number;
  /** Adaptive clipping: members append the clip indicator word. */
  readonly clipIndicator: boolean;
}

/** What a round's aggregation hands the server optimizer and the checkpoint. */
export interface RoundAggregate {
  /** The combined update (already noised when central DP is on). */
  readonly meanDelta: Float32Array;
  /** Members whose update entered the combination (before the robust rule's own selection). */
  readonly survivors: readonly ClientId[];
  readonly examples: number;
  /** Per member, 0 = as close to the robust result as the median update … 1 = far out (see suspicion.ts); absent in secure mode. */
  readonly suspicion?: ReadonlyMap<ClientId, number>;
  /** Facts for the round's manifest: rule, buckets and their seed, what was left out and why. */
  readonly record: Record<string, unknown>;
  /** Adaptive clipping: how many of the counted updates fit this round's bound. */
  readonly clipBits?: { readonly fitted: number; readonly clients: number };
  /**
   * Members the secure-aggregation core proved misbehaved this round (CulpritReason name: detail), for
   * quarantine; empty or absent when none were.
   */
  readonly culprits?: ReadonlyMap<ClientId, string>;
  /** Secure sums the coordinator learned, for the privacy accountant (one per bucket, or one). */
  readonly sums: readonly { readonly survivors: number; readonly plan?: DistributedNoisePlan }[];
}

/** The round produced no update; the model stays as it was. */
export class RoundAbortedError extends Error {
  override readonly name = 'RoundAbortedError';
  constructor(
    message: string,
    /** Members the aborted round proved to misbehave: quarantined all the same. */
    readonly culprits: ReadonlyMap<ClientId, string> = new Map(),
  ) {
    super(message);
  }
}
