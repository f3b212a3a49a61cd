import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  PrivacyAccountant,
  type PrivacyBudget,
  type RoundPrivacy,
} from '../aggregation/privacy/accountant.js';
import {
  planDistributedNoise,
  skellamRoundEvent,
  type DistributedNoisePlan,
} from '../aggregation/privacy/distributed-noise.js';
import { DEFAULT_PRIVACY_DELTA } from '../aggregation/privacy/privacy-policy.js';
import type { SkellamEvent } from '../aggregation/privacy/privacy-events.js';
import type { ManifestPrivacy } from '../proto/federation-manifest.js';
import type { WireDistributedNoise, WireRoundStarted } from '../proto/round-plan.js';
import { RoundRefusal } from './round-guard.js';

/**
 * The member's own accountant says the next round would take it past `manifest.privacy.memberBudget`:
 * it stops taking part, whatever the coordinator's accountant says.
 */
export class MemberBudgetExhausted extends Error {
  override readonly name = 'MemberBudgetExhausted';
  constructor(
    /** ε the member would have spent after the refused round, at the budget's δ. */
    readonly epsilon: number,
    readonly delta: number,
    readonly budget: PrivacyBudget,
  ) {
    super(
      `member privacy budget: the next round would bring epsilon to ${epsilon} > budget ${budget.epsilon} at delta ${delta}`,
    );
  }
}

/** What a distributed-DP round costs the member, from the pinned policy alone. */
export interface MemberNoise {
  /** The member's floor: per-coordinate Skellam variance (quantized units²) its pinned policy requires. */
  readonly plan: DistributedNoisePlan;
  /** What the member's accountant is charged: the noise of the fewest honest survivors, at the floor. */
  readonly event: SkellamEvent;
}

/**
 * Under distributed DP the noise of the released sum is the members' own, so a member sizes its share
 * from the manifest, not from RoundStarted.noise: enough that any `threshold − corrupt` honest
 * survivors (the corrupt members' noise may be left out or revealed, and every colluder of the
 * federation is assumed to be in the round) reach z·C on the sum, exactly as the coordinator's
 * planDistributedNoise sizes it for an honest plan. Undefined when the manifest does not pin
 * distributed DP. `modelParameters` is d, the words that carry noise (the count word stays exact).
 */
export function memberNoise(
  privacy: ManifestPrivacy,
  round: { readonly participants: number; readonly threshold: number; readonly corruptClients: number },
  modelParameters: number,
): MemberNoise | undefined {
  if (privacy.mode !== 'distributed') return undefined;
  if (privacy.noiseMultiplier === undefined)
    throw new RoundRefusal(
      'privacy.noiseMultiplier',
      'the manifest pins distributed DP without a noise multiplier',
    );
  let plan: DistributedNoisePlan;
  try {
    plan = planDistributedNoise({
      quantizer: privacy.quantization,
      clipNorm: privacy.clipNorm,
      dimension: modelParameters,
      noiseMultiplier: privacy.noiseMultiplier,
      minSurvivors: Math.max(1, round.threshold - round.corruptClients),
      maxClients: round.participants,
    });
  } catch (error) {
    // E.g. the noise of n members could wrap the 2^32 sum: no round of this shape is safe to join.
    throw new RoundRefusal('noise', error instanceof Error ? error.message : String(error));
  }
  return { plan, event: skellamRoundEvent(plan, plan.minSurvivors) };
}

/**
 * The member's noise floor means something only if its update is encoded as the pinned policy
 * assumes: the manifest's quantizer (noise is counted in its units), a clipping bound no larger than
 * the manifest's (the sensitivity), unweighted updates (an example count would leave the sum
 * un-noised) and no clip-indicator word (an un-noised per-member bit). Throws RoundRefusal otherwise.
 */
