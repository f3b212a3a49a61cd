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

/**
 * u-coordinates of the points of order 1, 2, 4 and 8 and their non-canonical encodings (libsodium's
 * own blacklist). Any X25519 product with one of them is all zero, so a peer advertising one could
 * make every agreement with it fail or be known in advance.
 */
const SMALL_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')));

/** True for a public key no honest party can have: a small-order point, however encoded (the top bit is ignored). */
export function isSmallOrderPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== AGREEMENT_KEY_BYTES) return false;
  return SMALL_ORDER_POINTS.some((point) => {
    let diff = (publicKey[31]! & 0x7f) ^ point[31]!;
    for (let i = 0; i < 31; i++) diff |= publicKey[i]! ^ point[i]!;
    return diff === 0;
  });
}
