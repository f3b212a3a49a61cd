import { constantTimeEqual } from '../../crypto/bytes.js';
import { agreementPublicKey } from '../../crypto/key-agreement.js';
import { ShareCombiner, type Share } from '../../crypto/shamir.js';
import type { ClientId } from '../graph.js';
import { pairwiseSeed, pairwiseSign, type SignedSeed } from '../masks.js';
import { AbortReason, SecAggAbortedError } from '../reasons.js';
import { selfSeedCommitment } from '../transcript.js';
import type { ServerContext } from './context.js';
import type { GatheredShares } from './r4-unmasking.js';

/**
 * Rebuilds every secret the session needs and lists the masks to take out of the sum: each survivor's
 * self mask, and for each client that dropped after sharing keys, its pairwise mask with every surviving
 * neighbour (which those neighbours added and nobody cancelled). Each rebuilt secret is checked — a
 * self seed against the commitment its owner sent, a masking key against its advertised public key —
 * and a mismatch is retried without each share in turn, so one corrupt holder per owner is survived
 * whenever a spare share arrived; otherwise the session aborts.
 */
export function unmaskingPlan(ctx: ServerContext, shares: GatheredShares): SignedSeed[] {
  const { sessionId, parameters } = ctx.config;
  const combiner = new ShareCombiner();
  const graph = ctx.requireGraph();
  const survivors = new Set(ctx.survivors);
  const plan: SignedSeed[] = [];

  for (const [owner, list] of shares.maskKey) {
    const ownerKeys = ctx.rosterById.get(owner)!;
    const secretKey = rebuild(combiner, list, parameters.threshold, owner, (key) =>
      constantTimeEqual(agreementPublicKey(key), ownerKeys.maskingKey),
    );
    for (const peer of graph.neighbours(owner)) {
      if (!survivors.has(peer)) continue;
      const seed = pairwiseSeed(sessionId, secretKey, ctx.rosterById.get(peer)!.maskingKey, owner, peer);
      if (seed === null)
        throw new SecAggAbortedError(AbortReason.InconsistentShares, `low-order key of ${peer}`);
      plan.push({ seed, sign: pairwiseSign(peer, owner) === 1 ? -1 : 1 });
    }
  }
  for (const [owner, list] of shares.selfSeed) {
    const commitment = ctx.shareKeys.get(owner)!.selfSeedCommitment;
    const seed = rebuild(combiner, list, parameters.threshold, owner, (s) =>
      constantTimeEqual(selfSeedCommitment(sessionId, owner, s), commitment),
    );
    plan.push({ seed, sign: -1 });
  }
  return plan;
}

function rebuild(
  combiner: ShareCombiner,
  shares: readonly Share[],
  threshold: number,
  owner: ClientId,
  isRight: (secret: Uint8Array) => boolean,
): Uint8Array {
  const sorted = [...shares].sort((a, b) => a.x - b.x);
  const first = tryCombine(combiner, sorted.slice(0, threshold), threshold);
  if (first !== undefined && isRight(first)) return first;
  // A wrong share among the first t is found by leaving each of them out in turn (while a spare exists).
  for (let skip = 0; skip < threshold && sorted.length > threshold; skip++) {
    const subset = [...sorted.slice(0, skip), ...sorted.slice(skip + 1, threshold + 1)];
    const secret = tryCombine(combiner, subset, threshold);
    if (secret !== undefined && isRight(secret)) return secret;
  }
  throw new SecAggAbortedError(
    AbortReason.InconsistentShares,
    `shares of client ${owner} do not rebuild the secret it committed to`,
  );
}

function tryCombine(
  combiner: ShareCombiner,
  shares: readonly Share[],
  threshold: number,
): Uint8Array | undefined {
  try {
    return combiner.combine(shares, threshold);
  } catch {
    return undefined;
  }
}
