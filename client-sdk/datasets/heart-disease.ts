import { join } from 'node:path';
import {
  DatasetFileError,
  parseDecimal,
  readCsvLines,
  selectRows,
  standardize,
  type TabularSplit,
} from './tabular.js';
import { trainTestSplit } from './scikit-learn-split.js';

/** Centres 0–3 in FLamby's order, so a site's index is its FLamby centre id. */
export const HEART_DISEASE_SITES = ['cleveland', 'hungarian', 'switzerland', 'va'] as const;
export type HeartDiseaseSite = (typeof HEART_DISEASE_SITES)[number];

/** The raw file's 14 columns, in order. */
const COLUMNS = [
  'age',
  'sex',
  'cp',
  'trestbps',
  'chol',
  'fbs',
  'restecg',
  'thalach',
  'exang',
  'oldpeak',
  'slope',
  'ca',
  'thal',
  'num',
] as const;
type Column = (typeof COLUMNS)[number];

/** Mostly missing outside Cleveland; FLamby drops them rather than lose most of three hospitals. */
const DROPPED: ReadonlySet<Column> = new Set(['slope', 'ca', 'thal']);
const NUMERIC = ['age', 'sex', 'trestbps', 'chol', 'fbs', 'thalach', 'exang', 'oldpeak'] as const;

/**
 * The 13 model inputs: the numeric columns in file order, then the one-hot levels (as pandas'
 * `get_dummies(drop_first=True)` lays them out in FLamby), so weights line up with FLamby's.
 */
export const HEART_DISEASE_FEATURES: readonly string[] = [
  ...NUMERIC,
  'cp_2',
  'cp_3',
  'cp_4',
  'restecg_1',
  'restecg_2',
];

/**
 * FLamby's fixed split: every centre is split by scikit-learn with random_state 43, 66% of its rows for
 * training and `1 - 0.66` for test (as FLamby computes it: 0.33999999999999997, so the test set of n rows
 * is ceil(0.34n) rows). Reproducing it row for row is what makes FLamby's published accuracies a fair
 * comparison: with 16 Swiss and 45 Long Beach test rows, another split of the same sizes moves the mean
 * over hospitals by several points.
 */
export const HEART_DISEASE_RANDOM_STATE = 43;
export const HEART_DISEASE_TRAIN_FRACTION = 0.66;

const ALLOWED: Partial<Record<Column, readonly number[]>> = {
  sex: [0, 1],
  cp: [1, 2, 3, 4],
  fbs: [0, 1],
  restecg: [0, 1, 2],
  exang: [0, 1],
  num: [0, 1, 2, 3, 4],
};

export interface HeartDiseaseRows extends TabularSplit {
  /** The 1-based file line of each kept row, so a split can be traced back to patients. */
  readonly lines: readonly number[];
}

/**
 * One centre's file after FLamby's cleaning, unsplit and unstandardised (pooled baselines start here):
 * `?` is missing, slope/ca/thal are dropped, rows still missing a value are dropped, label = num > 0.
 */
export function readHeartDisease(dataDir: string, site: HeartDiseaseSite): HeartDiseaseRows {
  if (!HEART_DISEASE_SITES.includes(site))
    throw new RangeError(`site: unknown heart-disease centre '${site}'`);
  const path = join(dataDir, 'heart-disease', `processed.${site}.data`);
  const features = HEART_DISEASE_FEATURES.length;
  const x: number[] = [];
  const y: number[] = [];
  const lines: number[] = [];
  for (const { line, fields } of readCsvLines(path)) {
    if (fields.length !== COLUMNS.length) {
      throw new DatasetFileError(path, line, `expected ${COLUMNS.length} fields, found ${fields.length}`);
    }
    const row = new Map<Column, number>();
    let missing = false;
    COLUMNS.forEach((column, i) => {
      const field = fields[i]!;
      if (field === '?') {
        if (!DROPPED.has(column)) missing = true;
        return;
      }
      const value = parseDecimal(field, path, line, column);
      const allowed = ALLOWED[column];
      if (allowed !== undefined && !allowed.includes(value)) {
        throw new DatasetFileError(path, line, `${column}: ${field} is not one of ${allowed.join(', ')}`);
      }
      row.set(column, value);
    });
    if (missing) continue;
    const at = (column: Column): number => row.get(column)!;
    x.push(...NUMERIC.map(at));
    x.push(...[2, 3, 4].map((level) => (at('cp') === level ? 1 : 0)));
    x.push(...[1, 2].map((level) => (at('restecg') === level ? 1 : 0)));
    y.push(at('num') > 0 ? 1 : 0);
    lines.push(line);
  }
  if (y.length === 0) throw new DatasetFileError(path, undefined, 'no complete rows');
  return { x: Float32Array.from(x), y: Float32Array.from(y), rows: y.length, features, lines };
}

/**
 * FLamby's rule for whether a Fed-Heart-Disease centre's split is stratified: exactly two classes and
 * more than 2 rows in each. (Switzerland, with a single negative row, is split unstratified.)
 */
export function flambyStratify(labels: ArrayLike<number>): boolean {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  return counts.size === 2 && [...counts.values()].every((count) => count > 2);
}

export interface HeartDiseaseOptions {
  /** scikit-learn's random_state for the split; FLamby's 43 by default. */
  readonly seed?: number | undefined;
  /** The rest of each centre's rows (rounded up) is its test set. */
  readonly trainFraction?: number | undefined;
}

export interface HeartDiseaseSiteData {
  readonly train: TabularSplit;
  readonly test: TabularSplit;
  readonly featureNames: string[];
  readonly site: HeartDiseaseSite;
  /** File lines of the rows in each split, in the same order as their rows. */
  readonly lines: { readonly train: readonly number[]; readonly test: readonly number[] };
}

/**
 * One hospital's view in the Fed-Heart-Disease benchmark: FLamby's train/test split (stratified by label
 * where both labels have more than two rows, as FLamby does; Switzerland has one healthy patient), both standardised with this centre's own training statistics, since in a federation no
 * centre may see another's data, not even its mean.
 */
export function loadHeartDisease(
  dataDir: string,
  site: HeartDiseaseSite,
  options: HeartDiseaseOptions = {},
): HeartDiseaseSiteData {
  const all = readHeartDisease(dataDir, site);
  const trainFraction = options.trainFraction ?? HEART_DISEASE_TRAIN_FRACTION;
  const split = trainTestSplit(all.y, {
    trainFraction,
    testFraction: 1 - trainFraction,
    randomState: options.seed ?? HEART_DISEASE_RANDOM_STATE,
    stratify: flambyStratify(all.y),
  });
  const { train, test } = standardize(selectRows(all, split.train), selectRows(all, split.test));
  return {
    train,
    test,
    featureNames: [...HEART_DISEASE_FEATURES],
    site,
    lines: { train: split.train.map((i) => all.lines[i]!), test: split.test.map((i) => all.lines[i]!) },
  };
}
