import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { cryptoReady } from '../../../aggregation/index.js';
import { CohortConnection } from '../../../client-sdk/connection.js';
import type { LocalTrainer } from '../../../client-sdk/trainer.js';
import { encodeUpdateChunk } from '../../../proto/update-codec.js';
import { DIMENSION, federate, fixedUpdate } from './harness.js';

/**
 * Mode `robust` over real gRPC: members submit plaintext updates, the coordinator combines them with a
 * robust rule, and hostile submissions are refused with the right status without spoiling the round.
 */
await cryptoReady();

const honest = (i: number) => fixedUpdate(Array<number>(DIMENSION).fill(0.1 + 0.01 * i));
const poisoned = () => fixedUpdate(Array<number>(DIMENSION).fill(5));

const ROBUST = (rule: string) => `
rounds: 1
clientsPerRound: 5
minimumClients: 5
aggregation: { mode: robust, rule: ${rule} }
serverOptimizer: { kind: fedavg, learningRate: 1 }
training: { clipNorm: 1, exampleCap: 100 }
deadlines: { training: 5000, maskedInput: 5000 }
`;

test('the median of five plaintext updates ignores two poisoned members and flags them', async () => {
  const run = await federate(ROBUST('{ rule: median }'), [
    honest(0),
    honest(1),
    honest(2),
    poisoned(),
    poisoned(),
  ]);
  // Honest coordinates 0.10, 0.11, 0.12; poisoned ones are clipped to norm 1: 1/√6 ≈ 0.408 each.
  for (let i = 0; i < DIMENSION; i++)
    assert.ok(Math.abs(run.final[i]! - (0.5 + 0.12)) < 1e-6, `coordinate ${i}: ${run.final[i]}`);
  const round = run.manifests.find((m) => m.round === 1)!;
  assert.equal(round.aggregation['mode'], 'robust');
  const suspicion = round.metrics['suspicion'] as Record<string, number>;
  assert.deepEqual([suspicion['1'], suspicion['2'], suspicion['3']], [0, 0, 0]);
  assert.deepEqual([suspicion['4'], suspicion['5']], [1, 1]);
});

test('FedAvg over the same members is dragged outside the honest range (the defence is what helps)', async () => {
  const run = await federate(ROBUST('{ rule: fedavg }'), [
    honest(0),
    honest(1),
    honest(2),
    poisoned(),
    poisoned(),
  ]);
  const expected = 0.5 + (0.1 + 0.11 + 0.12 + 2 / Math.sqrt(DIMENSION)) / 5;
  for (let i = 0; i < DIMENSION; i++) assert.ok(Math.abs(run.final[i]! - expected) < 1e-5);
  assert.ok(run.final[0]! > 0.5 + 0.12 + 0.05);
});

test('hostile submissions get INVALID_ARGUMENT or FAILED_PRECONDITION naming the field; the round still completes', async () => {
  // Member 5 is the attacker, driven by raw calls; member 4 takes a second, so the round is still open
  // when the attacker tries its duplicate.
  const slow: LocalTrainer = {
    train: (global, context) =>
      new Promise((r) => setTimeout(r, 1000)).then(() => honest(3).train(global, context)),
  };
  const codes: Record<string, { code: number | undefined; details: string }> = {};
  let status: { phase: string; members_waited_for: number } | undefined;
  const run = await federate(
    ROBUST('{ rule: median }'),
    [honest(0), honest(1), honest(2), slow, null],
    async ({ port, identities, trust }) => {
      const attacker = await CohortConnection.connect(`127.0.0.1:${port}`, identities[4]!, trust);
      let roundId: Uint8Array | undefined;
      await new Promise<void>((ready) => {
        void attacker.subscribe(
          (event) => {
            if (event.event === 'round_started') {
              roundId = new Uint8Array((event['round_started'] as { round_id: Uint8Array }).round_id);
              ready();
            }
          },
          () => undefined,
        );
      });
      const id = roundId!;
      const attempt = async (name: string, chunks: Parameters<CohortConnection['submitUpdate']>[0]) => {
        try {
          await attacker.submitUpdate(chunks);
          codes[name] = { code: 0, details: '' };
        } catch (error) {
          const e = error as grpc.ServiceError;
          codes[name] = { code: e.code, details: e.details };
        }
      };
      const good = new Float32Array(DIMENSION).fill(0.1);
      const withNaN = good.slice();
      withNaN[3] = NaN;
      await attempt('short', [encodeUpdateChunk(id, 0, good.subarray(0, 4), 10)]);
      await attempt('long', [encodeUpdateChunk(id, 0, new Float32Array(DIMENSION + 2), 10)]);
      await attempt('nan', [encodeUpdateChunk(id, 0, withNaN, 10)]);
      await attempt('zero examples', [encodeUpdateChunk(id, 0, good, 0)]);
      await attempt('gap', [
        encodeUpdateChunk(id, 0, good.subarray(0, 2), 10),
        encodeUpdateChunk(id, 4, good.subarray(4), 10),
      ]);
      await attempt('other round', [encodeUpdateChunk(new Uint8Array(32).fill(7), 0, good, 10)]);
      status = (await attacker.call('GetStatus', {})) as { phase: string; members_waited_for: number };
      await attempt('first', [encodeUpdateChunk(id, 0, good, 10)]);
      await attempt('duplicate', [encodeUpdateChunk(id, 0, good, 10)]);
      attacker.close();
    },
  );
  const { INVALID_ARGUMENT, FAILED_PRECONDITION } = grpc.status;
  // While the round was open, GetStatus named robust mode's phase and counted at least the attacker.
  assert.equal(status?.phase, 'collecting-updates');
  assert.ok(
    status.members_waited_for >= 1 && status.members_waited_for <= 2,
    String(status.members_waited_for),
  );
  assert.deepEqual(codes['short'], {
    code: INVALID_ARGUMENT,
    details: `values: upload ended after 4 of ${DIMENSION} values`,
  });
  assert.equal(codes['long']!.code, INVALID_ARGUMENT);
  assert.match(codes['long']!.details, /^values: update has 6 values; this chunk reaches 8/);
  assert.deepEqual(codes['nan'], {
    code: INVALID_ARGUMENT,
    details: 'values[3]: expected a finite number, got NaN',
  });
  assert.equal(codes['zero examples']!.code, INVALID_ARGUMENT);
  assert.match(codes['zero examples']!.details, /^num_examples/);
  assert.equal(codes['gap']!.code, INVALID_ARGUMENT);
  assert.match(codes['gap']!.details, /^offset: expected 2/);
  assert.equal(codes['other round']!.code, FAILED_PRECONDITION);
  assert.match(codes['other round']!.details, /^round_id/);
  assert.equal(codes['first']!.code, 0);
  assert.equal(codes['duplicate']!.code, FAILED_PRECONDITION);
  assert.match(codes['duplicate']!.details, /already submitted/);
  // The attacker's one valid update (0.1) joined four honest ones; the median is still honest.
  const round = run.manifests.find((m) => m.round === 1)!;
  assert.deepEqual(round.metrics['survivors'], [1, 2, 3, 4, 5]);
  for (let i = 0; i < DIMENSION; i++) assert.ok(Math.abs(run.final[i]! - (0.5 + 0.11)) < 1e-6);
});
