import type { ClientId } from '../aggregation/secagg/index.js';

/** A member left out of selection, and why. */
export interface QuarantineRecord {
  readonly member: ClientId;
  /** The last round in which it is not selected. */
  readonly untilRound: number;
  readonly reason: string;
}

/**
 * Members a round proved to misbehave (the secure-aggregation core names them: rejected by more
 * neighbours than the corrupt ones the threat model allows, inconsistent unmask shares, malformed
 * shares) sit out the next `rounds` rounds, so one bad hospital costs one round's seat, not every
 * round of the federation. The state is a plain record so checkpoints carry it across restarts.
 */
export class Quarantine {
  private readonly until = new Map<ClientId, QuarantineRecord>();

  constructor(
    private readonly rounds: number,
    state: Readonly<Record<string, QuarantineRecord>> = {},
  ) {
    if (!Number.isInteger(rounds) || rounds < 0)
      throw new RangeError(`quarantine rounds: need an integer >= 0, got ${rounds}`);
    for (const record of Object.values(state)) this.until.set(record.member, record);
  }

  /** Whether `member` may be selected for `round`. */
  allows(member: ClientId, round: number): boolean {
    const record = this.until.get(member);
    return record === undefined || record.untilRound < round;
  }

  /** Quarantines every culprit of `round`; returns the new records (for the log and the manifest). */
  add(round: number, culprits: ReadonlyMap<ClientId, string>): QuarantineRecord[] {
    if (this.rounds === 0) return [];
    const added: QuarantineRecord[] = [];
    for (const [member, reason] of culprits) {
      const record = { member, untilRound: round + this.rounds, reason };
      this.until.set(member, record);
      added.push(record);
    }
    return added;
  }

  /** Records still in force after `round`, keyed by member, for the checkpoint manifest. */
  state(round: number): Record<string, QuarantineRecord> {
    const out: Record<string, QuarantineRecord> = {};
    for (const [member, record] of this.until) if (record.untilRound > round) out[String(member)] = record;
    return out;
  }
}
