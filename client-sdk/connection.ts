import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { sign, type SigningKeyPair } from '../aggregation/crypto/signature.js';
import type { WireMaskedInputChunk } from '../proto/codec.js';
import { loadCohortProto } from '../proto/load.js';
import type { WireUpdateChunk } from '../proto/update-codec.js';
import { joinPayload } from '../proto/join.js';
import {
  ManifestError,
  memberKeysOf,
  verifySignedManifest,
  type ManifestPin,
  type VerifiedManifest,
} from '../proto/federation-manifest.js';

/** The subset of CoordinatorEvent a member acts on; `event` names the field that is set. */
export type WireCoordinatorEvent = { event: string } & Record<string, unknown>;

type UnaryMethod =
  | 'AdvertiseKeys'
  | 'RevealGraphNonce'
  | 'ShareKeys'
  | 'CheckShares'
  | 'SignSurvivors'
  | 'Unmask'
  | 'AbortRound'
  | 'GetStatus';
type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/**
 * A member's connection to the coordinator: the signed-challenge join, the session token on every
 * call, the Subscribe inbox and the unary and streaming calls of the protocol. No protocol logic lives
 * here; SecureRoundRunner decides what to send.
 */
export class CohortConnection {
  private readonly metadata = new grpc.Metadata();
  /** Calls in flight, the inbox among them: close() cancels them, or the channel would stay open under them. */
  private readonly calls = new Set<grpc.Call>();
  private constructor(
    private readonly client: Client,
    readonly memberIndex: number,
    readonly federation: string,
    /** The signed manifest the Join answer carried, verified against the member's pin. */
    readonly manifest: VerifiedManifest,
    token: string,
  ) {
    this.metadata.set('cohort-session', token);
  }

  /** Peers' identity keys by member index, from the pinned manifest only (never JoinResponse.members). */
  get memberKeys(): ReadonlyMap<number, Uint8Array> {
    return (this.keys ??= memberKeysOf(this.manifest.manifest));
  }
  private keys: Map<number, Uint8Array> | undefined;

  /** SHA-256 of the pinned manifest's canonical bytes. */
  get manifestSha256(): Uint8Array {
    return this.manifest.sha256;
  }

  /**
   * Joins with a signed challenge, then checks the coordinator's signed manifest against `trust`, that
   * it names the federation the coordinator runs, and that the member's own key is the member at the
   * index the coordinator gave it. A failed check closes the channel and throws ManifestError.
   */
  static async connect(
    address: string,
    identity: SigningKeyPair,
    trust: ManifestPin,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  ): Promise<CohortConnection> {
    const proto = loadCohortProto();
    const client = new proto.Coordinator(address, credentials, {
      'grpc.max_receive_message_length': 64 * 2 ** 20,
      'grpc.max_send_message_length': 64 * 2 ** 20,
      // The member's own receive window (model downloads); 64 KiB by default.
      'grpc-node.flow_control_window': 16 * 2 ** 20,
    }) as unknown as Client;
    const call = <T>(method: string, request: object): Promise<T> =>
      new Promise((resolve, reject) =>
        client[method]!(request, (error: grpc.ServiceError | null, response: T) =>
          error ? reject(error) : resolve(response),
        ),
      );
    try {
      const challenge = await call<{ nonce: Uint8Array; federation: string }>('GetChallenge', {
        identity_key: identity.publicKey,
      });
      const joined = await call<{
        session_token: string;
        member_index: number;
        signed_manifest: Uint8Array;
      }>('Join', {
        identity_key: identity.publicKey,
        nonce: challenge.nonce,
        signature: sign(joinPayload(challenge.federation, challenge.nonce), identity.secretKey),
        client_version: 'cohort-sdk/0.1',
      });
      const manifest = checkManifest(
        joined.signed_manifest,
        trust,
        challenge.federation,
        joined.member_index,
        identity,
      );
      return new CohortConnection(
        client,
        joined.member_index,
        challenge.federation,
        manifest,
        joined.session_token,
      );
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /**
   * Opens the inbox; resolves once the coordinator has registered it (its response headers), so
   * nothing pushed after that is missed. `onEvent` sees every push in order, `onEnd` once at the close.
   */
  subscribe(
    onEvent: (event: WireCoordinatorEvent) => void,
    onEnd: (error?: Error) => void,
  ): Promise<grpc.ClientReadableStream<WireCoordinatorEvent>> {
    return new Promise((resolve, reject) => {
      const stream = this.track(
        this.client['Subscribe']!({}, this.metadata) as grpc.ClientReadableStream<WireCoordinatorEvent>,
      );
      let open = false;
      stream.on('metadata', () => {
        open = true;
        resolve(stream);
      });
      stream.on('data', onEvent);
      stream.on('error', (error: Error) => (open ? onEnd(error) : reject(error)));
      stream.on('end', () => onEnd());
    });
  }

  call(method: UnaryMethod, request: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.track(
        this.client[method]!(request, this.metadata, (error: grpc.ServiceError | null, response: unknown) =>
          error ? reject(error) : resolve(response),
        ) as grpc.ClientUnaryCall,
      ),
    );
  }

  /** Streams the masked input; resolves when the coordinator has taken every chunk. */
  upload(chunks: readonly WireMaskedInputChunk[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = this.track(
        this.client['UploadMaskedInput']!(this.metadata, (error: grpc.ServiceError | null) =>
          error ? reject(error) : resolve(),
        ) as grpc.ClientWritableStream<WireMaskedInputChunk>,
      );
      for (const chunk of chunks) stream.write(chunk);
      stream.end();
    });
  }

