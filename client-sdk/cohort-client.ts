import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { systemRandom, type RandomSource } from '../aggregation/crypto/random-source.js';
import type { SigningKeyPair } from '../aggregation/crypto/signature.js';
import { addSkellamNoise } from '../aggregation/privacy/index.js';
import { clipToL2Ball } from '../aggregation/vector/clip.js';
import { encodeWeightedUpdate } from '../aggregation/vector/weighted-update.js';
import { encodeUpdateChunk } from '../proto/update-codec.js';
import { parseModelSpec, type ModelSpec } from '../proto/model-spec.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { CohortConnection, type WireCoordinatorEvent } from './connection.js';
import { ManifestError, type ManifestPin } from '../proto/federation-manifest.js';
import { constantTimeEqual } from '../aggregation/crypto/bytes.js';
import { isMemberRefusal, MemberGuard } from './member-guard.js';
import type { PinnedManifest } from './round-guard.js';
import { SecureRoundRunner, type RoundStarted } from './secure-round-runner.js';
import { tfjsTrainer, type LocalTrainer } from './trainer.js';
import type { TF, TrainingData } from './training/index.js';

/** What a member lives through, for progress displays and logs; the SDK handles every protocol step itself. */
export type ClientEvent =
  | { readonly type: 'connected'; readonly member: number; readonly federation: string }
  | { readonly type: 'round-started'; readonly round: number }
  | {
      readonly type: 'trained';
      readonly round: number;
      readonly examples: number;
      readonly metrics: Readonly<Record<string, number>>;
    }
  | {
      readonly type: 'round-ended';
      readonly round: number;
      /** The round produced a new model with this member's update in it (the same as `aggregated`). */
      readonly completed: boolean;
      /**
       * The coordinator's RoundFinished said this member's update is in the new model. A late answer
       * the coordinator no longer needed is not an error; a round it aborted is not aggregated.
       */
      readonly aggregated: boolean;
      readonly reason?: string;
      /** The member declined the round itself (see MemberGuard). */
      readonly refused?: boolean;
    }
  | {
      /** The member's own accountant would exceed manifest.privacy.memberBudget: it takes part in no further round. */
      readonly type: 'privacy-budget-exhausted';
      readonly epsilon: number;
      readonly delta: number;
      readonly budget: { readonly epsilon: number; readonly delta: number };
    }
  | { readonly type: 'disconnected'; readonly reason: string }
  | { readonly type: 'reconnecting'; readonly attempt: number; readonly delayMs: number }
  | { readonly type: 'finished'; readonly rounds: number };

/** PEM bytes. With only `ca`, the coordinator is verified; with `cert` and `key` too, the member presents its own certificate (mTLS). */
export interface TlsOptions {
  readonly ca?: Uint8Array;
  readonly cert?: Uint8Array;
  readonly key?: Uint8Array;
}

export interface CohortClientOptions {
  /**
   * What the member believes instead of the coordinator: the operator's Ed25519 public key, or the
   * SHA-256 of the exact federation manifest. Every join checks the coordinator's signed manifest
   * against it; after the first, the manifest may not change for the life of the client.
   */
  readonly trust: ManifestPin;
  /** Omit for plaintext on a trusted network (loopback, a VPN); set for TLS. */
  readonly tls?: TlsOptions;
  /** Source of masks, key pairs and stochastic rounding; the OS CSPRNG unless a test seeds it. */
  readonly random?: RandomSource;
  readonly reconnect?: BackoffOptions;
  readonly onEvent?: (event: ClientEvent) => void;
  /**
   * Where the member keeps what it must remember against its coordinator: the round ids it took part
   * in (it never joins one twice, nor sends a second masked input) and its own privacy accountant.
   * `cohort client` uses `<key>.state/`. Keep it with the key, on storage that is not rolled back.
   */
  readonly stateDir: string;
}

