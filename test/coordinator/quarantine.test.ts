import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Quarantine } from '../../coordinator/quarantine.js';

test('a culprit of round r sits out rounds r+1 … r+q and is selectable again at r+q+1', () => {
  const q = new Quarantine(3);
  q.add(5, new Map([[2, 'BadShareCiphertexts']]));
  assert.equal(q.allows(2, 5), false);
  for (const r of [6, 7, 8]) assert.equal(q.allows(2, r), false, `round ${r}`);
  assert.equal(q.allows(2, 9), true);
  assert.equal(q.allows(1, 6), true, 'other members are unaffected');
});

test('the state survives a restart and drops records that have expired', () => {
  const q = new Quarantine(2);
  q.add(1, new Map([[4, 'WrongUnmaskShares']]));
  q.add(3, new Map([[7, 'MalformedUnmaskShare']]));
  const saved = JSON.parse(JSON.stringify(q.state(3))) as ReturnType<Quarantine['state']>;
  assert.deepEqual(Object.keys(saved), ['7'], 'member 4 was free again after round 3');
  const resumed = new Quarantine(2, saved);
  assert.equal(resumed.allows(7, 5), false);
  assert.equal(resumed.allows(7, 6), true);
  assert.equal(resumed.allows(4, 4), true);
});

test('zero quarantine rounds records nothing; a negative count is refused', () => {
  const q = new Quarantine(0);
  assert.deepEqual(q.add(1, new Map([[1, 'x']])), []);
  assert.equal(q.allows(1, 2), true);
  assert.throws(() => new Quarantine(-1), /need an integer >= 0/);
});
