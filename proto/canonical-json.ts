/**
 * One byte string per JSON value, so that a signature or a hash over a document does not depend on how
 * its writer ordered keys or spaced it: object keys sorted (JavaScript's default order, UTF-16 code
 * units) at every depth, no whitespace, UTF-8. Properties whose value is `undefined` are left out, as
 * JSON.stringify does, so an optional field absent and an optional field unset hash alike.
 */
export function canonicalJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalText(value, '$'));
}

/** Something canonicalJson cannot write: the path names where it is. */
export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

function canonicalText(value: unknown, at: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    // NaN and ±Infinity would become null, silently signing something other than what was meant.
    if (!Number.isFinite(value)) throw new CanonicalJsonError(`${at}: ${value} is not a finite number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalText(v, `${at}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalText(v, `${at}.${k}`)}`).join(',')}}`;
  }
  throw new CanonicalJsonError(`${at}: a ${typeof value} has no JSON form`);
}
