import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  cryptoReady,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
} from '../../aggregation/index.js';
import { DropReason, type SecAggResult } from '../../aggregation/secagg/index.js';
import {
  CohortClient,
  MemberStoppedError,
  type ClientEvent,
  type FinalModel,
  type RunOptions,
} from '../../client-sdk/cohort-client.js';
import type { TF, TrainingData } from '../../client-sdk/training/index.js';
import { parseFederationConfig } from '../../coordinator/config/index.js';
import { Federation } from '../../coordinator/federation.js';
import { CoordinatorService } from '../../coordinator/grpc/service.js';
import { CheckpointStore, type CheckpointEntry } from '../../coordinator/store/index.js';
import { serveOnLoopback } from '../coordinator/loopback-coordinator.js';
import { DIMENSION, fixedUpdate } from '../coordinator/modes/harness.js';
import { membersYaml, signedFederationOf } from '../coordinator/signed-federation.js';

/**
 * A member the hospital stops — stop(), close() or an AbortSignal — leaves over real gRPC at once:
 * the coordinator removes its inbox, drops it from a round in progress as Disconnected and picks it
 * no more; its run() rejects with MemberStoppedError and it never rejoins.
 */
await cryptoReady();

const DEADLINES = [
  'training',
  'advertiseKeys',
  'graphNonce',
  'shareKeys',
  'shareCheck',
  'maskedInput',
  'consistencyCheck',
  'unmasking',
]
  .map((phase) => `${phase}: 2000`)
  .join(', ');

function yaml(rounds: number, members: number, minimumClients: number): string {
  return `rounds: ${rounds}
clientsPerRound: ${members}
minimumClients: ${minimumClients}
secureAggregation: { expectedDropout: 0.2, quantization: { clipRange: 1, levels: 1048577 } }
serverOptimizer: { kind: fedavg, learningRate: 1 }
training: { clipNorm: 1, exampleCap: 100 }
deadlines: { ${DEADLINES} }`;
}

type Outcome = { readonly model: FinalModel } | { readonly error: unknown };

