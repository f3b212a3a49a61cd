import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  addInto,
  cryptoReady,
  seededRandom,
  seedFromNumber,
  subtractInto,
  type ServerMessage,
} from '../../aggregation/index.js';
import { sign } from '../../aggregation/crypto/signature.js';
import { rosterDigest, survivorListPayload } from '../../aggregation/secagg/transcript.js';
import { CohortClient, type ClientEvent } from '../../client-sdk/cohort-client.js';
import { ACCOUNTANT_STATE, PARTICIPATION_LOG } from '../../client-sdk/member-guard.js';
import { memberNoise } from '../../client-sdk/member-privacy.js';
import type { LocalTrainer } from '../../client-sdk/trainer.js';
import { ManifestError } from '../../proto/federation-manifest.js';
import type { WireRoundStarted } from '../../proto/round-plan.js';
import { TEST_OPERATOR } from '../coordinator/signed-federation.js';
import {
  colluders,
  derived,
  DIMENSION,
  federation,
  HONEST,
  honestMember,
  inputOf,
  MODEL_DIMENSION,
  plan,
  Relay,
  roundStartedEvent,
  type Federation,
} from './malicious-harness.js';
import { ScriptedCoordinator } from './scripted-coordinator.js';

/**
 * The malicious-coordinator attacks that need a whole round or the member's disk: survivor-list
 * equivocation at unmasking, replayed round ids (also across a restart), distributed-DP noise switched
 * off, and a manifest swapped mid-federation. The coordinator's protocol brain is the real server core
 * (Relay), fed the honest member's gRPC calls and the colluders' in-process messages; the test lies
 * only where it says so.
 */
await cryptoReady();

const EIGHT = [1, 2, 3, 4, 5, 6, 7, 8];
const OTHERS = EIGHT.slice(1);

const sameRound = (started: WireRoundStarted) => (r: Record<string, unknown>) =>
  Buffer.from(r['round_id'] as Uint8Array).equals(Buffer.from(started.round_id));

async function withDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-malicious-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The global model every CohortClient test serves: zeros, so a member's update is exactly zero. */
const MODEL = new Uint8Array(new Float32Array(MODEL_DIMENSION).buffer);
const MODEL_SHA256 = createHash('sha256').update(MODEL).digest();
const UNCHANGED: LocalTrainer = {
  train: (global) => Promise.resolve({ weights: global.slice(), numExamples: 5 }),
};

async function scripted(fed: Federation, manifest: () => Uint8Array = () => fed.bytes) {
  return ScriptedCoordinator.start({
    federation: fed.manifest.federation,
    memberIndex: HONEST,
    signedManifest: manifest,
    model: () => MODEL,
  });
}

function cohortClient(
  coordinator: ScriptedCoordinator,
  fed: Federation,
  stateDir: string,
  events: ClientEvent[],
  seed = 1,
) {
  return CohortClient.connect(coordinator.address, fed.identities[HONEST - 1]!, {
    trust: { operatorKey: TEST_OPERATOR.publicKey },
    stateDir,
    random: seededRandom(seedFromNumber(90_000 + seed)),
    reconnect: { initialDelayMs: 5, maxDelayMs: 20, giveUpAfterMs: 2_000 },
    onEvent: (event) => events.push(event),
  });
}

/**
 * A whole round with the member and seven colluders, the real server core as the coordinator's brain;
 * the unmask request to the member passes through `tamper`. Without `refusal` the member must answer
 * it; with one, the member must abort naming it, after sending everything up to its survivor signature.
 */
async function unmaskRound(
  federationOrName: Federation | string,
  tamper: (request: Extract<ServerMessage, { kind: 'unmask-request' }>) => ServerMessage,
  refusal?: RegExp,
): Promise<{ methods: string[] }> {
  const fed = typeof federationOrName === 'string' ? federation(federationOrName) : federationOrName;
  const coordinator = await scripted(fed);
  const member = await honestMember(coordinator, fed, (s) => inputOf(s.round, HONEST));
  try {
    const started = plan(fed, EIGHT, 1);
    let presented = 0;
    const relay = new Relay(coordinator, fed, started, colluders(fed, started, OTHERS), (m) => {
      if (m.kind !== 'unmask-request') return m;
      presented++;
      return tamper(m);
    });
    relay.startColluders((id) => inputOf(started.round, id));
    coordinator.push(roundStartedEvent(started));
    await coordinator.next('SignSurvivors');
    if (refusal === undefined) {
      await coordinator.next('Unmask');
      // The member's outcome is the coordinator's word in RoundFinished, not its own last answer.
      coordinator.push({
        event: 'round_finished',
        round_finished: { round: started.round, round_id: started.round_id, survivors: 8, aggregated: true },
      });
      const outcome = await member.outcome();
      assert.equal(outcome.completed, true);
      assert.equal(outcome.aggregated, true);
      // The relay is a working coordinator: the exact sum of all eight inputs.
      await until(() => relay.server.phase === 'ready', 'the round to unmask');
      const expected = new Uint32Array(DIMENSION);
      for (const id of EIGHT) addInto(expected, inputOf(started.round, id), 0);
      assert.deepEqual(relay.server.finish().sum, expected);
    } else {
      const abort = await coordinator.next('AbortRound', sameRound(started));
      assert.match(String(abort.request['reason']), refusal);
      assert.equal((await member.outcome()).completed, false);
    }
    assert.equal(presented, 1);
    assert.deepEqual(relay.errors, []);
    const methods = coordinator.methods();
    // Everything up to R3 was sent; whether the member's shares of its peers' secrets follow is the test's.
    for (const m of ['AdvertiseKeys', 'RevealGraphNonce', 'ShareKeys', 'CheckShares', 'UploadMaskedInput'])
      assert.ok(methods.includes(m), m);
    if (refusal !== undefined) assert.equal(methods.at(-1), 'AbortRound');
    return { methods };
  } finally {
    member.close();
    coordinator.stop();
  }
}

