import { parentPort } from 'node:worker_threads';
import { maskPrgById, type MaskPrgId } from '../aggregation/crypto/mask-prg.js';
import type { SignedSeed } from '../aggregation/secagg/index.js';
import { WordVector } from '../aggregation/vector/word-vector.js';
import { applyRange } from './parallel-unmask.js';

interface RangeJob {
  readonly memory: WebAssembly.Memory;
  readonly length: number;
  readonly thread: number;
  readonly seeds: Uint8Array;
  readonly signs: Int8Array;
  readonly prg: MaskPrgId;
  readonly start: number;
  readonly end: number;
  readonly done: Int32Array;
  readonly slot: number;
}

/** One range of a parallel unmask: 1 in `done[slot]` when finished, 2 when it failed. */
parentPort?.on('message', (job: RangeJob) => {
  let status = 1;
  try {
    const plan: SignedSeed[] = Array.from(job.signs, (sign, i) => ({
      seed: job.seeds.subarray(i * 32, i * 32 + 32),
      sign: sign === 1 ? 1 : -1,
    }));
    applyRange(
      WordVector.over(job.memory, job.length, job.thread),
      plan,
      maskPrgById(job.prg),
      job.start,
      job.end,
    );
  } catch {
    status = 2;
  } finally {
    Atomics.store(job.done, job.slot, status);
    Atomics.notify(job.done, job.slot);
  }
});