/** Polls `condition` until it holds; the cap only keeps a broken build from hanging the suite. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !condition(); await new Promise((r) => setTimeout(r, 5)))
    if (Date.now() - started > 20_000) throw new Error(`never: ${what}`);
}

/** A coordinator on loopback and `members` connected SDK members (not yet running); `done` tears it all down. */
async function setUp(members: number, federationYaml: string) {
  const identities = Array.from({ length: members }, (_, i) =>
    signingKeyPairFromSeed(seedFromNumber(1200 + i)),
  );
  const config = parseFederationConfig(
    `name: stop\nmodel: { kind: logistic-regression, inputs: ${DIMENSION - 1} }\n${federationYaml}\nmembers:\n${membersYaml(identities)}\n`,
  );
  const spec = { kind: 'logistic-regression', inputs: DIMENSION - 1 } as const;
  const { membership, trust } = signedFederationOf(config, spec);
  const service = new CoordinatorService(membership);
  const { server, address } = await serveOnLoopback(service);
  const dir = await mkdtemp(join(tmpdir(), 'cohort-member-stop-'));
  const events = new Map<number, ClientEvent[]>();
  const clients = await Promise.all(
    identities.map((id, i) =>
      CohortClient.connect(address, id, {
        trust,
        stateDir: join(dir, 'members', `member-${i + 1}`),
        random: seededRandom(seedFromNumber(1300 + i)),
        onEvent: (event) => events.set(i + 1, [...(events.get(i + 1) ?? []), event]),
      }),
    ),
  );
  const store = await CheckpointStore.open(dir);
  const log: Record<string, unknown>[] = [];
  const initial = new Float32Array(DIMENSION).fill(0.5);
  /** Every member runs (with its own options); resolves once all their inboxes are open, with their outcomes. */
  const start = async (options: (member: number) => RunOptions = () => ({})) => {
    const outcomes = clients.map((client) =>
      client
        .run(
          fixedUpdate(
            Array.from({ length: DIMENSION }, (_, k) => 0.01 * client.memberIndex - 0.002 * k),
            10 * client.memberIndex,
          ),
          options(client.memberIndex),
        )
        .then(
          (model): Outcome => ({ model }),
          (error: unknown): Outcome => ({ error }),
        ),
    );
    await until(() => service.connected.length === members, 'every member subscribed');
    return outcomes;
  };
  const federation = (onLog: (event: Record<string, unknown>) => void = () => undefined) =>
    new Federation({
      config,
      membership,
      service,
      store,
      spec,
      initialWeights: () => Promise.resolve(initial.slice()),
      log: (event) => {
        log.push(event);
        onLog(event);
      },
      random: seededRandom(seedFromNumber(1400)),
    });
  const done = async () => {
    for (const client of clients) client.close();
    server.forceShutdown();
    await rm(dir, { recursive: true, force: true });
  };
  return { service, clients, events, store, log, start, federation, done };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

/** Runs `gate` after round 1 is aggregated and before round 2 picks its members. */
function betweenRounds(store: CheckpointStore, gate: () => Promise<void>): void {
  const save = store.save.bind(store);
  store.save = async (entry: CheckpointEntry) => {
    if (entry.round === 1) await gate();
    return save(entry);
  };
}

function assertStopped(outcome: Outcome | undefined): MemberStoppedError {
  assert.ok(outcome !== undefined && 'error' in outcome, 'run() rejected');
  assert.ok(outcome.error instanceof MemberStoppedError, String(outcome.error));
  return outcome.error;
}

/** After a stop between rounds 1 and 2: round 2 ran with the others only, who finished with its model. */
async function assertLeftBetweenRounds(setup: Setup, outcomes: Promise<Outcome>[], stopped: number) {
  const all = setup.clients.map((c) => c.memberIndex);
  const others = all.filter((m) => m !== stopped);
  const started = setup.log.filter((e) => e['event'] === 'round-started');
  assert.deepEqual(
    started.map((e) => e['participants']),
    [all, others],
  );
  const round2 = (await setup.store.list()).find((m) => m.round === 2);
  assert.deepEqual(round2?.metrics['survivors'], others);
  const settled = await Promise.all(outcomes);
  for (const m of others) assert.ok('model' in settled[m - 1]!, `member ${m} finished`);
  // It never rejoined: one `connected` event, the first join's.
  assert.equal(setup.events.get(stopped)?.filter((e) => e.type === 'connected').length, 1);
  assert.ok(!setup.service.connected.includes(stopped));
}

test('stop(): the coordinator removes the inbox, run() rejects, and the next round does not pick the member', async () => {
  const setup = await setUp(5, yaml(2, 5, 4));
  try {
    const outcomes = await setup.start();
    let stoppedError: MemberStoppedError | undefined;
    betweenRounds(setup.store, async () => {
      setup.clients[4]!.stop();
      await until(() => !setup.service.connected.includes(5), 'the inbox of member 5 removed');
      assert.deepEqual(setup.service.connected, [1, 2, 3, 4]);
      stoppedError = assertStopped(await outcomes[4]);
    });
    await setup.federation().run();
    assert.ok(stoppedError !== undefined, 'the gate ran');
    await assertLeftBetweenRounds(setup, outcomes, 5);
  } finally {
    await setup.done();
  }
});

test('an AbortSignal aborted mid-federation stops the member as stop() does', async () => {
  const setup = await setUp(5, yaml(2, 5, 4));
  try {
    const controller = new AbortController();
    const outcomes = await setup.start((m) => (m === 2 ? { signal: controller.signal } : {}));
    const reason = new Error('the hospital is shutting the member down');
    let stoppedError: MemberStoppedError | undefined;
    betweenRounds(setup.store, async () => {
      controller.abort(reason);
      await until(() => !setup.service.connected.includes(2), 'the inbox of member 2 removed');
      stoppedError = assertStopped(await outcomes[1]);
    });
    await setup.federation().run();
    assert.equal(stoppedError?.cause, reason);
    await assertLeftBetweenRounds(setup, outcomes, 2);
  } finally {
    await setup.done();
  }
});

test('a signal aborted before run() or participate() is called: the member never subscribes', async () => {
  const setup = await setUp(5, yaml(1, 5, 4));
  try {
    const [first, second] = setup.clients;
    const trainer = fixedUpdate(new Array<number>(DIMENSION).fill(0));
    await assert.rejects(first!.run(trainer, { signal: AbortSignal.abort() }), MemberStoppedError);
    // Stopped for good: a later run without a signal does not rejoin either.
    await assert.rejects(first!.run(trainer), MemberStoppedError);
    // participate() takes the same option; its TF.js trainer is never asked to train.
    await assert.rejects(
      second!.participate({} as TF, {} as TrainingData, { signal: AbortSignal.abort() }),
      MemberStoppedError,
    );
    assert.deepEqual(setup.service.connected, []);
    assert.equal(setup.events.get(1)?.length ?? 0, 0);
  } finally {
    await setup.done();
  }
});

test('a member stopped mid-round is dropped as Disconnected and the round completes with the others', async () => {
  const setup = await setUp(6, yaml(1, 6, 5));
  try {
    const results: Promise<SecAggResult>[] = [];
    const startSecureRound = setup.service.startSecureRound.bind(setup.service);
    setup.service.startSecureRound = (...args: Parameters<CoordinatorService['startSecureRound']>) => {
      const session = startSecureRound(...args);
      results.push(session.result);
      return session;
    };
    const outcomes = await setup.start();
    await setup
      .federation((event) => {
        if (event['event'] === 'round-phase' && event['phase'] === 'share-keys') setup.clients[2]!.stop();
      })
      .run();
    assert.equal(results.length, 1);
    const result = await results[0]!;
    assert.equal(result.dropped.get(3)?.reason, DropReason.Disconnected);
    assert.deepEqual(result.survivors, [1, 2, 4, 5, 6]);
    const round = (await setup.store.list()).find((m) => m.round === 1);
    assert.deepEqual(round?.metrics['survivors'], [1, 2, 4, 5, 6]);
    const settled = await Promise.all(outcomes);
    assertStopped(settled[2]);
    for (const m of [1, 2, 4, 5, 6]) assert.ok('model' in settled[m - 1]!, `member ${m} finished`);
    assert.ok(!setup.service.connected.includes(3));
  } finally {
    await setup.done();
  }
});
