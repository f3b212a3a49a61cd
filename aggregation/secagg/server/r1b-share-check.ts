import type { ClientId } from '../graph.js';
import type { ClientMessage } from '../messages.js';
import { CulpritReason, DropReason } from '../reasons.js';
import { accusersNeeded } from './config.js';
import { wrongKind, type ServerContext, type ServerState } from './context.js';
import { MaskedInputState } from './r2-masked-input.js';
import { belowThreshold } from './terminal.js';

/**
 * R1½: collects each client's list of neighbours whose share ciphertexts it rejected, and decides who
 * masks with whom before anyone masks:
 *  - every rejection cuts the edge both ways: neither end adds a pairwise mask for it, and the
 *    rejecter holds no usable share of the rejected;
 *  - a client rejected by more neighbours than could all be corrupt (more than max(C, 1)) sent
 *    garbage: it is named a culprit and excluded;
 *  - a client with fewer than t uncut peers left could not be unmasked: excluded, and since an
 *    excluded client no longer counts as anyone's peer, this repeats to a fixed point.
 * Each remaining client is sent its peers (its U2 neighbours minus excluded and cut ones); the
 * unmasking plan uses exactly these sets.
 */
export class ShareCheckState implements ServerState {
  readonly phase = 'share-check';
  private readonly checks = new Map<ClientId, readonly ClientId[]>();

  accept(from: ClientId, message: ClientMessage, ctx: ServerContext): void {
    if (message.kind !== 'share-check' || this.checks.has(from) || !ctx.shareKeys.has(from))
      return wrongKind(from, message, this, ctx);
    const graph = ctx.requireGraph();
    let last = -1;
    for (const id of message.rejected) {
      if (!(id > last) || !ctx.shareKeys.has(id) || !graph.areNeighbours(from, id)) {
        return ctx.drop(
          from,
          this.phase,
          DropReason.MalformedShareCheck,
          `rejects client ${id}, which sent it no share, or out of order`,
        );
      }
      last = id;
    }
    this.checks.set(from, message.rejected);
  }

  waitingFor(ctx: ServerContext): ClientId[] {
    return [...ctx.shareKeys.keys()].filter((id) => ctx.active.has(id) && !this.checks.has(id));
  }

  advance(ctx: ServerContext): ServerState {
    const graph = ctx.requireGraph();
    const { threshold } = ctx.config.parameters;
    const inRound = new Set([...ctx.shareKeys.keys()].filter((id) => ctx.active.has(id)));
    const cut = new Map<ClientId, Set<ClientId>>();
    const accusers = new Map<ClientId, number>();
    const cutEdge = (a: ClientId, b: ClientId): void => {
      const set = cut.get(a) ?? new Set<ClientId>();
      set.add(b);
      cut.set(a, set);
    };
    for (const [rejecter, rejected] of this.checks) {
      if (!inRound.has(rejecter)) continue;
      for (const id of rejected) {
        cutEdge(rejecter, id);
        cutEdge(id, rejecter);
        accusers.set(id, (accusers.get(id) ?? 0) + 1);
      }
    }
    const needed = accusersNeeded(ctx.config);
    for (const [id, count] of accusers) {
      if (count < needed) continue;
      // Named even if it has gone silent since: the garbage it sent is the evidence, not its presence.
      const detail = `share ciphertexts rejected by ${count} neighbours`;
      ctx.name(id, CulpritReason.BadShareCiphertexts, detail);
      ctx.drop(id, this.phase, DropReason.RejectedShareCiphertexts, detail);
      inRound.delete(id);
    }

    const peersOf = (id: ClientId): ClientId[] =>
      graph.neighbours(id).filter((peer) => inRound.has(peer) && cut.get(id)?.has(peer) !== true);
    for (let changed = true; changed;) {
      changed = false;
      for (const id of inRound) {
        const peers = peersOf(id).length;
        if (peers >= threshold) continue;
        ctx.drop(
          id,
          this.phase,
          DropReason.TooFewValidHolders,
          `${peers} neighbours hold valid shares of it; threshold is ${threshold}`,
        );
        inRound.delete(id);
        changed = true;
      }
    }
    const aborted = belowThreshold(ctx, inRound.size, 'kept t peers holding valid shares');
    if (aborted) return aborted;
    for (const id of [...inRound].sort((a, b) => a - b)) {
      const peers = peersOf(id);
      ctx.maskWith.set(id, peers);
      ctx.send(id, { kind: 'mask-with', peers });
    }
    return new MaskedInputState();
  }
}
