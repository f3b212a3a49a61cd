export { resolveDataDir } from './data-dir.js';
export {
  DATASET_NAMES,
  DATASETS,
  UCI_BASE_URL,
  isDatasetName,
  type DatasetFile,
  type DatasetName,
} from './catalog.js';
export {
  DatasetFileError,
  applyStandardizer,
  concatenateRows,
  fitStandardizer,
  selectRows,
  standardize,
  stratifiedSplit,
  type Standardizer,
  type TabularSplit,
} from './tabular.js';
export {
  HEART_DISEASE_FEATURES,
  HEART_DISEASE_RANDOM_STATE,
  HEART_DISEASE_SITES,
  HEART_DISEASE_TRAIN_FRACTION,
  flambyStratify,
  loadHeartDisease,
  readHeartDisease,
  type HeartDiseaseOptions,
  type HeartDiseaseRows,
  type HeartDiseaseSite,
  type HeartDiseaseSiteData,
} from './heart-disease.js';
export { trainTestSplit, type TrainTestSplitOptions } from './scikit-learn-split.js';
export { BREAST_CANCER_FEATURES, loadBreastCancer, type BreastCancerData } from './breast-cancer.js';
export {
  ChecksumMismatchError,
  DownloadHttpError,
  downloadDataset,
  verifyDataset,
  type DownloadOptions,
  type DownloadResult,
} from './download.js';
