import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  cryptoReady,
  planDistributedNoise,
  PrivacyAccountant,
  PrivacyPolicy,
  seedFromNumber,
} from '../../aggregation/index.js';
import { ACCOUNTANT_STATE, MemberGuard, PARTICIPATION_LOG } from '../../client-sdk/member-guard.js';
import {
  checkDistributedPlan,
  MemberAccountant,
  MemberBudgetExhausted,
  memberNoise,
  noiseVariance,
} from '../../client-sdk/member-privacy.js';
import { RepeatedRoundError } from '../../client-sdk/participation-log.js';
import { RoundRefusal } from '../../client-sdk/round-guard.js';
import type { ManifestPrivacy } from '../../proto/federation-manifest.js';
import { identities, manifest, MODEL_DIMENSION, roundStarted, withTempDir } from './guard-fixtures.js';

await cryptoReady();

const keys = identities();
const EIGHT = [1, 2, 3, 4, 5, 6, 7, 8];
const PRIVACY: ManifestPrivacy = {
  mode: 'distributed',
  noiseMultiplier: 1,
  clipNorm: 1,
  quantization: { clipRange: 4, levels: 65_537 },
};
const distributed = (memberBudget?: { epsilon: number; delta: number }) =>
  manifest(keys, (m) => {
    m.privacy = { ...PRIVACY, ...(memberBudget === undefined ? {} : { memberBudget }) };
  });

/** The floor the member's pinned policy requires for an 8-member round: t − C honest survivors reach z·C. */
function calibrated(): number {
  const started = roundStarted(distributed(), EIGHT, 1);
  return planDistributedNoise({
    quantizer: PRIVACY.quantization,
    clipNorm: PRIVACY.clipNorm,
    dimension: MODEL_DIMENSION,
    noiseMultiplier: PRIVACY.noiseMultiplier!,
    minSurvivors: started.secagg!.threshold - 1,
    maxClients: 8,
  }).clientVariance;
}

describe('the member noise floor', () => {
  test('at least the calibrated variance whatever the coordinator asks: nothing, zero, a tiny amount', () => {
    const floor = memberNoise(
      PRIVACY,
      { participants: 8, threshold: 4, corruptClients: 1 },
      MODEL_DIMENSION,
    )!;
    assert.equal(floor.plan.minSurvivors, 3);
    assert.equal(floor.plan.clientVariance, calibrated());
    assert.equal(noiseVariance(floor, null), floor.plan.clientVariance);
    assert.equal(
      noiseVariance(floor, { mechanism: 'NOISE_MECHANISM_SKELLAM', variance: 0 }),
      floor.plan.clientVariance,
    );
    assert.equal(
      noiseVariance(floor, { mechanism: 'NOISE_MECHANISM_SKELLAM', variance: 1e-9 }),
      floor.plan.clientVariance,
    );
    // More noise than the floor is the coordinator's to ask for.
    const more = 2 * floor.plan.clientVariance;
    assert.equal(noiseVariance(floor, { mechanism: 'NOISE_MECHANISM_SKELLAM', variance: more }), more);
    // The floor is never below what an honest coordinator's policy plans for the same round.
    const honest = new PrivacyPolicy({
      ...PRIVACY,
      quantizer: PRIVACY.quantization,
      exampleCap: 1,
      corruptFraction: 0.1,
    }).distributedNoise({ clients: 8, degree: 6, threshold: 4 }, MODEL_DIMENSION)!;
    assert.ok(floor.plan.clientVariance >= honest.clientVariance);
  });

  test('no floor without distributed DP in the manifest; a manifest without z is refused', () => {
    assert.equal(
      memberNoise({ ...PRIVACY, mode: 'central' }, { participants: 8, threshold: 4, corruptClients: 1 }, 14),
      undefined,
    );
    const withoutZ: ManifestPrivacy = {
      mode: 'distributed',
      clipNorm: 1,
      quantization: PRIVACY.quantization,
    };
    assert.throws(
      () => memberNoise(withoutZ, { participants: 8, threshold: 4, corruptClients: 1 }, 14),
      (e: unknown) => e instanceof RoundRefusal && e.field === 'privacy.noiseMultiplier',
    );
  });

  test('the guard admits a round whose coordinator switched noise off with the full floor', async () => {
    await withTempDir(async (dir) => {
      const pinned = distributed();
      const guard = await MemberGuard.open({ pinned, identityKey: keys[2]!.publicKey, stateDir: dir });
      const off = roundStarted(pinned, EIGHT, 1);
      assert.equal(off.noise, null);
      assert.equal((await guard.admit(off, 3)).noiseVariance, calibrated());
      assert.equal(guard.noiseVariance(off.round_id), calibrated());
      const tiny = roundStarted(
        pinned,
        EIGHT,
        2,
        (s) => void (s.noise = { mechanism: 'NOISE_MECHANISM_SKELLAM', variance: 0.5 }),
      );
      assert.equal((await guard.admit(tiny, 3)).noiseVariance, calibrated());
    });
  });

  test('an encoding the floor does not cover is refused: quantizer, clipping bound, weighting, clip bit', () => {
    const pinned = distributed();
    const refused = (field: string, change: Parameters<typeof roundStarted>[3]) =>
      assert.throws(
        () => checkDistributedPlan(PRIVACY, roundStarted(pinned, EIGHT, 1, change)),
        (e: unknown) => e instanceof RoundRefusal && e.field === field,
      );
    checkDistributedPlan(PRIVACY, roundStarted(pinned, EIGHT, 1));
    refused('secagg.quantization', (s) => void (s.secagg!.levels = 257));
    refused('secagg.quantization', (s) => void (s.secagg!.clip_range = 40));
    refused('training.clip_norm', (s) => void (s.training!.clip_norm = 10));
    refused('training.example_cap', (s) => void (s.training!.example_cap = 100));
    refused('training.report_clip_indicator', (s) => void (s.training!.report_clip_indicator = true));
    // A smaller clipping bound lowers the sensitivity: allowed.
    checkDistributedPlan(
      PRIVACY,
      roundStarted(pinned, EIGHT, 1, (s) => void (s.training!.clip_norm = 0.5)),
    );
  });
});

