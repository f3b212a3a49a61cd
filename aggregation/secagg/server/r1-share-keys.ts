import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES } from '../../crypto/aead.js';
import { SHARE_BYTES } from '../../crypto/shamir.js';
import type { ClientId } from '../graph.js';
import type { ClientMessage, SharesForYou } from '../messages.js';
import { DropReason } from '../reasons.js';
import { wrongKind, type ServerContext, type ServerState } from './context.js';
import { ShareCheckState } from './r1b-share-check.js';
import { belowThreshold } from './terminal.js';

const CIPHERTEXT_BYTES = AEAD_NONCE_BYTES + 2 * SHARE_BYTES + AEAD_TAG_BYTES;

/**
 * R1: collects one ciphertext per neighbour from each client. The server cannot read them; it checks
 * their shape — exactly the sender's neighbourhood, each once, of the right size — and routes them.
 */
export class ShareKeysState implements ServerState {
  readonly phase = 'share-keys';

  accept(from: ClientId, message: ClientMessage, ctx: ServerContext): void {
    if (message.kind !== 'share-keys' || ctx.shareKeys.has(from)) return wrongKind(from, message, this, ctx);
    const neighbours = new Set(ctx.requireGraph().neighbours(from));
    const seen = new Set<ClientId>();
    for (const { recipient, ciphertext } of message.ciphertexts) {
      if (!neighbours.has(recipient) || seen.has(recipient)) {
        return ctx.drop(
          from,
          this.phase,
          DropReason.MalformedShares,
          `recipient ${recipient} is not a neighbour or repeats`,
        );
      }
      if (ciphertext.length !== CIPHERTEXT_BYTES) {
        return ctx.drop(
          from,
          this.phase,
          DropReason.MalformedShares,
          `ciphertext for ${recipient} is not ${CIPHERTEXT_BYTES} bytes`,
        );
      }
      seen.add(recipient);
    }
    if (seen.size !== neighbours.size) {
      return ctx.drop(
        from,
        this.phase,
        DropReason.MalformedShares,
        `${seen.size} of ${neighbours.size} neighbours got shares`,
      );
    }
    if (message.selfSeedCommitment.length !== 32) {
      return ctx.drop(from, this.phase, DropReason.MalformedShares, 'selfSeedCommitment must be 32 bytes');
    }
    ctx.shareKeys.set(from, message);
  }

  waitingFor(ctx: ServerContext): ClientId[] {
    return [...ctx.active].filter((id) => !ctx.shareKeys.has(id));
  }

  advance(ctx: ServerContext): ServerState {
    for (const id of ctx.shareKeys.keys()) if (!ctx.active.has(id)) ctx.shareKeys.delete(id);
    const aborted = belowThreshold(ctx, ctx.shareKeys.size, 'shared keys');
    if (aborted) return aborted;
    const inbox = new Map<ClientId, SharesForYou['ciphertexts'][number][]>();
    for (const id of ctx.shareKeys.keys()) inbox.set(id, []);
    for (const [sender, message] of ctx.shareKeys) {
      for (const { recipient, ciphertext } of message.ciphertexts)
        inbox.get(recipient)?.push({ sender, ciphertext });
    }
    for (const [id, ciphertexts] of inbox) ctx.send(id, { kind: 'shares-for-you', ciphertexts });
    return new ShareCheckState();
  }
}
