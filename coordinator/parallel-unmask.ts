import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { MaskPrg } from '../aggregation/crypto/mask-prg.js';
import { applyMask, type MaskRemover, type SignedSeed } from '../aggregation/secagg/index.js';
import { MAX_THREADS_PER_VECTOR, type WordVector } from '../aggregation/vector/word-vector.js';

/**
 * Removes masks on several cores. Every mask stream is seekable, so each thread expands every mask
 * over its own disjoint range of the sum — no thread waits on another and the words are the same as
 * one pass. The calling thread does the first range and then blocks (Atomics.wait) until the workers
 * flag theirs done, so `remove` stays synchronous for the sans-IO server. The sum is a WordVector in
 * shared WebAssembly memory, which each worker opens through its own scratch block.
 *
 * On this project's 2-vCPU machines the gain is small (bench:secagg --threads): keystream expansion
 * scales poorly across the two vCPUs; it is here for coordinators with more cores.
 */
export class ParallelMaskRemover {
  private constructor(private readonly workers: Worker[]) {}

  /** Starts `threads - 1` workers (default: one per core, at most 4) and waits until they are ready. */
  static async start(
    threads = Math.min(availableParallelism(), MAX_THREADS_PER_VECTOR),
  ): Promise<ParallelMaskRemover> {
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS_PER_VECTOR) {
      throw new RangeError(`threads must be 1 to ${MAX_THREADS_PER_VECTOR}, got ${threads}`);
    }
    const url = new URL('./unmask-worker.js', import.meta.url);
    const workers = Array.from({ length: threads - 1 }, () => new Worker(url));
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))));
    return new ParallelMaskRemover(workers);
  }

  readonly remove: MaskRemover = (sum, plan, prg) => {
    const parts = this.workers.length + 1;
    const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.floor((sum.length * i) / parts));
    const seeds = new Uint8Array(plan.length * 32);
    const signs = new Int8Array(plan.length);
    plan.forEach((mask, i) => {
      seeds.set(mask.seed, i * 32);
      signs[i] = mask.sign;
    });
    const done = new Int32Array(new SharedArrayBuffer(4 * this.workers.length));
    this.workers.forEach((worker, i) => {
      worker.postMessage({
        memory: sum.memory,
        length: sum.length,
        thread: i + 1,
        seeds,
        signs,
        prg: prg.id,
        start: bounds[i + 1],
        end: bounds[i + 2],
        done,
        slot: i,
      });
    });
    applyRange(sum, plan, prg, bounds[0]!, bounds[1]!);
    for (let i = 0; i < this.workers.length; i++) {
      while (Atomics.load(done, i) === 0) Atomics.wait(done, i, 0);
      if (Atomics.load(done, i) !== 1) throw new Error(`mask worker ${i} failed`);
    }
  };

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export function applyRange(
  sum: WordVector,
  plan: readonly SignedSeed[],
  prg: MaskPrg,
  start: number,
  end: number,
): void {
  for (const mask of plan) applyMask(sum, start, end, mask, prg);
}
