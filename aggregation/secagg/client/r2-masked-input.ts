import { open } from '../../crypto/aead.js';
import type { AgreementKeyPair } from '../../crypto/key-agreement.js';
import { SHARE_BYTES } from '../../crypto/shamir.js';
import { PlainWords } from '../../vector/word-target.js';
import type { ClientId } from '../graph.js';
import { applyMask, pairwiseSeed, pairwiseSign } from '../masks.js';
import type { MaskedInputChunk, RosterEntry, ServerMessage } from '../messages.js';
import { shareAssociatedData } from '../transcript.js';
import type { ClientConfig } from './config.js';
import { ConsistencyCheckState, type HeldShares } from './r3-consistency-check.js';
import { expect, refuseUnless, type ClientState, type Transition } from './state.js';

const DEFAULT_CHUNK_WORDS = 2 ** 18;

/**
 * R2: awaits the ciphertexts addressed to us. Each must come from a neighbour, once, and open under
 * the pair's key with this session, sender and recipient as associated data: a tampered, moved or
 * replayed share ends the session before we reveal anything that depends on it. The senders are the
 * neighbours that survived ShareKeys (U2); we mask with exactly them.
 */
export class MaskedInputState implements ClientState {
  readonly phase = 'masked-input';

  constructor(
    private readonly input: () => Uint32Array,
    private readonly masking: AgreementKeyPair,
    private readonly selfSeed: Uint8Array,
    private readonly roster: ReadonlyMap<ClientId, RosterEntry>,
    private readonly neighbours: ReadonlySet<ClientId>,
    private readonly pairKeys: ReadonlyMap<ClientId, Uint8Array>,
  ) {}

  handle(message: ServerMessage, config: ClientConfig): Transition {
    const { ciphertexts } = expect(message, 'shares-for-you', this.phase);
    const me = config.id;
    const held: HeldShares = new Map();
    for (const { sender, ciphertext } of ciphertexts) {
      refuseUnless(this.neighbours.has(sender), `share from client ${sender}, which is not a neighbour`);
      refuseUnless(!held.has(sender), `two shares from client ${sender}`);
      const ad = shareAssociatedData(config.sessionId, sender, me);
      const plaintext = open(this.pairKeys.get(sender)!, ciphertext, ad);
      refuseUnless(
        plaintext !== null,
        `share from client ${sender} fails authentication (tampered or replayed)`,
      );
      refuseUnless(plaintext.length === 2 * SHARE_BYTES, `share from client ${sender} has the wrong length`);
      held.set(sender, {
        selfSeed: plaintext.subarray(0, SHARE_BYTES),
        maskKey: plaintext.subarray(SHARE_BYTES),
      });
    }
    refuseUnless(
      held.size >= config.parameters.threshold,
      `only ${held.size} neighbours shared keys; threshold is ${config.parameters.threshold}`,
    );

    const masked = new PlainWords(Uint32Array.from(this.input()));
    applyMask(masked, 0, masked.length, { seed: this.selfSeed, sign: 1 }, config.prg);
    for (const peer of held.keys()) {
      const seed = pairwiseSeed(
        config.sessionId,
        this.masking.secretKey,
        this.roster.get(peer)!.maskingKey,
        me,
        peer,
      );
      refuseUnless(seed !== null, `client ${peer} advertised a low-order masking key`);
      applyMask(masked, 0, masked.length, { seed, sign: pairwiseSign(me, peer) }, config.prg);
    }

    const chunkWords = config.chunkWords ?? DEFAULT_CHUNK_WORDS;
    const send: MaskedInputChunk[] = [];
    for (let offset = 0; offset < masked.length; offset += chunkWords) {
      send.push({ kind: 'masked-input', offset, words: masked.words.subarray(offset, offset + chunkWords) });
    }
    return { next: new ConsistencyCheckState(this.neighbours, held), send };
  }
}
