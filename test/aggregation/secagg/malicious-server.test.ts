import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { cryptoReady } from '../../../aggregation/crypto/sodium.js';
import { SHARE_BYTES } from '../../../aggregation/crypto/shamir.js';
import { sign } from '../../../aggregation/crypto/signature.js';
import {
  DropReason,
  GRAPH_ATTEMPTS,
  opensCommitment,
  validateParameters,
  type AdvertiseKeys,
  type GraphNonces,
  type ClientId,
  type ClientMessage,
  type Roster,
  type SecAggClient,
  type SecAggParameters,
  type ServerMessage,
  type SharesForYou,
  type UnmaskRequest,
} from '../../../aggregation/secagg/index.js';
import { rosterDigest, survivorListPayload } from '../../../aggregation/secagg/transcript.js';
import { flipByte, identityOf, randomBytesOf, Session, type SessionOptions } from './helpers.js';

await cryptoReady();

// Complete graph on 7 clients: k = 6, t = 4 (t > k/2).
const IDS: readonly ClientId[] = [10, 20, 30, 40, 50, 60, 70];
const COMPLETE: SecAggParameters = { clients: 7, degree: 6, threshold: 4 };
// Degree 4 on 8 clients, so every client has 3 non-neighbours: k = 4, t = 3.
const SPARSE_IDS: readonly ClientId[] = [1, 2, 3, 4, 5, 6, 7, 8];
const SPARSE: SecAggParameters = { clients: 8, degree: 4, threshold: 3 };
validateParameters(COMPLETE);
validateParameters(SPARSE);

const TARGET = 30;
/** Goes silent instead of sending its masked input, so it is off the survivor list. */
const DROPPED = 60;
const NON_MEMBER = 99;

type Kind = ServerMessage['kind'];

function newSession(overrides: Partial<SessionOptions> = {}): Session {
  return new Session({ ids: IDS, parameters: COMPLETE, sessionTag: 1, ...overrides });
}

/** Runs the honest server until `kind` is about to reach the target, and returns it undelivered. */
function heldAt<K extends Kind>(
  kind: K,
  options: { session?: Session; target?: ClientId; dropAt?: ClientMessage['kind'] } = {},
): { s: Session; client: SecAggClient; genuine: Extract<ServerMessage, { kind: K }> } {
  const s = options.session ?? newSession();
  const target = options.target ?? TARGET;
  if (options.dropAt !== undefined) s.scripts.set(DROPPED, { at: options.dropAt });
  s.hold = (to, message) => to === target && message.kind === kind;
  s.start().run();
  const genuine = s.take(target, kind);
  return { s, client: s.client(target), genuine };
}

/** The honest unmask request to the target, with DROPPED silent from MaskedInputCollection on. */
function unmaskRequest(
  session?: Session,
  survivors: readonly ClientId[] = [10, 20, 30, 40, 50, 70],
  maskKeyOwners: readonly ClientId[] = [DROPPED],
): { s: Session; client: SecAggClient; genuine: UnmaskRequest } {
  const held =
    session === undefined
      ? heldAt('unmask-request', { dropAt: 'masked-input' })
      : heldAt('unmask-request', { session });
  const { genuine } = held;
  // Preconditions the forgeries below build on.
  assert.deepEqual(genuine.survivors, survivors);
  assert.deepEqual(
    genuine.selfSeedOwners,
    survivors.filter((id) => id !== TARGET),
  );
  assert.deepEqual(genuine.maskKeyOwners, maskKeyOwners);
  assert.ok(genuine.signatures.length >= COMPLETE.threshold);
  return held;
}

/**
 * The client refused: it is aborted for a reason matching `pattern`, its only message is an abort
 * carrying that reason (so no share of anything left it), and the genuine message it is handed
 * afterwards gets nothing either.
 */
function assertRefused(
  client: SecAggClient,
  reply: ClientMessage[],
  pattern: RegExp,
  genuine?: ServerMessage,
): void {
  assert.equal(client.phase, 'aborted');
  assert.match(client.abortReason ?? '', pattern);
  assert.deepEqual(reply, [{ kind: 'abort', reason: client.abortReason }]);
  if (genuine !== undefined) {
    assert.deepEqual(client.handle(genuine), []);
    assert.equal(client.phase, 'aborted');
  }
}

/**
 * The target is handed `forged` in place of its genuine roster. Signatures cannot be checked before the
 * nonces fix the graph, so it reveals its nonce (which discloses nothing) and then refuses when the
 * genuine nonces arrive: no share ciphertext ever leaves it.
 */
function refusedAtNonces(s: Session, client: SecAggClient, forged: Roster, pattern: RegExp): void {
  const reply = client.handle(forged);
  assert.deepEqual(
    reply.map((m) => m.kind),
    ['graph-nonce'],
  );
  s.send(TARGET, reply);
  s.hold = (to, message) => to === TARGET && message.kind === 'graph-nonces';
  s.run();
  const nonces = s.take(TARGET, 'graph-nonces');
  assertRefused(client, client.handle(nonces), pattern, nonces);
}

/** The client kept going but rejected exactly `rejected`: its only message is that share check. */
function assertRejected(client: SecAggClient, reply: ClientMessage[], rejected: readonly ClientId[]): void {
  assert.equal(client.abortReason, undefined);
  assert.equal(client.phase, 'masked-input');
  assert.deepEqual(reply, [{ kind: 'share-check', rejected }]);
}

