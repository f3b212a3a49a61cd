import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  cryptoReady,
  encodeWeightedUpdate,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
} from '../../aggregation/index.js';
import { CohortConnection } from '../../client-sdk/connection.js';
import { SecureRoundRunner } from '../../client-sdk/secure-round-runner.js';
import { parseFederationConfig } from '../../coordinator/config/index.js';
import { Federation } from '../../coordinator/federation.js';
import { CoordinatorService } from '../../coordinator/grpc/service.js';
import { CheckpointStore } from '../../coordinator/store/index.js';
import { membersYaml, signedFederationOf } from './signed-federation.js';
import { serveOnLoopback } from './loopback-coordinator.js';

/**
 * The whole federation against one hospital that sends garbage share bundles every round: each round
 * still completes over the others, the core names it, and the coordinator leaves it out of the next
 * `quarantineRounds` rounds (recorded in the checkpoint, logged at warn), then lets it back in.
 */
await cryptoReady();

const MEMBERS = 6;
const BAD = 4;
const PARAMETERS = 4;
const identities = Array.from({ length: MEMBERS }, (_, i) => signingKeyPairFromSeed(seedFromNumber(140 + i)));
const config = parseFederationConfig(`
name: quarantine
model: { kind: logistic-regression, inputs: ${PARAMETERS - 1} }
rounds: 3
clientsPerRound: ${MEMBERS}
minimumClients: 5
secureAggregation: { expectedDropout: 0.1, quarantineRounds: 1, quantization: { clipRange: 1, levels: 1048577 } }
serverOptimizer: { kind: fedavg }
training: { clipNorm: 1, exampleCap: 100 }
deadlines: { advertiseKeys: 3000, graphNonce: 3000, shareKeys: 3000, shareCheck: 3000, maskedInput: 3000, consistencyCheck: 3000, unmasking: 3000, training: 100 }
members:
${membersYaml(identities)}
`);

test('a member proven to send garbage shares sits out the next round and is named in the checkpoint', async () => {
  const spec = { kind: 'logistic-regression', inputs: PARAMETERS - 1 } as const;
  const { membership, trust } = signedFederationOf(config, spec);
  const service = new CoordinatorService(membership);
  const { server, port } = await serveOnLoopback(service);
  const dir = await mkdtemp(join(tmpdir(), 'cohort-quarantine-'));
  const connections = await Promise.all(
    identities.map(async (identity, i) => {
      const id = i + 1;
      const connection = await CohortConnection.connect(`127.0.0.1:${port}`, identity, trust);
      // The bad hospital is the real SDK runner with every ShareKeys bundle scrambled in transit.
      const call: CohortConnection['call'] = (method, request) => {
        if (id !== BAD || method !== 'ShareKeys') return connection.call(method, request);
        const r = request as { ciphertexts: { recipient: number; ciphertext: Uint8Array }[] };
        return connection.call(method, {
          ...r,
          ciphertexts: r.ciphertexts.map((c) => ({
            recipient: c.recipient,
            ciphertext: Uint8Array.from(c.ciphertext, (b) => b ^ 0x5a),
          })),
        });
      };
      const runner = new SecureRoundRunner(
        Object.create(connection, { call: { value: call } }) as CohortConnection,
        identity,
        seededRandom(seedFromNumber(160 + i)),
        (started) =>
          encodeWeightedUpdate(
            Float32Array.from({ length: PARAMETERS }, (_, k) => 0.01 * id - 0.002 * k),
            10 * id,
            {
              quantizer: { clipRange: started.secagg!.clip_range, levels: started.secagg!.levels },
              clipNorm: started.training!.clip_norm,
              exampleCap: started.training!.example_cap,
            },
            seededRandom(seedFromNumber(180 + 10 * started.round + i)),
          ),
        () => undefined,
      );
      await connection.subscribe(runner.onEvent, () => undefined);
      return connection;
    }),
  );
  const events: Record<string, unknown>[] = [];
  try {
    const store = await CheckpointStore.open(dir);
    await new Federation({
      config,
      membership,
      service,
      store,
      spec,
      initialWeights: () => Promise.resolve(new Float32Array(PARAMETERS)),
      log: (event) => events.push(event),
      random: seededRandom(seedFromNumber(199)),
    }).run();

    const selected = events
      .filter((e) => e['event'] === 'round-started')
      .map((e) => e['participants'] as number[]);
    assert.deepEqual(selected, [
      [1, 2, 3, 4, 5, 6],
      [1, 2, 3, 5, 6],
      [1, 2, 3, 4, 5, 6],
    ]);
    const quarantined = events.filter((e) => e['event'] === 'member-quarantined');
    assert.deepEqual(
      quarantined.map((e) => [e['round'], e['member'], e['untilRound']]),
      [
        [1, BAD, 2],
        [3, BAD, 4],
      ],
    );
    for (const e of quarantined) assert.match(String(e['reason']), /^BadShareCiphertexts: /);
    const finished = events.filter((e) => e['event'] === 'round-finished');
    assert.deepEqual(
      finished.map((e) => e['survivors']),
      [5, 5, 5],
      'every round completes over the five honest members',
    );

    const first = (await store.load(1))!;
    const metrics = first.manifest.metrics as {
      culprits?: Record<string, string>;
      quarantine?: Record<string, { untilRound: number }>;
    };
    assert.deepEqual(Object.keys(metrics.culprits ?? {}), [String(BAD)]);
    assert.equal(metrics.quarantine?.[String(BAD)]?.untilRound, 2);
    const second = (await store.load(2))!.manifest.metrics as { culprits?: unknown; quarantine?: object };
    assert.equal(second.culprits, undefined, 'nobody misbehaved in round 2');
    assert.deepEqual(second.quarantine, {}, 'the quarantine ended with round 2');
  } finally {
    for (const c of connections) c.close();
    server.forceShutdown();
    await rm(dir, { recursive: true, force: true });
  }
});
