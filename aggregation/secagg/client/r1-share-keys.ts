import { seal } from '../../crypto/aead.js';
import { constantTimeEqual } from '../../crypto/bytes.js';
import { agree, type AgreementKeyPair } from '../../crypto/key-agreement.js';
import { deriveKey } from '../../crypto/kdf.js';
import { randomBytes } from '../../crypto/random-source.js';
import { splitSecret } from '../../crypto/shamir.js';
import { verify } from '../../crypto/signature.js';
import { NeighbourGraph, type ClientId } from '../graph.js';
import type { RosterEntry, ServerMessage, ShareKeys } from '../messages.js';
import {
  advertisedKeysPayload,
  graphSeed,
  selfSeedCommitment,
  shareAssociatedData,
  u32,
} from '../transcript.js';
import type { ClientConfig } from './config.js';
import { MaskedInputState } from './r2-masked-input.js';
import { expect, refuseUnless, strictlyAscending, type ClientState, type Transition } from './state.js';

/** The symmetric key two clients share for their share ciphertexts, the same from both ends. */
export function shareKey(sessionId: Uint8Array, point: Uint8Array, a: ClientId, b: ClientId): Uint8Array {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return deriveKey(point, 'cohort/secagg/share-key/v1', sessionId, u32(lo), u32(hi));
}

/**
 * R1: awaits the roster of advertised keys. Checks it (sorted, contains our own keys unchanged, every
 * neighbour's keys signed by that member's identity), derives the graph from its digest, and sends
 * each neighbour — encrypted to it alone — one share of the self-mask seed and one of the masking key.
 */
export class ShareKeysState implements ClientState {
  readonly phase = 'share-keys';

  constructor(
    private readonly input: () => Uint32Array,
    private readonly encryption: AgreementKeyPair,
    private readonly masking: AgreementKeyPair,
  ) {}

  handle(message: ServerMessage, config: ClientConfig): Transition {
    const { entries } = expect(message, 'roster', this.phase);
    const me = config.id;
    const { degree, threshold } = config.parameters;
    refuseUnless(
      strictlyAscending(entries.map((e) => e.id)),
      'roster is not sorted by id or names a client twice',
    );
    const mine = entries.find((e) => e.id === me);
    refuseUnless(mine !== undefined, 'roster leaves this client out');
    refuseUnless(
      constantTimeEqual(mine.encryptionKey, this.encryption.publicKey) &&
        constantTimeEqual(mine.maskingKey, this.masking.publicKey),
      'roster altered this client’s keys',
    );
    refuseUnless(
      Math.min(degree, entries.length - 1) >= threshold,
      `roster has ${entries.length} clients; threshold ${threshold} needs at least ${threshold + 1}`,
    );

    // Every entry feeds the graph seed, so a non-member anywhere in the roster is refused; signatures are
    // checked for neighbours only (the server checked all), keeping the cost O(k) instead of O(n).
    for (const e of entries) {
      refuseUnless(
        config.identityKeyOf(e.id) !== undefined,
        `roster names client ${e.id}, which is not a member`,
      );
    }
    const graph = new NeighbourGraph(
      entries.map((e) => e.id),
      degree,
      graphSeed(config.sessionId, entries),
    );
    const neighbours = graph.neighbours(me);
    const byId = new Map(entries.map((e) => [e.id, e]));
    const peers = neighbours.map((id) => checkedEntry(byId.get(id)!, config));

    const selfSeed = randomBytes(config.random, 32);
    const selfShares = splitSecret(selfSeed, threshold, neighbours.length, config.random);
    const keyShares = splitSecret(this.masking.secretKey, threshold, neighbours.length, config.random);
    const pairKeys = new Map<ClientId, Uint8Array>();
    const ciphertexts = peers.map((peer, index) => {
      const point = agree(this.encryption.secretKey, peer.encryptionKey);
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
    const next = new MaskedInputState(
      this.input,
      this.masking,
      selfSeed,
      byId,
      new Set(neighbours),
      pairKeys,
    );
    return { next, send: [send] };
  }
}

function checkedEntry(entry: RosterEntry, config: ClientConfig): RosterEntry {
  const identity = config.identityKeyOf(entry.id);
  refuseUnless(identity !== undefined, `roster names client ${entry.id}, which is not a member`);
  const payload = advertisedKeysPayload(config.sessionId, entry.id, entry.encryptionKey, entry.maskingKey);
  refuseUnless(verify(entry.signature, payload, identity), `keys of client ${entry.id} are not signed by it`);
  return entry;
}