/** The refusal for a survivor list with only `count` valid signatures that count. */
function tooFewSignatures(count: number): RegExp {
  return new RegExp(
    `survivor list (?:is signed by ${count} neighbours|carries ${count} valid survivor signatures); at least ${COMPLETE.threshold} are required`,
  );
}

/** Digest of the roster the session's graph came from, as its clients sign it in R3. */
function rosterDigestOf(s: Session): Uint8Array {
  const roster = s.roster();
  return rosterDigest(s.sessionId, roster.attempt, roster.entries);
}

function signedBy(
  s: Session,
  survivors: readonly ClientId[],
  signers: readonly ClientId[],
  digestOfRoster: Uint8Array = rosterDigestOf(s),
): UnmaskRequest['signatures'] {
  const payload = survivorListPayload(s.sessionId, digestOfRoster, survivors);
  return signers.map((signer) => ({ signer, signature: sign(payload, identityOf(signer).secretKey) }));
}

describe('positive control', () => {
  test('the untampered unmask request is answered with exactly the requested shares and the sum is exact', () => {
    const s = newSession();
    s.scripts.set(DROPPED, { at: 'masked-input' });
    s.hold = (_to, message) => message.kind === 'unmask-request';
    s.start().run();
    const request = s.take(TARGET, 'unmask-request');
    const client = s.client(TARGET);
    assert.equal(client.phase, 'unmasking');
    const reply = s.deliver({ to: TARGET, message: request });
    assert.equal(client.phase, 'completed');
    assert.equal(client.abortReason, undefined);
    assert.equal(reply.length, 1);
    const response = reply[0]!;
    assert.ok(response.kind === 'unmask-response');
    assert.deepEqual(
      response.selfSeedShares.map((x) => x.owner),
      request.selfSeedOwners,
    );
    assert.deepEqual(
      response.maskKeyShares.map((x) => x.owner),
      request.maskKeyOwners,
    );
    assert.deepEqual(request.maskKeyOwners, [DROPPED]);
    for (const { share } of [...response.selfSeedShares, ...response.maskKeyShares])
      assert.equal(share.length, SHARE_BYTES);

    // The target answered first, so its shares are among those the server rebuilds every secret from.
    s.release().run();
    assert.equal(s.server.phase, 'ready');
    const result = s.server.finish();
    assert.deepEqual(result.survivors, [10, 20, 30, 40, 50, 70]);
    assert.deepEqual([...s.server.dropped.keys()], [DROPPED]);
    assert.deepEqual(result.sum, s.expectedSum(result.survivors));
    for (const id of IDS) if (id !== DROPPED) assert.equal(s.client(id).phase, 'completed');
  });
});

describe('unmask request: both secrets of one client', () => {
  test('refuses a request for the self-seed and the masking-key share of the same survivor', () => {
    const { client, genuine } = unmaskRequest();
    const forged: UnmaskRequest = { ...genuine, maskKeyOwners: [...genuine.maskKeyOwners, 40] };
    assertRefused(client, client.handle(forged), /client 40 twice or asks for both of its shares/, genuine);
  });

  test('refuses a request for both shares of the dropped client', () => {
    const { client, genuine } = unmaskRequest();
    const forged: UnmaskRequest = { ...genuine, selfSeedOwners: [...genuine.selfSeedOwners, DROPPED] };
    assertRefused(
      client,
      client.handle(forged),
      /client 60 twice or asks for both|self-seed share asked for client 60/,
      genuine,
    );
  });

  test('refuses a request naming one owner twice in the same list', () => {
    const { client, genuine } = unmaskRequest();
    const forged: UnmaskRequest = { ...genuine, selfSeedOwners: [...genuine.selfSeedOwners, 40] };
    assertRefused(client, client.handle(forged), /names client 40 twice/, genuine);
  });
});

describe('unmask request: owners outside the neighbourhood', () => {
  function sparse(): { client: SecAggClient; genuine: UnmaskRequest; outsider: ClientId } {
    const s = new Session({ ids: SPARSE_IDS, parameters: SPARSE, sessionTag: 2 });
    const { client, genuine } = heldAt('unmask-request', { session: s, target: 3 });
    const neighbours = s.graph().neighbours(3);
    assert.equal(neighbours.length, 4);
    assert.deepEqual(genuine.selfSeedOwners, neighbours);
    const outsider = SPARSE_IDS.find((id) => id !== 3 && !neighbours.includes(id));
    assert.ok(outsider !== undefined);
    return { client, genuine, outsider };
  }

  test('refuses a self-seed share of a non-neighbour', () => {
    const { client, genuine, outsider } = sparse();
    const forged: UnmaskRequest = { ...genuine, selfSeedOwners: [...genuine.selfSeedOwners, outsider] };
    assertRefused(
      client,
      client.handle(forged),
      new RegExp(`client ${outsider}, outside this neighbourhood`),
      genuine,
    );
  });

  test('refuses a masking-key share of a non-neighbour', () => {
    const { client, genuine, outsider } = sparse();
    const forged: UnmaskRequest = { ...genuine, maskKeyOwners: [outsider] };
    assertRefused(
      client,
      client.handle(forged),
      new RegExp(`client ${outsider}, outside this neighbourhood`),
      genuine,
    );
  });

  test('refuses a share of the client itself', () => {
    const { client, genuine } = unmaskRequest();
    const forged: UnmaskRequest = { ...genuine, maskKeyOwners: [...genuine.maskKeyOwners, TARGET] };
    assertRefused(client, client.handle(forged), /client 30, outside this neighbourhood/, genuine);
  });
});

