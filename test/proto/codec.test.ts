import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError } from '../../aggregation/errors.js';
import type { ClientMessage, ServerMessage } from '../../aggregation/secagg/index.js';
import * as codec from '../../proto/codec.js';
import { loadCohortProto } from '../../proto/load.js';

const service = loadCohortProto().Coordinator.service;
const roundId = new Uint8Array(32).fill(9);
const filled = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

/** Through the real protobuf encoding of the RPC's request type, and back. */
function overTheWire<T>(method: string, message: T): T {
  const definition = service[method] as grpc.MethodDefinition<T, unknown>;
  return definition.requestDeserialize(definition.requestSerialize(message));
}

describe('member → coordinator messages survive the protobuf encoding', () => {
  const cases: [string, ClientMessage, (m: never) => unknown, (m: never) => ClientMessage][] = [
    [
      'AdvertiseKeys',
      {
        kind: 'advertise-keys',
        encryptionKey: filled(32, 1),
        maskingKey: filled(32, 2),
        graphCommitment: filled(32, 4),
        signature: filled(64, 3),
      },
      (m) => codec.encodeAdvertiseKeys(roundId, m),
      (m) => codec.decodeAdvertiseKeys(m),
    ],
    [
      'RevealGraphNonce',
      { kind: 'graph-nonce', attempt: 2, nonce: filled(32, 5) },
      (m) => codec.encodeGraphNonce(roundId, m),
      (m) => codec.decodeGraphNonce(m),
    ],
    [
      'CheckShares',
      { kind: 'share-check', rejected: [2, 5, 8] },
      (m) => codec.encodeShareCheck(roundId, m),
      (m) => codec.decodeShareCheck(m, 8),
    ],
    [
      'CheckShares, nothing rejected',
      { kind: 'share-check', rejected: [] },
      (m) => codec.encodeShareCheck(roundId, m),
      (m) => codec.decodeShareCheck(m, 8),
    ],
    [
      'ShareKeys',
      {
        kind: 'share-keys',
        ciphertexts: [
          { recipient: 4, ciphertext: filled(106, 5) },
          { recipient: 7, ciphertext: filled(106, 6) },
        ],
        selfSeedCommitment: filled(32, 8),
      },
      (m) => codec.encodeShareKeys(roundId, m),
      (m) => codec.decodeShareKeys(m),
    ],
    [
      'SignSurvivors',
      { kind: 'consistency-signature', signature: filled(64, 4) },
      (m) => codec.encodeSignSurvivors(roundId, m),
      (m) => codec.decodeSignSurvivors(m),
    ],
    [
      'Unmask',
      {
        kind: 'unmask-response',
        selfSeedShares: [{ owner: 2, share: filled(33, 1) }],
        maskKeyShares: [{ owner: 3, share: filled(33, 2) }],
      },
      (m) => codec.encodeUnmask(roundId, m),
      (m) => codec.decodeUnmask(m),
    ],
  ];
  for (const [name, message, encode, decode] of cases) {
    test(name, () => {
      const method = name.split(',')[0]!;
      const wire = overTheWire(method, encode(message as never));
      assert.deepEqual([...codec.roundIdOf(wire as { round_id: Uint8Array })], [...roundId]);
      const back = decode(wire as never);
      assert.deepEqual(plain(back), plain(message));
    });
  }

  test('UploadMaskedInput words, including an unaligned buffer', () => {
    const words = Uint32Array.from([0, 1, 0xffff_ffff, 123_456_789, 42]);
    const wire = overTheWire(
      'UploadMaskedInput',
      codec.encodeMaskedInputChunk(roundId, { kind: 'masked-input', offset: 8, words }),
    );
    const back = codec.decodeMaskedInputChunk(wire);
    assert.equal(back.offset, 8);
    assert.deepEqual([...back.words], [...words]);
    const unaligned = new Uint8Array(21).subarray(1);
    unaligned.set(new Uint8Array(words.buffer));
    assert.deepEqual(
      [...codec.decodeMaskedInputChunk({ round_id: roundId, offset: 0, words: unaligned }).words],
      [...words],
    );
  });
});

