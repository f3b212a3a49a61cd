import { createHash } from 'node:crypto';
import { seedFromNumber, signingKeyPairFromSeed } from '../aggregation/index.js';
import { MANIFEST_VERSION, signedManifestFile } from '../proto/federation-manifest.js';

/**
 * The signed manifest of the bench and multi-process federations, whose members are
 * signingKeyPairFromSeed(seedFromNumber(id)) for ids 1..members (as bench/grpc-members makes them).
 * The member host pins its hash (`--manifest-sha256`), as a real member pins what its operator gave it.
 */
export function benchManifest(
  federation: string,
  members: number,
  expectedDropout: number,
  modelSpecJson: string,
): { readonly bytes: Uint8Array; readonly sha256: Uint8Array } {
  const operator = signingKeyPairFromSeed(seedFromNumber(0xbe7c4));
  return signedManifestFile(
    {
      version: MANIFEST_VERSION,
      federation,
      members: Array.from({ length: members }, (_, i) => ({
        index: i + 1,
        name: `m${i + 1}`,
        identityKey: Buffer.from(signingKeyPairFromSeed(seedFromNumber(i + 1)).publicKey).toString('hex'),
      })),
      threatModel: {
        corruptFraction: 0,
        expectedDropout,
        minimumClients: 3,
        securityBits: 40,
        correctnessBits: 20,
        quarantineRounds: 10,
      },
      privacy: { mode: 'none', clipNorm: 1, quantization: { clipRange: 1, levels: 65537 } },
      aggregation: { mode: 'secure' },
      modelSpecSha256: createHash('sha256').update(modelSpecJson, 'utf8').digest('hex'),
      rounds: 1,
    },
    operator,
  );
}
