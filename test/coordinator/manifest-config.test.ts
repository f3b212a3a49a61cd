import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { cryptoReady, seedFromNumber, signingKeyPairFromSeed } from '../../aggregation/index.js';
import {
  ConfigError,
  federationManifestOf,
  loadServedManifest,
  parseFederationConfig,
} from '../../coordinator/config/index.js';
import { encodeSignedManifest, manifestSha256, signManifest } from '../../proto/federation-manifest.js';

await cryptoReady();
const OPERATOR = signingKeyPairFromSeed(seedFromNumber(77));
const KEYS = [1, 2, 3, 4].map((i) => signingKeyPairFromSeed(seedFromNumber(i)).publicKey);
const SPEC_JSON = '{"kind":"logistic-regression","inputs":3}';

function file(changes: Record<string, unknown> = {}) {
  return parseFederationConfig(
    stringify({
      name: 'tiny',
      model: { kind: 'logistic-regression', inputs: 3 },
      rounds: 5,
      clientsPerRound: 4,
      minimumClients: 3,
      secureAggregation: { corruptFraction: 0.2, expectedDropout: 0, quarantineRounds: 3 },
      privacy: {
        mode: 'distributed',
        noiseMultiplier: 1,
        budget: { epsilon: 8, delta: 1e-5 },
        memberBudget: { epsilon: 4, delta: 1e-6 },
      },
      members: KEYS.map((k, i) => ({
        name: `m${i + 1}`,
        // One in base64: the manifest always carries lowercase hex.
        publicKey: Buffer.from(k).toString(i === 1 ? 'base64' : 'hex'),
      })),
      ...changes,
    }),
  );
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-manifest-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the manifest a federation file describes', () => {
  test('carries members, threat model, privacy, mode, rounds and the model spec hash', () => {
    const m = federationManifestOf(file(), SPEC_JSON);
    assert.deepEqual(
      m.members.map((x) => x.identityKey),
      KEYS.map((k) => Buffer.from(k).toString('hex')),
    );
    assert.deepEqual(m.threatModel, {
      corruptFraction: 0.2,
      expectedDropout: 0,
      minimumClients: 3,
      securityBits: 40,
      correctnessBits: 20,
      quarantineRounds: 3,
    });
    assert.deepEqual(m.privacy, {
      mode: 'distributed',
      noiseMultiplier: 1,
      clipNorm: 1,
      quantization: { clipRange: 1, levels: 65537 },
      budget: { epsilon: 8, delta: 1e-5 },
      memberBudget: { epsilon: 4, delta: 1e-6 },
    });
    assert.equal(m.modelSpecSha256, createHash('sha256').update(SPEC_JSON).digest('hex'));
    assert.equal(m.rounds, 5);
    assert.equal(m.aggregation.mode, 'secure');
  });

  test('a manifest and insecureNoManifest together are refused', () => {
    assert.throws(
      () => file({ manifest: 'x.json', insecureNoManifest: true }),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.path === 'insecureNoManifest'),
    );
  });
});

describe('the coordinator loading its manifest', () => {
  const write = async (name: string, bytes: Uint8Array | string) => {
    await writeFile(join(dir, name), bytes);
    return join(dir, 'federation.yaml');
  };

  test('serves the signed file when it matches the federation file', async () => {
    const config = file({ manifest: './ok.json' });
    const bytes = encodeSignedManifest(signManifest(federationManifestOf(config, SPEC_JSON), OPERATOR));
    const served = await loadServedManifest(config, await write('ok.json', bytes), SPEC_JSON);
    assert.deepEqual(served.bytes, bytes);
    assert.deepEqual(served.sha256, manifestSha256(federationManifestOf(config, SPEC_JSON)));
    assert.equal(served.insecure, false);
  });

  test('refuses a manifest that differs from the file, naming each field', async () => {
    const signedFor = federationManifestOf(file({ rounds: 6 }), SPEC_JSON);
    const path = await write('old.json', encodeSignedManifest(signManifest(signedFor, OPERATOR)));
    await assert.rejects(
      loadServedManifest(file({ manifest: './old.json' }), path, SPEC_JSON),
      /manifest: rounds: 6 in the signed manifest, 5 in the federation file/,
    );
    await assert.rejects(
      loadServedManifest(file({ manifest: './old.json', rounds: 6 }), path, '{"kind":"mlp"}'),
      /manifest: modelSpecSha256: /,
    );
  });

  test('refuses a manifest whose signature does not verify, and a missing one', async () => {
    const text = new TextDecoder().decode(
      encodeSignedManifest(signManifest(federationManifestOf(file(), SPEC_JSON), OPERATOR)),
    );
    const path = await write('bad.json', text.replace('"rounds": 5', '"rounds": 4'));
    await assert.rejects(
      loadServedManifest(file({ manifest: './bad.json' }), path, SPEC_JSON),
      /bad\.json: signed manifest: signature: does not verify/,
    );
    await assert.rejects(
      loadServedManifest(file({ manifest: './none.json' }), path, SPEC_JSON),
      /cannot read the signed manifest/,
    );
  });

  test('without a manifest: refused, unless insecureNoManifest (a throwaway-signed manifest of the file)', async () => {
    await assert.rejects(
      loadServedManifest(file(), join(dir, 'f.yaml'), SPEC_JSON),
      /manifest: expected the path/,
    );
    const served = await loadServedManifest(
      file({ insecureNoManifest: true }),
      join(dir, 'f.yaml'),
      SPEC_JSON,
    );
    assert.equal(served.insecure, true);
    assert.deepEqual(served.sha256, manifestSha256(federationManifestOf(file(), SPEC_JSON)));
  });
});
