import { InvalidArgumentError } from '../errors.js';
import type { RandomSource } from './random-source.js';

/**
 * Shamir t-of-k secret sharing of 32-byte secrets (the seeds and key shares of SecAgg+). Ours rather
 * than an npm package because the protocol core is synchronous and sans-IO: randomness is injected
 * and share j belongs to neighbour position j, so x-coordinates are not ours to choose at random.
 *
 * The field is the smallest prime above 2^256, so every 32-byte string is a field element and no
 * secret has to be reduced or rejected.
 */
export const SHAMIR_PRIME: bigint = (1n << 256n) + 297n;

export const SECRET_BYTES = 32;
/** A field element needs 257 bits, hence one byte more than the secret. */
export const SHARE_BYTES = 33;
/** x-coordinates travel as uint16 neighbour indices (x = index + 1, since x = 0 is the secret). */
export const MAX_SHARES = 65535;

const P = SHAMIR_PRIME;
const SECRET_LIMIT = 1n << 256n;
const MAX_CACHED_X_SETS = 4096;

export interface Share {
  readonly x: number;
  readonly value: Uint8Array;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = bytes.length % 8;
  let n = 0n;
  for (let i = 0; i < head; i++) n = (n << 8n) | BigInt(bytes[i]!);
  for (let i = head; i < bytes.length; i += 8) n = (n << 64n) | view.getBigUint64(i);
  return n;
}

function bigIntToBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let rest = n;
  for (let i = length - 8; i >= 0; i -= 8) {
    view.setBigUint64(i, BigInt.asUintN(64, rest));
    rest >>= 64n;
  }
  for (let i = (length % 8) - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest !== 0n) throw new RangeError(`value does not fit in ${length} bytes`);
  return out;
}

/** Whether `value` is a share value: SHARE_BYTES big-endian bytes encoding an element of [0, p). */
export function isFieldElement(value: Uint8Array): boolean {
  if (value.length !== SHARE_BYTES) return false;
  // Only a leading byte of 1 needs the full comparison; a leading byte above 1 means >= 2^257.
  return value[0]! === 0 || (value[0] === 1 && bytesToBigInt(value) < P);
}

/**
 * Uniform in [0, p) by rejection: p is just above 2^256, so keeping 257 bits accepts about half the
 * draws, whereas reducing a wider draw mod p would bias the coefficients (and so leak the secret).
 */
function randomFieldElement(random: RandomSource, buffer: Uint8Array): bigint {
  for (;;) {
    random.fill(buffer);
    buffer[0]! &= 1;
    const n = bytesToBigInt(buffer);
    if (n < P) return n;
  }
}

function modInverse(a: bigint): bigint {
  let r0 = P;
  let r1 = ((a % P) + P) % P;
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    const r2 = r0 - q * r1;
    r0 = r1;
    r1 = r2;
    const t2 = t0 - q * t1;
    t0 = t1;
    t1 = t2;
  }
  if (r0 !== 1n) throw new RangeError('not invertible modulo SHAMIR_PRIME');
  return t0 < 0n ? t0 + P : t0;
}

/** Splits `secret` so that any `threshold` of the returned shares recover it; shares[j] is f(j + 1). */
export function splitSecret(
  secret: Uint8Array,
  threshold: number,
  shareCount: number,
  random: RandomSource,
): Uint8Array[] {
  if (!(secret instanceof Uint8Array) || secret.length !== SECRET_BYTES) {
    throw new InvalidArgumentError('secret', `expected ${SECRET_BYTES} bytes`);
  }
  if (!Number.isInteger(shareCount) || shareCount < 1 || shareCount > MAX_SHARES) {
    throw new InvalidArgumentError(
      'shareCount',
      `expected an integer in [1, ${MAX_SHARES}], got ${shareCount}`,
    );
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > shareCount) {
    throw new InvalidArgumentError(
      'threshold',
      `expected an integer in [1, ${shareCount}], got ${threshold}`,
    );
  }
  // coefficients[i] multiplies x^i; drawn in increasing degree so a seeded run is reproducible.
  const coefficients: bigint[] = [bytesToBigInt(secret)];
  const buffer = new Uint8Array(SHARE_BYTES);
  for (let i = 1; i < threshold; i++) coefficients.push(randomFieldElement(random, buffer));
  buffer.fill(0);

  const shares: Uint8Array[] = [];
  for (let j = 0; j < shareCount; j++) {
    const x = BigInt(j + 1);
    let y = 0n;
    for (let i = threshold - 1; i >= 0; i--) y = (y * x + coefficients[i]!) % P;
    shares.push(bigIntToBytes(y, SHARE_BYTES));
  }
  return shares;
}

