export { sha256Hex } from './atomic-file.js';
export {
  CheckpointError,
  CheckpointStore,
  type ChainReport,
  type Checkpoint,
  type CheckpointEntry,
  type CheckpointErrorCode,
  type CheckpointManifest,
  type LatestCheckpoint,
  type SkippedCheckpoint,
} from './checkpoint-store.js';
