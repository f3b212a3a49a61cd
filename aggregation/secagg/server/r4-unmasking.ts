import { SHARE_BYTES, type Share } from '../../crypto/shamir.js';
import type { ClientId } from '../graph.js';
import type { ClientMessage, RevealedShare } from '../messages.js';
import { AbortReason, DropReason } from '../reasons.js';
import { wrongKind, type ServerContext, type ServerState } from './context.js';
import { abortSession, TerminalState } from './terminal.js';

/** Shares gathered per owner; x is the holder's place in the owner's neighbourhood, plus one. */
export interface GatheredShares {
  readonly selfSeed: Map<ClientId, Share[]>;
  readonly maskKey: Map<ClientId, Share[]>;
}

/**
 * R4: gathers the shares it asked for. It is done as soon as every survivor's self seed and every
 * dropped client's masking key has `threshold` shares — stragglers need not be waited for — and aborts
 * when the deadline leaves some owner short.
 */
export class UnmaskingState implements ServerState {
  readonly phase = 'unmasking';
  readonly shares: GatheredShares = { selfSeed: new Map(), maskKey: new Map() };
  private readonly responded = new Set<ClientId>();
  private short: number;

  constructor(
    private readonly requested: ReadonlyMap<ClientId, { self: Set<ClientId>; maskKey: Set<ClientId> }>,
    ctx: ServerContext,
  ) {
    for (const id of ctx.survivors) this.shares.selfSeed.set(id, []);
    for (const id of ctx.shareKeys.keys()) if (!this.shares.selfSeed.has(id)) this.shares.maskKey.set(id, []);
    this.short = this.shares.selfSeed.size + this.shares.maskKey.size;
  }

  accept(from: ClientId, message: ClientMessage, ctx: ServerContext): void {
    const asked = this.requested.get(from);
    if (message.kind !== 'unmask-response' || asked === undefined || this.responded.has(from)) {
      return wrongKind(from, message, this, ctx);
    }
    const problem =
      malformed(message.selfSeedShares, asked.self) ?? malformed(message.maskKeyShares, asked.maskKey);
    if (problem !== undefined) return ctx.drop(from, this.phase, DropReason.MalformedUnmaskResponse, problem);
    this.responded.add(from);
    const graph = ctx.requireGraph();
    const { threshold } = ctx.config.parameters;
    const file = (into: Map<ClientId, Share[]>, revealed: readonly RevealedShare[]): void => {
      for (const { owner, share } of revealed) {
        const list = into.get(owner)!;
        list.push({ x: graph.neighbours(owner).indexOf(from) + 1, value: share });
        if (list.length === threshold) this.short--;
      }
    };
    file(this.shares.selfSeed, message.selfSeedShares);
    file(this.shares.maskKey, message.maskKeyShares);
  }

  waitingFor(ctx: ServerContext): ClientId[] {
    if (this.short === 0) return [];
    return [...this.requested.keys()].filter((id) => ctx.active.has(id) && !this.responded.has(id));
  }

  advance(ctx: ServerContext): ServerState {
    if (this.short === 0) return new TerminalState('ready');
    return abortSession(
      ctx,
      AbortReason.TooFewShares,
      `${this.short} secrets have fewer than ${ctx.config.parameters.threshold} shares`,
    );
  }
}

function malformed(revealed: readonly RevealedShare[], asked: ReadonlySet<ClientId>): string | undefined {
  const seen = new Set<ClientId>();
  for (const { owner, share } of revealed) {
    if (!asked.has(owner) || seen.has(owner)) return `share for owner ${owner} was not asked for or repeats`;
    if (share.length !== SHARE_BYTES) return `share for owner ${owner} is not ${SHARE_BYTES} bytes`;
    seen.add(owner);
  }
  return undefined;
}
