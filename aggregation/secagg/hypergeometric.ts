/** Exact hypergeometric tails in log space, for sizing the SecAgg+ graph and checking a roster. */

export function logFactorials(max: number): Float64Array {
  const table = new Float64Array(max + 1);
  for (let i = 2; i <= max; i++) table[i] = table[i - 1]! + Math.log(i);
  return table;
}

/**
 * For X ~ Hypergeometric(population, successes, draws), a function x ↦ log2 P[X >= x]
 * (-Infinity when impossible), summing the exact probability mass in log space.
 */
export function tailFrom(
  lnFact: Float64Array,
  population: number,
  successes: number,
  draws: number,
): (x: number) => number {
  const lnChoose = (a: number, b: number): number => lnFact[a]! - lnFact[b]! - lnFact[a - b]!;
  const lo = Math.max(0, draws - (population - successes));
  const hi = Math.min(draws, successes);
  const lnTotal = lnChoose(population, draws);
  const lnMass: number[] = [];
  for (let x = lo; x <= hi; x++)
    lnMass.push(lnChoose(successes, x) + lnChoose(population - successes, draws - x) - lnTotal);
  return (x: number): number => {
    const from = Math.max(x, lo) - lo;
    if (from >= lnMass.length) return -Infinity;
    let max = -Infinity;
    for (let i = from; i < lnMass.length; i++) max = Math.max(max, lnMass[i]!);
    let sum = 0;
    for (let i = from; i < lnMass.length; i++) sum += Math.exp(lnMass[i]! - max);
    return (max + Math.log(sum)) / Math.LN2;
  };
}
