import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  cryptoReady,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
} from '../../aggregation/index.js';
import { CohortClient } from '../../client-sdk/cohort-client.js';
import { tfjsTrainer, type LocalTrainer } from '../../client-sdk/trainer.js';
import { HEART_DISEASE_SITES, loadHeartDisease } from '../../client-sdk/datasets/index.js';
import {
  assignWeights,
  buildModel,
  type DenseModelSpec,
  evaluate,
  flattenWeights,
  loadTensorFlow,
  type TF,
} from '../../client-sdk/training/index.js';
import { parseFederationConfig } from '../../coordinator/config/index.js';
import { Federation } from '../../coordinator/federation.js';
import { CoordinatorService } from '../../coordinator/grpc/service.js';
import { signedFederationOf } from './signed-federation.js';
import { CheckpointStore } from '../../coordinator/store/index.js';
import { serveOnLoopback } from './loopback-coordinator.js';

/**
 * Federated training end to end over real gRPC: a coordinator and the four Fed-Heart-Disease
 * hospitals, each training logistic regression on its own data with TF.js, secure aggregation on.
 */
await cryptoReady();
const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const dataDir = process.env['COHORT_DATA_DIR'] ?? resolve(repoRoot, '../shared/datasets');
const identities = HEART_DISEASE_SITES.map((_, i) => signingKeyPairFromSeed(seedFromNumber(40 + i)));
const sites = HEART_DISEASE_SITES.map((site) => loadHeartDisease(dataDir, site));

let tf: TF;
let workDir: string;
/** Each member's round ids and accountant, fresh for every federation; removed with the work dir. */
const memberStateDirs: string[] = [];
before(async () => {
  tf = (await loadTensorFlow()).tf;
  workDir = await mkdtemp(join(tmpdir(), 'cohort-federation-'));
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
  await Promise.all(memberStateDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function config(rounds: number) {
  const members = identities
    .map(
      (id, i) =>
        `  - { name: ${HEART_DISEASE_SITES[i]}, publicKey: ${Buffer.from(id.publicKey).toString('hex')} }`,
    )
    .join('\n');
  return parseFederationConfig(`
name: heart-test
model: { kind: logistic-regression, inputs: 13 }
rounds: ${rounds}
clientsPerRound: 4
minimumClients: 4
secureAggregation: { expectedDropout: 0, quantization: { clipRange: 1, levels: 1048577 } }
serverOptimizer: { kind: fedavg }
training: { epochs: 2, batchSize: 16, learningRate: 0.1, clipNorm: 1, exampleCap: 256 }
members:
${members}
`);
}

/** A coordinator on loopback and the four hospitals; resolves with the coordinator's and the members' final weights. */
async function federate(
  rounds: number,
): Promise<{ coordinator: Float32Array; members: Float32Array[]; seen: Float32Array[] }> {
  const cfg = config(rounds);
  const spec: DenseModelSpec = { kind: 'logistic-regression', inputs: 13 };
  const { membership, trust } = signedFederationOf(cfg, spec);
  const service = new CoordinatorService(membership);
  const { server, port } = await serveOnLoopback(service);
  const clients = await Promise.all(
    identities.map(async (id, i) => {
      const stateDir = await mkdtemp(join(tmpdir(), 'cohort-federation-member-'));
      memberStateDirs.push(stateDir);
      return CohortClient.connect(`127.0.0.1:${port}`, id, {
        trust,
        stateDir,
        random: seededRandom(seedFromNumber(90 + i)),
      });
    }),
  );
  // The last hospital brings its own training step through the SDK's trainer hook.
  const seen: Float32Array[] = [];
  const builtIn = tfjsTrainer(tf, sites[3]!.train, 7);
  const hook: LocalTrainer = {
    train: (global, context) => {
      seen.push(global.slice());
      return builtIn.train(global, context);
    },
  };
  const memberRuns = clients.map((client, i) =>
    i === 3 ? client.run(hook) : client.participate(tf, sites[i]!.train, 7),
  );
  const federation = new Federation({
    config: cfg,
    membership,
    service,
    store: await CheckpointStore.open(workDir),
    spec,
    initialWeights: () => Promise.resolve(flattenWeights(buildModel(tf, spec, 1))),
    log: () => undefined,
    random: seededRandom(seedFromNumber(5)),
  });
  const result = await federation.run();
  const members = (await Promise.all(memberRuns)).map((m) => m.weights);
  for (const c of clients) c.close();
  server.forceShutdown();
  return { coordinator: result.weights, members, seen };
}

function meanTestAccuracy(weights: Float32Array): number {
  const model = buildModel(tf, { kind: 'logistic-regression', inputs: 13 }, 1);
  assignWeights(model, weights);
  const accuracies = sites.map((s) => evaluate(tf, model, s.test).accuracy);
  model.dispose();
  return accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
}

test('four hospitals train a better model than they start from, and all end with the coordinator’s', async () => {
  const initial = meanTestAccuracy(
    flattenWeights(buildModel(tf, { kind: 'logistic-regression', inputs: 13 }, 1)),
  );
  const { coordinator, members, seen } = await federate(2);
  for (const m of members) assert.deepEqual([...m], [...coordinator]);
  const trained = meanTestAccuracy(coordinator);
  assert.ok(
    trained > initial + 0.05 && trained > 0.6,
    `initial ${initial.toFixed(3)}, trained ${trained.toFixed(3)}`,
  );

  const store = await CheckpointStore.open(workDir);
  assert.deepEqual(
    (await store.list()).map((m) => m.round),
    [0, 1, 2],
  );
  assert.equal((await store.verifyChain()).ok, true);
  const latest = await store.latest();
  assert.equal(latest?.manifest.participants, 4);
  assert.deepEqual([...new Float32Array(latest.model.slice().buffer)], [...coordinator]);
  // The hook was handed exactly the global model of each round: checkpoints 0 and 1.
  assert.equal(seen.length, 2);
  for (const round of [0, 1]) {
    const checkpoint = await store.load(round);
    assert.deepEqual([...seen[round]!], [...new Float32Array(checkpoint!.model.slice().buffer)]);
  }
});

test('a restarted coordinator resumes from its checkpoint and finishes the federation', async () => {
  const { coordinator } = await federate(3);
  const store = await CheckpointStore.open(workDir);
  assert.deepEqual(
    (await store.list()).map((m) => m.round),
    [0, 1, 2, 3],
  );
  assert.equal((await store.verifyChain()).ok, true);
  assert.deepEqual([...new Float32Array((await store.latest())!.model.slice().buffer)], [...coordinator]);
});
