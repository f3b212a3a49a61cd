import { InvalidArgumentError } from '../errors.js';
import { assertAllFinite } from '../vector/clip.js';

/**
 * Server optimizers of Reddi et al. 2021, "Adaptive Federated Optimization": the coordinator treats the
 * example-weighted average client update Δ = (client weights − global weights) as a pseudo-gradient
 * (pointing downhill) and feeds it to a first-order optimizer on the server.
 */
export type ServerOptimizerKind = 'fedavg' | 'fedadam' | 'fedyogi';

export interface FedAvgConfig {
  readonly kind: 'fedavg';
  /** η; 1 (the default) is plain FedAvg, the global model becomes the average client model. */
  readonly learningRate?: number;
}

/**
 * The learning rate has no default: the paper tunes it over a grid per task (10^-3 to 1), and a wrong
 * default would train badly without any error. β1, β2 and τ default to the paper's 0.9, 0.99 and 10^-3.
 */
export interface AdaptiveConfig {
  readonly kind: 'fedadam' | 'fedyogi';
  readonly learningRate: number;
  readonly beta1?: number;
  readonly beta2?: number;
  /** Adaptivity τ: bounds the step by η·|m|/τ and is the initial √v. */
  readonly tau?: number;
}

export type ServerOptimizerConfig = FedAvgConfig | AdaptiveConfig;

/**
 * Everything needed to resume: a coordinator that restarts from a checkpoint must continue with the
 * same moments or the first adaptive step after a restart would differ from an uninterrupted run.
 * Plain data (see `encodeServerOptimizerState` for bytes). Hyper-parameters are not part of it: they
 * come from the configuration, which an operator may change between runs.
 */
export interface ServerOptimizerState {
  readonly kind: ServerOptimizerKind;
  /** Steps applied so far (rounds that changed the model). */
  readonly steps: number;
  /** First moment m; null for FedAvg, which keeps none. */
  readonly m: Float32Array | null;
  /** Second moment v; null for FedAvg. */
  readonly v: Float32Array | null;
}

export interface ServerOptimizer {
  readonly kind: ServerOptimizerKind;
  /**
   * Returns new global weights from the current ones and the averaged client update, and advances the
   * moments. Inputs are not modified. Atomic: when it throws, the optimizer state is unchanged.
   */
  step(weights: Float32Array, averagedDelta: Float32Array): Float32Array;
  /** A copy: later steps do not change a state already handed out. */
  state(): ServerOptimizerState;
}

export function checkPositive(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(field, `must be a finite number > 0, got ${value}`);
  }
  return value;
}

export function checkDimension(dimension: number): number {
  if (!Number.isSafeInteger(dimension) || dimension < 1) {
    throw new InvalidArgumentError('dimension', `must be a positive integer, got ${dimension}`);
  }
  return dimension;
}

/** The checks every `step` does before touching anything, so a bad round cannot poison the model. */
export function checkStepInputs(weights: Float32Array, averagedDelta: Float32Array, dimension: number): void {
  if (weights.length !== dimension) {
    throw new InvalidArgumentError(
      'weights',
      `length ${weights.length} does not match dimension ${dimension}`,
    );
  }
  if (averagedDelta.length !== dimension) {
    throw new InvalidArgumentError(
      'averagedDelta',
      `length ${averagedDelta.length} does not match dimension ${dimension}`,
    );
  }
  assertAllFinite(weights, 'weights');
  assertAllFinite(averagedDelta, 'averagedDelta');
}