export interface FinalModel {
  readonly weights: Float32Array;
  readonly spec: ModelSpec;
  readonly rounds: number;
  /** Rounds whose RoundFinished said this member's update was aggregated (this client's lifetime). */
  readonly roundsAggregated: number;
}

/** What `run` and `participate` take besides the trainer. */
export interface RunOptions {
  /** Aborting it stops the member as `stop()` does (already aborted: the member never serves a round). */
  readonly signal?: AbortSignal;
}

/** `participate`'s options: `seed` seeds the TF.js model's initialisation and shuffling (the member index by default). */
export interface ParticipateOptions extends RunOptions {
  readonly seed?: number;
}

/**
 * `run` and `participate` reject with this once the member is stopped (`stop()`, `close()` or their
 * signal) before the federation finished; `cause` is the signal's reason when a signal stopped it.
 */
export class MemberStoppedError extends Error {
  override readonly name = 'MemberStoppedError';
  constructor(cause?: unknown) {
    super('the member stopped before the federation finished', cause === undefined ? undefined : { cause });
  }
}

/** Only these mean "the coordinator is not there right now"; anything else (a refused join) is final. */
const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.CANCELLED]);

/**
 * A consortium member: joins with its identity and, every round it is picked for, downloads the global
 * model, trains on its own data, and sends only the clipped, weighted, quantized, masked update. The
 * embedding code supplies data (or its own trainer) and nothing about the protocol. A lost connection
 * (the coordinator restarting, a network blip) abandons the round in progress and rejoins with backoff.
 */
export class CohortClient {
  private connection: CohortConnection;
  /** Aborted, with a MemberStoppedError, by stop(), close() or a run's signal; every wait of `run` ends on it. */
  private readonly halt = new AbortController();
  private guard: MemberGuard | undefined;
  private budgetReported = false;
  /** Rounds whose RoundFinished told this member its update was aggregated. */
  private readonly aggregatedRounds = new Set<number>();

  private constructor(
    private readonly address: string,
    private readonly identity: SigningKeyPair,
    private readonly options: CohortClientOptions,
    connection: CohortConnection,
  ) {
    this.connection = connection;
  }

  /** Joins the federation at `address`, retrying with backoff while the coordinator is unreachable. */
  static async connect(
    address: string,
    identity: SigningKeyPair,
    options: CohortClientOptions,
  ): Promise<CohortClient> {
    const connection = await connectWithBackoff(address, identity, options, undefined);
    return new CohortClient(address, identity, options, connection);
  }

  get memberIndex(): number {
    return this.connection.memberIndex;
  }

  /** The signed manifest this member verified at its first join, and holds every rejoin to. */
  get manifest(): CohortConnection['manifest'] {
    return this.connection.manifest;
  }

  /**
   * Trains with TF.js on `data` every round until the federation ends; resolves with the final global
   * model. A number for `options` is the seed, as before options existed.
   */
  participate(tf: TF, data: TrainingData, options: ParticipateOptions | number = {}): Promise<FinalModel> {
    const { seed = this.memberIndex, ...run } = typeof options === 'number' ? { seed: options } : options;
    return this.run(tfjsTrainer(tf, data, seed), run);
  }

