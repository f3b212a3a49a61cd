import { WordVector } from '../../vector/word-vector.js';
import type { NeighbourGraph, ClientId } from '../graph.js';
import type { ClientMessage, Outbound, RosterEntry, ShareKeys } from '../messages.js';
import { rosterDigest } from '../transcript.js';
import { DropReason, type CulpritReason, type CulpritRecord } from '../reasons.js';
import type { ServerConfig } from './config.js';

export type ServerPhase =
  | 'advertise-keys'
  | 'graph-nonce'
  | 'share-keys'
  | 'share-check'
  | 'masked-input'
  | 'consistency-check'
  | 'unmasking'
  | 'ready'
  | 'completed'
  | 'aborted';

export interface DropRecord {
  readonly phase: ServerPhase;
  readonly reason: DropReason;
  readonly detail: string;
}

/**
 * What the server knows about the session, shared by its thin phase states: who is still in, what
 * each client sent, the graph, and the one running sum. States validate, record here and pick the
 * next state; nothing here decides a transition.
 */
export class ServerContext {
  /** The clients selected for the session; anyone else is turned away. */
  readonly selected: ReadonlySet<ClientId>;
  readonly active: Set<ClientId>;
  readonly dropped = new Map<ClientId, DropRecord>();
  readonly outbox: Outbound[] = [];
  /** The roster of the current attempt, its entries by id, and its digest (signed in R3). */
  roster: readonly RosterEntry[] = [];
  rosterAttempt = 0;
  rosterById = new Map<ClientId, RosterEntry>();
  rosterDigest: Uint8Array = new Uint8Array(0);
  graph: NeighbourGraph | undefined;
  /** U2: ShareKeys messages of the clients that sent them. */
  readonly shareKeys = new Map<ClientId, ShareKeys>();
  /**
   * The peers each client was told to mask with after R1½ (ascending, symmetric). The unmasking plan
   * uses these, not the raw graph: a cut edge carries no pairwise mask and no usable share.
   */
  readonly maskWith = new Map<ClientId, readonly ClientId[]>();
  /** Clients proven to misbehave, for the round record. */
  readonly culprits = new Map<ClientId, CulpritRecord>();
  /** Σ y_i mod 2^32 over the masked inputs received whole; shared memory, so a worker pool can unmask it. */
  readonly sum: WordVector;
  /** U3, ascending. */
  survivors: readonly ClientId[] = [];
  /** U4: consistency signatures over the survivor list. */
  readonly consistencySignatures = new Map<ClientId, Uint8Array>();

  constructor(readonly config: ServerConfig) {
    this.selected = new Set(config.clients);
    this.active = new Set(config.clients);
    this.sum = WordVector.zeros(config.dimension);
  }

  setRoster(attempt: number, roster: readonly RosterEntry[]): void {
    this.roster = roster;
    this.rosterAttempt = attempt;
    this.rosterById = new Map(roster.map((e) => [e.id, e]));
    this.rosterDigest = rosterDigest(this.config.sessionId, attempt, roster);
  }

  /** Names `id` a culprit; the first reason found stays. */
  name(id: ClientId, reason: CulpritReason, detail: string): void {
    if (!this.culprits.has(id)) this.culprits.set(id, { reason, detail });
  }

  requireGraph(): NeighbourGraph {
    if (this.graph === undefined) throw new Error('graph used before the roster was fixed');
    return this.graph;
  }

  send(to: ClientId, message: Outbound['message']): void {
    this.outbox.push({ to, message });
  }

  /** Stops counting on `id`, tells it why, and keeps the reason for the round record. */
  drop(id: ClientId, phase: ServerPhase, reason: DropReason, detail: string): void {
    if (!this.active.delete(id)) return;
    this.dropped.set(id, { phase, reason, detail });
    if (reason !== DropReason.Disconnected && reason !== DropReason.ClientAborted) {
      this.send(id, { kind: 'abort', reason: `dropped: ${DropReason[reason]}: ${detail}` });
    }
  }

  takeOutbox(): Outbound[] {
    return this.outbox.splice(0, this.outbox.length);
  }
}

/**
 * One phase of the server. `accept` sees only messages from active clients of this session; the
 * default for a message of the wrong kind is to drop its sender (a misbehaving client is data, not an
 * exception). `waitingFor` lists who the phase still waits on; when empty, `advance` picks the next state.
 */
export interface ServerState {
  readonly phase: ServerPhase;
  accept(from: ClientId, message: ClientMessage, ctx: ServerContext): void;
  waitingFor(ctx: ServerContext): ClientId[];
  advance(ctx: ServerContext): ServerState;
  /** Called when an active client is dropped in this phase, to undo what it half-finished. */
  onDrop?(id: ClientId, ctx: ServerContext): void;
}

export function wrongKind(
  from: ClientId,
  message: ClientMessage,
  state: ServerState,
  ctx: ServerContext,
): void {
  ctx.drop(
    from,
    state.phase,
    DropReason.UnexpectedMessage,
    `${message.kind} is not expected in phase ${state.phase}`,
  );
}
