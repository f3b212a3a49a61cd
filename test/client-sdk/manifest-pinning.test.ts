import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
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
import { CohortClient, type CohortClientOptions } from '../../client-sdk/cohort-client.js';
import { CohortConnection } from '../../client-sdk/connection.js';
import { SecureRoundRunner, type RoundOutcome } from '../../client-sdk/secure-round-runner.js';
import { CoordinatorService } from '../../coordinator/grpc/service.js';
import { Membership } from '../../coordinator/membership.js';
import * as codec from '../../proto/codec.js';
import { ManifestError, type ManifestFailure } from '../../proto/federation-manifest.js';
import { joinPayload } from '../../proto/join.js';
import { loadCohortProto } from '../../proto/load.js';
import { roundPlanDigest, type WireRoundStarted } from '../../proto/round-plan.js';
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

/** Every CohortClient keeps its round ids and accountant in a state directory of its own. */
const stateDirs: string[] = [];
async function freshStateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-pinning-'));
  stateDirs.push(dir);
  return dir;
}
after(() => Promise.all(stateDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function clientOptions(
  options: Omit<CohortClientOptions, 'trust' | 'stateDir'> = {},
): Promise<CohortClientOptions> {
  return { trust, stateDir: await freshStateDir(), ...options };
}

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
      CohortClient.connect(address, identities[0]!, await clientOptions({ reconnect: FAST })),
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
    const client = await CohortClient.connect(
      first.address,
      identities[0]!,
      await clientOptions({ reconnect: FAST }),
    );
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
    // Robust mode, so the plaintext round passes the mode check and meets the model spec check.
    const robust = testManifest('pinned', identities, { aggregation: { mode: 'robust' } });
    const { service, server, address } = await listen(serve(robust).membership);
    let trained = false;
    let ended: (reason: string | undefined) => void = () => undefined;
    const refused = new Promise<string | undefined>((ok) => (ended = ok));
    const client = await CohortClient.connect(
      address,
      identities[0]!,
      await clientOptions({ onEvent: (e) => void (e.type === 'round-ended' && ended(e.reason)) }),
    );
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
      assert.match((await refused) ?? '', /model_spec_json: SHA-256 [0-9a-f]{64}; the manifest pins 0{64}/);
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
    const served = serve(testManifest('pinned', identities, { modelSpecSha256: sha256Hex(SYBIL_ROUND_SPEC) }))
      .membership.manifest;
    const membership = membershipServing([...identities, sybil], served);
    const { service, server, address } = await listen(membership);
    try {
      const outcomes: RoundOutcome[] = [];
      /** Every unary call each honest member makes, by method. */
      const calls: string[][] = identities.map(() => []);
      const connections = await Promise.all(
        identities.map(async (identity, i) => {
          const connection = await CohortConnection.connect(address, identity, trust);
          const call: CohortConnection['call'] = (method, request) => {
            calls[i]!.push(method);
            return connection.call(method, request);
          };
          const recorded = Object.create(connection, { call: { value: call } }) as CohortConnection;
          const runner = new SecureRoundRunner(
            recorded,
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
            graphNonce: 2_000,
            shareKeys: 2_000,
            shareCheck: 2_000,
            maskedInput: 2_000,
            consistencyCheck: 2_000,
            unmasking: 2_000,
          },
        },
        { clipRange: 1, levels: 65_537, maxChunkWords: 100 },
        {
          modelSha256: new Uint8Array(32),
          modelSpecJson: SYBIL_ROUND_SPEC,
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
      // The sybil plays its part honestly, keys signed over the plan it was shown; the round may already
      // be over by the time its keys arrive (every honest member refused at once).
      await sybilSession.advertise(round.roundId, served.sha256);
      await assert.rejects(round.result);
      for (let i = 0; i < 200 && outcomes.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(outcomes.length, 4);
      for (const o of outcomes) {
        assert.equal(o.completed, false);
        assert.equal(o.refused, true);
        assert.match(o.reason ?? '', /participants: member 5 is not in the manifest/);
      }
      // Refused at RoundStarted: no keys, no shares, no input; only the refusal itself.
      for (const made of calls) assert.deepEqual(made, ['AbortRound']);
      for (const c of connections) c.close();
      sybilSession.close();
    } finally {
      server.forceShutdown();
    }
  });
});

const SYBIL_ROUND_SPEC = '{"kind":"logistic-regression","inputs":7}';
const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

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
  type Pushed = { event: string; round_started?: WireRoundStarted };
  const inbox = client['Subscribe']!({}, metadata) as grpc.ClientReadableStream<Pushed>;
  inbox.on('error', () => undefined);
  const started: WireRoundStarted[] = [];
  inbox.on('data', (e: Pushed) => {
    if (e.event === 'round_started' && e.round_started !== undefined) started.push(e.round_started);
  });
  await new Promise((ok) => inbox.on('metadata', ok));
  return {
    members: joined.members,
    /** Advertises keys for the round the sybil was told of, signed over `manifestSha256` and that plan. */
    async advertise(roundId: Uint8Array, manifestSha256: Uint8Array) {
      for (let i = 0; i < 200 && started.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const plan = started[0];
      assert.ok(plan !== undefined, 'the sybil is told of the round');
      const secagg = new SecAggClient({
        id: 5,
        sessionId: roundId,
        parameters: { clients: 5, degree: 4, threshold: 3 },
        planDigest: roundPlanDigest(manifestSha256, plan),
        minimumRoster: 3,
        dimension: 8,
        identity,
        identityKeyOf: () => identity.publicKey,
        random: seededRandom(seedFromNumber(62)),
        prg: aes256CtrPrg,
        chunkWords: 100,
      });
      const [advertised] = secagg.start(new Uint32Array(8));
      // Refused (the round already settled) or not, the call is all a sybil can do.
      await unary('AdvertiseKeys', codec.encodeAdvertiseKeys(roundId, advertised as never), metadata).catch(
        () => undefined,
      );
    },
    close: () => client.close(),
  };
}
