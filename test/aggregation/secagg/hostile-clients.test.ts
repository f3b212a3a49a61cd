import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { cryptoReady } from '../../../aggregation/crypto/sodium.js';
import { SHAMIR_PRIME, SHARE_BYTES } from '../../../aggregation/crypto/shamir.js';
import { sign } from '../../../aggregation/crypto/signature.js';
import {
  AbortReason,
  CulpritReason,
  DropReason,
  LocalProtocolError,
  SecAggAbortedError,
  deriveParameters,
  validateParameters,
  type AdvertiseKeys,
  type ClientId,
  type ClientMessage,
  type MaskedInputChunk,
  type RevealedShare,
  type SecAggParameters,
  type SecAggResult,
  type ServerPhase,
  type ShareKeys,
  type UnmaskResponse,
} from '../../../aggregation/secagg/index.js';
import {
  advertisedKeysPayload,
  rosterDigest,
  survivorListPayload,
} from '../../../aggregation/secagg/transcript.js';
import { flipByte, identityOf, randomBytesOf, Session } from './helpers.js';

await cryptoReady();

// Ten clients with primes for ids (so an index can never pass for an id). With 20% dropout and 10%
// corrupt clients: degree 8 (each client has one non-neighbour), threshold 5.
const IDS: readonly ClientId[] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29];
const PARAMETERS: SecAggParameters = deriveParameters({
  clients: 10,
  dropoutRate: 0.2,
  corruptFraction: 0.1,
});
const BAD = 7;
const SECOND_BAD = 19;
/** A federation member with an identity, not selected for the session. */
const OUTSIDER = 31;
const DIMENSION = 10;
const CHUNK_WORDS = 4; // chunks at words 0, 4 and 8

const without = (...ids: ClientId[]): ClientId[] => IDS.filter((id) => !ids.includes(id));

/** Digest of the roster the session's graph came from, as its clients sign it in R3. */
function rosterDigestOf(s: Session): Uint8Array {
  const roster = s.roster();
  return rosterDigest(s.sessionId, roster.attempt, roster.entries);
}

let nextTag = 100;
function newSession(): Session {
  return new Session({
    ids: IDS,
    parameters: PARAMETERS,
    sessionTag: nextTag++,
    dimension: DIMENSION,
    chunkWords: CHUNK_WORDS,
    otherMembers: [OUTSIDER],
  });
}

/** Rewrites the messages of kind `kind` that `who` sends, leaving every other message alone. */
function substitute<K extends ClientMessage['kind']>(
  s: Session,
  who: ClientId,
  kind: K,
  change: (messages: Extract<ClientMessage, { kind: K }>[]) => ClientMessage[],
): void {
  const previous = s.rewrite;
  s.rewrite = (from, messages) => {
    const out = previous(from, messages);
    if (from !== who || out[0]?.kind !== kind) return out;
    return change(out as Extract<ClientMessage, { kind: K }>[]);
  };
}

/** `id:Reason@phase`, ascending by id: a readable picture of who was dropped, why and when. */
function drops(s: Session): string[] {
  return [...s.server.dropped]
    .sort(([a], [b]) => a - b)
    .map(([id, record]) => `${id}:${DropReason[record.reason]}@${record.phase}`);
}

function drop(id: ClientId, reason: DropReason, phase: ServerPhase): string {
  return `${id}:${DropReason[reason]}@${phase}`;
}

/** The server told `id` why it was dropped. */
function assertToldDropped(s: Session, id: ClientId, reason: DropReason): void {
  const told = s.sent.filter((o) => o.to === id && o.message.kind === 'abort');
  assert.equal(told.length, 1, `client ${id} should get exactly one abort`);
  const message = told[0]!.message;
  assert.ok(message.kind === 'abort');
  assert.match(message.reason, new RegExp(`^dropped: ${DropReason[reason]}: `));
}

/** The round completed with the survivors expected and their exact sum; no honest client aborted. */
function assertExactRound(
  s: Session,
  survivors: readonly ClientId[],
  honest: readonly ClientId[],
): SecAggResult {
  assert.equal(
    s.server.phase,
    'ready',
    `round should complete, aborted with ${s.server.abortError?.message}`,
  );
  const result = s.server.finish();
  assert.equal(s.server.phase, 'completed');
  assert.deepEqual(result.survivors, survivors);
  assert.deepEqual(result.sum, s.expectedSum(survivors));
  for (const id of honest) assert.equal(s.client(id).abortReason, undefined, `client ${id} aborted`);
  return result;
}

