import { generateAgreementKeyPair } from '../../crypto/key-agreement.js';
import { sign } from '../../crypto/signature.js';
import type { AdvertiseKeys } from '../messages.js';
import { advertisedKeysPayload } from '../transcript.js';
import type { ClientConfig } from './config.js';
import { ShareKeysState } from './r1-share-keys.js';

/** R0: two fresh X25519 pairs — one encrypts shares, one derives pairwise masks — signed by the identity. */
export function advertiseKeys(
  config: ClientConfig,
  input: () => Uint32Array,
): { next: ShareKeysState; send: AdvertiseKeys } {
  const encryption = generateAgreementKeyPair(config.random);
  const masking = generateAgreementKeyPair(config.random);
  const payload = advertisedKeysPayload(config.sessionId, config.id, encryption.publicKey, masking.publicKey);
  return {
    next: new ShareKeysState(input, encryption, masking),
    send: {
      kind: 'advertise-keys',
      encryptionKey: encryption.publicKey,
      maskingKey: masking.publicKey,
      signature: sign(payload, config.identity.secretKey),
    },
  };
}
