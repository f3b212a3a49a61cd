import { createHash } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import {
  aes256CtrPrg,
  SecAggClient,
  SecAggServer,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
  type AdvertiseKeys,
  type ClientId,
  type ClientMessage,
  type Outbound,
  type RosterEntry,
  type ServerMessage,
  type SigningKeyPair,
} from '../../aggregation/index.js';
import { roundParameters, type RoundParameters } from '../../aggregation/secagg/pinned-parameters.js';
import { CohortConnection } from '../../client-sdk/connection.js';
import { MemberGuard } from '../../client-sdk/member-guard.js';
import {
  SecureRoundRunner,
  type RoundInput,
  type RoundOutcome,
} from '../../client-sdk/secure-round-runner.js';
import * as codec from '../../proto/codec.js';
import { signedManifestFile, type FederationManifest } from '../../proto/federation-manifest.js';
import { roundPlanDigest, type WireRoundStarted } from '../../proto/round-plan.js';
import { TEST_OPERATOR, testManifest } from '../coordinator/signed-federation.js';
import type { Mutable } from './guard-fixtures.js';
import type { ReceivedCall, ScriptedCoordinator } from './scripted-coordinator.js';

/**
 * Test code, not a test file: a signed federation, honest SDK members over real gRPC, and colluding
 * members played by the real sans-IO client, so that in each malicious-coordinator test the only
 * thing wrong is what the test scripts. Needs cryptoReady().
 */

export const MODEL_SPEC_JSON = '{"kind":"logistic-regression","inputs":13}';
export const MODEL_DIMENSION = 14;
/** The update words and the example-count word. */
export const DIMENSION = MODEL_DIMENSION + 1;
/** The honest member in every test; everyone else the coordinator drives is a colluder. */
export const HONEST = 1;

export interface Federation {
  readonly identities: readonly SigningKeyPair[];
  readonly manifest: FederationManifest;
  /** What rounds' plan digests start from. */
  readonly sha256: Uint8Array;
  /** JoinResponse.signed_manifest. */
  readonly bytes: Uint8Array;
}

/**
 * `size` members under the test operator; by default γ = 0.1 of ten members (C = 1), so eight
 * participants give k = 6, t = 4 and a minimum roster of 5.
 */
export function federation(
  name: string,
  size = 10,
  change: (m: Mutable<FederationManifest>) => void = () => undefined,
): Federation {
  const identities = Array.from({ length: size }, (_, i) =>
    signingKeyPairFromSeed(seedFromNumber(7_000 + i)),
  );
  const manifest = testManifest(name, identities, {
    modelSpecSha256: createHash('sha256').update(MODEL_SPEC_JSON).digest('hex'),
    threatModel: {
      corruptFraction: 0.1,
      expectedDropout: 0.05,
      minimumClients: 8,
      securityBits: 40,
      correctnessBits: 10,
      quarantineRounds: 10,
    },
    privacy: { mode: 'none', clipNorm: 1, quantization: { clipRange: 4, levels: 65_537 } },
    rounds: 5,
  }) as Mutable<FederationManifest>;
  change(manifest);
  const file = signedManifestFile(manifest, TEST_OPERATOR);
  return { identities, manifest, sha256: file.sha256, bytes: file.bytes };
}

/** What a member derives from the pinned manifest alone for `participants` members. */
export function derived(fed: Federation, participants: number): RoundParameters {
  const t = fed.manifest.threatModel;
  return roundParameters(
    {
      federationSize: fed.manifest.members.length,
      corruptFraction: t.corruptFraction,
      dropoutRate: t.expectedDropout,
      securityBits: t.securityBits,
      correctnessBits: t.correctnessBits,
    },
    participants,
  );
}

