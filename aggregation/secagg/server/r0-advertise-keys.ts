import { AGREEMENT_KEY_BYTES, isSmallOrderPublicKey } from '../../crypto/key-agreement.js';
import { verify } from '../../crypto/signature.js';
import { GRAPH_NONCE_BYTES } from '../graph-commitment.js';
import type { ClientId } from '../graph.js';
import type { ClientMessage, RosterEntry } from '../messages.js';
import { AbortReason, DropReason } from '../reasons.js';
import { advertisedKeysPayload } from '../transcript.js';
import { smallestRoster } from './config.js';
import { wrongKind, type ServerContext, type ServerState } from './context.js';
import { GraphNonceState } from './r0b-graph-nonce.js';
import { abortSession } from './terminal.js';

/**
 * R0: collects each client's two public keys and graph commitment. The server checks the identity
 * signature (over the session and its plan digest) itself, so a client with a forged key is dropped
 * here instead of making every honest neighbour abort later. The roster of attempt 1 is every client
 * with valid keys; it must be at least as large as members accept.
 */
export class AdvertiseKeysState implements ServerState {
  readonly phase = 'advertise-keys';
  private readonly entries = new Map<ClientId, RosterEntry>();

  accept(from: ClientId, message: ClientMessage, ctx: ServerContext): void {
    if (message.kind !== 'advertise-keys' || this.entries.has(from))
      return wrongKind(from, message, this, ctx);
    const { encryptionKey, maskingKey, graphCommitment, signature } = message;
    if (encryptionKey.length !== AGREEMENT_KEY_BYTES || maskingKey.length !== AGREEMENT_KEY_BYTES) {
      return ctx.drop(from, this.phase, DropReason.MalformedKeys, 'keys must be 32 bytes each');
    }
    if (isSmallOrderPublicKey(encryptionKey) || isSmallOrderPublicKey(maskingKey)) {
      return ctx.drop(from, this.phase, DropReason.MalformedKeys, 'a key is a small-order point');
    }
    if (graphCommitment.length !== GRAPH_NONCE_BYTES) {
      return ctx.drop(from, this.phase, DropReason.MalformedKeys, 'graph commitment must be 32 bytes');
    }
    const payload = advertisedKeysPayload(
      ctx.config.sessionId,
      ctx.config.planDigest,
      from,
      encryptionKey,
      maskingKey,
      graphCommitment,
    );
    if (!verify(signature, payload, ctx.config.identityKeyOf(from)!)) {
      return ctx.drop(from, this.phase, DropReason.InvalidKeySignature, 'signature does not verify');
    }
    this.entries.set(from, { id: from, encryptionKey, maskingKey, graphCommitment, signature });
  }

  waitingFor(ctx: ServerContext): ClientId[] {
    return [...ctx.active].filter((id) => !this.entries.has(id));
  }

  advance(ctx: ServerContext): ServerState {
    const roster = [...ctx.active].sort((a, b) => a - b).map((id) => this.entries.get(id)!);
    const needed = smallestRoster(ctx.config);
    if (roster.length < needed) {
      const { threshold } = ctx.config.parameters;
      return abortSession(
        ctx,
        AbortReason.TooFewClients,
        `${roster.length} clients advertised keys; threshold ${threshold} and the minimum roster need ${needed}`,
      );
    }
    ctx.setRoster(1, roster);
    const message = { kind: 'roster', attempt: 1, entries: roster } as const;
    for (const entry of roster) ctx.send(entry.id, message);
    return new GraphNonceState(1);
  }
}
