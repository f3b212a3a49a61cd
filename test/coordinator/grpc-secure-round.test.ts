import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  aes256CtrPrg,
  AbortReason,
  addInto,
  CulpritReason,
  cryptoReady,
  DropReason,
  SecAggAbortedError,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
  sign,
  type ClientId,
  type SigningKeyPair,
} from '../../aggregation/index.js';
import { CohortConnection } from '../../client-sdk/connection.js';
import { SecureRoundRunner, type RoundOutcome } from '../../client-sdk/secure-round-runner.js';
import { CoordinatorService, type RoundPlan } from '../../coordinator/grpc/service.js';
import { serve, testManifest } from './signed-federation.js';
import type { PhaseDeadlines } from '../../coordinator/secure-round.js';
import type { VerifiedManifest } from '../../proto/federation-manifest.js';
import { loadCohortProto } from '../../proto/load.js';
import { serveOnLoopback, testRoundPlan } from './loopback-coordinator.js';

/**
 * A coordinator and eight members over real gRPC on loopback: real sockets, real libsodium, the real
 * protocol. Members that crash are members whose connection closes, which the coordinator sees
 * through their Subscribe stream. A dishonest member is the real SDK runner over a connection whose
 * outgoing calls are tampered with, so everything but the tampering is the honest code path.
 */
await cryptoReady();

const MEMBERS = 8;
const DIMENSION = 3_000;
const DEADLINES: PhaseDeadlines = {
  advertiseKeys: 4_000,
  graphNonce: 4_000,
  shareKeys: 4_000,
  shareCheck: 4_000,
  maskedInput: 4_000,
  consistencyCheck: 4_000,
  unmasking: 4_000,
};
const identities: SigningKeyPair[] = Array.from({ length: MEMBERS }, (_, i) =>
  signingKeyPairFromSeed(seedFromNumber(300 + i)),
);
/** The model the rounds' plan names; members refuse a spec whose hash the manifest does not pin. */
const MODEL_SPEC_JSON = `{"kind":"logistic-regression","inputs":${DIMENSION - 1}}`;
const PLAN: RoundPlan = testRoundPlan(MODEL_SPEC_JSON);
const base = testManifest('test-consortium', identities);
// k = 6, t = 4 pinned explicitly: members check the coordinator's k and t against the manifest.
const { membership, trust } = serve({
  ...base,
  threatModel: { ...base.threatModel, degree: 6, threshold: 4 },
  modelSpecSha256: createHash('sha256').update(MODEL_SPEC_JSON, 'utf8').digest('hex'),
});

function inputOf(round: number, id: ClientId): Uint32Array {
  const words = new Uint32Array(DIMENSION);
  seededRandom(seedFromNumber(round * 100 + id)).fill(new Uint8Array(words.buffer));
  return words;
}

let server: grpc.Server;
let service: CoordinatorService;
let address: string;

before(async () => {
  service = new CoordinatorService(membership);
  ({ server, address } = await serveOnLoopback(service));
});

after(() => {
  server.forceShutdown();
});

interface Member {
  connection: CohortConnection;
  outcomes: RoundOutcome[];
}

type Request = Record<string, unknown>;
/** Rewrites (or, returning undefined, swallows) a member's outgoing unary call, possibly after a wait. */
type Tamper = (method: string, request: Request) => Request | undefined | Promise<Request | undefined>;

/** The member's connection with every unary call passed through `tamper` first. */
function tampered(connection: CohortConnection, tamper: Tamper): CohortConnection {
  const call: CohortConnection['call'] = async (method, request) => {
    const sent = await tamper(method, request as Request);
    return sent === undefined ? {} : connection.call(method, sent);
  };
  return Object.create(connection, { call: { value: call } }) as CohortConnection;
}

interface Behaviour {
  /** Closes the member's connection when it is asked for its input (while masking). */
  readonly crash?: (id: ClientId) => boolean;
  readonly tamper?: (id: ClientId) => Tamper | undefined;
  /** The manifest a member holds, when not the coordinator's (a pinned member cannot be made to hold one). */
  readonly manifest?: (id: ClientId, served: VerifiedManifest) => VerifiedManifest | undefined;
}

