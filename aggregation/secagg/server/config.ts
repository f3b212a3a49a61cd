import type { MaskPrg } from '../../crypto/mask-prg.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ClientId } from '../graph.js';
import { validateParameters, type SecAggParameters } from '../parameters.js';

export interface ServerConfig {
  /** Fresh per round (32 bytes); clients bind every signature and ciphertext to it. */
  readonly sessionId: Uint8Array;
  readonly parameters: SecAggParameters;
  readonly dimension: number;
  /** The members selected for this session; anyone else is turned away. */
  readonly clients: readonly ClientId[];
  readonly identityKeyOf: (id: ClientId) => Uint8Array | undefined;
  readonly prg: MaskPrg;
}

export function validateServerConfig(config: ServerConfig): void {
  validateParameters(config.parameters);
  if (config.sessionId.length !== 32) {
    throw new InvalidArgumentError('sessionId', `need 32 bytes, got ${config.sessionId.length}`);
  }
  if (!Number.isInteger(config.dimension) || config.dimension < 1) {
    throw new InvalidArgumentError('dimension', `need a positive integer, got ${config.dimension}`);
  }
  const unique = new Set(config.clients);
  if (unique.size !== config.clients.length)
    throw new InvalidArgumentError('clients', 'lists a client twice');
  for (const id of unique) {
    if (config.identityKeyOf(id) === undefined) {
      throw new InvalidArgumentError('clients', `client ${id} has no identity key`);
    }
  }
  if (unique.size <= config.parameters.threshold) {
    throw new InvalidArgumentError(
      'clients',
      `${unique.size} clients cannot reach threshold ${config.parameters.threshold} (need at least ${config.parameters.threshold + 1})`,
    );
  }
}
