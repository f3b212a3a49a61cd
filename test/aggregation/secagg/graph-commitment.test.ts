import assert from 'node:assert/strict';
import { test } from 'node:test';

import { digest } from '../../../aggregation/crypto/kdf.js';
import { seededRandom, seedFromNumber } from '../../../aggregation/crypto/random-source.js';
import { cryptoReady } from '../../../aggregation/crypto/sodium.js';
import {
  drawGraphNonceChain,
  GRAPH_ATTEMPTS,
  opensCommitment,
  previousLink,
} from '../../../aggregation/secagg/graph-commitment.js';
import { randomBytesOf } from './helpers.js';

await cryptoReady();

test('the fast chain link is the purpose-separated digest, for any nonce', () => {
  for (const length of [32, 31, 0]) {
    const nonce = randomBytesOf(length + 1, length);
    assert.deepEqual(previousLink(nonce), digest('cohort/secagg/graph-nonce-chain/v1', nonce));
  }
});

test('each attempt’s nonce opens the commitment for that attempt only', () => {
  const chain = drawGraphNonceChain(seededRandom(seedFromNumber(1)));
  const nonces = Array.from({ length: GRAPH_ATTEMPTS }, (_, i) => chain.nonce(i + 1));
  assert.equal(new Set(nonces.map((n) => Buffer.from(n).toString('hex'))).size, GRAPH_ATTEMPTS);
  for (let a = 1; a <= GRAPH_ATTEMPTS; a++) {
    for (let b = 1; b <= GRAPH_ATTEMPTS; b++)
      assert.equal(
        opensCommitment(nonces[a - 1]!, b, chain.commitment),
        a === b,
        `nonce ${a} at attempt ${b}`,
      );
    // Revealing attempt a's nonce gives away the earlier links (hash forward), never the later ones.
    if (a > 1) assert.deepEqual(previousLink(nonces[a - 1]!), nonces[a - 2]);
  }
  assert.deepEqual(previousLink(nonces[0]!), chain.commitment);
  assert.throws(() => chain.nonce(0), RangeError);
  assert.throws(() => chain.nonce(GRAPH_ATTEMPTS + 1), RangeError);
});

test('malformed nonces, commitments and attempts never open', () => {
  const chain = drawGraphNonceChain(seededRandom(seedFromNumber(2)));
  const other = drawGraphNonceChain(seededRandom(seedFromNumber(3)));
  assert.equal(opensCommitment(other.nonce(1), 1, chain.commitment), false);
  assert.equal(opensCommitment(chain.nonce(1).subarray(1), 1, chain.commitment), false);
  assert.equal(opensCommitment(chain.nonce(1), 1, chain.commitment.subarray(1)), false);
  assert.equal(opensCommitment(chain.commitment, 0, chain.commitment), false);
  assert.equal(opensCommitment(chain.nonce(1), GRAPH_ATTEMPTS + 1, chain.commitment), false);
});