describe('unmask request: the signed survivor list', () => {
  test('refuses an unsigned survivor list', () => {
    const { client, genuine } = unmaskRequest();
    const forged: UnmaskRequest = { ...genuine, signatures: [] };
    assertRefused(client, client.handle(forged), tooFewSignatures(0), genuine);
  });

  test('refuses a survivor list with one valid signature too few', () => {
    const { client, genuine } = unmaskRequest();
    const forged: UnmaskRequest = { ...genuine, signatures: genuine.signatures.slice(0, 3) };
    assertRefused(client, client.handle(forged), tooFewSignatures(3), genuine);
  });

  test('refuses signatures attributed to the wrong signers', () => {
    const { client, genuine } = unmaskRequest();
    const all = genuine.signatures;
    const rotated = all.map((x, i) => ({
      signer: x.signer,
      signature: all[(i + 1) % all.length]!.signature,
    }));
    assertRefused(client, client.handle({ ...genuine, signatures: rotated }), tooFewSignatures(0), genuine);
  });

  test('refuses signatures made with a key that is not the named signer’s identity', () => {
    const { s, client, genuine } = unmaskRequest();
    const payload = survivorListPayload(s.sessionId, rosterDigestOf(s), genuine.survivors);
    const forgedSignatures = genuine.signatures.map(({ signer }) => ({
      signer,
      signature: sign(payload, identityOf(NON_MEMBER).secretKey),
    }));
    const forged: UnmaskRequest = { ...genuine, signatures: forgedSignatures };
    assertRefused(client, client.handle(forged), tooFewSignatures(0), genuine);
  });

  test('counts neither a repeated signature nor one by a client off the survivor list', () => {
    const { s, client, genuine } = unmaskRequest();
    const [by10, by20, by40] = signedBy(s, genuine.survivors, [10, 20, 40]);
    // DROPPED's identity really signed this list, but DROPPED is not on it.
    const [byDropped] = signedBy(s, genuine.survivors, [DROPPED]);
    const padded = [by10!, by10!, by10!, by20!, by40!, byDropped!];
    assertRefused(client, client.handle({ ...genuine, signatures: padded }), tooFewSignatures(3), genuine);
  });

  test('refuses a survivor list other than the one it signed', () => {
    const { client, genuine } = unmaskRequest();
    const forged: UnmaskRequest = { ...genuine, survivors: genuine.survivors.filter((id) => id !== 70) };
    assertRefused(
      client,
      client.handle(forged),
      /survivor list other than the one this client signed/,
      genuine,
    );
  });

  test('refuses another list even when it carries valid signatures over that list', () => {
    // The server tells the target that DROPPED survived, to collect its self-seed share here while
    // others reveal its masking key: even with every neighbour's signature over that list, no.
    const { s, client, genuine } = unmaskRequest();
    const survivors = [...IDS];
    const forged: UnmaskRequest = {
      ...genuine,
      survivors,
      signatures: signedBy(s, survivors, [10, 20, 40, 50, 60, 70]),
      selfSeedOwners: [10, 20, 40, 50, 60, 70],
      maskKeyOwners: [],
    };
    assertRefused(
      client,
      client.handle(forged),
      /survivor list other than the one this client signed/,
      genuine,
    );
  });
});

describe('replay from another session', () => {
  // Same client randomness in both sessions: the round keys coincide, only the session id differs.
  const sessionA = (): Session => newSession({ sessionTag: 11, randomTag: 7 });
  const sessionB = (): Session => newSession({ sessionTag: 12, randomTag: 7 });

  test('refuses a roster from another session, though its keys and signatures are valid there', () => {
    const a = heldAt('roster', { session: sessionA() });
    const b = heldAt('roster', { session: sessionB() });
    const mineA = a.genuine.entries.find((e) => e.id === TARGET)!;
    const mineB = b.genuine.entries.find((e) => e.id === TARGET)!;
    assert.deepEqual(mineA.encryptionKey, mineB.encryptionKey);
    assert.deepEqual(mineA.maskingKey, mineB.maskingKey);
    assert.deepEqual(mineA.graphCommitment, mineB.graphCommitment);
    assert.notDeepEqual(a.s.sessionId, b.s.sessionId);
    refusedAtNonces(b.s, b.client, a.genuine, /keys of client 10 are not signed by it/);
  });

  test('rejects a share ciphertext captured in another session', () => {
    const a = heldAt('shares-for-you', { session: sessionA() });
    const b = heldAt('shares-for-you', { session: sessionB() });
    const fromA = a.genuine.ciphertexts.find((c) => c.sender === 10)!;
    const forged: SharesForYou = {
      kind: 'shares-for-you',
      ciphertexts: b.genuine.ciphertexts.map((c) => (c.sender === 10 ? fromA : c)),
    };
    assertRejected(b.client, b.client.handle(forged), [10]);
  });

  test('refuses all of another session’s share ciphertexts: too few valid shares to be unmasked', () => {
    const a = heldAt('shares-for-you', { session: sessionA() });
    const b = heldAt('shares-for-you', { session: sessionB() });
    assertRefused(
      b.client,
      b.client.handle(a.genuine),
      /only 0 neighbours shared keys \(shares of 10, 20, 40, 50, 60, 70 did not open\); threshold is 4/,
      b.genuine,
    );
  });

  test('refuses a survivor list and signatures from another session', () => {
    const a = heldAt('unmask-request', { session: sessionA() });
    const b = heldAt('unmask-request', { session: sessionB() });
    assert.deepEqual(a.genuine.survivors, b.genuine.survivors);
    assert.ok(a.genuine.signatures.length >= COMPLETE.threshold);
    assertRefused(b.client, b.client.handle(a.genuine), tooFewSignatures(0), b.genuine);
  });
});

