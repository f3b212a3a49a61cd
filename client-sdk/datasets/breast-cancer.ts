import { join } from 'node:path';
import { DatasetFileError, parseDecimal, readCsvLines, type TabularSplit } from './tabular.js';

const MEASUREMENTS = [
  'radius',
  'texture',
  'perimeter',
  'area',
  'smoothness',
  'compactness',
  'concavity',
  'concave_points',
  'symmetry',
  'fractal_dimension',
] as const;

/** File order (wdbc.names): the ten means, then the ten standard errors, then the ten "worst" values. */
export const BREAST_CANCER_FEATURES: readonly string[] = ['mean', 'se', 'worst'].flatMap((stat) =>
  MEASUREMENTS.map((m) => `${m}_${stat}`),
);

export interface BreastCancerData {
  readonly data: TabularSplit;
  readonly featureNames: string[];
}

/**
 * The whole single-centre table, label M (malignant) = 1, B = 0. Not standardised: scenarios first
 * deal the rows out to simulated hospitals, and each must standardise with its own training rows.
 */
export function loadBreastCancer(dataDir: string): BreastCancerData {
  const path = join(dataDir, 'breast-cancer-wisconsin', 'wdbc.data');
  const features = BREAST_CANCER_FEATURES.length;
  const x: number[] = [];
  const y: number[] = [];
  for (const { line, fields } of readCsvLines(path)) {
    if (fields.length !== features + 2) {
      throw new DatasetFileError(path, line, `expected ${features + 2} fields, found ${fields.length}`);
    }
    const diagnosis = fields[1];
    if (diagnosis !== 'M' && diagnosis !== 'B') {
      throw new DatasetFileError(path, line, `diagnosis: expected M or B, found '${diagnosis}'`);
    }
    y.push(diagnosis === 'M' ? 1 : 0);
    for (let f = 0; f < features; f++) {
      x.push(parseDecimal(fields[f + 2]!, path, line, BREAST_CANCER_FEATURES[f]!));
    }
  }
  if (y.length === 0) throw new DatasetFileError(path, undefined, 'no rows');
  return {
    data: { x: Float32Array.from(x), y: Float32Array.from(y), rows: y.length, features },
    featureNames: [...BREAST_CANCER_FEATURES],
  };
}
