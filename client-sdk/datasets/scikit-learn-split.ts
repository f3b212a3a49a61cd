import { LegacyNumpyRandom } from './legacy-numpy-random.js';

/**
 * scikit-learn's `train_test_split(..., shuffle=True)` with float train/test sizes and an integer
 * `random_state`, reproduced row for row. Published benchmarks (FLamby's Fed-Heart-Disease among them)
 * fix their test rows this way; Cohort compares against their numbers, so it must hold out the same
 * rows, not merely a split of the same size.
 *
 * Every random draw below mirrors one scikit-learn makes, in the same order: a draw skipped or added
 * anywhere shifts the MT19937 stream and changes every row chosen after it.
 */

export interface TrainTestSplitOptions {
  /** scikit-learn's float `train_size`, in (0, 1). */
  readonly trainFraction: number;
  /** scikit-learn's float `test_size`, in (0, 1); with trainFraction it may not exceed 1. */
  readonly testFraction: number;
  /** scikit-learn's integer `random_state`, in [0, 2^32 − 1]. */
  readonly randomState: number;
  /** Stratify on `labels` (scikit-learn's `stratify=labels`) or not (`stratify=None`). */
  readonly stratify: boolean;
}

/** Row indices into the labels, each list ascending. */
export interface TrainTestIndices {
  readonly train: number[];
  readonly test: number[];
}

export interface SplitSizes {
  readonly train: number;
  readonly test: number;
}

function checkFraction(field: string, value: number): void {
  if (!(value > 0 && value < 1)) throw new RangeError(`${field}: ${value} is not in (0, 1)`);
}

/**
 * The row counts scikit-learn derives from float sizes (its `_validate_shuffle_split`): the test set
 * rounds up and the training set rounds down, so with fractions summing to 1 no row is left out.
 */
export function splitSizes(rows: number, trainFraction: number, testFraction: number): SplitSizes {
  if (!Number.isSafeInteger(rows) || rows < 0) {
    throw new RangeError(`rows: ${rows} is not a non-negative integer`);
  }
  checkFraction('trainFraction', trainFraction);
  checkFraction('testFraction', testFraction);
  if (trainFraction + testFraction > 1) {
    throw new RangeError(
      `trainFraction + testFraction: ${trainFraction} + ${testFraction} = ${trainFraction + testFraction} exceeds 1`,
    );
  }
  const test = Math.ceil(testFraction * rows);
  const train = Math.floor(trainFraction * rows);
  if (train + test > rows) {
    throw new RangeError(
      `trainFraction, testFraction: ${train} training + ${test} test rows exceed the ${rows} rows`,
    );
  }
  if (train === 0 || test === 0) {
    throw new RangeError(
      `trainFraction, testFraction: ${trainFraction} / ${testFraction} of ${rows} rows leaves ` +
        `${train} training and ${test} test rows; neither may be empty`,
    );
  }
  return { train, test };
}

/**
 * How many of `draws` to take from each class so the counts stay proportional (scikit-learn's
 * `_approximate_mode`): every class gets the floor of its exact share, and the rows still missing go to
 * the largest fractional parts. Among classes whose fractional parts are equal, more than are needed,
 * the winners are drawn with `choice(..., replace=False)`; numpy draws that choice (a full permutation
 * of the tied classes) even when all of them win, and so must this, or the stream would drift.
 */
export function approximateMode(
  classCounts: readonly number[],
  draws: number,
  random: LegacyNumpyRandom,
): number[] {
  let total = 0;
  for (const count of classCounts) total += count;
  // Divide first, then multiply, in float64, as numpy evaluates `counts / counts.sum() * draws`: the
  // other order rounds differently and would decide some ties differently.
  const continuous = classCounts.map((count) => (count / total) * draws);
  const taken = continuous.map(Math.floor);
  let missing = draws;
  for (const t of taken) missing -= t;
  if (missing <= 0) return taken;
  const remainders = continuous.map((value, i) => value - taken[i]!);
  const descending = [...new Set(remainders)].sort((a, b) => b - a);
  for (const remainder of descending) {
    const tied: number[] = [];
    remainders.forEach((r, i) => {
      if (r === remainder) tied.push(i);
    });
    const addNow = Math.min(tied.length, missing);
    for (const pick of random.choiceWithoutReplacement(tied.length, addNow)) taken[tied[pick]!]! += 1;
    missing -= addNow;
    if (missing === 0) break;
  }
  return taken;
}