test('coordinator pushes survive the CoordinatorEvent encoding', () => {
  const definition = service['Subscribe'] as grpc.MethodDefinition<unknown, codec.WireSecAggEvent>;
  const messages: ServerMessage[] = [
    {
      kind: 'roster',
      attempt: 1,
      entries: [
        {
          id: 1,
          encryptionKey: filled(32, 1),
          maskingKey: filled(32, 2),
          graphCommitment: filled(32, 4),
          signature: filled(64, 3),
        },
      ],
    },
    {
      kind: 'graph-nonces',
      attempt: 3,
      nonces: [
        { id: 1, nonce: filled(32, 6) },
        { id: 4, nonce: filled(32, 7) },
      ],
    },
    { kind: 'mask-with', peers: [2, 3, 7] },
    { kind: 'mask-with', peers: [] },
    { kind: 'shares-for-you', ciphertexts: [{ sender: 5, ciphertext: filled(106, 7) }] },
    { kind: 'survivor-list', survivors: [1, 2, 5] },
    {
      kind: 'unmask-request',
      survivors: [1, 2],
      signatures: [{ signer: 2, signature: filled(64, 9) }],
      selfSeedOwners: [2],
      maskKeyOwners: [3],
    },
    { kind: 'abort', reason: 'too few clients' },
  ];
  for (const message of messages) {
    const wire = definition.responseDeserialize(
      definition.responseSerialize(codec.encodeServerMessage(roundId, message)),
    );
    assert.deepEqual(plain(codec.decodeServerMessage(wire)), plain(message), message.kind);
  }
});

