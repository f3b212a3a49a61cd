import { sign } from '../../crypto/signature.js';
import type { ClientId } from '../graph.js';
import type { ServerMessage } from '../messages.js';
import { survivorListPayload } from '../transcript.js';
import type { ClientConfig } from './config.js';
import { UnmaskingState } from './r4-unmasking.js';
import { expect, refuseUnless, strictlyAscending, type ClientState, type Transition } from './state.js';

/** Shares this client holds, by owner: decrypted in R1½, revealed (one kind per owner) in R4. */
export type HeldShares = Map<ClientId, { readonly selfSeed: Uint8Array; readonly maskKey: Uint8Array }>;

/** What a client knows about its neighbourhood once it has masked. */
export interface Neighbourhood {
  readonly neighbours: ReadonlySet<ClientId>;
  /** Neighbours that sent it a share ciphertext (U2 as it saw it). */
  readonly senders: ReadonlySet<ClientId>;
  /** The peers it masked with. */
  readonly peers: ReadonlySet<ClientId>;
  readonly held: HeldShares;
  readonly rosterDigest: Uint8Array;
}

/**
 * R3: awaits the survivor list (U3). It must include us, and every neighbour on it must be one that
 * sent us shares (U3 ⊆ U2). We sign it together with the digest of the roster we saw, so clients shown
 * different rosters sign different bytes; R4 will accept only this exact list, signed by at least t
 * survivors over the same roster.
 */
export class ConsistencyCheckState implements ClientState {
  readonly phase = 'consistency-check';

  constructor(private readonly seen: Neighbourhood) {}

  handle(message: ServerMessage, config: ClientConfig): Transition {
    const { survivors } = expect(message, 'survivor-list', this.phase);
    refuseUnless(strictlyAscending(survivors), 'survivor list is not sorted or names a client twice');
    refuseUnless(survivors.includes(config.id), 'survivor list leaves out this client, which sent its input');
    refuseUnless(
      survivors.length >= config.parameters.threshold,
      `survivor list has ${survivors.length} clients; threshold is ${config.parameters.threshold}`,
    );
    for (const id of survivors) {
      refuseUnless(
        !this.seen.neighbours.has(id) || this.seen.senders.has(id),
        `survivor list names neighbour ${id}, which never shared keys with this client`,
      );
    }
    const payload = survivorListPayload(config.sessionId, this.seen.rosterDigest, survivors);
    const signature = sign(payload, config.identity.secretKey);
    return {
      next: new UnmaskingState(this.seen, survivors),
      send: [{ kind: 'consistency-signature', signature }],
    };
  }
}