  /** Robust mode: streams the plaintext update; resolves when the coordinator has accepted all of it. */
  submitUpdate(chunks: readonly WireUpdateChunk[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = this.track(
        this.client['SubmitUpdate']!(this.metadata, (error: grpc.ServiceError | null) =>
          error ? reject(error) : resolve(),
        ) as grpc.ClientWritableStream<WireUpdateChunk>,
      );
      for (const chunk of chunks) stream.write(chunk);
      stream.end();
    });
  }

  /** The model with this SHA-256, checked against it after the last chunk. */
  downloadModel(sha256: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const stream = this.track(
        this.client['DownloadModel']!(
          { model_sha256: sha256, chunk_bytes: 1 << 20 },
          this.metadata,
        ) as grpc.ClientReadableStream<{
          total_bytes: number;
          offset: number;
          data: Uint8Array;
        }>,
      );
      let model: Uint8Array | undefined;
      stream.on('data', (chunk: { total_bytes: number; offset: number; data: Uint8Array }) => {
        if (model === undefined) model = new Uint8Array(chunk.total_bytes);
        if (chunk.offset + chunk.data.length > model.length) {
          stream.cancel();
          reject(new Error(`model chunk at ${chunk.offset} overruns ${model.length} bytes`));
          return;
        }
        model.set(chunk.data, chunk.offset);
      });
      stream.on('error', reject);
      stream.on('end', () => {
        const bytes = model ?? new Uint8Array(0);
        const actual = createHash('sha256').update(bytes).digest();
        if (!actual.equals(Buffer.from(sha256)))
          reject(new Error('downloaded model does not match its SHA-256'));
        else resolve(bytes);
      });
    });
  }

  /**
   * Cancels every call in flight, then closes the channel. Closing alone would leave the Subscribe
   * stream open under it: the coordinator would keep the inbox and go on picking the member.
   */
  close(): void {
    for (const call of this.calls) call.cancel();
    this.calls.clear();
    this.client.close();
  }

  private track<C extends grpc.Call>(call: C): C {
    this.calls.add(call);
    call.on('status', () => this.calls.delete(call));
    return call;
  }
}

function checkManifest(
  bytes: Uint8Array,
  trust: ManifestPin,
  federation: string,
  memberIndex: number,
  identity: SigningKeyPair,
): VerifiedManifest {
  if (bytes.length === 0)
    throw new ManifestError('json', 'the coordinator sent none (JoinResponse.signed_manifest is empty)');
  const verified = verifySignedManifest(bytes, trust);
  if (verified.manifest.federation !== federation)
    throw new ManifestError(
      'federation',
      `federation: the manifest is for ${JSON.stringify(verified.manifest.federation)}, the coordinator runs ${JSON.stringify(federation)}`,
    );
  const own = Buffer.from(identity.publicKey).toString('hex');
  const listed = verified.manifest.members[memberIndex - 1];
  if (listed?.identityKey !== own)
    throw new ManifestError(
      'not-member',
      `members[${memberIndex - 1}]: the coordinator says this member is index ${memberIndex}, but the manifest lists ${listed === undefined ? 'no such member' : `key ${listed.identityKey} there`}, not ${own}`,
    );
  return verified;
}
