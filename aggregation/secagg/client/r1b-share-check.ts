import { open } from '../../crypto/aead.js';
import { isFieldElement, SHARE_BYTES } from '../../crypto/shamir.js';
import type { ClientId } from '../graph.js';
import type { RosterEntry, ServerMessage } from '../messages.js';
import { shareAssociatedData } from '../transcript.js';
import type { ClientConfig } from './config.js';
import type { RoundSecrets } from './r0-advertise-keys.js';
import { MaskedInputState } from './r2-masked-input.js';
import type { HeldShares } from './r3-consistency-check.js';
import { expect, refuseUnless, type ClientState, type Transition } from './state.js';

/** What a client fixed when it shared its keys, used until it unmasks. */
export interface SharedKeys {
  readonly roster: ReadonlyMap<ClientId, RosterEntry>;
  /** Digest of the roster the graph came from; signed in ConsistencyCheck. */
  readonly rosterDigest: Uint8Array;
  readonly neighbours: ReadonlySet<ClientId>;
  readonly pairKeys: ReadonlyMap<ClientId, Uint8Array>;
  readonly selfSeed: Uint8Array;
}

/**
 * R1½: awaits the ciphertexts addressed to us. Routing is the server's job, so a share from a
 * non-neighbour or a second one from a sender is the server's fault and ends the session. What a
 * sender put inside is the sender's: a ciphertext that fails to open under the pair's key (with this
 * session, sender and recipient as associated data), has the wrong length, or holds a share that is
 * not a field element is rejected — that neighbour is as good as dropped for us — and reported, so the
 * server cuts the edge before anyone masks instead of one bad member aborting the round. Fewer than t
 * valid neighbours and nobody could unmask us: abort.
 */
export class ShareCheckState implements ClientState {
  readonly phase = 'share-check';

  constructor(
    private readonly secrets: RoundSecrets,
    private readonly keys: SharedKeys,
  ) {}

  handle(message: ServerMessage, config: ClientConfig): Transition {
    const { ciphertexts } = expect(message, 'shares-for-you', this.phase);
    const me = config.id;
    const held: HeldShares = new Map();
    const senders = new Set<ClientId>();
    const rejected: ClientId[] = [];
    for (const { sender, ciphertext } of ciphertexts) {
      refuseUnless(this.keys.neighbours.has(sender), `share from client ${sender}, which is not a neighbour`);
      refuseUnless(!senders.has(sender), `two shares from client ${sender}`);
      senders.add(sender);
      const ad = shareAssociatedData(config.sessionId, sender, me);
      const plaintext = open(this.keys.pairKeys.get(sender)!, ciphertext, ad);
      const selfSeed = plaintext?.subarray(0, SHARE_BYTES);
      const maskKey = plaintext?.subarray(SHARE_BYTES);
      if (
        plaintext === null ||
        plaintext.length !== 2 * SHARE_BYTES ||
        !isFieldElement(selfSeed!) ||
        !isFieldElement(maskKey!)
      ) {
        rejected.push(sender);
        continue;
      }
      held.set(sender, { selfSeed: selfSeed!, maskKey: maskKey! });
    }
    const { threshold } = config.parameters;
    refuseUnless(
      held.size >= threshold,
      `only ${held.size} neighbours shared keys` +
        (rejected.length > 0 ? ` (shares of ${rejected.join(', ')} did not open)` : '') +
        `; threshold is ${threshold}`,
    );
    rejected.sort((a, b) => a - b);
    return {
      next: new MaskedInputState(this.secrets, this.keys, held, senders),
      send: [{ kind: 'share-check', rejected }],
    };
  }
}
