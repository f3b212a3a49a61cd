import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cryptoReady, seedFromNumber, sign, signingKeyPairFromSeed } from '../../aggregation/index.js';
import { canonicalJson } from '../../proto/canonical-json.js';
import {
  encodeSignedManifest,
  manifestSha256,
  manifestSigningPayload,
  ManifestError,
  memberKeysOf,
  signManifest,
  verifySignedManifest,
  type FederationManifest,
  type ManifestFailure,
  type SignedManifest,
} from '../../proto/federation-manifest.js';
import { testManifest } from '../coordinator/signed-federation.js';

await cryptoReady();
const A = signingKeyPairFromSeed(seedFromNumber(1001));
const B = signingKeyPairFromSeed(seedFromNumber(1002));
const members = [1, 2, 3, 4].map((i) => signingKeyPairFromSeed(seedFromNumber(i)));
const manifest = testManifest('fed', members, {
  threatModel: { ...testManifest('fed', members).threatModel, degree: 3, threshold: 2 },
});
const signed = signManifest(manifest, A);
const pinA = { operatorKey: A.publicKey };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function refused(
  input: unknown,
  pin: Parameters<typeof verifySignedManifest>[1],
  code: ManifestFailure,
  message: RegExp,
) {
  assert.throws(
    () => verifySignedManifest(input, pin),
    (e: unknown) => e instanceof ManifestError && e.code === code && message.test(e.message),
  );
}

type Editable = Record<string, unknown> & {
  manifest: {
    members: { identityKey: string }[];
    threatModel: Record<string, unknown>;
    privacy: Record<string, unknown>;
  };
};

/** `signed` with a change applied to a deep copy, as an attacker editing the file would. */
function tampered(change: (s: Editable) => void): unknown {
  const copy = JSON.parse(JSON.stringify(signed)) as Editable;
  change(copy);
  return copy;
}

describe('canonical bytes', () => {
  test('sorted keys at every depth, no whitespace, independent of key order', () => {
    assert.equal(
      new TextDecoder().decode(canonicalJson({ b: 1, a: [{ d: 'x', c: null }], e: undefined })),
      '{"a":[{"c":null,"d":"x"}],"b":1}',
    );
    const reverse = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverse)
        : typeof v === 'object' && v !== null
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverse(x)]),
            )
          : v;
    const shuffled = reverse(manifest) as FederationManifest;
    assert.notEqual(JSON.stringify(shuffled), JSON.stringify(manifest));
    assert.deepEqual(manifestSha256(shuffled), manifestSha256(manifest));
    assert.equal(verifySignedManifest({ ...signed, manifest: shuffled }, pinA).manifest.rounds, 1);
  });

  test('non-finite numbers and non-JSON values are refused', () => {
    assert.throws(() => canonicalJson({ a: NaN }), /\$\.a: NaN is not a finite number/);
    assert.throws(() => canonicalJson([Infinity]), /\$\[0\]/);
    assert.throws(() => canonicalJson({ a: new Uint8Array(1) }), /no JSON form/);
  });
});

describe('signed manifest', () => {
  test('round trip: file bytes verify under the operator key and under the manifest hash', () => {
    const bytes = encodeSignedManifest(signed);
    const byKey = verifySignedManifest(bytes, pinA);
    assert.deepEqual(byKey.manifest, manifest);
    assert.deepEqual(byKey.sha256, manifestSha256(manifest));
    assert.deepEqual(byKey.operatorKey, A.publicKey);
    assert.deepEqual(
      verifySignedManifest(new TextDecoder().decode(bytes), { manifestSha256: byKey.sha256 }).sha256,
      byKey.sha256,
    );
    assert.deepEqual(memberKeysOf(byKey.manifest), new Map(members.map((m, i) => [i + 1, m.publicKey])));
  });

  test('every tampering is refused, naming what failed', () => {
    const other = hex(members[3]!.publicKey);
    refused(
      tampered((s) => (s.manifest.members[0]!.identityKey = other.replace(/^../, 'ab'))),
      pinA,
      'signature',
      /signature: does not verify/,
    );
    refused(
      tampered((s) => (s.manifest.threatModel.threshold = 1)),
      pinA,
      'signature',
      /signature/,
    );
    refused(
      tampered((s) => (s.manifest.threatModel.extra = 1)),
      pinA,
      'schema',
      /manifest\.threatModel: Unrecognized key.*extra/,
    );
    refused(
      tampered((s) => (s.note = 'hi')),
      pinA,
      'schema',
      /Unrecognized key.*note/,
    );
    refused(
      tampered((s) => (s.operatorKey = hex(B.publicKey))),
      pinA,
      'operator-key',
      /not by the pinned operator key/,
    );
    refused(
      tampered((s) => (s.operatorKey = hex(B.publicKey))),
      { manifestSha256: manifestSha256(manifest) },
      'signature',
      /signature/,
    );
    const byB = signManifest(manifest, B);
    refused(byB, pinA, 'operator-key', new RegExp(`signed by ${hex(B.publicKey)}`));
    const changed = signManifest({ ...manifest, rounds: 2 }, A);
    refused(changed, { manifestSha256: manifestSha256(manifest) }, 'hash', /not the pinned manifest/);
    refused('{"manifest":', pinA, 'json', /not UTF-8 JSON/);
    refused(new Uint8Array([0xff, 0xfe]), pinA, 'json', /not UTF-8 JSON/);
    refused(
      tampered((s) => (s.manifest.privacy.clipNorm = -1)),
      pinA,
      'schema',
      /manifest\.privacy\.clipNorm/,
    );
  });

  test('duplicate keys and out-of-order indices are refused, even when validly signed', () => {
    const forge = (m: FederationManifest): SignedManifest => ({
      manifest: m,
      operatorKey: hex(A.publicKey),
      signature: hex(sign(manifestSigningPayload(m), A.secretKey)),
    });
    const list = manifest.members;
    const duplicate = {
      ...manifest,
      members: [list[0]!, list[1]!, { ...list[2]!, identityKey: list[0]!.identityKey }],
    };
    refused(forge(duplicate), pinA, 'members', /members\[2\]\.identityKey: the same key as members\[0\]/);
    const skipped = { ...manifest, members: [list[0]!, { ...list[1]!, index: 3 }] };
    refused(forge(skipped), pinA, 'members', /members\[1\]\.index: expected 2/);
    assert.throws(() => signManifest(duplicate, A), ManifestError);
  });
});