/**
 * Runs a session with `setup` applied and BAD expected to be dropped for `reason` in `phase`. With
 * `answersFirst`, every unmask request is held and BAD's delivered first, so the server is still
 * collecting shares when BAD's response arrives.
 */
function roundDroppingBad(
  setup: (s: Session) => void,
  reason: DropReason,
  phase: ServerPhase,
  survivors: readonly ClientId[],
  answersFirst = false,
): Session {
  const s = newSession();
  setup(s);
  if (answersFirst) s.hold = (_to, message) => message.kind === 'unmask-request';
  s.start().run();
  if (answersFirst) s.release([BAD]).run();
  assert.deepEqual(drops(s), [drop(BAD, reason, phase)]);
  // The server explains a drop, except to a client that left or gave up by itself.
  if (reason === DropReason.Disconnected || reason === DropReason.ClientAborted)
    assert.ok(s.sent.every((o) => o.to !== BAD || o.message.kind !== 'abort'));
  else assertToldDropped(s, BAD, reason);
  assertExactRound(s, survivors, without(BAD));
  return s;
}

describe('control', () => {
  test('parameters leave room for bad clients', () => {
    validateParameters(PARAMETERS);
    assert.deepEqual(
      { degree: PARAMETERS.degree, threshold: PARAMETERS.threshold },
      { degree: 8, threshold: 5 },
    );
  });

  test('an all-honest round sums every input exactly', () => {
    const s = newSession().start().run();
    assert.deepEqual(drops(s), []);
    assertExactRound(s, IDS, IDS);
  });
});

describe('clients outside the session', () => {
  function outsiderKeys(s: Session, id: ClientId): AdvertiseKeys {
    const encryptionKey = randomBytesOf(10, 32);
    const maskingKey = randomBytesOf(11, 32);
    const graphCommitment = randomBytesOf(13, 32);
    const payload = advertisedKeysPayload(
      s.sessionId,
      s.planDigest,
      id,
      encryptionKey,
      maskingKey,
      graphCommitment,
    );
    return {
      kind: 'advertise-keys',
      encryptionKey,
      maskingKey,
      graphCommitment,
      signature: sign(payload, identityOf(id).secretKey),
    };
  }

  for (const [what, id] of [
    ['a member not selected for the session', OUTSIDER],
    ['an id with no identity at all', 99],
  ] as const) {
    test(`${what} is turned away and changes nothing`, () => {
      const s = newSession();
      const out = s.server.handle(id, outsiderKeys(s, id));
      assert.equal(out.length, 1);
      assert.equal(out[0]!.to, id);
      assert.equal(out[0]!.message.kind, 'abort');
      assert.match(
        out[0]!.message.kind === 'abort' ? out[0]!.message.reason : '',
        /not part of this session/,
      );
      assert.equal(s.server.phase, 'advertise-keys');
      assert.deepEqual(s.server.waitingFor, IDS);
      assert.deepEqual(drops(s), []);

      // Again mid-session, with a message of the phase in progress.
      s.hold = (_to, message) => message.kind === 'survivor-list';
      s.start().run();
      assert.equal(s.server.phase, 'consistency-check');
      const waiting = s.server.waitingFor;
      const late = s.server.handle(id, { kind: 'consistency-signature', signature: new Uint8Array(64) });
      assert.deepEqual(
        late.map((o) => [o.to, o.message.kind]),
        [[id, 'abort']],
      );
      assert.equal(s.server.phase, 'consistency-check');
      assert.deepEqual(s.server.waitingFor, waiting);
      s.release().run();
      assert.deepEqual(drops(s), []);
      assert.ok(s.sent.every((o) => o.to !== id));
      assertExactRound(s, IDS, IDS);
    });
  }

  test('a dropped client that keeps talking is told it was dropped and changes nothing', () => {
    const s = newSession();
    substitute(s, BAD, 'advertise-keys', ([keys]) => [{ ...keys!, signature: flipByte(keys!.signature) }]);
    s.hold = (_to, message) => message.kind === 'shares-for-you';
    s.start().run();
    assert.equal(s.server.phase, 'share-check');
    const honest = s.produced.get(2)!.find((m) => m.kind === 'share-keys')!;
    const out = s.server.handle(BAD, honest);
    assert.deepEqual(
      out.map((o) => [o.to, o.message.kind]),
      [[BAD, 'abort']],
    );
    assert.match(
      out[0]!.message.kind === 'abort' ? out[0]!.message.reason : '',
      /already dropped: InvalidKeySignature/,
    );
    assert.deepEqual(drops(s), [drop(BAD, DropReason.InvalidKeySignature, 'advertise-keys')]);
    s.release().run();
    assertExactRound(s, without(BAD), without(BAD));
  });
});

