import type { MaskPrg } from '../../crypto/mask-prg.js';
import type { RandomSource } from '../../crypto/random-source.js';
import type { SigningKeyPair } from '../../crypto/signature.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ClientId } from '../graph.js';
import { validateParameters, type SecAggParameters } from '../parameters.js';

export interface ClientConfig {
  readonly id: ClientId;
  /** Fresh per round (32 bytes); everything signed or encrypted is bound to it. */
  readonly sessionId: Uint8Array;
  readonly parameters: SecAggParameters;
  /**
   * Digest of the round plan this client was shown (32 bytes; proto/round-plan.ts). It signs its keys
   * over it and verifies its neighbours' keys against it, so a server that shows members different
   * plans makes their signatures fail.
   */
  readonly planDigest: Uint8Array;
  /** The smallest roster this client accepts (`roundParameters().minimumRoster`); at least t + 1 applies anyway. */
  readonly minimumRoster: number;
  /** Words in the input vector. */
  readonly dimension: number;
  /** This member's long-term Ed25519 identity. */
  readonly identity: SigningKeyPair;
  /** The long-term public key of every member the client will trust (the federation's allow-list). */
  readonly identityKeyOf: (id: ClientId) => Uint8Array | undefined;
  readonly random: RandomSource;
  readonly prg: MaskPrg;
  /** Words per masked-input chunk (default 2^18 = 1 MiB). */
  readonly chunkWords?: number;
}

export function validateClientConfig(config: ClientConfig): void {
  validateParameters(config.parameters);
  if (!Number.isInteger(config.id) || config.id < 0 || config.id >= 2 ** 32) {
    throw new InvalidArgumentError('id', `need a uint32, got ${config.id}`);
  }
  if (config.sessionId.length !== 32) {
    throw new InvalidArgumentError('sessionId', `need 32 bytes, got ${config.sessionId.length}`);
  }
  if (config.planDigest.length !== 32) {
    throw new InvalidArgumentError('planDigest', `need 32 bytes, got ${config.planDigest.length}`);
  }
  if (!Number.isInteger(config.minimumRoster) || config.minimumRoster < 1) {
    throw new InvalidArgumentError('minimumRoster', `need a positive integer, got ${config.minimumRoster}`);
  }
  if (!Number.isInteger(config.dimension) || config.dimension < 1) {
    throw new InvalidArgumentError('dimension', `need a positive integer, got ${config.dimension}`);
  }
  const chunk = config.chunkWords;
  if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 1)) {
    throw new InvalidArgumentError('chunkWords', `need a positive integer, got ${chunk}`);
  }
}
