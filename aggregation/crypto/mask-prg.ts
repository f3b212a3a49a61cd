import { createCipheriv, type Cipher } from 'node:crypto';
import { endianness } from 'node:os';

/**
 * Mask expansion: a 32-byte seed becomes a stream of uint32 words, the keystream of a stream cipher
 * keyed by the whole seed (never a shortened one), read as little-endian words. Every client and the
 * server must use the same generator, so it is a protocol parameter named by `id`.
 *
 * Streams are seekable (`startWord`), so a long vector can be expanded chunk by chunk, or range by
 * range on several cores, with the same words as one pass.
 */
export interface MaskPrg {
  readonly id: MaskPrgId;
  open(seed: Uint8Array, startWord: number): MaskStream;
}

export interface MaskStream {
  /** The next `count` words (count ≤ MASK_BLOCK_WORDS). The view is valid until the next call. */
  next(count: number): Uint32Array;
}

export type MaskPrgId = 'aes256ctr' | 'chacha20';

/**
 * Words per keystream request. node:crypto allocates a fresh output buffer per update, so requests are
 * sized where that cost is amortised but the buffer still sits in L2 (64 KiB measured best; bench/prg).
 */
export const MASK_BLOCK_WORDS = 16_384;

if (endianness() !== 'LE') throw new Error('mask words are defined little-endian; this host is big-endian');

const ZEROS = new Uint8Array(MASK_BLOCK_WORDS * 4);

function streamOf(cipher: Cipher, skipBytes: number): MaskStream {
  if (skipBytes > 0) cipher.update(ZEROS.subarray(0, skipBytes));
  return {
    next(count: number): Uint32Array {
      if (count > MASK_BLOCK_WORDS) throw new RangeError(`count ${count} exceeds ${MASK_BLOCK_WORDS}`);
      const bytes = cipher.update(ZEROS.subarray(0, count * 4));
      if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, count);
      return new Uint32Array(Uint8Array.from(bytes).buffer);
    },
  };
}

function checkSeed(seed: Uint8Array, startWord: number): void {
  if (seed.length !== 32) throw new RangeError(`mask seed must be 32 bytes, got ${seed.length}`);
  if (!Number.isSafeInteger(startWord) || startWord < 0)
    throw new RangeError(`startWord ${startWord} invalid`);
}

/** AES-256 in counter mode; the 128-bit big-endian counter starts at the block holding `startWord`. */
export const aes256CtrPrg: MaskPrg = {
  id: 'aes256ctr',
  open(seed, startWord) {
    checkSeed(seed, startWord);
    const block = Math.floor(startWord / 4);
    const iv = new Uint8Array(16);
    new DataView(iv.buffer).setBigUint64(8, BigInt(block));
    return streamOf(createCipheriv('aes-256-ctr', seed, iv), (startWord % 4) * 4);
  },
};

/** ChaCha20 (RFC 8439 block function) with a zero nonce; OpenSSL's IV is the little-endian block counter ‖ nonce. */
export const chacha20Prg: MaskPrg = {
  id: 'chacha20',
  open(seed, startWord) {
    checkSeed(seed, startWord);
    const block = Math.floor(startWord / 16);
    if (block >= 2 ** 32) throw new RangeError(`startWord ${startWord} beyond the ChaCha20 counter`);
    const iv = new Uint8Array(16);
    new DataView(iv.buffer).setUint32(0, block, true);
    return streamOf(createCipheriv('chacha20', seed, iv), (startWord % 16) * 4);
  },
};

export function maskPrgById(id: MaskPrgId): MaskPrg {
  return id === 'aes256ctr' ? aes256CtrPrg : chacha20Prg;
}

/**
 * The generator sessions use unless configured otherwise: the fastest on the machines we measured
 * (bench:prg: AES-256-CTR 4.3–4.8 GB/s, ChaCha20 3.9–4.4, libsodium's WASM XChaCha20 0.5). OpenSSL's
 * AES paths without AES instructions (vpaes, bsaes) are constant-time too.
 */
export const DEFAULT_MASK_PRG: MaskPrg = aes256CtrPrg;
