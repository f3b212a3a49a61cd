import { agree } from '../crypto/key-agreement.js';
import { deriveKey } from '../crypto/kdf.js';
import { MASK_BLOCK_WORDS, type MaskPrg } from '../crypto/mask-prg.js';
import type { WordTarget } from '../vector/word-target.js';
import type { ClientId } from './graph.js';
import { u32 } from './transcript.js';

/**
 * The seed of the pairwise mask between two clients: the X25519 point of one's secret masking key and
 * the other's public one, run through the KDF with the session and the (ordered) pair, so it is the
 * same from both ends and unrelated across sessions and pairs.
 */
export function pairwiseSeed(
  sessionId: Uint8Array,
  mySecretKey: Uint8Array,
  peerPublicKey: Uint8Array,
  me: ClientId,
  peer: ClientId,
): Uint8Array | null {
  const point = agree(mySecretKey, peerPublicKey);
  if (point === null) return null;
  const [lo, hi] = me < peer ? [me, peer] : [peer, me];
  return deriveKey(point, 'cohort/secagg/pairwise-mask/v1', sessionId, u32(lo), u32(hi));
}

/** +1 when `me` adds the pair's mask, -1 when it subtracts it; the two ends cancel in the sum. */
export function pairwiseSign(me: ClientId, peer: ClientId): 1 | -1 {
  return me < peer ? 1 : -1;
}

/** A mask to add (+1) or remove (-1). */
export interface SignedSeed {
  readonly seed: Uint8Array;
  readonly sign: 1 | -1;
}

/**
 * target[i] ±= PRG(seed)[i] for the words start ≤ i < end, expanding the keystream block by block so
 * only one block is ever live. Any split of [0, d) into ranges gives the same words as one pass.
 */
export function applyMask(
  target: WordTarget,
  start: number,
  end: number,
  mask: SignedSeed,
  prg: MaskPrg,
): void {
  const stream = prg.open(mask.seed, start);
  for (let at = start; at < end; at += MASK_BLOCK_WORDS) {
    const block = stream.next(Math.min(MASK_BLOCK_WORDS, end - at));
    if (mask.sign === 1) target.add(block, at);
    else target.subtract(block, at);
  }
}
