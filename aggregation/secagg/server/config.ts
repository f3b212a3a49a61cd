import type { MaskPrg } from '../../crypto/mask-prg.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ClientId } from '../graph.js';
import { validateParameters, type SecAggParameters } from '../parameters.js';

export interface ServerConfig {
  /** Fresh per round (32 bytes); clients bind every signature and ciphertext to it. */
  readonly sessionId: Uint8Array;
  readonly parameters: SecAggParameters;
  /** Digest of the round plan shown to the members (32 bytes); their key signatures are over it. */
  readonly planDigest: Uint8Array;
  /**
   * C: corrupt members the threat model allows in this round (`roundParameters().corruptClients`,
   * default 0). A client is named a culprit only on evidence from more than max(C, 1) others.
   */
  readonly corruptClients?: number;
  /** The smallest roster members accept (`roundParameters().minimumRoster`; default t + 1): below it the session aborts. */
  readonly minimumRoster?: number;
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
  if (config.planDigest.length !== 32) {
    throw new InvalidArgumentError('planDigest', `need 32 bytes, got ${config.planDigest.length}`);
  }
  const corrupt = config.corruptClients;
  if (corrupt !== undefined && (!Number.isInteger(corrupt) || corrupt < 0)) {
    throw new InvalidArgumentError('corruptClients', `need a non-negative integer, got ${corrupt}`);
  }
  const minimum = config.minimumRoster;
  if (minimum !== undefined && (!Number.isInteger(minimum) || minimum < 1)) {
    throw new InvalidArgumentError('minimumRoster', `need a positive integer, got ${minimum}`);
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

/** The fewest clients a roster may hold: what members accept and what the threshold needs. */
export function smallestRoster(config: ServerConfig): number {
  return Math.max(config.minimumRoster ?? 0, config.parameters.threshold + 1);
}

/** How many distinct accusers it takes to name a client: more than could all be corrupt. */
export function accusersNeeded(config: ServerConfig): number {
  return Math.max(config.corruptClients ?? 0, 1) + 1;
}
