import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  aes256CtrPrg,
  cryptoReady,
  SecAggClient,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
  type SigningKeyPair,
} from '../../aggregation/index.js';
import { CohortClient } from '../../client-sdk/cohort-client.js';
import { CohortConnection } from '../../client-sdk/connection.js';
import { SecureRoundRunner, type RoundOutcome } from '../../client-sdk/secure-round-runner.js';
import { CoordinatorService } from '../../coordinator/grpc/service.js';
import { Membership } from '../../coordinator/membership.js';
import * as codec from '../../proto/codec.js';
import { ManifestError, type ManifestFailure } from '../../proto/federation-manifest.js';
import { joinPayload } from '../../proto/join.js';
import { loadCohortProto } from '../../proto/load.js';
import { sign } from '../../aggregation/crypto/signature.js';
import { serve, testManifest, TEST_OPERATOR } from '../coordinator/signed-federation.js';

/**
 * A member pins its operator's key; coordinators that serve anything else over real gRPC are refused at
 * join, before the member opens its inbox or sends anything about itself.
 */
await cryptoReady();
const identities = [1, 2, 3, 4].map((i) => signingKeyPairFromSeed(seedFromNumber(600 + i)));
const OTHER_OPERATOR = signingKeyPairFromSeed(seedFromNumber(666));
const trust = { operatorKey: TEST_OPERATOR.publicKey };
const FAST = { initialDelayMs: 10, maxDelayMs: 50, giveUpAfterMs: 5_000 };

async function listen(membership: Membership, port = 0) {
  const service = new CoordinatorService(membership);
  const server = new grpc.Server();
  server.addService(loadCohortProto().Coordinator.service, service.handlers);
  const bound = await new Promise<number>((ok, fail) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? fail(e) : ok(p),
    ),
  );
  return { service, server, address: `127.0.0.1:${bound}`, port: bound };
}

/** A membership whose coordinator lists `members` but serves `bytes` as its manifest. */
function membershipServing(members: readonly SigningKeyPair[], served: Membership['manifest']): Membership {
  return new Membership(
    'pinned',
    members.map((id, i) => ({ index: i + 1, name: `m${i + 1}`, identityKey: id.publicKey })),
    served,
  );
}

const refusal = (code: ManifestFailure, message: RegExp) => (e: unknown) =>
  e instanceof ManifestError && e.code === code && message.test(e.message);

async function refusedAtJoin(membership: Membership, code: ManifestFailure, message: RegExp) {
  const { service, server, address } = await listen(membership);
  try {
    await assert.rejects(
      CohortClient.connect(address, identities[0]!, { trust, reconnect: FAST }),
      refusal(code, message),
    );
    // Refused before Subscribe: the coordinator has no inbox to ask this member for anything.
    assert.deepEqual(service.connected, []);
  } finally {
    server.forceShutdown();
  }
}

describe('a pinned member refuses', () => {
  test('a manifest signed by another operator', async () => {
    const { membership } = serve(testManifest('pinned', identities), OTHER_OPERATOR);
    await refusedAtJoin(membership, 'operator-key', /not by the pinned operator key/);
  });

  test('a manifest whose member list was changed after signing', async () => {
    const honest = serve(testManifest('pinned', identities)).membership.manifest;
    const intruder = Buffer.from(signingKeyPairFromSeed(seedFromNumber(9)).publicKey).toString('hex');
    const text = new TextDecoder()
      .decode(honest.bytes)
      .replace(Buffer.from(identities[3]!.publicKey).toString('hex'), intruder);
    const membership = membershipServing(identities, { ...honest, bytes: new TextEncoder().encode(text) });
    await refusedAtJoin(membership, 'signature', /signature: does not verify/);
  });

  test('a manifest that does not list its key at the index the coordinator gave it', async () => {
    const swapped = [identities[1]!, identities[0]!, identities[2]!, identities[3]!];
    const served = serve(testManifest('pinned', swapped)).membership.manifest;
    await refusedAtJoin(membershipServing(identities, served), 'not-member', /index 1/);
  });

  test('a coordinator that restarts with a different, validly signed manifest', async () => {
    const first = await listen(serve(testManifest('pinned', identities)).membership);
    const client = await CohortClient.connect(first.address, identities[0]!, { trust, reconnect: FAST });
    const pinned = client.manifest.sha256;
    const running = client.run({ train: () => Promise.reject(new Error('no round expected')) });
    first.server.forceShutdown();
    const changed = serve(testManifest('pinned', identities, { rounds: 2 })).membership;
    const second = await listen(changed, first.port);
    try {
      await assert.rejects(
        running,
        refusal('changed', new RegExp(`not ${Buffer.from(pinned).toString('hex')}`)),
      );
      assert.deepEqual(second.service.connected, []);
    } finally {
      client.close();
      second.server.forceShutdown();
    }
  });
});

