import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { constantTimeEqual } from '../../aggregation/crypto/bytes.js';
import type { ClientId, ClientMessage, ServerMessage } from '../../aggregation/secagg/index.js';
import * as codec from '../../proto/codec.js';
import { Membership, type Member } from '../membership.js';
import { SecureRoundSession, type SecureRoundOptions } from '../secure-round.js';
import { dropStatus, StatusError, toStatus } from './status.js';

type Stream = grpc.ServerWritableStream<unknown, unknown>;

const MODEL_CHUNK_BYTES = 1 << 20;
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
  private round: SecureRoundSession | undefined;

  constructor(
    private readonly membership: Membership,
    private readonly now: () => number = Date.now,
  ) {}

  /** Members with an open Subscribe stream. */
  get connected(): ClientId[] {
    return [...this.inboxes.keys()].sort((a, b) => a - b);
  }

  /**
   * Opens a secure-aggregation round: member calls go to it from now on, and every participant is
   * told through its inbox (a participant without one will simply time out in AdvertiseKeys).
   */
  startSecureRound(
    round: number,
    options: Omit<SecureRoundOptions, 'deliver'>,
    settings: { clipRange: number; levels: number; maxChunkWords: number },
    plan?: {
      modelSha256: Uint8Array;
      modelSpecJson: string;
      training: {
        epochs: number;
        batch_size: number;
        learning_rate: number;
        clip_norm: number;
        example_cap: number;
      };
    },
  ): SecureRoundSession {
    if (this.round !== undefined && this.round.phase !== 'completed' && this.round.phase !== 'aborted') {
      throw new Error('a round is already in progress');
    }
    const session = new SecureRoundSession({ ...options, deliver: this.deliver });
    this.round = session;
    const started = {
      event: 'round_started',
      round_started: {
        round,
        round_id: options.roundId,
        model_sha256: plan?.modelSha256 ?? new Uint8Array(0),
        model_spec_json: plan?.modelSpecJson ?? '',
        training: plan?.training ?? null,
        secagg: {
          participants: [...options.participants],
          degree: options.parameters.degree,
          threshold: options.parameters.threshold,
          dimension: options.dimension,
          clip_range: settings.clipRange,
          levels: settings.levels,
          mask_prg: options.prg.id === 'aes256ctr' ? 'MASK_PRG_AES256_CTR' : 'MASK_PRG_CHACHA20',
          max_chunk_words: settings.maxChunkWords,
        },
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

  deliver = (to: ClientId, message: ServerMessage): void => {
    if (this.round !== undefined) this.push(to, codec.encodeServerMessage(this.round.roundId, message));
  };

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
        this.round?.disconnected(member.index);
      };
      call.on('cancelled', leave);
      call.on('close', leave);
      // Headers now tell the member its inbox is registered, before any event is due.
      call.sendMetadata(new grpc.Metadata());
    },

    AdvertiseKeys: this.protocolCall((m: codec.WireAdvertiseKeys) => codec.decodeAdvertiseKeys(m)),
    ShareKeys: this.protocolCall((m: codec.WireShareKeys) => codec.decodeShareKeys(m)),
    SignSurvivors: this.protocolCall((m: codec.WireSignSurvivors) => codec.decodeSignSurvivors(m)),
    Unmask: this.protocolCall((m: codec.WireUnmask) => codec.decodeUnmask(m)),
    AbortRound: this.protocolCall((m: { round_id: Uint8Array; reason: string }) => ({
      kind: 'abort',
      reason: String(m.reason).slice(0, 500),
    })),

    UploadMaskedInput: (
      call: grpc.ServerReadableStream<codec.WireMaskedInputChunk, unknown>,
      callback: Callback,
    ) => {
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
      let first = true;
      call.on('data', (chunk: codec.WireMaskedInputChunk) => {
        if (failed) return;
        try {
          if (first || chunk.round_id.length > 0) this.currentRound(chunk.round_id);
          first = false;
          this.feed(member.index, codec.decodeMaskedInputChunk(chunk));
        } catch (error) {
          fail(error);
        }
      });
      call.on('end', () => {
        if (!failed) callback(null, {});
      });
      call.on('error', () => undefined); // a cancelled upload is handled through the Subscribe stream
    },

    GetStatus: this.unary((call: Unary<unknown>) => {
      this.authenticate(call);
      return {
        federation: this.membership.federation,
        phase: this.round?.phase ?? '',
        members_connected: this.inboxes.size,
        members_waited_for: this.round?.waitingFor.length ?? 0,
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

  private currentRound(roundId: Uint8Array): SecureRoundSession {
    const round = this.round;
    if (round === undefined || !constantTimeEqual(codec.roundIdOf({ round_id: roundId }), round.roundId)) {
      throw new StatusError(grpc.status.FAILED_PRECONDITION, 'round_id: not the round in progress');
    }
    return round;
  }

  private feed(from: ClientId, message: ClientMessage): void {
    const round = this.round!;
    if (!round.isParticipant(from)) {
      throw new StatusError(
        grpc.status.FAILED_PRECONDITION,
        `member ${from} is not taking part in this round`,
      );
    }
    const refusal = round.handle(from, message);
    if (refusal !== undefined) throw dropStatus(refusal.reason, refusal.detail);
  }

  private protocolCall<Req extends { round_id: Uint8Array }>(decode: (m: Req) => ClientMessage) {
    return this.unary((call: Unary<Req>) => {
      const member = this.authenticate(call);
      this.currentRound(call.request.round_id);
      this.feed(member.index, decode(call.request));
      return {};
    });
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