describe('share ciphertexts', () => {
  /** Every client's shares-for-you held back, so ciphertexts can be moved between them. */
  function allHeld(): { s: Session; client: SecAggClient; genuine: SharesForYou } {
    const s = newSession();
    s.hold = (_to, message) => message.kind === 'shares-for-you';
    s.start().run();
    assert.equal(s.held.length, IDS.length);
    return { s, client: s.client(TARGET), genuine: s.take(TARGET, 'shares-for-you') };
  }

  const replacing = (genuine: SharesForYou, sender: ClientId, ciphertext: Uint8Array): SharesForYou => ({
    kind: 'shares-for-you',
    ciphertexts: genuine.ciphertexts.map((c) => (c.sender === sender ? { sender, ciphertext } : c)),
  });

  for (const [where, at] of [
    ['nonce', 0],
    ['body', 40],
    ['tag', -1],
  ] as const) {
    test(`rejects (does not abort on) a ciphertext with one flipped byte in its ${where}`, () => {
      const { client, genuine } = allHeld();
      const original = genuine.ciphertexts.find((c) => c.sender === 10)!.ciphertext;
      const tampered = flipByte(original, at < 0 ? original.length + at : at);
      assertRejected(client, client.handle(replacing(genuine, 10, tampered)), [10]);
    });
  }

  test('rejects a ciphertext addressed to another recipient', () => {
    const { s, client, genuine } = allHeld();
    const to20 = s.take(20, 'shares-for-you');
    const fromTenTo20 = to20.ciphertexts.find((c) => c.sender === 10)!.ciphertext;
    assertRejected(client, client.handle(replacing(genuine, 10, fromTenTo20)), [10]);
  });

  test('rejects a ciphertext relabelled as coming from another sender', () => {
    const { client, genuine } = allHeld();
    const fromTen = genuine.ciphertexts.find((c) => c.sender === 10)!.ciphertext;
    assertRejected(client, client.handle(replacing(genuine, 20, fromTen)), [20]);
  });

  test('rejects a truncated ciphertext', () => {
    const { client, genuine } = allHeld();
    assertRejected(client, client.handle(replacing(genuine, 10, new Uint8Array(39))), [10]);
  });

  test('refuses a mask-with list naming a peer whose share it rejected', () => {
    const { s, client, genuine } = allHeld();
    const tampered = flipByte(genuine.ciphertexts.find((c) => c.sender === 10)!.ciphertext, 40);
    const check = client.handle(replacing(genuine, 10, tampered));
    assertRejected(client, check, [10]);
    const forged: ServerMessage = { kind: 'mask-with', peers: [10, 20, 40, 50, 60, 70] };
    assertRefused(
      client,
      client.handle(forged),
      /mask-with names client 10, whose valid shares this client lacks/,
    );
    assert.ok(s.produced.get(TARGET)!.every((m) => m.kind !== 'masked-input'));
  });

  test('refuses a mask-with list shorter than the threshold', () => {
    const { client, genuine } = allHeld();
    assertRejected(client, client.handle(genuine), []);
    const forged: ServerMessage = { kind: 'mask-with', peers: [10, 20, 40] };
    assertRefused(client, client.handle(forged), /mask-with names 3 peers; threshold is 4/);
  });

  test('refuses an unsorted mask-with list', () => {
    const { client, genuine } = allHeld();
    assertRejected(client, client.handle(genuine), []);
    const forged: ServerMessage = { kind: 'mask-with', peers: [20, 10, 40, 50, 60, 70] };
    assertRefused(client, client.handle(forged), /mask-with list is not sorted/);
  });

  test('refuses two ciphertexts from the same sender', () => {
    const { client, genuine } = allHeld();
    const forged: SharesForYou = {
      ...genuine,
      ciphertexts: [...genuine.ciphertexts, genuine.ciphertexts[0]!],
    };
    assertRefused(client, client.handle(forged), /two shares from client 10/, genuine);
  });

  test('refuses a ciphertext from a client outside the session', () => {
    const { client, genuine } = allHeld();
    const forged: SharesForYou = {
      ...genuine,
      ciphertexts: [
        ...genuine.ciphertexts,
        { sender: NON_MEMBER, ciphertext: genuine.ciphertexts[0]!.ciphertext },
      ],
    };
    assertRefused(client, client.handle(forged), /client 99, which is not a neighbour/, genuine);
  });

  test('refuses to mask with fewer than threshold neighbours', () => {
    const { client, genuine } = allHeld();
    const forged: SharesForYou = { ...genuine, ciphertexts: genuine.ciphertexts.slice(0, 3) };
    assertRefused(client, client.handle(forged), /only 3 neighbours shared keys; threshold is 4/, genuine);
  });
});