async function connectAll(behaviour: Behaviour = {}): Promise<Member[]> {
  const members = await Promise.all(
    identities.map(async (identity, i) => {
      const connection = await CohortConnection.connect(address, identity, trust);
      assert.equal(connection.memberIndex, i + 1);
      const manifest = behaviour.manifest?.(i + 1, connection.manifest);
      // A coordinator cannot make a pinned member hold another manifest; the test forces it.
      if (manifest !== undefined) Object.defineProperty(connection, 'manifest', { value: manifest });
      const member: Member = { connection, outcomes: [] };
      const tamper = behaviour.tamper?.(i + 1);
      const runner = new SecureRoundRunner(
        tamper === undefined ? connection : tampered(connection, tamper),
        identity,
        seededRandom(seedFromNumber(700 + i)),
        (started) => () => {
          if (behaviour.crash?.(i + 1) === true) connection.close();
          return inputOf(started.round, i + 1);
        },
        (outcome) => member.outcomes.push(outcome),
      );
      await connection.subscribe(runner.onEvent, () => undefined);
      return member;
    }),
  );
  assert.equal(service.connected.length, MEMBERS);
  return members;
}

function startRound(round: number, deadlines: Partial<PhaseDeadlines> = {}) {
  return service.startSecureRound(
    round,
    {
      roundId: seedFromNumber(round),
      parameters: { clients: MEMBERS, degree: 6, threshold: 4 },
      dimension: DIMENSION,
      participants: Array.from({ length: MEMBERS }, (_, i) => i + 1),
      identityKeyOf: (id) => membership.member(id)?.identityKey,
      prg: aes256CtrPrg,
      deadlines: { ...DEADLINES, ...deadlines },
    },
    { clipRange: 1, levels: 65_537, maxChunkWords: 1_000 },
    PLAN,
  );
}

