import type { ClientId } from './graph.js';

/**
 * The secure-aggregation messages as domain types. proto/ defines their wire form; the gRPC edge
 * converts at the boundary, so nothing here is a string-keyed map checked by hand.
 * Phases follow Bonawitz et al. 2017: R0 AdvertiseKeys, R1 ShareKeys, R2 MaskedInputCollection,
 * R3 ConsistencyCheck, R4 Unmasking.
 */

// ---- client → server -----------------------------------------------------------------------------

/**
 * R0: two fresh X25519 public keys and the head of a fresh graph-nonce hash chain, signed with the
 * client's long-term Ed25519 identity over the round plan it was shown (plan digest).
 */
export interface AdvertiseKeys {
  readonly kind: 'advertise-keys';
  readonly encryptionKey: Uint8Array;
  readonly maskingKey: Uint8Array;
  /** c = H^A(s): commits to the A graph nonces this client may reveal (graph-commitment.ts). */
  readonly graphCommitment: Uint8Array;
  readonly signature: Uint8Array;
}

/** R0½: once the roster of `attempt` is fixed, the client reveals that attempt's graph nonce. */
export interface GraphNonce {
  readonly kind: 'graph-nonce';
  readonly attempt: number;
  readonly nonce: Uint8Array;
}

/** R1: one AEAD ciphertext per neighbour, holding that neighbour's shares of both secrets. */
export interface ShareKeys {
  readonly kind: 'share-keys';
  readonly ciphertexts: readonly { readonly recipient: ClientId; readonly ciphertext: Uint8Array }[];
  /** Digest binding the self-mask seed, so the server can tell a correctly rebuilt seed. */
  readonly selfSeedCommitment: Uint8Array;
}

/**
 * R1½: the neighbours whose share ciphertext failed to open or decode at this client (ascending). The
 * client holds no usable share of theirs; the server cuts those edges before anyone masks.
 */
export interface ShareCheck {
  readonly kind: 'share-check';
  readonly rejected: readonly ClientId[];
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
  | AdvertiseKeys
  | GraphNonce
  | ShareKeys
  | ShareCheck
  | MaskedInputChunk
  | ConsistencySignature
  | UnmaskResponse
  | Abort;

// ---- server → client -----------------------------------------------------------------------------

export interface RosterEntry {
  readonly id: ClientId;
  readonly encryptionKey: Uint8Array;
  readonly maskingKey: Uint8Array;
  readonly graphCommitment: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * After R0 (attempt 1): every client that advertised valid keys, ascending by id. The same message
 * goes to all. When some fail to reveal their nonce, the server may send a smaller roster (a subset of
 * the last, attempt + 1), for which every remaining client reveals its next nonce.
 */
export interface Roster {
  readonly kind: 'roster';
  readonly attempt: number;
  readonly entries: readonly RosterEntry[];
}

/** After R0½: every roster member's nonce for `attempt`, in roster order; they seed the graph. */
export interface GraphNonces {
  readonly kind: 'graph-nonces';
  readonly attempt: number;
  readonly nonces: readonly { readonly id: ClientId; readonly nonce: Uint8Array }[];
}

/** After R1: the ciphertexts other clients addressed to this one. */
export interface SharesForYou {
  readonly kind: 'shares-for-you';
  readonly ciphertexts: readonly { readonly sender: ClientId; readonly ciphertext: Uint8Array }[];
}

/**
 * After R1½: the neighbours this client masks with (ascending): those that shared keys, minus any edge
 * either end rejected and any client the server excluded because too few valid shares of it exist.
 */
export interface MaskWith {
  readonly kind: 'mask-with';
  readonly peers: readonly ClientId[];
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

export type ServerMessage =
  Roster | GraphNonces | SharesForYou | MaskWith | SurvivorList | UnmaskRequest | Abort;

export interface Outbound {
  readonly to: ClientId;
  readonly message: ServerMessage;
}
