import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  cryptoReady,
  PrivacyAccountant,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
} from '../../aggregation/index.js';
import { CohortClient, type ClientEvent, type FinalModel } from '../../client-sdk/cohort-client.js';
import type { LocalTrainer } from '../../client-sdk/trainer.js';
import { parseFederationConfig } from '../../coordinator/config/index.js';
import { Federation, type FederationResult } from '../../coordinator/federation.js';
import { CoordinatorService } from '../../coordinator/grpc/service.js';
import { CheckpointStore, type CheckpointManifest } from '../../coordinator/store/index.js';
import { serveOnLoopback } from './loopback-coordinator.js';
import { membersYaml, signedFederationOf } from './signed-federation.js';

/**
 * Issue 12: a federation reports the rounds it aggregated, not the rounds it was configured for —
 * to the operator (Federation.run's result, the federation-finished event) and to members
 * (FederationFinished.rounds: the SDK's `finished` event and FinalModel.rounds).
 */
await cryptoReady();

const DIMENSION = 4;
const DEADLINES =
  '{ training: 2000, advertiseKeys: 2000, graphNonce: 2000, shareKeys: 2000, shareCheck: 2000, maskedInput: 2000, consistencyCheck: 2000, unmasking: 2000 }';

/** Adds `step` to every weight; in the rounds listed in `failIn` the training fails, so the member sends nothing. */
function trainer(step: number, failIn: readonly number[] = []): LocalTrainer {
  return {
    train: (global, context) =>
      failIn.includes(context.round)
        ? Promise.reject(new Error(`no training in round ${context.round}`))
        : Promise.resolve({ weights: global.map((w) => w + step), numExamples: 10 }),
  };
}

interface Outcome {
  readonly result: FederationResult;
  readonly events: Record<string, unknown>[];
  readonly manifests: CheckpointManifest[];
  readonly finals: FinalModel[];
  /** Each member's `finished` events. */
  readonly finished: number[][];
}

async function federate(yaml: string, trainers: readonly LocalTrainer[]): Promise<Outcome> {
  const identities = trainers.map((_, i) => signingKeyPairFromSeed(seedFromNumber(1200 + i)));
  const members = membersYaml(identities);
  const config = parseFederationConfig(
    `name: finished\nmodel: { kind: logistic-regression, inputs: ${DIMENSION - 1} }\n${yaml}\nmembers:\n${members}\n`,
  );
  const spec = { kind: 'logistic-regression', inputs: DIMENSION - 1 } as const;
  const { membership, trust } = signedFederationOf(config, spec);
  const service = new CoordinatorService(membership);
  const { server, port } = await serveOnLoopback(service);
  const dir = await mkdtemp(join(tmpdir(), 'cohort-finished-'));
  const memberState = await mkdtemp(join(tmpdir(), 'cohort-finished-members-'));
  const finished: number[][] = trainers.map(() => []);
  const clients = await Promise.all(
    identities.map((id, i) =>
      CohortClient.connect(`127.0.0.1:${port}`, id, {
        trust,
        stateDir: join(memberState, `member-${i + 1}`),
        random: seededRandom(seedFromNumber(1300 + i)),
        onEvent: (e: ClientEvent) => {
          if (e.type === 'finished') finished[i]!.push(e.rounds);
        },
      }),
    ),
  );
  const runs = clients.map((client, i) => client.run(trainers[i]!));
  const events: Record<string, unknown>[] = [];
  const store = await CheckpointStore.open(dir);
  try {
    const result = await new Federation({
      config,
      membership,
      service,
      store,
      spec,
      initialWeights: () => Promise.resolve(new Float32Array(DIMENSION).fill(0.5)),
      log: (e) => events.push(e),
      random: seededRandom(seedFromNumber(1400)),
      memberWaitMs: 5000,
    }).run();
    const finals = await Promise.all(runs);
    return { result, events, manifests: await store.list(), finals, finished };
  } finally {
    for (const c of clients) c.close();
    server.forceShutdown();
    await rm(dir, { recursive: true, force: true });
    await rm(memberState, { recursive: true, force: true });
  }
}

function finishedEvent(events: readonly Record<string, unknown>[]): Record<string, unknown> | undefined {
  return events.find((e) => e['event'] === 'federation-finished');
}

