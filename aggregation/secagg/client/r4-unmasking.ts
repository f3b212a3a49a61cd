import { verify } from '../../crypto/signature.js';
import type { ClientId } from '../graph.js';
import type { RevealedShare, ServerMessage } from '../messages.js';
import { survivorListPayload } from '../transcript.js';
import type { ClientConfig } from './config.js';
import type { Neighbourhood } from './r3-consistency-check.js';
import { expect, refuseUnless, type ClientPhase, type ClientState, type Transition } from './state.js';

/**
 * R4: awaits the unmask request, the one step where a dishonest server could learn a client's input:
 * with both the self-mask seed and the masking key of a survivor it could strip all masks from that
 * survivor's y. So an honest client answers only when
 *   - the survivor list is the one it signed, carrying valid signatures from at least t survivors over
 *     that list and the roster this client saw (as Bonawitz et al. require |U4| >= t; it verifies
 *     signatures until t are valid, not all n);
 *   - every owner named is a peer it masked with (so a neighbour whose shares it held), named once,
 *     in one list only;
 *   - self-seed shares are asked only for survivors, masking-key shares only for clients off the list.
 * It answers at most once per session.
 */
export class UnmaskingState implements ClientState {
  readonly phase = 'unmasking';

  constructor(
    private readonly seen: Neighbourhood,
    private readonly signedSurvivors: readonly ClientId[],
  ) {}

  handle(message: ServerMessage, config: ClientConfig): Transition {
    const request = expect(message, 'unmask-request', this.phase);
    const { threshold } = config.parameters;
    refuseUnless(
      request.survivors.length === this.signedSurvivors.length &&
        request.survivors.every((id, i) => id === this.signedSurvivors[i]),
      'unmask request carries a survivor list other than the one this client signed',
    );
    const survivors = new Set(this.signedSurvivors);
    const payload = survivorListPayload(config.sessionId, this.seen.rosterDigest, this.signedSurvivors);
    const validSigners = new Set<ClientId>();
    for (const { signer, signature } of request.signatures) {
      if (validSigners.size === threshold) break;
      if (!survivors.has(signer) || validSigners.has(signer)) continue;
      const key = config.identityKeyOf(signer);
      if (key !== undefined && verify(signature, payload, key)) validSigners.add(signer);
    }
    refuseUnless(
      validSigners.size >= threshold,
      `survivor list carries ${validSigners.size} valid survivor signatures; at least ${threshold} are required`,
    );

    const named = new Set<ClientId>();
    const reveal = (
      owners: readonly ClientId[],
      survivor: boolean,
      pick: 'selfSeed' | 'maskKey',
    ): RevealedShare[] =>
      owners.map((owner) => {
        refuseUnless(
          !named.has(owner),
          `unmask request names client ${owner} twice or asks for both of its shares`,
        );
        named.add(owner);
        refuseUnless(
          this.seen.neighbours.has(owner),
          `unmask request names client ${owner}, outside this neighbourhood`,
        );
        const shares = this.seen.held.get(owner);
        refuseUnless(
          shares !== undefined,
          `unmask request names client ${owner}, whose shares this client never got`,
        );
        refuseUnless(
          this.seen.peers.has(owner),
          `unmask request names client ${owner}, which this client did not mask with`,
        );
        refuseUnless(
          survivors.has(owner) === survivor,
          survivor
            ? `self-seed share asked for client ${owner}, which the signed list says dropped`
            : `masking-key share asked for client ${owner}, which the signed list says survived`,
        );
        return { owner, share: shares[pick] };
      });

    const selfSeedShares = reveal(request.selfSeedOwners, true, 'selfSeed');
    const maskKeyShares = reveal(request.maskKeyOwners, false, 'maskKey');
    return {
      next: terminal('completed'),
      send: [{ kind: 'unmask-response', selfSeedShares, maskKeyShares }],
    };
  }
}

/** A finished client ignores late messages rather than answering twice. */
export function terminal(phase: Extract<ClientPhase, 'completed' | 'aborted'>): ClientState {
  return {
    phase,
    handle: (_message, _config) => ({ next: terminal(phase), send: [] }),
  };
}
