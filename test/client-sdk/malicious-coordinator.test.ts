import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  cryptoReady,
  seedFromNumber,
  type AdvertiseKeys,
  type ClientId,
  type RosterEntry,
  type SecAggClient,
  type ServerMessage,
} from '../../aggregation/index.js';
import * as codec from '../../proto/codec.js';
import type { WireRoundStarted } from '../../proto/round-plan.js';
import { roundPlanDigest } from '../../proto/round-plan.js';
import {
  colluders,
  derived,
  federation,
  HONEST,
  honestMember,
  inputOf,
  only,
  plan,
  rosterEntry,
  roundStartedEvent,
  type Federation,
  type HonestMember,
} from './malicious-harness.js';
import { ScriptedCoordinator } from './scripted-coordinator.js';

/**
 * An honest SDK member (CohortConnection + SecureRoundRunner, real gRPC) against a scripted dishonest
 * coordinator, one attack per test, up to the point where the member's shares would leave it. Each test
 * asserts the member's refusal, the AbortRound naming it, and that no call the coordinator recorded
 * after the lie carries anything derived from the member's input (no AdvertiseKeys for a refused plan,
 * no ShareKeys for a refused roster or graph). Colluders are the real sans-IO client with their own
 * identities, so every signature the member checks is genuine except where the test lies.
 */
await cryptoReady();

const EIGHT = [1, 2, 3, 4, 5, 6, 7, 8];

async function withMember(
  fed: Federation,
  body: (coordinator: ScriptedCoordinator, member: HonestMember) => Promise<void>,
): Promise<void> {
  const coordinator = await ScriptedCoordinator.start({
    federation: fed.manifest.federation,
    memberIndex: HONEST,
    signedManifest: () => fed.bytes,
  });
  let member: HonestMember | undefined;
  try {
    member = await honestMember(coordinator, fed, (started) => inputOf(started.round, HONEST));
    await body(coordinator, member);
  } finally {
    member?.close();
    coordinator.stop();
  }
}

const callsOf = (coordinator: ScriptedCoordinator, method: string) =>
  coordinator.calls.filter((c) => c.method === method);

/** The member's refusal reached the coordinator as an AbortRound for this round naming `reason`. */
async function assertAborted(coordinator: ScriptedCoordinator, started: WireRoundStarted, reason: RegExp) {
  const abort = await coordinator.next('AbortRound', (r) =>
    Buffer.from(r['round_id'] as Uint8Array).equals(Buffer.from(started.round_id)),
  );
  assert.match(String(abort.request['reason']), reason);
}

/** A round up to its first roster: colluders started, the member's AdvertiseKeys received. */
interface Opened {
  readonly started: WireRoundStarted;
  readonly colluding: Map<ClientId, SecAggClient>;
  readonly keys: Map<ClientId, AdvertiseKeys>;
}

async function open(
  coordinator: ScriptedCoordinator,
  fed: Federation,
  started: WireRoundStarted,
  colluding: Map<ClientId, SecAggClient> = colluders(
    fed,
    started,
    started.secagg!.participants.filter((id) => id !== HONEST),
  ),
): Promise<Opened> {
  const keys = new Map<ClientId, AdvertiseKeys>();
  for (const [id, client] of colluding)
    keys.set(id, only(client.start(inputOf(started.round, id)), 'advertise-keys'));
  coordinator.push(roundStartedEvent(started));
  const mine = await coordinator.next('AdvertiseKeys', (r) =>
    Buffer.from(r['round_id'] as Uint8Array).equals(Buffer.from(started.round_id)),
  );
  keys.set(HONEST, codec.decodeAdvertiseKeys(mine.request as never));
  return { started, colluding, keys };
}

function rosterOf(opened: Opened, ids: readonly ClientId[], attempt = 1): ServerMessage {
  const entries: RosterEntry[] = [...ids]
    .sort((a, b) => a - b)
    .map((id) => rosterEntry(id, opened.keys.get(id)!));
  return { kind: 'roster', attempt, entries };
}

const push = (coordinator: ScriptedCoordinator, opened: Opened, message: ServerMessage) =>
  coordinator.push(codec.encodeServerMessage(opened.started.round_id, message));

/**
 * Pushes the roster of `ids` (attempt 1), waits for the member's nonce, collects the colluders' nonces
 * and returns the graph-nonces message an honest coordinator would push next.
 */
async function revealAll(coordinator: ScriptedCoordinator, opened: Opened, ids: readonly ClientId[]) {
  const roster = rosterOf(opened, ids);
  push(coordinator, opened, roster);
  const mine = codec.decodeGraphNonce((await coordinator.next('RevealGraphNonce')).request as never);
  const nonces = new Map<ClientId, Uint8Array>([[HONEST, mine.nonce]]);
  for (const id of ids) {
    if (id === HONEST) continue;
    nonces.set(id, only(opened.colluding.get(id)!.handle(roster), 'graph-nonce').nonce);
  }
  const graphNonces: ServerMessage = {
    kind: 'graph-nonces',
    attempt: 1,
    nonces: [...ids].sort((a, b) => a - b).map((id) => ({ id, nonce: nonces.get(id)! })),
  };
  return graphNonces;
}

