import { seal } from '../../crypto/aead.js';
import { agree } from '../../crypto/key-agreement.js';
import { deriveKey } from '../../crypto/kdf.js';
import { randomBytes } from '../../crypto/random-source.js';
import { splitSecret } from '../../crypto/shamir.js';
import { verify } from '../../crypto/signature.js';
import { opensCommitment } from '../graph-commitment.js';
import { NeighbourGraph, type ClientId } from '../graph.js';
import type { RosterEntry, ServerMessage, ShareKeys } from '../messages.js';
import {
  advertisedKeysPayload,
  graphSeed,
  rosterDigest,
  selfSeedCommitment,
  shareAssociatedData,
  u32,
} from '../transcript.js';
import type { ClientConfig } from './config.js';
import type { RoundSecrets } from './r0-advertise-keys.js';
import { acceptRoster, reveal, type AcceptedRoster } from './r0b-graph-nonce.js';
import { ShareCheckState } from './r1b-share-check.js';
import { expect, refuseUnless, type ClientState, type Transition } from './state.js';

/** The symmetric key two clients share for their share ciphertexts, the same from both ends. */
export function shareKey(sessionId: Uint8Array, point: Uint8Array, a: ClientId, b: ClientId): Uint8Array {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return deriveKey(point, 'cohort/secagg/share-key/v1', sessionId, u32(lo), u32(hi));
}

/**
 * R1: awaits every roster member's graph nonce for the roster this client revealed for — or a smaller
 * roster of the next attempt, when some members did not reveal. Each nonce must open its member's
 * commitment: the server checked them all, so a bad one means the server lies, and the client aborts.
 * The graph comes from the roster digest and the nonces; each neighbour's keys must be signed by its
 * identity over this client's plan digest (a neighbour shown another plan signed other bytes). Then it
 * sends each neighbour — encrypted to it alone — one share of the self-mask seed and one of the
 * masking key.
 */
export class ShareKeysState implements ClientState {
  readonly phase = 'share-keys';

  constructor(
    private readonly secrets: RoundSecrets,
    private readonly roster: AcceptedRoster,
  ) {}

  handle(message: ServerMessage, config: ClientConfig): Transition {
    if (message.kind === 'roster') {
      return reveal(acceptRoster(message, this.roster, this.secrets, config), this.secrets);
    }
    const { attempt, nonces } = expect(message, 'graph-nonces', this.phase);
    const { entries, byId } = this.roster;
    const me = config.id;
    const { degree, threshold } = config.parameters;
    refuseUnless(
      attempt === this.roster.attempt,
      `graph nonces for attempt ${attempt}; this client revealed for attempt ${this.roster.attempt}`,
    );
    refuseUnless(
      nonces.length === entries.length && nonces.every((n, i) => n.id === entries[i]!.id),
      'graph nonces do not list the roster’s members in roster order',
    );
    nonces.forEach(({ id, nonce }, i) => {
      refuseUnless(
        opensCommitment(nonce, attempt, entries[i]!.graphCommitment),
        `graph nonce of client ${id} does not open its commitment`,
      );
    });
    const digestOfRoster = rosterDigest(config.sessionId, attempt, entries);
    const graph = new NeighbourGraph(
      entries.map((e) => e.id),
      degree,
      graphSeed(
        digestOfRoster,
        nonces.map((n) => n.nonce),
      ),
    );
    const neighbours = graph.neighbours(me);
    const peers = neighbours.map((id) => checkedEntry(byId.get(id)!, config));

    const { encryption, masking } = this.secrets;
    const selfSeed = randomBytes(config.random, 32);
    const selfShares = splitSecret(selfSeed, threshold, neighbours.length, config.random);
    const keyShares = splitSecret(masking.secretKey, threshold, neighbours.length, config.random);
    const pairKeys = new Map<ClientId, Uint8Array>();
    const ciphertexts = peers.map((peer, index) => {
      const point = agree(encryption.secretKey, peer.encryptionKey);
      refuseUnless(point !== null, `client ${peer.id} advertised a low-order encryption key`);
      const key = shareKey(config.sessionId, point, me, peer.id);
      pairKeys.set(peer.id, key);
      const plaintext = new Uint8Array(selfShares[index]!.length * 2);
      plaintext.set(selfShares[index]!);
      plaintext.set(keyShares[index]!, selfShares[index]!.length);
      const ad = shareAssociatedData(config.sessionId, me, peer.id);
      return { recipient: peer.id, ciphertext: seal(key, plaintext, ad, config.random) };
    });

    const send: ShareKeys = {
      kind: 'share-keys',
      ciphertexts,
      selfSeedCommitment: selfSeedCommitment(config.sessionId, me, selfSeed),
    };
    const next = new ShareCheckState(this.secrets, {
      roster: byId,
      rosterDigest: digestOfRoster,
      neighbours: new Set(neighbours),
      pairKeys,
      selfSeed,
    });
    return { next, send: [send] };
  }
}

function checkedEntry(entry: RosterEntry, config: ClientConfig): RosterEntry {
  const identity = config.identityKeyOf(entry.id);
  refuseUnless(identity !== undefined, `roster names client ${entry.id}, which is not a member`);
  const payload = advertisedKeysPayload(
    config.sessionId,
    config.planDigest,
    entry.id,
    entry.encryptionKey,
    entry.maskingKey,
    entry.graphCommitment,
  );
  refuseUnless(verify(entry.signature, payload, identity), `keys of client ${entry.id} are not signed by it`);
  return entry;
}
