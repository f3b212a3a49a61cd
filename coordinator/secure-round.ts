import type { MaskPrg } from '../aggregation/crypto/mask-prg.js';
import {
  DropReason,
  SecAggServer,
  type ClientId,
  type ClientMessage,
  type CulpritRecord,
  type MaskRemover,
  type SecAggParameters,
  type SecAggResult,
  type ServerMessage,
  type ServerPhase,
} from '../aggregation/secagg/index.js';

/** Milliseconds each phase may take before the members still awaited are dropped. */
export interface PhaseDeadlines {
  readonly advertiseKeys: number;
  /** Each roster attempt's wait for graph nonces; a re-roster gets a fresh one. */
  readonly graphNonce: number;
  readonly shareKeys: number;
  readonly shareCheck: number;
  readonly maskedInput: number;
  readonly consistencyCheck: number;
  readonly unmasking: number;
}

export interface SecureRoundOptions {
  readonly roundId: Uint8Array;
  readonly parameters: SecAggParameters;
  /**
   * Digest of the round plan as announced in RoundStarted (proto/round-plan.ts); every member signs
   * its keys over the digest it computed, and the core verifies them against this one.
   */
  readonly planDigest: Uint8Array;
  /** C: corrupt members assumed in the round (roundParameters); sets when a member is named a culprit. */
  readonly corruptClients?: number;
  /** The smallest roster members accept (roundParameters); below it the session aborts. */
  readonly minimumRoster?: number;
  readonly dimension: number;
  readonly participants: readonly ClientId[];
  readonly identityKeyOf: (id: ClientId) => Uint8Array | undefined;
  readonly prg: MaskPrg;
  readonly deadlines: PhaseDeadlines;
  /** Hands a protocol message to a member's Subscribe stream. */
  readonly deliver: (to: ClientId, message: ServerMessage) => void;
  readonly remover?: MaskRemover;
  /** Told whenever the round moves to another phase, so operators can watch a slow round progress. */
  readonly onPhase?: (progress: RoundProgress) => void;
}

/** Where a round stands: members that answered the current phase, those awaited, those dropped. */
export interface RoundProgress {
  readonly phase: ServerPhase;
  readonly participants: number;
  readonly waitingFor: number;
  readonly dropped: number;
}

/** What the edge should tell a member whose own call just got it dropped. */
export interface Refusal {
  readonly reason: DropReason;
  readonly detail: string;
}

const DEADLINE_OF: Partial<Record<ServerPhase, keyof PhaseDeadlines>> = {
  'advertise-keys': 'advertiseKeys',
  'graph-nonce': 'graphNonce',
  'share-keys': 'shareKeys',
  'share-check': 'shareCheck',
  'masked-input': 'maskedInput',
  'consistency-check': 'consistencyCheck',
  unmasking: 'unmasking',
};

/**
 * One secure-aggregation round at the coordinator: the sans-IO server plus the only things it must
 * not own — the phase deadline timers and message delivery. When the server is ready it finishes the
 * round on the spot and settles `result`.
 */
export class SecureRoundSession {
  readonly result: Promise<SecAggResult>;
  private readonly server: SecAggServer;
  private timer: NodeJS.Timeout | undefined;
  private timedPhase: ServerPhase | undefined;
  private settle!: { resolve: (r: SecAggResult) => void; reject: (e: Error) => void };

  constructor(private readonly options: SecureRoundOptions) {
    this.server = new SecAggServer({
      sessionId: options.roundId,
      parameters: options.parameters,
      planDigest: options.planDigest,
      ...(options.corruptClients === undefined ? {} : { corruptClients: options.corruptClients }),
      ...(options.minimumRoster === undefined ? {} : { minimumRoster: options.minimumRoster }),
      dimension: options.dimension,
      clients: options.participants,
      identityKeyOf: options.identityKeyOf,
      prg: options.prg,
    });
    this.result = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.result.catch(() => undefined); // callers observe it; an unobserved abort is not a crash
    this.armDeadline();
    this.reportPhase();
  }

  get roundId(): Uint8Array {
    return this.options.roundId;
  }

  get phase(): ServerPhase {
    return this.server.phase;
  }

  /** Members this session proved to misbehave; filled whether the session completes or aborts. */
  get culprits(): ReadonlyMap<ClientId, CulpritRecord> {
    return this.server.culprits;
  }

  get waitingFor(): ClientId[] {
    return this.server.waitingFor;
  }

  get participants(): readonly ClientId[] {
    return this.options.participants;
  }

  isParticipant(id: ClientId): boolean {
    return this.options.participants.includes(id);
  }

  /** Feeds a member's message; returns why the member was dropped if this very message got it dropped. */
  handle(from: ClientId, message: ClientMessage): Refusal | undefined {
    const before = this.server.dropped.has(from);
    this.dispatch(this.server.handle(from, message));
    const record = this.server.dropped.get(from);
    return !before && record !== undefined && record.reason !== DropReason.ClientAborted
      ? { reason: record.reason, detail: record.detail }
      : undefined;
  }

  disconnected(id: ClientId): void {
    this.dispatch(this.server.disconnected(id));
  }

  /** Ends the round early (the coordinator is shutting down). */
  cancel(reason: string): void {
    this.clearDeadline();
    for (const id of this.options.participants) this.options.deliver(id, { kind: 'abort', reason });
    this.settle.reject(new Error(`round cancelled: ${reason}`));
  }

  private dispatch(outbound: ReturnType<SecAggServer['handle']>): void {
    for (const { to, message } of outbound) this.options.deliver(to, message);
    if (this.server.phase === 'ready') {
      this.reportPhase();
      return this.finish();
    }
    if (this.server.phase === 'aborted') {
      this.clearDeadline();
      return this.settle.reject(this.server.abortError ?? new Error('secure aggregation aborted'));
    }
    if (this.server.phase !== this.timedPhase) {
      this.armDeadline();
      this.reportPhase();
    }
  }

  private reportPhase(): void {
    this.options.onPhase?.({
      phase: this.server.phase,
      participants: this.options.participants.length,
      waitingFor: this.server.waitingFor.length,
      dropped: this.server.dropped.size,
    });
  }

  private finish(): void {
    this.clearDeadline();
    try {
      this.settle.resolve(this.server.finish(this.options.remover));
    } catch (error) {
      for (const { to, message } of this.server.takeOutbound()) this.options.deliver(to, message);
      this.settle.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private armDeadline(): void {
    this.clearDeadline();
    const key = DEADLINE_OF[this.server.phase];
    if (key === undefined) return;
    this.timedPhase = this.server.phase;
    this.timer = setTimeout(() => {
      // A deadline may leave the phase as it was yet open a new wait in it (a re-roster asks for the
      // next graph nonce), so the next deadline is armed afresh whatever the phase.
      this.timedPhase = undefined;
      this.dispatch(this.server.deadline());
    }, this.options.deadlines[key]);
  }

  private clearDeadline(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timedPhase = undefined;
  }
}
