import { verify } from '../../crypto/signature.js';
import type { ClientId } from '../graph.js';
import type { ClientMessage } from '../messages.js';
import { DropReason } from '../reasons.js';
import { survivorListPayload } from '../transcript.js';
import { wrongKind, type ServerContext, type ServerState } from './context.js';
import { UnmaskingState } from './r4-unmasking.js';
import { belowThreshold } from './terminal.js';

/**
 * R3: collects signatures over the roster digest and survivor list, and then asks each signer,
 * explicitly, for the self-seed shares of its surviving peers and the masking-key shares of its peers
 * that dropped after being told to mask — peers as fixed in R1½, never the raw graph.
 */
export class ConsistencyCheckState implements ServerState {
  readonly phase = 'consistency-check';

  accept(from: ClientId, message: ClientMessage, ctx: ServerContext): void {
    if (message.kind !== 'consistency-signature' || ctx.consistencySignatures.has(from)) {
      return wrongKind(from, message, this, ctx);
    }
    const payload = survivorListPayload(ctx.config.sessionId, ctx.rosterDigest, ctx.survivors);
    if (!verify(message.signature, payload, ctx.config.identityKeyOf(from)!)) {
      return ctx.drop(from, this.phase, DropReason.InvalidConsistencySignature, 'signature does not verify');
    }
    ctx.consistencySignatures.set(from, message.signature);
  }

  waitingFor(ctx: ServerContext): ClientId[] {
    return [...ctx.active].filter((id) => !ctx.consistencySignatures.has(id));
  }

  advance(ctx: ServerContext): ServerState {
    const signers = [...ctx.consistencySignatures.keys()].filter((id) => ctx.active.has(id));
    const aborted = belowThreshold(ctx, signers.length, 'signed the survivor list');
    if (aborted) return aborted;
    const survivors = new Set(ctx.survivors);
    const requested = new Map<ClientId, { self: Set<ClientId>; maskKey: Set<ClientId> }>();
    const signatures = signers
      .sort((a, b) => a - b)
      .map((j) => ({ signer: j, signature: ctx.consistencySignatures.get(j)! }));
    for (const id of signers) {
      const peers = ctx.maskWith.get(id) ?? [];
      const selfSeedOwners = peers.filter((j) => survivors.has(j));
      const maskKeyOwners = peers.filter((j) => !survivors.has(j));
      requested.set(id, { self: new Set(selfSeedOwners), maskKey: new Set(maskKeyOwners) });
      ctx.send(id, {
        kind: 'unmask-request',
        survivors: ctx.survivors,
        signatures,
        selfSeedOwners,
        maskKeyOwners,
      });
    }
    return new UnmaskingState(requested, ctx);
  }
}
