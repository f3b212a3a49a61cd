import * as grpc from '@grpc/grpc-js';
import type { RandomSource } from '../aggregation/crypto/random-source.js';
import { maskPrgById } from '../aggregation/crypto/mask-prg.js';
import type { SigningKeyPair } from '../aggregation/crypto/signature.js';
import { SecAggClient, type ClientConfig, type ClientMessage } from '../aggregation/secagg/index.js';
import * as codec from '../proto/codec.js';
import type { WireRoundStarted } from '../proto/round-plan.js';
import type { CohortConnection, WireCoordinatorEvent } from './connection.js';
import type { MemberGuard } from './member-guard.js';
import { MemberBudgetExhausted } from './member-privacy.js';
import { checkSecureRound, type GuardedRound } from './round-guard.js';

/** RoundStarted as the member receives it: the one wire type the coordinator builds and digests. */
export type RoundStarted = WireRoundStarted;

/** The member's quantized input for a round: ready now, later (after training), or on first use. */
export type RoundInput = (
  started: RoundStarted,
) => Uint32Array | (() => Uint32Array) | Promise<Uint32Array | (() => Uint32Array)>;

export interface RoundOutcome {
  readonly round: number;
  /** The round produced a new model with this member's update in it: the same as `aggregated`. */
  readonly completed: boolean;
  /** RoundFinished said this member's update is in the sum behind the new model. */
  readonly aggregated: boolean;
  /** Why the member's side ended early: the coordinator's abort or the client's own refusal. */
  readonly reason?: string;
  /** The member declined the round itself: its plan contradicts the pinned manifest, it repeats a round, or the budget is spent. */
  readonly refused?: boolean;
  /** The member's own privacy budget is spent: it refuses every further round. */
  readonly budgetExhausted?: {
    readonly epsilon: number;
    readonly delta: number;
    readonly budget: { readonly epsilon: number; readonly delta: number };
  };
}

const SECAGG_EVENTS = new Set([
  'roster',
  'graph_nonces',
  'shares_for_you',
  'mask_with',
  'survivor_list',
  'unmask_request',
  'abort',
]);

/**
 * Takes a member through secure-aggregation rounds from its inbox: on RoundStarted it asks for the
 * member's quantized input and starts the sans-IO client; each later push is decoded, handled, and the
 * replies are sent with the matching call. Events are processed strictly in order, one at a time.
 */
