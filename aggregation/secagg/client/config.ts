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
  if (!Number.isInteger(config.dimension) || config.dimension < 1) {
    throw new InvalidArgumentError('dimension', `need a positive integer, got ${config.dimension}`);
  }
  const chunk = config.chunkWords;
  if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 1)) {
    throw new InvalidArgumentError('chunkWords', `need a positive integer, got ${chunk}`);
  }
}