  /**
   * Takes part in every round until the federation ends, training with `trainer`. Rejects with
   * MemberStoppedError as soon as the member is stopped (`stop()`, `close()`, `options.signal`).
   */
  async run(trainer: LocalTrainer, options: RunOptions = {}): Promise<FinalModel> {
    const { signal } = options;
    const onAbort = (): void => this.leave(new MemberStoppedError(signal?.reason));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.serve(trainer);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The same as stop(): for after `run` has settled, or to give up on the member altogether. */
  close(): void {
    this.stop();
  }

  /**
   * Leaves the federation now, mid-round if need be: the inbox stream and every call in flight are
   * cancelled and the channel closed, so the coordinator drops the member from a round in progress
   * (Disconnected) and picks it no more. `run` then rejects with MemberStoppedError and never rejoins.
   * A trainer already running is not interrupted; what it returns is discarded.
   */
  stop(): void {
    this.leave(new MemberStoppedError());
  }

  private leave(reason: MemberStoppedError): void {
    if (!this.halt.signal.aborted) this.halt.abort(reason);
    this.connection.close();
  }

  private async serve(trainer: LocalTrainer): Promise<FinalModel> {
    const emit = this.options.onEvent ?? (() => undefined);
    const guard = await this.unlessStopped(() => this.memberGuard());
    emit({ type: 'connected', member: this.memberIndex, federation: this.connection.federation });
    for (;;) {
      const ending = await this.unlessStopped(() => this.serveConnection(trainer, emit, guard));
      if (ending.kind === 'finished') return ending.model;
      this.connection.close();
      emit({ type: 'disconnected', reason: ending.reason });
      this.connection = await this.unlessStopped((signal) =>
        connectWithBackoff(this.address, this.identity, this.options, this.connection.manifestSha256, signal),
      );
      emit({ type: 'connected', member: this.memberIndex, federation: this.connection.federation });
    }
  }

  /** `work`, unless the member is stopped first: then the MemberStoppedError at once, whatever `work` does later. */
  private unlessStopped<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = this.halt.signal;
    if (signal.aborted) return Promise.reject(signal.reason as MemberStoppedError);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as MemberStoppedError);
      signal.addEventListener('abort', onAbort, { once: true });
      work(signal)
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** One per client, not per connection: what it guards (round ids, the budget) outlives reconnections. */
  private async memberGuard(): Promise<MemberGuard> {
    const { manifest, sha256 } = this.connection.manifest;
    const pinned: PinnedManifest = { manifest, sha256 };
    this.guard ??= await MemberGuard.open({
      pinned,
      identityKey: this.identity.publicKey,
      stateDir: this.options.stateDir,
    });
    return this.guard;
  }