describe('roster', () => {
  const rosterHeld = (): { s: Session; client: SecAggClient; genuine: Roster } => heldAt('roster');
  const withEntries = (entries: Roster['entries']): Roster => ({ kind: 'roster', attempt: 1, entries });

  test('refuses a roster that alters its encryption key', () => {
    const { client, genuine } = rosterHeld();
    const entries = genuine.entries.map((e) =>
      e.id === TARGET ? { ...e, encryptionKey: flipByte(e.encryptionKey, 5) } : e,
    );
    assertRefused(client, client.handle(withEntries(entries)), /roster altered this client/, genuine);
  });

  test('refuses a roster that alters its masking key', () => {
    const { client, genuine } = rosterHeld();
    const other = genuine.entries.find((e) => e.id === 40)!;
    const entries = genuine.entries.map((e) =>
      e.id === TARGET ? { ...e, maskingKey: other.maskingKey } : e,
    );
    assertRefused(client, client.handle(withEntries(entries)), /roster altered this client/, genuine);
  });

  test('refuses a roster that leaves it out', () => {
    const { client, genuine } = rosterHeld();
    const entries = genuine.entries.filter((e) => e.id !== TARGET);
    assertRefused(client, client.handle(withEntries(entries)), /roster leaves this client out/, genuine);
  });

  test('refuses an unsorted roster', () => {
    const { client, genuine } = rosterHeld();
    const [first, second, ...rest] = genuine.entries;
    const entries = [second!, first!, ...rest];
    assertRefused(client, client.handle(withEntries(entries)), /roster is not sorted/, genuine);
  });

  test('refuses a roster naming a client twice', () => {
    const { client, genuine } = rosterHeld();
    const entries = [genuine.entries[0]!, ...genuine.entries];
    assertRefused(client, client.handle(withEntries(entries)), /names a client twice/, genuine);
  });

  test('refuses a roster naming a non-member', () => {
    const { client, genuine } = rosterHeld();
    // 70's place taken by 99, whose "keys" are 70's: every entry is a neighbour in the complete graph.
    const entries = genuine.entries.map((e) => (e.id === 70 ? { ...e, id: NON_MEMBER } : e));
    assertRefused(client, client.handle(withEntries(entries)), /client 99, which is not a member/, genuine);
  });

  test('refuses a roster naming a non-member even where it would fall outside its neighbourhood', () => {
    // Membership is checked for every entry before any nonce is revealed: with the graph not yet fixed,
    // a phantom cannot count on landing outside the neighbourhood whose signatures get checked.
    const s = new Session({ ids: SPARSE_IDS, parameters: SPARSE, sessionTag: 2 });
    const { client, genuine } = heldAt('roster', { session: s, target: 3 });
    const phantom = {
      id: NON_MEMBER,
      encryptionKey: randomBytesOf(1, 32),
      maskingKey: randomBytesOf(2, 32),
      graphCommitment: randomBytesOf(3, 32),
      signature: new Uint8Array(64),
    };
    const entries = [...genuine.entries, phantom];
    assertRefused(client, client.handle(withEntries(entries)), /client 99, which is not a member/, genuine);
  });

  test('refuses a roster in which a neighbour’s key was replaced, before sending any share', () => {
    const { s, client, genuine } = rosterHeld();
    const entries = genuine.entries.map((e) =>
      e.id === 40 ? { ...e, encryptionKey: randomBytesOf(1, 32) } : e,
    );
    refusedAtNonces(s, client, withEntries(entries), /keys of client 40 are not signed by it/);
  });

  test('refuses a roster too small for the threshold', () => {
    const { client, genuine } = rosterHeld();
    const entries = genuine.entries.filter((e) => [10, 20, 30, 40].includes(e.id));
    assertRefused(client, client.handle(withEntries(entries)), /roster has 4 clients; threshold 4/, genuine);
  });
});

describe('unmask request: which share for which owner', () => {
  test('refuses a masking-key share of a client on the signed survivor list', () => {
    const { client, genuine } = unmaskRequest();
    const forged: UnmaskRequest = {
      ...genuine,
      selfSeedOwners: genuine.selfSeedOwners.filter((id) => id !== 40),
      maskKeyOwners: [...genuine.maskKeyOwners, 40],
    };
    assertRefused(
      client,
      client.handle(forged),
      /masking-key share asked for client 40, which the signed list says survived/,
      genuine,
    );
  });

  test('refuses a self-seed share of a client not on the signed survivor list', () => {
    const { client, genuine } = unmaskRequest();
    const forged: UnmaskRequest = {
      ...genuine,
      selfSeedOwners: [...genuine.selfSeedOwners, DROPPED],
      maskKeyOwners: [],
    };
    assertRefused(
      client,
      client.handle(forged),
      /self-seed share asked for client 60, which the signed list says dropped/,
      genuine,
    );
  });

  test('refuses a share of a neighbour that never shared keys with it', () => {
    const { client, genuine } = heldAt('unmask-request', { dropAt: 'share-keys' });
    assert.deepEqual(genuine.maskKeyOwners, []);
    const forged: UnmaskRequest = { ...genuine, maskKeyOwners: [DROPPED] };
    assertRefused(client, client.handle(forged), /client 60, whose shares this client never got/, genuine);
  });
});

describe('survivor list', () => {
  const withSurvivors = (survivors: readonly ClientId[]): ServerMessage => ({
    kind: 'survivor-list',
    survivors,
  });

  test('refuses a survivor list that leaves it out', () => {
    const { client, genuine } = heldAt('survivor-list');
    const forged = withSurvivors(IDS.filter((id) => id !== TARGET));
    assertRefused(client, client.handle(forged), /leaves out this client/, genuine);
  });

  test('refuses an unsorted survivor list', () => {
    const { client, genuine } = heldAt('survivor-list');
    assertRefused(client, client.handle(withSurvivors([20, 10, 30, 40, 50, 60, 70])), /not sorted/, genuine);
  });

  test('refuses a survivor list shorter than the threshold', () => {
    const { client, genuine } = heldAt('survivor-list');
    assertRefused(
      client,
      client.handle(withSurvivors([10, 20, 30])),
      /survivor list has 3 clients; threshold is 4/,
      genuine,
    );
  });

  test('refuses a survivor list naming a neighbour that never shared keys', () => {
    const { client, genuine } = heldAt('survivor-list', { dropAt: 'share-keys' });
    assert.ok(genuine.kind === 'survivor-list' && !genuine.survivors.includes(DROPPED));
    assertRefused(
      client,
      client.handle(withSurvivors(IDS)),
      /names neighbour 60, which never shared keys/,
      genuine,
    );
  });
});

