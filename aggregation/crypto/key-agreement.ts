import type { RandomSource } from './random-source.js';
import { randomBytes } from './random-source.js';
import { sodium } from './sodium.js';

/** X25519 key pair for one round: one encrypts shares, another derives pairwise masks. */
export interface AgreementKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export const AGREEMENT_KEY_BYTES = 32;

export function generateAgreementKeyPair(random: RandomSource): AgreementKeyPair {
  const secretKey = randomBytes(random, AGREEMENT_KEY_BYTES);
  return { secretKey, publicKey: sodium.crypto_scalarmult_base(secretKey) };
}

export function agreementPublicKey(secretKey: Uint8Array): Uint8Array {
  return sodium.crypto_scalarmult_base(secretKey);
}

/**
 * The raw X25519 shared point. Callers must pass it through the KDF with a context before use.
 * Returns null for a malformed or low-order peer key (libsodium refuses an all-zero result), so a
 * hostile key cannot force a known shared secret.
 */
export function agree(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array | null {
  if (secretKey.length !== AGREEMENT_KEY_BYTES || peerPublicKey.length !== AGREEMENT_KEY_BYTES) return null;
  try {
    return sodium.crypto_scalarmult(secretKey, peerPublicKey);
  } catch {
    return null;
  }
}
