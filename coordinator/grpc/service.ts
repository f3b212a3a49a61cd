import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { constantTimeEqual } from '../../aggregation/crypto/bytes.js';
import type { ClientId, ClientMessage } from '../../aggregation/secagg/index.js';
import * as codec from '../../proto/codec.js';
import { Membership, type Member } from '../membership.js';
import { InvalidArgumentError } from '../../aggregation/errors.js';
import { decodeUpdateChunk, type WireUpdateChunk } from '../../proto/update-codec.js';
import { DuplicateUpdateError, PlainRoundSession, type PlainRoundOptions } from '../plain-round.js';
import { SecureRoundSession, type SecureRoundOptions } from '../secure-round.js';
import { dropStatus, StatusError, toStatus } from './status.js';
import { roundPlanDigest } from '../../proto/round-plan.js';
import { secureRoundStarted, type RoundPlan, type SecureVectorSettings } from './round-started.js';

export type { RoundPlan } from './round-started.js';

type Stream = grpc.ServerWritableStream<unknown, unknown>;

const MODEL_CHUNK_BYTES = 1 << 20;
/** 4 MiB of float32 per UpdateChunk, under the 16 MiB receive limit with room to spare. */
const MAX_UPDATE_CHUNK_VALUES = 1 << 20;

type Unary<Req> = grpc.ServerUnaryCall<Req, unknown>;
type Callback = grpc.sendUnaryData<unknown>;

/**
 * The Coordinator gRPC service: authentication, the members' Subscribe streams, and the edge of the
 * secure-aggregation core. Each call is decoded (INVALID_ARGUMENT naming the field), checked against
 * the current round (FAILED_PRECONDITION), and handed to the round session; when the core drops the
 * caller for what it sent, the call fails with the drop reason.
 */
export class CoordinatorService {
  private readonly inboxes = new Map<ClientId, Stream>();
  private readonly models = new Map<string, Uint8Array>();
  /** Open secure-aggregation sessions by hex round id: one per round, or one per bucket in secure+robust mode. */
  private readonly sessions = new Map<string, SecureRoundSession>();
  private readonly plainRounds = new Map<string, PlainRoundSession>();

  constructor(
    private readonly membership: Membership,
    private readonly now: () => number = Date.now,
  ) {}

  /** Members with an open Subscribe stream. */
  get connected(): ClientId[] {
    return [...this.inboxes.keys()].sort((a, b) => a - b);
  }

  /**
   * Opens a secure-aggregation session: calls carrying its round id go to it until it settles, and
   * every participant is told through its inbox (one without an inbox will time out in AdvertiseKeys).
   * Several may run at once (buckets); a member may take part in only one of them. The session checks
   * members' keys against the digest of the very RoundStarted pushed here.
   */
  startSecureRound(
    round: number,
    options: Omit<SecureRoundOptions, 'deliver' | 'planDigest'>,
    settings: SecureVectorSettings,
    plan?: RoundPlan,
    noise?: { mechanism: 'NOISE_MECHANISM_SKELLAM'; variance: number },
  ): SecureRoundSession {
    const key = Buffer.from(options.roundId).toString('hex');
    if (this.sessions.has(key)) throw new Error(`round id ${key} is already in use`);
    for (const open of this.sessions.values())
      if (options.participants.some((id) => open.isParticipant(id)))
        throw new Error('a participant is already taking part in an open session');
    const started = secureRoundStarted(round, options, settings, plan, noise);
    const session = new SecureRoundSession({
      ...options,
      planDigest: roundPlanDigest(this.membership.manifestSha256, started),
      deliver: (to, message) => this.push(to, codec.encodeServerMessage(options.roundId, message)),
    });
    this.sessions.set(key, session);
    const close = () => void this.sessions.delete(key);
    session.result.then(close, close);
    for (const id of options.participants) this.push(id, { event: 'round_started', round_started: started });
    return session;
  }

  /**
   * Opens a robust-mode round: selected members are told to train and submit their clipped update in
   * plaintext with SubmitUpdate; the session settles when all have or at its deadline.
   */
  startPlainRound(round: number, options: PlainRoundOptions, plan: RoundPlan): PlainRoundSession {
    const key = Buffer.from(options.roundId).toString('hex');
    if (this.plainRounds.has(key) || this.sessions.has(key))
      throw new Error(`round id ${key} is already in use`);
    const session = new PlainRoundSession(options);
    this.plainRounds.set(key, session);
    void session.result.then(() => this.plainRounds.delete(key));
    const started = {
      event: 'round_started',
      round_started: {
        round,
        round_id: options.roundId,
        model_sha256: plan.modelSha256,
        model_spec_json: plan.modelSpecJson,
        training: plan.training,
        plain: { dimension: options.dimension, max_chunk_values: MAX_UPDATE_CHUNK_VALUES },
      },
    };
    for (const id of options.participants) this.push(id, started);
    return session;
  }

