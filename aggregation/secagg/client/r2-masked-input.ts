import { PlainWords } from '../../vector/word-target.js';
import type { ClientId } from '../graph.js';
import { applyMask, pairwiseSeed, pairwiseSign } from '../masks.js';
import type { MaskedInputChunk, ServerMessage } from '../messages.js';
import type { ClientConfig } from './config.js';
import type { RoundSecrets } from './r0-advertise-keys.js';
import type { SharedKeys } from './r1b-share-check.js';
import { ConsistencyCheckState, type HeldShares } from './r3-consistency-check.js';
import { expect, refuseUnless, strictlyAscending, type ClientState, type Transition } from './state.js';

const DEFAULT_CHUNK_WORDS = 2 ** 18;

/**
 * R2: awaits the peers to mask with: the neighbours that shared keys, minus edges either end rejected
 * and clients the server excluded. Each must be one whose valid shares we hold (we never mask with a
 * client we cannot help unmask), and at least t of them: with t > C, at least one is honest, so the
 * server never sees our input under corrupt peers' masks alone.
 */
export class MaskedInputState implements ClientState {
  readonly phase = 'masked-input';

  constructor(
    private readonly secrets: RoundSecrets,
    private readonly keys: SharedKeys,
    private readonly held: HeldShares,
    /** Neighbours that sent us a ciphertext at all (U2 as we saw it), valid or not. */
    private readonly senders: ReadonlySet<ClientId>,
  ) {}

  handle(message: ServerMessage, config: ClientConfig): Transition {
    const { peers } = expect(message, 'mask-with', this.phase);
    const me = config.id;
    const { threshold } = config.parameters;
    refuseUnless(strictlyAscending(peers), 'mask-with list is not sorted or names a client twice');
    for (const peer of peers) {
      refuseUnless(
        this.held.has(peer),
        `mask-with names client ${peer}, whose valid shares this client lacks`,
      );
    }
    refuseUnless(
      peers.length >= threshold,
      `mask-with names ${peers.length} peers; threshold is ${threshold}`,
    );

    const masked = new PlainWords(Uint32Array.from(this.secrets.input()));
    applyMask(masked, 0, masked.length, { seed: this.keys.selfSeed, sign: 1 }, config.prg);
    for (const peer of peers) {
      const seed = pairwiseSeed(
        config.sessionId,
        this.secrets.masking.secretKey,
        this.keys.roster.get(peer)!.maskingKey,
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
    const next = new ConsistencyCheckState({
      neighbours: this.keys.neighbours,
      senders: this.senders,
      peers: new Set(peers),
      held: this.held,
      rosterDigest: this.keys.rosterDigest,
    });
    return { next, send };
  }
}
