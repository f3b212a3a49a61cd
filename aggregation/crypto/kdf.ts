import { sodium } from './sodium.js';

const encoder = new TextEncoder();

/**
 * Derives a 32-byte key from input key material with BLAKE2b keyed by that material. The purpose
 * string separates domains (a share-encryption key can never equal a mask seed) and every part is
 * length-prefixed, so two different part lists can never hash the same bytes.
 */
export function deriveKey(keyMaterial: Uint8Array, purpose: string, ...parts: Uint8Array[]): Uint8Array {
  return sodium.crypto_generichash(32, framed(encoder.encode(purpose), ...parts), keyMaterial);
}

/** An unkeyed BLAKE2b-256 digest of length-prefixed parts (transcripts, graph seeds). */
export function digest(purpose: string, ...parts: Uint8Array[]): Uint8Array {
  return sodium.crypto_generichash(32, framed(encoder.encode(purpose), ...parts), null);
}

/** Concatenates parts, each preceded by its length as a 32-bit big-endian integer. */
export function framed(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += 4 + p.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}
