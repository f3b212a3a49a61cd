import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  aes256CtrPrg,
  addInto,
  cryptoReady,
  SecAggAbortedError,
  seededRandom,
  seedFromNumber,
  type ClientId,
} from '../../aggregation/index.js';
import { CohortClient, type ClientEvent } from '../../client-sdk/cohort-client.js';
import { CohortConnection } from '../../client-sdk/connection.js';
import { MemberGuard, PARTICIPATION_LOG } from '../../client-sdk/member-guard.js';
import type { PinnedManifest } from '../../client-sdk/round-guard.js';
import { SecureRoundRunner, type RoundOutcome } from '../../client-sdk/secure-round-runner.js';
import { CoordinatorService, type RoundPlan } from '../../coordinator/grpc/service.js';
import type { PhaseDeadlines } from '../../coordinator/secure-round.js';
import { PrivacyAccountant } from '../../aggregation/privacy/accountant.js';
import { memberNoise } from '../../client-sdk/member-privacy.js';
import type { ManifestPin } from '../../proto/federation-manifest.js';
import { serve } from '../coordinator/signed-federation.js';
import { identities, manifest, MODEL_DIMENSION, MODEL_SPEC_JSON, withTempDir } from './guard-fixtures.js';
import { serveOnLoopback, testRoundPlan } from '../coordinator/loopback-coordinator.js';

/**
 * Guarded members against a real coordinator over loopback gRPC. The coordinator is scripted through
 * CoordinatorService directly, so it can announce what an honest federation never would.
 */
await cryptoReady();

const keys = identities();
const EIGHT = [1, 2, 3, 4, 5, 6, 7, 8];
const DIMENSION = MODEL_DIMENSION + 1;
const DEADLINES: PhaseDeadlines = {
  advertiseKeys: 3_000,
  graphNonce: 3_000,
  shareKeys: 3_000,
  shareCheck: 3_000,
  maskedInput: 3_000,
  consistencyCheck: 3_000,
  unmasking: 3_000,
};
const QUANTIZATION = { clipRange: 4, levels: 65_537, maxChunkWords: 1_000 };

interface Coordinator {
  readonly service: CoordinatorService;
  readonly server: grpc.Server;
  readonly address: string;
  /** What members pin: the test operator's key, which signed the manifest this coordinator serves. */
  readonly trust: ManifestPin;
}

/** A coordinator on loopback serving `pinned.manifest`, signed, so its plan digests start from `pinned.sha256`. */
async function coordinatorServing(pinned: PinnedManifest): Promise<Coordinator> {
  const { membership, trust } = serve(pinned.manifest);
  const service = new CoordinatorService(membership);
  const { server, address } = await serveOnLoopback(service);
  return { service, server, address, trust };
}

let coordinator: Coordinator;

before(async () => {
  coordinator = await coordinatorServing(manifest(keys));
});

after(() => coordinator.server.forceShutdown());

function plan(modelSha256: Uint8Array = new Uint8Array(32)): RoundPlan {
  return testRoundPlan(MODEL_SPEC_JSON, { modelSha256 });
}

function startRound(
  round: number,
  roundId: Uint8Array,
  threshold = 4,
  modelSha256?: Uint8Array,
  on: Coordinator = coordinator,
) {
  return on.service.startSecureRound(
    round,
    {
      roundId,
      parameters: { clients: 8, degree: 6, threshold },
      dimension: DIMENSION,
      participants: EIGHT,
      identityKeyOf: (id) => keys[id - 1]?.publicKey,
      prg: aes256CtrPrg,
      deadlines: DEADLINES,
    },
    QUANTIZATION,
    plan(modelSha256),
  );
}

function inputOf(round: number, id: ClientId): Uint32Array {
  const words = new Uint32Array(DIMENSION);
  seededRandom(seedFromNumber(round * 100 + id)).fill(new Uint8Array(words.buffer));
  return words;
}

interface Member {
  connection: CohortConnection;
  inbox: grpc.ClientReadableStream<unknown>;
  outcomes: RoundOutcome[];
  stateDir: string;
}