describe('the signed model spec', () => {
  test('a round asking to train another architecture is refused before training', async () => {
    const { service, server, address } = await listen(serve(testManifest('pinned', identities)).membership);
    let trained = false;
    let ended: (reason: string | undefined) => void = () => undefined;
    const refused = new Promise<string | undefined>((ok) => (ended = ok));
    const client = await CohortClient.connect(address, identities[0]!, {
      trust,
      onEvent: (e) => e.type === 'round-ended' && ended(e.reason),
    });
    const running = client.run({
      train: (global) => ((trained = true), Promise.resolve({ weights: global, numExamples: 1 })),
    });
    try {
      while (service.connected.length === 0) await new Promise((r) => setTimeout(r, 10));
      const session = service.startPlainRound(
        1,
        { roundId: seedFromNumber(70), participants: [1], dimension: 4, deadlineMs: 2_000 },
        {
          modelSha256: service.publishModel(new Uint8Array(16)),
          modelSpecJson: '{"kind":"logistic-regression","inputs":3}',
          training: {
            epochs: 1,
            steps: 0,
            batch_size: 1,
            learning_rate: 0.1,
            clip_norm: 1,
            example_cap: 1,
            report_clip_indicator: false,
          },
        },
      );
      assert.match((await refused) ?? '', /model_spec_json: SHA-256 [0-9a-f]{64} is not the manifest's/);
      assert.equal(trained, false);
      assert.deepEqual((await session.result).updates, []);
    } finally {
      client.stop();
      server.forceShutdown();
      await running.catch(() => undefined);
    }
  });
});

describe('peer keys come from the manifest only', () => {
  test('a member the coordinator adds to JoinResponse.members is not trusted: the round aborts unsummed', async () => {
    // The coordinator's membership has a fifth "member" whose key it holds; the signed manifest has four.
    const sybil = signingKeyPairFromSeed(seedFromNumber(605));
    const served = serve(testManifest('pinned', identities)).membership.manifest;
    const membership = membershipServing([...identities, sybil], served);
    const { service, server, address } = await listen(membership);
    try {
      const outcomes: RoundOutcome[] = [];
      const connections = await Promise.all(
        identities.map(async (identity, i) => {
          const connection = await CohortConnection.connect(address, identity, trust);
          const runner = new SecureRoundRunner(
            connection,
            identity,
            seededRandom(seedFromNumber(610 + i)),
            () => () => new Uint32Array(8).fill(i + 1),
            (outcome) => outcomes.push(outcome),
          );
          await connection.subscribe(runner.onEvent, () => undefined);
          return connection;
        }),
      );
      assert.deepEqual([...connections[0]!.memberKeys.keys()], [1, 2, 3, 4]);
      const sybilSession = await joinRaw(address, sybil);
      assert.equal(
        sybilSession.members.length,
        5,
        'the coordinator does list the sybil in JoinResponse.members',
      );

      const round = service.startSecureRound(
        1,
        {
          roundId: seedFromNumber(61),
          parameters: { clients: 5, degree: 4, threshold: 3 },
          dimension: 8,
          participants: [1, 2, 3, 4, 5],
          identityKeyOf: (id) => membership.member(id)?.identityKey,
          prg: aes256CtrPrg,
          deadlines: {
            advertiseKeys: 2_000,
            shareKeys: 2_000,
            maskedInput: 2_000,
            consistencyCheck: 2_000,
            unmasking: 2_000,
          },
        },
        { clipRange: 1, levels: 65_537, maxChunkWords: 100 },
      );
      await sybilSession.advertise(round.roundId);
      await assert.rejects(round.result);
      assert.equal(outcomes.length, 4);
      for (const o of outcomes) {
        assert.equal(o.completed, false);
        assert.match(o.reason ?? '', /client 5, which is not a member/);
      }
      for (const c of connections) c.close();
      sybilSession.close();
    } finally {
      server.forceShutdown();
    }
  });
});

/** The sybil, driven with raw calls (the SDK would refuse the manifest): joins, subscribes, advertises keys. */
async function joinRaw(address: string, identity: SigningKeyPair) {
  const client = new (loadCohortProto().Coordinator)(
    address,
    grpc.credentials.createInsecure(),
  ) as never as grpc.Client & Record<string, (...a: unknown[]) => unknown>;
  const unary = <T>(method: string, request: object, metadata = new grpc.Metadata()) =>
    new Promise<T>((ok, fail) =>
      client[method]!(request, metadata, (e: grpc.ServiceError | null, r: T) => (e ? fail(e) : ok(r))),
    );
  const challenge = await unary<{ nonce: Uint8Array; federation: string }>('GetChallenge', {
    identity_key: identity.publicKey,
  });
  const joined = await unary<{ session_token: string; members: unknown[] }>('Join', {
    identity_key: identity.publicKey,
    nonce: challenge.nonce,
    signature: sign(joinPayload(challenge.federation, challenge.nonce), identity.secretKey),
  });
  const metadata = new grpc.Metadata();
  metadata.set('cohort-session', joined.session_token);
  const inbox = client['Subscribe']!({}, metadata) as grpc.ClientReadableStream<unknown>;
  inbox.on('error', () => undefined);
  await new Promise((ok) => inbox.on('metadata', ok));
  return {
    members: joined.members,
    async advertise(roundId: Uint8Array) {
      const secagg = new SecAggClient({
        id: 5,
        sessionId: roundId,
        parameters: { clients: 5, degree: 4, threshold: 3 },
        dimension: 8,
        identity,
        identityKeyOf: () => identity.publicKey,
        random: seededRandom(seedFromNumber(62)),
        prg: aes256CtrPrg,
        chunkWords: 100,
      });
      const [advertised] = secagg.start(new Uint32Array(8));
      await unary('AdvertiseKeys', codec.encodeAdvertiseKeys(roundId, advertised as never), metadata);
    },
    close: () => client.close(),
  };
}