describe('AdvertiseKeys', () => {
  test('a second AdvertiseKeys is an UnexpectedMessage', () => {
    roundDroppingBad(
      (s) => substitute(s, BAD, 'advertise-keys', ([keys]) => [keys!, keys!]),
      DropReason.UnexpectedMessage,
      'advertise-keys',
      without(BAD),
    );
  });

  const badSignatures: [string, (s: Session, keys: AdvertiseKeys) => AdvertiseKeys][] = [
    ['a flipped signature byte', (_s, keys) => ({ ...keys, signature: flipByte(keys.signature, 3) })],
    ['an empty signature', (_s, keys) => ({ ...keys, signature: new Uint8Array(0) })],
    [
      'another member’s signed keys',
      (s) => s.produced.get(2)!.find((m): m is AdvertiseKeys => m.kind === 'advertise-keys')!,
    ],
    [
      'keys signed for another session',
      (s, keys) => ({
        ...keys,
        signature: sign(
          advertisedKeysPayload(
            randomBytesOf(12, 32),
            s.planDigest,
            BAD,
            keys.encryptionKey,
            keys.maskingKey,
            keys.graphCommitment,
          ),
          identityOf(BAD).secretKey,
        ),
      }),
    ],
    [
      'keys signed over another round plan',
      (s, keys) => ({
        ...keys,
        signature: sign(
          advertisedKeysPayload(
            s.sessionId,
            randomBytesOf(14, 32),
            BAD,
            keys.encryptionKey,
            keys.maskingKey,
            keys.graphCommitment,
          ),
          identityOf(BAD).secretKey,
        ),
      }),
    ],
    [
      'a graph commitment swapped after signing',
      (_s, keys) => ({ ...keys, graphCommitment: flipByte(keys.graphCommitment) }),
    ],
    [
      'keys signed by another identity',
      (s, keys) => ({
        ...keys,
        signature: sign(
          advertisedKeysPayload(
            s.sessionId,
            s.planDigest,
            BAD,
            keys.encryptionKey,
            keys.maskingKey,
            keys.graphCommitment,
          ),
          identityOf(OUTSIDER).secretKey,
        ),
      }),
    ],
  ];
  for (const [what, forge] of badSignatures) {
    test(`${what} is an InvalidKeySignature`, () => {
      roundDroppingBad(
        (s) => substitute(s, BAD, 'advertise-keys', ([keys]) => [forge(s, keys!)]),
        DropReason.InvalidKeySignature,
        'advertise-keys',
        without(BAD),
      );
    });
  }

  /** Keys replaced and signed properly with BAD's own identity: only their form is wrong. */
  const signedKeys = (
    s: Session,
    encryptionKey: Uint8Array,
    maskingKey: Uint8Array,
    graphCommitment: Uint8Array = randomBytesOf(15, 32),
  ): AdvertiseKeys => ({
    kind: 'advertise-keys',
    encryptionKey,
    maskingKey,
    graphCommitment,
    signature: sign(
      advertisedKeysPayload(s.sessionId, s.planDigest, BAD, encryptionKey, maskingKey, graphCommitment),
      identityOf(BAD).secretKey,
    ),
  });

  const malformedKeys: [string, (keys: AdvertiseKeys) => [Uint8Array, Uint8Array]][] = [
    ['a 31-byte encryption key', (keys) => [keys.encryptionKey.subarray(0, 31), keys.maskingKey]],
    ['a 33-byte masking key', (keys) => [keys.encryptionKey, Uint8Array.from([...keys.maskingKey, 0])]],
    ['empty keys', () => [new Uint8Array(0), new Uint8Array(0)]],
  ];

  test('a 31-byte graph commitment, properly signed, is MalformedKeys', () => {
    roundDroppingBad(
      (s) =>
        substitute(s, BAD, 'advertise-keys', ([keys]) => [
          signedKeys(s, keys!.encryptionKey, keys!.maskingKey, randomBytesOf(16, 31)),
        ]),
      DropReason.MalformedKeys,
      'advertise-keys',
      without(BAD),
    );
  });
  for (const [what, keysOf] of malformedKeys) {
    test(`${what} is MalformedKeys`, () => {
      roundDroppingBad(
        (s) =>
          substitute(s, BAD, 'advertise-keys', ([keys]) => {
            const [encryptionKey, maskingKey] = keysOf(keys!);
            return [signedKeys(s, encryptionKey, maskingKey)];
          }),
        DropReason.MalformedKeys,
        'advertise-keys',
        without(BAD),
      );
    });
  }

  // DropReason.MalformedKeys documents "Keys of the wrong length or a low-order point", and the server
  // checks keys itself "so a client with a forged key is dropped here instead of making every honest
  // neighbour abort later". An all-zero X25519 key is a low-order point: agree() returns null for it.
  for (const which of ['encryptionKey', 'maskingKey'] as const) {
    test(`a low-order (all-zero) ${which}, properly signed, is MalformedKeys`, () => {
      roundDroppingBad(
        (s) =>
          substitute(s, BAD, 'advertise-keys', ([keys]) => {
            const zero = new Uint8Array(32);
            return [
              which === 'encryptionKey'
                ? signedKeys(s, zero, keys!.maskingKey)
                : signedKeys(s, keys!.encryptionKey, zero),
            ];
          }),
        DropReason.MalformedKeys,
        'advertise-keys',
        without(BAD),
      );
    });
  }
});

