import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { seal } from '../../../aggregation/crypto/aead.js';
import { agree, generateAgreementKeyPair } from '../../../aggregation/crypto/key-agreement.js';
import { chacha20Prg } from '../../../aggregation/crypto/mask-prg.js';
import { seededRandom, seedFromNumber } from '../../../aggregation/crypto/random-source.js';
import { SHARE_BYTES } from '../../../aggregation/crypto/shamir.js';
import { cryptoReady } from '../../../aggregation/crypto/sodium.js';
import { shareKey } from '../../../aggregation/secagg/client/r1-share-keys.js';
import {
  AbortReason,
  CulpritReason,
  DropReason,
  GRAPH_ATTEMPTS,
  deriveParameters,
  runLocalRound,
  type ClientId,
  type ClientMessage,
  type LocalRoundOptions,
  type LocalRoundReport,
  type RevealedShare,
  type UnmaskResponse,
} from '../../../aggregation/secagg/index.js';
import { shareAssociatedData } from '../../../aggregation/secagg/transcript.js';
import { identityOf, plainSum, randomBytesOf, randomWords, sessionIdOf } from './helpers.js';

/**
 * Malicious members against an honest server, through the real in-memory driver: each scripted
 * attack costs the attacker (and at most the edges it spoiled), never the round. Every test checks the
 * exact sum of the survivors' inputs, that the rule names the attacker when it should, and that no
 * honest member is ever named or made to abort.
 */
await cryptoReady();

