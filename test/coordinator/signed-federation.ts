import {
  cryptoReady,
  seedFromNumber,
  signingKeyPairFromSeed,
  type SigningKeyPair,
} from '../../aggregation/index.js';
import { federationManifestOf, type FederationConfig } from '../../coordinator/config/index.js';
import { Membership } from '../../coordinator/membership.js';
import {
  MANIFEST_VERSION,
  signedManifestFile,
  type FederationManifest,
  type ManifestPin,
} from '../../proto/federation-manifest.js';
import { modelSpecJson, type ModelSpec } from '../../proto/model-spec.js';

/** Test code not a test file: federations whose coordinator serves a manifest signed by a test operator. */

await cryptoReady();
export const TEST_OPERATOR: SigningKeyPair = signingKeyPairFromSeed(seedFromNumber(0x0be7a70));

/** A manifest listing `identities` as members 1..N, with a plain secure-mode threat model. */
export function testManifest(
  federation: string,
  identities: readonly SigningKeyPair[],
  changes: Partial<FederationManifest> = {},
): FederationManifest {
  return {
    version: MANIFEST_VERSION,
    federation,
    members: identities.map((id, i) => ({
      index: i + 1,
      name: `m${i + 1}`,
      identityKey: Buffer.from(id.publicKey).toString('hex'),
    })),
    threatModel: {
      corruptFraction: 0,
      expectedDropout: 0.1,
      minimumClients: 3,
      securityBits: 40,
      correctnessBits: 20,
      quarantineRounds: 10,
    },
    privacy: { mode: 'none', clipNorm: 1, quantization: { clipRange: 1, levels: 65537 } },
    aggregation: { mode: 'secure' },
    modelSpecSha256: '0'.repeat(64),
    rounds: 1,
    ...changes,
  };
}

export interface SignedFederation {
  /** The coordinator's membership, serving the signed manifest. */
  readonly membership: Membership;
  /** What members pin. */
  readonly trust: ManifestPin;
  readonly manifest: FederationManifest;
}

/** Signs `manifest` with `operator` and builds the membership that serves it. */
export function serve(manifest: FederationManifest, operator = TEST_OPERATOR): SignedFederation {
  const membership = new Membership(
    manifest.federation,
    manifest.members.map((m) => ({
      index: m.index,
      name: m.name,
      identityKey: new Uint8Array(Buffer.from(m.identityKey, 'hex')),
    })),
    signedManifestFile(manifest, operator),
  );
  return { membership, trust: { operatorKey: operator.publicKey }, manifest };
}

/** A federation of `identities` under the test operator. */
export function signedFederation(
  federation: string,
  identities: readonly SigningKeyPair[],
): SignedFederation {
  return serve(testManifest(federation, identities));
}

/** The manifest a parsed federation file describes, signed by the test operator. */
export function signedFederationOf(config: FederationConfig, spec: ModelSpec): SignedFederation {
  return serve(federationManifestOf(config, modelSpecJson(spec)));
}

/** The federation file's `members:` entries for `identities`, named m1, m2, … (one YAML line each). */
export function membersYaml(identities: readonly SigningKeyPair[]): string {
  return identities
    .map((id, i) => `  - { name: m${i + 1}, publicKey: ${Buffer.from(id.publicKey).toString('hex')} }`)
    .join('\n');
}