/**
 * Reconstructs secrets. A server recombines about a thousand secrets per round, nearly all over the
 * same few sets of surviving neighbours, so the Lagrange coefficients (which depend only on the
 * x-coordinates) are cached per x-set. The cache lives in the instance so its lifetime is the caller's.
 */
export class ShareCombiner {
  readonly #coefficients = new Map<string, readonly bigint[]>();

  combine(shares: readonly Share[], threshold: number): Uint8Array {
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > MAX_SHARES) {
      throw new InvalidArgumentError(
        'threshold',
        `expected an integer in [1, ${MAX_SHARES}], got ${threshold}`,
      );
    }
    if (shares.length < threshold) {
      throw new InvalidArgumentError('shares', `too few shares: need ${threshold}, got ${shares.length}`);
    }
    const sorted = shares.slice().sort((a, b) => a.x - b.x);
    for (let i = 0; i < sorted.length; i++) {
      const { x, value } = sorted[i]!;
      if (!Number.isInteger(x) || x < 1 || x > MAX_SHARES) {
        throw new InvalidArgumentError(
          'shares',
          `x out of range: expected an integer in [1, ${MAX_SHARES}], got ${x}`,
        );
      }
      if (i > 0 && sorted[i - 1]!.x === x) throw new InvalidArgumentError('shares', `duplicate x ${x}`);
      if (!(value instanceof Uint8Array) || value.length !== SHARE_BYTES) {
        throw new InvalidArgumentError('shares', `bad length for x ${x}: expected ${SHARE_BYTES} bytes`);
      }
      if (!isFieldElement(value)) {
        throw new InvalidArgumentError('shares', `value >= p for x ${x}`);
      }
    }

    const used = sorted.slice(0, threshold);
    let key = '';
    for (const share of used) key += `${share.x},`;
    let lambdas = this.#coefficients.get(key);
    if (lambdas === undefined) {
      lambdas = lagrangeAtZero(used.map((share) => BigInt(share.x)));
      this.#coefficients.set(key, lambdas);
      if (this.#coefficients.size > MAX_CACHED_X_SETS) {
        this.#coefficients.delete(this.#coefficients.keys().next().value!);
      }
    }

    // One reduction at the end: the unreduced sum is only ~t * 2^514, far cheaper than t reductions.
    let sum = 0n;
    for (let i = 0; i < threshold; i++) sum += lambdas[i]! * bytesToBigInt(used[i]!.value);
    const secret = sum % P;
    // A value in [2^256, p) was never a 32-byte secret. This is a format check, not an integrity
    // check: a corrupted share moves the result to an essentially uniform field element, which lands
    // here only with probability 297 / p. Detecting tampering needs redundancy or authenticated shares.
    if (secret >= SECRET_LIMIT) {
      throw new InvalidArgumentError('shares', 'inconsistent shares: interpolated value exceeds 2^256');
    }
    return bigIntToBytes(secret, SECRET_BYTES);
  }
}

/**
 * lambda_i = prod_{j != i} x_j / (x_j - x_i) = N / (x_i * prod_{j != i} (x_j - x_i)) with N = prod x_j.
 * The t denominators are inverted together (Montgomery's trick) at the cost of one extended Euclid.
 */
function lagrangeAtZero(xs: readonly bigint[]): bigint[] {
  const t = xs.length;
  let numerator = 1n;
  const denominators: bigint[] = [];
  for (let i = 0; i < t; i++) {
    const xi = xs[i]!;
    numerator = (numerator * xi) % P;
    let d = xi;
    for (let j = 0; j < t; j++) if (j !== i) d = (d * (xs[j]! - xi)) % P;
    denominators.push(d < 0n ? d + P : d);
  }
  const prefix: bigint[] = [];
  let running = 1n;
  for (const d of denominators) {
    running = (running * d) % P;
    prefix.push(running);
  }
  let inverse = modInverse(running);
  const lambdas = new Array<bigint>(t);
  for (let i = t - 1; i >= 0; i--) {
    const inverseD = i === 0 ? inverse : (inverse * prefix[i - 1]!) % P;
    inverse = (inverse * denominators[i]!) % P;
    lambdas[i] = (numerator * inverseD) % P;
  }
  return lambdas;
}
