import { digest, framed } from '../crypto/kdf.js';
import type { ClientId } from './graph.js';
import type { RosterEntry } from './messages.js';

/**
 * The exact bytes that get signed, hashed or bound as associated data. Client and server build them
 * with these functions only, so the two sides can never disagree on an encoding. Every one starts with
 * a versioned purpose string and the session id: nothing signed for one round or one step can be
 * replayed in another.
 */

export function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

export function idList(ids: readonly ClientId[]): Uint8Array {
  const out = new Uint8Array(ids.length * 4);
  const view = new DataView(out.buffer);
  ids.forEach((id, i) => view.setUint32(i * 4, id));
  return out;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** What a client signs with its identity key to bind its two round keys to itself and this session. */
export function advertisedKeysPayload(
  sessionId: Uint8Array,
  client: ClientId,
  encryptionKey: Uint8Array,
  maskingKey: Uint8Array,
): Uint8Array {
  return framed(text('cohort/secagg/advertise-keys/v1'), sessionId, u32(client), encryptionKey, maskingKey);
}

/** Seed of the neighbour graph: the digest of every advertised key and signature, in roster order. */
export function graphSeed(sessionId: Uint8Array, roster: readonly RosterEntry[]): Uint8Array {
  const parts: Uint8Array[] = [sessionId];
  for (const e of roster) parts.push(u32(e.id), e.encryptionKey, e.maskingKey, e.signature);
  return digest('cohort/secagg/graph-seed/v1', ...parts);
}

/** Associated data of a share ciphertext: it cannot be moved to another session, sender or recipient. */
export function shareAssociatedData(
  sessionId: Uint8Array,
  sender: ClientId,
  recipient: ClientId,
): Uint8Array {
  return framed(text('cohort/secagg/share/v1'), sessionId, u32(sender), u32(recipient));
}

/** What a client signs in ConsistencyCheck: the survivor list (ascending ids) of this session. */
export function survivorListPayload(sessionId: Uint8Array, survivors: readonly ClientId[]): Uint8Array {
  return framed(text('cohort/secagg/survivors/v1'), sessionId, idList(survivors));
}

/** Commitment to a self-mask seed, sent with the shares, so the server can check what it rebuilds. */
export function selfSeedCommitment(sessionId: Uint8Array, owner: ClientId, seed: Uint8Array): Uint8Array {
  return digest('cohort/secagg/self-seed-commitment/v1', sessionId, u32(owner), seed);
}