describe('a secure round over gRPC', () => {
  test('all members: the coordinator learns exactly the sum', async () => {
    const members = await connectAll();
    const result = await startRound(1).result;
    const expected = new Uint32Array(DIMENSION);
    for (let id = 1; id <= MEMBERS; id++) addInto(expected, inputOf(1, id), 0);
    assert.deepEqual(result.survivors, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(result.sum, expected);
    for (const m of members) m.connection.close();
  });

  test('two members crash while masking: the sum of the other six is exact', async () => {
    const members = await connectAll({ crash: (id) => id === 3 || id === 6 });
    const result = await startRound(2).result;
    assert.deepEqual(result.survivors, [1, 2, 4, 5, 7, 8]);
    const expected = new Uint32Array(DIMENSION);
    for (const id of result.survivors) addInto(expected, inputOf(2, id), 0);
    assert.deepEqual(result.sum, expected);
    assert.equal(result.dropped.size, 2);
    for (const m of members) m.connection.close();
  });

  test('too few survivors: the round aborts and the members are told', async () => {
    // Three of eight mask: fewer than t = 4.
    const members = await connectAll({ crash: (id) => id <= 5 });
    await assert.rejects(
      startRound(3).result,
      (e: unknown) => e instanceof SecAggAbortedError && e.reason === AbortReason.TooFewClients,
    );
    const outcome = await outcomeOf(members[7]!);
    assert.equal(outcome.completed, false);
    assert.match(outcome.reason ?? '', /server aborted/);
    for (const m of members) m.connection.close();
  });
});

/** The member's first round outcome; its last reply may still be in flight when the coordinator settles. */
async function outcomeOf(member: Member): Promise<RoundOutcome> {
  for (let tries = 0; member.outcomes.length === 0 && tries < 500; tries++)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(member.outcomes[0], 'the member reported no outcome');
  return member.outcomes[0];
}

/** Σ of the named members' inputs for a round. */
function sumOf(round: number, ids: readonly ClientId[]): Uint32Array {
  const expected = new Uint32Array(DIMENSION);
  for (const id of ids) addInto(expected, inputOf(round, id), 0);
  return expected;
}

describe('one bad member costs one member, not the round', () => {
  test('a member sending garbage share ciphertexts is left out and named; the sum of the others is exact', async () => {
    const garbage: Tamper = (method, request) => {
      if (method !== 'ShareKeys') return request;
      const ciphertexts = request['ciphertexts'] as { recipient: number; ciphertext: Uint8Array }[];
      return {
        ...request,
        // Same length, so only opening it shows the fault: every tag fails.
        ciphertexts: ciphertexts.map((c) => ({
          recipient: c.recipient,
          ciphertext: Uint8Array.from(c.ciphertext, (b) => b ^ 0x5a),
        })),
      };
    };
    const members = await connectAll({ tamper: (id) => (id === 3 ? garbage : undefined) });
    const result = await startRound(10).result;
    assert.deepEqual(result.survivors, [1, 2, 4, 5, 6, 7, 8]);
    assert.deepEqual(result.sum, sumOf(10, result.survivors));
    assert.deepEqual([...result.culprits.keys()], [3]);
    assert.equal(result.culprits.get(3)?.reason, CulpritReason.BadShareCiphertexts);
    // No honest member was blamed, refused the round or was lost on the way.
    assert.deepEqual([...result.dropped.keys()], [3]);
    for (const m of members) m.connection.close();
  });

  test('a member that never reveals its graph nonce: the roster shrinks once and the round completes', async () => {
    const silent: Tamper = (method, request) => (method === 'RevealGraphNonce' ? undefined : request);
    const attempts: unknown[] = [];
    const watch: Tamper = (method, request) => {
      if (method === 'RevealGraphNonce') attempts.push(request['attempt']);
      return request;
    };
    const members = await connectAll({
      tamper: (id) => (id === 5 ? silent : id === 1 ? watch : undefined),
    });
    const result = await startRound(11, { graphNonce: 1_500 }).result;
    assert.deepEqual(result.survivors, [1, 2, 3, 4, 6, 7, 8]);
    assert.deepEqual(result.sum, sumOf(11, result.survivors));
    assert.equal(result.dropped.get(5)?.reason, DropReason.Timeout);
    assert.deepEqual([...result.dropped.keys()], [5]);
    // Member 1, honest, revealed twice: for the first roster, then for the one without member 5.
    assert.deepEqual(attempts, [1, 2]);
    const outcome = await outcomeOf(members[4]!);
    assert.equal(outcome.completed, false);
    assert.match(outcome.reason ?? '', /graph-nonce/);
    assert.equal(result.culprits.size, 0);
    for (const m of members) m.connection.close();
  });

  test('a member revealing wrong unmask shares first: the coordinator rebuilds from spares and names it', async () => {
    type Share = { owner: number; share: Uint8Array };
    // Each share stays a field element below p; only its value is wrong.
    const wrong = (shares: Share[]) =>
      shares.map((s) => ({
        owner: s.owner,
        share: Uint8Array.from(s.share, (b, i) => (i === 32 ? b ^ 1 : b)),
      }));
    const liar: Tamper = (method, request) =>
      method !== 'Unmask'
        ? request
        : {
            ...request,
            self_seed_shares: wrong(request['self_seed_shares'] as Share[]),
            mask_key_shares: wrong(request['mask_key_shares'] as Share[]),
          };
    // Honest members answer the unmask request a little later, so the liar's shares are always among
    // the first the coordinator tries, and the round cannot finish before they are examined.
    const late: Tamper = async (method, request) => {
      if (method === 'Unmask') await new Promise((r) => setTimeout(r, 300));
      return request;
    };
    const members = await connectAll({ tamper: (id) => (id === 2 ? liar : late) });
    const result = await startRound(13).result;
    assert.deepEqual(result.survivors, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(result.sum, sumOf(13, result.survivors));
    assert.deepEqual([...result.culprits.keys()], [2]);
    assert.equal(result.culprits.get(2)?.reason, CulpritReason.WrongUnmaskShares);
    for (const m of members) m.connection.close();
  });

  test('a member holding another manifest signs another plan, one pinned to a smaller federation refuses: the round goes on', async () => {
    const members = await connectAll({
      manifest: (id, served) => {
        if (id === 2) return { ...served, sha256: new Uint8Array(32).fill(1) };
        // Member 6 pins a federation of its first five members: a round naming 6, 7 and 8 it refuses outright.
        if (id === 6)
          return {
            ...served,
            manifest: { ...served.manifest, members: served.manifest.members.slice(0, 5) },
          };
        return undefined;
      },
    });
    const result = await startRound(12, { advertiseKeys: 2_000 }).result;
    assert.deepEqual(result.survivors, [1, 3, 4, 5, 7, 8]);
    assert.deepEqual(result.sum, sumOf(12, result.survivors));
    assert.equal(result.dropped.get(2)?.reason, DropReason.InvalidKeySignature);
    // A member declining a round says so at once (AbortRound) rather than leaving the coordinator to time out.
    assert.equal(result.dropped.get(6)?.reason, DropReason.ClientAborted);
    assert.equal((await outcomeOf(members[1]!)).completed, false);
    const refused = await outcomeOf(members[5]!);
    assert.equal(refused.completed, false);
    assert.match(refused.reason ?? '', /participants/);
    for (const m of members) m.connection.close();
  });
});

describe('hostile calls get the right status and name the field', () => {
  const proto = loadCohortProto();
  const raw = (): grpc.Client & Record<string, (...a: unknown[]) => unknown> =>
    new proto.Coordinator(address, grpc.credentials.createInsecure()) as never;
  const unary = (
    client: ReturnType<typeof raw>,
    method: string,
    request: object,
    metadata = new grpc.Metadata(),
  ) =>
    new Promise<unknown>((resolve, reject) =>
      client[method]!(request, metadata, (e: grpc.ServiceError | null, r: unknown) =>
        e ? reject(e) : resolve(r),
      ),
    );
  const status = (code: grpc.status, pattern: RegExp) => (e: unknown) =>
    (e as grpc.ServiceError).code === code && pattern.test((e as grpc.ServiceError).details);

  test('an unknown identity key is PERMISSION_DENIED', async () => {
    const client = raw();
    await assert.rejects(
      unary(client, 'GetChallenge', { identity_key: new Uint8Array(32).fill(1) }),
      status(grpc.status.PERMISSION_DENIED, /identity_key/),
    );
    client.close();
  });

  test('a bad join signature is UNAUTHENTICATED; so is a call without a session', async () => {
    const client = raw();
    const identity = identities[0]!;
    const challenge = (await unary(client, 'GetChallenge', { identity_key: identity.publicKey })) as {
      nonce: Uint8Array;
    };
    const forged = sign(challenge.nonce, identity.secretKey); // signs the wrong payload
    await assert.rejects(
      unary(client, 'Join', { identity_key: identity.publicKey, nonce: challenge.nonce, signature: forged }),
      status(grpc.status.UNAUTHENTICATED, /signature/),
    );
    await assert.rejects(
      unary(client, 'GetStatus', {}),
      status(grpc.status.UNAUTHENTICATED, /cohort-session/),
    );
    client.close();
  });

  test('a message for another round is FAILED_PRECONDITION; malformed keys are INVALID_ARGUMENT naming the field', async () => {
    const members = await connectAll();
    const round = startRound(4);
    const intruder = await CohortConnection.connect(address, identities[0]!, trust);
    await assert.rejects(
      intruder.call('AdvertiseKeys', {
        round_id: new Uint8Array(32).fill(7),
        encryption_key: new Uint8Array(32),
        masking_key: new Uint8Array(32),
        signature: new Uint8Array(64),
      }),
      status(grpc.status.FAILED_PRECONDITION, /round_id/),
    );
    await assert.rejects(
      intruder.call('AdvertiseKeys', {
        round_id: round.roundId,
        encryption_key: new Uint8Array(31),
        masking_key: new Uint8Array(32),
        signature: new Uint8Array(64),
      }),
      status(grpc.status.INVALID_ARGUMENT, /encryption_key/),
    );
    // Malformed nonces and share checks are refused at the edge; the round (and the sender) go on.
    await assert.rejects(
      intruder.call('RevealGraphNonce', { round_id: round.roundId, attempt: 1, nonce: new Uint8Array(31) }),
      status(grpc.status.INVALID_ARGUMENT, /nonce/),
    );
    await assert.rejects(
      intruder.call('RevealGraphNonce', { round_id: round.roundId, attempt: 4, nonce: new Uint8Array(32) }),
      status(grpc.status.INVALID_ARGUMENT, /attempt/),
    );
    await assert.rejects(
      intruder.call('CheckShares', { round_id: round.roundId, rejected: [5, 2] }),
      status(grpc.status.INVALID_ARGUMENT, /rejected\[1\]/),
    );
    await assert.rejects(
      intruder.call('CheckShares', {
        round_id: round.roundId,
        rejected: Array.from({ length: 9 }, (_, i) => i + 1),
      }),
      status(grpc.status.INVALID_ARGUMENT, /rejected/),
    );
    await assert.rejects(
      intruder.call('CheckShares', { round_id: new Uint8Array(32).fill(7), rejected: [] }),
      status(grpc.status.FAILED_PRECONDITION, /round_id/),
    );
    const result = await round.result;
    assert.equal(result.survivors.length, MEMBERS);
    intruder.close();
    for (const m of members) m.connection.close();
  });
});