describe('messages out of turn', () => {
  const forgedRequest: UnmaskRequest = {
    kind: 'unmask-request',
    survivors: IDS,
    signatures: [],
    selfSeedOwners: IDS.filter((id) => id !== TARGET),
    maskKeyOwners: [],
  };

  test('refuses an unmask request while awaiting the roster', () => {
    const { client, genuine } = heldAt('roster');
    assert.equal(client.phase, 'graph-nonce');
    assertRefused(
      client,
      client.handle(forgedRequest),
      /expected roster in phase graph-nonce, got unmask-request/,
      genuine,
    );
  });

  test('refuses the roster a second time while awaiting its shares', () => {
    const { s, client, genuine } = heldAt('shares-for-you');
    const roster = s.sent.find((o) => o.to === TARGET && o.message.kind === 'roster')!.message;
    assertRefused(
      client,
      client.handle(roster),
      /expected shares-for-you in phase share-check, got roster/,
      genuine,
    );
  });

  test('refuses an unmask request that skips the consistency check', () => {
    const { client, genuine } = heldAt('survivor-list');
    assert.equal(client.phase, 'consistency-check');
    assertRefused(
      client,
      client.handle(forgedRequest),
      /expected survivor-list in phase consistency-check, got unmask-request/,
      genuine,
    );
  });

  test('refuses a second survivor list after it signed one', () => {
    const { client, genuine } = heldAt('unmask-request', { dropAt: 'masked-input' });
    const reply = client.handle({ kind: 'survivor-list', survivors: IDS });
    assertRefused(client, reply, /expected unmask-request in phase unmasking, got survivor-list/, genuine);
  });

  test('after completing, ignores every further message', () => {
    const { client, genuine } = unmaskRequest();
    const reply = client.handle(genuine);
    assert.equal(reply.length, 1);
    assert.equal(reply[0]!.kind, 'unmask-response');
    assert.equal(client.phase, 'completed');
    const again: UnmaskRequest = { ...genuine, selfSeedOwners: [], maskKeyOwners: [40] };
    for (const message of [genuine, again, forgedRequest, { kind: 'abort', reason: 'late' }] as const) {
      assert.deepEqual(client.handle(message), []);
      assert.equal(client.phase, 'completed');
      assert.equal(client.abortReason, undefined);
    }
  });

  test('a server abort stops the client without a reply', () => {
    const { client, genuine } = heldAt('shares-for-you');
    assert.deepEqual(client.handle({ kind: 'abort', reason: 'too few clients' }), []);
    assert.equal(client.phase, 'aborted');
    assert.match(client.abortReason ?? '', /server aborted: too few clients/);
    assert.deepEqual(client.handle(genuine), []);
  });
});

const rosterOf = (attempt: number, entries: Roster['entries']): Roster => ({
  kind: 'roster',
  attempt,
  entries,
});

/** The target checked its genuine first roster and revealed its nonce for it; the roster is returned. */
function revealedForFirst(session?: Session): {
  s: Session;
  client: SecAggClient;
  first: Roster;
  nonce: Uint8Array;
} {
  const { s, client, genuine } = heldAt('roster', session === undefined ? {} : { session });
  const reply = client.handle(genuine);
  assert.equal(reply.length, 1);
  const reveal = reply[0]!;
  assert.ok(reveal.kind === 'graph-nonce' && reveal.attempt === 1);
  return { s, client, first: genuine, nonce: reveal.nonce };
}

describe('roster size', () => {
  test('refuses a first roster smaller than the pinned minimum, though above the threshold', () => {
    const { client, genuine } = heldAt('roster', { session: newSession({ minimumRoster: 7 }) });
    assert.equal(genuine.entries.length, 7);
    const entries = genuine.entries.filter((e) => e.id !== 70);
    assertRefused(
      client,
      client.handle(rosterOf(1, entries)),
      /roster has 6 clients; the pinned threat model allows no fewer than 7/,
      genuine,
    );
  });

  test('an honest server below the pinned minimum aborts instead of sending a roster', () => {
    const s = newSession({ minimumRoster: 7 });
    s.scripts.set(70, { at: 'advertise-keys' });
    s.start().run();
    assert.equal(s.server.phase, 'aborted');
    assert.ok(s.sent.every((o) => o.message.kind !== 'roster'));
    for (const id of IDS.filter((x) => x !== 70)) assert.equal(s.client(id).phase, 'aborted');
  });

  test('refuses a first roster that is not attempt 1', () => {
    const { client, genuine } = heldAt('roster');
    assertRefused(
      client,
      client.handle({ ...genuine, attempt: 2 }),
      /first roster is attempt 2, not 1/,
      genuine,
    );
  });

  test('refuses a roster that changes its graph commitment', () => {
    const { client, genuine } = heldAt('roster');
    const entries = genuine.entries.map((e) =>
      e.id === TARGET ? { ...e, graphCommitment: flipByte(e.graphCommitment) } : e,
    );
    assertRefused(client, client.handle(rosterOf(1, entries)), /roster altered this client/, genuine);
  });
});

