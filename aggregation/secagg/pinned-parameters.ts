import { InvalidArgumentError } from '../errors.js';
import { logFactorials, tailFrom } from './hypergeometric.js';
import { deriveParameters, validateParameters, type DerivedParameters } from './parameters.js';

/**
 * The threat model a member pins (from the signed federation manifest), not the one a coordinator
 * announces: how many members the federation has and what fraction of them may collude with the
 * coordinator.
 */
export interface PinnedThreatModel {
  /** N: members in the signed manifest. */
  readonly federationSize: number;
  /** γ: fraction of the federation's members that may collude with the coordinator. */
  readonly corruptFraction: number;
  /** δ: fraction of a round's participants expected to drop out. */
  readonly dropoutRate: number;
  readonly securityBits?: number;
  readonly correctnessBits?: number;
  /** Explicit k and t from the manifest; checked against the privacy bound, never taken on trust. */
  readonly degree?: number;
  readonly threshold?: number;
}

export interface RoundParameters extends DerivedParameters {
  /** C = ⌊γN⌋, capped at n − 1: corrupt members assumed to be in this round. */
  readonly corruptClients: number;
  /** The fewest members a roster may hold before an honest member refuses it. */
  readonly minimumRoster: number;
}

/**
 * k, t and the smallest acceptable roster for a round of `participants` members, from the pinned
 * threat model alone, so a member recomputes them instead of believing the coordinator.
 *
 * Why this keeps SecAgg+'s guarantee against a coordinator that picks the round's members.
 * Bell et al. 2020 (§3) bound the corrupt neighbours of an honest client by assuming the server cannot
 * choose which clients take part, so that a γ fraction of the federation is about a γ fraction of the
 * round. Cohort does not need that assumption:
 *  1. It counts C = ⌊γN⌋ corrupt members in every round — all of the federation's corrupt members,
 *     wherever the coordinator placed them — so a round of n members stacked with every colluder is the
 *     case the parameters are derived for (Bonawitz et al. 2017's t > (n − 1 + C)/2 on the complete graph).
 *  2. What remains random is the graph: members fix it by commit-and-reveal (see graph-commitment.ts),
 *     so for an honest member its k neighbours are a uniform k-subset of the other roster members
 *     whatever the coordinator chose, and the number of corrupt ones is Hypergeometric(r − 1, C, k).
 *  3. A coordinator may still shrink the roster (claiming members failed to advertise keys), which
 *     raises the corrupt share of what remains. So the member also refuses any roster r smaller than
 *     `minimumRoster`: the smallest r for which P[HG(r − 1, min(C, r − 1), min(k, r − 1)) ≥ 2t − k_r]
 *     still meets the 2^-σ/n privacy budget, with t unchanged.
 * Participants named must be members of the signed manifest (the caller checks), so no Sybil adds to n.
 */
export function roundParameters(model: PinnedThreatModel, participants: number): RoundParameters {
  const { federationSize: N, corruptFraction: gamma } = model;
  if (!Number.isInteger(N) || N < 3)
    throw new InvalidArgumentError('federationSize', `need an integer >= 3, got ${N}`);
  if (!Number.isInteger(participants) || participants < 3 || participants > N)
    throw new InvalidArgumentError(
      'participants',
      `need an integer in [3, ${N}] (the federation's size), got ${participants}`,
    );
  if (!(gamma >= 0 && gamma < 1))
    throw new InvalidArgumentError('corruptFraction', `need 0 <= γ < 1, got ${gamma}`);
  const sigma = model.securityBits ?? 40;
  const corruptClients = Math.min(participants - 1, Math.floor(gamma * N + 1e-9));
  const threat = {
    clients: participants,
    dropoutRate: model.dropoutRate,
    corruptFraction: gamma,
    corruptClients,
    ...(model.securityBits === undefined ? {} : { securityBits: model.securityBits }),
    ...(model.correctnessBits === undefined ? {} : { correctnessBits: model.correctnessBits }),
  };
  let derived: DerivedParameters;
  if (model.degree !== undefined || model.threshold !== undefined) {
    if (model.degree === undefined || model.threshold === undefined)
      throw new InvalidArgumentError('degree', 'give both degree and threshold, or neither');
    const explicit = { clients: participants, degree: model.degree, threshold: model.threshold };
    validateParameters(explicit);
    const log2Privacy = privacyFailure(participants, corruptClients, explicit.degree, explicit.threshold);
    if (log2Privacy > -sigma) {
      throw new InvalidArgumentError(
        'threshold',
        `k=${explicit.degree}, t=${explicit.threshold} for ${participants} members with ${corruptClients} corrupt fail the ` +
          `2^-${sigma} privacy bound (2^${log2Privacy.toFixed(1)}); raise t or leave k and t to be derived`,
      );
    }
    derived = { ...explicit, log2PrivacyFailure: log2Privacy, log2CorrectnessFailure: 0 };
  } else {
    derived = deriveParameters(threat);
  }
  return {
    ...derived,
    corruptClients,
    minimumRoster: minimumRoster(participants, corruptClients, derived.degree, derived.threshold, sigma),
  };
}

/**
 * log2 of the union-bounded probability, over the n honest-member positions, that some honest member of
 * a roster of `roster` members has at least 2t − k corrupt neighbours.
 */
export function privacyFailure(roster: number, corrupt: number, degree: number, threshold: number): number {
  const others = roster - 1;
  const k = Math.min(degree, others);
  const c = Math.min(corrupt, others);
  if (threshold > k) return Infinity; // fewer neighbours than the threshold: nothing can be rebuilt anyway
  const tail = tailFrom(logFactorials(others), others, c, k);
  return tail(2 * threshold - k) + Math.log2(roster);
}

function minimumRoster(n: number, corrupt: number, degree: number, threshold: number, sigma: number): number {
  // The failure bound grows as the roster shrinks; scan down from n and stop at the first failure.
  let smallest = n;
  for (let r = n - 1; r >= threshold + 1; r--) {
    if (privacyFailure(r, corrupt, degree, threshold) > -sigma) break;
    smallest = r;
  }
  return smallest;
}
