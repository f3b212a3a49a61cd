import { pairwiseSeed, pairwiseSign, type SignedSeed } from '../masks.js';
import { AbortReason, SecAggAbortedError } from '../reasons.js';
import type { ServerContext } from './context.js';
import type { VerifiedSecrets } from './r4-unmasking.js';

/**
 * Lists the masks to take out of the sum from the secrets R4 rebuilt and verified: each survivor's
 * self mask, and for each client that dropped after being told whom to mask with, its pairwise mask
 * with every surviving peer on that list (which those peers added and nobody cancelled). The lists
 * are the mask-with sets of R1½, not the raw graph: a cut edge carries no pairwise mask.
 */
export function unmaskingPlan(ctx: ServerContext, secrets: VerifiedSecrets): SignedSeed[] {
  const { sessionId } = ctx.config;
  const survivors = new Set(ctx.survivors);
  const plan: SignedSeed[] = [];
  for (const [owner, secretKey] of secrets.maskKey) {
    for (const peer of ctx.maskWith.get(owner) ?? []) {
      if (!survivors.has(peer)) continue;
      const seed = pairwiseSeed(sessionId, secretKey, ctx.rosterById.get(peer)!.maskingKey, owner, peer);
      if (seed === null)
        throw new SecAggAbortedError(AbortReason.InconsistentShares, `low-order key of ${peer}`);
      plan.push({ seed, sign: pairwiseSign(peer, owner) === 1 ? -1 : 1 });
    }
  }
  for (const seed of secrets.selfSeed.values()) plan.push({ seed, sign: -1 });
  return plan;
}
