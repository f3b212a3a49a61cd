import { InvalidArgumentError } from '../errors.js';

/**
 * Throws on the first NaN or ±Infinity so a bad update is rejected with an actionable index instead of
 * silently poisoning the aggregate (one NaN makes every coordinate of the sum NaN).
 */
export function assertAllFinite(v: Float32Array, field: string): void {
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    if (!Number.isFinite(x)) throw new InvalidArgumentError(field, `element ${i} is ${x}`);
  }
}

/** Accumulated in float64: a float32 running sum loses the small coordinates of long vectors. */
export function l2Norm(v: Float32Array): number {
  let sumSq = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    sumSq += x * x;
  }
  return Math.sqrt(sumSq);
}

/**
 * Bounds a client's contribution (the L2 sensitivity that differential privacy noise is calibrated to).
 * Writing back to float32 rounds each element, which can leave the norm a few ulps above `bound`; since
 * the bound is a privacy guarantee rather than a target, we re-check and shrink by a growing margin until
 * it holds (normally the first pass suffices; the margin reaching 1 zeroes the vector, so this terminates).
 * Returns the overall factor applied, 1 when `v` was already inside the ball.
 */
export function clipToL2Ball(v: Float32Array, bound: number): number {
  if (!Number.isFinite(bound) || bound <= 0) {
    throw new InvalidArgumentError('bound', `must be a finite number > 0, got ${bound}`);
  }
  assertAllFinite(v, 'update');
  let norm = l2Norm(v);
  let total = 1;
  for (let margin = 0; norm > bound; margin = Math.min(1, margin === 0 ? 2 ** -22 : margin * 2)) {
    const scale = (bound / norm) * (1 - margin);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * scale;
    total *= scale;
    norm = l2Norm(v);
  }
  return total;
}
