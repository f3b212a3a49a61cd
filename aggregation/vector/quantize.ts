import { InvalidArgumentError, UnsafeParametersError } from '../errors.js';
import type { RandomSource } from '../crypto/random-source.js';
import { assertAllFinite } from './clip.js';

/** Masked secure aggregation sums in Z_2^32: quantized vectors are added modulo this. */
export const MODULUS = 2 ** 32;

/**
 * Coordinates are clipped to [-clipRange, clipRange] and mapped onto the grid 0..levels-1, so the
 * step between adjacent levels is 2*clipRange/(levels-1).
 */
export interface QuantizerParams {
  readonly clipRange: number;
  readonly levels: number;
}

/** Random words are drawn in blocks so the per-element cost is a table read, not a call into the CSPRNG. */
const BLOCK_WORDS = 4096;

function validateLevels(levels: number): void {
  if (!Number.isInteger(levels) || levels < 2 || levels > MODULUS) {
    throw new InvalidArgumentError('levels', `must be an integer in [2, 2^32], got ${levels}`);
  }
}

export function validateQuantizerParams(p: QuantizerParams): void {
  if (!Number.isFinite(p.clipRange) || p.clipRange <= 0) {
    throw new InvalidArgumentError('clipRange', `must be a finite number > 0, got ${p.clipRange}`);
  }
  validateLevels(p.levels);
}

/** Exact: (2^32-1)/(levels-1) is never within rounding distance of an integer it is not equal to. */
export function maxClientsWithoutWrap(levels: number): number {
  validateLevels(levels);
  return Math.floor((MODULUS - 1) / (levels - 1));
}

/**
 * Dequantization cannot tell a wrapped sum from a small one, so a wrap would silently corrupt the model.
 * This must be checked before the round starts, for the largest number of clients that may be summed.
 */
export function checkNoWrap(p: QuantizerParams, clients: number): void {
  validateQuantizerParams(p);
  if (!Number.isSafeInteger(clients) || clients < 1) {
    throw new InvalidArgumentError('clients', `must be a positive integer, got ${clients}`);
  }
  const max = maxClientsWithoutWrap(p.levels);
  if (clients > max) {
    const worst = BigInt(clients) * BigInt(p.levels - 1);
    throw new UnsafeParametersError(
      `sum of n=${clients} quantized vectors with levels=${p.levels} can reach ${worst}, ` +
        `which wraps modulus 2^32 = ${MODULUS}; at most n=${max} clients are safe for levels=${p.levels}`,
    );
  }
}

/**
 * Unbiased stochastic rounding: rounding up with probability equal to the fractional part makes the
 * expected dequantized value exactly the clipped input, so quantization error averages out across
 * clients instead of accumulating as a bias in the aggregate.
 */
export function quantize(
  x: Float32Array,
  p: QuantizerParams,
  random: RandomSource,
  out: Uint32Array = new Uint32Array(x.length),
): Uint32Array {
  validateQuantizerParams(p);
  if (out.length !== x.length) {
    throw new InvalidArgumentError('out', `length ${out.length} does not match input length ${x.length}`);
  }
  assertAllFinite(x, 'update');
  const c = p.clipRange;
  const step = (2 * c) / (p.levels - 1);
  const top = p.levels - 1;
  const words = new Uint32Array(Math.min(BLOCK_WORDS, x.length));
  const bytes = new Uint8Array(words.buffer);
  for (let start = 0; start < x.length; start += BLOCK_WORDS) {
    const end = Math.min(x.length, start + BLOCK_WORDS);
    random.fill(end - start === words.length ? bytes : bytes.subarray(0, (end - start) * 4));
    for (let i = start; i < end; i++) {
      const y = (Math.min(c, Math.max(-c, x[i] as number)) + c) / step;
      const floor = Math.floor(y);
      const u = (words[i - start] as number) / MODULUS;
      const q = floor + (u < y - floor ? 1 : 0);
      out[i] = q < 0 ? 0 : q > top ? top : q;
    }
  }
  return out;
}

/**
 * Turns the modular sum of `clients` quantized vectors back into the sum of their dequantized values.
 * Each client's offset of clipRange is subtracted once per client, which is why `clients` must be exact.
 */
export function dequantizeSum(
  sum: Uint32Array,
  p: QuantizerParams,
  clients: number,
  out: Float32Array = new Float32Array(sum.length),
): Float32Array {
  checkNoWrap(p, clients);
  if (out.length !== sum.length) {
    throw new InvalidArgumentError('out', `length ${out.length} does not match sum length ${sum.length}`);
  }
  const step = (2 * p.clipRange) / (p.levels - 1);
  const offset = clients * p.clipRange;
  for (let i = 0; i < sum.length; i++) out[i] = (sum[i] as number) * step - offset;
  return out;
}
