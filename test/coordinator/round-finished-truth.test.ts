import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  cryptoReady,
  seededRandom,
  seedFromNumber,
  signingKeyPairFromSeed,
  type SigningKeyPair,
} from '../../aggregation/index.js';
import { CohortClient, type ClientEvent, type FinalModel } from '../../client-sdk/cohort-client.js';
import { CohortConnection } from '../../client-sdk/connection.js';
import type { LocalTrainer } from '../../client-sdk/trainer.js';
import { parseFederationConfig } from '../../coordinator/config/index.js';
import { Federation } from '../../coordinator/federation.js';
import { CoordinatorService } from '../../coordinator/grpc/service.js';
import { CheckpointStore } from '../../coordinator/store/index.js';
import type { ManifestPin } from '../../proto/federation-manifest.js';
import { serveOnLoopback } from './loopback-coordinator.js';
import { membersYaml, signedFederationOf } from './signed-federation.js';

/**
 * "The member hears the truth": the coordinator finishes unmasking as soon as it holds enough shares,
 * so some members' Unmask answers arrive after the round is over and are refused with
 * FAILED_PRECONDITION. Their updates were summed all the same, and RoundFinished says so per member:
 * such a member reports the round aggregated, not ended early. Real Federation, real SDK clients, real
 * gRPC on loopback; the only intervention is when some members' calls leave.
 */
await cryptoReady();

const MEMBERS = 12;
const DIMENSION = 6;
const ROUNDS = 2;
/** Members whose Unmask answer leaves only once the coordinator has finished the round without it. */
const LATE = new Set([10, 11, 12]);
/** A member whose masked input never leaves in round 1: the coordinator drops it at the deadline. */
const DROPPED = 5;

const trainer = (member: number): LocalTrainer => ({
  train: (global) =>
    Promise.resolve({ weights: global.map((w, k) => w + 0.01 * member - 0.002 * k), numExamples: 10 }),
});

interface Wrapped {
  readonly failedPreconditions: { member: number; method: string }[];
  restore(): void;
}

/**
 * Holds back the late members' Unmask until the coordinator has logged the round finished (or a few
 * seconds pass, should the round need them after all), swallows the dropped member's round-1 upload,
 * and records every FAILED_PRECONDITION a step answer gets. Patches the connection prototype: the
 * SDK client builds its connections itself.
 */
function wrapConnections(roundFinished: () => { count: number; next: Promise<void> }): Wrapped {
  const proto = CohortConnection.prototype;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved to restore, called with .call(this)
  const call = proto.call;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved to restore, called with .call(this)
  const upload = proto.upload;
  const failedPreconditions: { member: number; method: string }[] = [];
  const uploads = new Map<number, number>();
  proto.call = async function (this: CohortConnection, method, request) {
    if (method === 'Unmask' && LATE.has(this.memberIndex)) {
      const { next } = roundFinished();
      await Promise.race([next, new Promise((r) => setTimeout(r, 5_000))]);
    }
    try {
      return await call.call(this, method, request);
    } catch (error) {
      if ((error as grpc.ServiceError).code === grpc.status.FAILED_PRECONDITION)
        failedPreconditions.push({ member: this.memberIndex, method });
      throw error;
    }
  };
  proto.upload = function (this: CohortConnection, chunks) {
    const n = (uploads.get(this.memberIndex) ?? 0) + 1;
    uploads.set(this.memberIndex, n);
    if (this.memberIndex === DROPPED && n === 1) return Promise.resolve();
    return upload.call(this, chunks);
  };
  return {
    failedPreconditions,
    restore: () => {
      proto.call = call;
      proto.upload = upload;
    },
  };
}

