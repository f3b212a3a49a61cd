import { GRAPH_ATTEMPTS, opensCommitment } from '../graph-commitment.js';
import { NeighbourGraph, type ClientId } from '../graph.js';
import type { ClientMessage } from '../messages.js';
import { AbortReason, DropReason } from '../reasons.js';
import { graphSeed } from '../transcript.js';
import { smallestRoster } from './config.js';
import { wrongKind, type ServerContext, type ServerState } from './context.js';
import { ShareKeysState } from './r1-share-keys.js';
import { abortSession } from './terminal.js';

/**
 * R0½: collects every roster member's graph nonce for this attempt and checks it opens the member's
 * commitment. When all have revealed, the graph is fixed by the roster digest and the nonces, and
 * everyone gets the nonces to derive it themselves. When some have not (the deadline dropped them),
 * no graph can be made without them: the server sends the revealers as the next attempt's roster —
 * each of them will reveal a fresh nonce — up to GRAPH_ATTEMPTS rosters, and aborts after that or
 * when the revealers fall below the smallest roster members accept.
 */
export class GraphNonceState implements ServerState {
  readonly phase = 'graph-nonce';
  private readonly nonces = new Map<ClientId, Uint8Array>();

  constructor(private readonly attempt: number) {}

  accept(from: ClientId, message: ClientMessage, ctx: ServerContext): void {
    if (message.kind !== 'graph-nonce' || this.nonces.has(from) || !ctx.rosterById.has(from))
      return wrongKind(from, message, this, ctx);
    if (message.attempt !== this.attempt) {
      return ctx.drop(
        from,
        this.phase,
        DropReason.InvalidGraphNonce,
        `nonce for attempt ${message.attempt}; the roster is attempt ${this.attempt}`,
      );
    }
    if (!opensCommitment(message.nonce, this.attempt, ctx.rosterById.get(from)!.graphCommitment)) {
      return ctx.drop(from, this.phase, DropReason.InvalidGraphNonce, 'nonce does not open the commitment');
    }
    this.nonces.set(from, message.nonce);
  }

  waitingFor(ctx: ServerContext): ClientId[] {
    return ctx.roster.map((e) => e.id).filter((id) => ctx.active.has(id) && !this.nonces.has(id));
  }

  advance(ctx: ServerContext): ServerState {
    const revealed = ctx.roster.filter((e) => ctx.active.has(e.id) && this.nonces.has(e.id));
    if (revealed.length === ctx.roster.length) {
      const nonces = revealed.map((e) => ({ id: e.id, nonce: this.nonces.get(e.id)! }));
      ctx.graph = new NeighbourGraph(
        revealed.map((e) => e.id),
        ctx.config.parameters.degree,
        graphSeed(
          ctx.rosterDigest,
          nonces.map((n) => n.nonce),
        ),
      );
      const message = { kind: 'graph-nonces', attempt: this.attempt, nonces } as const;
      for (const e of revealed) ctx.send(e.id, message);
      return new ShareKeysState();
    }
    const needed = smallestRoster(ctx.config);
    if (this.attempt >= GRAPH_ATTEMPTS || revealed.length < needed) {
      return abortSession(
        ctx,
        AbortReason.TooFewClients,
        `${revealed.length} of ${ctx.roster.length} roster members revealed their graph nonce in attempt ` +
          `${this.attempt} of ${GRAPH_ATTEMPTS}; a roster needs ${needed}`,
      );
    }
    const attempt = this.attempt + 1;
    ctx.setRoster(attempt, revealed);
    const message = { kind: 'roster', attempt, entries: revealed } as const;
    for (const e of revealed) ctx.send(e.id, message);
    return new GraphNonceState(attempt);
  }
}