describe('re-roster', () => {
  const minus = (roster: Roster, ...ids: ClientId[]): Roster['entries'] =>
    roster.entries.filter((e) => !ids.includes(e.id));

  test('control: the honest server re-rosters without a silent member, and the round is exact', () => {
    const s = newSession();
    s.scripts.set(60, { at: 'graph-nonce' });
    s.start().run();
    const rosters = s.sent
      .filter((o) => o.to === TARGET && o.message.kind === 'roster')
      .map((o) => o.message as Roster);
    assert.deepEqual(
      rosters.map((r) => [r.attempt, r.entries.map((e) => e.id)]),
      [
        [1, IDS],
        [2, IDS.filter((id) => id !== 60)],
      ],
    );
    assert.equal(s.server.dropped.get(60)?.reason, DropReason.Timeout);
    assert.equal(s.server.phase, 'ready');
    const result = s.server.finish();
    assert.deepEqual(result.sum, s.expectedSum(IDS.filter((id) => id !== 60)));
  });

  test('control: a valid re-roster gets a fresh nonce that opens the same commitment', () => {
    const { client, first, nonce } = revealedForFirst();
    const reply = client.handle(rosterOf(2, minus(first, 70)));
    assert.equal(reply.length, 1);
    const reveal = reply[0]!;
    assert.ok(reveal.kind === 'graph-nonce' && reveal.attempt === 2);
    assert.notDeepEqual(reveal.nonce, nonce);
    const mine = first.entries.find((e) => e.id === TARGET)!;
    assert.ok(opensCommitment(reveal.nonce, 2, mine.graphCommitment));
    assert.ok(opensCommitment(nonce, 1, mine.graphCommitment));
    assert.equal(opensCommitment(reveal.nonce, 1, mine.graphCommitment), false);
  });

  test('refuses a re-roster that skips an attempt', () => {
    const { client, first } = revealedForFirst();
    assertRefused(
      client,
      client.handle(rosterOf(3, minus(first, 70))),
      /roster attempt 3 does not follow attempt 1/,
    );
  });

  test('refuses a re-roster that repeats the attempt', () => {
    const { client, first } = revealedForFirst();
    assertRefused(
      client,
      client.handle(rosterOf(1, minus(first, 70))),
      /roster attempt 1 does not follow attempt 1/,
    );
  });

  test('refuses a re-roster that is not smaller', () => {
    const { client, first } = revealedForFirst();
    assertRefused(
      client,
      client.handle(rosterOf(2, first.entries)),
      /attempt 2 is not smaller than attempt 1/,
    );
  });

  test('refuses a re-roster that changes an entry', () => {
    const { client, first } = revealedForFirst();
    const entries = minus(first, 70).map((e) =>
      e.id === 40 ? { ...e, maskingKey: randomBytesOf(5, 32) } : e,
    );
    assertRefused(client, client.handle(rosterOf(2, entries)), /roster attempt 2 adds or changes client 40/);
  });

  test('refuses a re-roster that adds a member, even one whose keys are genuinely signed', () => {
    // 60 advertised keys too late for the first roster; its signed keys cannot be slipped into the second.
    const s = newSession();
    s.scripts.set(60, { at: 'advertise-keys' });
    const { client, first } = revealedForFirst(s);
    assert.ok(first.entries.every((e) => e.id !== 60));
    const keys = s.produced.get(60)!.find((m): m is AdvertiseKeys => m.kind === 'advertise-keys')!;
    const late = {
      id: 60,
      encryptionKey: keys.encryptionKey,
      maskingKey: keys.maskingKey,
      graphCommitment: keys.graphCommitment,
      signature: keys.signature,
    };
    const entries = [...minus(first, 70, 50), late].sort((a, b) => a.id - b.id);
    assertRefused(client, client.handle(rosterOf(2, entries)), /roster attempt 2 adds or changes client 60/);
  });

  test('refuses a re-roster below the pinned minimum', () => {
    const { client, first } = revealedForFirst(newSession({ minimumRoster: 6 }));
    assertRefused(
      client,
      client.handle(rosterOf(2, minus(first, 70, 60))),
      /roster has 5 clients; the pinned threat model allows no fewer than 6/,
    );
  });

  test(`refuses a roster past attempt ${GRAPH_ATTEMPTS}`, () => {
    const s = new Session({ ids: SPARSE_IDS, parameters: SPARSE, sessionTag: 3 });
    const { client, genuine } = heldAt('roster', { session: s, target: 3 });
    let roster: Roster = genuine;
    assert.equal(client.handle(roster)[0]?.kind, 'graph-nonce');
    for (const [attempt, leaving] of [
      [2, 8],
      [3, 7],
    ] as const) {
      roster = rosterOf(attempt, minus(roster, leaving));
      assert.equal(client.handle(roster)[0]?.kind, 'graph-nonce');
    }
    assertRefused(
      client,
      client.handle(rosterOf(4, minus(roster, 6))),
      /roster attempt 4 does not follow attempt 3 \(at most 3\)/,
    );
  });
});