/** A plan consistent with the manifest for `participants`; `change` then makes it what the test needs. */
export function plan(
  fed: Federation,
  participants: readonly number[],
  round: number,
  change: (s: Mutable<WireRoundStarted>) => void = () => undefined,
): WireRoundStarted {
  const p = derived(fed, participants.length);
  const privacy = fed.manifest.privacy;
  const s: Mutable<WireRoundStarted> = {
    round,
    round_id: seedFromNumber(40_000 + round),
    model_sha256: new Uint8Array(32),
    model_spec_json: MODEL_SPEC_JSON,
    training: {
      epochs: 1,
      steps: 0,
      batch_size: 8,
      learning_rate: 0.1,
      clip_norm: privacy.clipNorm,
      example_cap: privacy.mode === 'distributed' ? 1 : 1_000,
      report_clip_indicator: false,
    },
    secagg: {
      participants: [...participants],
      degree: p.degree,
      threshold: p.threshold,
      dimension: DIMENSION,
      clip_range: privacy.quantization.clipRange,
      levels: privacy.quantization.levels,
      mask_prg: 'MASK_PRG_AES256_CTR',
      max_chunk_words: 1_000,
    },
    plain: null,
    noise: null,
  };
  change(s);
  return s;
}

export const roundStartedEvent = (started: WireRoundStarted) => ({
  event: 'round_started',
  round_started: started,
});

export function inputOf(round: number, id: ClientId): Uint32Array {
  const words = new Uint32Array(DIMENSION);
  seededRandom(seedFromNumber(round * 1_000 + id)).fill(new Uint8Array(words.buffer));
  return words;
}

/**
 * Colluding members' real sans-IO clients, each configured from `started` with its own identity: their
 * round keys are correctly signed over `planDigest` (by default the digest of `started` itself).
 */
export function colluders(
  fed: Federation,
  started: WireRoundStarted,
  ids: readonly ClientId[],
  planDigest: Uint8Array = roundPlanDigest(fed.sha256, started),
  /** Another seed gives the same colluders fresh round keys. */
  seed = 60_000,
): Map<ClientId, SecAggClient> {
  const s = started.secagg!;
  const p = derived(fed, s.participants.length);
  return new Map(
    ids.map((id) => [
      id,
      new SecAggClient({
        id,
        sessionId: new Uint8Array(started.round_id),
        parameters: { clients: p.clients, degree: p.degree, threshold: p.threshold },
        planDigest,
        minimumRoster: p.minimumRoster,
        dimension: s.dimension,
        identity: fed.identities[id - 1]!,
        identityKeyOf: (peer) =>
          s.participants.includes(peer) ? fed.identities[peer - 1]?.publicKey : undefined,
        random: seededRandom(seedFromNumber(seed + started.round * 100 + id)),
        prg: aes256CtrPrg,
        chunkWords: s.max_chunk_words,
      }),
    ]),
  );
}

export function rosterEntry(id: ClientId, keys: AdvertiseKeys): RosterEntry {
  return {
    id,
    encryptionKey: keys.encryptionKey,
    maskingKey: keys.maskingKey,
    graphCommitment: keys.graphCommitment,
    signature: keys.signature,
  };
}

/** The one message a just-started client sends, of the kind the test expects. */
export function only<K extends ClientMessage['kind']>(
  messages: ClientMessage[],
  kind: K,
): Extract<ClientMessage, { kind: K }> {
  const found = messages.filter((m) => m.kind === kind);
  if (messages.length !== 1 || found.length !== 1)
    throw new Error(`expected one ${kind}, got ${messages.map((m) => m.kind).join(', ')}`);
  return found[0] as Extract<ClientMessage, { kind: K }>;
}

export interface HonestMember {
  readonly connection: CohortConnection;
  readonly outcomes: RoundOutcome[];
  /** Resolves with the `n`-th outcome (1-based) the runner reported. */
  outcome(n?: number): Promise<RoundOutcome>;
  close(): void;
}

/**
 * The honest member as the SDK builds it: a CohortConnection pinned to the test operator and a
 * SecureRoundRunner (with a MemberGuard when `stateDir` is given) reading its inbox.
 */
