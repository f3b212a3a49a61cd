import { seededRandom, shuffle } from '../crypto/random-source.js';

export type ClientId = number;

/**
 * The SecAgg+ neighbour graph: a Harary graph H(k, n) — position p is joined to p±1 … p±k/2 (mod n) —
 * whose positions are assigned to clients by a permutation drawn from a 32-byte seed. The seed is
 * graphSeed(roster digest, every member's revealed nonce), committed before the roster and revealed
 * after it (graph-commitment.ts), so neither the server nor any one client picks the graph, and every
 * client can recompute its own neighbourhood. With k >= n-1 it is the complete graph.
 *
 * A neighbourhood is listed in ascending id order; a client's share for owner j is evaluated at
 * x = 1 + (its index in j's list), which client, holder and server all derive the same way.
 */
export class NeighbourGraph {
  private readonly positionOf = new Map<ClientId, number>();
  private readonly neighbourhoods = new Map<ClientId, readonly ClientId[]>();
  private readonly clientAt: ClientId[];
  readonly degree: number;

  constructor(members: readonly ClientId[], degree: number, seed: Uint8Array) {
    const sorted = [...members].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i] === sorted[i - 1]) throw new RangeError(`client ${sorted[i]} listed twice`);
    }
    this.clientAt = shuffle(sorted, seededRandom(seed));
    this.clientAt.forEach((id, position) => this.positionOf.set(id, position));
    this.degree = Math.min(degree % 2 === 0 ? degree : degree + 1, sorted.length - 1);
  }

  get size(): number {
    return this.clientAt.length;
  }

  get isComplete(): boolean {
    return this.degree === this.clientAt.length - 1;
  }

  has(id: ClientId): boolean {
    return this.positionOf.has(id);
  }

  /** The neighbours of `id`, ascending. Computed once per client: the server asks for them per share. */
  neighbours(id: ClientId): readonly ClientId[] {
    const known = this.neighbourhoods.get(id);
    if (known !== undefined) return known;
    const position = this.positionOf.get(id);
    if (position === undefined) throw new RangeError(`client ${id} is not in the graph`);
    const n = this.clientAt.length;
    const out: ClientId[] = [];
    if (this.isComplete) {
      for (const other of this.clientAt) if (other !== id) out.push(other);
    } else {
      for (let step = 1; step <= this.degree / 2; step++) {
        out.push(this.clientAt[(position + step) % n]!, this.clientAt[(position - step + n) % n]!);
      }
    }
    out.sort((a, b) => a - b);
    this.neighbourhoods.set(id, out);
    return out;
  }

  areNeighbours(a: ClientId, b: ClientId): boolean {
    const pa = this.positionOf.get(a);
    const pb = this.positionOf.get(b);
    if (pa === undefined || pb === undefined || a === b) return false;
    if (this.isComplete) return true;
    const n = this.clientAt.length;
    const gap = Math.abs(pa - pb);
    return Math.min(gap, n - gap) <= this.degree / 2;
  }
}