  /** Makes model bytes available to DownloadModel; returns their SHA-256. */
  publishModel(bytes: Uint8Array): Uint8Array {
    const sha = createHash('sha256').update(bytes).digest();
    this.models.set(sha.toString('hex'), bytes);
    return new Uint8Array(sha);
  }

  /** Pushes one event to a member's inbox; a member without one simply misses it (and times out). */
  push(to: ClientId, event: object): void {
    this.inboxes.get(to)?.write(event);
  }

  readonly handlers: grpc.UntypedServiceImplementation = {
    GetChallenge: this.unary((call: Unary<{ identity_key: Uint8Array }>) => ({
      nonce: this.membership.challenge(call.request.identity_key, this.now()),
      federation: this.membership.federation,
    })),

    Join: this.unary(
      (call: Unary<{ identity_key: Uint8Array; nonce: Uint8Array; signature: Uint8Array }>) => {
        const { identity_key, nonce, signature } = call.request;
        const { token, member } = this.membership.join(identity_key, nonce, signature, this.now());
        return {
          session_token: token,
          member_index: member.index,
          members: this.membership.members.map((m) => ({
            member_index: m.index,
            name: m.name,
            identity_key: m.identityKey,
          })),
          signed_manifest: this.membership.manifest.bytes,
        };
      },
    ),

    Subscribe: (call: Stream) => {
      let member: Member;
      try {
        member = this.authenticate(call);
      } catch (error) {
        call.emit('error', { ...toStatus(error) });
        return;
      }
      this.inboxes.get(member.index)?.end();
      this.inboxes.set(member.index, call);
      const leave = (): void => {
        if (this.inboxes.get(member.index) !== call) return;
        this.inboxes.delete(member.index);
        for (const session of this.sessions.values()) session.disconnected(member.index);
        // A plain round needs no notice: the member's update simply never arrives.
      };
      call.on('cancelled', leave);
      call.on('close', leave);
      // Headers now tell the member its inbox is registered, before any event is due.
      call.sendMetadata(new grpc.Metadata());
    },

    AdvertiseKeys: this.protocolCall((m: codec.WireAdvertiseKeys) => codec.decodeAdvertiseKeys(m)),
    RevealGraphNonce: this.protocolCall((m: codec.WireGraphNonce) => codec.decodeGraphNonce(m)),
    ShareKeys: this.protocolCall((m: codec.WireShareKeys) => codec.decodeShareKeys(m)),
    CheckShares: this.protocolCall((m: codec.WireShareCheck, session) =>
      codec.decodeShareCheck(m, session.participants.length),
    ),
    SignSurvivors: this.protocolCall((m: codec.WireSignSurvivors) => codec.decodeSignSurvivors(m)),
    Unmask: this.protocolCall((m: codec.WireUnmask) => codec.decodeUnmask(m)),
    AbortRound: this.protocolCall((m: { round_id: Uint8Array; reason: string }) => ({
      kind: 'abort',
      reason: String(m.reason).slice(0, 500),
    })),

    UploadMaskedInput: this.clientStream<codec.WireMaskedInputChunk>(() => {
      let session: SecureRoundSession | undefined;
      return {
        data: (member, chunk) => {
          if (session === undefined || chunk.round_id.length > 0) session = this.openSession(chunk.round_id);
          this.feed(session, member.index, codec.decodeMaskedInputChunk(chunk));
        },
        // A cut-off upload is the core's to handle: it learns of the member's loss through Subscribe.
        end: () => undefined,
      };
    }),

    SubmitUpdate: this.clientStream<WireUpdateChunk>(() => {
      let session: PlainRoundSession | undefined;
      return {
        data: (member, wire) => {
          const chunk = decodeUpdateChunk(wire);
          if (session === undefined) {
            if (chunk.roundId === undefined)
              throw new InvalidArgumentError('round_id', 'expected 32 bytes in the first chunk');
            session = this.openPlainRound(chunk.roundId);
            if (!session.isParticipant(member.index))
              throw new StatusError(
                grpc.status.FAILED_PRECONDITION,
                `member ${member.index} is not taking part in this round`,
              );
          }
          try {
            session.feed(member.index, chunk);
          } catch (error) {
            throw error instanceof DuplicateUpdateError
              ? new StatusError(grpc.status.FAILED_PRECONDITION, error.message)
              : error;
          }
        },
        end: (member) => {
          if (session === undefined) throw new InvalidArgumentError('values', 'the upload carried no chunk');
          const short = session.ended(member.index);
          if (short !== undefined) throw short;
        },
      };
    }),

    GetStatus: this.unary((call: Unary<unknown>) => {
      const member = this.authenticate(call);
      const sessions = [...this.sessions.values()];
      const plain = [...this.plainRounds.values()];
      const own = sessions.find((s) => s.isParticipant(member.index)) ?? sessions[0];
      return {
        federation: this.membership.federation,
        // Robust mode has one phase: collecting the members' updates.
        phase: own?.phase ?? (plain.length > 0 ? 'collecting-updates' : ''),
        members_connected: this.inboxes.size,
        members_waited_for: [...sessions, ...plain].reduce((n, s) => n + s.waitingFor.length, 0),
      };
    }),

    DownloadModel: (
      call: grpc.ServerWritableStream<{ model_sha256: Uint8Array; chunk_bytes: number }, unknown>,
    ) => {
      try {
        this.authenticate(call);
        const sha = Buffer.from(call.request.model_sha256).toString('hex');
        const model = this.models.get(sha);
        if (model === undefined)
          throw new StatusError(grpc.status.NOT_FOUND, `model_sha256: no model ${sha}`);
        const chunk = Math.min(
          Math.max(call.request.chunk_bytes || MODEL_CHUNK_BYTES, 1024),
          MODEL_CHUNK_BYTES,
        );
        for (let offset = 0; offset < model.length || offset === 0; offset += chunk) {
          call.write({
            total_bytes: offset === 0 ? model.length : 0,
            offset,
            data: model.subarray(offset, offset + chunk),
          });
          if (model.length === 0) break;
        }
        call.end();
      } catch (error) {
        call.emit('error', { ...toStatus(error) });
      }
    },
  };

