import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { systemRandom } from '../../aggregation/crypto/random-source.js';
import { generateSigningKeyPair } from '../../aggregation/crypto/signature.js';
import {
  encodeSignedManifest,
  ManifestError,
  MANIFEST_VERSION,
  signManifest,
  verifySignedManifest,
  type FederationManifest,
} from '../../proto/federation-manifest.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { decodePublicKey, type FederationConfig } from './schema.js';

/** The σ and κ every member derives k and t with (aggregation/secagg/parameters.ts defaults). */
const SECURITY_BITS = 40;
const CORRECTNESS_BITS = 20;

/**
 * The manifest a federation file describes: what `cohort federation sign` signs and what the
 * coordinator compares a signed manifest with. `modelSpecJson` is the exact model_spec_json the
 * coordinator sends in RoundStarted (proto/model-spec.ts modelSpecJson), so members can check it.
 */
export function federationManifestOf(config: FederationConfig, modelSpecJson: string): FederationManifest {
  const s = config.secureAggregation;
  const p = config.privacy;
  return {
    version: MANIFEST_VERSION,
    federation: config.name,
    members: config.members.map((m, i) => ({
      index: i + 1,
      name: m.name,
      identityKey: Buffer.from(decodePublicKey(m.publicKey)!).toString('hex'),
    })),
    threatModel: {
      corruptFraction: s.corruptFraction,
      expectedDropout: s.expectedDropout,
      minimumClients: config.minimumClients,
      ...(config.aggregation.bucketSize === undefined ? {} : { bucketSize: config.aggregation.bucketSize }),
      ...(s.degree === undefined || s.threshold === undefined
        ? {}
        : { degree: s.degree, threshold: s.threshold }),
      securityBits: SECURITY_BITS,
      correctnessBits: CORRECTNESS_BITS,
      quarantineRounds: s.quarantineRounds,
    },
    privacy: {
      mode: p.mode,
      ...(p.noiseMultiplier === undefined ? {} : { noiseMultiplier: p.noiseMultiplier }),
      clipNorm: config.training.clipNorm,
      quantization: { clipRange: s.quantization.clipRange, levels: s.quantization.levels },
      ...(p.budget === undefined ? {} : { budget: p.budget }),
      ...(p.memberBudget === undefined ? {} : { memberBudget: p.memberBudget }),
    },
    aggregation: { mode: config.aggregation.mode },
    modelSpecSha256: createHash('sha256').update(modelSpecJson, 'utf8').digest('hex'),
    rounds: config.rounds,
  };
}

/**
 * Every field where the signed manifest and the federation file disagree, by dotted path, each with
 * both values: the operator re-signs or fixes the file, and needs to see which.
 */
export function manifestMismatches(file: FederationManifest, signed: FederationManifest): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (isRecord(a) && isRecord(b)) {
      for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
        walk(a[key], b[key], path === '' ? key : `${path}.${key}`);
    } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((v, i) => walk(v, b[i], `${path}[${i}]`));
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push(`${path}: ${show(b)} in the signed manifest, ${show(a)} in the federation file`);
    }
  };
  walk(file, signed, '');
  return out;
}

export interface LoadedManifest {
  readonly bytes: Uint8Array;
  readonly sha256: Uint8Array;
  /** True when the file says insecureNoManifest and the coordinator signed with a throwaway key. */
  readonly insecure: boolean;
}

/**
 * The signed manifest the coordinator will serve: the file's `manifest`, verified against its own
 * operator key (the coordinator has nothing else to pin; members pin the real one) and compared with
 * the federation file field by field. Without one, only `insecureNoManifest: true` lets the
 * coordinator start, serving the file's manifest signed by a throwaway key, so members can pin nothing
 * but its hash. Throws ConfigError naming the manifest and what is wrong with it.
 */
export async function loadServedManifest(
  config: FederationConfig,
  configPath: string,
  modelSpecJson: string,
): Promise<LoadedManifest> {
  const expected = federationManifestOf(config, modelSpecJson);
  if (config.manifest === undefined) {
    if (!config.insecureNoManifest)
      throw new ConfigError(configPath, [
        {
          path: 'manifest',
          message:
            'expected the path of a signed manifest (cohort federation sign --config FILE --key operator.key), ' +
            'or insecureNoManifest: true for development',
        },
      ]);
    const operator = generateSigningKeyPair(systemRandom);
    const bytes = encodeSignedManifest(signManifest(expected, operator));
    const { sha256 } = verifySignedManifest(bytes, { operatorKey: operator.publicKey });
    return { bytes, sha256, insecure: true };
  }
  const path = resolve(dirname(configPath), config.manifest);
  const problem = (message: string): ConfigError =>
    new ConfigError(configPath, [{ path: 'manifest', message: `${path}: ${message}` }]);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw problem(
      `cannot read the signed manifest: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  let verified;
  try {
    verified = verifySignedManifest(bytes, { operatorKey: ownOperatorKey(bytes) });
  } catch (error) {
    if (error instanceof ManifestError) throw problem(error.message);
    throw error;
  }
  const differences = manifestMismatches(expected, verified.manifest);
  if (differences.length > 0)
    throw new ConfigError(
      configPath,
      differences.map((d): ConfigProblem => ({
        path: 'manifest',
        message: `${d} (re-sign it: cohort federation sign)`,
      })),
    );
  return { bytes, sha256: verified.sha256, insecure: false };
}

/** The operator key the file claims; a malformed file yields zeros and fails its schema check first. */
function ownOperatorKey(bytes: Uint8Array): Uint8Array {
  try {
    const key = (JSON.parse(new TextDecoder().decode(bytes)) as { operatorKey?: unknown }).operatorKey;
    if (typeof key === 'string' && /^[0-9a-f]{64}$/.test(key)) return new Uint8Array(Buffer.from(key, 'hex'));
  } catch {
    // verifySignedManifest names the JSON error.
  }
  return new Uint8Array(32);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return value === undefined ? 'absent' : JSON.stringify(value);
}
