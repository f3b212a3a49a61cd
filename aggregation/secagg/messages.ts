import type { ClientId } from './graph.js';

/**
 * The secure-aggregation messages as domain types. proto/ defines their wire form; the gRPC edge
 * converts at the boundary, so nothing here is a string-keyed map checked by hand.
 * Phases follow Bonawitz et al. 2017: R0 AdvertiseKeys, R1 ShareKeys, R2 MaskedInputCollection,
 * R3 ConsistencyCheck, R4 Unmasking.
 */

// ---- client → server -----------------------------------------------------------------------------

/** R0: two fresh X25519 public keys signed with the client's long-term Ed25519 identity. */
export interface AdvertiseKeys {
  readonly kind: 'advertise-keys';
  readonly encryptionKey: Uint8Array;
  readonly maskingKey: Uint8Array;
  readonly signature: Uint8Array;
}

/** R1: one AEAD ciphertext per neighbour, holding that neighbour's shares of both secrets. */
export interface ShareKeys {
  readonly kind: 'share-keys';
  readonly ciphertexts: readonly { readonly recipient: ClientId; readonly ciphertext: Uint8Array }[];
  /** Digest binding the self-mask seed, so the server can tell a correctly rebuilt seed. */
  readonly selfSeedCommitment: Uint8Array;
}

/** R2: one piece of y = x + PRG(b) + Σ ±PRG(s_ij) mod 2^32, sent in order from word 0. */
export interface MaskedInputChunk {
  readonly kind: 'masked-input';
  readonly offset: number;
  readonly words: Uint32Array;
}

/** R3: the client's signature over the survivor list it was shown. */
export interface ConsistencySignature {
  readonly kind: 'consistency-signature';
  readonly signature: Uint8Array;
}

export interface RevealedShare {
  readonly owner: ClientId;
  readonly share: Uint8Array;
}

/** R4: shares of survivors' self-mask seeds and of dropped clients' mask keys, never both for one owner. */
export interface UnmaskResponse {
  readonly kind: 'unmask-response';
  readonly selfSeedShares: readonly RevealedShare[];
  readonly maskKeyShares: readonly RevealedShare[];
}

/** Either side gives up on the session and says why. */
export interface Abort {
  readonly kind: 'abort';
  readonly reason: string;
}

export type ClientMessage =
  AdvertiseKeys | ShareKeys | MaskedInputChunk | ConsistencySignature | UnmaskResponse | Abort;

// ---- server → client -----------------------------------------------------------------------------

export interface RosterEntry {
  readonly id: ClientId;
  readonly encryptionKey: Uint8Array;
  readonly maskingKey: Uint8Array;
  readonly signature: Uint8Array;
}

/** After R0: every client that advertised valid keys, ascending by id. The same message goes to all. */
export interface Roster {
  readonly kind: 'roster';
  readonly entries: readonly RosterEntry[];
}

/** After R1: the ciphertexts other clients addressed to this one. */
export interface SharesForYou {
  readonly kind: 'shares-for-you';
  readonly ciphertexts: readonly { readonly sender: ClientId; readonly ciphertext: Uint8Array }[];
}

/** After R2: the clients whose masked input arrived whole (U3), ascending. */
export interface SurvivorList {
  readonly kind: 'survivor-list';
  readonly survivors: readonly ClientId[];
}

/** After R3: the signed survivor list and, explicitly, which share the server wants for which owner. */
export interface UnmaskRequest {
  readonly kind: 'unmask-request';
  readonly survivors: readonly ClientId[];
  readonly signatures: readonly { readonly signer: ClientId; readonly signature: Uint8Array }[];
  readonly selfSeedOwners: readonly ClientId[];
  readonly maskKeyOwners: readonly ClientId[];
}

export type ServerMessage = Roster | SharesForYou | SurvivorList | UnmaskRequest | Abort;

export interface Outbound {
  readonly to: ClientId;
  readonly message: ServerMessage;
}
