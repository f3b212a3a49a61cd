export { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, open, seal } from './aead.js';
export { constantTimeEqual } from './bytes.js';
export { deriveKey, digest, framed } from './kdf.js';
export {
  agree,
  agreementPublicKey,
  generateAgreementKeyPair,
  isSmallOrderPublicKey,
  type AgreementKeyPair,
} from './key-agreement.js';
export {
  aes256CtrPrg,
  chacha20Prg,
  DEFAULT_MASK_PRG,
  MASK_BLOCK_WORDS,
  maskPrgById,
  type MaskPrg,
  type MaskPrgId,
  type MaskStream,
} from './mask-prg.js';
export {
  randomBytes,
  seededRandom,
  seedFromNumber,
  systemRandom,
  type RandomSource,
} from './random-source.js';
export { SHAMIR_PRIME, SHARE_BYTES, ShareCombiner, splitSecret, type Share } from './shamir.js';
export {
  generateSigningKeyPair,
  sign,
  signingKeyPairFromSeed,
  verify,
  type SigningKeyPair,
} from './signature.js';
export { cryptoReady } from './sodium.js';