export class SecureRoundRunner {
  private client: SecAggClient | undefined;
  /** From RoundStarted until the outcome is reported, so a round refused before its client exists is reported too. */
  private inRound = false;
  private round = 0;
  private roundId: Uint8Array = new Uint8Array(32);
  /** The round's participant count: no list the coordinator pushes may name more members. */
  private participants = 0;
  /**
   * The member has done its part (or the coordinator moved past it, answering a step with
   * FAILED_PRECONDITION): the round's outcome is what RoundFinished says. Holds that refusal's detail.
   */
  private awaiting: { readonly detail?: string } | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly connection: CohortConnection,
    private readonly identity: SigningKeyPair,
    private readonly random: RandomSource,
    private readonly input: RoundInput,
    private readonly onOutcome: (outcome: RoundOutcome) => void,
    /** round_finished and federation_finished, for the embedding code. */
    private readonly onFederationEvent: (event: WireCoordinatorEvent) => void = () => undefined,
    /** The member's own checks (pinned manifest, freshness, privacy floor and budget); none without a manifest. */
    private readonly guard?: MemberGuard,
  ) {}

  readonly onEvent = (event: WireCoordinatorEvent): void => {
    this.queue = this.queue
      .then(() => this.process(event))
      .catch((error: unknown) => this.end(String(error)));
  };

  private async process(event: WireCoordinatorEvent): Promise<void> {
    if (event.event === 'round_started') {
      const started = event['round_started'] as RoundStarted;
      if (this.awaiting !== undefined)
        this.end(`the coordinator started round ${started.round} without finishing round ${this.round}`);
      return this.start(started);
    }
    if (event.event === 'round_finished') {
      this.finished(event['round_finished'] as { round: number; aggregated?: boolean });
      return this.onFederationEvent(event);
    }
    if (event.event === 'federation_finished') {
      if (this.awaiting !== undefined)
        this.end(`the federation finished without finishing round ${this.round}`);
      return this.onFederationEvent(event);
    }
    if (!SECAGG_EVENTS.has(event.event)) return;
    // Everything of a session is bound to its round id, so a push for another round could only fail
    // verification — or, as an abort, end this round for nothing: it is not this round's business.
    if (!sameRound((event[event.event] as { round_id?: Uint8Array } | undefined)?.round_id, this.roundId))
      return;
    if (this.awaiting !== undefined && event.event === 'abort') {
      // The session failed after the member's part: no new model with its update in it.
      const reason = (event['abort'] as { reason?: string }).reason ?? '';
      return this.end(`server aborted the round: ${reason}`);
    }
    if (this.client === undefined) return;
    const message = codec.decodeServerMessage(event as unknown as codec.WireSecAggEvent, this.participants);
    const client = this.client;
    const movedOn = await this.send(client.handle(message));
    if (client.phase === 'aborted') this.end(client.abortReason);
    else if (client.phase === 'completed' || movedOn !== undefined) this.awaitFinish(movedOn);
  }

  /** From now on only RoundFinished (or an abort, or the next round) tells how the round ended. */
  private awaitFinish(movedOn: string | undefined): void {
    this.client = undefined;
    this.awaiting = movedOn === undefined ? {} : { detail: movedOn };
  }

  /**
   * RoundFinished for the member's round is its outcome, whether the member had done its part or not
   * (dropped before its masked input, it still waits for a later phase that never comes for it).
   */
  private finished(finished: { round: number; aggregated?: boolean }): void {
    if (!this.inRound || finished.round !== this.round) return;
    if (finished.aggregated === true) return this.end(undefined, true);
    const detail = this.awaiting?.detail;
    this.end(`the round finished without this member's update${detail === undefined ? '' : ` (${detail})`}`);
  }

  private async start(started: RoundStarted): Promise<void> {
    this.client = undefined;
    this.awaiting = undefined;
    this.inRound = true;
    this.round = started.round;
    this.roundId = new Uint8Array(started.round_id);
    let admitted: GuardedRound;
    try {
      admitted = await this.admit(started);
    } catch (error) {
      // A member that cannot check or record a round (a refusal, or its state unreadable) declines it.
      return this.refuse(started, error);
    }
    const config = this.clientConfigFor(started, admitted);
    this.participants = config.parameters.clients;
    this.client = new SecAggClient(config);
    const client = this.client;
    const input = await this.input(started);
    if (this.client !== client) return; // the round ended while the member was preparing
    await this.send(client.start(input));
  }

  /**
   * The member's own verdict on the plan it was shown, before any key or input leaves it: checked
   * against the pinned manifest always, and with a guard also against its own disk (round ids already
   * joined, its privacy budget).
   */
  private admit(started: RoundStarted): Promise<GuardedRound> | GuardedRound {
    if (this.guard !== undefined) return this.guard.admit(started, this.connection.memberIndex);
    const { manifest, sha256 } = this.connection.manifest;
    return checkSecureRound({ manifest, sha256 }, this.connection.memberIndex, started);
  }

  /**
   * The sans-IO client's configuration: parameters, plan digest and smallest roster as the member
   * derived them itself, so it signs exactly the plan it was shown and checks rosters against its own floor.
   */
  private clientConfigFor(started: RoundStarted, admitted: GuardedRound): ClientConfig {
    const settings = started.secagg!;
    const keys = this.connection.memberKeys;
    return {
      id: this.connection.memberIndex,
      sessionId: this.roundId,
      parameters: admitted.parameters,
      planDigest: admitted.planDigest,
      minimumRoster: admitted.minimumRoster,
      dimension: settings.dimension,
      identity: this.identity,
      identityKeyOf: (id) => (settings.participants.includes(id) ? keys.get(id) : undefined),
      random: this.random,
      prg: maskPrgById(settings.mask_prg === 'MASK_PRG_CHACHA20' ? 'chacha20' : 'aes256ctr'),
      chunkWords: Math.max(1, settings.max_chunk_words),
    };
  }

  /**
   * Sends the client's replies in order. A step answer refused with FAILED_PRECONDITION means the
   * coordinator has moved on (typically: it finished unmasking with the shares it already had); the
   * rest is not sent and the refusal's detail is returned, for RoundFinished to settle the outcome.
   */
  private async send(messages: ClientMessage[]): Promise<string | undefined> {
    const id = this.roundId;
    const chunks: codec.WireMaskedInputChunk[] = [];
    const step = (method: Parameters<CohortConnection['call']>[0], request: object) =>
      this.connection.call(method, request).then(() => undefined, movedOnOrThrow);
    for (const m of messages) {
      let movedOn: string | undefined;
      if (m.kind === 'masked-input') chunks.push(codec.encodeMaskedInputChunk(id, m));
      else if (m.kind === 'advertise-keys')
        movedOn = await step('AdvertiseKeys', codec.encodeAdvertiseKeys(id, m));
      else if (m.kind === 'graph-nonce')
        movedOn = await step('RevealGraphNonce', codec.encodeGraphNonce(id, m));
      else if (m.kind === 'share-keys') movedOn = await step('ShareKeys', codec.encodeShareKeys(id, m));
      else if (m.kind === 'share-check') movedOn = await step('CheckShares', codec.encodeShareCheck(id, m));
      else if (m.kind === 'consistency-signature')
        movedOn = await step('SignSurvivors', codec.encodeSignSurvivors(id, m));
      else if (m.kind === 'unmask-response') movedOn = await step('Unmask', codec.encodeUnmask(id, m));
      else await this.connection.call('AbortRound', { round_id: id, reason: m.reason });
      if (movedOn !== undefined) return movedOn;
    }
    if (chunks.length > 0) {
      // On disk (and charged to the member's budget) before the first chunk leaves.
      await this.guard?.beforeMaskedInput(id);
      return this.connection.upload(chunks).then(() => undefined, movedOnOrThrow);
    }
    return undefined;
  }

  /** Tells the coordinator at once (it drops the member instead of waiting out a deadline) and reports why. */
  private async refuse(started: RoundStarted, refusal: unknown): Promise<void> {
    this.client = undefined;
    this.inRound = false;
    const reason = refusal instanceof Error ? refusal.message : String(refusal);
    await this.connection.call('AbortRound', { round_id: started.round_id, reason }).catch(() => undefined);
    const spent = refusal instanceof MemberBudgetExhausted ? refusal : undefined;
    this.onOutcome({
      round: started.round,
      completed: false,
      aggregated: false,
      reason,
      refused: true,
      ...(spent === undefined
        ? {}
        : { budgetExhausted: { epsilon: spent.epsilon, delta: spent.delta, budget: spent.budget } }),
    });
  }

  /** Reports the round once: aggregated only on RoundFinished's word, anything else is a round lost. */
  private end(reason?: string, aggregated = false): void {
    if (!this.inRound) return;
    this.inRound = false;
    this.client = undefined;
    this.awaiting = undefined;
    this.onOutcome({
      round: this.round,
      completed: aggregated,
      aggregated,
      ...(reason === undefined ? {} : { reason }),
    });
  }
}

/** FAILED_PRECONDITION on a step answer: the coordinator is past that step; its detail. Anything else is rethrown. */
function movedOnOrThrow(error: unknown): string {
  const failed = error as Partial<grpc.ServiceError>;
  if (failed.code !== grpc.status.FAILED_PRECONDITION) throw error;
  return failed.details ?? failed.message ?? 'FAILED_PRECONDITION';
}

function sameRound(pushed: Uint8Array | undefined, current: Uint8Array): boolean {
  return pushed !== undefined && pushed.length === current.length && pushed.every((b, i) => b === current[i]);
}
