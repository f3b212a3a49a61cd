/**
 * Equality of two byte strings in time that depends only on their length, for comparing keys,
 * commitments and digests where an early exit would tell an attacker how many leading bytes matched.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
