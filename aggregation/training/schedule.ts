import { z } from 'zod';
import type { RandomSource } from '../crypto/random-source.js';

/**
 * How much a member trains in a round: `epochs` full passes over its data, or exactly `steps`
 * minibatches whatever its size — the local-steps schedule of FedOpt (Reddi et al. 2021) and of
 * FLamby's benchmarks, under which a 30-row hospital takes as many optimizer steps as a 200-row one.
 * Exactly one of the two is nonzero.
 */
export interface LocalSchedule {
  readonly epochs: number;
  readonly steps: number;
}

/** Throws a RangeError naming the field unless exactly one of epochs and steps is a positive integer. */
export function checkSchedule(schedule: {
  readonly epochs: number;
  readonly steps?: number | undefined;
}): void {
  const steps = schedule.steps ?? 0;
  for (const [name, value] of [
    ['epochs', schedule.epochs],
    ['steps', steps],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`${name}: expected a non-negative integer, got ${value}`);
  }
  if ((schedule.epochs === 0) === (steps === 0))
    throw new RangeError(
      `epochs, steps: expected exactly one to be nonzero, got epochs ${schedule.epochs} and steps ${steps}`,
    );
}

/**
 * The row orders of one round's training, one array per pass that a trainer feeds as a unit (one
 * `fit` call in TF.js). By epochs: one fresh permutation per epoch, the last batch of each possibly
 * short, as Keras does. By steps: the rows of `steps` full batches taken from back-to-back
 * permutations, so a batch may straddle two walks through the data; they are yielded a dataset's worth
 * of whole batches at a time, so memory stays proportional to the data however many steps are asked.
 */
export function* trainingPasses(
  rows: number,
  schedule: { readonly epochs: number; readonly steps?: number | undefined },
  batchSize: number,
  random: RandomSource,
): Generator<Uint32Array> {
  checkSchedule(schedule);
  if (schedule.epochs > 0) {
    for (let epoch = 0; epoch < schedule.epochs; epoch++) yield permutation(rows, random);
    return;
  }
  const batchesPerPass = Math.max(1, Math.floor(rows / batchSize));
  let walk = permutation(rows, random);
  let at = 0;
  for (let left = schedule.steps ?? 0; left > 0;) {
    const batches = Math.min(left, batchesPerPass);
    const order = new Uint32Array(batches * batchSize);
    for (let i = 0; i < order.length; i++) {
      if (at === rows) {
        walk = permutation(rows, random);
        at = 0;
      }
      order[i] = walk[at++]!;
    }
    left -= batches;
    yield order;
  }
}

/**
 * The `epochs`/`steps` pair as configuration files write it: either one, not both; neither means one
 * epoch. Parsed into a LocalSchedule (the unused one 0), as the wire format carries it.
 */
export function withLocalSchedule<T extends { epochs?: number | undefined; steps?: number | undefined }>(
  schema: z.ZodType<T, z.ZodTypeDef, unknown>,
): z.ZodType<Omit<T, 'epochs' | 'steps'> & LocalSchedule, z.ZodTypeDef, unknown> {
  return schema
    .superRefine((training, ctx) => {
      if (training.epochs !== undefined && training.steps !== undefined)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['steps'],
          message: 'expected either epochs or steps, not both',
        });
    })
    .transform(({ epochs, steps, ...rest }) => ({
      ...rest,
      epochs: steps === undefined ? (epochs ?? 1) : 0,
      steps: steps ?? 0,
    }));
}

/** Fisher–Yates with rejection sampling, so every ordering is equally likely and replayable. */
export function permutation(n: number, random: RandomSource): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  // Bytes are drawn in blocks (one cipher call each) and read little-endian so every machine agrees.
  const block = new Uint8Array(4096);
  const view = new DataView(block.buffer);
  let used = block.length;
  const next = (): number => {
    if (used === block.length) {
      random.fill(block);
      used = 0;
    }
    used += 4;
    return view.getUint32(used - 4, true);
  };
  for (let i = n - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = Math.floor(2 ** 32 / bound) * bound;
    let draw = next();
    while (draw >= limit) draw = next();
    const j = draw % bound;
    const held = order[i]!;
    order[i] = order[j]!;
    order[j] = held;
  }
  return order;
}

/** The inverse of withLocalSchedule's parse: a parsed section as a configuration file would write it. */
export function scheduleAsWritten<T extends LocalSchedule>(
  training: T,
): Omit<T, 'epochs' | 'steps'> & ({ epochs: number } | { steps: number }) {
  const { epochs, steps, ...rest } = training;
  return steps > 0 ? { ...rest, steps } : { ...rest, epochs };
}
