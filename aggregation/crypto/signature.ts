import type { RandomSource } from './random-source.js';
import { randomBytes } from './random-source.js';
import { sodium } from './sodium.js';

/** Ed25519: the long-term identity of a member, and what binds its round keys to it. */
export interface SigningKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export const SIGNATURE_BYTES = 64;
export const SIGNING_PUBLIC_KEY_BYTES = 32;

export function signingKeyPairFromSeed(seed: Uint8Array): SigningKeyPair {
  const pair = sodium.crypto_sign_seed_keypair(seed);
  return { publicKey: pair.publicKey, secretKey: pair.privateKey };
}

export function generateSigningKeyPair(random: RandomSource): SigningKeyPair {
  return signingKeyPairFromSeed(randomBytes(random, 32));
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return sodium.crypto_sign_detached(message, secretKey);
}

/** False for a wrong signature and for malformed input alike: a forged message is data, not a crash. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== SIGNING_PUBLIC_KEY_BYTES) return false;
  try {
    return sodium.crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}
