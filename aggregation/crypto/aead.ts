import type { RandomSource } from './random-source.js';
import { randomBytes } from './random-source.js';
import { sodium } from './sodium.js';

/**
 * XChaCha20-Poly1305. Its 24-byte nonce is drawn at random per message, which is safe at any volume
 * (unlike a 12-byte random nonce), so no nonce counter has to be kept in protocol state.
 */
export const AEAD_NONCE_BYTES = 24;
export const AEAD_TAG_BYTES = 16;

/** Returns nonce ‖ ciphertext ‖ tag. */
export function seal(
  key: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
  random: RandomSource,
): Uint8Array {
  const nonce = randomBytes(random, AEAD_NONCE_BYTES);
  const body = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData, null, nonce, key);
  const out = new Uint8Array(AEAD_NONCE_BYTES + body.length);
  out.set(nonce);
  out.set(body, AEAD_NONCE_BYTES);
  return out;
}

/** The plaintext, or null when the ciphertext, its tag or the associated data was tampered with. */
export function open(key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array | null {
  if (sealed.length < AEAD_NONCE_BYTES + AEAD_TAG_BYTES) return null;
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      sealed.subarray(AEAD_NONCE_BYTES),
      associatedData,
      sealed.subarray(0, AEAD_NONCE_BYTES),
      key,
    );
  } catch {
    return null;
  }
}
