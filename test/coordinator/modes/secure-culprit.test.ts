import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cryptoReady,
  encodeWeightedUpdate,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
} from '../../../aggregation/index.js';
import { CohortConnection } from '../../../client-sdk/connection.js';
import { SecureRoundRunner } from '../../../client-sdk/secure-round-runner.js';
import { parseFederationConfig } from '../../../coordinator/config/index.js';
import { CoordinatorService } from '../../../coordinator/grpc/service.js';
import type { RoundContext } from '../../../coordinator/rounds/round-aggregate.js';
import { runSecureRound } from '../../../coordinator/rounds/secure-mode.js';
import { modelSpecJson } from '../../../proto/model-spec.js';
import { membersYaml, signedFederationOf } from '../signed-federation.js';
import { serveOnLoopback, testRoundPlan } from '../loopback-coordinator.js';

/**
 * Mode `secure` with one member whose share bundles nobody can open: the round's aggregate is the
 * weighted mean of the five honest members, and it names the bad member as a culprit for the
 * coordinator to quarantine. The bad member is the real SDK runner with its ShareKeys call tampered.
 */
await cryptoReady();

const MEMBERS = 6;
const BAD = 4;
const PARAMETERS = 5;
const EXAMPLES = [10, 20, 30, 40, 50, 60];
const identities = Array.from({ length: MEMBERS }, (_, i) => signingKeyPairFromSeed(seedFromNumber(40 + i)));
const config = parseFederationConfig(`
name: culprits
model: { kind: logistic-regression, inputs: ${PARAMETERS - 1} }
rounds: 1
clientsPerRound: ${MEMBERS}
minimumClients: ${MEMBERS}
secureAggregation: { quantization: { clipRange: 1, levels: 1048577 } }
training: { clipNorm: 1, exampleCap: 100 }
deadlines: { advertiseKeys: 3000, graphNonce: 3000, shareKeys: 3000, shareCheck: 3000, maskedInput: 3000, consistencyCheck: 3000, unmasking: 3000, training: 100 }
members:
${membersYaml(identities)}
`);
const weighting = {
  quantizer: config.secureAggregation.quantization,
  clipNorm: 1,
  exampleCap: config.training.exampleCap,
};
const SPEC = { kind: 'logistic-regression', inputs: PARAMETERS - 1 } as const;
const deltaOf = (id: number) => Float32Array.from({ length: PARAMETERS }, (_, k) => 0.01 * id - 0.005 * k);

test('a member sending garbage share bundles is left out of the mean and named in the round aggregate', async () => {
  const { membership, trust } = signedFederationOf(config, SPEC);
  const service = new CoordinatorService(membership);
  const { server, port } = await serveOnLoopback(service);
  const connections = await Promise.all(
    identities.map(async (identity, i) => {
      const id = i + 1;
      const connection = await CohortConnection.connect(`127.0.0.1:${port}`, identity, trust);
      const call: CohortConnection['call'] = (method, request) => {
        if (id !== BAD || method !== 'ShareKeys') return connection.call(method, request);
        const r = request as { ciphertexts: { recipient: number; ciphertext: Uint8Array }[] };
        return connection.call(method, {
          ...r,
          ciphertexts: r.ciphertexts.map((c) => ({
            recipient: c.recipient,
            ciphertext: Uint8Array.from(c.ciphertext, (b) => b ^ 0xff),
          })),
        });
      };
      const runner = new SecureRoundRunner(
        Object.create(connection, { call: { value: call } }) as CohortConnection,
        identity,
        seededRandom(seedFromNumber(60 + i)),
        () =>
          encodeWeightedUpdate(deltaOf(id), EXAMPLES[i]!, weighting, seededRandom(seedFromNumber(80 + i))),
        () => undefined,
      );
      await connection.subscribe(runner.onEvent, () => undefined);
      return connection;
    }),
  );
  try {
    const ctx: RoundContext = {
      round: 1,
      participants: Array.from({ length: MEMBERS }, (_, i) => i + 1),
      parameters: PARAMETERS,
      // The spec the manifest pins: members refuse a round training anything else.
      plan: testRoundPlan(modelSpecJson(SPEC), { exampleCap: 100 }),
      config,
      service,
      membership,
      random: seededRandom(seedFromNumber(99)),
      log: () => undefined,
      elapsedMs: () => 0,
      clipNorm: 1,
      clipIndicator: false,
    };
    const aggregate = await runSecureRound(ctx, { weighting });
    const honest = [1, 2, 3, 5, 6];
    assert.deepEqual(aggregate.survivors, honest);
    assert.deepEqual([...(aggregate.culprits?.keys() ?? [])], [BAD]);
    assert.match(aggregate.culprits?.get(BAD) ?? '', /^BadShareCiphertexts: /);
    assert.equal(
      aggregate.examples,
      honest.reduce((n, id) => n + EXAMPLES[id - 1]!, 0),
    );
    const weight = honest.reduce((n, id) => n + EXAMPLES[id - 1]!, 0);
    for (let k = 0; k < PARAMETERS; k++) {
      const expected = honest.reduce((s, id) => s + EXAMPLES[id - 1]! * deltaOf(id)[k]!, 0) / weight;
      assert.ok(Math.abs(aggregate.meanDelta[k]! - expected) < 1e-4, `coordinate ${k}`);
    }
  } finally {
    for (const c of connections) c.close();
    server.forceShutdown();
  }
});
