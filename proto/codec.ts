import { InvalidArgumentError } from '../aggregation/errors.js';
import { GRAPH_ATTEMPTS, GRAPH_NONCE_BYTES } from '../aggregation/secagg/index.js';
import type {
  AdvertiseKeys,
  ClientId,
  ConsistencySignature,
  GraphNonce,
  MaskedInputChunk,
  RevealedShare,
  ServerMessage,
  ShareCheck,
  ShareKeys,
  UnmaskResponse,
} from '../aggregation/secagg/index.js';

/**
 * Conversion between cohort.v1 wire messages (as @grpc/proto-loader decodes them: snake_case fields,
 * Buffers, numbers) and the secure-aggregation core's domain messages. Decoding checks every length and
 * id and throws InvalidArgumentError naming the field, which the service maps to INVALID_ARGUMENT; the
 * core then only ever sees well-formed values.
 */

export type Bytes = Uint8Array;

export interface WireAdvertiseKeys {
  round_id: Bytes;
  encryption_key: Bytes;
  masking_key: Bytes;
  signature: Bytes;
  graph_commitment: Bytes;
}
export interface WireGraphNonce {
  round_id: Bytes;
  attempt: number;
  nonce: Bytes;
}
export interface WireShareCheck {
  round_id: Bytes;
  rejected: number[];
}
export interface WireShareKeys {
  round_id: Bytes;
  ciphertexts: { recipient: number; ciphertext: Bytes }[];
  self_seed_commitment: Bytes;
}
export interface WireMaskedInputChunk {
  round_id: Bytes;
  offset: number;
  words: Bytes;
}
export interface WireSignSurvivors {
  round_id: Bytes;
  signature: Bytes;
}
export interface WireUnmask {
  round_id: Bytes;
  self_seed_shares: { owner: number; share: Bytes }[];
  mask_key_shares: { owner: number; share: Bytes }[];
}
/** The secure-aggregation part of CoordinatorEvent (the oneof names the set field). */
export type WireSecAggEvent =
  | { event: 'roster'; roster: { round_id: Bytes; attempt: number; entries: WireRosterEntry[] } }
  | {
      event: 'graph_nonces';
      graph_nonces: { round_id: Bytes; attempt: number; nonces: { member_index: number; nonce: Bytes }[] };
    }
  | {
      event: 'shares_for_you';
      shares_for_you: { round_id: Bytes; ciphertexts: { sender: number; ciphertext: Bytes }[] };
    }
  | { event: 'mask_with'; mask_with: { round_id: Bytes; peers: number[] } }
  | { event: 'survivor_list'; survivor_list: { round_id: Bytes; survivors: number[] } }
  | {
      event: 'unmask_request';
      unmask_request: {
        round_id: Bytes;
        survivors: number[];
        signatures: { signer: number; signature: Bytes }[];
        self_seed_owners: number[];
        mask_key_owners: number[];
      };
    }
  | { event: 'abort'; abort: { round_id: Bytes; reason: string } };
export interface WireRosterEntry {
  member_index: number;
  encryption_key: Bytes;
  masking_key: Bytes;
  signature: Bytes;
  graph_commitment: Bytes;
}

// ---- checks ------------------------------------------------------------------------------------