describe('ShareKeys', () => {
  const nonNeighbourOf = (s: Session, id: ClientId): ClientId => {
    const neighbours = s.graph().neighbours(id);
    const outsider = IDS.find((other) => other !== id && !neighbours.includes(other));
    assert.ok(outsider !== undefined);
    return outsider;
  };

  const malformed: [string, (s: Session, message: ShareKeys) => ShareKeys][] = [
    ['missing a neighbour', (_s, m) => ({ ...m, ciphertexts: m.ciphertexts.slice(1) })],
    [
      'naming a non-neighbour instead of a neighbour',
      (s, m) => ({
        ...m,
        ciphertexts: m.ciphertexts.map((c, i) => (i === 0 ? { ...c, recipient: nonNeighbourOf(s, BAD) } : c)),
      }),
    ],
    [
      'naming a non-neighbour as well',
      (s, m) => ({
        ...m,
        ciphertexts: [
          ...m.ciphertexts,
          { recipient: nonNeighbourOf(s, BAD), ciphertext: m.ciphertexts[0]!.ciphertext },
        ],
      }),
    ],
    [
      'naming itself',
      (_s, m) => ({
        ...m,
        ciphertexts: [...m.ciphertexts, { recipient: BAD, ciphertext: m.ciphertexts[0]!.ciphertext }],
      }),
    ],
    [
      'naming a neighbour twice',
      (_s, m) => ({
        ...m,
        ciphertexts: m.ciphertexts.map((c, i) =>
          i === 1 ? { ...c, recipient: m.ciphertexts[0]!.recipient } : c,
        ),
      }),
    ],
    [
      'with a ciphertext one byte too long',
      (_s, m) => ({
        ...m,
        ciphertexts: m.ciphertexts.map((c, i) =>
          i === 2 ? { ...c, ciphertext: Uint8Array.from([...c.ciphertext, 0]) } : c,
        ),
      }),
    ],
    [
      'with a ciphertext one byte too short',
      (_s, m) => ({
        ...m,
        ciphertexts: m.ciphertexts.map((c, i) =>
          i === 2 ? { ...c, ciphertext: c.ciphertext.subarray(1) } : c,
        ),
      }),
    ],
    [
      'with a short commitment',
      (_s, m) => ({ ...m, selfSeedCommitment: m.selfSeedCommitment.subarray(0, 31) }),
    ],
  ];
  for (const [what, forge] of malformed) {
    test(`ShareKeys ${what} is MalformedShares`, () => {
      roundDroppingBad(
        (s) => substitute(s, BAD, 'share-keys', ([message]) => [forge(s, message!)]),
        DropReason.MalformedShares,
        'share-keys',
        without(BAD),
      );
    });
  }
});

