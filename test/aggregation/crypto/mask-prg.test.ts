import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';

import { generateAgreementKeyPair } from '../../../aggregation/crypto/key-agreement.js';
import {
  MASK_BLOCK_WORDS,
  aes256CtrPrg,
  chacha20Prg,
  maskPrgById,
  type MaskPrg,
} from '../../../aggregation/crypto/mask-prg.js';
import { randomBytes, seededRandom, seedFromNumber } from '../../../aggregation/crypto/random-source.js';
import { cryptoReady } from '../../../aggregation/crypto/sodium.js';
import { applyMask, pairwiseSeed, pairwiseSign, type SignedSeed } from '../../../aggregation/secagg/masks.js';
import { WordVector } from '../../../aggregation/vector/word-vector.js';

await cryptoReady();

/**
 * Reference keystream words straight from node:crypto, opened at word 0: AES-256-CTR with a zero
 * 16-byte IV, or ChaCha20 with OpenSSL's IV = LE block counter 0 ‖ zero 12-byte nonce, encrypting zeros
 * and read as little-endian uint32.
 */
function referenceWords(prg: MaskPrg, seed: Uint8Array, count: number): number[] {
  const algorithm = prg.id === 'aes256ctr' ? 'aes-256-ctr' : 'chacha20';
  const bytes = createCipheriv(algorithm, seed, new Uint8Array(16)).update(new Uint8Array(count * 4));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: count }, (_, i) => view.getUint32(4 * i, true));
}

/** Words read from a stream in pieces of the given sizes, copied out of each (reused) view. */
function readInPieces(prg: MaskPrg, seed: Uint8Array, start: number, sizes: readonly number[]): number[] {
  const stream = prg.open(seed, start);
  const out: number[] = [];
  for (const size of sizes) {
    const words = stream.next(size);
    assert.equal(words.length, size);
    out.push(...words);
  }
  return out;
}

const leWords = (hexString: string): number[] => {
  const bytes = Buffer.from(hexString, 'hex');
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readUInt32LE(4 * i));
};

const seedA = seedFromNumber(101);
const seedB = seedFromNumber(102);
const prgs = [aes256CtrPrg, chacha20Prg];

for (const prg of prgs) {
  describe(`mask PRG ${prg.id}`, () => {
    test('maskPrgById returns it', () => {
      assert.equal(maskPrgById(prg.id), prg);
    });

    test('is deterministic and seed-dependent', () => {
      const a = readInPieces(prg, seedA, 0, [1000]);
      assert.deepEqual(readInPieces(prg, Uint8Array.from(seedA), 0, [1000]), a);
      const b = readInPieces(prg, seedB, 0, [1000]);
      assert.notDeepEqual(a, b);
      assert.ok(a.some((w) => w !== 0));
    });

    test('matches the node:crypto keystream read as little-endian words', () => {
      const count = 3 * MASK_BLOCK_WORDS + 5;
      const sizes = [MASK_BLOCK_WORDS, 1, MASK_BLOCK_WORDS - 1, MASK_BLOCK_WORDS, 5];
      assert.deepEqual(readInPieces(prg, seedA, 0, sizes), referenceWords(prg, seedA, count));
    });

    test('is seekable: a stream opened at s yields words s.. of the stream opened at 0', () => {
      const sizes = [1, 3, 7, 2, 13, 33, 65, 4, 129, 31];
      const total = sizes.reduce((a, b) => a + b, 0);
      const starts = [0, 1, 3, 4, 5, 15, 16, 17, 1000, MASK_BLOCK_WORDS + 3];
      const reference = referenceWords(prg, seedA, MASK_BLOCK_WORDS + 3 + total);
      for (const start of starts) {
        assert.deepEqual(
          readInPieces(prg, seedA, start, sizes),
          reference.slice(start, start + total),
          `start ${start}`,
        );
      }
    });

    test('seeking far into the stream agrees with reading up to it', () => {
      const start = 5 * MASK_BLOCK_WORDS + 17;
      const reference = referenceWords(prg, seedB, start + 40);
      assert.deepEqual(readInPieces(prg, seedB, start, [9, 31]), reference.slice(start));
    });

    test('next(count) above MASK_BLOCK_WORDS throws; exactly MASK_BLOCK_WORDS is fine', () => {
      const stream = prg.open(seedA, 0);
      assert.equal(stream.next(MASK_BLOCK_WORDS).length, MASK_BLOCK_WORDS);
      assert.throws(() => stream.next(MASK_BLOCK_WORDS + 1), RangeError);
      assert.equal(stream.next(0).length, 0);
    });

    test('a seed that is not 32 bytes, or a bad start word, throws', () => {
      for (const length of [0, 16, 31, 33]) {
        assert.throws(() => prg.open(new Uint8Array(length), 0), RangeError, `seed length ${length}`);
      }
      for (const start of [-1, 1.5, NaN, 2 ** 53]) {
        assert.throws(() => prg.open(seedA, start), RangeError, `start ${start}`);
      }
    });
  });
}

