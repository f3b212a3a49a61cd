import { randomBytes as osRandomBytes } from 'node:crypto';
import { constantTimeEqual } from '../aggregation/crypto/bytes.js';
import { verify } from '../aggregation/crypto/signature.js';
import type { ClientId } from '../aggregation/secagg/index.js';
import { joinPayload } from '../proto/join.js';

export interface Member {
  /** 1-based position in the federation file: the member's id in the secure-aggregation protocol. */
  readonly index: ClientId;
  readonly name: string;
  readonly identityKey: Uint8Array;
}

/** The signed manifest the coordinator serves in every Join answer, and its hash. */
export interface ServedManifest {
  /** The signed manifest file's bytes (JoinResponse.signed_manifest). */
  readonly bytes: Uint8Array;
  /** SHA-256 of the manifest's canonical bytes: what members pin and round plans are bound to. */
  readonly sha256: Uint8Array;
}

/** Why a join or a call was refused; the service maps each to a gRPC status code. */
export class MembershipError extends Error {
  override readonly name = 'MembershipError';
  constructor(
    readonly code: 'unauthenticated' | 'permission-denied',
    message: string,
  ) {
    super(message);
  }
}

const CHALLENGE_TTL_MS = 60_000;

/**
 * Who may join and who has. A join is a signed challenge: the coordinator hands out a fresh nonce
 * for a listed identity key, and a session token only for a valid signature over it, once, within a
 * minute. Time is passed in (`now`), so tests control expiry.
 */
export class Membership {
  private readonly byKey = new Map<string, Member>();
  private readonly challenges = new Map<string, { nonce: Uint8Array; expires: number }>();
  private readonly sessions = new Map<string, Member>();

  constructor(
    readonly federation: string,
    readonly members: readonly Member[],
    /** Whoever builds a Membership checked that the manifest lists exactly these members. */
    readonly manifest: ServedManifest,
  ) {
    for (const m of members) this.byKey.set(hex(m.identityKey), m);
  }

  /** SHA-256 of the federation manifest the coordinator serves; round plan digests start from it. */
  get manifestSha256(): Uint8Array {
    return this.manifest.sha256;
  }

  member(index: ClientId): Member | undefined {
    return this.members[index - 1];
  }

  challenge(identityKey: Uint8Array, now: number): Uint8Array {
    this.memberByKey(identityKey);
    const nonce = new Uint8Array(osRandomBytes(32));
    this.challenges.set(hex(identityKey), { nonce, expires: now + CHALLENGE_TTL_MS });
    return nonce;
  }

  join(
    identityKey: Uint8Array,
    nonce: Uint8Array,
    signature: Uint8Array,
    now: number,
  ): { token: string; member: Member } {
    const member = this.memberByKey(identityKey);
    const pending = this.challenges.get(hex(identityKey));
    if (pending === undefined || pending.expires < now || !constantTimeEqual(pending.nonce, nonce)) {
      throw new MembershipError(
        'unauthenticated',
        'nonce: no live challenge matches; call GetChallenge again',
      );
    }
    this.challenges.delete(hex(identityKey));
    if (!verify(signature, joinPayload(this.federation, nonce), identityKey)) {
      throw new MembershipError(
        'unauthenticated',
        'signature: does not verify for this identity_key and nonce',
      );
    }
    const token = osRandomBytes(32).toString('hex');
    this.sessions.set(token, member);
    return { token, member };
  }

  /** The member a session token belongs to. */
  authenticate(token: string | undefined): Member {
    const member = token === undefined ? undefined : this.sessions.get(token);
    if (member === undefined)
      throw new MembershipError('unauthenticated', 'cohort-session: missing or unknown session token');
    return member;
  }

  private memberByKey(identityKey: Uint8Array): Member {
    const member = this.byKey.get(hex(identityKey));
    if (member === undefined) {
      throw new MembershipError('permission-denied', 'identity_key: not a member of this federation');
    }
    return member;
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