describe('masked input', () => {
  const chunk = (offset: number, count: number): MaskedInputChunk => ({
    kind: 'masked-input',
    offset,
    words: new Uint32Array(count).fill(0xdeadbeef),
  });
  const malformed: [string, (chunks: MaskedInputChunk[]) => MaskedInputChunk[]][] = [
    ['a chunk out of order', ([c0, , c2]) => [c0!, c2!]],
    ['a chunk repeated', ([c0]) => [c0!, c0!]],
    ['a chunk running past the end', ([c0]) => [c0!, chunk(4, 7)]],
    ['a last chunk running past the end', ([c0, c1]) => [c0!, c1!, chunk(8, 3)]],
    ['a chunk starting past the end', ([c0, c1]) => [c0!, c1!, chunk(12, 1)]],
    ['an empty chunk', ([c0]) => [c0!, chunk(4, 0)]],
    ['a first chunk not at word 0', () => [chunk(4, 4)]],
  ];
  for (const [what, forge] of malformed) {
    test(`${what} is MalformedMaskedInput and the chunks already added come out of the sum`, () => {
      roundDroppingBad(
        (s) =>
          substitute(s, BAD, 'masked-input', (chunks) => {
            assert.deepEqual(
              chunks.map((c) => [c.offset, c.words.length]),
              [
                [0, 4],
                [4, 4],
                [8, 2],
              ],
            );
            return forge(chunks);
          }),
        DropReason.MalformedMaskedInput,
        'masked-input',
        without(BAD),
      );
    });
  }

  test('a client that disconnects mid-stream is Disconnected and its chunks come out of the sum', () => {
    roundDroppingBad(
      (s) => s.scripts.set(BAD, { at: 'masked-input', keep: 2, disconnect: true }),
      DropReason.Disconnected,
      'masked-input',
      without(BAD),
    );
  });

  test('a client that goes silent mid-stream times out and its chunks come out of the sum', () => {
    roundDroppingBad(
      (s) => s.scripts.set(BAD, { at: 'masked-input', keep: 1 }),
      DropReason.Timeout,
      'masked-input',
      without(BAD),
    );
  });

  test('an extra chunk after a whole input is an UnexpectedMessage, but the input stays in the sum', () => {
    roundDroppingBad(
      (s) => substitute(s, BAD, 'masked-input', (chunks) => [...chunks, chunks[0]!]),
      DropReason.UnexpectedMessage,
      'masked-input',
      IDS,
    );
  });
});

describe('consistency signature', () => {
  const forgeries: [string, (s: Session, signature: Uint8Array) => Uint8Array][] = [
    ['a flipped byte', (_s, signature) => flipByte(signature, 10)],
    [
      'a signature over another list',
      (s) =>
        sign(survivorListPayload(s.sessionId, rosterDigestOf(s), without(BAD)), identityOf(BAD).secretKey),
    ],
    [
      'a signature over another roster',
      (s) => sign(survivorListPayload(s.sessionId, randomBytesOf(17, 32), IDS), identityOf(BAD).secretKey),
    ],
    [
      'another client’s signature',
      (s) => sign(survivorListPayload(s.sessionId, rosterDigestOf(s), IDS), identityOf(2).secretKey),
    ],
  ];
  for (const [what, forge] of forgeries) {
    test(`${what} is InvalidConsistencySignature; the client's input stays in the sum`, () => {
      roundDroppingBad(
        (s) =>
          substitute(s, BAD, 'consistency-signature', ([m]) => [
            { kind: 'consistency-signature', signature: forge(s, m!.signature) },
          ]),
        DropReason.InvalidConsistencySignature,
        'consistency-check',
        IDS,
      );
    });
  }
});

describe('unmask response', () => {
  const survivorShare = (r: UnmaskResponse): RevealedShare => r.selfSeedShares[0]!;
  const malformed: [string, (r: UnmaskResponse) => UnmaskResponse][] = [
    [
      'a share of its own secret, not asked for',
      (r) => ({ ...r, selfSeedShares: [...r.selfSeedShares, { owner: BAD, share: survivorShare(r).share }] }),
    ],
    [
      'a masking-key share of a survivor, not asked for',
      (r) => ({ ...r, maskKeyShares: [survivorShare(r)] }),
    ],
    ['the same share twice', (r) => ({ ...r, selfSeedShares: [...r.selfSeedShares, survivorShare(r)] })],
    [
      'a share one byte short',
      (r) => ({
        ...r,
        selfSeedShares: r.selfSeedShares.map((x, i) => (i === 1 ? { ...x, share: x.share.subarray(1) } : x)),
      }),
    ],
    [
      'a share one byte long',
      (r) => ({
        ...r,
        selfSeedShares: r.selfSeedShares.map((x, i) =>
          i === 1 ? { ...x, share: Uint8Array.from([...x.share, 0]) } : x,
        ),
      }),
    ],
  ];
  for (const [what, forge] of malformed) {
    test(`${what} is MalformedUnmaskResponse; the client's input stays in the sum`, () => {
      roundDroppingBad(
        (s) => substitute(s, BAD, 'unmask-response', ([r]) => [forge(r!)]),
        DropReason.MalformedUnmaskResponse,
        'unmasking',
        IDS,
        true,
      );
    });
  }
});

