import type { ClientId } from '../aggregation/secagg/index.js';

/*
 * What the round loop tells the world. One typed union: the gRPC adapter turns some of these into
 * pushes, the JSON log writes them all, the progress line and the simulator's records read the ones
 * they need. Nothing outside proto/ and the gRPC adapter writes wire literals (`round_finished`).
 * Every event is plain JSON data (numbers, strings, arrays, records), so the JSON log can write it as is.
 */

export type AggregationModeName = 'secure' | 'robust' | 'secure+robust';

export interface RoundStartedEvent {
  readonly event: 'round-started';
  readonly round: number;
  readonly participants: readonly ClientId[];
  readonly mode: AggregationModeName;
}

/** A phase of one secure-aggregation instance (or of robust mode's collection) began. */
export interface RoundPhaseEvent {
  readonly event: 'round-phase';
  readonly round: number;
  /** Which bucket, when a round runs several instances (secure+robust). */
  readonly bucket?: string;
  readonly phase: string;
  /** Selected members that have answered every earlier phase. */
  readonly responding: number;
  readonly dropped: number;
  readonly elapsedMs: number;
}

export interface BucketsAssignedEvent {
  readonly event: 'buckets-assigned';
  readonly round: number;
  /** The assignment seed, hex, so an auditor re-derives the buckets. */
  readonly seed: string;
  readonly buckets: readonly (readonly ClientId[])[];
}

export interface BucketAbortedEvent {
  readonly event: 'bucket-aborted';
  readonly round: number;
  readonly bucket: number;
  readonly reason: string;
}

/** The round produced no model; the global model is unchanged. */
export interface RoundAbortedEvent {
  readonly event: 'round-aborted';
  readonly round: number;
  readonly reason: string;
  readonly elapsedMs: number;
}

export interface MemberQuarantinedEvent {
  readonly event: 'member-quarantined';
  readonly round: number;
  readonly member: ClientId;
  /** The last round in which it is not selected. */
  readonly untilRound: number;
  readonly reason: string;
}

export interface RoundFinishedEvent {
  readonly event: 'round-finished';
  readonly round: number;
  /** Everyone selected for the round. */
  readonly participants: readonly ClientId[];
  /** Members whose update is in the aggregate behind the new model, ascending. */
  readonly aggregated: readonly ClientId[];
  readonly examples: number;
  /** SHA-256 (hex) of the new global model. */
  readonly model: string;
  readonly elapsedMs: number;
  readonly suspicion?: Readonly<Record<string, number>>;
  readonly epsilon?: number;
  readonly delta?: number;
}

export interface PrivacyBudgetExhaustedEvent {
  readonly event: 'privacy-budget-exhausted';
  readonly round: number;
  readonly message: string;
}

export interface FederationFinishedEvent {
  readonly event: 'federation-finished';
  /** Rounds that produced a model, including any before a coordinator restart. */
  readonly roundsAggregated: number;
  readonly roundsConfigured: number;
  /** SHA-256 (hex) of the final global model. */
  readonly model: string;
  readonly stoppedBy?: 'privacy-budget';
  readonly reason?: string;
}

export interface ResumedEvent {
  readonly event: 'resumed';
  readonly round: number;
  readonly model: string;
  /** Newer checkpoints that failed their integrity check and were passed over. */
  readonly skipped: number;
}

/** Events of the round loop, in the order a round emits them. */
export type RoundEvent =
  | RoundStartedEvent
  | RoundPhaseEvent
  | BucketsAssignedEvent
  | BucketAbortedEvent
  | RoundAbortedEvent
  | MemberQuarantinedEvent
  | RoundFinishedEvent
  | PrivacyBudgetExhaustedEvent
  | FederationFinishedEvent
  | ResumedEvent;

/** A refused Join: who tried (key fingerprint, when a key was given), from where, and why. */
export interface MemberRejectedEvent {
  readonly event: 'member-rejected';
  /** First 16 hex characters of SHA-256 of the presented identity key; absent when none was readable. */
  readonly fingerprint?: string;
  readonly peer: string;
  /** The gRPC status name the caller got, e.g. PERMISSION_DENIED. */
  readonly code: string;
  readonly reason: string;
}

export interface MemberJoinedEvent {
  readonly event: 'member-joined';
  readonly member: ClientId;
  readonly name: string;
  readonly peer: string;
}

/** A member told the coordinator its local training failed; it is dropped from the round at once. */
export interface MemberTrainingFailedEvent {
  readonly event: 'member-training-failed';
  readonly round: number;
  readonly member: ClientId;
  readonly reason: string;
}

export type MembershipEvent = MemberRejectedEvent | MemberJoinedEvent | MemberTrainingFailedEvent;

export type CoordinatorEvent = RoundEvent | MembershipEvent;

/** Receives events; subscribers must not throw (a failing exporter may not stop a round). */
export type EventSink = (event: CoordinatorEvent) => void;

/** One sink that hands every event to each subscriber in turn. */
export function fanOut(...subscribers: readonly EventSink[]): EventSink {
  return (event) => {
    for (const subscriber of subscribers) subscriber(event);
  };
}
