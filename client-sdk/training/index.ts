export {
  loadTensorFlow,
  type BackendName,
  type BackendPreference,
  type LoadedTensorFlow,
  type LoadOptions,
  type TF,
} from './backend.js';
export {
  assignWeights,
  buildModel,
  buildModelFromSpec,
  flattenWeights,
  parameterCount,
  type DenseModelSpec,
  type ModelSpec,
} from './models.js';
export {
  evaluate,
  rankAuc,
  trainLocally,
  type Evaluation,
  type TrainingData,
  type TrainOptions,
  type TrainResult,
} from './train.js';
export {
  checkSchedule,
  permutation,
  trainingPasses,
  withLocalSchedule,
  type LocalSchedule,
} from '../../aggregation/training/schedule.js';
