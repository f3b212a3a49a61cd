import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory, isTempName, readIfExists, sha256Hex, writeAtomically } from './atomic-file.js';
import {
  canonical,
  checkEntry,
  manifestName,
  MANIFEST_NAME,
  parseManifest,
  type CheckpointEntry,
  type CheckpointManifest,
} from './manifest.js';

export type { CheckpointEntry, CheckpointManifest } from './manifest.js';

export interface Checkpoint {
  readonly manifest: CheckpointManifest;
  readonly model: Uint8Array;
}
export interface SkippedCheckpoint {
  readonly round: number;
  readonly reason: string;
}
export interface LatestCheckpoint extends Checkpoint {
  /** Newer checkpoints passed over because they were unreadable, newest first; the caller logs them. */
  readonly skipped: readonly SkippedCheckpoint[];
}
export type ChainReport =
  | { readonly ok: true; readonly rounds: number }
  | { readonly ok: false; readonly round: number; readonly reason: string };

export type CheckpointErrorCode = 'corrupt' | 'conflict' | 'parent-mismatch' | 'out-of-order';

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly code: CheckpointErrorCode,
    readonly round: number,
    message: string,
  ) {
    super(`round ${round}: ${message}`);
  }
}

/**
 * The coordinator's durable history under one data directory:
 *   models/<sha256>.bin       model bytes, content-addressed (a model repeated across rounds is stored once)
 *   checkpoints/<round>.json  manifests, round zero-padded to 6 digits so names sort by round
 * One writer (the coordinator) is assumed; saves from one instance are serialized. Rounds need not be
 * contiguous (an aborted round changes nothing and leaves no checkpoint): the parent of a checkpoint is
 * the nearest earlier intact one.
 */
