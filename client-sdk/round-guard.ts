import { createHash } from 'node:crypto';
import { roundParameters } from '../aggregation/secagg/pinned-parameters.js';
import type { SecAggParameters } from '../aggregation/secagg/parameters.js';
import type { FederationManifest } from '../proto/federation-manifest.js';
import { roundPlanDigest, type WireRoundStarted } from '../proto/round-plan.js';

/**
 * A round the member will not take part in because the coordinator's plan contradicts the pinned
 * manifest. `field` names the part of RoundStarted (or of the manifest) that disagrees; the message
 * carries both values, so an operator can see what the coordinator claimed and what was pinned.
 */
export class RoundRefusal extends Error {
  override readonly name = 'RoundRefusal';
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`round refused: ${field}: ${detail}`);
  }
}

/** What the member derived for itself, for the secure-aggregation client of an accepted round. */
export interface GuardedRound {
  /** n, k and t as the member computed them (equal to what the coordinator announced). */
  readonly parameters: SecAggParameters;
  /** The smallest roster the member accepts (ClientConfig.minimumRoster). */
  readonly minimumRoster: number;
  /** C: colluding members assumed to be in this round. */
  readonly corruptClients: number;
  /** roundPlanDigest(manifest's SHA-256, RoundStarted): what the member's AdvertiseKeys signs. */
  readonly planDigest: Uint8Array;
}

/** The manifest as the member pinned it: verified, with the SHA-256 of its canonical bytes. */
export interface PinnedManifest {
  readonly manifest: FederationManifest;
  readonly sha256: Uint8Array;
}

/**
 * Checks a secure round's plan against the pinned manifest and returns what the member derives from
 * the manifest alone; throws RoundRefusal on the first disagreement. The coordinator still chooses who
 * takes part, but only among the manifest's members, never fewer than the manifest allows, and with k
 * and t fixed by the manifest's threat model for that many participants (see roundParameters: a
 * coordinator that packs a round with colluders gains nothing because C counts all of them).
 */
export function checkSecureRound(
  pinned: PinnedManifest,
  memberIndex: number,
  started: WireRoundStarted,
): GuardedRound {
  const { manifest } = pinned;
  const mode = manifest.aggregation.mode;
  const settings = started.secagg;
  if (settings === null) throw new RoundRefusal('secagg', 'a secure round carries no secagg settings');
  if (mode === 'robust')
    throw new RoundRefusal(
      'aggregation.mode',
      'the manifest pins robust mode; the coordinator started a secure round',
    );
  checkModelSpec(manifest, started);
  const participants = settings.participants;
  for (let i = 1; i < participants.length; i++) {
    if (!(participants[i]! > participants[i - 1]!))
      throw new RoundRefusal(
        'participants',
        `not strictly ascending at position ${i} (${participants[i - 1]}, ${participants[i]})`,
      );
  }
  const members = new Set(manifest.members.map((m) => m.index));
  const stranger = participants.find((id) => !members.has(id));
  if (stranger !== undefined)
    throw new RoundRefusal('participants', `member ${stranger} is not in the manifest`);
  if (!participants.includes(memberIndex))
    throw new RoundRefusal(
      'participants',
      `this member (${memberIndex}) is not among [${participants.join(', ')}]`,
    );
  const threat = manifest.threatModel;
  const fewest =
    mode === 'secure+robust' ? (threat.bucketSize ?? threat.minimumClients) : threat.minimumClients;
  if (participants.length < fewest)
    throw new RoundRefusal(
      'participants',
      `${participants.length} participants; the manifest requires at least ${fewest}` +
        (mode === 'secure+robust' ? ' (bucketSize)' : ' (minimumClients)'),
    );
  let derived;
  try {
    derived = roundParameters(
      {
        federationSize: manifest.members.length,
        corruptFraction: threat.corruptFraction,
        dropoutRate: threat.expectedDropout,
        securityBits: threat.securityBits,
        correctnessBits: threat.correctnessBits,
        ...(threat.degree === undefined ? {} : { degree: threat.degree }),
        ...(threat.threshold === undefined ? {} : { threshold: threat.threshold }),
      },
      participants.length,
    );
  } catch (error) {
    // The pinned threat model admits no parameters for this many members: no plan can satisfy it.
    throw new RoundRefusal('threatModel', error instanceof Error ? error.message : String(error));
  }
  if (settings.degree !== derived.degree)
    throw new RoundRefusal(
      'degree',
      `coordinator announced k=${settings.degree}; the manifest gives k=${derived.degree} for ${participants.length} participants`,
    );
  if (settings.threshold !== derived.threshold)
    throw new RoundRefusal(
      'threshold',
      `coordinator announced t=${settings.threshold}; the manifest gives t=${derived.threshold} for ${participants.length} participants`,
    );
  if (started.noise !== null) {
    const { mechanism, variance } = started.noise;
    if (mechanism !== 'NOISE_MECHANISM_SKELLAM')
      throw new RoundRefusal('noise.mechanism', `expected NOISE_MECHANISM_SKELLAM, got ${mechanism}`);
    if (!(variance >= 0 && Number.isFinite(variance)))
      throw new RoundRefusal('noise.variance', `expected a finite number >= 0, got ${variance}`);
  }
  return {
    parameters: { clients: derived.clients, degree: derived.degree, threshold: derived.threshold },
    minimumRoster: derived.minimumRoster,
    corruptClients: derived.corruptClients,
    planDigest: roundPlanDigest(pinned.sha256, started),
  };
}

/**
 * Robust mode sends the update in plaintext, so the member does so only when the manifest pins robust
 * mode: a coordinator cannot turn a secure federation's round into a plaintext one.
 */
export function checkPlainRound(pinned: PinnedManifest, started: WireRoundStarted): void {
  const mode = pinned.manifest.aggregation.mode;
  if (mode !== 'robust')
    throw new RoundRefusal(
      'aggregation.mode',
      `the manifest pins ${mode} mode; the coordinator asked for a plaintext (robust) update`,
    );
  checkModelSpec(pinned.manifest, started);
}

function checkModelSpec(manifest: FederationManifest, started: WireRoundStarted): void {
  const actual = createHash('sha256').update(started.model_spec_json, 'utf8').digest('hex');
  if (actual !== manifest.modelSpecSha256.toLowerCase())
    throw new RoundRefusal(
      'model_spec_json',
      `SHA-256 ${actual}; the manifest pins ${manifest.modelSpecSha256}`,
    );
}