function bytes(value: unknown, field: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(field, 'expected bytes');
  if (length !== undefined && value.length !== length) {
    throw new InvalidArgumentError(field, `expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

function memberId(value: unknown, field: string): ClientId {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value >= 2 ** 32) {
    throw new InvalidArgumentError(field, `expected a member index >= 1, got ${String(value)}`);
  }
  return value;
}

function list<T>(value: unknown, field: string): T[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(field, 'expected a repeated field');
  return value as T[];
}

function attemptOf(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > GRAPH_ATTEMPTS) {
    throw new InvalidArgumentError(
      field,
      `expected an attempt in [1, ${GRAPH_ATTEMPTS}], got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Member indices, strictly ascending and at most `bound` of them (the round's participants): a
 * longer or repeating list can only be padding, and refusing it keeps the core's work bounded.
 */
function ascendingIds(value: unknown, field: string, bound: number): ClientId[] {
  const raw = list<unknown>(value, field);
  if (raw.length > bound) {
    throw new InvalidArgumentError(field, `expected at most ${bound} member indices, got ${raw.length}`);
  }
  const ids = raw.map((id, i) => memberId(id, `${field}[${i}]`));
  for (let i = 1; i < ids.length; i++) {
    if (ids[i]! <= ids[i - 1]!) {
      throw new InvalidArgumentError(
        `${field}[${i}]`,
        `expected strictly ascending indices, got ${ids[i]} after ${ids[i - 1]}`,
      );
    }
  }
  return ids;
}

/** The round id every member message must carry. */
export function roundIdOf(message: { round_id?: unknown }, field = 'round_id'): Uint8Array {
  return bytes(message.round_id, field, 32);
}

// ---- member → coordinator ----------------------------------------------------------------------

export function decodeAdvertiseKeys(m: WireAdvertiseKeys): AdvertiseKeys {
  return {
    kind: 'advertise-keys',
    encryptionKey: bytes(m.encryption_key, 'encryption_key', 32),
    maskingKey: bytes(m.masking_key, 'masking_key', 32),
    graphCommitment: bytes(m.graph_commitment, 'graph_commitment', 32),
    signature: bytes(m.signature, 'signature', 64),
  };
}

export function decodeGraphNonce(m: WireGraphNonce): GraphNonce {
  return {
    kind: 'graph-nonce',
    attempt: attemptOf(m.attempt, 'attempt'),
    nonce: bytes(m.nonce, 'nonce', GRAPH_NONCE_BYTES),
  };
}

/** `participants` bounds the list: nobody can reject more neighbours than the round has members. */
export function decodeShareCheck(m: WireShareCheck, participants: number): ShareCheck {
  return { kind: 'share-check', rejected: ascendingIds(m.rejected, 'rejected', participants) };
}

export function decodeShareKeys(m: WireShareKeys): ShareKeys {
  return {
    kind: 'share-keys',
    ciphertexts: list<WireShareKeys['ciphertexts'][number]>(m.ciphertexts, 'ciphertexts').map((c, i) => ({
      recipient: memberId(c.recipient, `ciphertexts[${i}].recipient`),
      ciphertext: bytes(c.ciphertext, `ciphertexts[${i}].ciphertext`),
    })),
    selfSeedCommitment: bytes(m.self_seed_commitment, 'self_seed_commitment', 32),
  };
}

/** Words arrive as little-endian bytes; an unaligned buffer is copied once so the view is valid. */
export function decodeMaskedInputChunk(m: WireMaskedInputChunk): MaskedInputChunk {
  const raw = bytes(m.words, 'words');
  if (raw.length === 0 || raw.length % 4 !== 0) {
    throw new InvalidArgumentError('words', `expected a non-empty multiple of 4 bytes, got ${raw.length}`);
  }
  if (typeof m.offset !== 'number' || !Number.isInteger(m.offset) || m.offset < 0) {
    throw new InvalidArgumentError('offset', `expected a word index >= 0, got ${String(m.offset)}`);
  }
  // Buffer#slice is a view, not a copy; the Uint8Array constructor copies to a fresh, aligned buffer.
  const aligned = raw.byteOffset % 4 === 0 ? raw : new Uint8Array(raw);
  return {
    kind: 'masked-input',
    offset: m.offset,
    words: new Uint32Array(aligned.buffer, aligned.byteOffset, raw.length / 4),
  };
}

export function decodeSignSurvivors(m: WireSignSurvivors): ConsistencySignature {
  return { kind: 'consistency-signature', signature: bytes(m.signature, 'signature', 64) };
}

export function decodeUnmask(m: WireUnmask): UnmaskResponse {
  const shares = (field: string, value: unknown): RevealedShare[] =>
    list<{ owner: number; share: Bytes }>(value, field).map((s, i) => ({
      owner: memberId(s.owner, `${field}[${i}].owner`),
      share: bytes(s.share, `${field}[${i}].share`, 33),
    }));
  return {
    kind: 'unmask-response',
    selfSeedShares: shares('self_seed_shares', m.self_seed_shares),
    maskKeyShares: shares('mask_key_shares', m.mask_key_shares),
  };
}

export function encodeAdvertiseKeys(roundId: Bytes, m: AdvertiseKeys): WireAdvertiseKeys {
  return {
    round_id: roundId,
    encryption_key: m.encryptionKey,
    masking_key: m.maskingKey,
    signature: m.signature,
    graph_commitment: m.graphCommitment,
  };
}

export function encodeGraphNonce(roundId: Bytes, m: GraphNonce): WireGraphNonce {
  return { round_id: roundId, attempt: m.attempt, nonce: m.nonce };
}

export function encodeShareCheck(roundId: Bytes, m: ShareCheck): WireShareCheck {
  return { round_id: roundId, rejected: [...m.rejected] };
}

export function encodeShareKeys(roundId: Bytes, m: ShareKeys): WireShareKeys {
  return {
    round_id: roundId,
    ciphertexts: m.ciphertexts.map((c) => ({ recipient: c.recipient, ciphertext: c.ciphertext })),
    self_seed_commitment: m.selfSeedCommitment,
  };
}

export function encodeMaskedInputChunk(roundId: Bytes, m: MaskedInputChunk): WireMaskedInputChunk {
  return {
    round_id: roundId,
    offset: m.offset,
    words: new Uint8Array(m.words.buffer, m.words.byteOffset, m.words.byteLength),
  };
}

export function encodeSignSurvivors(roundId: Bytes, m: ConsistencySignature): WireSignSurvivors {
  return { round_id: roundId, signature: m.signature };
}

export function encodeUnmask(roundId: Bytes, m: UnmaskResponse): WireUnmask {
  return {
    round_id: roundId,
    self_seed_shares: m.selfSeedShares.map((s) => ({ owner: s.owner, share: s.share })),
    mask_key_shares: m.maskKeyShares.map((s) => ({ owner: s.owner, share: s.share })),
  };
}

// ---- coordinator → member ----------------------------------------------------------------------

export function encodeServerMessage(roundId: Bytes, m: ServerMessage): WireSecAggEvent {
  switch (m.kind) {
    case 'roster':
      return {
        event: 'roster',
        roster: {
          round_id: roundId,
          attempt: m.attempt,
          entries: m.entries.map((e) => ({
            member_index: e.id,
            encryption_key: e.encryptionKey,
            masking_key: e.maskingKey,
            signature: e.signature,
            graph_commitment: e.graphCommitment,
          })),
        },
      };
    case 'graph-nonces':
      return {
        event: 'graph_nonces',
        graph_nonces: {
          round_id: roundId,
          attempt: m.attempt,
          nonces: m.nonces.map((n) => ({ member_index: n.id, nonce: n.nonce })),
        },
      };
    case 'mask-with':
      return { event: 'mask_with', mask_with: { round_id: roundId, peers: [...m.peers] } };
    case 'shares-for-you':
      return {
        event: 'shares_for_you',
        shares_for_you: { round_id: roundId, ciphertexts: [...m.ciphertexts] },
      };
    case 'survivor-list':
      return { event: 'survivor_list', survivor_list: { round_id: roundId, survivors: [...m.survivors] } };
    case 'unmask-request':
      return {
        event: 'unmask_request',
        unmask_request: {
          round_id: roundId,
          survivors: [...m.survivors],
          signatures: m.signatures.map((s) => ({ signer: s.signer, signature: s.signature })),
          self_seed_owners: [...m.selfSeedOwners],
          mask_key_owners: [...m.maskKeyOwners],
        },
      };
    case 'abort':
      return { event: 'abort', abort: { round_id: roundId, reason: m.reason } };
  }
}

/**
 * A member decodes what the coordinator pushed; a malformed push is the coordinator's fault.
 * `participants` (the round's, from RoundStarted) bounds every list of members.
 */
export function decodeServerMessage(e: WireSecAggEvent, participants = 2 ** 32 - 1): ServerMessage {
  switch (e.event) {
    case 'roster': {
      const entries = list<WireRosterEntry>(e.roster.entries, 'roster.entries');
      if (entries.length > participants) {
        throw new InvalidArgumentError(
          'roster.entries',
          `expected at most ${participants} entries, got ${entries.length}`,
        );
      }
      return {
        kind: 'roster',
        attempt: attemptOf(e.roster.attempt, 'roster.attempt'),
        entries: entries.map((r, i) => ({
          id: memberId(r.member_index, `roster.entries[${i}].member_index`),
          encryptionKey: bytes(r.encryption_key, `roster.entries[${i}].encryption_key`, 32),
          maskingKey: bytes(r.masking_key, `roster.entries[${i}].masking_key`, 32),
          graphCommitment: bytes(r.graph_commitment, `roster.entries[${i}].graph_commitment`, 32),
          signature: bytes(r.signature, `roster.entries[${i}].signature`, 64),
        })),
      };
    }
    case 'graph_nonces': {
      const nonces = list<{ member_index: number; nonce: Bytes }>(
        e.graph_nonces.nonces,
        'graph_nonces.nonces',
      );
      if (nonces.length > participants) {
        throw new InvalidArgumentError(
          'graph_nonces.nonces',
          `expected at most ${participants} nonces, got ${nonces.length}`,
        );
      }
      return {
        kind: 'graph-nonces',
        attempt: attemptOf(e.graph_nonces.attempt, 'graph_nonces.attempt'),
        nonces: nonces.map((n, i) => ({
          id: memberId(n.member_index, `graph_nonces.nonces[${i}].member_index`),
          nonce: bytes(n.nonce, `graph_nonces.nonces[${i}].nonce`, GRAPH_NONCE_BYTES),
        })),
      };
    }
    case 'mask_with':
      return { kind: 'mask-with', peers: ascendingIds(e.mask_with.peers, 'mask_with.peers', participants) };
    case 'shares_for_you':
      return {
        kind: 'shares-for-you',
        ciphertexts: list<{ sender: number; ciphertext: Bytes }>(
          e.shares_for_you.ciphertexts,
          'ciphertexts',
        ).map((c, i) => ({
          sender: memberId(c.sender, `ciphertexts[${i}].sender`),
          ciphertext: bytes(c.ciphertext, `ciphertexts[${i}].ciphertext`),
        })),
      };
    case 'survivor_list':
      return {
        kind: 'survivor-list',
        survivors: list<number>(e.survivor_list.survivors, 'survivors').map((id, i) =>
          memberId(id, `survivors[${i}]`),
        ),
      };
    case 'unmask_request': {
      const r = e.unmask_request;
      const ids = (field: string, value: unknown): ClientId[] =>
        list<number>(value, field).map((id, i) => memberId(id, `${field}[${i}]`));
      return {
        kind: 'unmask-request',
        survivors: ids('survivors', r.survivors),
        signatures: list<{ signer: number; signature: Bytes }>(r.signatures, 'signatures').map((s, i) => ({
          signer: memberId(s.signer, `signatures[${i}].signer`),
          signature: bytes(s.signature, `signatures[${i}].signature`, 64),
        })),
        selfSeedOwners: ids('self_seed_owners', r.self_seed_owners),
        maskKeyOwners: ids('mask_key_owners', r.mask_key_owners),
      };
    }
    case 'abort':
      return { kind: 'abort', reason: String(e.abort.reason) };
  }
}