describe('messages of the wrong phase', () => {
  test('a consistency signature instead of ShareKeys is an UnexpectedMessage', () => {
    roundDroppingBad(
      (s) =>
        substitute(s, BAD, 'share-keys', () => [
          { kind: 'consistency-signature', signature: new Uint8Array(64) },
        ]),
      DropReason.UnexpectedMessage,
      'share-keys',
      without(BAD),
    );
  });

  test('ShareKeys again instead of the masked input is an UnexpectedMessage', () => {
    roundDroppingBad(
      (s) =>
        substitute(s, BAD, 'masked-input', () => [
          s.produced.get(BAD)!.find((m): m is ShareKeys => m.kind === 'share-keys')!,
        ]),
      DropReason.UnexpectedMessage,
      'masked-input',
      without(BAD),
    );
  });

  test('an unmask response instead of the consistency signature is an UnexpectedMessage', () => {
    roundDroppingBad(
      (s) =>
        substitute(s, BAD, 'consistency-signature', () => [
          { kind: 'unmask-response', selfSeedShares: [], maskKeyShares: [] },
        ]),
      DropReason.UnexpectedMessage,
      'consistency-check',
      IDS,
    );
  });

  test('a client abort is ClientAborted', () => {
    roundDroppingBad(
      (s) => substitute(s, BAD, 'share-keys', () => [{ kind: 'abort', reason: 'changed my mind' }]),
      DropReason.ClientAborted,
      'share-keys',
      without(BAD),
    );
  });
});

describe('two hostile clients in one round', () => {
  test('a malformed masked input and a malformed unmask response: both dropped, sum exact', () => {
    const s = newSession();
    substitute(s, BAD, 'masked-input', ([c0, c1]) => [
      c0!,
      c1!,
      { kind: 'masked-input', offset: 8, words: new Uint32Array(3) },
    ]);
    substitute(s, SECOND_BAD, 'unmask-response', ([r]) => [
      { ...r!, maskKeyShares: [r!.selfSeedShares[0]!] },
    ]);
    s.hold = (_to, message) => message.kind === 'unmask-request';
    s.start().run();
    s.release([SECOND_BAD]).run();
    assert.deepEqual(drops(s), [
      drop(BAD, DropReason.MalformedMaskedInput, 'masked-input'),
      drop(SECOND_BAD, DropReason.MalformedUnmaskResponse, 'unmasking'),
    ]);
    assertExactRound(s, without(BAD), without(BAD, SECOND_BAD));
  });
});

