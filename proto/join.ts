import { framed } from '../aggregation/crypto/kdf.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The bytes a member signs to join (JoinRequest.signature): purpose, federation name, nonce, framed. */
export function joinPayload(federation: string, nonce: Uint8Array): Uint8Array {
  return framed(text('cohort/join/v1'), text(federation), nonce);
}
