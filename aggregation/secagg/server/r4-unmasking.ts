import { constantTimeEqual } from '../../crypto/bytes.js';
import { agreementPublicKey } from '../../crypto/key-agreement.js';
import { isFieldElement, SHARE_BYTES, ShareCombiner } from '../../crypto/shamir.js';
import type { ClientId } from '../graph.js';
import type { ClientMessage, RevealedShare } from '../messages.js';
import { AbortReason, CulpritReason, DropReason } from '../reasons.js';
import { selfSeedCommitment } from '../transcript.js';
import { accusersNeeded } from './config.js';
import { wrongKind, type ServerContext, type ServerState } from './context.js';
import { rebuildChecked, type HeldShare, type RebuildMemo } from './rebuild.js';
import { abortSession, TerminalState } from './terminal.js';

type SecretKind = 'selfSeed' | 'maskKey';

/** Secrets rebuilt and checked in R4, by owner: survivors' self seeds, dropped clients' masking keys. */
export interface VerifiedSecrets {
  readonly selfSeed: Map<ClientId, Uint8Array>;
  readonly maskKey: Map<ClientId, Uint8Array>;
}

/**
 * R4: gathers the shares it asked for and rebuilds each secret as soon as it has t of them, checking
 * it against the owner's commitment (self seed) or advertised public key (masking key). A secret that
 * does not check is retried with spares as they arrive (rebuild.ts), so the phase waits while some
 * secret is unverified and anyone it asked may still answer; it is done as soon as every secret is
 * verified — stragglers need not be waited for — and aborts when the deadline leaves one unverified.
 * Holders that reveal malformed shares, or wrong shares for more owners than corrupt holders could
 * explain, are named culprits.
 */
export class UnmaskingState implements ServerState {
  readonly phase = 'unmasking';
  readonly secrets: VerifiedSecrets = { selfSeed: new Map(), maskKey: new Map() };
  private readonly pending: Record<SecretKind, Map<ClientId, HeldShare[]>> = {
    selfSeed: new Map(),
    maskKey: new Map(),
  };
  private readonly responded = new Set<ClientId>();
  /** Owners each holder was caught giving a wrong share of. */
  private readonly wrongFor = new Map<ClientId, Set<ClientId>>();
  private readonly combiner = new ShareCombiner();
  private readonly memos: Record<SecretKind, Map<ClientId, RebuildMemo>> = {
    selfSeed: new Map(),
    maskKey: new Map(),
  };

  constructor(
    private readonly requested: ReadonlyMap<ClientId, { self: Set<ClientId>; maskKey: Set<ClientId> }>,
    ctx: ServerContext,
  ) {
    const survivors = new Set(ctx.survivors);
    for (const id of ctx.survivors) this.pending.selfSeed.set(id, []);
    for (const [id, peers] of ctx.maskWith) {
      if (!survivors.has(id) && peers.some((peer) => survivors.has(peer))) this.pending.maskKey.set(id, []);
    }
  }

  accept(from: ClientId, message: ClientMessage, ctx: ServerContext): void {
    const asked = this.requested.get(from);
    if (message.kind !== 'unmask-response' || asked === undefined || this.responded.has(from)) {
      return wrongKind(from, message, this, ctx);
    }
    const problem =
      malformed(message.selfSeedShares, asked.self) ?? malformed(message.maskKeyShares, asked.maskKey);
    if (problem !== undefined) {
      if (problem.culprit) ctx.name(from, CulpritReason.MalformedUnmaskShare, problem.detail);
      return ctx.drop(from, this.phase, DropReason.MalformedUnmaskResponse, problem.detail);
    }
    this.responded.add(from);
    const graph = ctx.requireGraph();
    const touched: [SecretKind, ClientId][] = [];
    const file = (kind: SecretKind, revealed: readonly RevealedShare[]): void => {
      for (const { owner, share } of revealed) {
        const list = this.pending[kind].get(owner);
        if (list === undefined) continue; // already verified
        list.push({ holder: from, x: graph.neighbours(owner).indexOf(from) + 1, value: share });
        touched.push([kind, owner]);
      }
    };
    file('selfSeed', message.selfSeedShares);
    file('maskKey', message.maskKeyShares);
    if (this.tryRebuild(touched, ctx)) {
      // Someone was caught lying: their shares now go last everywhere, which may unblock other owners.
      const all: [SecretKind, ClientId][] = [];
      for (const kind of ['selfSeed', 'maskKey'] as const)
        for (const owner of this.pending[kind].keys()) all.push([kind, owner]);
      while (this.tryRebuild(all, ctx));
    }
  }