describe('mask PRG known answers (published vectors)', () => {
  test('AES-256 of the zero block under the zero key starts the aes256ctr stream', () => {
    // AES-256(K = 0^256, P = 0^128) = dc95c078a2408989ad48a21492842087.
    const words = readInPieces(aes256CtrPrg, new Uint8Array(32), 0, [4]);
    assert.deepEqual(words, leWords('dc95c078a2408989ad48a21492842087'));
  });

  test('RFC 8439 A.1 test vector 1 (zero key, zero nonce, counter 0) starts the chacha20 stream', () => {
    const words = readInPieces(chacha20Prg, new Uint8Array(32), 0, [16]);
    const expected = leWords(
      '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7' +
        'da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586',
    );
    assert.deepEqual(words, expected);
  });

  test('ChaCha20 seeking uses the block counter: word 16 starts block 1', () => {
    const seed = seedFromNumber(5);
    const iv = new Uint8Array(16);
    iv[0] = 1; // little-endian block counter 1, zero nonce
    const bytes = createCipheriv('chacha20', seed, iv).update(new Uint8Array(64));
    assert.deepEqual(readInPieces(chacha20Prg, seed, 16, [16]), leWords(bytes.toString('hex')));
  });

  test('ChaCha20 refuses a start word beyond its 32-bit block counter', () => {
    const last = chacha20Prg.open(seedA, 2 ** 36 - 16).next(16);
    assert.equal(last.length, 16);
    assert.throws(() => chacha20Prg.open(seedA, 2 ** 36), RangeError);
  });

  test('AES-CTR seeking uses the big-endian 128-bit counter: word 4 starts block 1', () => {
    const seed = seedFromNumber(6);
    const iv = new Uint8Array(16);
    iv[15] = 1;
    const bytes = createCipheriv('aes-256-ctr', seed, iv).update(new Uint8Array(16));
    assert.deepEqual(readInPieces(aes256CtrPrg, seed, 4, [4]), leWords(bytes.toString('hex')));
  });
});

/** A uniformly random vector of d words from a seeded source. */
function randomWords(seed: number, d: number): Uint32Array {
  const bytes = randomBytes(seededRandom(seedFromNumber(seed)), d * 4);
  return new Uint32Array(bytes.buffer);
}

/**
 * part[i] ±= PRG(seed)[startWord + i], through applyMask's range form on a WordVector: the mask a
 * client or server applies to words startWord.. of a longer vector.
 */
function maskSlice(part: Uint32Array, startWord: number, mask: SignedSeed, prg: MaskPrg): void {
  const vector = WordVector.zeros(startWord + part.length);
  vector.words.set(part, startWord);
  applyMask(vector, startWord, startWord + part.length, mask, prg);
  part.set(vector.words.subarray(startWord));
}

describe('applyMask', () => {
  const d = 40_000; // not a multiple of MASK_BLOCK_WORDS
  for (const prg of prgs) {
    test(`${prg.id}: adding then removing a mask restores the vector exactly`, () => {
      const x = randomWords(1, d);
      const y = Uint32Array.from(x);
      maskSlice(y, 0, { seed: seedA, sign: 1 }, prg);
      assert.notDeepEqual(y, x);
      maskSlice(y, 0, { seed: seedA, sign: -1 }, prg);
      assert.deepEqual(y, x);
    });

    test(`${prg.id}: on zeros, +1 gives the PRG words and -1 their negation mod 2^32`, () => {
      const reference = referenceWords(prg, seedB, d);
      const plus = new Uint32Array(d);
      maskSlice(plus, 0, { seed: seedB, sign: 1 }, prg);
      assert.deepEqual([...plus], reference);
      const minus = new Uint32Array(d);
      maskSlice(minus, 0, { seed: seedB, sign: -1 }, prg);
      assert.deepEqual(
        [...minus],
        reference.map((w) => (2 ** 32 - w) % 2 ** 32),
      );
    });

    test(`${prg.id}: a mask applied at startWord equals that slice of a full application`, () => {
      const x = randomWords(2, d);
      const full = Uint32Array.from(x);
      maskSlice(full, 0, { seed: seedA, sign: 1 }, prg);
      for (const [start, length] of [
        [0, 1],
        [1, MASK_BLOCK_WORDS + 2],
        [12_345, 10_000],
        [MASK_BLOCK_WORDS - 1, 3],
        [d - 7, 7],
      ] as const) {
        const part = x.slice(start, start + length);
        maskSlice(part, start, { seed: seedA, sign: 1 }, prg);
        assert.deepEqual(part, full.slice(start, start + length), `start ${start}, length ${length}`);
      }
    });
  }
});

