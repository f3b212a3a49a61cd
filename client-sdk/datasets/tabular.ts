import { readFileSync } from 'node:fs';
import { seededRandom, seedFromNumber, type RandomSource } from '../../aggregation/crypto/random-source.js';

/**
 * One table of examples as the trainers consume it: flat typed arrays rather than row objects, so a
 * batch is a `subarray` and nothing is copied on the way to TensorFlow.js. `x` is row-major
 * (`rows × features`); `y` holds 0 or 1.
 */
export interface TabularSplit {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
  readonly features: number;
}

/** A problem in a data file; `line` is 1-based and absent when the whole file is at fault. */
export class DatasetFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${detail}`, options);
    this.name = 'DatasetFileError';
  }
}

export interface CsvLine {
  readonly line: number;
  readonly fields: readonly string[];
}

/**
 * The non-blank lines of a headerless comma-separated file. A missing file gets a message saying how
 * to obtain it, since that is the first thing a new member will run into.
 */
export function readCsvLines(path: string): CsvLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      code === 'ENOENT'
        ? 'file not found; fetch it with downloadDataset() or point --data-dir / COHORT_DATA_DIR at a mirror'
        : `cannot read (${String(error)})`;
    throw new DatasetFileError(path, undefined, detail, { cause: error });
  }
  const lines: CsvLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() !== '') lines.push({ line: i + 1, fields: raw.split(',').map((f) => f.trim()) });
  });
  return lines;
}

// Stricter than Number(): '', ' ', '0x1f' and 'Infinity' are malformed here, not numbers.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseDecimal(value: string, file: string, line: number, column: string): number {
  if (!DECIMAL.test(value)) throw new DatasetFileError(file, line, `${column}: not a number: '${value}'`);
  return Number(value);
}

function randomBelow(source: RandomSource, bound: number): number {
  // Rejection sampling: taking a uint32 modulo `bound` would favour the low values.
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  const word = new Uint8Array(4);
  for (;;) {
    source.fill(word);
    const value = new DataView(word.buffer).getUint32(0, true);
    if (value < limit) return value % bound;
  }
}

const SPLIT_TAG = new TextEncoder().encode('cohort/split');

/**
 * Simulations derive many streams from one small integer; tagging the unused seed bytes keeps the split's
 * stream from being the very stream a SecAgg client or a noise sampler draws from the same number.
 */
function splitSeed(seed: number): Uint8Array {
  const bytes = seedFromNumber(seed);
  bytes.set(SPLIT_TAG, 32 - SPLIT_TAG.length);
  return bytes;
}

/**
 * A stratified split of row indices. The test set has `round(rows × testFraction)` rows, shared
 * between the classes by largest remainder, so each class's test count is within one row of its exact
 * share; within a class the rows are drawn by a seeded Fisher–Yates shuffle. Both index lists come back
 * in ascending (file) order: a split is a set, and trainers shuffle per epoch anyway.
 */
export function stratifiedSplit(
  y: Float32Array,
  testFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction: ${testFraction} ∉ (0, 1)`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed: ${seed} is not a finite number`);
  const byClass: [number[], number[]] = [[], []];
  y.forEach((label, i) => {
    if (label !== 0 && label !== 1) throw new RangeError(`y[${i}] = ${label}: labels must be 0 or 1`);
    byClass[label].push(i);
  });
  const testRows = Math.round(y.length * testFraction);
  if (testRows < 1 || testRows >= y.length) {
    throw new RangeError(
      `testFraction ${testFraction} of ${y.length} rows leaves an empty train or test set`,
    );
  }
  const quota = byClass.map((rows) => (testRows * rows.length) / y.length);
  const take = quota.map(Math.floor);
  let missing = testRows - take[0]! - take[1]!;
  // Largest fractional part first; class 0 wins a tie so the rule is deterministic.
  for (const c of [0, 1].sort((a, b) => quota[b]! - take[b]! - (quota[a]! - take[a]!))) {
    if (missing > 0) {
      take[c]! += 1;
      missing -= 1;
    }
  }
  const random = seededRandom(splitSeed(seed));
  const train: number[] = [];
  const test: number[] = [];
  byClass.forEach((rows, c) => {
    const shuffled = rows.slice();
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = randomBelow(random, i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    test.push(...shuffled.slice(0, take[c]));
    train.push(...shuffled.slice(take[c]));
  });
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

export function selectRows(data: TabularSplit, rows: readonly number[]): TabularSplit {
  const { features } = data;
  const x = new Float32Array(rows.length * features);
  const y = new Float32Array(rows.length);
  rows.forEach((row, i) => {
    if (!(row >= 0 && row < data.rows)) throw new RangeError(`row ${row} ∉ [0, ${data.rows})`);
    x.set(data.x.subarray(row * features, (row + 1) * features), i * features);
    y[i] = data.y[row]!;
  });
  return { x, y, rows: rows.length, features };
}

/** Per-column statistics fitted on a training set, to be applied unchanged to its test set. */
export interface Standardizer {
  readonly mean: Float64Array;
  /** The divisor: the population std, or 1 for a column that is constant in the training set. */
  readonly scale: Float64Array;
}

/**
 * Mean and population standard deviation (divide by n, as scikit-learn's StandardScaler), computed in
 * float64. A column constant in the training set has no spread to normalise by: its scale is 1, so
 * it becomes exactly 0 after centring in training (carrying nothing the model could fit) and test values
 * stay finite offsets from the training value instead of being blown up by a tiny divisor.
 */
export function fitStandardizer(train: TabularSplit): Standardizer {
  const { rows, features, x } = train;
  if (rows === 0) throw new RangeError('cannot standardise with an empty training set');
  const mean = new Float64Array(features);
  const scale = new Float64Array(features);
  for (let f = 0; f < features; f++) {
    const first = x[f]!;
    let sum = 0;
    let constant = true;
    for (let r = 0; r < rows; r++) {
      const v = x[r * features + f]!;
      sum += v;
      if (v !== first) constant = false;
    }
    if (constant) {
      // Exactly the shared value: summing and dividing could leave a rounding residue instead of 0.
      mean[f] = first;
      scale[f] = 1;
      continue;
    }
    const m = sum / rows;
    let squares = 0;
    for (let r = 0; r < rows; r++) squares += (x[r * features + f]! - m) ** 2;
    mean[f] = m;
    scale[f] = Math.sqrt(squares / rows);
  }
  return { mean, scale };
}

export function applyStandardizer(data: TabularSplit, stats: Standardizer): TabularSplit {
  const { rows, features } = data;
  if (stats.mean.length !== features) {
    throw new RangeError(`standardizer has ${stats.mean.length} columns, data has ${features}`);
  }
  const x = new Float32Array(data.x.length);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const i = r * features + f;
      x[i] = (data.x[i]! - stats.mean[f]!) / stats.scale[f]!;
    }
  }
  return { x, y: data.y.slice(), rows, features };
}

/** Fits on `train` only, so nothing about the test rows leaks into the features the model sees. */
export function standardize(
  train: TabularSplit,
  test: TabularSplit,
): { train: TabularSplit; test: TabularSplit; stats: Standardizer } {
  const stats = fitStandardizer(train);
  return { train: applyStandardizer(train, stats), test: applyStandardizer(test, stats), stats };
}

/** The rows of every part, in order, as one split (a pooled view of several sites' data). */
export function concatenateRows(splits: readonly TabularSplit[]): TabularSplit {
  const rows = splits.reduce((n, s) => n + s.rows, 0);
  const features = splits[0]!.features;
  const x = new Float32Array(rows * features);
  const y = new Float32Array(rows);
  let at = 0;
  for (const s of splits) {
    x.set(s.x, at * features);
    y.set(s.y, at);
    at += s.rows;
  }
  return { x, y, rows, features };
}
