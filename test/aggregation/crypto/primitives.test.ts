import { test, describe } from 'node:test';
import { constantTimeEqual } from '../../../aggregation/crypto/bytes.js';
import assert from 'node:assert/strict';
import { createCipheriv, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';

import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, open, seal } from '../../../aggregation/crypto/aead.js';
import { deriveKey, digest, framed } from '../../../aggregation/crypto/kdf.js';
import {
  AGREEMENT_KEY_BYTES,
  agree,
  agreementPublicKey,
  generateAgreementKeyPair,
} from '../../../aggregation/crypto/key-agreement.js';
import {
  randomBytes,
  seededRandom,
  seedFromNumber,
  type RandomSource,
} from '../../../aggregation/crypto/random-source.js';
import {
  SIGNATURE_BYTES,
  SIGNING_PUBLIC_KEY_BYTES,
  generateSigningKeyPair,
  sign,
  signingKeyPairFromSeed,
  verify,
} from '../../../aggregation/crypto/signature.js';
import { cryptoReady } from '../../../aggregation/crypto/sodium.js';

await cryptoReady();

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const rng = (n: number): RandomSource => seededRandom(seedFromNumber(n));

function flipped(bytes: Uint8Array, index: number, bit = 0x01): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index] = out[index]! ^ bit;
  return out;
}

describe('AEAD (XChaCha20-Poly1305)', () => {
  const random = rng(1);
  const key = randomBytes(random, 32);
  const ad = utf8('round 7 / client 3');

  test('seal then open returns the plaintext; layout is nonce ‖ ciphertext ‖ tag', () => {
    for (const length of [0, 1, 31, 64, 1000]) {
      const plaintext = randomBytes(random, length);
      const sealed = seal(key, plaintext, ad, random);
      assert.equal(sealed.length, AEAD_NONCE_BYTES + length + AEAD_TAG_BYTES);
      assert.deepEqual(open(key, sealed, ad), plaintext);
    }
  });

  test('two seals of the same message use fresh nonces', () => {
    const plaintext = utf8('same message');
    const a = seal(key, plaintext, ad, random);
    const b = seal(key, plaintext, ad, random);
    assert.notDeepEqual(a.subarray(0, AEAD_NONCE_BYTES), b.subarray(0, AEAD_NONCE_BYTES));
    assert.notDeepEqual(a, b);
  });

  test('flipping any bit of nonce, ciphertext or tag makes open return null', () => {
    const sealed = seal(key, utf8('shares for client 9'), ad, random);
    for (let i = 0; i < sealed.length; i++) {
      assert.equal(open(key, flipped(sealed, i), ad), null, `byte ${i} low bit`);
      assert.equal(open(key, flipped(sealed, i, 0x80), ad), null, `byte ${i} high bit`);
    }
  });

  test('wrong associated data or wrong key makes open return null', () => {
    const sealed = seal(key, utf8('secret'), ad, random);
    assert.equal(open(key, sealed, utf8('round 7 / client 4')), null);
    assert.equal(open(key, sealed, new Uint8Array(0)), null);
    assert.equal(open(flipped(key, 31), sealed, ad), null);
    assert.equal(open(randomBytes(random, 32), sealed, ad), null);
    assert.equal(open(key.subarray(0, 16), sealed, ad), null);
  });

  test('truncated, extended or too-short input gives null', () => {
    const sealed = seal(key, utf8('secret'), ad, random);
    assert.equal(open(key, sealed.subarray(0, sealed.length - 1), ad), null);
    const extended = new Uint8Array(sealed.length + 1);
    extended.set(sealed);
    assert.equal(open(key, extended, ad), null);
    for (const length of [0, 1, AEAD_NONCE_BYTES, AEAD_NONCE_BYTES + AEAD_TAG_BYTES - 1]) {
      assert.equal(open(key, new Uint8Array(length), ad), null, `length ${length}`);
    }
    assert.equal(open(key, new Uint8Array(AEAD_NONCE_BYTES + AEAD_TAG_BYTES), ad), null);
  });
});

