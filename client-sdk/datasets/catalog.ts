/** The datasets Cohort can fetch; each name is also the key of its entry in `DATASETS`. */
export type DatasetName = 'heart-disease' | 'breast-cancer';

export const DATASET_NAMES: readonly DatasetName[] = ['heart-disease', 'breast-cancer'];

export interface DatasetFile {
  /** Folder under the data directory; the same as the UCI folder, so a mirror is a plain copy. */
  readonly folder: string;
  readonly file: string;
  /** Lower-case hex SHA-256 of the exact bytes, from the shared mirror's README. */
  readonly sha256: string;
  readonly url: string;
}

/** UCI's archive; `downloadDataset` accepts another base (a local mirror, a test server). */
export const UCI_BASE_URL = 'https://archive.ics.uci.edu/ml/machine-learning-databases/';

function entry(folder: string, file: string, sha256: string): DatasetFile {
  return { folder, file, sha256, url: `${UCI_BASE_URL}${folder}/${file}` };
}

/**
 * Pinned hashes make the UCI files part of the build's inputs: a silently revised upstream file would
 * otherwise change every published accuracy without any code change. The `.names` files carry the
 * licence and citation text, so they travel with the data.
 */
export const DATASETS: { readonly [name in DatasetName]: readonly DatasetFile[] } = {
  'heart-disease': [
    entry(
      'heart-disease',
      'processed.cleveland.data',
      'a74b7efa387bc9d108d7d0115d831fe9b414b29ae7124f331b622b4efa0427c8',
    ),
    entry(
      'heart-disease',
      'processed.hungarian.data',
      'd1ad108f785768cd3d7e82dc522e6f5a61eea93cccfb3a46ee8076f73fc3d796',
    ),
    entry(
      'heart-disease',
      'processed.switzerland.data',
      '834a405ccf5b66ab4056bb77794adc8df0b7125186454c0a1d002d33c6c3b314',
    ),
    entry(
      'heart-disease',
      'processed.va.data',
      'e7c93d8d0d2acdadfa4c5e8de768e2191e7f618b952e29623f1f0d5949ff6b8f',
    ),
    entry(
      'heart-disease',
      'heart-disease.names',
      'ec7ed5aa4ed8321097808f47b836301c2a0c36f3bb09c40b8b43b622363e6b61',
    ),
  ],
  'breast-cancer': [
    entry(
      'breast-cancer-wisconsin',
      'wdbc.data',
      'd606af411f3e5be8a317a5a8b652b425aaf0ff38ca683d5327ffff94c3695f4a',
    ),
    entry(
      'breast-cancer-wisconsin',
      'wdbc.names',
      '840e04e3f20f8a5b326892f3b9cbc01c4cd6f7e6c597630b701ef6c0ac79f5ef',
    ),
  ],
};

export function isDatasetName(value: string): value is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(value);
}