  private authenticate(call: { metadata: grpc.Metadata }): Member {
    const token = call.metadata.get('cohort-session')[0];
    return this.membership.authenticate(typeof token === 'string' ? token : undefined);
  }

  private openSession(roundId: Uint8Array): SecureRoundSession {
    const wanted = codec.roundIdOf({ round_id: roundId });
    for (const session of this.sessions.values())
      if (constantTimeEqual(wanted, session.roundId)) return session;
    throw new StatusError(grpc.status.FAILED_PRECONDITION, 'round_id: not a round in progress');
  }

  private openPlainRound(roundId: Uint8Array): PlainRoundSession {
    for (const session of this.plainRounds.values())
      if (constantTimeEqual(roundId, session.roundId)) return session;
    throw new StatusError(grpc.status.FAILED_PRECONDITION, 'round_id: not a round in progress');
  }

  private feed(round: SecureRoundSession, from: ClientId, message: ClientMessage): void {
    if (!round.isParticipant(from)) {
      throw new StatusError(
        grpc.status.FAILED_PRECONDITION,
        `member ${from} is not taking part in this round`,
      );
    }
    const refusal = round.handle(from, message);
    if (refusal !== undefined) throw dropStatus(refusal.reason, refusal.detail);
  }

  /** A member's unary step: authenticated, matched to its round, decoded, handed to the session. */
  private protocolCall<Req extends { round_id: Uint8Array }>(
    decode: (m: Req, session: SecureRoundSession) => ClientMessage,
  ) {
    return this.unary((call: Unary<Req>) => {
      const member = this.authenticate(call);
      const session = this.openSession(call.request.round_id);
      this.feed(session, member.index, decode(call.request, session));
      return {};
    });
  }

  /**
   * A member's client stream: authenticated once, each chunk handed to `data`, `end` at the close; the
   * first error answers the call with its status and stops reading, so nothing after it is applied.
   */
  private clientStream<Chunk>(
    open: () => { data: (member: Member, chunk: Chunk) => void; end: (member: Member) => void },
  ) {
    return (call: grpc.ServerReadableStream<Chunk, unknown>, callback: Callback): void => {
      let failed = false;
      const fail = (error: unknown): void => {
        if (failed) return;
        failed = true;
        callback({ ...toStatus(error) });
        call.destroy();
      };
      let member: Member;
      try {
        member = this.authenticate(call);
      } catch (error) {
        return fail(error);
      }
      const handlers = open();
      call.on('data', (chunk: Chunk) => {
        if (failed) return;
        try {
          handlers.data(member, chunk);
        } catch (error) {
          fail(error);
        }
      });
      call.on('end', () => {
        if (failed) return;
        try {
          handlers.end(member);
          callback(null, {});
        } catch (error) {
          fail(error);
        }
      });
      call.on('error', () => undefined); // a cancelled stream is seen through the member's Subscribe
    };
  }

  private unary<Req>(handle: (call: Unary<Req>) => object) {
    return (call: Unary<Req>, callback: Callback): void => {
      try {
        callback(null, handle(call));
      } catch (error) {
        callback({ ...toStatus(error) });
      }
    };
  }
}
