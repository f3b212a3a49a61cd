import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { cryptoReady } from '../aggregation/crypto/sodium.js';
import { readIdentityFile } from '../client-sdk/identity.js';
import {
  encodeSignedManifest,
  signManifest,
  verifySignedManifest,
  type ManifestPin,
  type VerifiedManifest,
} from '../proto/federation-manifest.js';
import { modelSpecJson } from '../proto/model-spec.js';
import {
  federationManifestOf,
  loadFederationConfig,
  manifestMismatches,
} from '../coordinator/config/index.js';
import { loadModelSpec } from './federation-model.js';

/**
 * `cohort federation sign`: the manifest the federation file describes, signed with the operator key
 * (an Ed25519 seed file from `cohort keygen`). Written to `out`, else to the file's `manifest:` path,
 * else next to the file as NAME.manifest.json; an existing file is never overwritten, since members
 * may already pin its hash. Returns the lines to print.
 */
export async function signFederation(options: {
  readonly config: string;
  readonly key: string;
  readonly out?: string;
}): Promise<string[]> {
  await cryptoReady();
  const { config, manifest } = await manifestOfFile(options.config);
  const operator = await readIdentityFile(options.key);
  const signed = signManifest(manifest, operator);
  const base = dirname(resolve(options.config));
  const out =
    options.out ??
    (config.manifest === undefined
      ? join(base, `${basename(options.config, extname(options.config))}.manifest.json`)
      : resolve(base, config.manifest));
  try {
    await writeFile(out, encodeSignedManifest(signed), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new Error(`${out} exists; members may pin it. Remove it first or choose --out`);
    throw error;
  }
  const verified = verifySignedManifest(encodeSignedManifest(signed), { operatorKey: operator.publicKey });
  return [...summary(verified), `wrote ${out}`];
}

/**
 * `cohort federation verify`: checks a signed manifest against the operator key or hash a member
 * would pin and, with `config`, that it describes that federation file. Throws naming the failure.
 */
export async function verifyFederation(options: {
  readonly file: string;
  readonly pin: ManifestPin;
  readonly config?: string;
}): Promise<string[]> {
  await cryptoReady();
  const verified = verifySignedManifest(new Uint8Array(await readFile(options.file)), options.pin);
  if (options.config !== undefined) {
    const { manifest } = await manifestOfFile(options.config);
    const differences = manifestMismatches(manifest, verified.manifest);
    if (differences.length > 0)
      throw new Error(
        `${options.file} does not match ${options.config}:\n${differences.map((d) => `  ${d}`).join('\n')}`,
      );
  }
  return [...summary(verified), ...(options.config === undefined ? [] : [`matches ${options.config}`])];
}

async function manifestOfFile(configPath: string) {
  const config = await loadFederationConfig(configPath);
  const spec = await loadModelSpec(config.model, configPath);
  return { config, manifest: federationManifestOf(config, modelSpecJson(spec)) };
}

function summary({ manifest: m, sha256, operatorKey }: VerifiedManifest): string[] {
  const t = m.threatModel;
  const kt = t.degree === undefined ? 'k, t derived' : `k ${t.degree}, t ${t.threshold}`;
  return [
    `sha256 ${Buffer.from(sha256).toString('hex')}`,
    `operator ${Buffer.from(operatorKey).toString('hex')}`,
    `federation ${m.federation}: ${m.members.length} members, ${m.rounds} rounds, aggregation ${m.aggregation.mode}, privacy ${m.privacy.mode}`,
    `threat model: corrupt fraction ${t.corruptFraction}, dropout ${t.expectedDropout}, minimum clients ${t.minimumClients}, ${kt}, quarantine ${t.quarantineRounds} rounds`,
    ...m.members.map((member) => `  member ${member.index} ${member.name} ${member.identityKey}`),
  ];
}
