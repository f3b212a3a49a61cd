import assert from 'node:assert/strict';
import { test } from 'node:test';

import { seededRandom, seedFromNumber } from '../../../aggregation/crypto/random-source.js';
import { SHARE_BYTES, ShareCombiner, splitSecret } from '../../../aggregation/crypto/shamir.js';
import {
  rebuildChecked,
  type HeldShare,
  type RebuildMemo,
} from '../../../aggregation/secagg/server/rebuild.js';
import { randomBytesOf } from './helpers.js';

const THRESHOLD = 4;
const SECRET = randomBytesOf(1, 32);
const isRight = (candidate: Uint8Array): boolean =>
  candidate.length === SECRET.length && candidate.every((b, i) => b === SECRET[i]);

/** Eight holders (ids 101…108) with shares at x = 1…8; `wrong` holders' shares are replaced. */
function shares(wrong: readonly number[]): HeldShare[] {
  const values = splitSecret(SECRET, THRESHOLD, 8, seededRandom(seedFromNumber(2)));
  return values.map((value, i) => {
    const holder = 101 + i;
    if (!wrong.includes(holder)) return { holder, x: i + 1, value };
    const forged = randomBytesOf(50 + i, SHARE_BYTES);
    forged[0] = 0;
    return { holder, x: i + 1, value: forged };
  });
}

const none = (): boolean => false;

test('honest shares: the first t rebuild the secret and nobody is blamed', () => {
  const rebuilt = rebuildChecked(new ShareCombiner(), shares([]), THRESHOLD, isRight, none);
  assert.deepEqual(rebuilt, { secret: SECRET, inconsistent: [] });
});

test('fewer than t shares: nothing to try', () => {
  assert.equal(
    rebuildChecked(new ShareCombiner(), shares([]).slice(0, 3), THRESHOLD, isRight, none),
    undefined,
  );
});

test('one wrong share among the first t: left out with a spare, and blamed', () => {
  const rebuilt = rebuildChecked(new ShareCombiner(), shares([102]).slice(0, 5), THRESHOLD, isRight, none);
  assert.deepEqual(rebuilt, { secret: SECRET, inconsistent: [102] });
});

test('one wrong share and no spare: undefined, so the caller waits', () => {
  assert.equal(
    rebuildChecked(new ShareCombiner(), shares([102]).slice(0, 4), THRESHOLD, isRight, none),
    undefined,
  );
});

test('two wrong shares: leave-two-out finds the secret and blames both', () => {
  const rebuilt = rebuildChecked(
    new ShareCombiner(),
    shares([101, 103]).slice(0, 6),
    THRESHOLD,
    isRight,
    none,
  );
  assert.deepEqual(rebuilt && { secret: rebuilt.secret, inconsistent: [...rebuilt.inconsistent].sort() }, {
    secret: SECRET,
    inconsistent: [101, 103],
  });
});

test('three wrong shares in the window fail, are not retried unchanged, and succeed once a liar is known', () => {
  const all = shares([101, 102, 103]);
  const memo: RebuildMemo = {};
  assert.equal(rebuildChecked(new ShareCombiner(), all, THRESHOLD, isRight, none, memo), undefined);
  assert.equal(memo.failedWindow, '101,102,103,104,105,106');
  // Same window: not tried again (a wrong isRight would be called otherwise).
  const never = (): boolean => assert.fail('the failed window was tried again');
  assert.equal(rebuildChecked(new ShareCombiner(), all, THRESHOLD, never, none, memo), undefined);
  // 101 caught lying elsewhere: its share goes last, the window changes, and the secret is found.
  const rebuilt = rebuildChecked(new ShareCombiner(), all, THRESHOLD, isRight, (h) => h === 101, memo);
  assert.ok(rebuilt !== undefined);
  assert.deepEqual(rebuilt.secret, SECRET);
  assert.deepEqual([...rebuilt.inconsistent].sort(), [101, 102, 103]);
});