describe('corrupted unmask shares', () => {
  // The complete graph on ten clients: k = 9, t = 6. Every client holds a share of every other's secrets.
  const COMPLETE = deriveParameters({ clients: 10, dropoutRate: 0.1, corruptFraction: 0.2 });
  const OWNER = 29; // never answers; its shares come from the first t + 1 responders
  const DROPPED = 23;

  /** A field element below 2^256 (a 32-byte secret's range), so only the commitment can expose it. */
  const plausibleShare = (tag: number): Uint8Array => {
    const share = randomBytesOf(tag, SHARE_BYTES);
    share[0] = 0;
    return share;
  };

  /**
   * Holds every unmask request, then lets clients answer in ascending id order (OWNER last) until
   * the server has enough shares. `holder` replaces its share of `owner`'s secret with `share`.
   */
  function corruptedRound(options: {
    holder: ClientId;
    owner: ClientId;
    share: Uint8Array;
    secret: 'selfSeed' | 'maskKey';
    dropped?: ClientId;
    /** Responders allowed to answer (default: as many as the server waits for). */
    stopAfter?: number;
  }): { s: Session; answered: ClientId[] } {
    assert.deepEqual({ degree: COMPLETE.degree, threshold: COMPLETE.threshold }, { degree: 9, threshold: 6 });
    const s = new Session({ ids: IDS, parameters: COMPLETE, sessionTag: nextTag++, dimension: DIMENSION });
    if (options.dropped !== undefined) s.scripts.set(options.dropped, { at: 'masked-input' });
    const field = options.secret === 'selfSeed' ? 'selfSeedShares' : 'maskKeyShares';
    substitute(s, options.holder, 'unmask-response', ([r]) => {
      assert.ok(r![field].some((x) => x.owner === options.owner));
      const replaced = r![field].map((x) => (x.owner === options.owner ? { ...x, share: options.share } : x));
      return [{ ...r!, [field]: replaced }];
    });
    s.hold = (_to, message) => message.kind === 'unmask-request';
    s.start().run();
    assert.equal(s.server.phase, 'unmasking');
    const answered: ClientId[] = [];
    for (const id of IDS.filter((x) => x !== OWNER && s.held.some((o) => o.to === x))) {
      if (s.server.phase !== 'unmasking' || answered.length === options.stopAfter) break;
      answered.push(id);
      s.deliver({ to: id, message: s.take(id, 'unmask-request') });
    }
    return { s, answered };
  }

  /** The holder's place among the shares the server holds for the owner (x = index in the owner's neighbours + 1). */
  function rankAmong(answered: readonly ClientId[], holder: ClientId): number {
    return [...answered].sort((a, b) => a - b).indexOf(holder);
  }

  function assertCompletesDespite(
    s: Session,
    answered: readonly ClientId[],
    holder: ClientId,
    survivors: readonly ClientId[],
  ): void {
    assert.deepEqual(
      drops(s).filter((d) => !d.startsWith(`${DROPPED}:`)),
      [],
    );
    assert.equal(answered.length, COMPLETE.threshold + 1, 'the owner should have t + 1 shares, one corrupt');
    assert.ok(answered.includes(holder));
    assertExactRound(s, survivors, without(DROPPED));
  }

  test('a corrupted self-seed share from the lowest-x holder is skipped when t + 1 shares exist', () => {
    const { s, answered } = corruptedRound({
      holder: 2,
      owner: OWNER,
      share: plausibleShare(20),
      secret: 'selfSeed',
    });
    assert.equal(rankAmong(answered, 2), 0);
    assertCompletesDespite(s, answered, 2, IDS);
  });

  test('a corrupted self-seed share from the highest-x holder is skipped when t + 1 shares exist', () => {
    const { s, answered } = corruptedRound({
      holder: 17,
      owner: OWNER,
      share: plausibleShare(21),
      secret: 'selfSeed',
    });
    assert.equal(rankAmong(answered, 17), COMPLETE.threshold);
    assertCompletesDespite(s, answered, 17, IDS);
  });

  test('a self-seed share that is not a field element drops and names its holder; the round completes', () => {
    const share = randomBytesOf(22, SHARE_BYTES);
    share[0] = 0xff; // >= 2^257 > p: an honest holder range-checked every share it kept
    const { s } = corruptedRound({ holder: 7, owner: OWNER, share, secret: 'selfSeed' });
    assert.deepEqual(drops(s), [drop(7, DropReason.MalformedUnmaskResponse, 'unmasking')]);
    assertToldDropped(s, 7, DropReason.MalformedUnmaskResponse);
    const result = assertExactRound(s, IDS, without(7));
    assert.deepEqual(
      [...result.culprits].map(([id, c]) => [id, CulpritReason[c.reason]]),
      [[7, 'MalformedUnmaskShare']],
    );
  });

  test('a corrupted self-seed share from a middle holder is skipped when t + 1 shares exist', () => {
    const share = plausibleShare(23);
    assert.ok(BigInt('0x' + Buffer.from(share).toString('hex')) < SHAMIR_PRIME);
    const { s, answered } = corruptedRound({ holder: 5, owner: OWNER, share, secret: 'selfSeed' });
    assert.equal(rankAmong(answered, 5), 2);
    assertCompletesDespite(s, answered, 5, IDS);
  });

  test('a corrupted masking-key share of a dropped client from the lowest-x holder is skipped', () => {
    const { s, answered } = corruptedRound({
      holder: 2,
      owner: DROPPED,
      share: plausibleShare(24),
      secret: 'maskKey',
      dropped: DROPPED,
    });
    assert.deepEqual(drops(s), [drop(DROPPED, DropReason.Timeout, 'masked-input')]);
    assertCompletesDespite(s, answered, 2, without(DROPPED));
  });

  test('a corrupted masking-key share of a dropped client from a middle holder is skipped', () => {
    const { s, answered } = corruptedRound({
      holder: 7,
      owner: DROPPED,
      share: plausibleShare(25),
      secret: 'maskKey',
      dropped: DROPPED,
    });
    assert.equal(rankAmong(answered, 7), 3);
    assertCompletesDespite(s, answered, 7, without(DROPPED));
  });

  test('with only t shares, one corrupted, the server waits for a spare share and completes', () => {
    // Client 2 answers first, so its own secret gets shares only from the t responders after it.
    const { s, answered } = corruptedRound({
      holder: 5,
      owner: 2,
      share: plausibleShare(26),
      secret: 'selfSeed',
    });
    // After t + 1 answers every other secret is verified, but 2's is not: the server keeps waiting.
    assert.equal(answered.length, COMPLETE.threshold + 2);
    assert.deepEqual(drops(s), []);
    const result = assertExactRound(s, IDS, IDS);
    // One wrong share for one owner: a single corrupt holder could frame no one, so no one is named.
    assert.deepEqual([...result.culprits], []);
  });

  test('with only t shares, one corrupted, and no one left to answer, the session aborts with InconsistentShares', () => {
    const { s } = corruptedRound({
      holder: 5,
      owner: 2,
      share: plausibleShare(27),
      secret: 'selfSeed',
      stopAfter: COMPLETE.threshold + 1,
    });
    assert.equal(s.server.phase, 'unmasking');
    assert.deepEqual(s.server.waitingFor, [19, 23, 29]);
    s.record(s.server.deadline());
    assert.equal(s.server.phase, 'aborted');
    assert.equal(s.server.abortError?.reason, AbortReason.InconsistentShares);
    assert.throws(() => s.server.finish(), LocalProtocolError);
    const told = s.sent
      .filter((o) => o.message.kind === 'abort' && /\(InconsistentShares\)/.test(o.message.reason))
      .map((o) => o.to);
    // The silent ones were dropped by the deadline and told so; everyone else learns why it ended.
    assert.deepEqual(told, without(19, 23, 29));
    assert.deepEqual(
      drops(s),
      [19, 23, 29].map((id) => drop(id, DropReason.Timeout, 'unmasking')),
    );
  });
});