describe('an honest member against a dishonest coordinator (unmasking, freshness, noise, manifest)', () => {
  test('baseline: relayed honestly, the member answers the unmask request', async () => {
    const { methods } = await unmaskRound('malicious-unmask-baseline', (m) => m);
    assert.equal(methods.filter((m) => m === 'Unmask').length, 1);
    assert.equal(methods.filter((m) => m === 'AbortRound').length, 0);
  });

  test('7. an unmask request whose survivor signatures are over another roster: no Unmask is sent', async () => {
    const fed = federation('malicious-unmask');
    const started = plan(fed, EIGHT, 1);
    // The colluders (and the member) were shown one roster; the signatures the coordinator presents
    // were made over another roster's digest, as by members it showed a different roster.
    const otherRoster = rosterDigest(new Uint8Array(started.round_id), 1, []);
    const { methods } = await unmaskRound(
      fed,
      (m) => {
        const payload = survivorListPayload(new Uint8Array(started.round_id), otherRoster, m.survivors);
        return {
          ...m,
          signatures: m.signatures.map((s) =>
            s.signer === HONEST
              ? s
              : { signer: s.signer, signature: sign(payload, fed.identities[s.signer - 1]!.secretKey) },
          ),
        };
      },
      new RegExp(
        `survivor list carries 1 valid survivor signatures; at least ${derived(fed, 8).threshold} are required`,
      ),
    );
    assert.equal(methods.filter((m) => m === 'Unmask').length, 0);
  });

  test('7b. an unmask request asking a masking-key share of a listed survivor (to unmask it with its self seed): no Unmask is sent', async () => {
    const { methods } = await unmaskRound(
      'malicious-unmask-both',
      (m) => {
        const victim = m.selfSeedOwners.find((id) => id !== HONEST)!;
        return {
          ...m,
          selfSeedOwners: m.selfSeedOwners.filter((id) => id !== victim),
          maskKeyOwners: [...m.maskKeyOwners, victim].sort((a, b) => a - b),
        };
      },
      /masking-key share asked for client \d+, which the signed list says survived/,
    );
    assert.equal(methods.filter((m) => m === 'Unmask').length, 0);
  });

  test('8. a round id pushed again, and again after a restart on the same state: refused, no second AdvertiseKeys', async () => {
    const fed = federation('malicious-freshness');
    await withDir(async (stateDir) => {
      const coordinator = await scripted(fed);
      const events: ClientEvent[] = [];
      let client = await cohortClient(coordinator, fed, stateDir, events);
      const runs: Promise<unknown>[] = [client.run(UNCHANGED).catch((e: unknown) => e)];
      try {
        await coordinator.subscribed();
        const started = plan(fed, EIGHT, 1, (s) => {
          s.model_sha256 = MODEL_SHA256;
        });
        coordinator.push(roundStartedEvent(started));
        await coordinator.next('AdvertiseKeys', sameRound(started));
        // The coordinator ends that round, then replays it (e.g. to collect a second noisy input).
        coordinator.push({ event: 'abort', abort: { round_id: started.round_id, reason: 'scripted end' } });
        await until(() => events.some((e) => e.type === 'round-ended'), 'the first round to end');
        coordinator.push(roundStartedEvent(started));
        const replayed = await coordinator.next('AbortRound', sameRound(started));
        assert.match(String(replayed.request['reason']), /already taken part in/);
        assert.equal(coordinator.methods().filter((m) => m === 'AdvertiseKeys').length, 1);

        // The member restarts (new client, same state directory); the coordinator tries once more.
        client.stop();
        coordinator.dropInbox();
        const before = coordinator.calls.length;
        client = await cohortClient(coordinator, fed, stateDir, events, 2);
        runs.push(client.run(UNCHANGED).catch((e: unknown) => e));
        await coordinator.subscribed();
        coordinator.push(roundStartedEvent(started));
        const again = await coordinator.next(
          'AbortRound',
          (r) => sameRound(started)(r) && coordinator.calls.findIndex((c) => c.request === r) >= before,
        );
        assert.match(String(again.request['reason']), /already taken part in/);
        assert.equal(coordinator.methods().filter((m) => m === 'AdvertiseKeys').length, 1);
        // The outcome is reported once the AbortRound call has returned.
        const refusals = () => events.filter((e) => e.type === 'round-ended' && e.refused === true);
        await until(() => refusals().length >= 2, 'the second refusal');
        assert.equal(refusals().length, 2);
        const hex = Buffer.from(started.round_id).toString('hex');
        assert.equal(await readFile(join(stateDir, PARTICIPATION_LOG), 'utf8'), `joined ${hex}\n`);
      } finally {
        client.stop();
        coordinator.stop();
        await Promise.all(runs);
      }
    });
  });

  test('9. distributed DP pinned, RoundStarted without noise: the member still adds its floor and charges its accountant', async () => {
    const fed = federation('malicious-noise', 10, (m) => {
      m.privacy = {
        mode: 'distributed',
        noiseMultiplier: 1,
        clipNorm: 1,
        quantization: { clipRange: 4, levels: 65_537 },
      };
    });
    const p = derived(fed, 8);
    const floor = memberNoise(
      fed.manifest.privacy,
      { participants: 8, threshold: p.threshold, corruptClients: p.corruptClients },
      MODEL_DIMENSION,
    )!;
    assert.ok(floor.plan.clientVariance > 1);
    await withDir(async (stateDir) => {
      const coordinator = await scripted(fed);
      const events: ClientEvent[] = [];
      const client = await cohortClient(coordinator, fed, stateDir, events);
      const run = client.run(UNCHANGED).catch((e: unknown) => e);
      try {
        await coordinator.subscribed();
        const started = plan(fed, EIGHT, 1, (s) => {
          s.model_sha256 = MODEL_SHA256;
          s.noise = null;
        });
        // Every other participant colludes, so the coordinator can subtract their inputs from the sum
        // and read the member's masked-away vector: exactly what the floor must protect.
        const relay = new Relay(coordinator, fed, started, colluders(fed, started, OTHERS));
        relay.startColluders((id) => inputOf(started.round, id));
        coordinator.push(roundStartedEvent(started));
        await until(() => relay.server.phase === 'ready' || relay.errors.length > 0, 'the round to unmask');
        assert.deepEqual(relay.errors, []);
        const mine = relay.server.finish().sum.slice();
        for (const id of OTHERS) subtractInto(mine, inputOf(started.round, id), 0);

        // A zero update quantizes to the midpoint exactly; only noise moves a word off it.
        const midpoint = (65_537 - 1) / 2;
        const deviations = Array.from(mine.subarray(0, MODEL_DIMENSION), (w) => (w | 0) - midpoint);
        const variance = deviations.reduce((a, d) => a + d * d, 0) / deviations.length;
        // χ²₁₄ / 14 lies within [1/8, 4] of its mean except with probability < 1e-4.
        const target = floor.plan.clientVariance;
        assert.ok(
          variance > target / 8 && variance < target * 4,
          `sample variance ${variance}, floor ${target}`,
        );
        assert.equal(mine[MODEL_DIMENSION], 1, 'the count word carries no noise');
        const accountant = await readFile(join(stateDir, ACCOUNTANT_STATE), 'utf8');
        assert.ok(accountant.length > 0);
        assert.notEqual(JSON.parse(accountant), null);
      } finally {
        client.stop();
        coordinator.stop();
        await run;
      }
    });
  });

  test('10. a different, validly signed manifest at the next join: run() rejects with ManifestError changed and never re-subscribes', async () => {
    const fed = federation('malicious-manifest');
    // Same federation and members, same operator, one more round: signed, but not what the member pinned at its first join.
    const swapped = federation('malicious-manifest', 10, (m) => {
      m.rounds = 6;
    });
    let serving = fed.bytes;
    await withDir(async (stateDir) => {
      const coordinator = await scripted(fed, () => serving);
      const events: ClientEvent[] = [];
      const client = await cohortClient(coordinator, fed, stateDir, events);
      const run = client.run(UNCHANGED);
      try {
        await coordinator.subscribed();
        serving = swapped.bytes;
        coordinator.dropInbox();
        const error = await run.then(
          () => assert.fail('run() resolved'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof ManifestError, String(error));
        assert.equal(error.code, 'changed');
        const methods = coordinator.methods();
        assert.equal(methods.filter((m) => m === 'Join').length, 2);
        assert.equal(methods.filter((m) => m === 'Subscribe').length, 1);
        assert.equal(methods.at(-1), 'Join');
      } finally {
        client.stop();
        coordinator.stop();
        await run.catch(() => undefined);
      }
    });
  });
});