async function guardedRunners(pinned: PinnedManifest, dir: string): Promise<Member[]> {
  return Promise.all(
    EIGHT.map(async (id) => {
      const identity = keys[id - 1]!;
      const stateDir = join(dir, `member-${id}`);
      const guard = await MemberGuard.open({ pinned, identityKey: identity.publicKey, stateDir });
      const connection = await CohortConnection.connect(coordinator.address, identity, coordinator.trust);
      const member = { connection, outcomes: [] as RoundOutcome[], stateDir };
      const runner = new SecureRoundRunner(
        connection,
        identity,
        seededRandom(seedFromNumber(800 + id)),
        (started) => inputOf(started.round, id),
        (outcome) => member.outcomes.push(outcome),
        () => undefined,
        guard,
      );
      const inbox = await connection.subscribe(runner.onEvent, () => undefined);
      return { ...member, inbox };
    }),
  );
}

/** Closing the channel leaves open calls running: the inbox is cancelled so the coordinator sees the member go. */
function leave(members: Member[]): void {
  for (const m of members) {
    m.inbox.cancel();
    m.connection.close();
  }
}

const log = (m: Member) => readFile(join(m.stateDir, PARTICIPATION_LOG), 'utf8');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Outcomes are reported after the member's AbortRound call returns, which may be after the session settled. */
async function outcomesOf(members: Member[], count: number): Promise<void> {
  for (let i = 0; i < 200 && members.some((m) => m.outcomes.length < count); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('guarded members over gRPC', () => {
  test('an honest plan: the exact sum, each member recorded joining and masking once; a replay of the round id is refused', async () => {
    await withTempDir(async (dir) => {
      const members = await guardedRunners(manifest(keys), dir);
      const roundId = seedFromNumber(71);
      const result = await startRound(1, roundId).result;
      const expected = new Uint32Array(DIMENSION);
      for (const id of EIGHT) addInto(expected, inputOf(1, id), 0);
      assert.deepEqual(result.survivors, EIGHT);
      assert.deepEqual(result.sum, expected);
      // What the Federation does after a round: each member learns whether its update was summed.
      for (const id of EIGHT)
        coordinator.service.push(id, {
          event: 'round_finished',
          round_finished: { round: 1, model_sha256: new Uint8Array(32), survivors: 8, aggregated: true },
        });
      await outcomesOf(members, 1);
      for (const m of members) {
        // A late Unmask answer may find the round already finished; the member took part all the same.
        assert.equal(m.outcomes[0]!.refused, undefined);
        assert.equal(m.outcomes[0]!.aggregated, true);
        assert.equal(await log(m), `joined ${hex(roundId)}\nmasked-input ${hex(roundId)}\n`);
      }

      // The coordinator runs the same round id again (e.g. to average members' noise away).
      await assert.rejects(startRound(2, roundId).result, SecAggAbortedError);
      await outcomesOf(members, 2);
      for (const m of members) {
        const refused = m.outcomes[1]!;
        assert.equal(refused.refused, true);
        assert.match(refused.reason!, /already taken part in/);
        assert.equal(await log(m), `joined ${hex(roundId)}\nmasked-input ${hex(roundId)}\n`);
      }
      leave(members);
    });
  });

  test('a threshold other than the manifest derives: every member refuses before advertising keys; nothing is unmasked', async () => {
    await withTempDir(async (dir) => {
      const members = await guardedRunners(manifest(keys), dir);
      const roundId = seedFromNumber(72);
      await assert.rejects(startRound(3, roundId, 5).result, SecAggAbortedError);
      await outcomesOf(members, 1);
      for (const m of members) {
        assert.equal(m.outcomes.length, 1);
        assert.equal(m.outcomes[0]!.refused, true);
        assert.match(m.outcomes[0]!.reason!, /threshold: coordinator announced t=5; the manifest gives t=4/);
        // Refused before AdvertiseKeys: not even recorded as joined.
        assert.equal(await log(m), '');
      }
      leave(members);
    });
  });
});

describe('guarded CohortClients under distributed DP', () => {
  test('a coordinator that switches noise off still gets the members’ floor; the budget stops the members with an event', async () => {
    const base = manifest(keys, (m) => {
      m.privacy = {
        mode: 'distributed',
        noiseMultiplier: 1,
        clipNorm: 1,
        quantization: { clipRange: 4, levels: 65_537 },
      };
    });
    const floor = memberNoise(
      base.manifest.privacy,
      { participants: 8, threshold: 4, corruptClients: 1 },
      MODEL_DIMENSION,
    )!;
    // One round fits the member budget, a second does not.
    const scratch = new PrivacyAccountant({ delta: 1e-5 });
    const [one, two] = [
      scratch.compose(floor.event).cumulativeEpsilon,
      scratch.compose(floor.event).cumulativeEpsilon,
    ];
    const pinned = manifest(keys, (m) => {
      m.privacy = { ...base.manifest.privacy, memberBudget: { epsilon: (one + two) / 2, delta: 1e-5 } };
    });
    // The coordinator serves the distributed-DP manifest; members take their floor and budget from it.
    const dp = await coordinatorServing(pinned);
    const service = dp.service;
    await withTempDir(async (dir) => {
      const weights = new Float32Array(MODEL_DIMENSION);
      const modelSha = service.publishModel(new Uint8Array(weights.buffer));
      const events: ClientEvent[][] = EIGHT.map(() => []);
      const clients = await Promise.all(
        EIGHT.map((id) =>
          CohortClient.connect(dp.address, keys[id - 1]!, {
            trust: dp.trust,
            stateDir: join(dir, `member-${id}`),
            random: seededRandom(seedFromNumber(600 + id)),
            onEvent: (event) => events[id - 1]!.push(event),
          }),
        ),
      );
      // Each member's update is zero, so without noise every update word of the sum would be 8 × the midpoint.
      const runs = clients.map((c) =>
        c
          .run({ train: (global) => Promise.resolve({ weights: global.slice(), numExamples: 5 }) })
          .catch(() => undefined),
      );
      for (let i = 0; i < 100 && service.connected.length < 8; i++)
        await new Promise((r) => setTimeout(r, 10));

      const result = await startRound(1, seedFromNumber(81), 4, modelSha, dp).result.catch((e: unknown) => {
        console.log(JSON.stringify(events, null, 1));
        throw e;
      });
      assert.deepEqual(result.survivors, EIGHT);
      assert.equal(result.sum[MODEL_DIMENSION], 8, 'the count word stays exact: one per member');
      const midpoint = 8 * ((65_537 - 1) / 2);
      const deviations = Array.from(result.sum.subarray(0, MODEL_DIMENSION), (w) => (w | 0) - midpoint);
      const variance = deviations.reduce((a, d) => a + d * d, 0) / deviations.length;
      // 8 members at the floor: 8 × floor per coordinate; a sample of 14 is within a factor 8 below, 4 above it (χ²₁₄ tails < 1e-4).
      const target = 8 * floor.plan.clientVariance;
      assert.ok(
        variance > target / 8 && variance < target * 4,
        `sample variance ${variance}, expected ≈ ${target}`,
      );

      await assert.rejects(startRound(2, seedFromNumber(82), 4, modelSha, dp).result, SecAggAbortedError);
      for (
        let i = 0;
        i < 200 && events.some((e) => !e.some((x) => x.type === 'privacy-budget-exhausted'));
        i++
      )
        await new Promise((r) => setTimeout(r, 10));
      for (const memberEvents of events) {
        const exhausted = memberEvents.find((e) => e.type === 'privacy-budget-exhausted');
        assert.ok(exhausted !== undefined && exhausted.type === 'privacy-budget-exhausted');
        assert.ok(Math.abs(exhausted.epsilon - two) < 1e-9);
        assert.deepEqual(exhausted.budget, pinned.manifest.privacy.memberBudget);
        // Round 1 taken part in (a late Unmask answer may find it already finished), round 2 refused.
        const ended = memberEvents.filter((e) => e.type === 'round-ended');
        assert.deepEqual(
          ended.map((e) => e.type === 'round-ended' && [e.round, e.refused ?? false]),
          [
            [1, false],
            [2, true],
          ],
        );
        assert.match(ended[1]!.type === 'round-ended' ? ended[1]!.reason! : '', /member privacy budget/);
      }
      // stop() cancels the inbox and closes the channel; the runs reject with MemberStoppedError.
      for (const c of clients) c.stop();
      void Promise.all(runs);
    }).finally(() => dp.server.forceShutdown());
  });
});