describe('Ed25519 signatures', () => {
  test('RFC 8032 test 1: key pair from seed and signature of the empty message', () => {
    const pair = signingKeyPairFromSeed(
      hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
    );
    assert.equal(toHex(pair.publicKey), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const signature = sign(new Uint8Array(0), pair.secretKey);
    assert.equal(
      toHex(signature),
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065' +
        '224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    assert.equal(verify(signature, new Uint8Array(0), pair.publicKey), true);
  });

  test('signingKeyPairFromSeed is deterministic and seed-dependent', () => {
    const a = signingKeyPairFromSeed(seedFromNumber(7));
    const b = signingKeyPairFromSeed(seedFromNumber(7));
    const c = signingKeyPairFromSeed(seedFromNumber(8));
    assert.deepEqual(a.publicKey, b.publicKey);
    assert.deepEqual(a.secretKey, b.secretKey);
    assert.notDeepEqual(a.publicKey, c.publicKey);
    assert.equal(a.publicKey.length, SIGNING_PUBLIC_KEY_BYTES);
  });

  test('sign then verify succeeds; wrong message, key or signature fails', () => {
    const random = rng(2);
    const pair = generateSigningKeyPair(random);
    const other = generateSigningKeyPair(random);
    const message = utf8('AdvertiseKeys transcript');
    const signature = sign(message, pair.secretKey);
    assert.equal(signature.length, SIGNATURE_BYTES);
    assert.equal(verify(signature, message, pair.publicKey), true);
    assert.equal(verify(signature, utf8('AdvertiseKeys transcripT'), pair.publicKey), false);
    assert.equal(verify(signature, new Uint8Array(0), pair.publicKey), false);
    assert.equal(verify(signature, message, other.publicKey), false);
    assert.equal(verify(sign(message, other.secretKey), message, pair.publicKey), false);
    for (let i = 0; i < SIGNATURE_BYTES; i += 7) {
      assert.equal(verify(flipped(signature, i), message, pair.publicKey), false, `signature byte ${i}`);
    }
    assert.equal(verify(signature, message, flipped(pair.publicKey, 0)), false);
  });

  test('malformed lengths return false without throwing', () => {
    const pair = signingKeyPairFromSeed(seedFromNumber(3));
    const message = utf8('m');
    const signature = sign(message, pair.secretKey);
    const cases: Array<[Uint8Array, Uint8Array]> = [
      [signature.subarray(0, 63), pair.publicKey],
      [new Uint8Array([...signature, 0]), pair.publicKey],
      [new Uint8Array(0), pair.publicKey],
      [signature, pair.publicKey.subarray(0, 31)],
      [signature, new Uint8Array([...pair.publicKey, 0])],
      [signature, new Uint8Array(0)],
      [signature, new Uint8Array(64)],
    ];
    for (const [sig, publicKey] of cases) {
      assert.equal(
        verify(sig, message, publicKey),
        false,
        `signature ${sig.length} / key ${publicKey.length}`,
      );
    }
    // A well-sized but garbage public key or signature is data too.
    assert.equal(verify(new Uint8Array(64).fill(0xff), message, new Uint8Array(32).fill(0xff)), false);
  });
});

describe('X25519 key agreement', () => {
  test('RFC 7748 §6.1 key pairs and shared secret', () => {
    const alice = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bob = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const alicePublic = agreementPublicKey(alice);
    const bobPublic = agreementPublicKey(bob);
    assert.equal(toHex(alicePublic), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    assert.equal(toHex(bobPublic), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    assert.equal(toHex(agree(alice, bobPublic)!), shared);
    assert.equal(toHex(agree(bob, alicePublic)!), shared);
  });

  test('agree is symmetric and matches node:crypto X25519', () => {
    const random = rng(4);
    const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
    for (let i = 0; i < 5; i++) {
      const a = generateAgreementKeyPair(random);
      const b = generateAgreementKeyPair(random);
      assert.deepEqual(agreementPublicKey(a.secretKey), a.publicKey);
      const ab = agree(a.secretKey, b.publicKey);
      const ba = agree(b.secretKey, a.publicKey);
      assert.ok(ab !== null && ba !== null);
      assert.equal(ab.length, AGREEMENT_KEY_BYTES);
      assert.deepEqual(ab, ba);
      const privateKey = createPrivateKey({
        key: { kty: 'OKP', crv: 'X25519', d: b64url(a.secretKey), x: b64url(a.publicKey) },
        format: 'jwk',
      });
      const publicKey = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: b64url(b.publicKey) },
        format: 'jwk',
      });
      assert.deepEqual(new Uint8Array(diffieHellman({ privateKey, publicKey })), ab);
      const c = generateAgreementKeyPair(random);
      assert.notDeepEqual(agree(a.secretKey, c.publicKey), ab);
    }
  });

  test('a low-order peer key gives null, not a predictable secret', () => {
    const { secretKey } = generateAgreementKeyPair(rng(5));
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000', // 0
      '0100000000000000000000000000000000000000000000000000000000000000', // 1
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1, order 2
    ];
    for (const point of lowOrder) assert.equal(agree(secretKey, hex(point)), null, point);
  });

  test('wrong key lengths give null', () => {
    const a = generateAgreementKeyPair(rng(6));
    const b = generateAgreementKeyPair(rng(7));
    assert.equal(agree(a.secretKey.subarray(0, 31), b.publicKey), null);
    assert.equal(agree(new Uint8Array([...a.secretKey, 0]), b.publicKey), null);
    assert.equal(agree(a.secretKey, b.publicKey.subarray(0, 31)), null);
    assert.equal(agree(a.secretKey, new Uint8Array([...b.publicKey, 0])), null);
    assert.equal(agree(a.secretKey, new Uint8Array(0)), null);
  });
});

