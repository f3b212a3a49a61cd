import { constantTimeEqual } from '../../crypto/bytes.js';
import { GRAPH_ATTEMPTS } from '../graph-commitment.js';
import type { ClientId } from '../graph.js';
import type { Roster, RosterEntry, ServerMessage } from '../messages.js';
import type { ClientConfig } from './config.js';
import type { RoundSecrets } from './r0-advertise-keys.js';
import { ShareKeysState } from './r1-share-keys.js';
import { expect, refuseUnless, strictlyAscending, type ClientState, type Transition } from './state.js';

/** A roster this client checked and revealed its nonce for. */
export interface AcceptedRoster {
  readonly attempt: number;
  readonly entries: readonly RosterEntry[];
  readonly byId: ReadonlyMap<ClientId, RosterEntry>;
}

/**
 * R0½: awaits the first roster (attempt 1), checks it and reveals this client's graph nonce for it.
 * The roster must be sorted, name only federation members, hold this client's keys and commitment
 * unchanged, and be no smaller than the pinned minimum (a coordinator that shrinks the roster raises
 * the corrupt share of what remains). Signatures are checked later, for neighbours only, once the
 * nonces fix the graph: O(k) verifications rather than O(n).
 */
export class GraphNonceState implements ClientState {
  readonly phase = 'graph-nonce';

  constructor(private readonly secrets: RoundSecrets) {}

  handle(message: ServerMessage, config: ClientConfig): Transition {
    const roster = expect(message, 'roster', this.phase);
    return reveal(acceptRoster(roster, undefined, this.secrets, config), this.secrets);
  }
}

/** Sends this client's nonce for the roster's attempt and waits for everyone's. */
export function reveal(roster: AcceptedRoster, secrets: RoundSecrets): Transition {
  return {
    next: new ShareKeysState(secrets, roster),
    send: [{ kind: 'graph-nonce', attempt: roster.attempt, nonce: secrets.chain.nonce(roster.attempt) }],
  };
}

/**
 * Checks a roster. A first roster is attempt 1; a later one (members failed to reveal) must be the
 * next attempt, within GRAPH_ATTEMPTS, and a strict subset of the previous one with every entry
 * byte-for-byte unchanged, so the server cannot swap keys or commitments between attempts.
 */
export function acceptRoster(
  message: Roster,
  previous: AcceptedRoster | undefined,
  secrets: RoundSecrets,
  config: ClientConfig,
): AcceptedRoster {
  const { attempt, entries } = message;
  const expected = previous === undefined ? 1 : previous.attempt + 1;
  refuseUnless(
    attempt === expected && attempt <= GRAPH_ATTEMPTS,
    previous === undefined
      ? `first roster is attempt ${attempt}, not 1`
      : `roster attempt ${attempt} does not follow attempt ${previous.attempt} (at most ${GRAPH_ATTEMPTS})`,
  );
  const { degree, threshold } = config.parameters;
  refuseUnless(
    strictlyAscending(entries.map((e) => e.id)),
    'roster is not sorted by id or names a client twice',
  );
  const mine = entries.find((e) => e.id === config.id);
  refuseUnless(mine !== undefined, 'roster leaves this client out');
  refuseUnless(
    constantTimeEqual(mine.encryptionKey, secrets.encryption.publicKey) &&
      constantTimeEqual(mine.maskingKey, secrets.masking.publicKey) &&
      constantTimeEqual(mine.graphCommitment, secrets.chain.commitment),
    'roster altered this client’s keys',
  );
  refuseUnless(
    Math.min(degree, entries.length - 1) >= threshold,
    `roster has ${entries.length} clients; threshold ${threshold} needs at least ${threshold + 1}`,
  );
  refuseUnless(
    entries.length >= config.minimumRoster,
    `roster has ${entries.length} clients; the pinned threat model allows no fewer than ${config.minimumRoster}`,
  );
  // Every entry feeds the graph seed, so a non-member anywhere in the roster is refused.
  for (const e of entries) {
    refuseUnless(
      config.identityKeyOf(e.id) !== undefined,
      `roster names client ${e.id}, which is not a member`,
    );
  }
  if (previous !== undefined) {
    refuseUnless(
      entries.length < previous.entries.length,
      `roster attempt ${attempt} is not smaller than attempt ${previous.attempt}`,
    );
    for (const e of entries) {
      const before = previous.byId.get(e.id);
      refuseUnless(
        before !== undefined && sameEntry(before, e),
        `roster attempt ${attempt} adds or changes client ${e.id}`,
      );
    }
  }
  return { attempt, entries, byId: new Map(entries.map((e) => [e.id, e])) };
}

function sameEntry(a: RosterEntry, b: RosterEntry): boolean {
  return (
    a.id === b.id &&
    constantTimeEqual(a.encryptionKey, b.encryptionKey) &&
    constantTimeEqual(a.maskingKey, b.maskingKey) &&
    constantTimeEqual(a.graphCommitment, b.graphCommitment) &&
    constantTimeEqual(a.signature, b.signature)
  );
}
