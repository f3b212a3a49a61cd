import { InvalidArgumentError } from '../../aggregation/errors.js';

/*
 * The manifest format (version 1) and its validation. A manifest is read back after crashes and possibly
 * after tampering, so every field is checked before it is trusted; a failure is a reason string the
 * store reports, not an exception, because one bad checkpoint must not stop a resume.
 */

/** One round's record; `models/<modelSha256>.bin` holds the model bytes it names. */
export interface CheckpointManifest {
  readonly version: 1;
  readonly round: number;
  readonly modelSha256: string;
  /** The previous checkpoint's modelSha256, null for the first: the manifests form a verifiable chain. */
  readonly parentSha256: string | null;
  readonly createdAt: string;
  readonly participants: number;
  readonly aggregation: Readonly<Record<string, unknown>>;
  readonly metrics: Readonly<Record<string, unknown>>;
  /** Base64 of the server optimizer's serialized state, when it keeps one. */
  readonly optimizerState?: string;
}

export interface CheckpointEntry {
  readonly round: number;
  readonly model: Uint8Array;
  readonly parentSha256: string | null;
  /** The caller's clock: the store never reads the time itself, so tests and replays are reproducible. */
  readonly now: Date;
  readonly participants: number;
  readonly aggregation: Readonly<Record<string, unknown>>;
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly optimizerState?: Uint8Array;
}

export const HEX64 = /^[0-9a-f]{64}$/;
export const MANIFEST_NAME = /^(\d{6,})\.json$/;
export const manifestName = (round: number): string => `${String(round).padStart(6, '0')}.json`;

/** Sorted keys, so equality of content does not depend on the order a caller built its objects in. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
export const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Returns the manifest, or the reason it cannot be trusted. */
export function parseManifest(text: string, round: number): CheckpointManifest | string {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    return `manifest is not valid JSON (${(e as Error).message})`;
  }
  if (!isPlainObject(m)) return 'manifest is not a JSON object';
  if (m['version'] !== 1) return `unsupported manifest version ${String(m['version'])}`;
  if (m['round'] !== round) return `manifest names round ${String(m['round'])}`;
  if (typeof m['modelSha256'] !== 'string' || !HEX64.test(m['modelSha256'])) {
    return 'modelSha256 is not a SHA-256';
  }
  const parent = m['parentSha256'];
  if (parent !== null && (typeof parent !== 'string' || !HEX64.test(parent))) {
    return 'parentSha256 is malformed';
  }
  if (typeof m['createdAt'] !== 'string' || Number.isNaN(Date.parse(m['createdAt']))) {
    return 'createdAt is malformed';
  }
  if (!isCount(m['participants'])) return 'participants is not a count';
  if (!isPlainObject(m['aggregation']) || !isPlainObject(m['metrics'])) {
    return 'aggregation or metrics missing';
  }
  const state = m['optimizerState'];
  if (state !== undefined && (typeof state !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(state))) {
    return 'optimizerState is not base64';
  }
  return m as unknown as CheckpointManifest;
}

/** Rejects a bad entry before anything is written, naming the field so the caller can fix its input. */
export function checkEntry(entry: CheckpointEntry): void {
  if (!isCount(entry.round)) {
    throw new InvalidArgumentError('round', `must be an integer ≥ 0, got ${String(entry.round)}`);
  }
  if (!(entry.model instanceof Uint8Array)) throw new InvalidArgumentError('model', 'must be a Uint8Array');
  const parent = entry.parentSha256;
  if (parent !== null && !HEX64.test(parent)) {
    throw new InvalidArgumentError('parentSha256', 'must be null or 64 lowercase hex digits');
  }
  if (!(entry.now instanceof Date) || Number.isNaN(entry.now.getTime())) {
    throw new InvalidArgumentError('now', 'must be a valid Date');
  }
  if (!isCount(entry.participants)) throw new InvalidArgumentError('participants', 'must be an integer ≥ 0');
  if (!isPlainObject(entry.aggregation)) throw new InvalidArgumentError('aggregation', 'must be an object');
  if (!isPlainObject(entry.metrics)) throw new InvalidArgumentError('metrics', 'must be an object');
}
