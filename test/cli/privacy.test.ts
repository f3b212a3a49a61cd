import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../cli/args.js';
import { runPrivacy, type PrivacyOptions } from '../../cli/privacy.js';

const MNIST: PrivacyOptions = { samplingRate: 256 / 60000, noiseMultiplier: 1.1, steps: 14063, delta: 1e-5 };

test('cohort privacy: the published DP-SGD values, tight by default and classic on request', () => {
  const tight = runPrivacy(MNIST);
  assert.equal(tight.epsilon.toFixed(3), '2.597');
  assert.equal(tight.order, 8);
  assert.equal(tight.delta, 1e-5);
  assert.equal(tight.conversion, 'tight');
  assert.match(tight.summary, /14063 steps .* \(2\.597, 1e-5\)-DP \(tight RDP conversion, order 8\)/);
  const classic = runPrivacy({ ...MNIST, conversion: 'classic' });
  assert.equal(classic.epsilon.toFixed(3), '3.009');
  assert.equal(classic.order, 9);
});

test('cohort privacy: each bad option is a usage error naming its flag and value', () => {
  const cases: [Partial<PrivacyOptions>, RegExp][] = [
    [{ samplingRate: 2 }, /^--sampling-rate: expected a number in \(0, 1\], got 2$/],
    [{ samplingRate: 0 }, /^--sampling-rate: .* got 0$/],
    [{ samplingRate: NaN }, /^--sampling-rate: .* got NaN$/],
    [{ noiseMultiplier: 0 }, /^--noise-multiplier: expected a finite number > 0, got 0$/],
    [{ steps: 2.5 }, /^--steps: expected a positive integer, got 2\.5$/],
    [{ steps: 0 }, /^--steps: .* got 0$/],
    [{ delta: 1 }, /^--delta: expected a number in \(0, 1\), got 1$/],
    [{ conversion: 'loose' as 'tight' }, /^--conversion: expected tight or classic, got loose$/],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => runPrivacy({ ...MNIST, ...change }),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      JSON.stringify(change),
    );
  }
});