describe('graph nonces', () => {
  const replacing = (genuine: GraphNonces, id: ClientId, nonce: Uint8Array): GraphNonces => ({
    ...genuine,
    nonces: genuine.nonces.map((n) => (n.id === id ? { id, nonce } : n)),
  });

  test('refuses a nonce that does not open its member’s commitment', () => {
    const { client, genuine } = heldAt('graph-nonces');
    assertRefused(
      client,
      client.handle(replacing(genuine, 40, randomBytesOf(6, 32))),
      /graph nonce of client 40 does not open its commitment/,
      genuine,
    );
  });

  test('refuses two members’ nonces swapped (a server steering the graph)', () => {
    const { client, genuine } = heldAt('graph-nonces');
    const of = (id: ClientId): Uint8Array => genuine.nonces.find((n) => n.id === id)!.nonce;
    const swapped = replacing(replacing(genuine, 40, of(50)), 50, of(40));
    assertRefused(
      client,
      client.handle(swapped),
      /graph nonce of client 40 does not open its commitment/,
      genuine,
    );
  });

  test('refuses a nonce one hash further down the chain (the commitment itself)', () => {
    const { s, client, genuine } = heldAt('graph-nonces');
    const commitment = s.roster().entries.find((e) => e.id === 40)!.graphCommitment;
    assertRefused(
      client,
      client.handle(replacing(genuine, 40, commitment)),
      /graph nonce of client 40 does not open its commitment/,
      genuine,
    );
  });

  test('refuses nonces for another attempt', () => {
    const { client, genuine } = heldAt('graph-nonces');
    assertRefused(
      client,
      client.handle({ ...genuine, attempt: 2 }),
      /graph nonces for attempt 2; this client revealed for attempt 1/,
      genuine,
    );
  });

  test('refuses nonces missing a member or out of roster order', () => {
    const { client, genuine } = heldAt('graph-nonces');
    assertRefused(
      client,
      client.handle({ ...genuine, nonces: genuine.nonces.slice(1) }),
      /graph nonces do not list the roster’s members in roster order/,
      genuine,
    );
    const other = heldAt('graph-nonces', { session: newSession({ sessionTag: 4 }) });
    const [a, b, ...rest] = other.genuine.nonces;
    assertRefused(
      other.client,
      other.client.handle({ ...other.genuine, nonces: [b!, a!, ...rest] }),
      /graph nonces do not list the roster’s members in roster order/,
      other.genuine,
    );
  });
});

describe('plan equivocation', () => {
  test('members shown different plans cannot verify each other’s keys: both abort before any share', () => {
    // The target was shown another plan (say, other participants or noise). The honest server drops it
    // at once; a dishonest one forwards its keys to a victim anyway. Either way no share leaves anyone.
    const VICTIM = 10;
    const s = newSession({
      planDigestFor: (id, plan) => (id === TARGET ? randomBytesOf(8, 32) : plan),
    });
    s.hold = (to, message) => to === TARGET || (to === VICTIM && message.kind === 'roster');
    s.start().run();
    assert.equal(s.server.dropped.get(TARGET)?.reason, DropReason.InvalidKeySignature);

    const genuine = s.take(VICTIM, 'roster');
    const keys = s.produced.get(TARGET)!.find((m): m is AdvertiseKeys => m.kind === 'advertise-keys')!;
    const entries = [
      ...genuine.entries,
      {
        id: TARGET,
        encryptionKey: keys.encryptionKey,
        maskingKey: keys.maskingKey,
        graphCommitment: keys.graphCommitment,
        signature: keys.signature,
      },
    ].sort((a, b) => a.id - b.id);
    const forged = rosterOf(1, entries);
    const victim = s.client(VICTIM);
    const target = s.client(TARGET);
    const victimReveal = victim.handle(forged);
    const targetReveal = target.handle(forged);
    assert.deepEqual(
      [...victimReveal, ...targetReveal].map((m) => m.kind),
      ['graph-nonce', 'graph-nonce'],
    );

    s.hold = (to, message) => to === VICTIM && message.kind === 'graph-nonces';
    s.send(VICTIM, victimReveal);
    s.run();
    const honestNonces = s.take(VICTIM, 'graph-nonces');
    const targetNonce = targetReveal[0]!.kind === 'graph-nonce' ? targetReveal[0]!.nonce : new Uint8Array();
    const nonces: GraphNonces = {
      ...honestNonces,
      nonces: [...honestNonces.nonces, { id: TARGET, nonce: targetNonce }].sort((a, b) => a.id - b.id),
    };
    assertRefused(victim, victim.handle(nonces), /keys of client 30 are not signed by it/);
    assertRefused(target, target.handle(nonces), /keys of client 10 are not signed by it/);
  });
});

describe('consistency over the roster', () => {
  test('refuses survivor signatures made over another roster digest', () => {
    const { s, client, genuine } = unmaskRequest();
    const signers = genuine.signatures.map((x) => x.signer);
    const otherRoster = randomBytesOf(9, 32);
    const forged: UnmaskRequest = {
      ...genuine,
      signatures: signedBy(s, genuine.survivors, signers, otherRoster),
    };
    assertRefused(client, client.handle(forged), tooFewSignatures(0), genuine);
  });

  test('refuses signatures over the same survivors under the first roster after a re-roster', () => {
    // Clients that saw only attempt 1 sign other bytes than those that went on to attempt 2.
    const s = newSession();
    s.scripts.set(DROPPED, { at: 'graph-nonce' });
    const { client, genuine } = unmaskRequest(s, [10, 20, 30, 40, 50, 70], []);
    const first = s.sent.find((o) => o.message.kind === 'roster' && o.message.attempt === 1)!
      .message as Roster;
    const firstDigest = rosterDigest(s.sessionId, 1, first.entries);
    const signers = genuine.signatures.map((x) => x.signer);
    const forged: UnmaskRequest = {
      ...genuine,
      signatures: signedBy(s, genuine.survivors, signers, firstDigest),
    };
    assertRefused(client, client.handle(forged), tooFewSignatures(0), genuine);
  });
});
