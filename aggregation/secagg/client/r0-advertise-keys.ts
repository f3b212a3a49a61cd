import { generateAgreementKeyPair, type AgreementKeyPair } from '../../crypto/key-agreement.js';
import { sign } from '../../crypto/signature.js';
import { drawGraphNonceChain, type GraphNonceChain } from '../graph-commitment.js';
import type { AdvertiseKeys } from '../messages.js';
import { advertisedKeysPayload } from '../transcript.js';
import type { ClientConfig } from './config.js';
import { GraphNonceState } from './r0b-graph-nonce.js';

/** What a client draws for one session and keeps until it masks. */
export interface RoundSecrets {
  readonly input: () => Uint32Array;
  readonly encryption: AgreementKeyPair;
  readonly masking: AgreementKeyPair;
  readonly chain: GraphNonceChain;
}

/**
 * R0: two fresh X25519 pairs — one encrypts shares, one derives pairwise masks — and the head of a
 * fresh graph-nonce chain, signed by the identity over the session and the plan this client was shown.
 */
export function advertiseKeys(
  config: ClientConfig,
  input: () => Uint32Array,
): { next: GraphNonceState; send: AdvertiseKeys } {
  const encryption = generateAgreementKeyPair(config.random);
  const masking = generateAgreementKeyPair(config.random);
  const chain = drawGraphNonceChain(config.random);
  const payload = advertisedKeysPayload(
    config.sessionId,
    config.planDigest,
    config.id,
    encryption.publicKey,
    masking.publicKey,
    chain.commitment,
  );
  return {
    next: new GraphNonceState({ input, encryption, masking, chain }),
    send: {
      kind: 'advertise-keys',
      encryptionKey: encryption.publicKey,
      maskingKey: masking.publicKey,
      graphCommitment: chain.commitment,
      signature: sign(payload, config.identity.secretKey),
    },
  };
}
