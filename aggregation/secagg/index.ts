export { SecAggClient } from './client/client.js';
export type { ClientConfig } from './client/config.js';
export type { ClientPhase } from './client/state.js';
export { NeighbourGraph, type ClientId } from './graph.js';
export { GRAPH_ATTEMPTS, GRAPH_NONCE_BYTES, opensCommitment } from './graph-commitment.js';
export type * from './messages.js';
export {
  deriveParameters,
  validateParameters,
  type SecAggParameters,
  type ThreatModel,
} from './parameters.js';
export {
  privacyFailure,
  roundParameters,
  type PinnedThreatModel,
  type RoundParameters,
} from './pinned-parameters.js';
export {
  AbortReason,
  CulpritReason,
  DropReason,
  type CulpritRecord,
  LocalProtocolError,
  RemoteProtocolError,
  SecAggAbortedError,
} from './reasons.js';
export type { ServerConfig } from './server/config.js';
export type { DropRecord, ServerPhase } from './server/context.js';
export { removeMasks, SecAggServer, type MaskRemover, type SecAggResult } from './server/server.js';
export {
  runLocalRound,
  type DropPoint,
  type LocalRoundOptions,
  type LocalRoundReport,
  type ScriptedDrop,
} from './local-round.js';
export { applyMask, type SignedSeed } from './masks.js';