/** Validates a state handed back for resumption against the optimizer it is meant for. */
export function checkState(
  state: ServerOptimizerState,
  kind: ServerOptimizerKind,
  dimension: number,
): { steps: number; m: Float32Array | null; v: Float32Array | null } {
  if (state.kind !== kind) {
    throw new InvalidArgumentError('state.kind', `is '${state.kind}' but the optimizer is '${kind}'`);
  }
  if (!Number.isSafeInteger(state.steps) || state.steps < 0) {
    throw new InvalidArgumentError('state.steps', `must be a non-negative integer, got ${state.steps}`);
  }
  const moments = kind !== 'fedavg';
  for (const [field, moment] of [
    ['state.m', state.m],
    ['state.v', state.v],
  ] as const) {
    if (!moments) {
      if (moment !== null) throw new InvalidArgumentError(field, 'must be null for fedavg');
      continue;
    }
    if (moment === null) throw new InvalidArgumentError(field, `is required for ${kind}`);
    if (moment.length !== dimension) {
      throw new InvalidArgumentError(field, `length ${moment.length} does not match dimension ${dimension}`);
    }
    assertAllFinite(moment, field);
  }
  if (state.v !== null) {
    // √v of a negative number is NaN; neither update rule can produce one from v ≥ 0.
    for (let i = 0; i < state.v.length; i++) {
      if ((state.v[i] as number) < 0) throw new InvalidArgumentError('state.v', `element ${i} is negative`);
    }
  }
  return {
    steps: state.steps,
    m: state.m === null ? null : Float32Array.from(state.m),
    v: state.v === null ? null : Float32Array.from(state.v),
  };
}

const MAGIC = 0x314f5343; // 'CSO1' little-endian: Cohort Server Optimizer, format 1
const KINDS: readonly ServerOptimizerKind[] = ['fedavg', 'fedadam', 'fedyogi'];
const HEADER_BYTES = 16;

/**
 * A self-describing little-endian blob for the checkpoint manifest: magic u32 | kind u8 | has-moments u8 |
 * 2 reserved | steps u32 | dimension u32 | m f32[d] | v f32[d]. Little-endian whatever the host, so a
 * checkpoint moves between machines.
 */
export function encodeServerOptimizerState(state: ServerOptimizerState): Uint8Array {
  const kindCode = KINDS.indexOf(state.kind);
  if (kindCode < 0) throw new InvalidArgumentError('state.kind', `unknown kind '${String(state.kind)}'`);
  const d = state.m?.length ?? 0;
  if ((state.v?.length ?? 0) !== d || (state.m === null) !== (state.v === null)) {
    throw new InvalidArgumentError('state.v', 'must be null exactly when m is, and have the length of m');
  }
  if (!Number.isInteger(state.steps) || state.steps < 0 || state.steps > 0xffffffff) {
    throw new InvalidArgumentError('state.steps', `must be an integer in [0, 2^32), got ${state.steps}`);
  }
  const bytes = new Uint8Array(HEADER_BYTES + 8 * d);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint8(4, kindCode);
  view.setUint8(5, state.m === null ? 0 : 1);
  view.setUint32(8, state.steps, true);
  view.setUint32(12, d, true);
  for (let i = 0; i < d; i++) {
    view.setFloat32(HEADER_BYTES + 4 * i, state.m?.[i] as number, true);
    view.setFloat32(HEADER_BYTES + 4 * (d + i), state.v?.[i] as number, true);
  }
  return bytes;
}

export function decodeServerOptimizerState(bytes: Uint8Array): ServerOptimizerState {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER_BYTES || view.getUint32(0, true) !== MAGIC) {
    throw new InvalidArgumentError('optimizerState', 'is not a server optimizer state (bad magic)');
  }
  const kind = KINDS[view.getUint8(4)];
  if (kind === undefined)
    throw new InvalidArgumentError('optimizerState', `unknown kind ${view.getUint8(4)}`);
  const hasMoments = view.getUint8(5) === 1;
  const d = view.getUint32(12, true);
  const expected = HEADER_BYTES + (hasMoments ? 8 * d : 0);
  if (bytes.length !== expected) {
    throw new InvalidArgumentError('optimizerState', `is ${bytes.length} bytes, expected ${expected}`);
  }
  if (!hasMoments) return { kind, steps: view.getUint32(8, true), m: null, v: null };
  const m = new Float32Array(d);
  const v = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    m[i] = view.getFloat32(HEADER_BYTES + 4 * i, true);
    v[i] = view.getFloat32(HEADER_BYTES + 4 * (d + i), true);
  }
  return { kind, steps: view.getUint32(8, true), m, v };
}
