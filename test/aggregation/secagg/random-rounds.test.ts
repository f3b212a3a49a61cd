import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { chacha20Prg, aes256CtrPrg } from '../../../aggregation/crypto/mask-prg.js';
import {
  seededRandom,
  seedFromNumber,
  type RandomSource,
} from '../../../aggregation/crypto/random-source.js';
import { signingKeyPairFromSeed, type SigningKeyPair } from '../../../aggregation/crypto/signature.js';
import { cryptoReady } from '../../../aggregation/crypto/sodium.js';
import {
  AbortReason,
  deriveParameters,
  runLocalRound,
  validateParameters,
  type ClientId,
  type DropPoint,
  type SecAggParameters,
} from '../../../aggregation/secagg/index.js';
import { addInto } from '../../../aggregation/vector/words.js';

/**
 * The unmasked sum equals the plain sum of the survivors' inputs exactly, over seeded random client
 * counts, dimensions, chunk sizes, parameters (derived or hand-picked) and dropout schedules that hit
 * every phase, silent or disconnecting. Each case is its own test so a failure names its seed.
 */
await cryptoReady();

const CASES = 1000;
const DROP_POINTS: DropPoint[] = [
  'advertise-keys',
  'graph-nonce',
  'share-keys',
  'share-check',
  'masked-input',
  'masked-input-partial',
  'consistency-check',
  'unmasking',
];
const BEFORE_INPUT = new Set<DropPoint>([
  'advertise-keys',
  'graph-nonce',
  'share-keys',
  'share-check',
  'masked-input',
  'masked-input-partial',
]);
/** Honest clients abort only when the round is short of neighbours for them. */
const LEGITIMATE_CLIENT_ABORT = /neighbours shared keys|roster has \d+ clients|server aborted/;

const identities = new Map<ClientId, SigningKeyPair>();
for (let id = 1; id <= 16; id++) identities.set(id, signingKeyPairFromSeed(seedFromNumber(5000 + id)));

function int(random: RandomSource, lo: number, hi: number): number {
  const word = new Uint32Array(1);
  random.fill(new Uint8Array(word.buffer));
  return lo + (word[0]! % (hi - lo + 1));
}

function parametersFor(random: RandomSource, n: number): SecAggParameters {
  if (int(random, 0, 1) === 0) {
    const dropoutRate = [0, 0.1, 0.2, 0.3][int(random, 0, 3)]!;
    const corruptFraction = [0, 0, 0.1][int(random, 0, 2)]!;
    try {
      return deriveParameters({ clients: n, dropoutRate, corruptFraction });
    } catch {
      // Infeasible threat model for this n: fall through to hand-picked parameters.
    }
  }
  const degrees = [n - 1];
  for (let k = 2; k < n - 1; k += 2) degrees.push(k);
  const degree = degrees[int(random, 0, degrees.length - 1)]!;
  const threshold = int(random, Math.floor(degree / 2) + 1, degree);
  const parameters = { clients: n, degree, threshold };
  validateParameters(parameters);
  return parameters;
}

function inputOf(caseSeed: number, id: ClientId, dimension: number): Uint32Array {
  const words = new Uint32Array(dimension);
  seededRandom(seedFromNumber(caseSeed * 1000 + id)).fill(new Uint8Array(words.buffer));
  return words;
}

const completedWithDropAt = new Map<DropPoint, number>(DROP_POINTS.map((p) => [p, 0]));
let completed = 0;

for (let block = 0; block < CASES / 100; block++) {
  describe(`random rounds ${block * 100}–${block * 100 + 99}`, () => {
    for (let c = block * 100; c < block * 100 + 100; c++) {
      test(`case seed ${c}`, () => {
        const random = seededRandom(seedFromNumber(c));
        const n = int(random, 3, 14);
        const dimension = int(random, 0, 4) === 0 ? int(random, 1, 3000) : int(random, 1, 40);
        const chunkWords = int(random, 1, dimension);
        const parameters = parametersFor(random, n);
        const ids = Array.from({ length: n }, (_, i) => i + 1);
        const dropPercent = int(random, 0, 40);
        const drops = new Map<ClientId, { at: DropPoint; disconnect: boolean }>();
        for (const id of ids) {
          if (int(random, 0, 99) >= dropPercent) continue;
          drops.set(id, {
            at: DROP_POINTS[int(random, 0, DROP_POINTS.length - 1)]!,
            disconnect: int(random, 0, 1) === 1,
          });
        }

        const report = runLocalRound({
          sessionId: seedFromNumber(1e9 + c),
          parameters,
          dimension,
          clients: ids,
          identities,
          input: (id) => inputOf(c, id, dimension),
          random,
          prg: c % 2 === 0 ? chacha20Prg : aes256CtrPrg,
          chunkWords,
          drops,
        });

        for (const [id, reason] of report.clientAborts) {
          assert.match(reason, LEGITIMATE_CLIENT_ABORT, `client ${id} aborted: ${reason}`);
        }
        if (drops.size === 0)
          assert.ok(report.result, `no drops, yet aborted: ${report.abortError?.message}`);
        if (report.result === undefined) {
          assert.ok(report.abortError, 'neither a result nor an abort');
          assert.ok(
            [AbortReason.TooFewClients, AbortReason.TooFewShares].includes(report.abortError.reason),
            report.abortError.message,
          );
          return;
        }
        const expectedSurvivors = ids.filter((id) => {
          const drop = drops.get(id);
          return !(drop && BEFORE_INPUT.has(drop.at)) && !report.clientAborts.has(id);
        });
        assert.deepEqual(report.result.survivors, expectedSurvivors);
        const expected = new Uint32Array(dimension);
        for (const id of expectedSurvivors) addInto(expected, inputOf(c, id, dimension), 0);
        assert.deepEqual(report.result.sum, expected);

        completed++;
        for (const drop of new Set([...drops.values()].map((d) => d.at))) {
          completedWithDropAt.set(drop, completedWithDropAt.get(drop)! + 1);
        }
      });
    }
  });
}

after(() => {
  // The suite means something only if dropouts at every phase were survived many times over.
  assert.ok(completed >= CASES / 2, `only ${completed} of ${CASES} rounds completed`);
  for (const [point, count] of completedWithDropAt) {
    assert.ok(count >= 50, `only ${count} completed rounds had a drop at ${point}`);
  }
});