  waitingFor(ctx: ServerContext): ClientId[] {
    if (this.pending.selfSeed.size + this.pending.maskKey.size === 0) return [];
    return [...this.requested.keys()].filter((id) => ctx.active.has(id) && !this.responded.has(id));
  }

  advance(ctx: ServerContext): ServerState {
    const unverified = [...this.pending.selfSeed.values(), ...this.pending.maskKey.values()];
    if (unverified.length === 0) return new TerminalState('ready');
    const { threshold } = ctx.config.parameters;
    const spoilt = unverified.filter((shares) => shares.length >= threshold).length;
    if (spoilt > 0) {
      return abortSession(
        ctx,
        AbortReason.InconsistentShares,
        `${spoilt} secrets have ${threshold} or more shares, but no ${threshold} of them rebuild the committed secret`,
      );
    }
    return abortSession(
      ctx,
      AbortReason.TooFewShares,
      `${unverified.length} secrets have fewer than ${threshold} shares`,
    );
  }

  /** Rebuilds what it can among `owners`; true when it caught a holder lying for the first time. */
  private tryRebuild(owners: readonly [SecretKind, ClientId][], ctx: ServerContext): boolean {
    const { threshold } = ctx.config.parameters;
    let caught = false;
    for (const [kind, owner] of owners) {
      const shares = this.pending[kind].get(owner);
      if (shares === undefined || shares.length < threshold) continue;
      const memo = this.memos[kind].get(owner) ?? {};
      const rebuilt = rebuildChecked(
        this.combiner,
        shares,
        threshold,
        (secret) => isRight(kind, owner, secret, ctx),
        (holder) => this.wrongFor.has(holder),
        memo,
      );
      if (rebuilt === undefined) {
        this.memos[kind].set(owner, memo);
        continue;
      }
      this.memos[kind].delete(owner);
      this.pending[kind].delete(owner);
      this.secrets[kind].set(owner, rebuilt.secret);
      for (const holder of rebuilt.inconsistent) {
        const owners = this.wrongFor.get(holder) ?? new Set<ClientId>();
        if (owners.size === 0) caught = true;
        owners.add(owner);
        this.wrongFor.set(holder, owners);
        if (owners.size >= accusersNeeded(ctx.config)) {
          ctx.name(
            holder,
            CulpritReason.WrongUnmaskShares,
            `its unmask shares disagree with the verified secrets of ${owners.size} clients`,
          );
        }
      }
    }
    return caught;
  }
}

function isRight(kind: SecretKind, owner: ClientId, secret: Uint8Array, ctx: ServerContext): boolean {
  if (kind === 'selfSeed') {
    const commitment = ctx.shareKeys.get(owner)!.selfSeedCommitment;
    return constantTimeEqual(selfSeedCommitment(ctx.config.sessionId, owner, secret), commitment);
  }
  return constantTimeEqual(agreementPublicKey(secret), ctx.rosterById.get(owner)!.maskingKey);
}

function malformed(
  revealed: readonly RevealedShare[],
  asked: ReadonlySet<ClientId>,
): { detail: string; culprit: boolean } | undefined {
  const seen = new Set<ClientId>();
  for (const { owner, share } of revealed) {
    if (!asked.has(owner) || seen.has(owner))
      return { detail: `share for owner ${owner} was not asked for or repeats`, culprit: false };
    // An honest holder checked the range of every share it kept (ShareCheck), so this one is the holder's doing.
    if (share.length !== SHARE_BYTES)
      return { detail: `share for owner ${owner} is not ${SHARE_BYTES} bytes`, culprit: true };
    if (!isFieldElement(share))
      return { detail: `share for owner ${owner} is not a field element`, culprit: true };
    seen.add(owner);
  }
  return undefined;
}
