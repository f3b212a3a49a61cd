import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  deriveParameters,
  InvalidArgumentError,
  privacyFailure,
  roundParameters,
} from '../../../aggregation/index.js';

describe('roundParameters: what a member derives from its pinned threat model', () => {
  test('counts every corrupt member of the federation in the round, not a fraction of the round', () => {
    const p = roundParameters({ federationSize: 1000, corruptFraction: 0.05, dropoutRate: 0.1 }, 500);
    assert.equal(p.corruptClients, 50);
    const byRoundShare = deriveParameters({ clients: 500, dropoutRate: 0.1, corruptFraction: 0.05 });
    assert.ok(
      p.threshold > byRoundShare.threshold,
      'a coordinator that puts all 50 colluders into a 500-member round must face a larger t',
    );
    assert.ok(privacyFailure(500, 50, p.degree, p.threshold) <= -40);
    assert.ok(privacyFailure(500, 50, byRoundShare.degree, byRoundShare.threshold) > -40);
  });

  test('equals the published parameters when the round is the whole federation', () => {
    for (const [n, gamma, k, t] of [
      [500, 0, 32, 17],
      [500, 0.05, 90, 57],
      [1000, 0, 36, 19],
    ] as const) {
      const p = roundParameters({ federationSize: n, corruptFraction: gamma, dropoutRate: 0.1 }, n);
      assert.deepEqual([p.degree, p.threshold], [k, t], `n=${n}, γ=${gamma}`);
    }
  });

  test('the minimum roster is the smallest that still meets the bound, and one fewer does not', () => {
    for (const [N, gamma, n] of [
      [500, 0.05, 500],
      [1000, 0.05, 500],
      [20, 0.1, 10],
      [60, 0.1, 40],
    ] as const) {
      const p = roundParameters({ federationSize: N, corruptFraction: gamma, dropoutRate: 0.1 }, n);
      assert.ok(p.minimumRoster > p.threshold, 'a roster must leave t neighbours');
      assert.ok(privacyFailure(p.minimumRoster, p.corruptClients, p.degree, p.threshold) <= -40);
      if (p.minimumRoster > p.threshold + 1)
        assert.ok(privacyFailure(p.minimumRoster - 1, p.corruptClients, p.degree, p.threshold) > -40);
      for (let r = p.minimumRoster; r <= n; r++)
        assert.ok(privacyFailure(r, p.corruptClients, p.degree, p.threshold) <= -40, `roster ${r}`);
    }
  });

  test('a roster of the member plus t colluders — the short-roster attack — is below the minimum', () => {
    const p = roundParameters({ federationSize: 20, corruptFraction: 0.1, dropoutRate: 0.1 }, 10);
    assert.equal(p.corruptClients, 2);
    // With every other roster member corrupt, t of them would hold t shares of each secret.
    assert.ok(p.minimumRoster > p.corruptClients + 1);
  });

  test('explicit k and t are checked against the bound, never taken on trust', () => {
    const model = { federationSize: 10, corruptFraction: 0.2, dropoutRate: 0, degree: 9, threshold: 2 };
    assert.throws(() => roundParameters(model, 10), InvalidArgumentError);
    const safe = roundParameters({ ...model, threshold: 7 }, 10);
    assert.deepEqual([safe.degree, safe.threshold], [9, 7]);
    assert.throws(
      () => roundParameters({ federationSize: 10, corruptFraction: 0, dropoutRate: 0, degree: 4 }, 10),
      /give both degree and threshold/,
    );
  });

  test('refuses a round larger than the federation or too small, naming the field', () => {
    const model = { federationSize: 8, corruptFraction: 0, dropoutRate: 0.1 };
    assert.throws(() => roundParameters(model, 9), /participants/);
    assert.throws(() => roundParameters(model, 2), /participants/);
    assert.throws(() => roundParameters({ ...model, federationSize: 2 }, 2), /federationSize/);
    assert.throws(() => roundParameters({ ...model, corruptFraction: 1 }, 5), /corruptFraction/);
  });
});
