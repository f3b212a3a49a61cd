import { join } from 'node:path';
import type { SkellamEvent } from '../aggregation/privacy/privacy-events.js';
import type { WireRoundStarted } from '../proto/round-plan.js';
import {
  checkDistributedPlan,
  MemberAccountant,
  MemberBudgetExhausted,
  memberNoise,
  noiseVariance,
} from './member-privacy.js';
import { ParticipationLog, RepeatedRoundError } from './participation-log.js';
import {
  checkPlainRound,
  checkSecureRound,
  RoundRefusal,
  type GuardedRound,
  type PinnedManifest,
} from './round-guard.js';

/** A secure round the member agreed to take part in, with everything it derived for itself. */
export interface AdmittedRound extends GuardedRound {
  /** Per-word Skellam variance the member adds: max(its pinned floor, what the coordinator asked). */
  readonly noiseVariance: number;
  /** Distributed DP: what the member's accountant is charged before its masked input leaves. */
  readonly privacyEvent?: SkellamEvent;
}

/** Every reason a member declines a round itself (as opposed to a failure of its own). */
export type MemberRefusal = RoundRefusal | RepeatedRoundError | MemberBudgetExhausted;

export function isMemberRefusal(error: unknown): error is MemberRefusal {
  return (
    error instanceof RoundRefusal ||
    error instanceof RepeatedRoundError ||
    error instanceof MemberBudgetExhausted
  );
}

export interface MemberGuardOptions {
  readonly pinned: PinnedManifest;
  /** The member's Ed25519 public key: its index comes from the manifest, not from the Join answer. */
  readonly identityKey: Uint8Array;
  /** The member's own state (participation log, privacy accountant); `cohort client` uses `<key>.state/`. */
  readonly stateDir: string;
}

/** Files in the state directory. */
export const PARTICIPATION_LOG = 'rounds.log';
export const ACCOUNTANT_STATE = 'privacy-accountant.json';

/**
 * The member's defences against its own coordinator, in the order a round meets them: `admit` when
 * RoundStarted arrives (the plan against the pinned manifest, the privacy budget, then the round id
 * recorded on disk before AdvertiseKeys), `noiseVariance` when the update is encoded, and
 * `beforeMaskedInput` just before the masked input leaves (accountant charged, the one masked input
 * recorded). Once the member's budget is spent every later round is refused the same way.
 */
export class MemberGuard {
  private exhaustedBy: MemberBudgetExhausted | undefined;
  /** Recently admitted rounds by round id (hex); a member is in one round at a time. */
  private readonly admitted = new Map<string, AdmittedRound>();

  private constructor(
    readonly pinned: PinnedManifest,
    readonly memberIndex: number,
    private readonly log: ParticipationLog,
    private readonly accountant: MemberAccountant,
  ) {}

  static async open(options: MemberGuardOptions): Promise<MemberGuard> {
    const key = Buffer.from(options.identityKey).toString('hex');
    const self = options.pinned.manifest.members.find((m) => m.identityKey.toLowerCase() === key);
    if (self === undefined)
      throw new Error(`this member's identity key ${key} is not in the pinned manifest`);
    const [log, accountant] = await Promise.all([
      ParticipationLog.open(join(options.stateDir, PARTICIPATION_LOG)),
      MemberAccountant.open(join(options.stateDir, ACCOUNTANT_STATE), options.pinned.manifest.privacy),
    ]);
    return new MemberGuard(options.pinned, self.index, log, accountant);
  }

  /** Set once the member's budget is spent: it takes part in no further round. */
  get exhausted(): MemberBudgetExhausted | undefined {
    return this.exhaustedBy;
  }

  /** ε the member's own accountant has charged so far. */
  spent(): { readonly epsilon: number; readonly delta: number } {
    return this.accountant.spent();
  }

  /**
   * Accepts a secure round or throws a MemberRefusal. `claimedIndex` is the index the coordinator's
   * Join answer gave; it must be the manifest's. On success the round id is on disk.
   */
  async admit(started: WireRoundStarted, claimedIndex: number = this.memberIndex): Promise<AdmittedRound> {
    if (this.exhaustedBy !== undefined) throw this.exhaustedBy;
    if (claimedIndex !== this.memberIndex)
      throw new RoundRefusal(
        'member_index',
        `coordinator says ${claimedIndex}; the manifest says ${this.memberIndex}`,
      );
    if (started.round_id.length === 0 || started.round_id.length > 64)
      throw new RoundRefusal('round_id', `expected 1 to 64 bytes, got ${started.round_id.length}`);
    const round = checkSecureRound(this.pinned, this.memberIndex, started);
    const privacy = this.pinned.manifest.privacy;
    checkDistributedPlan(privacy, started);
    // Only the update words carry noise: the dimension less the count word (no clip bit under DP).
    const noise = memberNoise(
      privacy,
      {
        participants: round.parameters.clients,
        threshold: round.parameters.threshold,
        corruptClients: round.corruptClients,
      },
      started.secagg!.dimension - 1,
    );
    if (noise !== undefined) {
      try {
        this.accountant.check(noise.event);
      } catch (error) {
        if (error instanceof MemberBudgetExhausted) this.exhaustedBy = error;
        throw error;
      }
    }
    await this.log.begin(started.round_id);
    const admitted: AdmittedRound = {
      ...round,
      noiseVariance: noiseVariance(noise, started.noise),
      ...(noise === undefined ? {} : { privacyEvent: noise.event }),
    };
    if (this.admitted.size >= 4) this.admitted.clear();
    this.admitted.set(hex(started.round_id), admitted);
    return admitted;
  }

  /** Accepts a plaintext (robust-mode) round or throws RoundRefusal. */
  admitPlain(started: WireRoundStarted): void {
    checkPlainRound(this.pinned, started);
  }

  /** The variance to add to an admitted round's update words. */
  noiseVariance(roundId: Uint8Array): number {
    return this.admittedRound(roundId).noiseVariance;
  }

  /**
   * Records the masked input on disk and charges the member's accountant (distributed DP); throws
   * RepeatedRoundError or MemberBudgetExhausted if the input must not leave.
   */
  async beforeMaskedInput(roundId: Uint8Array): Promise<void> {
    const round = this.admittedRound(roundId);
    // Recorded first: a replayed request is refused without being charged.
    await this.log.markMaskedInput(roundId);
    if (round.privacyEvent !== undefined) {
      try {
        await this.accountant.charge(round.privacyEvent);
      } catch (error) {
        if (error instanceof MemberBudgetExhausted) this.exhaustedBy = error;
        throw error;
      }
    }
  }

  private admittedRound(roundId: Uint8Array): AdmittedRound {
    const round = this.admitted.get(hex(roundId));
    if (round === undefined) throw new Error(`round ${hex(roundId)} was not admitted by the member guard`);
    return round;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