describe('too few clients', () => {
  // t = 5: a roster needs t + 1 = 6 clients; every later phase needs t = 5.
  const scenarios: [string, ServerPhase, ClientId[], (s: Session, bad: ClientId[]) => void][] = [
    [
      'bad key signatures leave too few for a roster',
      'advertise-keys',
      [2, 3, 5, 7, 11],
      (s, bad) => {
        for (const id of bad)
          substitute(s, id, 'advertise-keys', ([k]) => [{ ...k!, signature: flipByte(k!.signature) }]);
      },
    ],
    [
      'silence in ShareKeys',
      'share-keys',
      [3, 7, 13, 17, 23, 29],
      (s, bad) => {
        for (const id of bad) s.scripts.set(id, { at: 'share-keys' });
      },
    ],
    [
      'malformed and partial masked inputs',
      'masked-input',
      [2, 5, 11, 13, 19, 29],
      (s, bad) => {
        for (const id of bad.slice(0, 3)) substitute(s, id, 'masked-input', ([c0, , c2]) => [c0!, c2!]);
        for (const id of bad.slice(3)) s.scripts.set(id, { at: 'masked-input', keep: 1, disconnect: true });
      },
    ],
    [
      'bad consistency signatures',
      'consistency-check',
      [2, 3, 5, 7, 11, 13],
      (s, bad) => {
        for (const id of bad)
          substitute(s, id, 'consistency-signature', ([m]) => [{ ...m!, signature: flipByte(m!.signature) }]);
      },
    ],
  ];
  for (const [what, phase, bad, setup] of scenarios) {
    test(`${what}: the session aborts with TooFewClients and tells the rest`, () => {
      const s = newSession();
      setup(s, bad);
      s.start().run();
      assert.equal(s.server.phase, 'aborted');
      assert.ok(s.server.abortError instanceof SecAggAbortedError);
      assert.equal(s.server.abortError.reason, AbortReason.TooFewClients);
      assert.throws(() => s.server.finish(), LocalProtocolError);
      assert.deepEqual(
        [...s.server.dropped.keys()].sort((a, b) => a - b),
        bad,
      );
      for (const [, record] of s.server.dropped) assert.equal(record.phase, phase);
      const rest = without(...bad);
      const told = s.sent
        .filter((o) => o.message.kind === 'abort' && /\(TooFewClients\)/.test(o.message.reason))
        .map((o) => o.to)
        .sort((a, b) => a - b);
      assert.deepEqual(told, rest);
      for (const id of rest) {
        assert.equal(s.client(id).phase, 'aborted');
        assert.match(s.client(id).abortReason ?? '', /^server aborted: .*TooFewClients/);
      }
    });
  }
});