  /** Runs rounds over the current connection until the federation finishes or the connection is lost. */
  private serveConnection(
    trainer: LocalTrainer,
    emit: (event: ClientEvent) => void,
    guard: MemberGuard,
  ): Promise<{ kind: 'finished'; model: FinalModel } | { kind: 'lost'; reason: string }> {
    const connection = this.connection;
    const random = this.options.random ?? systemRandom;
    let spec: ModelSpec | undefined;

    /** Downloads the global model, trains, and returns the update Δ = local − global. */
    const trainDelta = async (
      started: RoundStarted,
    ): Promise<{ delta: Float32Array; numExamples: number }> => {
      emit({ type: 'round-started', round: started.round });
      const plan = started.training;
      if (plan === null) throw new Error('round_started carries no training plan');
      spec = parseModelSpec(started.model_spec_json);
      const global = new Float32Array((await connection.downloadModel(started.model_sha256)).slice().buffer);
      const result = await trainer.train(global.slice(), {
        round: started.round,
        spec,
        plan: {
          epochs: plan.epochs,
          steps: plan.steps,
          batchSize: plan.batch_size,
          learningRate: plan.learning_rate,
        },
      });
      if (result.weights.length !== global.length)
        throw new Error(`trainer returned ${result.weights.length} weights; the model has ${global.length}`);
      emit({
        type: 'trained',
        round: started.round,
        examples: result.numExamples,
        metrics: result.metrics ?? {},
      });
      const delta = new Float32Array(global.length);
      for (let i = 0; i < delta.length; i++) delta[i] = result.weights[i]! - global[i]!;
      return { delta, numExamples: result.numExamples };
    };

    const secureInput = async (started: RoundStarted): Promise<Uint32Array> => {
      const { delta, numExamples } = await trainDelta(started);
      const s = started.secagg!;
      const words = encodeWeightedUpdate(
        delta,
        numExamples,
        {
          quantizer: { clipRange: s.clip_range, levels: s.levels },
          clipNorm: started.training!.clip_norm,
          exampleCap: started.training!.example_cap,
        },
        random,
        { clipIndicator: started.training!.report_clip_indicator },
      );
      // Noise on the update's words only: the last word counts examples and must stay exact. At least
      // the member's own floor, whatever the coordinator asked.
      const variance = guard.noiseVariance(started.round_id);
      if (variance > 0) addSkellamNoise(words.subarray(0, delta.length), variance, random);
      return words;
    };

    /** Robust rounds waiting for their RoundFinished: the round's outcome, undefined if none comes. */
    const awaitingFinish = new Map<number, (aggregated: boolean | undefined) => void>();
    const roundFinished = (round: number) =>
      new Promise<boolean | undefined>((resolve) => awaitingFinish.set(round, resolve));
    /** Rounds before `round` that never got a RoundFinished: the coordinator aborted them, or is gone. */
    const unfinished = (round: number): void => {
      for (const [r, resolve] of awaitingFinish)
        if (r < round) {
          awaitingFinish.delete(r);
          resolve(undefined);
        }
    };

    const plainRound = async (started: RoundStarted): Promise<void> => {
      let movedOn: string | undefined;
      try {
        guard.admitPlain(started);
        const { delta, numExamples } = await trainDelta(started);
        clipToL2Ball(delta, started.training!.clip_norm);
        const step = Math.max(1, started.plain!.max_chunk_values);
        const chunks = [];
        for (let offset = 0; offset < delta.length; offset += step)
          chunks.push(
            encodeUpdateChunk(started.round_id, offset, delta.subarray(offset, offset + step), numExamples),
          );
        const finished = roundFinished(started.round);
        // FAILED_PRECONDITION: the coordinator closed the round first; RoundFinished still says how it ended.
        movedOn = await connection.submitUpdate(chunks).then(
          () => undefined,
          (error: unknown) => {
            const failed = error as Partial<grpc.ServiceError>;
            if (failed.code !== grpc.status.FAILED_PRECONDITION) throw error;
            return failed.details ?? describe(error);
          },
        );
        const aggregated = await finished;
        emit({
          type: 'round-ended',
          round: started.round,
          completed: aggregated === true,
          aggregated: aggregated === true,
          ...(aggregated === true
            ? {}
            : {
                reason:
                  aggregated === undefined
                    ? `the coordinator did not finish round ${started.round}${movedOn === undefined ? '' : ` (${movedOn})`}`
                    : `the round finished without this member's update${movedOn === undefined ? '' : ` (${movedOn})`}`,
              }),
        });
      } catch (error) {
        awaitingFinish.delete(started.round);
        emit({
          type: 'round-ended',
          round: started.round,
          completed: false,
          aggregated: false,
          reason: describe(error),
          ...(isMemberRefusal(error) ? { refused: true } : {}),
        });
      }
    };

    return new Promise((resolve) => {
      let settled = false;
      const settle = (ending: { kind: 'finished'; model: FinalModel } | { kind: 'lost'; reason: string }) => {
        if (settled) return;
        settled = true;
        unfinished(Infinity);
        resolve(ending);
      };
      const onFederationEvent = (event: WireCoordinatorEvent): void => {
        if (event.event === 'round_finished') {
          const finished = event['round_finished'] as { round: number; aggregated?: boolean };
          if (finished.aggregated === true) this.aggregatedRounds.add(finished.round);
          awaitingFinish.get(finished.round)?.(finished.aggregated === true);
          awaitingFinish.delete(finished.round);
          return;
        }
        if (event.event !== 'federation_finished') return;
        unfinished(Infinity);
        const finished = event['federation_finished'] as { rounds: number; model_sha256: Uint8Array };
        connection
          .downloadModel(finished.model_sha256)
          .then((bytes) => {
            const weights = new Float32Array(bytes.slice().buffer);
            emit({ type: 'finished', rounds: finished.rounds });
            settle({
              kind: 'finished',
              model: {
                weights,
                spec: spec ?? this.fallbackSpec(weights),
                rounds: finished.rounds,
                roundsAggregated: this.aggregatedRounds.size,
              },
            });
          })
          .catch((error: unknown) => settle({ kind: 'lost', reason: describe(error) }));
      };
      const runner = new SecureRoundRunner(
        connection,
        this.identity,
        random,
        secureInput,
        (outcome) => {
          emit({
            type: 'round-ended',
            round: outcome.round,
            completed: outcome.completed,
            aggregated: outcome.aggregated,
            ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
            ...(outcome.refused === true ? { refused: true } : {}),
          });
          if (outcome.budgetExhausted !== undefined && !this.budgetReported) {
            this.budgetReported = true;
            emit({ type: 'privacy-budget-exhausted', ...outcome.budgetExhausted });
          }
        },
        onFederationEvent,
        guard,
      );
      connection
        .subscribe(
          (event) => {
            const started =
              event.event === 'round_started' ? (event['round_started'] as RoundStarted) : undefined;
            if (started !== undefined) unfinished(started.round);
            if (started?.plain) void plainRound(started);
            else runner.onEvent(event);
          },
          (error) => settle({ kind: 'lost', reason: error ? describe(error) : 'inbox closed' }),
        )
        .catch((error: unknown) => settle({ kind: 'lost', reason: describe(error) }));
    });
  }

