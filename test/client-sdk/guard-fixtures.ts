import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedFromNumber, signingKeyPairFromSeed, type SigningKeyPair } from '../../aggregation/index.js';
import { roundParameters } from '../../aggregation/secagg/pinned-parameters.js';
import type { PinnedManifest } from '../../client-sdk/round-guard.js';
import { manifestSha256, type FederationManifest } from '../../proto/federation-manifest.js';
import type { WireRoundStarted } from '../../proto/round-plan.js';

/**
 * A ten-member federation and RoundStarted plans for the member-side guard tests. Needs cryptoReady().
 * With γ = 0.1 one member of the ten is assumed corrupt; 8 participants give k = 6, t = 4.
 */
export const FEDERATION_SIZE = 10;
export const MODEL_SPEC_JSON = '{"kind":"logistic-regression","inputs":13}';
export const MODEL_DIMENSION = 14;

export function identities(): SigningKeyPair[] {
  return Array.from({ length: FEDERATION_SIZE }, (_, i) => signingKeyPairFromSeed(seedFromNumber(900 + i)));
}

export type Mutable<T> = T extends Uint8Array
  ? T
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

export function manifest(
  keys: readonly SigningKeyPair[],
  change: (m: Mutable<FederationManifest>) => void = () => undefined,
): PinnedManifest {
  const m: Mutable<FederationManifest> = {
    version: 1,
    federation: 'guard-test',
    members: keys.map((k, i) => ({
      index: i + 1,
      name: `site-${i + 1}`,
      identityKey: Buffer.from(k.publicKey).toString('hex'),
    })),
    threatModel: {
      corruptFraction: 0.1,
      expectedDropout: 0.05,
      minimumClients: 8,
      securityBits: 40,
      correctnessBits: 10,
      quarantineRounds: 10,
    },
    privacy: { mode: 'none', clipNorm: 1, quantization: { clipRange: 4, levels: 65_537 } },
    aggregation: { mode: 'secure' },
    modelSpecSha256: createHash('sha256').update(MODEL_SPEC_JSON).digest('hex'),
    rounds: 5,
  };
  change(m);
  // The real canonical-bytes hash, so a coordinator serving this manifest digests the same plans.
  return { manifest: m, sha256: manifestSha256(m) };
}

/** A consistent plan for `participants` under `pinned`; `change` then makes it inconsistent. */
export function roundStarted(
  pinned: PinnedManifest,
  participants: readonly number[],
  roundId: number,
  change: (s: Mutable<WireRoundStarted>) => void = () => undefined,
): WireRoundStarted {
  const t = pinned.manifest.threatModel;
  const derived = roundParameters(
    {
      federationSize: pinned.manifest.members.length,
      corruptFraction: t.corruptFraction,
      dropoutRate: t.expectedDropout,
      securityBits: t.securityBits,
      correctnessBits: t.correctnessBits,
    },
    participants.length,
  );
  const privacy = pinned.manifest.privacy;
  const s: Mutable<WireRoundStarted> = {
    round: roundId,
    round_id: seedFromNumber(5_000 + roundId),
    model_sha256: new Uint8Array(32),
    model_spec_json: MODEL_SPEC_JSON,
    training: {
      epochs: 1,
      steps: 0,
      batch_size: 16,
      learning_rate: 0.1,
      clip_norm: privacy.clipNorm,
      example_cap: privacy.mode === 'none' ? 1_000 : 1,
      report_clip_indicator: false,
    },
    secagg: {
      participants: [...participants],
      degree: derived.degree,
      threshold: derived.threshold,
      dimension: MODEL_DIMENSION + 1,
      clip_range: privacy.quantization.clipRange,
      levels: privacy.quantization.levels,
      mask_prg: 'MASK_PRG_AES256_CTR',
      max_chunk_words: 1_000,
    },
    plain: null,
    noise: null,
  };
  change(s);
  return s;
}

export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-guard-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
