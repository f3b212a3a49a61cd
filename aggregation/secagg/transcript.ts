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

/**
 * What a client signs with its identity key: its two round keys and graph commitment, bound to itself,
 * this session and the round plan it was shown. A neighbour shown another plan (other participants,
 * k, t or noise) cannot verify the signature, so a coordinator that equivocates on the plan is caught.
 */
export function advertisedKeysPayload(
  sessionId: Uint8Array,
  planDigest: Uint8Array,
  client: ClientId,
  encryptionKey: Uint8Array,
  maskingKey: Uint8Array,
  graphCommitment: Uint8Array,
): Uint8Array {
  return framed(
    text('cohort/secagg/advertise-keys/v2'),
    sessionId,
    planDigest,
    u32(client),
    encryptionKey,
    maskingKey,
    graphCommitment,
  );
}

/** Digest of a roster as one attempt fixed it: every entry (keys, commitment, signature), in order. */
export function rosterDigest(
  sessionId: Uint8Array,
  attempt: number,
  roster: readonly RosterEntry[],
): Uint8Array {
  const parts: Uint8Array[] = [sessionId, u32(attempt)];
  for (const e of roster)
    parts.push(u32(e.id), e.encryptionKey, e.maskingKey, e.graphCommitment, e.signature);
  return digest('cohort/secagg/roster/v2', ...parts);
}

/**
 * Seed of the neighbour graph: the roster digest and every member's revealed nonce for that attempt,
 * in roster order. The nonces were committed before the roster was fixed and revealed after, so no
 * one — coordinator or client — can choose the graph.
 */
export function graphSeed(rosterDigest: Uint8Array, nonces: readonly Uint8Array[]): Uint8Array {
  return digest('cohort/secagg/graph-seed/v2', rosterDigest, ...nonces);
}

/** Associated data of a share ciphertext: it cannot be moved to another session, sender or recipient. */
export function shareAssociatedData(
  sessionId: Uint8Array,
  sender: ClientId,
  recipient: ClientId,
): Uint8Array {
  return framed(text('cohort/secagg/share/v1'), sessionId, u32(sender), u32(recipient));
}

/**
 * What a client signs in ConsistencyCheck: the roster it saw (its digest) and the survivor list
 * (ascending ids) of this session, so two clients shown different rosters sign different bytes.
 */
export function survivorListPayload(
  sessionId: Uint8Array,
  rosterDigest: Uint8Array,
  survivors: readonly ClientId[],
): Uint8Array {
  return framed(text('cohort/secagg/survivors/v2'), sessionId, rosterDigest, idList(survivors));
}

/** Commitment to a self-mask seed, sent with the shares, so the server can check what it rebuilds. */
export function selfSeedCommitment(sessionId: Uint8Array, owner: ClientId, seed: Uint8Array): Uint8Array {
  return digest('cohort/secagg/self-seed-commitment/v1', sessionId, u32(owner), seed);
}