describe('an honest member against a dishonest coordinator (plan and graph)', () => {
  test('baseline: the honest script itself gets the member to send its shares', async () => {
    const fed = federation('malicious-baseline');
    await withMember(fed, async (coordinator) => {
      const opened = await open(coordinator, fed, plan(fed, EIGHT, 1));
      push(coordinator, opened, await revealAll(coordinator, opened, EIGHT));
      const shares = await coordinator.next('ShareKeys');
      // One ciphertext per neighbour: k of them.
      assert.equal((shares.request['ciphertexts'] as unknown[]).length, derived(fed, 8).degree);
      assert.equal(callsOf(coordinator, 'AbortRound').length, 0);
    });
  });

  test('1. an invented member among the participants: refused at round start, no AdvertiseKeys', async () => {
    const fed = federation('malicious-invented');
    await withMember(fed, async (coordinator, member) => {
      // Member 11 is not in the ten-member manifest: a Sybil the coordinator would play itself.
      const started = plan(fed, [1, 2, 3, 4, 5, 6, 7, 11], 1);
      coordinator.push(roundStartedEvent(started));
      await assertAborted(coordinator, started, /participants: member 11 is not in the manifest/);
      const outcome = await member.outcome();
      assert.equal(outcome.refused, true);
      assert.deepEqual(coordinator.methods(), ['Join', 'Subscribe', 'AbortRound']);
    });
  });

  test('2. Sybils with t = 2, or any k or t other than the member derives: refused, no AdvertiseKeys', async () => {
    const fed = federation('malicious-parameters');
    const mine = derived(fed, 8);
    const attacks: [string, WireRoundStarted, RegExp][] = [
      [
        'Sybils and t = 2',
        plan(fed, [1, 2, 3, 4, 5, 6, 11, 12], 1, (s) => {
          s.secagg!.threshold = 2;
        }),
        /participants: member 11 is not in the manifest/,
      ],
      [
        't = 2 among real members',
        plan(fed, EIGHT, 2, (s) => {
          s.secagg!.threshold = 2;
        }),
        new RegExp(`threshold: coordinator announced t=2; the manifest gives t=${mine.threshold}`),
      ],
      [
        't one above',
        plan(fed, EIGHT, 3, (s) => {
          s.secagg!.threshold = mine.threshold + 1;
        }),
        /threshold: coordinator announced/,
      ],
      [
        'a smaller k',
        plan(fed, EIGHT, 4, (s) => {
          s.secagg!.degree = mine.degree - 2;
        }),
        new RegExp(`degree: coordinator announced k=${mine.degree - 2}; the manifest gives k=${mine.degree}`),
      ],
      [
        'fewer participants than minimumClients (t = 2 would follow)',
        plan(fed, EIGHT, 5, (s) => {
          s.secagg!.participants = [1, 2, 3];
          s.secagg!.degree = 2;
          s.secagg!.threshold = 2;
        }),
        /participants: 3 participants; the manifest requires at least 8/,
      ],
    ];
    await withMember(fed, async (coordinator, member) => {
      for (const [i, [name, started, reason]] of attacks.entries()) {
        coordinator.push(roundStartedEvent(started));
        await assertAborted(coordinator, started, reason);
        assert.equal((await member.outcome(i + 1)).refused, true, name);
      }
      assert.equal(callsOf(coordinator, 'AdvertiseKeys').length, 0);
      assert.equal(callsOf(coordinator, 'AbortRound').length, attacks.length);
    });
  });

  test('3. a short roster of the member and colluders, validly signed: abort, no nonce and no ShareKeys', async () => {
    // N = 300, γ = 0.1 (C = 30): k = 92, t = 61, and the member accepts no roster below 249, well
    // above t + 1 = 62, so only the pinned minimum roster stands between the member and the colluders.
    const fed = federation('malicious-short-roster', 300, (m) => {
      m.threatModel.corruptFraction = 0.1;
      m.threatModel.expectedDropout = 0.05;
      m.threatModel.correctnessBits = 20;
      m.threatModel.minimumClients = 300;
    });
    const all = Array.from({ length: 300 }, (_, i) => i + 1);
    const p = derived(fed, 300);
    assert.ok(p.minimumRoster > p.threshold + 2, `minimum roster ${p.minimumRoster}, t ${p.threshold}`);
    const short = all.slice(0, p.minimumRoster - 1);
    await withMember(fed, async (coordinator, member) => {
      const started = plan(fed, all, 1);
      const opened = await open(
        coordinator,
        fed,
        started,
        colluders(
          fed,
          started,
          short.filter((id) => id !== HONEST),
        ),
      );
      push(coordinator, opened, rosterOf(opened, short));
      await assertAborted(
        coordinator,
        started,
        new RegExp(
          `roster has ${short.length} clients; the pinned threat model allows no fewer than ${p.minimumRoster}`,
        ),
      );
      assert.equal((await member.outcome()).completed, false);
      assert.deepEqual(coordinator.methods(), ['Join', 'Subscribe', 'AdvertiseKeys', 'AbortRound']);
    });
  });

  test('4. a re-roster that adds a member or changes an entry: abort, no ShareKeys', async () => {
    const fed = federation('malicious-reroster');
    await withMember(fed, async (coordinator, member) => {
      // (a) Attempt 1 leaves member 8 out; attempt 2 brings it back.
      const a = await open(coordinator, fed, plan(fed, EIGHT, 1));
      push(coordinator, a, rosterOf(a, EIGHT.slice(0, 7)));
      await coordinator.next('RevealGraphNonce');
      push(coordinator, a, rosterOf(a, EIGHT, 2));
      await assertAborted(
        coordinator,
        a.started,
        /roster attempt 2 (is not smaller than attempt 1|adds or changes client 8)/,
      );
      assert.equal((await member.outcome(1)).completed, false);

      // (b) Attempt 2 is a strict subset, but colluder 5's entry is a fresh, validly signed one.
      const b = await open(coordinator, fed, plan(fed, EIGHT, 2));
      push(coordinator, b, rosterOf(b, EIGHT));
      await coordinator.next('RevealGraphNonce', (r) =>
        Buffer.from(r['round_id'] as Uint8Array).equals(Buffer.from(b.started.round_id)),
      );
      const again = colluders(fed, b.started, [5], undefined, 70_000).get(5)!;
      const swapped = {
        ...b,
        keys: new Map(b.keys).set(5, only(again.start(inputOf(2, 5)), 'advertise-keys')),
      };
      assert.notDeepEqual(swapped.keys.get(5)!.encryptionKey, b.keys.get(5)!.encryptionKey);
      push(coordinator, b, rosterOf(swapped, EIGHT.slice(0, 7), 2));
      await assertAborted(coordinator, b.started, /roster attempt 2 adds or changes client 5/);
      assert.equal((await member.outcome(2)).completed, false);

      assert.equal(callsOf(coordinator, 'ShareKeys').length, 0);
      assert.equal(callsOf(coordinator, 'RevealGraphNonce').length, 2, 'only attempt 1 of each round');
    });
  });

  test('5. graph grinding: a substituted nonce that does not open its commitment: abort, no ShareKeys', async () => {
    const fed = federation('malicious-grinding');
    await withMember(fed, async (coordinator, member) => {
      const opened = await open(coordinator, fed, plan(fed, EIGHT, 1));
      const honest = await revealAll(coordinator, opened, EIGHT);
      assert.equal(honest.kind, 'graph-nonces');
      // The coordinator swaps colluder 6's nonce for one of its choosing, to steer the graph.
      const ground: ServerMessage = {
        ...honest,
        nonces: honest.nonces.map((n) => (n.id === 6 ? { id: 6, nonce: seedFromNumber(666) } : n)),
      };
      push(coordinator, opened, ground);
      await assertAborted(
        coordinator,
        opened.started,
        /graph nonce of client 6 does not open its commitment/,
      );
      assert.equal((await member.outcome()).completed, false);
      assert.equal(callsOf(coordinator, 'ShareKeys').length, 0);
      assert.deepEqual(coordinator.methods(), [
        'Join',
        'Subscribe',
        'AdvertiseKeys',
        'RevealGraphNonce',
        'AbortRound',
      ]);
    });
  });

  test("a push tagged with another round id is not this round's: a stray abort does not end it", async () => {
    const fed = federation('malicious-stray-abort');
    await withMember(fed, async (coordinator) => {
      const opened = await open(coordinator, fed, plan(fed, EIGHT, 1));
      coordinator.push(
        codec.encodeServerMessage(seedFromNumber(4242), { kind: 'abort', reason: 'another round ended' }),
      );
      const graphNonces = await revealAll(coordinator, opened, EIGHT);
      push(coordinator, opened, graphNonces);
      const shares = await coordinator.next('ShareKeys');
      assert.ok(
        Buffer.from(shares.request['round_id'] as Uint8Array).equals(Buffer.from(opened.started.round_id)),
      );
      assert.equal(callsOf(coordinator, 'AbortRound').length, 0);
    });
  });

  test('6. plan equivocation: colluders shown other participants sign another plan; the member cannot verify them: abort, no ShareKeys', async () => {
    const fed = federation('malicious-equivocation');
    await withMember(fed, async (coordinator, member) => {
      const started = plan(fed, EIGHT, 1);
      // The colluders were told the round is members 1..7 and 9 (same k and t): their keys are validly
      // signed, over that plan's digest.
      const other = plan(fed, [1, 2, 3, 4, 5, 6, 7, 9], 1);
      const colluding = colluders(fed, started, EIGHT.slice(1), roundPlanDigest(fed.sha256, other));
      const opened = await open(coordinator, fed, started, colluding);
      push(coordinator, opened, await revealAll(coordinator, opened, EIGHT));
      await assertAborted(coordinator, started, /keys of client \d+ are not signed by it/);
      assert.equal((await member.outcome()).completed, false);
      assert.equal(callsOf(coordinator, 'ShareKeys').length, 0);
    });
  });
});