describe('pairwise masks', () => {
  const random = seededRandom(seedFromNumber(77));
  const keys = [
    generateAgreementKeyPair(random),
    generateAgreementKeyPair(random),
    generateAgreementKeyPair(random),
  ];
  const ids = [3, 11, 7];
  const session = new Uint8Array(32).fill(1);
  const seedOf = (i: number, j: number, sessionId = session): Uint8Array | null =>
    pairwiseSeed(sessionId, keys[i]!.secretKey, keys[j]!.publicKey, ids[i]!, ids[j]!);

  test('pairwiseSeed is the same from both ends', () => {
    for (const [i, j] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      const ij = seedOf(i, j);
      assert.ok(ij !== null);
      assert.equal(ij.length, 32);
      assert.deepEqual(seedOf(j, i), ij);
    }
  });

  test('pairwiseSeed differs by session and by pair', () => {
    const base = seedOf(0, 1)!;
    const otherSession = new Uint8Array(32).fill(2);
    assert.notDeepEqual(seedOf(0, 1, otherSession), base);
    assert.notDeepEqual(seedOf(0, 2), base);
    assert.notDeepEqual(seedOf(1, 2), base);
    // Same keys, different claimed ids: the ids are bound into the seed.
    const relabelled = pairwiseSeed(session, keys[0]!.secretKey, keys[1]!.publicKey, 3, 12);
    assert.notDeepEqual(relabelled, base);
  });

  test('pairwiseSeed is null for a low-order peer key', () => {
    assert.equal(pairwiseSeed(session, keys[0]!.secretKey, new Uint8Array(32), 3, 11), null);
  });

  test('pairwiseSign is antisymmetric', () => {
    for (const [a, b] of [
      [1, 2],
      [2, 1],
      [0, 100],
      [7, 3],
      [2 ** 31, 5],
    ] as const) {
      assert.equal(pairwiseSign(a, b), -pairwiseSign(b, a), `${a}, ${b}`);
      assert.ok(pairwiseSign(a, b) === 1 || pairwiseSign(a, b) === -1);
    }
  });

  for (const prg of prgs) {
    test(`${prg.id}: the two masks of a pair cancel`, () => {
      const d = 20_003;
      const x = randomWords(3, d);
      const y = Uint32Array.from(x);
      maskSlice(y, 0, { seed: seedOf(0, 1)!, sign: pairwiseSign(ids[0]!, ids[1]!) }, prg);
      assert.notDeepEqual(y, x);
      maskSlice(y, 0, { seed: seedOf(1, 0)!, sign: pairwiseSign(ids[1]!, ids[0]!) }, prg);
      assert.deepEqual(y, x);
    });

    test(`${prg.id}: the sum of three pairwise-masked inputs is the sum of the inputs`, () => {
      const d = 1_000;
      const inputs = [0, 1, 2].map((i) => randomWords(10 + i, d));
      const sum = new Uint32Array(d);
      const expected = new Uint32Array(d);
      for (let i = 0; i < 3; i++) {
        const masked = Uint32Array.from(inputs[i]!);
        for (let j = 0; j < 3; j++) {
          if (j === i) continue;
          maskSlice(masked, 0, { seed: seedOf(i, j)!, sign: pairwiseSign(ids[i]!, ids[j]!) }, prg);
        }
        assert.notDeepEqual(masked, inputs[i]);
        for (let w = 0; w < d; w++) {
          sum[w] = sum[w]! + masked[w]!;
          expected[w] = expected[w]! + inputs[i]![w]!;
        }
      }
      assert.deepEqual(sum, expected);
    });
  }
});
