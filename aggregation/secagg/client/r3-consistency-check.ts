import { sign } from '../../crypto/signature.js';
import type { ClientId } from '../graph.js';
import type { ServerMessage } from '../messages.js';
import { survivorListPayload } from '../transcript.js';
import type { ClientConfig } from './config.js';
import { UnmaskingState } from './r4-unmasking.js';
import { expect, refuseUnless, strictlyAscending, type ClientState, type Transition } from './state.js';

/** Shares this client holds, by owner: decrypted in R2, revealed (one kind per owner) in R4. */
export type HeldShares = Map<ClientId, { readonly selfSeed: Uint8Array; readonly maskKey: Uint8Array }>;

/**
 * R3: awaits the survivor list (U3). It must include us, and every neighbour on it must be one whose
 * shares we hold (U3 ⊆ U2). We sign it; R4 will accept only this exact list, signed by at least t survivors.
 */
export class ConsistencyCheckState implements ClientState {
  readonly phase = 'consistency-check';

  constructor(
    private readonly neighbours: ReadonlySet<ClientId>,
    private readonly held: HeldShares,
  ) {}

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
        !this.neighbours.has(id) || this.held.has(id),
        `survivor list names neighbour ${id}, which never shared keys with this client`,
      );
    }
    const signature = sign(survivorListPayload(config.sessionId, survivors), config.identity.secretKey);
    return {
      next: new UnmaskingState(this.neighbours, this.held, survivors),
      send: [{ kind: 'consistency-signature', signature }],
    };
  }
}
