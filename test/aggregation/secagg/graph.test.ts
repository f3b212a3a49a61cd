import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import { seedFromNumber } from '../../../aggregation/crypto/random-source.js';
import { NeighbourGraph, type ClientId } from '../../../aggregation/secagg/graph.js';

/** n ids that are neither contiguous nor starting at 0. */
const ids = (n: number): ClientId[] => Array.from({ length: n }, (_, i) => 100 + 7 * i);

/** The edge set as sorted "a-b" strings (a < b). */
function edges(graph: NeighbourGraph, members: readonly ClientId[]): string[] {
  const out: string[] = [];
  for (const a of members) for (const b of graph.neighbours(a)) if (a < b) out.push(`${a}-${b}`);
  return out.sort();
}

/** Whether the members minus `removed` induce a connected graph. */
function connectedWithout(
  graph: NeighbourGraph,
  members: readonly ClientId[],
  removed: Set<ClientId>,
): boolean {
  const alive = members.filter((id) => !removed.has(id));
  const seen = new Set<ClientId>([alive[0]!]);
  const queue = [alive[0]!];
  while (queue.length > 0) {
    const id = queue.pop()!;
    for (const next of graph.neighbours(id)) {
      if (removed.has(next) || seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return seen.size === alive.length;
}

describe('NeighbourGraph', () => {
  test('every client has exactly `degree` neighbours for an even degree below n-1', () => {
    for (const n of [5, 6, 7, 10, 12, 25]) {
      const members = ids(n);
      for (let degree = 2; degree < n - 1; degree += 2) {
        const graph = new NeighbourGraph(members, degree, seedFromNumber(n * 100 + degree));
        assert.equal(graph.degree, degree);
        assert.equal(graph.isComplete, false);
        assert.equal(graph.size, n);
        for (const id of members) {
          const list = graph.neighbours(id);
          assert.equal(list.length, degree, `n=${n} k=${degree} id=${id}`);
          assert.equal(new Set(list).size, degree, `n=${n} k=${degree} id=${id}: repeated neighbour`);
        }
      }
    }
  });

  test('the complete graph lists all n-1 others, for degree n-1 and for any larger degree', () => {
    for (const [n, degree] of [
      [5, 4],
      [6, 5],
      [6, 6],
      [10, 9],
      [10, 50],
      [3, 2],
    ] as const) {
      const members = ids(n);
      const graph = new NeighbourGraph(members, degree, seedFromNumber(n));
      assert.equal(graph.degree, n - 1, `n=${n} k=${degree}`);
      assert.equal(graph.isComplete, true);
      for (const id of members) {
        assert.deepEqual(
          [...graph.neighbours(id)],
          members.filter((other) => other !== id),
        );
        for (const other of members) assert.equal(graph.areNeighbours(id, other), id !== other);
      }
    }
  });

  test('adjacency is symmetric, areNeighbours agrees with neighbours(), no self loops, lists ascending', () => {
    for (const [n, degree] of [
      [7, 4],
      [10, 4],
      [12, 6],
      [25, 8],
      [40, 2],
    ] as const) {
      const members = ids(n);
      const graph = new NeighbourGraph(members, degree, seedFromNumber(n + degree));
      for (const a of members) {
        const list = graph.neighbours(a);
        assert.ok(!list.includes(a), `self loop at ${a}`);
        for (let i = 1; i < list.length; i++)
          assert.ok(list[i - 1]! < list[i]!, `not ascending: ${list.join()}`);
        for (const b of list) assert.ok(graph.has(b), `unknown neighbour ${b}`);
        for (const b of members) {
          const listed = list.includes(b);
          assert.equal(graph.neighbours(b).includes(a), listed, `asymmetric ${a}, ${b}`);
          assert.equal(graph.areNeighbours(a, b), listed, `areNeighbours(${a}, ${b})`);
          assert.equal(graph.areNeighbours(b, a), listed, `areNeighbours(${b}, ${a})`);
        }
      }
    }
  });

  test('sorts numerically, not as strings', () => {
    const members = [2, 10, 1, 100, 30, 9, 21, 3];
    const graph = new NeighbourGraph(members, 4, seedFromNumber(1));
    for (const id of members) {
      const list = graph.neighbours(id);
      assert.deepEqual(
        [...list],
        [...list].sort((a, b) => a - b),
      );
    }
  });

  test('repeated calls return the same neighbourhood', () => {
    const members = ids(12);
    const graph = new NeighbourGraph(members, 4, seedFromNumber(3));
    for (const id of members) assert.deepEqual([...graph.neighbours(id)], [...graph.neighbours(id)]);
  });

  test('is a Harary graph: removing any k-1 clients leaves it connected', () => {
    const members = ids(10);
    const graph = new NeighbourGraph(members, 4, seedFromNumber(8));
    for (let a = 0; a < 10; a++) {
      for (let b = a + 1; b < 10; b++) {
        for (let c = b + 1; c < 10; c++) {
          const removed = new Set([members[a]!, members[b]!, members[c]!]);
          assert.ok(connectedWithout(graph, members, removed), `disconnected without ${[...removed].join()}`);
        }
      }
    }
  });

  test('the same members and seed give the same graph whatever the member order', () => {
    const members = ids(15);
    const reversed = [...members].reverse();
    const shuffled = members.filter((_, i) => i % 2 === 0).concat(members.filter((_, i) => i % 2 === 1));
    const seed = seedFromNumber(42);
    const reference = new NeighbourGraph(members, 6, seed);
    for (const order of [reversed, shuffled]) {
      const other = new NeighbourGraph(order, 6, seedFromNumber(42));
      for (const id of members) assert.deepEqual([...other.neighbours(id)], [...reference.neighbours(id)]);
    }
  });

  test('different seeds give different graphs', () => {
    for (const n of [10, 20]) {
      const members = ids(n);
      const seen = new Set<string>();
      for (let s = 0; s < 20; s++)
        seen.add(edges(new NeighbourGraph(members, 4, seedFromNumber(s)), members).join());
      assert.equal(seen.size, 20, `n=${n}: only ${seen.size} distinct graphs from 20 seeds`);
    }
  });

  test('an odd degree is rounded up to the next even one', () => {
    const members = ids(12);
    for (const [asked, expected] of [
      [1, 2],
      [3, 4],
      [5, 6],
      [9, 10],
      [11, 11],
    ] as const) {
      const graph = new NeighbourGraph(members, asked, seedFromNumber(asked));
      assert.equal(graph.degree, expected, `asked ${asked}`);
      for (const id of members) assert.equal(graph.neighbours(id).length, expected, `asked ${asked}`);
    }
  });

  test('a duplicate member is rejected', () => {
    assert.throws(() => new NeighbourGraph([1, 2, 3, 2, 5], 2, seedFromNumber(0)), /2 listed twice/);
    assert.throws(() => new NeighbourGraph([4, 4], 2, seedFromNumber(0)), RangeError);
  });

  test('an unknown id throws from neighbours() and is never a neighbour', () => {
    const members = ids(8);
    const graph = new NeighbourGraph(members, 2, seedFromNumber(5));
    assert.equal(graph.has(999), false);
    assert.equal(graph.has(members[0]!), true);
    assert.throws(() => graph.neighbours(999), /999 is not in the graph/);
    assert.equal(graph.areNeighbours(999, members[0]!), false);
    assert.equal(graph.areNeighbours(members[0]!, 999), false);
  });

  test('each pair is adjacent with frequency k/(n-1) over many seeds (n=12, k=4)', () => {
    const n = 12;
    const degree = 4;
    const runs = 2000;
    const members = ids(n);
    const count = new Map<string, number>();
    for (let s = 0; s < runs; s++) {
      const graph = new NeighbourGraph(members, degree, seedFromNumber(s));
      let edgeCount = 0;
      for (const e of edges(graph, members)) {
        count.set(e, (count.get(e) ?? 0) + 1);
        edgeCount++;
      }
      assert.equal(edgeCount, (n * degree) / 2);
    }
    const p = degree / (n - 1);
    const standardError = Math.sqrt((p * (1 - p)) / runs);
    let chiSquare = 0;
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const observed = count.get(`${members[a]}-${members[b]}`) ?? 0;
        const frequency = observed / runs;
        assert.ok(
          Math.abs(frequency - p) <= 5 * standardError,
          `pair ${a},${b}: ${frequency.toFixed(4)} vs ${p.toFixed(4)} ± ${standardError.toFixed(4)}`,
        );
        chiSquare += (observed - runs * p) ** 2 / (runs * p * (1 - p));
      }
    }
    // 66 pair statistics of mean ~1 each (they are dependent, so only a loose bound).
    assert.ok(chiSquare < 3 * 66, `chi-square ${chiSquare.toFixed(1)}`);
  });

  test('every labelled 5-cycle is equally likely (n=5, k=2)', () => {
    // H(2, 5) is a 5-cycle; a uniform relabelling makes each of the 4!/2 = 12 labelled cycles 1/12.
    const members = [1, 2, 3, 4, 5];
    const runs = 2400;
    const count = new Map<string, number>();
    for (let s = 0; s < runs; s++) {
      const key = edges(new NeighbourGraph(members, 2, seedFromNumber(1e6 + s)), members).join();
      count.set(key, (count.get(key) ?? 0) + 1);
    }
    assert.equal(count.size, 12);
    const expected = runs / 12;
    const sd = Math.sqrt(expected * (1 - 1 / 12));
    for (const [key, observed] of count) {
      assert.ok(
        Math.abs(observed - expected) <= 5 * sd,
        `${key}: ${observed} vs ${expected} ± ${sd.toFixed(1)}`,
      );
    }
  });
});
