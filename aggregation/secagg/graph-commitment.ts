import { constantTimeEqual } from '../crypto/bytes.js';
import { digest, framed } from '../crypto/kdf.js';
import { randomBytes, type RandomSource } from '../crypto/random-source.js';
import { sodium } from '../crypto/sodium.js';

/**
 * Commit-and-reveal of the nonces that seed the neighbour graph, as a hash chain so that one
 * commitment covers several rosters. A client draws s_A and publishes c = s_0 = H^A(s_A) in its signed
 * AdvertiseKeys, before anyone knows the roster. For roster attempt a it reveals s_a, checked as
 * H^a(s_a) = c. Until s_a is revealed nobody else can compute it (H is one-way), so when the server
 * fixes a roster it cannot know the graph that roster will get; when members fail to reveal and the
 * server tries a smaller roster, every member reveals a fresh link, and the server gets at most
 * GRAPH_ATTEMPTS looks, not a free choice of graph.
 */

/** Rosters one commitment can serve: the first, then at most two smaller ones. */
export const GRAPH_ATTEMPTS = 3;
export const GRAPH_NONCE_BYTES = 32;

const LINK_PURPOSE = 'cohort/secagg/graph-nonce-chain/v1';
/**
 * framed(purpose, nonce) with the purpose written once: every client hashes every roster member's
 * nonce, n per round, so the per-call encoding and allocation of `digest` would dominate the hash.
 */
const linkInput = framed(new TextEncoder().encode(LINK_PURPOSE), new Uint8Array(GRAPH_NONCE_BYTES));
const nonceAt = linkInput.length - GRAPH_NONCE_BYTES;

/** One step back along the chain: s_{i-1} = H(s_i), equal to digest(LINK_PURPOSE, s_i). */
export function previousLink(nonce: Uint8Array): Uint8Array {
  if (nonce.length !== GRAPH_NONCE_BYTES) return digest(LINK_PURPOSE, nonce);
  linkInput.set(nonce, nonceAt);
  return sodium.crypto_generichash(32, linkInput, null);
}

export interface GraphNonceChain {
  /** c = s_0, the value signed in AdvertiseKeys. */
  readonly commitment: Uint8Array;
  /** s_attempt, revealed once the roster of that attempt is fixed. */
  nonce(attempt: number): Uint8Array;
}

export function drawGraphNonceChain(random: RandomSource): GraphNonceChain {
  // links[j] = s_{A-j}, so links[A] is the commitment and links[A - a] the nonce of attempt a.
  const links = [randomBytes(random, GRAPH_NONCE_BYTES)];
  for (let i = 0; i < GRAPH_ATTEMPTS; i++) links.push(previousLink(links[i]!));
  return {
    commitment: links[GRAPH_ATTEMPTS]!,
    nonce: (attempt) => {
      if (!Number.isInteger(attempt) || attempt < 1 || attempt > GRAPH_ATTEMPTS)
        throw new RangeError(`no graph nonce for attempt ${attempt}`);
      return links[GRAPH_ATTEMPTS - attempt]!;
    },
  };
}

/** Whether `nonce` is the link of `attempt` on the chain committed to by `commitment`: H^attempt(nonce) = c. */
export function opensCommitment(nonce: Uint8Array, attempt: number, commitment: Uint8Array): boolean {
  if (nonce.length !== GRAPH_NONCE_BYTES || commitment.length !== GRAPH_NONCE_BYTES) return false;
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > GRAPH_ATTEMPTS) return false;
  let link = nonce;
  for (let i = 0; i < attempt; i++) link = previousLink(link);
  return constantTimeEqual(link, commitment);
}
