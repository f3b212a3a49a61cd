import { simdKernelModule } from './simd-kernel.js';
import type { WordTarget } from './word-target.js';
import { addInto, subtractInto } from './words.js';

const PAGE_BYTES = 65_536;
const MAX_PAGES = 65_536;
/** Words copied in per kernel call: the size of one mask keystream block, so a block stays in L2. */
const SCRATCH_WORDS = 16_384;
const SCRATCH_BYTES = SCRATCH_WORDS * 4;
/** Threads that may work on one vector at once, each with its own scratch block. */
export const MAX_THREADS_PER_VECTOR = 4;
const DATA_START = SCRATCH_BYTES * MAX_THREADS_PER_VECTOR;

const kernelModule = new WebAssembly.Module(simdKernelModule(MAX_PAGES));

/** Exports of the kernel module: plain functions over byte addresses, not methods. */
interface Kernels {
  readonly add: (dst: number, src: number, words: number) => void;
  readonly sub: (dst: number, src: number, words: number) => void;
}

/**
 * A vector of uint32 words that lives in shared WebAssembly memory, behind scratch blocks, so whole
 * blocks can be added or subtracted mod 2^32 by the SIMD kernels. Keystream blocks come from
 * node:crypto in ordinary buffers; copying one into the scratch block and adding there is still about
 * three times faster than a JavaScript loop (bench/prg). The memory is a SharedArrayBuffer, so other
 * threads can work on disjoint ranges of the same vector (`WordVector.over`), each through its own
 * scratch block.
 */
export class WordVector implements WordTarget {
  /** The vector itself; reads and writes go straight to the shared memory. */
  readonly words: Uint32Array;
  private readonly scratch: Uint32Array;
  private readonly kernels: Kernels;

  private readonly scratchAddress: number;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly length: number,
    thread: number,
  ) {
    if (!Number.isInteger(thread) || thread < 0 || thread >= MAX_THREADS_PER_VECTOR) {
      throw new RangeError(`thread slot ${thread} outside 0..${MAX_THREADS_PER_VECTOR - 1}`);
    }
    this.words = new Uint32Array(memory.buffer, DATA_START, length);
    this.scratchAddress = thread * SCRATCH_BYTES;
    this.scratch = new Uint32Array(memory.buffer, this.scratchAddress, SCRATCH_WORDS);
    const instance = new WebAssembly.Instance(kernelModule, { env: { memory } });
    this.kernels = instance.exports as unknown as Kernels;
  }

  /** A zeroed vector of `length` words. */
  static zeros(length: number): WordVector {
    if (!Number.isSafeInteger(length) || length < 0 || DATA_START + length * 4 > MAX_PAGES * PAGE_BYTES) {
      throw new RangeError(
        `a word vector holds 0 to ${(MAX_PAGES * PAGE_BYTES - DATA_START) / 4} words, not ${length}`,
      );
    }
    const pages = Math.ceil((DATA_START + length * 4) / PAGE_BYTES);
    return new WordVector(
      new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }),
      length,
      0,
    );
  }

  /** The same vector for another thread, which adds through scratch block `thread` (1 to 3; 0 is the creator's). */
  static over(memory: WebAssembly.Memory, length: number, thread: number): WordVector {
    return new WordVector(memory, length, thread);
  }

  /** words[offset + i] += src[i] (mod 2^32). */
  add(src: Uint32Array, offset: number): void {
    this.combine(src, offset, this.kernels.add, addInto);
  }

  /** words[offset + i] -= src[i] (mod 2^32). */
  subtract(src: Uint32Array, offset: number): void {
    this.combine(src, offset, this.kernels.sub, subtractInto);
  }

  private combine(
    src: Uint32Array,
    offset: number,
    kernel: Kernels['add'],
    scalar: (dst: Uint32Array, src: Uint32Array, offset: number) => void,
  ): void {
    if (offset < 0 || offset + src.length > this.length) {
      throw new RangeError(`words ${offset}..${offset + src.length} outside ${this.length}`);
    }
    for (let at = 0; at < src.length; at += SCRATCH_WORDS) {
      const piece = src.subarray(at, at + SCRATCH_WORDS);
      const simdWords = piece.length & ~3;
      this.scratch.set(piece);
      kernel(DATA_START + (offset + at) * 4, this.scratchAddress, simdWords);
      if (simdWords < piece.length) scalar(this.words, piece.subarray(simdWords), offset + at + simdWords);
    }
  }
}