export async function honestMember(
  coordinator: ScriptedCoordinator,
  fed: Federation,
  input: RoundInput,
  stateDir?: string,
): Promise<HonestMember> {
  const identity = fed.identities[HONEST - 1]!;
  const connection = await CohortConnection.connect(coordinator.address, identity, {
    operatorKey: TEST_OPERATOR.publicKey,
  });
  const guard =
    stateDir === undefined
      ? undefined
      : await MemberGuard.open({
          pinned: { manifest: fed.manifest, sha256: fed.sha256 },
          identityKey: identity.publicKey,
          stateDir,
        });
  const outcomes: RoundOutcome[] = [];
  const waiters: (() => void)[] = [];
  const runner = new SecureRoundRunner(
    connection,
    identity,
    seededRandom(seedFromNumber(50_000)),
    input,
    (outcome) => {
      outcomes.push(outcome);
      for (const wake of waiters.splice(0)) wake();
    },
    () => undefined,
    guard,
  );
  const inbox: grpc.ClientReadableStream<unknown> = await connection.subscribe(
    runner.onEvent,
    () => undefined,
  );
  await coordinator.subscribed();
  return {
    connection,
    outcomes,
    async outcome(n = 1) {
      const deadline = Date.now() + 5_000;
      while (outcomes.length < n) {
        if (Date.now() > deadline) throw new Error(`no outcome ${n} within 5 s`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return outcomes[n - 1]!;
    },
    close() {
      inbox.cancel();
      connection.close();
    },
  };
}

/** Decodes what the honest member sent, as the coordinator's service would. */
export function decodeCall(call: ReceivedCall, participants: number): ClientMessage | undefined {
  const r = call.request as never;
  switch (call.method) {
    case 'AdvertiseKeys':
      return codec.decodeAdvertiseKeys(r);
    case 'RevealGraphNonce':
      return codec.decodeGraphNonce(r);
    case 'ShareKeys':
      return codec.decodeShareKeys(r);
    case 'CheckShares':
      return codec.decodeShareCheck(r, participants);
    case 'UploadMaskedInput':
      return codec.decodeMaskedInputChunk(r);
    case 'SignSurvivors':
      return codec.decodeSignSurvivors(r);
    case 'Unmask':
      return codec.decodeUnmask(r);
    default:
      return undefined;
  }
}

/**
 * The dishonest coordinator's brain: the real server core, fed the honest member's calls (over gRPC)
 * and the colluders' messages (in process). Everything the core sends the honest member first passes
 * through `tamper`, the one place a test lies; `undefined` withholds the message.
 */
export class Relay {
  readonly server: SecAggServer;
  readonly errors: unknown[] = [];
  private readonly roundId: Uint8Array;

  constructor(
    private readonly coordinator: ScriptedCoordinator,
    fed: Federation,
    started: WireRoundStarted,
    private readonly colluding: Map<ClientId, SecAggClient>,
    private readonly tamper: (message: ServerMessage) => ServerMessage | undefined = (m) => m,
  ) {
    const s = started.secagg!;
    const p = derived(fed, s.participants.length);
    this.roundId = new Uint8Array(started.round_id);
    this.server = new SecAggServer({
      sessionId: this.roundId,
      parameters: { clients: p.clients, degree: p.degree, threshold: p.threshold },
      planDigest: roundPlanDigest(fed.sha256, started),
      corruptClients: p.corruptClients,
      minimumRoster: p.minimumRoster,
      dimension: s.dimension,
      clients: s.participants,
      identityKeyOf: (id) => fed.identities[id - 1]?.publicKey,
      prg: aes256CtrPrg,
    });
    coordinator.onCall = (call) => {
      const message = decodeCall(call, s.participants.length);
      if (message !== undefined) this.handle(HONEST, message);
    };
  }

  /** Starts every colluder with its input; the honest member starts on its own when RoundStarted arrives. */
  startColluders(inputOf: (id: ClientId) => Uint32Array): void {
    for (const [id, client] of this.colluding) for (const m of client.start(inputOf(id))) this.handle(id, m);
  }

  private handle(from: ClientId, message: ClientMessage): void {
    try {
      this.deliver(this.server.handle(from, message));
    } catch (error) {
      this.errors.push(error);
    }
  }

  private deliver(outbound: Outbound[]): void {
    for (const { to, message } of outbound) {
      if (to === HONEST) {
        const sent = this.tamper(message);
        if (sent !== undefined) this.coordinator.push(codec.encodeServerMessage(this.roundId, sent));
        continue;
      }
      for (const reply of this.colluding.get(to)?.handle(message) ?? []) this.handle(to, reply);
    }
  }
}