describe("the member's own accountant", () => {
  const event = memberNoise(
    PRIVACY,
    { participants: 8, threshold: 4, corruptClients: 1 },
    MODEL_DIMENSION,
  )!.event;

  test('persists across instances, written atomically', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'accountant.json');
      const first = await MemberAccountant.open(path, PRIVACY);
      assert.equal(first.rounds, 0);
      const nothing = first.spent().epsilon;
      await first.charge(event);
      await first.charge(event);
      const second = await MemberAccountant.open(path, PRIVACY);
      assert.equal(second.rounds, 2);
      assert.equal(second.spent().epsilon, first.spent().epsilon);
      assert.ok(second.spent().epsilon > nothing);
      const stored = JSON.parse(await readFile(path, 'utf8')) as { rounds: number };
      assert.equal(stored.rounds, 2);
      await assert.rejects(readFile(`${path}.tmp`), /ENOENT/);
    });
  });

  test('ε grows every round; the refusal comes exactly at the round that would exceed the budget, then the member stops', async () => {
    // What four rounds cost, by a scratch accountant at the budget's δ.
    const delta = 1e-5;
    const scratch = new PrivacyAccountant({ delta });
    const epsilons = [1, 2, 3, 4].map(() => scratch.compose(event).cumulativeEpsilon);
    for (let i = 1; i < 4; i++) assert.ok(epsilons[i]! > epsilons[i - 1]!);
    const budget = { epsilon: (epsilons[2]! + epsilons[3]!) / 2, delta };
    await withTempDir(async (dir) => {
      const pinned = distributed(budget);
      const open = () => MemberGuard.open({ pinned, identityKey: keys[0]!.publicKey, stateDir: dir });
      let guard = await open();
      for (let round = 1; round <= 3; round++) {
        const started = roundStarted(pinned, EIGHT, round);
        await guard.admit(started, 1);
        await guard.beforeMaskedInput(started.round_id);
        assert.ok(Math.abs(guard.spent().epsilon - epsilons[round - 1]!) < 1e-9);
        if (round === 2) guard = await open(); // a restart in between changes nothing
      }
      const fourth = roundStarted(pinned, EIGHT, 4);
      await assert.rejects(guard.admit(fourth, 1), (error: unknown) => {
        assert.ok(error instanceof MemberBudgetExhausted);
        assert.ok(Math.abs(error.epsilon - epsilons[3]!) < 1e-9);
        assert.equal(error.delta, delta);
        assert.deepEqual(error.budget, budget);
        return true;
      });
      assert.ok(guard.exhausted instanceof MemberBudgetExhausted);
      // A refused round is not recorded as taken part in, and nothing more was charged.
      const log = await readFile(join(dir, PARTICIPATION_LOG), 'utf8');
      assert.ok(!log.includes(Buffer.from(fourth.round_id).toString('hex')));
      assert.equal(
        (JSON.parse(await readFile(join(dir, ACCOUNTANT_STATE), 'utf8')) as { rounds: number }).rounds,
        3,
      );
      // Every later round is refused too, and a restarted member refuses it again.
      await assert.rejects(guard.admit(roundStarted(pinned, EIGHT, 5), 1), MemberBudgetExhausted);
      await assert.rejects((await open()).admit(roundStarted(pinned, EIGHT, 5), 1), MemberBudgetExhausted);
    });
  });

  test('a coordinator asking to resubmit the same round cannot average the noise away', async () => {
    await withTempDir(async (dir) => {
      const pinned = distributed();
      const guard = await MemberGuard.open({ pinned, identityKey: keys[0]!.publicKey, stateDir: dir });
      const started = roundStarted(pinned, EIGHT, 1);
      await guard.admit(started, 1);
      await guard.beforeMaskedInput(started.round_id);
      const charged = guard.spent().epsilon;
      // The same round again: refused at RoundStarted, and a second masked input refused outright.
      await assert.rejects(
        guard.admit(started, 1),
        (e: unknown) => e instanceof RepeatedRoundError && e.stage === 'joined',
      );
      await assert.rejects(
        guard.beforeMaskedInput(started.round_id),
        (e: unknown) => e instanceof RepeatedRoundError && e.stage === 'masked-input',
      );
      // After a restart too.
      const restarted = await MemberGuard.open({ pinned, identityKey: keys[0]!.publicKey, stateDir: dir });
      await assert.rejects(restarted.admit(started, 1), RepeatedRoundError);
      // The refused resubmission was not charged: one round, once.
      assert.equal(restarted.spent().epsilon, charged);
      // The same plan under a fresh round id is a new round and costs another round's ε.
      const next = roundStarted(pinned, EIGHT, 2, (s) => void (s.round_id = seedFromNumber(77)));
      await restarted.admit(next, 1);
      await restarted.beforeMaskedInput(next.round_id);
      assert.ok(restarted.spent().epsilon > charged);
    });
  });
});