  /** A member that joined after the last round never saw a spec; the final weights still stand alone. */
  private fallbackSpec(weights: Float32Array): ModelSpec {
    return { kind: 'tfjs-layers', topology: { unknown: true, parameters: weights.length } };
  }
}

/**
 * Joins, retrying while the coordinator is unreachable. A manifest problem is never retried: a
 * coordinator serving a manifest the member cannot trust will not start serving a good one by asking
 * again. `established` is the manifest of the first join; a rejoin must find the same one.
 */
async function connectWithBackoff(
  address: string,
  identity: SigningKeyPair,
  options: CohortClientOptions,
  established: Uint8Array | undefined,
  /** A stopped member: no further attempt, and a connection that arrives anyway is closed. */
  signal?: AbortSignal,
): Promise<CohortConnection> {
  const backoff = { ...DEFAULT_BACKOFF, ...options.reconnect };
  const random = options.random ?? systemRandom;
  const credentials = channelCredentials(options.tls);
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    let connection: CohortConnection;
    signal?.throwIfAborted();
    try {
      connection = await CohortConnection.connect(address, identity, options.trust, credentials);
    } catch (error) {
      if (error instanceof ManifestError) throw error;
      const code = (error as Partial<grpc.ServiceError>).code;
      if (code === undefined || !RETRYABLE.has(code)) throw error;
      if (Date.now() - started > backoff.giveUpAfterMs)
        throw new Error(
          `coordinator ${address} unreachable for ${Math.round((Date.now() - started) / 1000)} s: ${describe(error)}`,
        );
      const delayMs = backoffDelay(attempt, backoff, random);
      options.onEvent?.({ type: 'reconnecting', attempt, delayMs });
      await sleep(delayMs, undefined, signal === undefined ? {} : { signal });
      continue;
    }
    if (signal?.aborted) {
      connection.close();
      signal.throwIfAborted();
    }
    if (established !== undefined && !constantTimeEqual(connection.manifestSha256, established)) {
      connection.close();
      throw new ManifestError(
        'changed',
        `the coordinator now serves manifest ${hex(connection.manifestSha256)}, not ${hex(established)} this member joined under`,
      );
    }
    return connection;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function channelCredentials(tls: TlsOptions | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw new Error('tls: give both cert and key for a client certificate, or neither');
  return grpc.credentials.createSsl(
    tls.ca === undefined ? null : Buffer.from(tls.ca),
    tls.key === undefined ? null : Buffer.from(tls.key),
    tls.cert === undefined ? null : Buffer.from(tls.cert),
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