describe('deriveKey / digest', () => {
  const material = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');

  test('is deterministic and 32 bytes long', () => {
    const a = deriveKey(material, 'purpose', utf8('x'), utf8('y'));
    assert.equal(a.length, 32);
    assert.deepEqual(deriveKey(Uint8Array.from(material), 'purpose', utf8('x'), utf8('y')), a);
  });

  test('differs by purpose, by key material and by parts', () => {
    const base = toHex(deriveKey(material, 'purpose', utf8('x')));
    const variants = [
      deriveKey(material, 'purpose2', utf8('x')),
      deriveKey(material, 'purpos', utf8('x')),
      deriveKey(flipped(material, 0), 'purpose', utf8('x')),
      deriveKey(material.subarray(0, 16), 'purpose', utf8('x')),
      deriveKey(material, 'purpose', utf8('z')),
      deriveKey(material, 'purpose'),
      deriveKey(material, 'purpose', utf8('x'), new Uint8Array(0)),
    ].map(toHex);
    assert.equal(new Set([base, ...variants]).size, variants.length + 1);
  });

  test('part boundaries matter: [ab, c] ≠ [a, bc] ≠ [abc], and the purpose is framed too', () => {
    const keys = [
      deriveKey(material, 'p', utf8('ab'), utf8('c')),
      deriveKey(material, 'p', utf8('a'), utf8('bc')),
      deriveKey(material, 'p', utf8('abc')),
      deriveKey(material, 'pa', utf8('bc')),
    ].map(toHex);
    assert.equal(new Set(keys).size, keys.length);
    const digests = [digest('p', utf8('ab'), utf8('c')), digest('p', utf8('a'), utf8('bc'))].map(toHex);
    assert.notEqual(digests[0], digests[1]);
  });

  test('keyed derivation differs from the unkeyed digest of the same input', () => {
    assert.notDeepEqual(deriveKey(material, 'p', utf8('a')), digest('p', utf8('a')));
    assert.deepEqual(digest('p', utf8('a')), digest('p', utf8('a')));
  });

  test('framed prefixes each part with its 32-bit big-endian length', () => {
    assert.equal(
      toHex(framed(utf8('ab'), new Uint8Array(0), utf8('c'))),
      '00000002616200000000' + '0000000163',
    );
    const long = new Uint8Array(0x1_0203);
    assert.equal(toHex(framed(long).subarray(0, 4)), '00010203');
    assert.equal(framed(long).length, 4 + long.length);
  });
});

describe('seededRandom', () => {
  test('is the AES-256-CTR keystream of the seed with a zero IV', () => {
    const seed = seedFromNumber(11);
    const expected = createCipheriv('aes-256-ctr', seed, new Uint8Array(16)).update(new Uint8Array(100));
    assert.deepEqual(randomBytes(seededRandom(seed), 100), new Uint8Array(expected));
  });

  test('is deterministic per seed and differs between seeds', () => {
    const a = randomBytes(seededRandom(seedFromNumber(1)), 64);
    const b = randomBytes(seededRandom(seedFromNumber(1)), 64);
    const c = randomBytes(seededRandom(seedFromNumber(2)), 64);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.notDeepEqual(a, new Uint8Array(64));
  });

  test('successive fills continue the stream', () => {
    const whole = randomBytes(seededRandom(seedFromNumber(9)), 32);
    const random = seededRandom(seedFromNumber(9));
    const first = randomBytes(random, 16);
    const second = randomBytes(random, 16);
    assert.deepEqual(new Uint8Array([...first, ...second]), whole);

    const odd = seededRandom(seedFromNumber(9));
    const parts = [1, 3, 5, 7, 16].map((n) => randomBytes(odd, n));
    assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), whole);
  });

  test('fill overwrites the whole buffer', () => {
    const out = new Uint8Array(48).fill(0xaa);
    seededRandom(seedFromNumber(10)).fill(out);
    assert.deepEqual(out, randomBytes(seededRandom(seedFromNumber(10)), 48));
  });

  test('rejects a seed that is not 32 bytes', () => {
    for (const length of [0, 16, 31, 33, 64]) {
      assert.throws(() => seededRandom(new Uint8Array(length)), RangeError, `length ${length}`);
    }
  });

  test('seedFromNumber gives distinct 32-byte seeds', () => {
    const seeds = [0, 1, 2, -1, 0.5, 1e6].map(seedFromNumber);
    for (const s of seeds) assert.equal(s.length, 32);
    assert.equal(new Set(seeds.map(toHex)).size, seeds.length);
  });
});

describe('constantTimeEqual', () => {
  test('equal only for the same bytes and length', () => {
    const a = Uint8Array.from([1, 2, 3, 4]);
    assert.equal(constantTimeEqual(a, Uint8Array.from([1, 2, 3, 4])), true);
    assert.equal(constantTimeEqual(a, Uint8Array.from([1, 2, 3, 5])), false);
    assert.equal(constantTimeEqual(a, Uint8Array.from([0, 2, 3, 4])), false);
    assert.equal(constantTimeEqual(a, Uint8Array.from([1, 2, 3])), false);
    assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
  });
});