export class CheckpointStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly models: string,
    private readonly checkpoints: string,
  ) {}

  /** Creates the layout if needed and removes temp files a crash mid-write left behind. */
  static async open(dataDir: string): Promise<CheckpointStore> {
    const store = new CheckpointStore(join(dataDir, 'models'), join(dataDir, 'checkpoints'));
    for (const dir of [store.models, store.checkpoints]) {
      await mkdir(dir, { recursive: true });
      for (const name of await readdir(dir)) if (isTempName(name)) await unlink(join(dir, name));
    }
    await fsyncDirectory(dataDir);
    return store;
  }

  /**
   * Writes the model, then the manifest, so a manifest never names a model that is not on disk.
   * Re-saving a round with identical content is a no-op (a retried save after a crash); different
   * content is a conflict. A round whose existing checkpoint is corrupt is overwritten: that is how the
   * coordinator redoes the round it resumed before.
   */
  save(entry: CheckpointEntry): Promise<{ modelSha256: string }> {
    const result = this.queue.then(() => this.saveNow(entry));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async saveNow(entry: CheckpointEntry): Promise<{ modelSha256: string }> {
    checkEntry(entry);
    const { round } = entry;
    const modelSha256 = sha256Hex(entry.model);
    const manifest: CheckpointManifest = {
      version: 1,
      round,
      modelSha256,
      parentSha256: entry.parentSha256,
      createdAt: entry.now.toISOString(),
      participants: entry.participants,
      aggregation: entry.aggregation,
      metrics: entry.metrics,
      ...(entry.optimizerState && { optimizerState: Buffer.from(entry.optimizerState).toString('base64') }),
    };
    const existing = await this.tryLoad(round);
    if (typeof existing === 'object') {
      if (canonical(existing.manifest) === canonical(manifest)) return { modelSha256 };
      throw new CheckpointError('conflict', round, 'already saved with different content');
    }
    const rounds = await this.rounds();
    for (const later of rounds.filter((r) => r > round)) {
      if (typeof (await this.tryLoad(later)) === 'object') {
        throw new CheckpointError('out-of-order', round, `round ${later} is already saved`);
      }
    }
    const previous = await this.newestIntact(rounds.filter((r) => r < round));
    const expected = previous?.manifest.modelSha256 ?? null;
    if (entry.parentSha256 !== expected) {
      const where = previous ? `round ${previous.manifest.round}'s modelSha256 ${expected}` : 'null (first)';
      throw new CheckpointError(
        'parent-mismatch',
        round,
        `parentSha256 ${entry.parentSha256} does not match ${where}`,
      );
    }
    const onDisk = await readIfExists(join(this.models, `${modelSha256}.bin`));
    if (onDisk === undefined || sha256Hex(onDisk) !== modelSha256) {
      await writeAtomically(this.models, `${modelSha256}.bin`, entry.model);
    }
    await writeAtomically(this.checkpoints, manifestName(round), `${JSON.stringify(manifest, null, 2)}\n`);
    return { modelSha256 };
  }

  /**
   * The highest round whose manifest parses and whose model hashes to what it names. Newer broken
   * checkpoints are skipped and reported. Throws when checkpoints exist but none is intact: starting over
   * from scratch silently would discard the operator's history.
   */
  async latest(): Promise<LatestCheckpoint | undefined> {
    const skipped: SkippedCheckpoint[] = [];
    for (const round of (await this.rounds()).reverse()) {
      const result = await this.tryLoad(round);
      if (typeof result === 'object') return { ...result, skipped };
      skipped.push({ round, reason: result ?? 'manifest disappeared' });
    }
    if (skipped.length === 0) return undefined;
    const reasons = skipped.map((s) => `round ${s.round}: ${s.reason}`).join('; ');
    throw new CheckpointError('corrupt', skipped[0]!.round, `no intact checkpoint (${reasons})`);
  }

  /** undefined when the round has no checkpoint; throws CheckpointError('corrupt') when it is broken. */
  async load(round: number): Promise<Checkpoint | undefined> {
    const result = await this.tryLoad(round);
    if (typeof result === 'string') throw new CheckpointError('corrupt', round, result);
    return result;
  }

  /** Manifests that parse, by round; models are not read (use verifyChain for that). */
  async list(): Promise<CheckpointManifest[]> {
    const manifests: CheckpointManifest[] = [];
    for (const round of await this.rounds()) {
      const text = await readIfExists(join(this.checkpoints, manifestName(round)));
      const manifest = text === undefined ? undefined : parseManifest(text.toString('utf8'), round);
      if (typeof manifest === 'object') manifests.push(manifest);
    }
    return manifests;
  }

  /**
   * Audits the whole history from the first round: every manifest intact, every model matching its
   * hash, every parent equal to the previous model's hash. Reports the first break. It cannot see an
   * edit to a manifest's metrics or settings, which no hash covers.
   */
  async verifyChain(): Promise<ChainReport> {
    let previous: CheckpointManifest | undefined;
    const rounds = await this.rounds();
    for (const round of rounds) {
      const result = await this.tryLoad(round);
      if (typeof result !== 'object') return { ok: false, round, reason: result ?? 'manifest disappeared' };
      const expected = previous?.modelSha256 ?? null;
      if (result.manifest.parentSha256 !== expected) {
        const was = previous ? `round ${previous.round}'s modelSha256 is ${expected}` : 'it is the first';
        return { ok: false, round, reason: `parentSha256 is ${result.manifest.parentSha256} but ${was}` };
      }
      previous = result.manifest;
    }
    return { ok: true, rounds: rounds.length };
  }

  private async rounds(): Promise<number[]> {
    const rounds: number[] = [];
    for (const name of await readdir(this.checkpoints)) {
      const digits = MANIFEST_NAME.exec(name)?.[1];
      if (digits !== undefined && manifestName(Number(digits)) === name) rounds.push(Number(digits));
    }
    return rounds.sort((a, b) => a - b);
  }

  /** The checkpoint, the reason it is broken, or undefined when there is no manifest for the round. */
  private async tryLoad(round: number): Promise<Checkpoint | string | undefined> {
    const text = await readIfExists(join(this.checkpoints, manifestName(round)));
    if (text === undefined) return undefined;
    const manifest = parseManifest(text.toString('utf8'), round);
    if (typeof manifest === 'string') return manifest;
    const model = await readIfExists(join(this.models, `${manifest.modelSha256}.bin`));
    if (model === undefined) return `model ${manifest.modelSha256} is missing`;
    const actual = sha256Hex(model);
    if (actual !== manifest.modelSha256)
      return `model ${manifest.modelSha256} is corrupt (hashes to ${actual})`;
    return { manifest, model: new Uint8Array(model.buffer, model.byteOffset, model.byteLength) };
  }

  private async newestIntact(rounds: number[]): Promise<Checkpoint | undefined> {
    for (const round of [...rounds].reverse()) {
      const result = await this.tryLoad(round);
      if (typeof result === 'object') return result;
    }
    return undefined;
  }
}
