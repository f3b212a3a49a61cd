import { seededRandom, seedFromNumber } from '../aggregation/index.js';

/** Member `id`'s quantized update in bench:grpc: the same words in the members' process and the coordinator's check. */
export function benchInput(id: number, dimension: number): Uint32Array {
  const words = new Uint32Array(dimension);
  seededRandom(seedFromNumber(1e6 + id)).fill(new Uint8Array(words.buffer));
  for (let i = 0; i < dimension; i++) words[i] = words[i]! % 65_537;
  return words;
}
