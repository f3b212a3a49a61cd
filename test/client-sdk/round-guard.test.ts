import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cryptoReady } from '../../aggregation/index.js';
import { roundParameters } from '../../aggregation/secagg/pinned-parameters.js';
import { checkPlainRound, checkSecureRound, RoundRefusal } from '../../client-sdk/round-guard.js';
import { roundPlanDigest } from '../../proto/round-plan.js';
import { identities, manifest, roundStarted } from './guard-fixtures.js';

await cryptoReady();

const keys = identities();
const pinned = manifest(keys);
const EIGHT = [1, 2, 3, 4, 5, 6, 7, 8];

function refusal(fn: () => unknown, field: string, detail?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RoundRefusal, `expected RoundRefusal, got ${String(error)}`);
    assert.equal(error.field, field);
    if (detail !== undefined) assert.match(error.detail, detail);
    return true;
  });
}

describe('checkSecureRound', () => {
  test('an honest plan: k, t, minimum roster and C from the manifest; digest over the manifest hash', () => {
    const started = roundStarted(pinned, EIGHT, 1);
    const round = checkSecureRound(pinned, 3, started);
    const expected = roundParameters(
      { federationSize: 10, corruptFraction: 0.1, dropoutRate: 0.05, correctnessBits: 10 },
      8,
    );
    assert.deepEqual(round.parameters, {
      clients: 8,
      degree: expected.degree,
      threshold: expected.threshold,
    });
    assert.equal(round.minimumRoster, expected.minimumRoster);
    assert.equal(round.corruptClients, 1);
    assert.ok(round.minimumRoster < 8);
    assert.deepEqual(round.planDigest, roundPlanDigest(pinned.sha256, started));
    // Another manifest hash, another digest: members pinning different manifests cannot verify each other.
    const other = manifest(keys, (m) => void (m.federation = 'other'));
    assert.notDeepEqual(
      checkSecureRound(other, 3, roundStarted(other, EIGHT, 1)).planDigest,
      round.planDigest,
    );
  });

  test('participants out of order or repeated', () => {
    refusal(
      () => checkSecureRound(pinned, 3, roundStarted(pinned, [2, 1, 3, 4, 5, 6, 7, 8], 1)),
      'participants',
      /ascending/,
    );
    refusal(
      () => checkSecureRound(pinned, 3, roundStarted(pinned, [1, 2, 3, 3, 5, 6, 7, 8], 1)),
      'participants',
      /\(3, 3\)/,
    );
  });

  test('a participant the manifest does not name (a Sybil) is refused', () => {
    refusal(
      () => checkSecureRound(pinned, 3, roundStarted(pinned, [1, 2, 3, 4, 5, 6, 7, 11], 1)),
      'participants',
      /member 11 is not in the manifest/,
    );
  });

  test('a round that does not include the member itself', () => {
    refusal(
      () => checkSecureRound(pinned, 9, roundStarted(pinned, EIGHT, 1)),
      'participants',
      /this member \(9\)/,
    );
  });

  test('fewer participants than minimumClients, or than bucketSize in secure+robust mode', () => {
    const seven = [1, 2, 3, 4, 5, 6, 7];
    const small = roundStarted(pinned, EIGHT, 1, (s) => void (s.secagg!.participants = seven));
    refusal(
      () => checkSecureRound(pinned, 3, small),
      'participants',
      /7 participants; .* at least 8 \(minimumClients\)/,
    );
    const bucketed = manifest(keys, (m) => {
      m.aggregation.mode = 'secure+robust';
      m.threatModel.minimumClients = 3;
      m.threatModel.bucketSize = 9;
    });
    refusal(
      () => checkSecureRound(bucketed, 3, roundStarted(bucketed, EIGHT, 1)),
      'participants',
      /at least 9 \(bucketSize\)/,
    );
    assert.equal(
      checkSecureRound(bucketed, 3, roundStarted(bucketed, [...EIGHT, 9], 1)).parameters.clients,
      9,
    );
  });

  test('k or t other than the manifest derives for this many participants', () => {
    const honest = roundStarted(pinned, EIGHT, 1);
    const k = honest.secagg!.degree;
    const t = honest.secagg!.threshold;
    refusal(
      () =>
        checkSecureRound(
          pinned,
          3,
          roundStarted(pinned, EIGHT, 1, (s) => void (s.secagg!.threshold = t - 1)),
        ),
      'threshold',
      new RegExp(`t=${t - 1}; the manifest gives t=${t}`),
    );
    refusal(
      () =>
        checkSecureRound(
          pinned,
          3,
          roundStarted(pinned, EIGHT, 1, (s) => void (s.secagg!.degree = k - 1)),
        ),
      'degree',
      new RegExp(`k=${k - 1}; the manifest gives k=${k}`),
    );
    // A coordinator cannot pick the parameters of a larger round for a smaller one either.
    const nine = roundStarted(pinned, [...EIGHT, 9], 1);
    const shrunk = roundStarted(pinned, EIGHT, 1, (s) => {
      s.secagg!.degree = nine.secagg!.degree;
      s.secagg!.threshold = nine.secagg!.threshold + 1;
    });
    assert.throws(() => checkSecureRound(pinned, 3, shrunk), RoundRefusal);
  });

  test('a threat model that admits no parameters for this round size is a refusal, not a crash', () => {
    const tiny = manifest(keys, (m) => void (m.threatModel.minimumClients = 3));
    const started = roundStarted(pinned, EIGHT, 1, (s) => void (s.secagg!.participants = [1, 2, 3, 4, 5, 6]));
    refusal(() => checkSecureRound(tiny, 3, started), 'threatModel', /no secure-aggregation parameters/);
  });

  test('a model spec other than the pinned one', () => {
    const started = roundStarted(
      pinned,
      EIGHT,
      1,
      (s) => void (s.model_spec_json = '{"kind":"logistic-regression","features":14}'),
    );
    refusal(
      () => checkSecureRound(pinned, 3, started),
      'model_spec_json',
      new RegExp(pinned.manifest.modelSpecSha256),
    );
  });

  test('a secure round in a federation pinned to robust mode', () => {
    const robust = manifest(keys, (m) => void (m.aggregation.mode = 'robust'));
    refusal(() => checkSecureRound(robust, 3, roundStarted(robust, EIGHT, 1)), 'aggregation.mode');
  });

  test('noise: an unknown mechanism or a nonsensical variance is refused; noise the manifest does not ask for is not', () => {
    const withNoise = (mechanism: string, variance: number) =>
      roundStarted(pinned, EIGHT, 1, (s) => void (s.noise = { mechanism, variance }));
    refusal(() => checkSecureRound(pinned, 3, withNoise('NOISE_MECHANISM_GAUSSIAN', 1)), 'noise.mechanism');
    refusal(() => checkSecureRound(pinned, 3, withNoise('NOISE_MECHANISM_SKELLAM', NaN)), 'noise.variance');
    refusal(() => checkSecureRound(pinned, 3, withNoise('NOISE_MECHANISM_SKELLAM', -1)), 'noise.variance');
    assert.equal(checkSecureRound(pinned, 3, withNoise('NOISE_MECHANISM_SKELLAM', 5)).parameters.clients, 8);
  });
});

describe('checkPlainRound', () => {
  const plain = (p: typeof pinned) =>
    roundStarted(p, EIGHT, 1, (s) => {
      s.secagg = null;
      s.plain = { dimension: 14, max_chunk_values: 1_000 };
    });

  test('a plaintext update only when the manifest pins robust mode', () => {
    refusal(() => checkPlainRound(pinned, plain(pinned)), 'aggregation.mode', /pins secure mode/);
    const bucketed = manifest(keys, (m) => void (m.aggregation.mode = 'secure+robust'));
    refusal(() => checkPlainRound(bucketed, plain(bucketed)), 'aggregation.mode', /pins secure\+robust mode/);
    const robust = manifest(keys, (m) => void (m.aggregation.mode = 'robust'));
    checkPlainRound(robust, plain(robust));
    const other = roundStarted(robust, EIGHT, 1, (s) => {
      s.secagg = null;
      s.model_spec_json = '{}';
    });
    refusal(() => checkPlainRound(robust, other), 'model_spec_json');
  });
});
