import type { MaskPrg } from '../../crypto/mask-prg.js';
import type { WordVector } from '../../vector/word-vector.js';
import type { ClientId } from '../graph.js';
import { applyMask, type SignedSeed } from '../masks.js';
import type { ClientMessage, Outbound } from '../messages.js';
import { DropReason, LocalProtocolError, SecAggAbortedError, type CulpritRecord } from '../reasons.js';
import { validateServerConfig, type ServerConfig } from './config.js';
import { ServerContext, type DropRecord, type ServerPhase, type ServerState } from './context.js';
import { AdvertiseKeysState } from './r0-advertise-keys.js';
import { UnmaskingState, type VerifiedSecrets } from './r4-unmasking.js';
import { abortSession, TerminalState } from './terminal.js';
import { unmaskingPlan } from './unmask.js';

export interface SecAggResult {
  /** Σ x_i mod 2^32 over the survivors. */
  readonly sum: Uint32Array;
  readonly survivors: readonly ClientId[];
  readonly dropped: ReadonlyMap<ClientId, DropRecord>;
  /** Keystreams expanded to unmask: one self mask per survivor plus the pairwise masks of dropped clients. */
  readonly masksRemoved: number;
  /** Clients proven to misbehave in this session, and how (reasons.ts). */
  readonly culprits: ReadonlyMap<ClientId, CulpritRecord>;
}

/**
 * The server side of one secure-aggregation session, sans-IO. The caller feeds it client messages,
 * disconnections and phase deadlines, and delivers the messages it returns. A phase ends when every
 * client still in it has answered or when the caller reports the deadline; the session aborts when
 * fewer than `threshold` clients remain. When the phase is `ready`, the caller ends the round with
 * `finish()`, which removes the masks with the secrets R4 rebuilt and verified.
 */
export class SecAggServer {
  private readonly ctx: ServerContext;
  private state: ServerState = new AdvertiseKeysState();
  private verified: VerifiedSecrets | undefined;
  private result: SecAggResult | undefined;

  constructor(config: ServerConfig) {
    validateServerConfig(config);
    this.ctx = new ServerContext(config);
  }

  get phase(): ServerPhase {
    return this.state.phase;
  }

  get dropped(): ReadonlyMap<ClientId, DropRecord> {
    return this.ctx.dropped;
  }

  /** Clients proven to misbehave so far, also when the session aborts. */
  get culprits(): ReadonlyMap<ClientId, CulpritRecord> {
    return this.ctx.culprits;
  }

  /** Clients the current phase still waits for. */
  get waitingFor(): ClientId[] {
    return this.state.waitingFor(this.ctx);
  }

  /** Why the session aborted, when it did. */
  get abortError(): SecAggAbortedError | undefined {
    return this.state instanceof TerminalState ? this.state.error : undefined;
  }

  handle(from: ClientId, message: ClientMessage): Outbound[] {
    if (!this.ctx.selected.has(from)) {
      return [{ to: from, message: { kind: 'abort', reason: `client ${from} is not part of this session` } }];
    }
    if (!this.ctx.active.has(from)) {
      if (this.state instanceof TerminalState) return [];
      const record = this.ctx.dropped.get(from)!;
      return [
        { to: from, message: { kind: 'abort', reason: `already dropped: ${DropReason[record.reason]}` } },
      ];
    }
    if (message.kind === 'abort') {
      this.dropNow(from, DropReason.ClientAborted, message.reason);
    } else {
      this.state.accept(from, message, this.ctx);
      // `from` was active above; if accepting its message dropped it, undo what it half-finished.
      if (!this.ctx.active.has(from)) this.state.onDrop?.(from, this.ctx);
    }
    return this.settle();
  }

  /** The transport lost `id`. */
  disconnected(id: ClientId): Outbound[] {
    if (this.ctx.active.has(id)) this.dropNow(id, DropReason.Disconnected, 'connection lost');
    return this.settle();
  }

  /** The current phase's deadline passed: everyone it still waits for is dropped. */
  deadline(): Outbound[] {
    for (const id of this.state.waitingFor(this.ctx))
      this.dropNow(id, DropReason.Timeout, `no answer in ${this.phase}`);
    return this.settle();
  }

  /**
   * Unmasks the sum with the verified secrets. Only in phase `ready`; returns the result once.
   * `remover` expands and subtracts the masks; pass a parallel one to use more cores.
   */
  finish(remover: MaskRemover = removeMasks): SecAggResult {
    if (this.result !== undefined) return this.result;
    if (this.phase !== 'ready' || this.verified === undefined) {
      throw new LocalProtocolError(`finish() needs phase ready, not ${this.phase}`);
    }
    let plan: SignedSeed[];
    try {
      plan = unmaskingPlan(this.ctx, this.verified);
    } catch (error) {
      if (!(error instanceof SecAggAbortedError)) throw error;
      this.state = abortSession(this.ctx, error.reason, error.detail);
      throw error;
    }
    remover(this.ctx.sum, plan, this.ctx.config.prg);
    this.state = new TerminalState('completed');
    this.result = {
      sum: this.ctx.sum.words,
      survivors: this.ctx.survivors,
      dropped: this.ctx.dropped,
      masksRemoved: plan.length,
      culprits: this.ctx.culprits,
    };
    return this.result;
  }

  /**
   * Messages produced outside `handle`, `disconnected` and `deadline` — the aborts `finish()` sends when
   * a verified key still yields no pairwise seed — for the caller to deliver.
   */
  takeOutbound(): Outbound[] {
    return this.ctx.takeOutbox();
  }

  private dropNow(id: ClientId, reason: DropReason, detail: string): void {
    this.ctx.drop(id, this.phase, reason, detail);
    this.state.onDrop?.(id, this.ctx);
  }

  /** Advances through every phase that has nobody left to wait for. */
  private settle(): Outbound[] {
    while (!(this.state instanceof TerminalState) && this.state.waitingFor(this.ctx).length === 0) {
      if (this.state instanceof UnmaskingState) this.verified = this.state.secrets;
      this.state = this.state.advance(this.ctx);
    }
    return this.ctx.takeOutbox();
  }
}

/** Applies every mask of `plan` to all of `sum`; any split of the work must give the same words. */
export type MaskRemover = (sum: WordVector, plan: readonly SignedSeed[], prg: MaskPrg) => void;

/** Takes every listed mask out of the sum, one keystream at a time, on this thread. */
export function removeMasks(sum: WordVector, plan: readonly SignedSeed[], prg: MaskPrg): void {
  for (const mask of plan) applyMask(sum, 0, sum.length, mask, prg);
}
