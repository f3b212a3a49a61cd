import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cryptoReady } from '../../../aggregation/index.js';
import { DIMENSION, federate, fixedUpdate } from './harness.js';

/**
 * The federation level of "a member dies mid-round": one SDK member is stopped as each protocol phase
 * begins; the round completes and the new global model is the example-weighted FedAvg of exactly the
 * members whose masked input was summed. (test/coordinator/member-processes.test.ts kills real
 * processes and checks the protocol's sum; this checks what the coordinator makes of it.)
 */
await cryptoReady();

const EXAMPLES = [10, 20, 30, 40, 50, 60];
const update = (i: number) => Array.from({ length: DIMENSION }, (_, k) => 0.02 * (i + 1) - 0.01 * k);
const trainers = EXAMPLES.map((n, i) => fixedUpdate(update(i), n));
const CONFIG = `
rounds: 1
clientsPerRound: 6
minimumClients: 6
secureAggregation: { expectedDropout: 0.2, quantization: { clipRange: 1, levels: 1048577 } }
serverOptimizer: { kind: fedavg, learningRate: 1 }
training: { clipNorm: 1, exampleCap: 100 }
deadlines: { training: 3000, advertiseKeys: 3000, graphNonce: 3000, shareKeys: 3000, shareCheck: 3000, maskedInput: 3000, consistencyCheck: 3000, unmasking: 3000 }
`;

for (const phase of [
  'advertise-keys',
  'graph-nonce',
  'share-keys',
  'share-check',
  'masked-input',
  'consistency-check',
  'unmasking',
]) {
  test(`a member stopped as ${phase} begins: the model moves by FedAvg of the summed members`, async () => {
    const run = await federate(CONFIG, trainers, undefined, (event, kill) => {
      if (event['event'] === 'round-phase' && event['phase'] === phase) kill(3);
    });
    const round = run.manifests.find((m) => m.round === 1);
    assert.ok(round !== undefined, 'the round completed');
    const survivors = round.metrics['survivors'] as number[];
    const summedBeforeTheKill = phase === 'consistency-check' || phase === 'unmasking';
    assert.equal(survivors.includes(3), summedBeforeTheKill, `survivors ${survivors.join(',')}`);
    assert.equal(survivors.length, summedBeforeTheKill ? 6 : 5);
    const weight = survivors.reduce((n, m) => n + EXAMPLES[m - 1]!, 0);
    for (let k = 0; k < DIMENSION; k++) {
      const expected = survivors.reduce((sum, m) => sum + EXAMPLES[m - 1]! * update(m - 1)[k]!, 0) / weight;
      assert.ok(Math.abs(run.final[k]! - run.initial[k]! - expected) < 1e-4, `coordinate ${k}`);
    }
  });
}

test('with too few members left the round aborts and the model is unchanged', async () => {
  const run = await federate(CONFIG, trainers, undefined, (event, kill) => {
    if (event['event'] === 'round-phase' && event['phase'] === 'share-keys')
      for (const m of [1, 2, 3, 4]) kill(m);
  });
  assert.deepEqual(
    run.manifests.map((m) => m.round),
    [0],
  );
  assert.deepEqual([...run.final], [...run.initial]);
  assert.ok(run.events.some((e) => e['event'] === 'round-aborted'));
});
