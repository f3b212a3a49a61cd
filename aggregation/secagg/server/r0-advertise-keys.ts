import { AGREEMENT_KEY_BYTES, isSmallOrderPublicKey } from '../../crypto/key-agreement.js';
import { verify } from '../../crypto/signature.js';
import { NeighbourGraph, type ClientId } from '../graph.js';
import type { ClientMessage, RosterEntry } from '../messages.js';
import { DropReason } from '../reasons.js';
import { advertisedKeysPayload, graphSeed } from '../transcript.js';
import { wrongKind, type ServerContext, type ServerState } from './context.js';
import { ShareKeysState } from './r1-share-keys.js';
import { abortSession } from './terminal.js';
import { AbortReason } from '../reasons.js';

/**
 * R0: collects each client's two public keys. The server checks the identity signature itself, so a
 * client with a forged key is dropped here instead of making every honest neighbour abort later.
 */
export class AdvertiseKeysState implements ServerState {
  readonly phase = 'advertise-keys';
  private readonly entries = new Map<ClientId, RosterEntry>();

  accept(from: ClientId, message: ClientMessage, ctx: ServerContext): void {
    if (message.kind !== 'advertise-keys' || this.entries.has(from))
      return wrongKind(from, message, this, ctx);
    const { encryptionKey, maskingKey, signature } = message;
    if (encryptionKey.length !== AGREEMENT_KEY_BYTES || maskingKey.length !== AGREEMENT_KEY_BYTES) {
      return ctx.drop(from, this.phase, DropReason.MalformedKeys, 'keys must be 32 bytes each');
    }
    if (isSmallOrderPublicKey(encryptionKey) || isSmallOrderPublicKey(maskingKey)) {
      return ctx.drop(from, this.phase, DropReason.MalformedKeys, 'a key is a small-order point');
    }
    const payload = advertisedKeysPayload(ctx.config.sessionId, from, encryptionKey, maskingKey);
    if (!verify(signature, payload, ctx.config.identityKeyOf(from)!)) {
      return ctx.drop(from, this.phase, DropReason.InvalidKeySignature, 'signature does not verify');
    }
    this.entries.set(from, { id: from, encryptionKey, maskingKey, signature });
  }

  waitingFor(ctx: ServerContext): ClientId[] {
    return [...ctx.active].filter((id) => !this.entries.has(id));
  }

  advance(ctx: ServerContext): ServerState {
    const roster = [...ctx.active].sort((a, b) => a - b).map((id) => this.entries.get(id)!);
    const { degree, threshold } = ctx.config.parameters;
    if (roster.length < threshold + 1) {
      return abortSession(
        ctx,
        AbortReason.TooFewClients,
        `${roster.length} clients advertised keys; threshold ${threshold} needs ${threshold + 1}`,
      );
    }
    ctx.roster = roster;
    ctx.rosterById = new Map(roster.map((e) => [e.id, e]));
    ctx.graph = new NeighbourGraph(
      roster.map((e) => e.id),
      degree,
      graphSeed(ctx.config.sessionId, roster),
    );
    const message = { kind: 'roster', entries: roster } as const;
    for (const entry of roster) ctx.send(entry.id, message);
    return new ShareKeysState();
  }
}
