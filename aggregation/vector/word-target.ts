import { addInto, subtractInto } from './words.js';

/**
 * Something block-sized pieces of words can be added to or taken from, mod 2^32: a WordVector (SIMD,
 * shared memory; the server's one long-lived sum) or plain words (a client's short-lived masked copy,
 * where a fresh WebAssembly memory per session would cost more than the faster adds save).
 */
export interface WordTarget {
  readonly length: number;
  add(src: Uint32Array, offset: number): void;
  subtract(src: Uint32Array, offset: number): void;
}

/** A WordTarget over an ordinary Uint32Array, with the scalar loops. */
export class PlainWords implements WordTarget {
  constructor(readonly words: Uint32Array) {}

  get length(): number {
    return this.words.length;
  }

  add(src: Uint32Array, offset: number): void {
    addInto(this.words, src, offset);
  }

  subtract(src: Uint32Array, offset: number): void {
    subtractInto(this.words, src, offset);
  }
}