export function checkDistributedPlan(privacy: ManifestPrivacy, started: WireRoundStarted): void {
  if (privacy.mode !== 'distributed') return;
  const s = started.secagg;
  const t = started.training;
  if (s === null || t === null)
    throw new RoundRefusal('training', 'a distributed-DP round carries secagg settings and a training plan');
  const q = privacy.quantization;
  if (s.clip_range !== q.clipRange || s.levels !== q.levels)
    throw new RoundRefusal(
      'secagg.quantization',
      `coordinator announced clipRange ${s.clip_range}, levels ${s.levels}; the manifest pins ${q.clipRange}, ${q.levels}`,
    );
  if (!(t.clip_norm > 0 && t.clip_norm <= privacy.clipNorm))
    throw new RoundRefusal(
      'training.clip_norm',
      `coordinator announced ${t.clip_norm}; the manifest pins at most ${privacy.clipNorm}`,
    );
  if (t.example_cap !== 1)
    throw new RoundRefusal(
      'training.example_cap',
      `distributed DP sends unweighted updates (1), got ${t.example_cap}`,
    );
  if (t.report_clip_indicator)
    throw new RoundRefusal(
      'training.report_clip_indicator',
      'distributed DP clips to a fixed bound; no clip bit',
    );
}

/** The variance the member adds: its floor, or more if the coordinator asks for more. */
export function noiseVariance(
  floor: MemberNoise | undefined,
  requested: WireDistributedNoise | null,
): number {
  return Math.max(floor?.plan.clientVariance ?? 0, requested?.variance ?? 0);
}

interface StoredAccountant {
  readonly version: 1;
  readonly orders: readonly number[];
  readonly rdp: readonly number[];
  readonly rounds: number;
}

/**
 * The member's own Rényi-DP accountant, on disk next to its key: every round whose masked input it
 * sends is charged first, at the worst case (only the fewest honest survivors' noise in the sum), and
 * the state is replaced atomically (temporary file, fsync, rename) so a crash leaves the old or the
 * new total, never a torn one. With `memberBudget` set, a round that would exceed it is refused.
 */
export class MemberAccountant {
  private constructor(
    readonly path: string,
    private readonly accountant: PrivacyAccountant,
    readonly budget: PrivacyBudget | undefined,
  ) {}

  static async open(path: string, privacy: ManifestPrivacy): Promise<MemberAccountant> {
    const budget = privacy.memberBudget;
    const delta = budget?.delta ?? privacy.budget?.delta ?? DEFAULT_PRIVACY_DELTA;
    let stored: StoredAccountant | undefined;
    try {
      stored = JSON.parse(await readFile(path, 'utf8')) as StoredAccountant;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (stored !== undefined && stored.version !== 1)
      throw new Error(`${path}: unknown accountant state version ${String(stored.version)}`);
    const accountant = new PrivacyAccountant(
      { delta },
      stored === undefined ? undefined : { orders: stored.orders, rdp: stored.rdp, rounds: stored.rounds },
    );
    return new MemberAccountant(path, accountant, budget);
  }

  /** Rounds charged so far. */
  get rounds(): number {
    return this.accountant.rounds;
  }

  /** ε spent so far, at the member budget's δ (or the accountant's). */
  spent(): { readonly epsilon: number; readonly delta: number } {
    const delta = this.budget?.delta ?? this.accountant.delta;
    return { epsilon: this.accountant.spent(delta).epsilon, delta };
  }

  /** Throws MemberBudgetExhausted when charging `event` would take ε above the member budget. */
  check(event: SkellamEvent): void {
    const budget = this.budget;
    if (budget === undefined || !this.accountant.wouldExceed(event, budget)) return;
    throw new MemberBudgetExhausted(
      this.accountant.spentAfter(event, budget.delta).epsilon,
      budget.delta,
      budget,
    );
  }

  /** Checks, composes and persists one round, before the member's masked input leaves. */
  async charge(event: SkellamEvent): Promise<RoundPrivacy> {
    this.check(event);
    const spent = this.accountant.compose(event);
    const state = this.accountant.state();
    const stored: StoredAccountant = {
      version: 1,
      orders: state.orders,
      rdp: state.rdp,
      rounds: state.rounds,
    };
    await writeAtomically(this.path, JSON.stringify(stored));
    return spent;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.write(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