test('late Unmask answers are no error: every summed member reports its round aggregated, the dropped one does not', async () => {
  const identities = Array.from({ length: MEMBERS }, (_, i) =>
    signingKeyPairFromSeed(seedFromNumber(1200 + i)),
  );
  const members = membersYaml(identities);
  const config = parseFederationConfig(`name: truth
model: { kind: logistic-regression, inputs: ${DIMENSION - 1} }
rounds: ${ROUNDS}
clientsPerRound: ${MEMBERS}
minimumClients: ${MEMBERS}
secureAggregation: { expectedDropout: 0.4, quantization: { clipRange: 1, levels: 1048577 } }
serverOptimizer: { kind: fedavg, learningRate: 1 }
training: { clipNorm: 1, exampleCap: 100 }
deadlines: { training: 4000, advertiseKeys: 4000, graphNonce: 4000, shareKeys: 4000, shareCheck: 4000, maskedInput: 1500, consistencyCheck: 4000, unmasking: 8000 }
members:
${members}
`);
  const spec = { kind: 'logistic-regression', inputs: DIMENSION - 1 } as const;
  const { membership, trust } = signedFederationOf(config, spec);
  const service = new CoordinatorService(membership);
  const { server, port } = await serveOnLoopback(service);
  const dir = await mkdtemp(join(tmpdir(), 'cohort-truth-'));
  const memberState = await mkdtemp(join(tmpdir(), 'cohort-truth-members-'));

  let finishedCount = 0;
  let signal!: () => void;
  let next = new Promise<void>((r) => (signal = r));
  const wrapped = wrapConnections(() => ({ count: finishedCount, next }));
  const clients: CohortClient[] = [];
  try {
    const events = await connectMembers(clients, {
      port,
      trust,
      memberState,
      identities: identities.slice(0, MEMBERS),
      seed: 1300,
    });
    const runs = clients.map((c) => c.run(trainer(c.memberIndex)));
    const store = await CheckpointStore.open(dir);
    const federation = new Federation({
      config,
      membership,
      service,
      store,
      spec,
      initialWeights: () => Promise.resolve(new Float32Array(DIMENSION).fill(0.5)),
      log: (e) => {
        if (e['event'] !== 'round-finished') return;
        finishedCount++;
        const release = signal;
        next = new Promise<void>((r) => (signal = r));
        release();
      },
      random: seededRandom(seedFromNumber(1400)),
    });
    await federation.run();
    const finals: FinalModel[] = await Promise.all(runs);

    const manifests = await store.list();
    const survivors = new Map<number, number[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      const manifest = manifests.find((m) => m.round === round);
      assert.ok(manifest !== undefined, `round ${round} completed`);
      survivors.set(round, manifest.metrics['survivors'] as number[]);
    }
    assert.ok(!survivors.get(1)!.includes(DROPPED), 'the dropped member was not summed in round 1');
    assert.equal(survivors.get(1)!.length, MEMBERS - 1);
    assert.equal(survivors.get(2)!.length, MEMBERS);
    // Late answers really did arrive after the coordinator had finished without them (the held-back
    // members' for certain; others' too, when the coordinator had enough shares before theirs came).
    const lateRefused = wrapped.failedPreconditions.filter((f) => f.method === 'Unmask');
    assert.ok(
      lateRefused.some((f) => LATE.has(f.member)),
      'a held-back Unmask answer was refused as late',
    );

    for (const [member, seen] of events) {
      for (let round = 1; round <= ROUNDS; round++) {
        const ended = seen.filter((e) => e.type === 'round-ended' && e.round === round);
        assert.equal(ended.length, 1, `member ${member} reports round ${round} once`);
        const outcome = ended[0]!;
        assert.ok(outcome.type === 'round-ended');
        const summed = survivors.get(round)!.includes(member);
        assert.equal(outcome.aggregated, summed, `member ${member}, round ${round}: ${outcome.reason}`);
        assert.equal(outcome.completed, summed);
        if (summed) assert.equal(outcome.reason, undefined, `member ${member}, round ${round}`);
        // The dropped member hears it was dropped (the session's abort to it), not that it counted.
        else assert.match(outcome.reason ?? '', /masked-input|without this member's update/);
      }
      const final = finals.find((_, i) => clients[i]!.memberIndex === member)!;
      assert.equal(final.rounds, ROUNDS);
      assert.equal(final.roundsAggregated, member === DROPPED ? ROUNDS - 1 : ROUNDS, `member ${member}`);
    }
  } finally {
    wrapped.restore();
    for (const c of clients) c.close();
    server.forceShutdown();
    await rm(dir, { recursive: true, force: true });
    await rm(memberState, { recursive: true, force: true });
  }
});

test('robust mode: a member whose plaintext update never arrived reports its round not aggregated; the rest aggregated', async () => {
  const count = 5;
  const SILENT = 2;
  const identities = Array.from({ length: count }, (_, i) =>
    signingKeyPairFromSeed(seedFromNumber(1500 + i)),
  );
  const members = membersYaml(identities);
  const config = parseFederationConfig(`name: truth-robust
model: { kind: logistic-regression, inputs: ${DIMENSION - 1} }
rounds: 1
clientsPerRound: ${count}
minimumClients: ${count}
aggregation: { mode: robust, rule: { rule: median } }
serverOptimizer: { kind: fedavg, learningRate: 1 }
training: { clipNorm: 1, exampleCap: 100 }
deadlines: { training: 1000, maskedInput: 500 }
members:
${members}
`);
  const spec = { kind: 'logistic-regression', inputs: DIMENSION - 1 } as const;
  const { membership, trust } = signedFederationOf(config, spec);
  const service = new CoordinatorService(membership);
  const { server, port } = await serveOnLoopback(service);
  const dir = await mkdtemp(join(tmpdir(), 'cohort-truth-'));
  const memberState = await mkdtemp(join(tmpdir(), 'cohort-truth-members-'));
  const proto = CohortConnection.prototype;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved to restore, called with .call(this)
  const submitUpdate = proto.submitUpdate;
  // The silent member's update is lost on the way: the coordinator closes the round without it.
  proto.submitUpdate = function (this: CohortConnection, chunks) {
    return this.memberIndex === SILENT ? Promise.resolve() : submitUpdate.call(this, chunks);
  };
  const clients: CohortClient[] = [];
  try {
    const events = await connectMembers(clients, {
      port,
      trust,
      memberState,
      identities: identities.slice(0, count),
      seed: 1600,
    });
    const runs = clients.map((c) => c.run(trainer(c.memberIndex)));
    const store = await CheckpointStore.open(dir);
    await new Federation({
      config,
      membership,
      service,
      store,
      spec,
      initialWeights: () => Promise.resolve(new Float32Array(DIMENSION).fill(0.5)),
      log: () => undefined,
      random: seededRandom(seedFromNumber(1700)),
    }).run();
    const finals = await Promise.all(runs);
    const manifest = (await store.list()).find((m) => m.round === 1);
    assert.ok(manifest !== undefined, 'the round completed');
    const survivors = manifest.metrics['survivors'] as number[];
    assert.deepEqual(
      [...survivors].sort((a, b) => a - b),
      [1, 3, 4, 5],
    );
    for (const [member, seen] of events) {
      const ended = seen.filter((e) => e.type === 'round-ended');
      assert.equal(ended.length, 1, `member ${member}`);
      const outcome = ended[0]!;
      assert.ok(outcome.type === 'round-ended');
      assert.equal(outcome.aggregated, member !== SILENT, `member ${member}: ${outcome.reason}`);
      assert.equal(outcome.completed, member !== SILENT);
      const final = finals.find((_, i) => clients[i]!.memberIndex === member)!;
      assert.equal(final.roundsAggregated, member === SILENT ? 0 : 1);
    }
  } finally {
    proto.submitUpdate = submitUpdate;
    for (const c of clients) c.close();
    server.forceShutdown();
    await rm(dir, { recursive: true, force: true });
    await rm(memberState, { recursive: true, force: true });
  }
});

/** Connects one CohortClient per identity (pushed onto `clients`, so a failure still closes them) and records each member's events. */
async function connectMembers(
  clients: CohortClient[],
  options: {
    readonly port: number;
    readonly trust: ManifestPin;
    readonly memberState: string;
    readonly identities: readonly SigningKeyPair[];
    readonly seed: number;
  },
): Promise<Map<number, ClientEvent[]>> {
  const events = new Map<number, ClientEvent[]>();
  for (const [i, identity] of options.identities.entries()) {
    const seen: ClientEvent[] = [];
    events.set(i + 1, seen);
    clients.push(
      await CohortClient.connect(`127.0.0.1:${options.port}`, identity, {
        trust: options.trust,
        stateDir: join(options.memberState, `member-${i + 1}`),
        random: seededRandom(seedFromNumber(options.seed + i)),
        onEvent: (e) => seen.push(e),
      }),
    );
  }
  return events;
}