/** Row indices per class, classes in ascending label order, rows in file order within each class. */
function rowsByClass(labels: ArrayLike<number>): { classes: number[]; rows: number[][] } {
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!Number.isFinite(label)) throw new RangeError(`labels[${i}]: ${label} is not a finite number`);
    let rows = byLabel.get(label);
    if (rows === undefined) byLabel.set(label, (rows = []));
    rows.push(i);
  }
  const classes = [...byLabel.keys()].sort((a, b) => a - b);
  return { classes, rows: classes.map((label) => byLabel.get(label)!) };
}

function stratifiedIndices(
  labels: ArrayLike<number>,
  sizes: SplitSizes,
  random: LegacyNumpyRandom,
): TrainTestIndices {
  const { classes, rows } = rowsByClass(labels);
  const counts = rows.map((r) => r.length);
  const rare = classes.filter((_, c) => counts[c]! < 2);
  if (rare.length > 0) {
    throw new RangeError(
      `labels: class ${rare.join(', ')} has a single row; stratifying needs at least 2 per class`,
    );
  }
  if (sizes.train < classes.length || sizes.test < classes.length) {
    throw new RangeError(
      `trainFraction, testFraction: ${sizes.train} training / ${sizes.test} test rows cannot hold each of ` +
        `the ${classes.length} classes`,
    );
  }
  const trainPerClass = approximateMode(counts, sizes.train, random);
  const left = counts.map((count, c) => count - trainPerClass[c]!);
  const testPerClass = approximateMode(left, sizes.test, random);
  const train: number[] = [];
  const test: number[] = [];
  rows.forEach((classRows, c) => {
    const order = random.permutation(classRows.length);
    const trainEnd = trainPerClass[c]!;
    const testEnd = trainEnd + testPerClass[c]!;
    for (let k = 0; k < testEnd; k++) (k < trainEnd ? train : test).push(classRows[order[k]!]!);
  });
  return { train, test };
}

/**
 * The rows `train_test_split(range(n), train_size=trainFraction, test_size=testFraction,
 * random_state=randomState, shuffle=True, stratify=labels if stratify else None)` puts in each set:
 * ShuffleSplit (one permutation of all rows, test first) when not stratifying, StratifiedShuffleSplit
 * (per-class counts by approximate mode, then one permutation per class) when stratifying. Labels are
 * read only when stratifying; any finite numbers are classes.
 *
 * scikit-learn finally shuffles each list once more (`rng.permutation(train)`, then `test`). Those draws
 * come after every membership decision, so they only reorder; both lists are returned ascending instead,
 * because a split is a set, file order is what an auditor checks against, and the trainers shuffle per
 * epoch anyway. A caller needing scikit-learn's exact order would have to draw those two permutations.
 */
export function trainTestSplit(labels: ArrayLike<number>, options: TrainTestSplitOptions): TrainTestIndices {
  const { trainFraction, testFraction, randomState, stratify } = options;
  if (!Number.isInteger(randomState) || randomState < 0 || randomState > 0xffffffff) {
    throw new RangeError(`randomState: ${randomState} is not an integer in [0, 4294967295]`);
  }
  if (labels.length === 0) throw new RangeError('labels: no rows to split');
  const sizes = splitSizes(labels.length, trainFraction, testFraction);
  const random = new LegacyNumpyRandom(randomState);
  let split: TrainTestIndices;
  if (stratify) {
    split = stratifiedIndices(labels, sizes, random);
  } else {
    const order = random.permutation(labels.length);
    split = { test: order.slice(0, sizes.test), train: order.slice(sizes.test, sizes.test + sizes.train) };
  }
  return { train: split.train.sort((a, b) => a - b), test: split.test.sort((a, b) => a - b) };
}