test('a round that aborts is not counted: members are told the rounds that were aggregated', async () => {
  // Four of six members fail to train in round 2, so it aborts; rounds 1 and 3 aggregate all six.
  const trainers = [0, 1, 2, 3, 4, 5].map((i) => trainer(0.01, i < 4 ? [2] : []));
  const run = await federate(
    `
rounds: 3
clientsPerRound: 6
minimumClients: 6
secureAggregation: { expectedDropout: 0.2 }
serverOptimizer: { kind: fedavg, learningRate: 1 }
deadlines: ${DEADLINES}
`,
    trainers,
  );
  assert.ok(run.events.some((e) => e['event'] === 'round-aborted' && e['round'] === 2));
  assert.deepEqual(
    run.manifests.map((m) => m.round),
    [0, 1, 3],
  );
  assert.equal(run.result.roundsAggregated, 2);
  assert.equal(run.result.roundsConfigured, 3);
  assert.equal(run.result.budgetStop, undefined);
  const logged = finishedEvent(run.events);
  assert.equal(logged?.['roundsAggregated'], 2);
  assert.equal(logged?.['roundsConfigured'], 3);
  assert.equal(logged?.['stoppedBy'], undefined);
  for (const final of run.finals) {
    assert.equal(final.rounds, 2);
    assert.deepEqual([...final.weights], [...run.result.weights]);
  }
  assert.deepEqual(
    run.finished,
    trainers.map(() => [2]),
  );
});

test('a privacy budget that stops training after 2 of 5 rounds reports 2, and why', async () => {
  const accountant = new PrivacyAccountant({ delta: 1e-5 });
  const event = { kind: 'gaussian', samplingRate: 1, noiseMultiplier: 2, steps: 1 } as const;
  const spent = [1, 2, 3].map(() => accountant.compose(event).cumulativeEpsilon);
  const budget = (spent[1]! + spent[2]!) / 2; // room for exactly two rounds
  const trainers = [0, 1, 2, 3].map(() => trainer(0.01));
  const run = await federate(
    `
rounds: 5
clientsPerRound: 4
minimumClients: 4
secureAggregation: { expectedDropout: 0 }
privacy: { mode: central, noiseMultiplier: 2, budget: { epsilon: ${budget}, delta: 1e-5 } }
serverOptimizer: { kind: fedavg, learningRate: 1 }
deadlines: ${DEADLINES}
`,
    trainers,
  );
  assert.deepEqual(
    run.manifests.map((m) => m.round),
    [0, 1, 2],
  );
  assert.equal(run.result.roundsAggregated, 2);
  assert.equal(run.result.roundsConfigured, 5);
  assert.match(run.result.budgetStop ?? '', /^privacy budget: round 3 would bring epsilon/);
  const logged = finishedEvent(run.events);
  assert.equal(logged?.['roundsAggregated'], 2);
  assert.equal(logged?.['roundsConfigured'], 5);
  assert.equal(logged?.['stoppedBy'], 'privacy-budget');
  for (const final of run.finals) assert.equal(final.rounds, 2);
  assert.deepEqual(
    run.finished,
    trainers.map(() => [2]),
  );
});

test('a round that could only abort is not started: the coordinator waits for enough members instead', async () => {
  // The reported file, built by hand past the load check: 4 members, minimumClients 3, δ = 0.1. With
  // only 3 connected a round has no safe k and t, so the coordinator waits (here until its short member
  // wait ends) and starts no round.
  const identities = [0, 1, 2, 3].map((i) => signingKeyPairFromSeed(seedFromNumber(1500 + i)));
  const parsed = parseFederationConfig(
    `name: waits\nmodel: { kind: logistic-regression, inputs: ${DIMENSION - 1} }\nrounds: 5\nclientsPerRound: 4\nminimumClients: 4\nmembers:\n${membersYaml(identities)}\n`,
  );
  const config = { ...parsed, minimumClients: 3 };
  const spec = { kind: 'logistic-regression', inputs: DIMENSION - 1 } as const;
  const { membership, trust } = signedFederationOf(parsed, spec);
  const service = new CoordinatorService(membership);
  const { server, port } = await serveOnLoopback(service);
  const dir = await mkdtemp(join(tmpdir(), 'cohort-waits-'));
  const memberState = await mkdtemp(join(tmpdir(), 'cohort-waits-members-'));
  const clients = await Promise.all(
    identities.slice(0, 3).map((id, i) =>
      CohortClient.connect(`127.0.0.1:${port}`, id, {
        trust,
        stateDir: join(memberState, `member-${i + 1}`),
      }),
    ),
  );
  // Members are connected once they listen for rounds; stopped at the end, their runs reject.
  const runs = clients.map((c) => c.run(trainer(0.01)).catch(() => undefined));
  const events: Record<string, unknown>[] = [];
  try {
    await assert.rejects(
      new Federation({
        config,
        membership,
        service,
        store: await CheckpointStore.open(dir),
        spec,
        initialWeights: () => Promise.resolve(new Float32Array(DIMENSION).fill(0.5)),
        log: (e) => events.push(e),
        memberWaitMs: 500,
      }).run(),
      /only 3 eligible members connected .*no safe secure-aggregation parameters: 3 members/,
    );
    assert.deepEqual(
      events.filter((e) => e['event'] === 'round-started' || e['event'] === 'round-aborted'),
      [],
    );
  } finally {
    for (const c of clients) c.stop();
    for (const c of clients) c.close();
    server.forceShutdown();
    await Promise.all(runs);
    await rm(dir, { recursive: true, force: true });
    await rm(memberState, { recursive: true, force: true });
  }
});
