import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { MaskPrg } from '../aggregation/crypto/mask-prg.js';
import { applyMask, type MaskRemover, type SignedSeed } from '../aggregation/secagg/index.js';

/**
 * Removes masks on several cores. Every mask stream is seekable, so each thread expands every mask
 * over its own disjoint range of the sum — no thread waits on another and the words are the same as
 * one pass. The calling thread does the first range and then blocks (Atomics.wait) until the workers
 * flag theirs done, so `remove` stays synchronous for the sans-IO server. The sum must live in a
 * SharedArrayBuffer (the server allocates it so).
 */
export class ParallelMaskRemover {
  private constructor(private readonly workers: Worker[]) {}

  /** Starts `threads - 1` workers (default: one per core) and waits until they are ready. */
  static async start(threads = availableParallelism()): Promise<ParallelMaskRemover> {
    const url = new URL('./unmask-worker.js', import.meta.url);
    const workers = Array.from({ length: Math.max(0, threads - 1) }, () => new Worker(url));
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))));
    return new ParallelMaskRemover(workers);
  }

  readonly remove: MaskRemover = (sum, plan, prg) => {
    if (!(sum.buffer instanceof SharedArrayBuffer))
      throw new TypeError('the sum must be on a SharedArrayBuffer');
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
        sum,
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
  sum: Uint32Array,
  plan: readonly SignedSeed[],
  prg: MaskPrg,
  start: number,
  end: number,
): void {
  const range = sum.subarray(start, end);
  for (const mask of plan) applyMask(range, start, mask, prg);
}