// Ten members; 20% dropout, 10% corrupt: degree 8, threshold 5. C = 0, so two accusers name a culprit.
const IDS: readonly ClientId[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const PARAMETERS = deriveParameters({ clients: 10, dropoutRate: 0.2, corruptFraction: 0.1 });
const DIMENSION = 12;
const identities = new Map(IDS.map((id) => [id, identityOf(id)]));
const inputOf = (id: ClientId): Uint32Array => randomWords(60_000 + id, DIMENSION);
const without = (...ids: ClientId[]): ClientId[] => IDS.filter((id) => !ids.includes(id));

let nextTag = 0;
function round(options: Partial<LocalRoundOptions> = {}): LocalRoundReport & { sessionId: Uint8Array } {
  const tag = nextTag++;
  const sessionId = sessionIdOf(900 + tag);
  const report = runLocalRound({
    sessionId,
    parameters: PARAMETERS,
    dimension: DIMENSION,
    clients: IDS,
    identities,
    input: inputOf,
    random: seededRandom(seedFromNumber(80_000 + tag)),
    prg: chacha20Prg,
    chunkWords: 5,
    ...options,
  });
  return { ...report, sessionId };
}

/** The round completed with exactly `survivors`, their exact sum, and no honest member aborted or named. */
function assertExactSum(
  report: LocalRoundReport,
  survivors: readonly ClientId[],
  attackers: readonly ClientId[],
): void {
  assert.ok(report.result !== undefined, `round aborted: ${report.abortError?.message}`);
  assert.deepEqual(report.result.survivors, survivors);
  assert.deepEqual(
    report.result.sum,
    plainSum(
      survivors.map((id) => inputOf(id)),
      DIMENSION,
    ),
  );
  for (const id of without(...attackers)) {
    assert.equal(report.clientAborts.get(id), undefined, `honest client ${id} aborted`);
    assert.equal(report.culprits.has(id), false, `honest client ${id} named a culprit`);
  }
}

function culprits(report: LocalRoundReport): [ClientId, string][] {
  return [...report.culprits].map(([id, record]) => [id, CulpritReason[record.reason]]);
}

function drops(report: LocalRoundReport): string[] {
  return [...report.dropped]
    .sort(([a], [b]) => a - b)
    .map(([id, record]) => `${id}:${DropReason[record.reason]}@${record.phase}`);
}

type Tamper = NonNullable<LocalRoundOptions['tamper']>;

/** Rewrites the messages of one kind that `who` sends. */
function tampering<K extends ClientMessage['kind']>(
  who: ClientId,
  kind: K,
  change: (message: Extract<ClientMessage, { kind: K }>) => ClientMessage | ClientMessage[],
): Tamper {
  return (from, message) =>
    from === who && message.kind === kind ? change(message as Extract<ClientMessage, { kind: K }>) : message;
}

describe('garbage share ciphertexts', () => {
  const BAD = 4;
  /** BAD's ciphertexts for the first `count` recipients replaced by random bytes of the right length. */
  const garbageTo = (count: number): Tamper =>
    tampering(BAD, 'share-keys', (m) => ({
      ...m,
      ciphertexts: m.ciphertexts.map((c, i) =>
        i < count ? { ...c, ciphertext: randomBytesOf(100 + i, c.ciphertext.length) } : c,
      ),
    }));

  test('to every neighbour: the sender is named and excluded, the round sums the rest', () => {
    const report = round({ tamper: garbageTo(PARAMETERS.degree) });
    assert.deepEqual(drops(report), [`${BAD}:RejectedShareCiphertexts@share-check`]);
    assert.deepEqual(culprits(report), [[BAD, 'BadShareCiphertexts']]);
    assertExactSum(report, without(BAD), [BAD]);
  });

  test('to two neighbours: more accusers than could be corrupt, so named and excluded', () => {
    const report = round({ tamper: garbageTo(2) });
    assert.deepEqual(drops(report), [`${BAD}:RejectedShareCiphertexts@share-check`]);
    assert.deepEqual(culprits(report), [[BAD, 'BadShareCiphertexts']]);
    assertExactSum(report, without(BAD), [BAD]);
  });

  test('to one neighbour: that edge is cut, nobody is named, everyone is summed', () => {
    const report = round({ tamper: garbageTo(1) });
    assert.deepEqual(drops(report), []);
    assert.deepEqual(culprits(report), []);
    assertExactSum(report, IDS, [BAD]);
  });

  test('two attackers each spoiling every neighbour: both named, the rest summed', () => {
    const SECOND = 9;
    const first = garbageTo(PARAMETERS.degree);
    const tamper: Tamper = (from, message) =>
      from === SECOND && message.kind === 'share-keys'
        ? {
            ...message,
            ciphertexts: message.ciphertexts.map((c, i) => ({
              ...c,
              ciphertext: randomBytesOf(200 + i, c.ciphertext.length),
            })),
          }
        : first(from, message);
    const report = round({ tamper });
    assert.deepEqual(culprits(report).sort(), [
      [BAD, 'BadShareCiphertexts'],
      [SECOND, 'BadShareCiphertexts'],
    ]);
    assertExactSum(report, without(BAD, SECOND), [BAD, SECOND]);
  });
});

describe('out-of-range shares inside properly encrypted ciphertexts', () => {
  const BAD = 6;
  const badSeed = seedFromNumber(31_337);

  /**
   * BAD's client draws its keys from `badSeed`, so the test knows its encryption secret and can
   * encrypt, under the genuine pair keys, plaintexts whose shares are not field elements (≥ p).
   */
  function outOfRangeTo(count: number, sessionId: () => Uint8Array): Partial<LocalRoundOptions> {
    const encryption = generateAgreementKeyPair(seededRandom(badSeed));
    const encryptionKeyOf = new Map<ClientId, Uint8Array>();
    const random = seededRandom(seedFromNumber(4242));
    return {
      randomFor: (id) => (id === BAD ? seededRandom(badSeed) : undefined),
      tamper: (from, message) => {
        if (message.kind === 'advertise-keys') encryptionKeyOf.set(from, message.encryptionKey);
        if (from !== BAD || message.kind !== 'share-keys') return message;
        assert.deepEqual(encryptionKeyOf.get(BAD), encryption.publicKey);
        return {
          ...message,
          ciphertexts: message.ciphertexts.map((c, i) => {
            if (i >= count) return c;
            const point = agree(encryption.secretKey, encryptionKeyOf.get(c.recipient)!);
            assert.ok(point !== null);
            const key = shareKey(sessionId(), point, BAD, c.recipient);
            const plaintext = new Uint8Array(2 * SHARE_BYTES).fill(0xff);
            const ad = shareAssociatedData(sessionId(), BAD, c.recipient);
            const ciphertext = seal(key, plaintext, ad, random);
            assert.equal(ciphertext.length, c.ciphertext.length);
            return { recipient: c.recipient, ciphertext };
          }),
        };
      },
    };
  }

  const nextSession = (): Uint8Array => sessionIdOf(900 + nextTag);

  test('to every neighbour: they open but do not decode, so the sender is named and excluded', () => {
    const sessionId = nextSession();
    const report = round(outOfRangeTo(PARAMETERS.degree, () => sessionId));
    assert.deepEqual(report.sessionId, sessionId);
    assert.deepEqual(drops(report), [`${BAD}:RejectedShareCiphertexts@share-check`]);
    assert.deepEqual(culprits(report), [[BAD, 'BadShareCiphertexts']]);
    assertExactSum(report, without(BAD), [BAD]);
  });

  test('to one neighbour: the edge is cut and the round sums everyone', () => {
    const sessionId = nextSession();
    const report = round(outOfRangeTo(1, () => sessionId));
    assert.deepEqual(report.sessionId, sessionId);
    assert.deepEqual(drops(report), []);
    assert.deepEqual(culprits(report), []);
    assertExactSum(report, IDS, [BAD]);
  });
});

describe('wrong shares at unmasking', () => {
  // The lowest id answers its unmask request first, so its shares are among the first t everywhere.
  const BAD = 1;
  /** A field element below 2^256, so only the owner's commitment or public key can expose it. */
  const plausible = (tag: number): Uint8Array => {
    const share = randomBytesOf(tag, SHARE_BYTES);
    share[0] = 0;
    return share;
  };
  const lying = (shares: readonly RevealedShare[], base: number): RevealedShare[] =>
    shares.map((x, i) => ({ owner: x.owner, share: plausible(base + i) }));

  test('every share wrong: the holder is named, every secret is rebuilt from spares, the sum is exact', () => {
    const report = round({
      tamper: tampering(BAD, 'unmask-response', (r) => ({
        ...r,
        selfSeedShares: lying(r.selfSeedShares, 300),
        maskKeyShares: lying(r.maskKeyShares, 400),
      })),
    });
    assert.deepEqual(drops(report), []);
    assert.deepEqual(culprits(report), [[BAD, 'WrongUnmaskShares']]);
    assertExactSum(report, IDS, [BAD]);
  });

  test('wrong masking-key shares of a dropped client: rebuilt from spares, the sum is exact', () => {
    const DROPPED = 7;
    const report = round({
      drops: new Map([[DROPPED, { at: 'masked-input', disconnect: false }]]),
      tamper: tampering(BAD, 'unmask-response', (r) => ({
        ...r,
        selfSeedShares: lying(r.selfSeedShares, 500),
        maskKeyShares: lying(r.maskKeyShares, 600),
      })),
    });
    assert.deepEqual(drops(report), [`${DROPPED}:Timeout@masked-input`]);
    assert.deepEqual(culprits(report), [[BAD, 'WrongUnmaskShares']]);
    assertExactSum(report, without(DROPPED), [BAD]);
  });

  test('one wrong share: skipped, and one disagreement is not proof, so nobody is named', () => {
    const report = round({
      tamper: tampering(BAD, 'unmask-response', (r) => ({
        ...r,
        selfSeedShares: r.selfSeedShares.map((x, i) => (i === 0 ? { ...x, share: plausible(700) } : x)),
      })),
    });
    assert.deepEqual(drops(report), []);
    assert.deepEqual(culprits(report), []);
    assertExactSum(report, IDS, [BAD]);
  });
});

describe('out-of-range shares at unmasking', () => {
  const BAD = 3;
  for (const [what, share] of [
    ['a value above p', new Uint8Array(SHARE_BYTES).fill(0xff)],
    ['a share one byte short', new Uint8Array(SHARE_BYTES - 1)],
  ] as const) {
    test(`${what}: the holder is dropped and named, the round sums everyone`, () => {
      const report = round({
        tamper: tampering(BAD, 'unmask-response', (r): UnmaskResponse => ({
          ...r,
          selfSeedShares: r.selfSeedShares.map((x, i) => (i === 0 ? { ...x, share } : x)),
        })),
      });
      assert.deepEqual(drops(report), [`${BAD}:MalformedUnmaskResponse@unmasking`]);
      assert.deepEqual(culprits(report), [[BAD, 'MalformedUnmaskShare']]);
      // BAD's masked input is in the sum; its self seed is rebuilt from the other holders.
      assertExactSum(report, IDS, [BAD]);
    });
  }
});

describe('graph nonces', () => {
  /** Records the attempt of every graph nonce anyone sends, while passing messages through. */
  function attemptsSeen(inner?: Tamper): {
    tamper: Tamper;
    attempts: Set<number>;
  } {
    const attempts = new Set<number>();
    return {
      attempts,
      tamper: (from, message) => {
        const out = inner === undefined ? message : inner(from, message);
        for (const m of Array.isArray(out) ? out : [out])
          if (m.kind === 'graph-nonce') attempts.add(m.attempt);
        return out;
      },
    };
  }

  test('a member that never reveals its nonce: the server re-rosters without it and the round completes', () => {
    const BAD = 5;
    const { tamper, attempts } = attemptsSeen();
    const report = round({ drops: new Map([[BAD, { at: 'graph-nonce', disconnect: false }]]), tamper });
    assert.deepEqual([...attempts], [1, 2]);
    assert.deepEqual(drops(report), [`${BAD}:Timeout@graph-nonce`]);
    assert.deepEqual(culprits(report), []);
    assertExactSum(report, without(BAD), [BAD]);
  });

  test('a member that reveals a nonce not on its chain is dropped; the round completes', () => {
    const BAD = 8;
    const { tamper, attempts } = attemptsSeen(
      tampering(BAD, 'graph-nonce', (m) => ({ ...m, nonce: randomBytesOf(800, 32) })),
    );
    const report = round({ tamper });
    assert.deepEqual([...attempts], [1, 2]);
    assert.deepEqual(drops(report), [`${BAD}:InvalidGraphNonce@graph-nonce`]);
    assertExactSum(report, without(BAD), [BAD]);
  });

  test('a new member silent in each of the first two attempts: the third roster completes', () => {
    const silentAt = new Map<ClientId, number>([
      [2, 1],
      [9, 2],
    ]);
    const { tamper, attempts } = attemptsSeen((from, message) =>
      message.kind === 'graph-nonce' && silentAt.get(from) === message.attempt ? [] : message,
    );
    const report = round({ tamper });
    assert.deepEqual([...attempts], [1, 2, 3]);
    assert.deepEqual(drops(report), ['2:Timeout@graph-nonce', '9:Timeout@graph-nonce']);
    assertExactSum(report, without(2, 9), [2, 9]);
  });

  test(`a member silent in every one of the ${GRAPH_ATTEMPTS} attempts ends the session`, () => {
    const silentAt = new Map<ClientId, number>([
      [2, 1],
      [9, 2],
      [4, 3],
    ]);
    const report = round({
      tamper: (from, message) =>
        message.kind === 'graph-nonce' && silentAt.get(from) === message.attempt ? [] : message,
    });
    assert.equal(report.result, undefined);
    assert.equal(report.abortError?.reason, AbortReason.TooFewClients);
    assert.match(report.abortError?.message ?? '', /attempt 3 of 3/);
    for (const id of without(2, 9, 4)) assert.match(report.clientAborts.get(id) ?? '', /server aborted/);
  });
});

describe('false accusations in ShareCheck', () => {
  /**
   * `liars` all claim that one honest member's ciphertext did not open: the lowest id that neighbours
   * every liar (learnt from their own ShareKeys), so every accusation counts.
   */
  function accusing(liars: readonly ClientId[]): { tamper: Tamper; victim: () => ClientId } {
    const neighbours = new Map<ClientId, ClientId[]>();
    let victim: ClientId | undefined;
    const pick = (): ClientId => {
      victim ??= IDS.find(
        (id) => !liars.includes(id) && liars.every((liar) => neighbours.get(liar)!.includes(id)),
      );
      assert.ok(victim !== undefined, 'no member neighbours every liar');
      return victim;
    };
    return {
      victim: pick,
      tamper: (from, message) => {
        if (!liars.includes(from)) return message;
        if (message.kind === 'share-keys')
          neighbours.set(
            from,
            message.ciphertexts.map((c) => c.recipient),
          );
        return message.kind === 'share-check' ? { kind: 'share-check', rejected: [pick()] } : message;
      },
    };
  }

  test('one liar cannot get an honest member named: the edge is cut, the sum is exact', () => {
    const { tamper, victim } = accusing([3]);
    const report = round({ tamper });
    assert.notEqual(victim(), 3);
    assert.deepEqual(drops(report), []);
    assert.deepEqual(culprits(report), []);
    assertExactSum(report, IDS, [3]);
  });

  test('as many liars as the threat model allows (C = 2) cannot get an honest member named', () => {
    const { tamper, victim } = accusing([2, 3]);
    const report = round({ corruptClients: 2, tamper });
    assert.deepEqual(drops(report), []);
    assert.deepEqual(culprits(report), []);
    assert.ok(![2, 3].includes(victim()));
    assertExactSum(report, IDS, [2, 3]);
  });

  test('beyond the threat model (two liars, C = 0) the rule names their victim: C must be pinned honestly', () => {
    const { tamper, victim } = accusing([2, 3]);
    const report = round({ tamper });
    assert.deepEqual(culprits(report), [[victim(), 'BadShareCiphertexts']]);
    assert.ok(report.result !== undefined);
    assert.deepEqual(report.result.sum, plainSum(report.result.survivors.map(inputOf), DIMENSION));
  });

  test('a liar rejecting a client that sent it nothing is dropped for a malformed share check', () => {
    const report = round({
      tamper: (from, message) =>
        from === 3 && message.kind === 'share-check' ? { kind: 'share-check', rejected: [3] } : message,
    });
    assert.deepEqual(drops(report), ['3:MalformedShareCheck@share-check']);
    assert.deepEqual(culprits(report), []);
    assertExactSum(report, without(3), [3]);
  });

  test('a member rejecting every neighbour cuts itself off: excluded, nobody named, the rest summed', () => {
    const LIAR = 5;
    let neighbours: ClientId[] = [];
    const report = round({
      tamper: (from, message) => {
        if (from === LIAR && message.kind === 'share-keys')
          neighbours = message.ciphertexts.map((c) => c.recipient);
        return from === LIAR && message.kind === 'share-check'
          ? { kind: 'share-check', rejected: [...neighbours].sort((a, b) => a - b) }
          : message;
      },
    });
    assert.equal(neighbours.length, PARAMETERS.degree);
    assert.deepEqual(drops(report), [`${LIAR}:TooFewValidHolders@share-check`]);
    assert.deepEqual(culprits(report), []);
    assertExactSum(report, without(LIAR), [LIAR]);
  });
});

describe('garbage and then silence', () => {
  test('a member that sends garbage shares and then goes silent is still named', () => {
    const BAD = 7;
    const report = round({
      drops: new Map([[BAD, { at: 'share-check', disconnect: true }]]),
      tamper: tampering(BAD, 'share-keys', (m) => ({
        ...m,
        ciphertexts: m.ciphertexts.map((c, i) => ({
          ...c,
          ciphertext: randomBytesOf(900 + i, c.ciphertext.length),
        })),
      })),
    });
    assert.deepEqual(drops(report), [`${BAD}:Disconnected@share-check`]);
    assert.deepEqual(culprits(report), [[BAD, 'BadShareCiphertexts']]);
    assertExactSum(report, without(BAD), [BAD]);
  });
});