describe('malformed wire messages are refused naming the field', () => {
  const rejects = (fn: () => unknown, field: string): void => {
    assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && e.field === field, field);
  };
  test('key, signature and commitment lengths', () => {
    const good = {
      round_id: roundId,
      encryption_key: filled(32, 1),
      masking_key: filled(32, 2),
      signature: filled(64, 3),
      graph_commitment: filled(32, 4),
    };
    rejects(() => codec.decodeAdvertiseKeys({ ...good, encryption_key: filled(31, 1) }), 'encryption_key');
    rejects(() => codec.decodeAdvertiseKeys({ ...good, masking_key: filled(0, 1) }), 'masking_key');
    rejects(() => codec.decodeAdvertiseKeys({ ...good, signature: filled(65, 1) }), 'signature');
    rejects(
      () =>
        codec.decodeShareKeys({ round_id: roundId, ciphertexts: [], self_seed_commitment: filled(31, 0) }),
      'self_seed_commitment',
    );
    rejects(() => codec.roundIdOf({ round_id: filled(16, 0) }), 'round_id');
    rejects(
      () => codec.decodeAdvertiseKeys({ ...good, graph_commitment: filled(31, 4) }),
      'graph_commitment',
    );
    // An old member that does not send the commitment at all (proto3 default: empty bytes).
    rejects(() => codec.decodeAdvertiseKeys({ ...good, graph_commitment: filled(0, 0) }), 'graph_commitment');
  });
  test('graph nonces: length and attempt in 1..3', () => {
    const good = { round_id: roundId, attempt: 1, nonce: filled(32, 1) };
    assert.equal(codec.decodeGraphNonce({ ...good, attempt: 3 }).attempt, 3);
    rejects(() => codec.decodeGraphNonce({ ...good, nonce: filled(33, 1) }), 'nonce');
    rejects(() => codec.decodeGraphNonce({ ...good, nonce: filled(0, 1) }), 'nonce');
    for (const attempt of [0, 4, 1.5, -1])
      rejects(() => codec.decodeGraphNonce({ ...good, attempt }), 'attempt');
  });
  test('share checks: strictly ascending member indices, no more than the participants', () => {
    const check = (rejected: number[], participants = 8) =>
      codec.decodeShareCheck({ round_id: roundId, rejected }, participants);
    assert.deepEqual(check([1, 8]).rejected, [1, 8]);
    rejects(() => check([3, 2]), 'rejected[1]');
    rejects(() => check([2, 2]), 'rejected[1]');
    rejects(() => check([0, 2]), 'rejected[0]');
    rejects(() => check([1, 2, 3, 4], 3), 'rejected');
    rejects(() => codec.decodeShareCheck({ round_id: roundId, rejected: null as never }, 8), 'rejected');
  });
  test('pushed rosters, nonces and mask-with lists a member refuses', () => {
    const entry = {
      member_index: 1,
      encryption_key: filled(32, 1),
      masking_key: filled(32, 2),
      signature: filled(64, 3),
      graph_commitment: filled(32, 4),
    };
    const roster = (attempt: number, entries = [entry]): codec.WireSecAggEvent => ({
      event: 'roster',
      roster: { round_id: roundId, attempt, entries },
    });
    rejects(() => codec.decodeServerMessage(roster(0)), 'roster.attempt');
    rejects(() => codec.decodeServerMessage(roster(4)), 'roster.attempt');
    rejects(
      () => codec.decodeServerMessage(roster(1, [{ ...entry, graph_commitment: filled(16, 0) }])),
      'roster.entries[0].graph_commitment',
    );
    rejects(() => codec.decodeServerMessage(roster(1, [entry, entry, entry]), 2), 'roster.entries');
    const nonces = (
      attempt: number,
      list: { member_index: number; nonce: Uint8Array }[],
    ): codec.WireSecAggEvent => ({
      event: 'graph_nonces',
      graph_nonces: { round_id: roundId, attempt, nonces: list },
    });
    rejects(
      () => codec.decodeServerMessage(nonces(1, [{ member_index: 1, nonce: filled(31, 0) }])),
      'graph_nonces.nonces[0].nonce',
    );
    rejects(
      () => codec.decodeServerMessage(nonces(1, [{ member_index: 0, nonce: filled(32, 0) }])),
      'graph_nonces.nonces[0].member_index',
    );
    rejects(() => codec.decodeServerMessage(nonces(5, [])), 'graph_nonces.attempt');
    rejects(
      () =>
        codec.decodeServerMessage(
          nonces(1, [
            { member_index: 1, nonce: filled(32, 0) },
            { member_index: 2, nonce: filled(32, 0) },
          ]),
          1,
        ),
      'graph_nonces.nonces',
    );
    const maskWith = (peers: number[]): codec.WireSecAggEvent => ({
      event: 'mask_with',
      mask_with: { round_id: roundId, peers },
    });
    rejects(() => codec.decodeServerMessage(maskWith([4, 2])), 'mask_with.peers[1]');
    rejects(() => codec.decodeServerMessage(maskWith([1, 2, 3]), 2), 'mask_with.peers');
  });
  test('member indices and share sizes', () => {
    rejects(
      () =>
        codec.decodeShareKeys({
          round_id: roundId,
          ciphertexts: [{ recipient: 0, ciphertext: filled(106, 0) }],
          self_seed_commitment: filled(32, 0),
        }),
      'ciphertexts[0].recipient',
    );
    rejects(
      () =>
        codec.decodeUnmask({
          round_id: roundId,
          self_seed_shares: [{ owner: 2, share: filled(32, 0) }],
          mask_key_shares: [],
        }),
      'self_seed_shares[0].share',
    );
    rejects(
      () =>
        codec.decodeUnmask({
          round_id: roundId,
          self_seed_shares: [],
          mask_key_shares: [{ owner: 1.5, share: filled(33, 0) }],
        }),
      'mask_key_shares[0].owner',
    );
  });
  test('masked input words and offset', () => {
    rejects(
      () => codec.decodeMaskedInputChunk({ round_id: roundId, offset: 0, words: filled(6, 0) }),
      'words',
    );
    rejects(
      () => codec.decodeMaskedInputChunk({ round_id: roundId, offset: 0, words: filled(0, 0) }),
      'words',
    );
    rejects(
      () => codec.decodeMaskedInputChunk({ round_id: roundId, offset: -4, words: filled(8, 0) }),
      'offset',
    );
  });
});

/** The message with every byte string and word array as a plain array, so Buffer and Uint8Array compare equal. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array || value instanceof Uint32Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
